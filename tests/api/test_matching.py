import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from exchange.categories.models import Category
from exchange.matching.models import Match, WantedRequest
from exchange.matching.services.engine import match_wanted
from exchange.matching.services.wanted import WantedInput, wanted_create
from tests.factories import LotFactory, MembershipFactory, OrganisationFactory, SiteFactory

pytestmark = pytest.mark.django_db

LATER = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()


@pytest.fixture
def setup(fed_admin, categories):
    federal = MembershipFactory(organisation=OrganisationFactory(kind="federal"), role="member")
    site = SiteFactory(
        organisation=federal.organisation, latitude=Decimal("50.85"), longitude=Decimal("4.35")
    )
    owner_site = SiteFactory(organisation=fed_admin.organisation)
    return {
        "federal": federal,
        "site": site,
        "owner": fed_admin,
        "owner_site": owner_site,
        "desk": Category.objects.get(code="desk"),
    }


def body(setup, **overrides):
    data = {
        "category": setup["desk"].pk,
        "quantity": 10,
        "min_condition": "fair",
        "site": setup["site"].pk,
        "max_distance_km": 25,
        "valid_until": LATER,
    }
    data.update(overrides)
    return data


def test_wanted_requests_and_their_matches(client_for, setup):
    client = client_for(setup["federal"].user)
    response = client.post("/api/v1/wanted/", body(setup), format="json")
    assert response.status_code == 201, response.json()
    wanted_id = response.json()["id"]
    good = LotFactory(site=setup["owner_site"], category=setup["desk"], quantity=20, published=True)
    small = LotFactory(site=setup["owner_site"], category=setup["desk"], quantity=2, published=True)
    match_wanted(wanted_id=wanted_id)
    matches = client.get("/api/v1/matches/", {"wanted": wanted_id}).json()["results"]
    assert [m["lot"]["id"] for m in matches] == [good.pk, small.pk]  # best score first
    assert matches[0]["score"] > matches[1]["score"]
    assert matches[1]["reasons"]["quantity_coverage"] == 0.2
    response = client.post(f"/api/v1/matches/{matches[1]['id']}/dismiss/")
    assert response.json()["status"] == "dismissed"
    assert client.post(f"/api/v1/matches/{matches[1]['id']}/claim/").status_code == 409
    response = client.post(f"/api/v1/matches/{matches[0]['id']}/claim/")
    assert response.status_code == 201, response.json()
    assert response.json()["quantity"] == 10
    assert client.get(f"/api/v1/wanted/{wanted_id}/").json()["status"] == "fulfilled"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"category": 999999}, "category"),
        ({"quantity": 0}, "quantity"),
        ({"max_distance_km": 0}, "max_distance_km"),
        ({"max_distance_km": 600}, "max_distance_km"),
        ({"valid_until": "2001-01-01"}, "valid_until"),
        ({"site": None, "max_distance_km": None}, "site"),
    ],
)
def test_bad_wanted_requests_get_400_and_nothing_is_written(client_for, setup, overrides, field):
    response = client_for(setup["federal"].user).post(
        "/api/v1/wanted/", body(setup, **overrides), format="json"
    )
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    assert not WantedRequest.objects.exists()


def test_a_site_of_another_organisation_is_refused(client_for, setup):
    response = client_for(setup["federal"].user).post(
        "/api/v1/wanted/", body(setup, site=setup["owner_site"].pk), format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["site"]


def test_others_neither_see_nor_act_on_requests_and_matches(client_for, setup):
    client = client_for(setup["federal"].user)
    wanted_id = client.post("/api/v1/wanted/", body(setup), format="json").json()["id"]
    LotFactory(site=setup["owner_site"], category=setup["desk"], published=True)
    match_wanted(wanted_id=wanted_id)
    match_id = client.get("/api/v1/matches/").json()["results"][0]["id"]
    stranger = client_for(MembershipFactory(organisation=OrganisationFactory(), role="admin").user)
    assert stranger.get(f"/api/v1/wanted/{wanted_id}/").status_code == 404
    assert (
        stranger.patch(f"/api/v1/wanted/{wanted_id}/", {"quantity": 3}, format="json").status_code
        == 404
    )
    assert stranger.post(f"/api/v1/matches/{match_id}/dismiss/").status_code == 404
    assert stranger.post(f"/api/v1/matches/{match_id}/claim/").status_code == 404
    assert stranger.get("/api/v1/matches/").json()["count"] == 0
    assert (
        client.patch(f"/api/v1/wanted/{wanted_id}/", {"quantity": 3}, format="json").json()[
            "quantity"
        ]
        == 3
    )
    assert client.delete(f"/api/v1/wanted/{wanted_id}/").status_code == 204
    assert client.get(f"/api/v1/wanted/{wanted_id}/").json()["status"] == "withdrawn"


def _requests_with_new_matches(setup, count: int) -> None:
    """``count`` wanted requests of the federal member, the odd ones with a new match."""
    lot = LotFactory(site=setup["owner_site"], category=setup["desk"], published=True)
    for index in range(count):
        wanted = wanted_create(
            actor=setup["federal"],
            data=WantedInput(
                category=setup["desk"],
                quantity=index + 1,
                min_condition="fair",
                site=setup["site"],
                max_distance_km=25,
                valid_until=timezone.localdate() + datetime.timedelta(days=30),
            ),
        )
        if index % 2:
            Match.objects.create(lot=lot, wanted=wanted, score=0.5, reasons={})


def test_the_wanted_list_counts_new_matches_in_constant_queries(
    client_for, setup, django_assert_max_num_queries
):
    client = client_for(setup["federal"].user)
    _requests_with_new_matches(setup, 2)
    with django_assert_max_num_queries(4) as two:
        rows = client.get("/api/v1/wanted/").json()["results"]
    assert sorted(row["matches_new"] for row in rows) == [0, 1]
    _requests_with_new_matches(setup, 8)
    with django_assert_max_num_queries(4) as ten:
        rows = client.get("/api/v1/wanted/").json()["results"]
    assert sorted(row["matches_new"] for row in rows) == [0] * 5 + [1] * 5
    assert len(two.captured_queries) == len(ten.captured_queries)


def test_a_request_with_a_maximum_size_matches_only_lots_that_fit(client_for, setup):
    # given a request for desks of at most 140 × 70 cm, as a user posts it
    client = client_for(setup["federal"].user)
    response = client.post(
        "/api/v1/wanted/", body(setup, max_width_cm=140, max_depth_cm=70), format="json"
    )
    assert response.status_code == 201, response.json()
    wanted_id = response.json()["id"]
    assert (response.json()["max_width_cm"], response.json()["max_height_cm"]) == (140, None)
    # and lots posted through the API with their sizes
    owner = client_for(setup["owner"].user)

    def post_lot(title, **size):
        lot = owner.post(
            "/api/v1/lots/",
            {
                "site": setup["owner_site"].pk,
                "category": setup["desk"].pk,
                "title": title,
                "quantity": 10,
                "condition": "good",
                "available_until": LATER,
                **size,
            },
            format="json",
        )
        assert lot.status_code == 201, lot.json()
        owner.post(f"/api/v1/lots/{lot.json()['id']}/publish/")
        return lot.json()

    fits = post_lot("Desks 120", width_cm=120, depth_cm=60, height_cm=75)
    too_wide = post_lot("Desks 160", width_cm=160, depth_cm=60, height_cm=75)
    unknown = post_lot("Desks, size not stated")
    assert (fits["width_cm"], fits["depth_cm"], fits["height_cm"]) == (120, 60, 75)
    # when it is matched
    match_wanted(wanted_id=wanted_id)
    # then the desk that is too wide is no match
    matched = {
        m["lot"]["id"]
        for m in client.get("/api/v1/matches/", {"wanted": wanted_id}).json()["results"]
    }
    assert matched == {fits["id"], unknown["id"]}
    assert too_wide["id"] not in matched


@pytest.mark.parametrize(
    "size", [{"max_width_cm": 0}, {"max_height_cm": 2001}, {"max_depth_cm": "x"}]
)
def test_a_maximum_size_out_of_range_is_a_400(client_for, setup, size):
    response = client_for(setup["federal"].user).post(
        "/api/v1/wanted/", body(setup, **size), format="json"
    )
    assert response.status_code == 400
    assert set(size) <= set(response.json()["errors"])
    assert not WantedRequest.objects.exists()
