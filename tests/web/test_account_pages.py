"""The account pages: overview and API tokens, in the four languages."""

import pytest
from django.test import Client
from django.urls import reverse

from exchange.accounts.models import ApiToken
from exchange.accounts.services import api_token_authenticate, api_token_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _client(user, language="en") -> Client:
    client = Client(headers={"accept-language": language})
    client.force_login(user)
    return client


def test_a_token_made_on_the_web_shows_its_key_once_and_can_be_revoked():
    user = UserFactory(username="web.person")
    client = _client(user)
    response = client.post(reverse("accounts:tokens"), {"name": "inventory sync"})
    assert response.status_code == 200
    token = ApiToken.objects.get(user=user)
    key = response.context["new_key"]
    assert key in response.content.decode()
    assert api_token_authenticate(key=key).pk == token.pk
    # the list shows it, with its last use, but never the key again
    page = client.get(reverse("accounts:tokens")).content.decode()
    assert "inventory sync" in page and key not in page and token.prefix in page
    # revoking it closes the API to it
    response = client.post(reverse("accounts:tokens"), {"revoke": token.pk})
    assert response.status_code == 302
    assert api_token_authenticate(key=key) is None


def test_nobody_revokes_another_persons_token():
    owner = UserFactory(username="owner")
    token, key = api_token_create(user=owner, name="laptop")
    _client(UserFactory(username="other")).post(reverse("accounts:tokens"), {"revoke": token.pk})
    assert api_token_authenticate(key=key) is not None


@pytest.mark.parametrize(
    "language, words",
    [("nl", "API-tokens"), ("fr", "Jetons d’API"), ("de", "API-Tokens"), ("en", "API tokens")],
)
def test_the_account_pages_speak_four_languages(language, words):
    user = UserFactory(username=f"polyglot-{language}", language=language)
    client = _client(user, language)
    assert words in client.get(reverse("accounts:tokens")).content.decode()
    assert words in client.get(reverse("accounts:overview")).content.decode()


def test_the_account_pages_need_a_signed_in_person(client):
    for name in ("accounts:overview", "accounts:tokens"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
