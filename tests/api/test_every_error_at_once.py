"""Every write of the API answers all its errors at once (#12): one 400 with every
field and its reason, the service's rules run on every field that parsed."""

import pytest

from exchange.lots.models import Lot
from tests.api.test_lots import lot_body
from tests.factories import SiteFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("categories")]


@pytest.fixture
def owner(fed_admin):
    fed_admin.site = SiteFactory(organisation=fed_admin.organisation, name="HQ")
    return fed_admin


def test_a_new_lot_with_four_mistakes_answers_the_four_at_once(client_for, owner):
    # given the combination of the issue
    body = lot_body(
        owner.site,
        quantity=-3,
        unit_weight_kg="-2",
        available_until="2020-03-01",
        federal_window_days=30,
    )
    # when it is posted once
    response = client_for(owner.user).post("/api/v1/lots/", body, format="json")
    # then one 400 names every field and its reason, and nothing is written
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"quantity", "unit_weight_kg", "available_until", "federal_window_days"}
    assert "past" in errors["available_until"][0]
    assert "0 to 10 days" in errors["federal_window_days"][0]
    assert not Lot.objects.exists()


def test_a_change_to_a_draft_answers_every_mistake_at_once(client_for, owner):
    client = client_for(owner.user)
    lot = client.post("/api/v1/lots/", lot_body(owner.site), format="json").json()
    response = client.patch(
        f"/api/v1/lots/{lot['id']}/",
        {"quantity": "many", "available_until": "2020-01-01", "social_economy_window_days": 2},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"quantity", "available_until", "window_reason"}


def test_a_device_list_error_names_the_device_beside_the_other_fields(client_for, owner):
    body = lot_body(
        owner.site,
        category=None,
        quantity=2,
        items=[{"serial_number": "SN-1"}, {"serial_number": "SN-1"}, {"serial_number": "SN-2"}],
    )
    response = client_for(owner.user).post("/api/v1/lots/", body, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "category" in errors
    assert "items" in errors  # three devices for a quantity of two
    assert "items.1.serial_number" in errors  # the same serial number twice


# --- Wanted requests -------------------------------------------------------------------


def test_a_wanted_request_answers_every_mistake_at_once(client_for, owner):
    from exchange.categories.models import Category

    body = {
        "category": Category.objects.get(code="desk").pk,
        "quantity": 0,
        "site": owner.site.pk,
        "max_distance_km": 9999,
        "valid_until": "2020-06-30",
        "note": "x" * 2001,
    }
    response = client_for(owner.user).post("/api/v1/wanted/", body, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"quantity", "max_distance_km", "valid_until", "note"}


# --- Reuse checks ----------------------------------------------------------------------


def test_a_reuse_check_answers_every_mistake_at_once(client_for, owner):
    from exchange.categories.models import Category

    body = {
        "category": Category.objects.get(code="desk").pk,
        "quantity": -2,
        "region": "BRU",
        "needed_by": "2020-01-15",
        "estimated_value_eur": "6000",
        "file_reference": "   ",
    }
    response = client_for(owner.user).post("/api/v1/reuse-checks/", body, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"quantity", "needed_by", "file_reference"}


# --- Claims ----------------------------------------------------------------------------


def test_a_claim_answers_its_quantity_and_note_mistakes_at_once(client_for, owner, make_member):
    from tests.factories import LotFactory

    lot = LotFactory(site=owner.site, quantity=10, published=True)
    claimant = make_member(kind="federal", name="FPS Beta")
    response = client_for(claimant.user).post(
        "/api/v1/claims/", {"lot": lot.pk, "quantity": 0, "note": "x" * 2001}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"quantity", "note"}


def test_a_handover_answers_its_quantity_and_weight_mistakes_at_once(
    client_for, owner, make_member
):
    from exchange.claims.services import claim_approve, claim_create
    from tests.factories import LotFactory

    lot = LotFactory(site=owner.site, quantity=10, published=True)
    claimant = make_member(kind="federal", name="FPS Beta")
    claim = claim_approve(actor=owner, claim=claim_create(actor=claimant, lot=lot, quantity=3))
    response = client_for(owner.user).post(
        f"/api/v1/claims/{claim.pk}/collect/", {"quantity": 5, "weight_kg": "-1"}, format="json"
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"quantity", "weight_kg"}
    assert errors["quantity"] == ["At most 3 units were approved."]


# --- Organisations and sites --------------------------------------------------------------


def test_a_registration_answers_a_taken_name_and_a_bad_number_and_a_bad_address_at_once(
    client_for, owner
):
    from exchange.organisations.models import Organisation
    from tests.factories import UserFactory

    # given a verified organisation's name, an enterprise number failing its check digits
    # and an e-mail address that is none: before, the name was said only after the rest
    taken = owner.organisation.name
    body = {
        "name": taken,
        "kind": "public",
        "enterprise_number": "0308.357.158",
        "region": "WAL",
        "email": "not-an-address",
    }
    response = client_for(UserFactory()).post("/api/v1/organisations/", body, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"name", "enterprise_number", "email"}
    assert Organisation.objects.filter(name=taken).count() == 1


def test_a_site_answers_its_postcode_and_coordinates_mistakes_at_once(client_for, owner):
    body = {
        "name": "Depot",
        "street": "Rue 1",
        "postcode": "99",
        "municipality": "Nowhere",
        "latitude": "48.1",
        "longitude": "east",
    }
    response = client_for(owner.user).post("/api/v1/sites/", body, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"postcode", "latitude", "longitude"}


# --- Sanitisation attestations ----------------------------------------------------------


def test_an_attestation_answers_every_mistake_at_once(client_for, owner):
    from exchange.categories.models import Category
    from tests.factories import LotFactory

    lot = LotFactory(site=owner.site, category=Category.objects.get(code="laptop"))
    response = client_for(owner.user).post(
        f"/api/v1/lots/{lot.pk}/sanitisation/",
        {"method": "shred", "performed_on": "2999-01-01", "responsible_person": "  "},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"method", "performed_on", "responsible_person"}
