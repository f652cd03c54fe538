"""Local accounts: e-mail verification, no answer that tells who has an account,
password reset and change, and throttled sign-ins on the web and the admin."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from exchange.accounts.services import api_token_authenticate, api_token_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()
PASSWORD = "correct horse battery"


def _link(message) -> str:
    return re.search(r"https?://[^/\s]+(/\S+)", message.body).group(1)


def _sign_up(client, email="new.person@example.org", password="a long new passphrase"):
    return client.post(
        reverse("account_signup"),
        {
            "email": email,
            "password1": password,
            "first_name": "Nora",
            "last_name": "New",
            "language": "nl",
        },
    )


def test_a_new_account_acts_only_once_its_address_is_verified(client):
    # given a sign-up
    response = _sign_up(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(email="new.person@example.org")
    assert user.language == "nl" and user.first_name == "Nora"
    # then nobody is signed in and the address waits for its link
    assert "_auth_user_id" not in client.session
    assert not EmailAddress.objects.get(user=user).verified
    assert len(mail.outbox) == 1
    # a sign-in before verifying only sends the person back to the link
    response = client.post(
        reverse("account_login"),
        {"login": "new.person@example.org", "password": "a long new passphrase"},
    )
    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session
    # when the link is followed and confirmed
    confirm_url = _link(mail.outbox[0])
    assert client.get(confirm_url).status_code == 200
    client.post(confirm_url)
    assert EmailAddress.objects.get(user=user).verified
    # then the person signs in
    response = client.post(
        reverse("account_login"),
        {"login": "new.person@example.org", "password": "a long new passphrase"},
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_sign_up_does_not_tell_whether_an_address_has_an_account(client):
    UserFactory(username="known", email="known@example.org")
    fresh = _sign_up(Client(), email="fresh@example.org")
    taken = _sign_up(client, email="KNOWN@example.org")
    # the same answer for both
    assert taken.status_code == fresh.status_code == 302
    assert taken["Location"] == fresh["Location"]
    page = client.get(taken["Location"])
    assert "already exists" not in page.content.decode()
    # no second account; the owner of the address hears of the attempt
    assert User.objects.filter(email__iexact="known@example.org").count() == 1
    to_known = [
        m for m in mail.outbox if m.to == ["KNOWN@example.org"] or m.to == ["known@example.org"]
    ]
    assert len(to_known) == 1
    assert "already" in to_known[0].body


def test_password_reset_answers_alike_and_ends_every_other_session(client):
    # given a person signed in on another device
    user = UserFactory(username="reset.me", email="reset.me@example.org")
    _token, key = api_token_create(user=user, name="script")
    other_device = Client()
    other_device.force_login(user)
    assert other_device.get(reverse("account_email")).status_code == 200
    # when a reset is asked for a known and for an unknown address
    known = client.post(reverse("account_reset_password"), {"email": "reset.me@example.org"})
    unknown = Client().post(reverse("account_reset_password"), {"email": "nobody@example.org"})
    # then both get the same answer
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    reset = [m for m in mail.outbox if m.to == ["reset.me@example.org"]]
    assert len(reset) == 1
    # and the link sets a new password
    response = client.get(_link(reset[0]), follow=True)
    form_url = response.redirect_chain[-1][0]
    response = client.post(
        form_url, {"password1": "a brand new passphrase", "password2": "a brand new passphrase"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a brand new passphrase")
    # the other device is signed out, the API tokens are revoked
    response = other_device.get(reverse("account_email"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert api_token_authenticate(key=key) is None


def test_password_change_keeps_this_session_and_ends_the_others(client):
    user = UserFactory(username="change.me")
    _token, key = api_token_create(user=user, name="script")
    client.force_login(user)
    other_device = Client()
    other_device.force_login(user)
    response = client.post(
        reverse("account_change_password"),
        {
            "oldpassword": PASSWORD,
            "password1": "another long phrase",
            "password2": "another long phrase",
        },
    )
    assert response.status_code == 302
    assert client.get(reverse("account_email")).status_code == 200
    assert other_device.get(reverse("account_email")).status_code == 302
    # and the API tokens are revoked
    assert api_token_authenticate(key=key) is None


def _login(client, login, password, **extra):
    return client.post(reverse("account_login"), {"login": login, "password": password}, **extra)


def test_web_sign_in_is_throttled_per_account(client, settings):
    UserFactory(username="target", email="target@example.org")
    for attempt in range(settings.EXCHANGE_LOGIN_FAILURES_PER_ACCOUNT):
        # by username and by address: one account
        login = "target" if attempt % 2 else "target@example.org"
        response = _login(client, login, "wrong", REMOTE_ADDR=f"127.0.0.{attempt + 2}")
        assert response.status_code == 200, attempt
    # the right password from yet another address is refused too, for a while
    response = _login(client, "target", PASSWORD, REMOTE_ADDR="127.0.0.99")
    assert response.status_code == 429
    retry_after = int(response["Retry-After"])
    assert 0 < retry_after <= settings.EXCHANGE_LOGIN_FAILURES_WINDOW_SECONDS
    assert "_auth_user_id" not in client.session
    # another account is not affected
    UserFactory(username="bystander")
    assert _login(Client(), "bystander", PASSWORD, REMOTE_ADDR="127.0.0.99").status_code == 302


def test_web_sign_in_is_throttled_per_address(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/300s/ip,5/300s/key"}
    for n in range(3):
        assert _login(client, f"guess{n}", "wrong", REMOTE_ADDR="127.0.0.7").status_code == 200
    UserFactory(username="innocent")
    assert _login(client, "innocent", PASSWORD, REMOTE_ADDR="127.0.0.7").status_code == 429
    assert _login(Client(), "innocent", PASSWORD, REMOTE_ADDR="127.0.0.8").status_code == 302


def test_the_admin_signs_in_through_the_throttled_page(client, settings):
    UserFactory(username="staff", is_staff=True, is_superuser=True)
    response = client.get("/admin/")
    assert response.status_code == 302
    login = client.get(response["Location"])
    assert login.status_code == 302 or login.status_code == 200
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    for _ in range(settings.EXCHANGE_LOGIN_FAILURES_PER_ACCOUNT):
        _login(client, "staff", "wrong")
    response = _login(client, "staff", PASSWORD)
    assert response.status_code == 429
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize(
    "language, page_words, signed_in_words",
    [
        ("nl", ["Gebruikersnaam of e-mailadres", "Wachtwoord"], "U bent nu aangemeld als"),
        ("fr", ["adresse e-mail", "Mot de passe"], "Connexion avec"),
        ("de", ["Benutzername oder E-Mail-Adresse", "Passwort"], "Erfolgreich als"),
        ("en", ["Username or e-mail address", "Password"], "Successfully signed in as"),
    ],
)
def test_a_person_signs_in_with_a_local_account_in_each_language(
    language, page_words, signed_in_words
):
    # given a person and a browser in their language
    user = UserFactory(username=f"local-{language}", language=language)
    client = Client(headers={"accept-language": language})
    # the sign-in page speaks it
    page = client.get(reverse("account_login")).content.decode()
    assert f'<html lang="{language}"' in page
    for words in page_words:
        assert words in page
    # when they sign in with their e-mail address and password
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": PASSWORD}, follow=True
    )
    # then they are signed in and welcomed in it
    assert client.session["_auth_user_id"] == str(user.pk)
    assert response.redirect_chain[-1][0] == reverse("home")
    assert signed_in_words in response.content.decode()
