import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from exchange.categories.models import Category
from exchange.claims.models import Claim
from exchange.impact.models import ImpactRecord
from exchange.impact.services.records import impact_record_for_claim, impact_record_for_lot_close
from exchange.lots.models import Lot
from tests.factories import LotFactory, MembershipFactory, OrganisationFactory, SiteFactory

pytestmark = pytest.mark.django_db

CLAIMS = "/api/v1/claims/"


@pytest.fixture
def parties(fed_admin, categories):
    social = MembershipFactory(
        organisation=OrganisationFactory(
            social_economy=True, name="Kringwinkel Noord", language="nl"
        ),
        role="member",
    )
    federal = MembershipFactory(
        organisation=OrganisationFactory(kind="federal", name="FPS Beta", language="fr"),
        role="member",
    )
    lot = LotFactory(
        site=SiteFactory(organisation=fed_admin.organisation),
        title="Desks 160x80",
        quantity=25,
        published=True,
        category=Category.objects.get(code="desk"),
    )
    return {"owner": fed_admin, "federal": federal, "social": social, "lot": lot}


def test_the_whole_exchange_through_the_api(client_for, parties):
    owner = client_for(parties["owner"].user)
    federal = client_for(parties["federal"].user)
    social = client_for(parties["social"].user)
    lot = parties["lot"]
    # another federal service claims part of the lot in the federal window
    response = federal.post(CLAIMS, {"lot": lot.pk, "quantity": 10, "note": "Ghent office"})
    assert response.status_code == 201, response.json()
    federal_claim = response.json()
    assert (federal_claim["status"], federal_claim["tier"]) == ("pending", "federal")
    # the social-economy enterprise is refused until its window opens
    response = social.post(CLAIMS, {"lot": lot.pk, "quantity": 15})
    assert response.status_code == 403
    assert response.json()["code"] == "tier_not_open"
    assert response.json()["opens_at"]
    assert "federal" in response.json()["tier"]
    Lot.objects.filter(pk=lot.pk).update(
        social_economy_opens_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    response = social.post(CLAIMS, {"lot": lot.pk, "quantity": 16})
    assert response.status_code == 409
    assert response.json()["quantity_available"] == 15
    response = social.post(CLAIMS, {"lot": lot.pk, "quantity": 15})
    assert response.status_code == 201
    social_claim = response.json()
    assert Lot.objects.get(pk=lot.pk).status == "reserved"
    # the owner sees both in its inbox, approves, schedules and confirms the handovers
    inbox = owner.get(CLAIMS, {"role": "owner", "status": "pending"}).json()
    assert {c["id"] for c in inbox["results"]} == {federal_claim["id"], social_claim["id"]}
    slot = (timezone.now() + datetime.timedelta(days=1)).isoformat()
    for claim, collected, weight in ((federal_claim, 10, "352.0"), (social_claim, 15, None)):
        url = f"{CLAIMS}{claim['id']}/"
        assert owner.post(f"{url}approve/").json()["status"] == "approved"
        assert owner.post(f"{url}schedule/", {"pickup_at": slot}).status_code == 200
        body = {"quantity": collected} | ({"weight_kg": weight} if weight else {})
        # the slot is tomorrow: a handover today is recorded only once confirmed
        early = owner.post(f"{url}collect/", body)
        assert early.status_code == 409, early.json()
        assert early.json()["code"] == "handover_before_slot"
        assert owner.get(url).json()["status"] == "approved"
        response = owner.post(f"{url}collect/", body | {"before_slot_confirmed": True})
        assert response.status_code == 200, response.json()
        assert response.json()["collected_quantity"] == collected
    assert Lot.objects.get(pk=lot.pk).status == "closed"
    # the impact records (written by the task; run here in-process)
    for claim in (federal_claim, social_claim):
        impact_record_for_claim(claim_id=claim["id"])
    records = {
        r["claim"]: r for r in owner.get("/api/v1/impact/", {"lot": lot.pk}).json()["results"]
    }
    federal_record, social_record = records[federal_claim["id"]], records[social_claim["id"]]
    # desks: 35 kg each (indicative), 35 kg CO2e avoided a desk, 350 EUR new
    assert federal_record["outcome"] == "reused_federal"
    assert Decimal(federal_record["weight_kg"]) == Decimal("352.000")  # measured
    assert Decimal(federal_record["co2e_avoided_kg"]) == Decimal("350.000")
    assert Decimal(federal_record["replacement_value_eur"]) == Decimal("3500.00")
    assert social_record["outcome"] == "reused_social_economy"
    assert Decimal(social_record["weight_kg"]) == Decimal("525.000")  # 15 x 35 kg
    assert Decimal(social_record["co2e_avoided_kg"]) == Decimal("525.000")
    assert Decimal(social_record["replacement_value_eur"]) == Decimal("5250.00")
    assert social_record["factor_version"] == "2026.1"
    # the recipient sees its own record only; the claimant's view of claims
    assert [r["claim"] for r in social.get("/api/v1/impact/").json()["results"]] == [
        social_claim["id"]
    ]
    # both sides download the transfer document
    for client in (owner, social):
        response = client.get(f"{CLAIMS}{social_claim['id']}/document/")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF-")
    assert federal.get(f"{CLAIMS}{social_claim['id']}/document/").status_code == 404


def test_bad_claims_get_clear_answers_and_the_reservation_stays_right(client_for, parties):
    federal = client_for(parties["federal"].user)
    owner = client_for(parties["owner"].user)
    lot = parties["lot"]
    assert federal.post(CLAIMS, {"lot": lot.pk, "quantity": 0}).status_code == 400
    assert federal.post(CLAIMS, {"lot": lot.pk, "quantity": "ten"}).status_code == 400
    assert federal.post(CLAIMS, {"lot": 999999, "quantity": 1}).status_code == 400
    assert owner.post(CLAIMS, {"lot": lot.pk, "quantity": 1}).status_code == 403  # own lot
    claim = federal.post(CLAIMS, {"lot": lot.pk, "quantity": 5}).json()
    url = f"{CLAIMS}{claim['id']}/"
    assert federal.post(f"{url}approve/").status_code == 403  # not the owner
    assert owner.post(f"{url}decline/", {"reason": ""}).status_code == 400
    assert owner.post(f"{url}collect/", {"quantity": 5}).status_code == 409  # not approved
    assert federal.post(f"{url}cancel/").json()["status"] == "cancelled"
    assert owner.post(f"{url}approve/").status_code == 409  # approving a cancelled claim
    claim = federal.post(CLAIMS, {"lot": lot.pk, "quantity": 5}).json()
    url = f"{CLAIMS}{claim['id']}/"
    owner.post(f"{url}approve/")
    assert owner.post(f"{url}no-show/").status_code == 409  # no slot yet
    past = (timezone.now() - datetime.timedelta(hours=1)).isoformat()
    assert owner.post(f"{url}schedule/", {"pickup_at": past}).status_code == 400
    assert owner.post(f"{url}collect/", {"quantity": 6}).status_code == 400  # more than approved
    assert owner.post(f"{url}collect/", {"quantity": 5, "weight_kg": "-3"}).status_code == 400
    assert owner.post(f"{url}collect/", {"quantity": 5}).status_code == 200
    assert owner.post(f"{url}collect/", {"quantity": 5}).status_code == 409  # twice
    lot.refresh_from_db()
    assert lot.quantity_reserved == 5
    # a stranger sees none of it
    stranger = client_for(MembershipFactory(organisation=OrganisationFactory(), role="admin").user)
    assert stranger.get(url).status_code == 404
    assert stranger.post(f"{url}cancel/").status_code == 404
    assert stranger.get(CLAIMS).json()["count"] == 0


def test_a_lot_that_is_gone_answers_409_and_another_draft_stays_hidden(client_for, parties):
    federal = client_for(parties["federal"].user)
    lot = parties["lot"]
    assert federal.post(CLAIMS, {"lot": lot.pk, "quantity": 25}).status_code == 201
    # a late claimant on the fully reserved lot: 409 with what remains, not "no such lot"
    late = client_for(
        MembershipFactory(organisation=OrganisationFactory(kind="federal"), role="member").user
    )
    response = late.post(CLAIMS, {"lot": lot.pk, "quantity": 1})
    assert response.status_code == 409, response.json()
    assert response.json()["quantity_available"] == 0
    Lot.objects.filter(pk=lot.pk).update(status="withdrawn")
    response = late.post(CLAIMS, {"lot": lot.pk, "quantity": 1})
    assert (response.status_code, response.json()["code"]) == (409, "lot_not_open")
    draft = LotFactory(site=SiteFactory(organisation=parties["owner"].organisation))
    response = late.post(CLAIMS, {"lot": draft.pk, "quantity": 1})
    assert (response.status_code, response.json()["code"]) == (400, "lot_not_found")
    assert Claim.objects.filter(lot=draft).count() == 0


@pytest.mark.parametrize("auto_approve", [False, True])
def test_the_created_claim_answers_what_reading_it_back_shows(client_for, parties, auto_approve):
    """The 201 is built from what the claim wrote, not read again: it must be the
    claim as the API shows it afterwards, the lot's new status included."""
    from exchange.organisations.models import Organisation

    Organisation.objects.filter(pk=parties["owner"].organisation_id).update(
        auto_approve_claims=auto_approve
    )
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.get_for_model(Claim)  # cached by every process after its first use
    federal = client_for(parties["federal"].user)
    lot = parties["lot"]
    # PostgreSQL: the token with the acting membership, the lot with its owner, the
    # owner's people (and the claimant's when approved at once), the claim's id, the write
    with CaptureQueriesContext(connection) as queries:
        response = federal.post(CLAIMS, {"lot": lot.pk, "quantity": 25, "note": " Ghent "})
    assert response.status_code == 201, response.json()
    if connection.vendor == "postgresql":
        assert len(queries) == (6 if auto_approve else 5)
    assert not [q for q in queries if q["sql"].startswith('SELECT "claims_claim"')]
    created = response.json()
    assert created["lot"]["status"] == "reserved"
    assert created["status"] == ("approved" if auto_approve else "pending")
    assert created["note"] == "Ghent"
    assert created == federal.get(f"{CLAIMS}{created['id']}/").json()


def test_claims_list_costs_constant_queries(client_for, parties, django_assert_max_num_queries):
    owner = client_for(parties["owner"].user)
    for _ in range(12):
        claimant = MembershipFactory(
            organisation=OrganisationFactory(kind="federal"), role="member"
        )
        client_for(claimant.user).post(CLAIMS, {"lot": parties["lot"].pk, "quantity": 1})
    with django_assert_max_num_queries(8) as few:
        assert len(owner.get(CLAIMS, {"page_size": 3}).json()["results"]) == 3
    with django_assert_max_num_queries(8) as many:
        assert len(owner.get(CLAIMS, {"page_size": 12}).json()["results"]) == 12
    assert len(few.captured_queries) == len(many.captured_queries)


def test_closing_an_expired_lot_records_the_remainder(client_for, parties):
    owner = client_for(parties["owner"].user)
    federal = client_for(parties["federal"].user)
    lot = parties["lot"]
    claim = federal.post(CLAIMS, {"lot": lot.pk, "quantity": 5}).json()
    assert owner.post(f"/api/v1/lots/{lot.pk}/close/", {"outcome": "sold"}).status_code == 409
    Lot.objects.filter(pk=lot.pk).update(status="expired")
    response = owner.post(f"/api/v1/lots/{lot.pk}/close/", {"outcome": "recycled"})
    assert response.status_code == 409  # a pending claim is still live
    owner.post(f"{CLAIMS}{claim['id']}/decline/", {"reason": "Too late"})
    assert owner.post(f"/api/v1/lots/{lot.pk}/close/", {"outcome": "burned"}).status_code == 400
    assert federal.post(f"/api/v1/lots/{lot.pk}/close/", {"outcome": "sold"}).status_code in (
        403,
        404,
    )
    response = owner.post(f"/api/v1/lots/{lot.pk}/close/", {"outcome": "disposed"})
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "closed"
    record = impact_record_for_lot_close(lot_id=lot.pk)
    assert (record.outcome, record.quantity) == ("disposed", 25)
    assert record.weight_kg == Decimal("875.000") and record.co2e_avoided_kg == 0
    assert ImpactRecord.objects.count() == 1


def test_notifications_list_unread_and_mark_read(client_for, parties):
    federal = client_for(parties["federal"].user)
    owner = client_for(parties["owner"].user)
    federal.post(CLAIMS, {"lot": parties["lot"].pk, "quantity": 2})
    response = owner.get("/api/v1/notifications/")
    assert response["X-Unread-Count"] == "1"
    notification = response.json()["results"][0]
    assert notification["kind"] == "claim_created"
    assert owner.get(f"/api/v1/notifications/{notification['id']}/").json()["read_at"]
    assert owner.get("/api/v1/notifications/")["X-Unread-Count"] == "0"
    assert federal.get(f"/api/v1/notifications/{notification['id']}/").status_code == 404
    assert owner.post("/api/v1/notifications/read/", {}, format="json").json() == {
        "marked": 0,
        "unread": 0,
    }
    assert Claim.objects.count() == 1
