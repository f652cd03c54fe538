import pytest

from exchange.common.models import AuditEvent
from exchange.organisations.models import Site
from tests.factories import LotFactory, SiteFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/sites/"
SITE = {
    "name": "Namur depot",
    "street": "Rue de Fer 12",
    "postcode": "5000",
    "municipality": "Namur",
    "latitude": "50.4669",
    "longitude": "4.8675",
}


def test_admins_add_sites_and_see_only_their_own(client_for, fed_admin):
    foreign = SiteFactory()
    client = client_for(fed_admin.user)
    response = client.post(URL, SITE, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["region"] == "WAL"
    ids = [s["id"] for s in client.get(URL).json()["results"]]
    assert ids == [response.json()["id"]]
    assert client.get(f"{URL}{foreign.pk}/").status_code == 404
    assert client.patch(f"{URL}{foreign.pk}/", {"name": "x"}).status_code == 404
    assert client.delete(f"{URL}{foreign.pk}/").status_code == 404
    foreign.refresh_from_db()
    assert foreign.name != "x"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"latitude": "52.3676", "longitude": "4.9041"}, "latitude"),  # Amsterdam
        ({"longitude": "-0.12"}, "longitude"),
        ({"latitude": "north"}, "latitude"),
        ({"region": "XYZ"}, "region"),
        ({"region": "VLG"}, "region"),  # 5000 is in Wallonia
        ({"postcode": "50000"}, "postcode"),
    ],
)
def test_bad_sites_get_400_and_nothing_is_written(client_for, fed_admin, overrides, field):
    response = client_for(fed_admin.user).post(URL, {**SITE, **overrides}, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    assert not Site.objects.exists()


def test_members_who_are_not_admins_cannot_add_sites(client_for, make_member):
    viewer = make_member("viewer")
    response = client_for(viewer.user).post(URL, SITE, format="json")
    assert response.status_code == 403
    assert not Site.objects.exists()


def test_someone_without_an_organisation_gets_a_clear_403(client_for):
    from tests.factories import UserFactory

    response = client_for(UserFactory()).get(URL)
    assert response.status_code == 403
    assert response.json()["code"] == "no_organisation"


def test_a_site_that_still_has_lots_is_not_deleted_and_the_answer_says_why(client_for, fed_admin):
    # given a site that is the pickup site of two lots
    site = SiteFactory(organisation=fed_admin.organisation)
    LotFactory(site=site)
    LotFactory(site=site)
    client = client_for(fed_admin.user)

    # when its admin deletes it
    response = client.delete(f"{URL}{site.pk}/")

    # then 409 names what holds it, and the site and its lots stay, with no audit of a delete
    assert response.status_code == 409, response.content
    body = response.json()
    assert body["code"] == "site_in_use"
    assert body["held_by"] == {"lot": 2}
    assert "2 lots" in body["detail"]
    assert Site.objects.filter(pk=site.pk).exists()
    assert not AuditEvent.objects.filter(action="delete", object_id=str(site.pk)).exists()
    # and a site nothing refers to is deleted
    empty = SiteFactory(organisation=fed_admin.organisation)
    assert client.delete(f"{URL}{empty.pk}/").status_code == 204


def test_a_site_without_a_point_takes_its_postcodes_point(client_for, fed_admin):
    # given an address in Ghent without municipality nor coordinates
    fields = {"name": "Gent depot", "street": "Kouter 1", "postcode": "9000"}
    # when it is added
    response = client_for(fed_admin.user).post(URL, fields, format="json")
    # then it lies where the postcode table puts 9000, in Flanders
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["latitude"], body["longitude"]) == ("51.039700", "3.714200")
    assert (body["municipality"], body["region"]) == ("Gent", "VLG")


def test_a_new_postcode_moves_the_point_unless_a_point_is_given(client_for, fed_admin):
    client = client_for(fed_admin.user)
    site = client.post(URL, SITE, format="json").json()
    moved = client.patch(f"{URL}{site['id']}/", {"postcode": "1000"}, format="json").json()
    assert (moved["latitude"], moved["longitude"], moved["region"]) == (
        "50.846600",
        "4.351700",
        "BRU",
    )
    kept = client.patch(
        f"{URL}{site['id']}/",
        {"postcode": "4000", "latitude": "50.6", "longitude": "5.6"},
        format="json",
    ).json()
    assert (kept["latitude"], kept["longitude"], kept["region"]) == ("50.600000", "5.600000", "WAL")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"latitude": "50.5"}, "longitude"),  # half a point
        ({"postcode": "1299", "latitude": None, "longitude": None}, "latitude"),  # no point known
    ],
)
def test_a_point_that_cannot_be_made_is_a_400(client_for, fed_admin, overrides, field):
    fields = {k: v for k, v in SITE.items() if k not in ("latitude", "longitude")}
    response = client_for(fed_admin.user).post(URL, {**fields, **overrides}, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    assert not Site.objects.exists()
