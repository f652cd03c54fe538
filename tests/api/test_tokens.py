"""Named API tokens: one per device or script, expiring, renewed by use, listed and
revoked by their owner, revoked by a password change."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from exchange.accounts.models import ApiToken
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"


def _sign_in(api_client, name=None, username="an"):
    body = {"username": username, "password": PASSWORD}
    if name:
        body["name"] = name
    response = api_client.post("/api/v1/auth/token/", body)
    assert response.status_code == 200, response.json()
    return response.json()


def _with(_api_client, key) -> APIClient:
    """A new client that sends this key."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_each_sign_in_makes_a_named_token_that_expires_in_90_days(api_client, settings):
    UserFactory(username="an")
    laptop = _sign_in(api_client, name="laptop")
    script = _sign_in(api_client, name="inventory sync")
    assert laptop["token"] != script["token"]
    assert laptop["name"] == "laptop"
    expires = datetime.datetime.fromisoformat(laptop["expires_at"])
    expected = timezone.now() + datetime.timedelta(days=settings.EXCHANGE_API_TOKEN_DAYS)
    assert abs((expires - expected).total_seconds()) < 60
    # only a digest is stored
    assert not ApiToken.objects.filter(key_digest=laptop["token"]).exists()
    # both open the API; the list shows them, the last use, which one is in use, no key
    client = _with(api_client, laptop["token"])
    assert client.get("/api/v1/me/").status_code == 200
    body = client.get("/api/v1/auth/tokens/").json()
    assert body["count"] == 2
    by_name = {t["name"]: t for t in body["results"]}
    assert by_name["laptop"]["current"] and not by_name["inventory sync"]["current"]
    assert by_name["laptop"]["last_used_at"] is not None
    assert by_name["inventory sync"]["last_used_at"] is None
    assert by_name["laptop"]["prefix"] == laptop["token"][:8]
    assert "token" not in by_name["laptop"] and "key_digest" not in by_name["laptop"]


def test_a_sign_in_without_a_name_gets_one(api_client):
    UserFactory(username="an")
    api_client.credentials(HTTP_USER_AGENT="curl/8.0")
    first = _sign_in(api_client)
    second = _sign_in(api_client)
    assert first["name"].startswith("curl/8.0")
    assert first["id"] != second["id"]


def test_an_expired_token_is_refused_and_use_renews_a_live_one(api_client, settings):
    UserFactory(username="an")
    key = _sign_in(api_client, name="laptop")["token"]
    token = ApiToken.objects.get(name="laptop")
    client = _with(api_client, key)
    # given a token last used long ago, not yet expired
    long_ago = timezone.now() - datetime.timedelta(days=80)
    ApiToken.objects.filter(pk=token.pk).update(
        created_at=long_ago,
        last_used_at=long_ago,
        expires_at=long_ago + datetime.timedelta(days=90),
    )
    # when it is used, its expiry moves to 90 days from now
    assert client.get("/api/v1/me/").status_code == 200
    token.refresh_from_db()
    expected = timezone.now() + datetime.timedelta(days=settings.EXCHANGE_API_TOKEN_DAYS)
    assert abs((token.expires_at - expected).total_seconds()) < 60
    assert timezone.now() - token.last_used_at < datetime.timedelta(seconds=60)
    # but never past the maximum lifetime after it was made
    made = timezone.now() - datetime.timedelta(days=settings.EXCHANGE_API_TOKEN_MAX_DAYS - 10)
    ApiToken.objects.filter(pk=token.pk).update(created_at=made, last_used_at=made)
    assert client.get("/api/v1/me/").status_code == 200
    token.refresh_from_db()
    cap = made + datetime.timedelta(days=settings.EXCHANGE_API_TOKEN_MAX_DAYS)
    assert abs((token.expires_at - cap).total_seconds()) < 1
    # once expired, refused
    ApiToken.objects.filter(pk=token.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_tokens_are_revoked_one_by_one_and_only_by_their_owner(api_client, client_for):
    UserFactory(username="an")
    laptop = _sign_in(api_client, name="laptop")
    script = _sign_in(api_client, name="script")
    stranger = client_for(UserFactory(username="stranger"))
    assert stranger.delete(f"/api/v1/auth/tokens/{laptop['id']}/").status_code == 404
    client = _with(api_client, script["token"])
    assert client.delete(f"/api/v1/auth/tokens/{laptop['id']}/").status_code == 204
    assert _with(api_client, laptop["token"]).get("/api/v1/me/").status_code == 401
    assert _with(api_client, script["token"]).get("/api/v1/me/").status_code == 200
    # a token may revoke itself
    assert client.delete(f"/api/v1/auth/tokens/{script['id']}/").status_code == 204
    assert client.get("/api/v1/me/").status_code == 401


def test_a_token_is_made_from_the_api_with_a_name(api_client):
    UserFactory(username="an")
    client = _with(api_client, _sign_in(api_client, name="laptop")["token"])
    response = client.post("/api/v1/auth/tokens/", {"name": "backup script"})
    assert response.status_code == 201
    assert response.json()["token"]
    duplicate = client.post("/api/v1/auth/tokens/", {"name": "Backup  script"})
    assert duplicate.status_code == 400
    assert duplicate.json()["errors"]["name"]


def test_the_token_list_reads_a_constant_number_of_queries(
    api_client, django_assert_max_num_queries
):
    UserFactory(username="an")
    key = _sign_in(api_client, name="laptop")["token"]
    client = _with(api_client, key)
    client.get("/api/v1/me/")
    for n in range(15):
        _sign_in(api_client, name=f"device {n}")
    with django_assert_max_num_queries(4):
        response = client.get("/api/v1/auth/tokens/")
    assert response.json()["count"] == 16


def test_the_token_endpoints_need_a_signed_in_person(api_client):
    assert api_client.get("/api/v1/auth/tokens/").status_code == 401
    assert api_client.post("/api/v1/auth/tokens/", {"name": "x"}).status_code == 401
