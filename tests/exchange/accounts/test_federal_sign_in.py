"""Federal sign-in through a real local OpenID Connect provider (a process started by
the test, tests/support/oidc_provider.py): authorisation code flow with PKCE, state and
nonce checked; a wrong issuer, an expired or tampered ID token refused; a first sign-in
makes the person from verified claims; an existing account is joined only through a
verified e-mail address."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from exchange.settings import federal_sign_in_providers
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()
LOGIN_URL = "/accounts/oidc/fas/login/"

CLAIMS = {
    "sub": "fas-0001",
    "email": "an.peeters@fod.example.be",
    "email_verified": "true",
    "given_name": "An",
    "family_name": "Peeters",
    "locale": "nl-BE",
}


def _sign_in(client: Client, claims=None):
    """Press the federal button, sign in at the provider, come back. Returns the
    authorisation request's parameters and the platform's last answer."""
    response = client.post(LOGIN_URL)
    assert response.status_code == 302, response.content[:500]
    authorize = urlsplit(response["Location"])
    params = {k: v[0] for k, v in parse_qs(authorize.query).items()}
    at_provider = f"{authorize.scheme}://{authorize.netloc}{authorize.path}"
    assert requests.get(response["Location"], timeout=10).status_code == 200  # its page
    answer = requests.post(
        at_provider, data={**params, **(claims or CLAIMS)}, allow_redirects=False, timeout=10
    )
    assert answer.status_code == 302, answer.text
    callback = urlsplit(answer.headers["Location"])
    return params, client.get(f"{callback.path}?{callback.query}")


def _signed_in_as(client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


def test_a_first_federal_sign_in_makes_the_person_from_verified_claims(client, oidc_provider):
    oidc_provider()
    params, response = _sign_in(client)
    # the authorisation request: code flow, PKCE (S256), state and nonce
    assert params["response_type"] == "code"
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) >= 43
    assert len(params["state"]) >= 16 and len(params["nonce"]) >= 32
    assert set(params["scope"].split()) == {"openid", "email", "profile"}
    # the person exists, is signed in, with the claims' names, language and address
    assert response.status_code == 302
    user = User.objects.get(email="an.peeters@fod.example.be")
    assert (user.first_name, user.last_name, user.language) == ("An", "Peeters", "nl")
    assert not user.has_usable_password()
    assert EmailAddress.objects.get(user=user).verified
    assert _signed_in_as(client) == user.pk
    # a second sign-in finds the same person
    again = Client()
    _sign_in(again)
    assert _signed_in_as(again) == user.pk
    assert User.objects.filter(email__iexact="an.peeters@fod.example.be").count() == 1


def test_an_existing_account_is_joined_through_a_verified_address(client, oidc_provider):
    oidc_provider()
    existing = UserFactory(username="an.local", email="an.peeters@fod.example.be")
    _sign_in(client)
    assert _signed_in_as(client) == existing.pk
    assert existing.socialaccount_set.filter(uid="fas-0001").exists()


def test_an_unverified_local_address_is_not_joined(client, oidc_provider):
    oidc_provider()
    squatter = UserFactory(
        username="squatter", email="an.peeters@fod.example.be", email_verified=False
    )
    _params, response = _sign_in(client)
    assert response.status_code == 403
    assert _signed_in_as(client) is None
    assert not squatter.socialaccount_set.exists()


def test_an_address_the_provider_did_not_verify_makes_no_account(client, oidc_provider):
    oidc_provider()
    _params, response = _sign_in(client, {**CLAIMS, "email_verified": "false"})
    assert response.status_code == 403
    assert _signed_in_as(client) is None
    assert not User.objects.filter(email__iexact=CLAIMS["email"]).exists()


def test_the_state_is_checked(client, oidc_provider):
    oidc_provider()
    response = client.post(LOGIN_URL)
    authorize = urlsplit(response["Location"])
    params = {k: v[0] for k, v in parse_qs(authorize.query).items()}
    answer = requests.post(
        f"{authorize.scheme}://{authorize.netloc}{authorize.path}",
        data={**params, **CLAIMS},
        allow_redirects=False,
        timeout=10,
    )
    callback = urlsplit(answer.headers["Location"])
    code = parse_qs(callback.query)["code"][0]
    # another browser (no state in its session), or a forged state: refused
    stranger = Client()
    stranger.get(f"{callback.path}?{callback.query}")
    assert _signed_in_as(stranger) is None
    client.get(f"{callback.path}?code={code}&state=forged")
    assert _signed_in_as(client) is None
    assert not User.objects.filter(email__iexact=CLAIMS["email"]).exists()


@pytest.mark.parametrize(
    "options",
    [
        ["--nonce", "a-nonce-this-sign-in-never-sent"],
        ["--token-issuer", "http://127.0.0.1:1/another-issuer"],
        ["--id-token-lifetime", "-60"],
        ["--tamper-id-token"],
    ],
    ids=["other nonce", "other issuer", "expired", "tampered"],
)
def test_a_bad_id_token_is_refused(client, oidc_provider, options):
    oidc_provider(*options)
    _params, response = _sign_in(client)
    assert _signed_in_as(client) is None
    assert not User.objects.exists()
    assert "intruder" not in response.content.decode()


def test_a_provider_that_names_another_issuer_is_refused(client, oidc_provider):
    # the platform expects the issuer "http://localhost:<port>"; the provider's discovery
    # document names "http://127.0.0.1:<port>"
    oidc_provider(issuer_host="localhost")
    response = client.post(LOGIN_URL)
    assert response.status_code == 401  # the sign-in error page, not off to the provider
    assert _signed_in_as(client) is None


def test_the_login_page_shows_the_federal_button_only_when_configured(client, settings):
    page = client.get(reverse("account_login")).content.decode()
    assert "Federal Authentication Service" not in page
    settings.OIDC_ISSUER = "http://127.0.0.1:9"
    settings.SOCIALACCOUNT_PROVIDERS = federal_sign_in_providers(
        "http://127.0.0.1:9", "x", "y", ["openid"]
    )
    page = client.get(reverse("account_login")).content.decode()
    assert "Sign in with the Federal Authentication Service" in page
    settings.OIDC_BUTTON_LABEL = "Sign in with CSAM"
    page = Client(headers={"accept-language": "fr"}).get(reverse("account_login")).content.decode()
    assert "Sign in with CSAM" in page


def test_an_invited_address_becomes_a_member_at_its_first_federal_sign_in(
    client, oidc_provider, fed_admin
):
    # given an invitation to the address the provider verifies
    from exchange.organisations.invitations import invitation_create
    from exchange.organisations.models import Membership

    invitation_create(actor=fed_admin, email="An.Peeters@fod.example.be", role="member")
    oidc_provider()
    # when the person signs in through the federal service for the first time
    _sign_in(client)
    # then they are a member
    user = User.objects.get(email="an.peeters@fod.example.be")
    assert Membership.objects.get(user=user).organisation == fed_admin.organisation
