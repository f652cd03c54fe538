"""The bounds of what people type (exchange/common/limits.py): dates at most 18 months
ahead and not past, free texts of a bounded length; the refusal is a 400 that names the
field and the bound, in the reader's language, on the pages and in the API."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from exchange.categories.models import Category
from exchange.claims.models import Claim
from exchange.common.limits import (
    DESCRIPTION_MAX,
    NOTE_MAX,
    date_ahead_limit,
)
from exchange.lots.models import Lot
from exchange.matching.models import WantedRequest
from tests.factories import LotFactory, MembershipFactory, OrganisationFactory, SiteFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("categories")]

TODAY = timezone.localdate()
LIMIT = date_ahead_limit(TODAY)


@pytest.fixture
def owner(fed_admin):
    fed_admin.site = SiteFactory(organisation=fed_admin.organisation, name="HQ")
    return fed_admin


def lot_body(owner, **overrides):
    return {
        "site": owner.site.pk,
        "category": Category.objects.get(code="office-chair").pk,
        "title": "Office chairs",
        "quantity": 2,
        "condition": "good",
        "available_until": (TODAY + datetime.timedelta(days=30)).isoformat(),
        **overrides,
    }


def test_the_limit_is_18_months_ahead_on_the_same_day_or_the_months_last():
    assert date_ahead_limit(datetime.date(2026, 12, 4)) == datetime.date(2028, 6, 4)
    assert date_ahead_limit(datetime.date(2026, 8, 31)) == datetime.date(2028, 2, 29)
    assert date_ahead_limit(datetime.date(2027, 8, 31)) == datetime.date(2029, 2, 28)


@pytest.mark.parametrize(
    ("overrides", "field", "says"),
    [
        ({"available_until": "9999-12-31"}, "available_until", f"{LIMIT.isoformat()}"),
        (
            {"available_until": (LIMIT + datetime.timedelta(days=1)).isoformat()},
            "available_until",
            "18 months",
        ),
        ({"available_until": "2001-01-01"}, "available_until", "past"),
        ({"description": "x" * (DESCRIPTION_MAX + 1)}, "description", f"{DESCRIPTION_MAX}"),
        ({"pickup_notes": "x" * (NOTE_MAX + 1)}, "pickup_notes", f"{NOTE_MAX}"),
        ({"title": "x" * 201}, "title", "200"),
    ],
)
def test_a_lot_beyond_a_bound_is_400_naming_the_field_and_the_bound(
    client_for, owner, overrides, field, says
):
    response = client_for(owner.user).post(
        "/api/v1/lots/", lot_body(owner, **overrides), format="json"
    )
    assert response.status_code == 400, response.json()
    assert says in " ".join(response.json()["errors"][field]), response.json()
    assert not Lot.objects.exists()


def test_a_lot_at_the_bounds_is_taken(client_for, owner):
    body = lot_body(
        owner,
        available_until=LIMIT.isoformat(),
        description="é" * DESCRIPTION_MAX,
        pickup_notes="x" * NOTE_MAX,
    )
    response = client_for(owner.user).post("/api/v1/lots/", body, format="json")
    assert response.status_code == 201, response.json()
    assert len(Lot.objects.get().description) == DESCRIPTION_MAX


def test_an_edit_beyond_a_bound_is_400_and_changes_nothing(client_for, owner):
    lot = LotFactory(site=owner.site, description="before")
    response = client_for(owner.user).patch(
        f"/api/v1/lots/{lot.pk}/",
        {"description": "x" * (DESCRIPTION_MAX + 1), "available_until": "9999-12-31"},
        format="json",
    )
    assert response.status_code == 400, response.json()
    assert "description" in response.json()["errors"]
    response = client_for(owner.user).patch(
        f"/api/v1/lots/{lot.pk}/", {"available_until": "9999-12-31"}, format="json"
    )
    assert response.status_code == 400, response.json()
    assert "available_until" in response.json()["errors"]
    lot.refresh_from_db()
    assert lot.description == "before"
    assert lot.available_until < LIMIT


def test_the_lot_form_names_the_bounds_in_the_readers_language(client, owner):
    owner.user.language = "nl"
    owner.user.save(update_fields=["language"])
    client.force_login(owner.user)
    data = {
        "title": "Bureaustoelen",
        "category": Category.objects.get(code="office-chair").pk,
        "quantity": "2",
        "condition": "good",
        "site": owner.site.pk,
        "available_until": "9999-12-31",
    }
    page = client.post(reverse("lots:create"), data).content.decode()
    assert "Kies een datum ten hoogste 18 maanden vooruit: uiterlijk " + LIMIT.isoformat() in page
    data.update(available_until=LIMIT.isoformat(), description="x" * (DESCRIPTION_MAX + 1))
    page = client.post(reverse("lots:create"), data).content.decode()
    assert "niet meer dan 5000 tekens bevat" in page
    assert 'maxlength="5000"' in page
    assert not Lot.objects.exists()


@pytest.fixture
def federal():
    member = MembershipFactory(organisation=OrganisationFactory(kind="federal"), role="member")
    member.site = SiteFactory(organisation=member.organisation)
    return member


@pytest.mark.parametrize(
    ("overrides", "field", "says"),
    [
        ({"valid_until": "9999-12-31"}, "valid_until", LIMIT.isoformat()),
        ({"note": "x" * (NOTE_MAX + 1)}, "note", str(NOTE_MAX)),
    ],
)
def test_a_wanted_request_beyond_a_bound_is_400(client_for, federal, overrides, field, says):
    body = {
        "category": Category.objects.get(code="desk").pk,
        "quantity": 3,
        "min_condition": "fair",
        "site": federal.site.pk,
        "max_distance_km": 25,
        "valid_until": LIMIT.isoformat(),
        **overrides,
    }
    response = client_for(federal.user).post("/api/v1/wanted/", body, format="json")
    assert response.status_code == 400, response.json()
    assert says in " ".join(response.json()["errors"][field])
    assert not WantedRequest.objects.exists()


def test_the_wanted_form_refuses_a_date_beyond_the_bound(client, federal):
    client.force_login(federal.user)
    response = client.post(
        reverse("matching:create"),
        {
            "category": Category.objects.get(code="desk").pk,
            "quantity": "3",
            "min_condition": "fair",
            "place": "region",
            "region": "BRU",
            "valid_until": "9999-12-31",
        },
    )
    assert "18 months" in response.content.decode()
    assert not WantedRequest.objects.exists()


def test_a_claims_note_beyond_its_bound_is_refused_by_the_service(federal, owner):
    from exchange.claims.services import claim_create
    from exchange.common.errors import ApplicationError

    lot = LotFactory(site=owner.site, quantity=5, published=True)
    with pytest.raises(ApplicationError) as refused:
        claim_create(actor=federal, lot=lot, quantity=1, note="x" * (NOTE_MAX + 1))
    assert refused.value.field == "note"
    assert str(NOTE_MAX) in refused.value.message
    assert not Claim.objects.exists()


@pytest.mark.parametrize(
    ("method", "url", "body", "field"),
    [
        ("post", "/api/v1/lots/publish-selected/", {"lots": [2**64]}, "lots.0"),
        ("patch", "/api/v1/me/", {"current_organisation": 2**64}, "current_organisation"),
        ("post", "/api/v1/notifications/read/", {"ids": [2**64]}, "ids.0"),
    ],
)
def test_an_id_beyond_what_the_database_holds_is_400_naming_the_field(
    client_for, owner, method, url, body, field
):
    # an id of 2**64 (beyond a 64-bit integer), which SQLite's driver cannot even send
    response = getattr(client_for(owner.user), method)(url, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"], response.json()
