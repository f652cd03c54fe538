import pytest

from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_token_is_given_for_username_or_email(api_client):
    user = UserFactory(username="an", email="an@example.org")
    for login in ("an", "AN@example.org"):
        response = api_client.post(
            "/api/v1/auth/token/", {"username": login, "password": "correct horse battery"}
        )
        assert response.status_code == 200, response.json()
        assert response.json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert api_client.get("/api/v1/me/").json()["username"] == user.username


def test_a_wrong_password_gets_a_clear_400(api_client):
    UserFactory(username="an")
    response = api_client.post("/api/v1/auth/token/", {"username": "an", "password": "nope"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"
    assert response.json()["errors"]["password"]


def test_the_api_needs_a_signed_in_user(api_client):
    response = api_client.get("/api/v1/me/")
    assert response.status_code == 401
    assert api_client.get("/api/v1/sites/").status_code == 401


def test_me_lists_memberships_and_the_acting_organisation(fed_admin, client_for):
    other = MembershipFactory(user=fed_admin.user, role="viewer").organisation
    client = client_for(fed_admin.user)
    body = client.get("/api/v1/me/").json()
    assert body["acting_organisation"] == fed_admin.organisation_id
    assert {m["organisation"]["id"] for m in body["memberships"]} == {
        fed_admin.organisation_id,
        other.pk,
    }
    # the header picks another of my organisations for one request
    body = client_for(fed_admin.user, organisation=other).get("/api/v1/me/").json()
    assert body["acting_organisation"] == other.pk
    # PATCH makes it my current organisation
    response = client.patch("/api/v1/me/", {"current_organisation": other.pk, "language": "de"})
    assert response.status_code == 200
    assert response.json()["acting_organisation"] == other.pk
    assert response.json()["language"] == "de"


def test_a_token_acts_for_the_current_organisation_else_the_first(client_for):
    """The membership read with the token is the one the person acts through: their
    current organisation's, else their first membership's; none without one."""
    # given a person in two organisations, the second one current
    first = MembershipFactory(role="viewer")
    person = first.user
    second = MembershipFactory(user=person, role="admin")
    person.current_organisation = second.organisation
    person.save(update_fields=["current_organisation"])
    client = client_for(person)
    assert client.get("/api/v1/me/").json()["acting_organisation"] == second.organisation_id
    # when they no longer belong to the current one, the first membership acts
    second.delete()
    assert client.get("/api/v1/me/").json()["acting_organisation"] == first.organisation_id
    # and without any membership, nobody: lists answer, acts are refused
    first.delete()
    assert client.get("/api/v1/me/").json()["acting_organisation"] is None
    assert client.get("/api/v1/lots/").status_code == 200
    assert client.post("/api/v1/lots/", {}).status_code == 403


def test_a_token_reads_the_membership_of_the_organisation_named_with_it(
    client_for, django_assert_num_queries
):
    """The token, its person and the membership they act through (the organisation the
    request names, else their current one) are one query: ``me`` costs that, the
    person's groups and their memberships, whichever organisation acts."""
    # given a person in two organisations, the first one current
    first = MembershipFactory(role="viewer")
    person = first.user
    second = MembershipFactory(user=person, role="admin")
    person.current_organisation = first.organisation
    person.save(update_fields=["current_organisation"])
    for named, acting in ((None, first), (second, second), (first, first)):
        client = client_for(person, organisation=named and named.organisation)
        with django_assert_num_queries(3):
            body = client.get("/api/v1/me/").json()
        assert body["acting_organisation"] == acting.organisation_id


def test_acting_for_an_organisation_i_do_not_belong_to_is_forbidden(fed_admin, client_for):
    stranger = OrganisationFactory()
    for named in (stranger.pk, "0", "-1", "x", str(2**64)):
        client = client_for(fed_admin.user)
        client.credentials(**client._credentials, HTTP_X_ORGANISATION=str(named))
        for url in ("/api/v1/me/", "/api/v1/sites/", "/api/v1/organisations/"):
            response = client.get(url)
            assert response.status_code == 403, (named, url)
            assert response.json()["code"] == "not_a_member"
            assert response.json()["errors"]["X-Organisation"]
    response = client_for(fed_admin.user).patch(
        "/api/v1/me/", {"current_organisation": stranger.pk}
    )
    assert response.status_code == 403
    fed_admin.user.refresh_from_db()
    assert fed_admin.user.current_organisation_id == fed_admin.organisation_id


def test_an_unknown_language_is_refused(fed_admin, client_for):
    response = client_for(fed_admin.user).patch("/api/v1/me/", {"language": "es"})
    assert response.status_code == 400
    assert "language" in response.json()["errors"]


def test_the_token_endpoint_is_throttled_per_account_and_per_address(api_client, settings):
    # given five wrong passwords for one account, by username and by e-mail address
    UserFactory(username="an", email="an@example.org")
    for attempt in range(settings.EXCHANGE_LOGIN_FAILURES_PER_ACCOUNT):
        login = "an" if attempt % 2 else "AN@example.org"
        response = api_client.post(
            "/api/v1/auth/token/",
            {"username": login, "password": "nope"},
            REMOTE_ADDR=f"127.0.0.{attempt + 2}",
        )
        assert response.status_code == 400, attempt
    # then even the right password gets 429 with Retry-After, and no token
    response = api_client.post(
        "/api/v1/auth/token/", {"username": "an", "password": "correct horse battery"}
    )
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert 0 < int(response["Retry-After"]) <= settings.EXCHANGE_LOGIN_FAILURES_WINDOW_SECONDS
    assert "token" not in response.json()
    # the web sign-in counts the same failures
    web = api_client.post("/accounts/login/", {"login": "an", "password": "correct horse battery"})
    assert web.status_code == 429


def test_the_token_endpoint_is_throttled_per_address(api_client, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/300s/ip,5/300s/key"}
    UserFactory(username="innocent")
    for n in range(3):
        api_client.post(
            "/api/v1/auth/token/",
            {"username": f"guess{n}", "password": "x"},
            REMOTE_ADDR="127.0.0.5",
        )
    body = {"username": "innocent", "password": "correct horse battery"}
    assert api_client.post("/api/v1/auth/token/", body, REMOTE_ADDR="127.0.0.5").status_code == 429
    assert api_client.post("/api/v1/auth/token/", body, REMOTE_ADDR="127.0.0.6").status_code == 200


def test_an_unverified_address_gets_no_token(api_client):
    UserFactory(username="fresh", email_verified=False)
    response = api_client.post(
        "/api/v1/auth/token/", {"username": "fresh", "password": "correct horse battery"}
    )
    assert response.status_code == 403
    assert response.json()["code"] == "email_not_verified"
