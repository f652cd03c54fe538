"""Adding a site on the organisation's page: the point and the municipality come from
the postcode table unless the person gives them."""

from decimal import Decimal

import pytest

from exchange.organisations.models import Site

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, fed_admin):
    client.force_login(fed_admin.user)
    return client


def _post(client, organisation, **fields):
    data = {
        "add_site": "1",
        "site-name": "Liège depot",
        "site-street": "Quai de la Batte 10",
        "site-postcode": "4000",
        "site-municipality": "",
        "site-latitude": "",
        "site-longitude": "",
    }
    data.update({f"site-{k}": v for k, v in fields.items()})
    return client.post(f"/organisations/{organisation.pk}/", data)


def test_a_site_typed_without_a_point_gets_the_point_and_municipality_of_its_postcode(
    admin_client, fed_admin
):
    # given the page asks for the point only as a correction
    page = admin_client.get(f"/organisations/{fed_admin.organisation_id}/")
    assert b"site-postcode.js" in page.content
    # when the person types the address without a point
    response = _post(admin_client, fed_admin.organisation)
    # then the site lies at Liège, in Wallonia
    assert response.status_code == 302
    site = Site.objects.get(name="Liège depot")
    assert (site.latitude, site.longitude) == (Decimal("50.6482"), Decimal("5.5419"))
    assert site.municipality == "Liège"
    assert site.region == "WAL"


def test_a_corrected_point_is_kept(admin_client, fed_admin):
    response = _post(
        admin_client,
        fed_admin.organisation,
        municipality="Luik",
        latitude="50.62",
        longitude="5.57",
    )
    assert response.status_code == 302
    site = Site.objects.get(name="Liège depot")
    assert (site.latitude, site.longitude, site.municipality) == (
        Decimal("50.62"),
        Decimal("5.57"),
        "Luik",
    )


def test_half_a_point_or_an_unknown_postcode_is_refused_on_the_form(admin_client, fed_admin):
    response = _post(admin_client, fed_admin.organisation, latitude="50.62")
    assert response.status_code == 200
    assert "Give both the latitude and the longitude" in response.content.decode()
    response = _post(admin_client, fed_admin.organisation, postcode="1299")
    assert "No point is known for postcode 1299" in response.content.decode()
    assert not Site.objects.filter(name="Liège depot").exists()


def test_the_form_asks_for_the_place_of_a_postcode_while_typing(admin_client, client):
    answer = admin_client.get("/organisations/postcodes/9000/", HTTP_ACCEPT_LANGUAGE="nl")
    assert answer.json() == {
        "postcode": "9000",
        "municipality": "Gent",
        "region": "VLG",
        "latitude": "51.0397",
        "longitude": "3.7142",
    }
    assert admin_client.get("/organisations/postcodes/0999/").status_code == 404
    assert admin_client.get("/organisations/postcodes/abcd/").status_code == 404
