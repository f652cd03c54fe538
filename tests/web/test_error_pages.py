"""400, 403, 404 and 500 answer with the site's page, in the reader's language, with a
way back to where the person came from (on this site) or else to the home page; the
500 page needs no database; under /api/ the answers stay the API's JSON errors."""

import pytest
from django.test import Client

from tests.factories import MembershipFactory

ERROR_URLS = "tests.support.error_urls"


@pytest.fixture
def failing_urls(settings):
    settings.ROOT_URLCONF = ERROR_URLS


def _client(language="en", **kwargs) -> Client:
    return Client(headers={"accept-language": language}, raise_request_exception=False, **kwargs)


def _layout(page: str) -> None:
    assert 'class="site-header"' in page and 'class="site-footer"' in page
    assert 'href="#main"' in page  # the skip link


@pytest.mark.django_db
@pytest.mark.parametrize(
    "language, words",
    [
        ("nl", "Pagina niet gevonden"),
        ("fr", "Page introuvable"),
        ("de", "Seite nicht gefunden"),
        ("en", "Page not found"),
    ],
)
def test_a_missing_page_speaks_the_readers_language_and_leads_back(language, words):
    # given a reader who followed a link on the catalogue
    referer = "http://testserver/lots/?q=desk"
    # when the page is missing
    response = _client(language).get("/no-such-page/", headers={"referer": referer})
    # then
    assert response.status_code == 404
    page = response.content.decode()
    _layout(page)
    assert f'<html lang="{language}"' in page and words in page
    assert f'href="{referer.replace("&", "&amp;")}"' in page


@pytest.mark.django_db
def test_the_way_back_never_leads_off_the_site_nor_to_the_page_itself():
    for referer in (
        "https://evil.example/phish",
        "javascript:alert(1)",
        "http://testserver/no-such-page/",
        "",
    ):
        response = _client().get("/no-such-page/", headers={"referer": referer})
        page = response.content.decode()
        assert "evil.example" not in page and "javascript:" not in page
        assert 'class="button" href="/"' in page, referer
        assert "Back to the previous page" not in page


@pytest.mark.django_db
def test_a_signed_in_person_keeps_the_menu_on_a_missing_page():
    member = MembershipFactory(role="member", user__language="de")
    client = _client("de")
    client.force_login(member.user)
    page = client.get("/no-such-page/").content.decode()
    assert "Seite nicht gefunden" in page
    assert member.organisation.name in page  # "acting for", in the header


@pytest.mark.django_db
def test_a_refusal_has_the_site_layout(failing_urls):
    response = _client("fr").get("/boom/403/", headers={"referer": "/lots/"})
    assert response.status_code == 403
    page = response.content.decode()
    _layout(page)
    assert "Vous ne pouvez pas ouvrir cette page" in page
    assert 'href="/lots/"' in page


@pytest.mark.django_db
def test_a_request_that_cannot_be_read_has_the_site_layout(failing_urls):
    response = _client("nl").get("/boom/400/")
    assert response.status_code == 400
    page = response.content.decode()
    _layout(page)
    assert "Het verzoek kon niet worden gelezen" in page


@pytest.mark.django_db
def test_an_unknown_host_gets_the_400_page():
    response = _client().get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "The request could not be understood" in response.content.decode()


@pytest.mark.django_db
def test_a_form_without_its_token_gets_a_page_that_says_what_to_do():
    response = _client("de", enforce_csrf_checks=True).post(
        "/accounts/login/", {"login": "x", "password": "y"}
    )
    assert response.status_code == 403
    page = response.content.decode()
    _layout(page)
    assert "Das Formular konnte nicht gesendet werden" in page


def test_the_500_page_needs_no_database(failing_urls):
    """No ``db`` fixture: any query in the answer would fail the test."""
    response = _client("fr").get("/boom/500/", headers={"referer": "http://testserver/lots/"})
    assert response.status_code == 500
    page = response.content.decode()
    _layout(page)
    assert '<html lang="fr"' in page
    assert "Un problème est survenu de notre côté" in page
    assert 'href="http://testserver/lots/"' in page


@pytest.mark.django_db
def test_the_api_keeps_its_json_errors(failing_urls):
    client = _client()
    missing = client.get("/api/v1/no-such-resource/")
    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/json"
    assert missing.json()["code"] == "not_found"
    assert set(missing.json()) == {"code", "detail", "errors"}
    crashed = client.get("/api/v1/boom/")
    assert crashed.status_code == 500
    assert crashed["Content-Type"] == "application/json"
    assert set(crashed.json()) == {"code", "detail", "errors"}
    # the API's own views answer as before
    assert client.get("/api/v1/lots/999999/").status_code in (401, 403, 404)
    assert client.get("/api/v1/lots/999999/").json()["code"]


def test_the_500_page_reads_neither_the_person_nor_the_database(rf):
    """Even for a signed-in person: the page is made without the request's context."""
    from django.utils import translation
    from django.utils.functional import SimpleLazyObject

    from exchange.common.error_pages import server_error

    def touched():
        raise AssertionError("the 500 page read the person (and so the database)")

    request = rf.get("/lots/1/", headers={"referer": "http://testserver/lots/"})
    request.user = SimpleLazyObject(touched)
    with translation.override("nl"):
        response = server_error(request)
    assert response.status_code == 500
    page = response.content.decode()
    _layout(page)
    assert "Er ging bij ons iets mis" in page
