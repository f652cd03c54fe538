"""Two-factor authentication: required of organisation admins, moderators, analysts
and admin-site staff (their pages wait until it is set up, they cannot remove it, the
API wants its code), offered to everyone else."""

import re
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture(autouse=True)
def _rule_on(settings):
    settings.EXCHANGE_SECOND_FACTOR_REQUIRED = True


def _code(secret=SECRET, offset=0) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + offset))


def _signed_in(user) -> Client:
    client = Client()
    response = client.post(reverse("account_login"), {"login": user.username, "password": PASSWORD})
    assert response.status_code == 302, response
    return client


def _reauthenticated(client, url):
    """allauth asks for the password again before two-factor settings change."""
    response = client.get(url)
    if response.status_code == 302 and "reauthenticate" in response["Location"]:
        client.post(response["Location"], {"password": PASSWORD})
        response = client.get(url)
    return response


def _with_totp(user):
    TOTP.activate(user, SECRET)
    return RecoveryCodes.activate(user)


@pytest.mark.parametrize("who", ["organisation admin", "moderator", "analyst", "staff"])
def test_people_with_power_are_sent_to_the_setup_until_they_have_a_second_factor(who):
    # given
    user = UserFactory(username="power", is_staff=who == "staff")
    if who == "organisation admin":
        MembershipFactory(user=user, role="admin")
    elif who in ("moderator", "analyst"):
        user.groups.add(Group.objects.get_or_create(name=who)[0])
    client = _signed_in(user)
    # when they open a page, then they land on the setup
    for url in (reverse("home"), reverse("accounts:tokens"), "/admin/" if who == "staff" else "/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == reverse("mfa_activate_totp")
    # the API (with their session) refuses them
    response = client.get("/api/v1/me/")
    assert response.status_code == 403
    assert response.json()["code"] == "second_factor_required"
    # the setup itself opens, once they confirmed their password
    page = _reauthenticated(client, reverse("mfa_activate_totp"))
    assert page.status_code == 200
    # when they activate it with their app's code
    secret = re.search(r'value="([A-Z2-7]{16,})"', page.content.decode()).group(1)
    response = client.post(reverse("mfa_activate_totp"), {"code": _code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=user, type="totp").exists()
    # then the pages open
    assert client.get(reverse("accounts:tokens")).status_code == 200
    assert client.get("/api/v1/me/").status_code == 200


def test_a_plain_member_is_not_asked_but_may_choose_it():
    member = MembershipFactory(role="member").user
    client = _signed_in(member)
    assert client.get(reverse("accounts:tokens")).status_code == 200
    assert _reauthenticated(client, reverse("mfa_activate_totp")).status_code == 200


def test_with_a_second_factor_the_sign_in_asks_for_the_code():
    user = MembershipFactory(role="admin").user
    codes = _with_totp(user).get_unused_codes()
    client = Client()
    response = client.post(reverse("account_login"), {"login": user.username, "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    assert client.post(reverse("mfa_authenticate"), {"code": "000000"}).status_code == 200
    assert "_auth_user_id" not in client.session
    response = client.post(reverse("mfa_authenticate"), {"code": _code()})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    # a recovery code works too, once
    other = Client()
    other.post(reverse("account_login"), {"login": user.username, "password": PASSWORD})
    assert other.post(reverse("mfa_authenticate"), {"code": codes[0]}).status_code == 302


def test_people_who_must_have_it_cannot_remove_it_others_can():
    admin = MembershipFactory(role="admin").user
    _with_totp(admin)
    member = MembershipFactory(role="member").user
    _with_totp(member)
    for user, kept in ((admin, True), (member, False)):
        client = Client()
        client.post(reverse("account_login"), {"login": user.username, "password": PASSWORD})
        client.post(reverse("mfa_authenticate"), {"code": _code()})
        _reauthenticated(client, reverse("mfa_deactivate_totp"))
        client.post(reverse("mfa_deactivate_totp"))
        assert Authenticator.objects.filter(user=user, type="totp").exists() is kept


def test_the_token_endpoint_wants_the_second_factor(api_client):
    admin = MembershipFactory(role="admin").user
    body = {"username": admin.username, "password": PASSWORD}
    # required but not set up: refused
    response = api_client.post("/api/v1/auth/token/", body)
    assert response.status_code == 403
    assert response.json()["code"] == "second_factor_setup_required"
    # set up: the code is asked, checked, then a token is given
    codes = _with_totp(admin).get_unused_codes()
    response = api_client.post("/api/v1/auth/token/", body)
    assert response.status_code == 400
    assert response.json()["code"] == "second_factor_code_required"
    wrong = api_client.post("/api/v1/auth/token/", {**body, "code": "000000"})
    assert wrong.status_code == 400
    assert wrong.json()["errors"]["code"]
    assert api_client.post("/api/v1/auth/token/", {**body, "code": _code()}).status_code == 200
    # a recovery code once, not twice
    assert api_client.post("/api/v1/auth/token/", {**body, "code": codes[1]}).status_code == 200
    assert api_client.post("/api/v1/auth/token/", {**body, "code": codes[1]}).status_code == 400


def test_without_the_rule_nobody_is_sent_to_the_setup(settings):
    settings.EXCHANGE_SECOND_FACTOR_REQUIRED = False
    admin = MembershipFactory(role="admin").user
    assert _signed_in(admin).get(reverse("accounts:tokens")).status_code == 200


def test_the_admin_site_opens_only_after_the_second_factor():
    # given a superuser with an authenticator app
    staff = UserFactory(username="root", is_staff=True, is_superuser=True)
    _with_totp(staff)
    client = Client()
    # the admin's own sign-in sends to the platform's
    response = client.get("/admin/login/?next=/admin/")
    assert response["Location"].startswith(reverse("account_login"))
    # the password alone does not open it
    response = client.post(reverse("account_login"), {"login": "root", "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get("/admin/").status_code == 302
    # with the code it opens
    client.post(reverse("mfa_authenticate"), {"code": _code()})
    assert client.get("/admin/").status_code == 200
