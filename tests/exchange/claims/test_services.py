import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from exchange.categories.models import Category
from exchange.claims.models import Claim, ClaimStatus
from exchange.claims.services import (
    claim_approve,
    claim_cancel,
    claim_collect,
    claim_create,
    claim_decline,
    claim_no_show,
    claim_schedule,
)
from exchange.common.errors import ApplicationError, ErrorKind
from exchange.impact.models import ImpactRecord
from exchange.impact.services.records import impact_record_for_claim
from exchange.lots.models import Lot, LotStatus
from exchange.notifications.models import Notification
from exchange.notifications.services import notification_email_send
from tests.factories import LotFactory, MembershipFactory, OrganisationFactory, SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(fed_admin, categories):
    return fed_admin


@pytest.fixture
def lot(owner):
    return LotFactory(
        site=SiteFactory(organisation=owner.organisation), quantity=10, published=True
    )


def member(kind="federal", **kwargs):
    organisation = OrganisationFactory(kind=kind, **kwargs)
    return MembershipFactory(organisation=organisation, role="member")


def reserved(lot):
    return Lot.objects.get(pk=lot.pk).quantity_reserved


def test_a_claim_reserves_its_quantity_at_once_and_claims_add_up(lot):
    federal = member()
    first = claim_create(actor=federal, lot=lot, quantity=3, note="For our Ghent office")
    second = claim_create(actor=federal, lot=lot, quantity=4)
    assert (first.status, first.tier) == (ClaimStatus.PENDING, "federal")
    assert reserved(lot) == 7
    with pytest.raises(ApplicationError) as excinfo:
        claim_create(actor=member(), lot=lot, quantity=4)
    assert excinfo.value.kind == ErrorKind.CONFLICT
    assert excinfo.value.extra["quantity_available"] == 3
    assert "3" in excinfo.value.message
    third = claim_create(actor=member(), lot=lot, quantity=3)
    assert Lot.objects.get(pk=lot.pk).status == LotStatus.RESERVED
    claim_cancel(actor=federal, claim=second)
    assert reserved(lot) == 6
    assert Lot.objects.get(pk=lot.pk).status == LotStatus.PUBLISHED
    assert {c.pk for c in (first, third)} <= set(Claim.objects.values_list("pk", flat=True))


def after_the_read(monkeypatch, change):
    """``change`` happens to the lot right after the claim service read it (another
    claimant, the owner, at that moment)."""
    from exchange.claims import services

    read = services.claim_eligibility_check

    def then_change(*, actor, lot, **kwargs):
        read(actor=actor, lot=lot, **kwargs)
        change(lot)

    monkeypatch.setattr(services, "claim_eligibility_check", then_change)


def test_a_claim_that_loses_the_last_units_to_another_leaves_nothing_behind(
    lot, owner, monkeypatch
):
    """Another claimant took the units after this claim read the lot: the reservation
    decides, and the claim, its audit event and its notices are not written."""
    from exchange.common.models import AuditEvent

    # given another claimant takes every unit right after this claim read the lot
    after_the_read(
        monkeypatch,
        lambda read: Lot.objects.filter(pk=read.pk).update(
            quantity_reserved=10, status=LotStatus.RESERVED
        ),
    )
    # when
    with pytest.raises(ApplicationError) as excinfo:
        claim_create(actor=member(), lot=lot, quantity=2)
    # then
    assert (excinfo.value.kind, excinfo.value.code) == (ErrorKind.CONFLICT, "not_enough_left")
    assert excinfo.value.extra["quantity_available"] == 0
    assert "10" in excinfo.value.message  # what is left of how many, in any language
    assert not Claim.objects.exists()
    assert not AuditEvent.objects.filter(action="create", data__lot=lot.pk).exists()
    assert not Notification.objects.filter(user=owner.user).exists()
    assert reserved(lot) == 10


def test_a_claim_on_a_lot_withdrawn_after_it_was_read_takes_nothing(lot, owner, monkeypatch):
    after_the_read(
        monkeypatch,
        lambda read: Lot.objects.filter(pk=read.pk).update(status=LotStatus.WITHDRAWN),
    )
    with pytest.raises(ApplicationError) as excinfo:
        claim_create(actor=member(), lot=lot.pk, quantity=1)
    assert (excinfo.value.kind, excinfo.value.code) == (ErrorKind.CONFLICT, "lot_not_open")
    assert not Claim.objects.exists()
    assert not Notification.objects.exists()
    assert reserved(lot) == 0


def test_a_claim_of_more_than_is_left_is_refused_before_anything_is_written(lot, monkeypatch):
    from exchange.claims import services

    claim_create(actor=member(), lot=lot, quantity=9)
    monkeypatch.setattr(services, "_claim_write", lambda *args: pytest.fail("lot locked"))
    with pytest.raises(ApplicationError) as excinfo:
        claim_create(actor=member(), lot=lot, quantity=2)
    assert excinfo.value.extra["quantity_available"] == 1
    assert Claim.objects.count() == 1


def test_a_claim_writes_itself_its_audit_event_and_its_notices_with_the_units(lot, owner):
    from exchange.common.models import AuditEvent

    # given the owner's organisation has two people (and one who left)
    second = MembershipFactory(organisation=owner.organisation, role="member")
    gone = MembershipFactory(organisation=owner.organisation, role="member")
    gone.user.is_active = False
    gone.user.save()
    federal = member()
    # when
    claim = claim_create(actor=federal, lot=lot, quantity=10, note="  For Ghent  ")
    # then the claim as read back is the claim returned
    stored = Claim.objects.select_related("lot").get(pk=claim.pk)
    assert (stored.quantity, stored.note, stored.status, stored.tier) == (
        10,
        "For Ghent",
        ClaimStatus.PENDING,
        "federal",
    )
    assert (stored.claimant_id, stored.claimed_by_id) == (federal.organisation_id, federal.user_id)
    assert stored.created_at == claim.created_at
    assert (claim.lot.status, claim.lot.quantity_reserved) == (LotStatus.RESERVED, 10)
    assert (stored.lot.status, stored.lot.quantity_reserved) == (LotStatus.RESERVED, 10)
    event = AuditEvent.objects.get(
        action="create", object_type__model="claim", object_id=str(claim.pk)
    )
    assert (event.actor_id, event.organisation_id, event.to_state, event.data) == (
        federal.user_id,
        federal.organisation_id,
        "pending",
        {"lot": lot.pk, "quantity": 10},
    )
    notices = Notification.objects.filter(key=f"claim:{claim.pk}:created")
    assert {n.user_id for n in notices} == {owner.user_id, second.user_id}
    assert {(n.kind, n.url) for n in notices} == {("claim_created", f"/claims/{claim.pk}/")}
    assert all("claims 10 of" in n.body and "For Ghent" in n.body for n in notices)


@pytest.mark.parametrize("quantity", [0, -2])
def test_a_claim_of_nothing_is_refused(lot, quantity):
    with pytest.raises(ApplicationError) as excinfo:
        claim_create(actor=member(), lot=lot, quantity=quantity)
    assert excinfo.value.errors["quantity"]
    assert reserved(lot) == 0


def test_nobody_claims_their_own_lot_and_unverified_organisations_never(lot, owner, make_member):
    with pytest.raises(ApplicationError) as excinfo:
        claim_create(actor=owner, lot=lot, quantity=1)
    assert excinfo.value.code == "own_lot"
    with pytest.raises(ApplicationError) as excinfo:
        claim_create(actor=make_member("admin", unverified=True), lot=lot, quantity=1)
    assert excinfo.value.code == "organisation_not_verified"
    assert not Claim.objects.exists()


def test_the_tiers_decide_who_may_claim_and_the_refusal_says_when(lot):
    social = member(
        kind="social_economy",
        accreditation_scheme="WAL",
        accreditation_number="ES-1",
        accreditation_valid_until=timezone.localdate() + datetime.timedelta(days=90),
    )
    nonprofit = member(kind="nonprofit")
    with pytest.raises(ApplicationError) as excinfo:
        claim_create(actor=social, lot=lot, quantity=1)
    refusal = excinfo.value
    assert refusal.kind == ErrorKind.FORBIDDEN
    assert refusal.code == "tier_not_open"
    assert refusal.extra["tier"] == "federal"
    assert refusal.extra["opens_at"] == lot.social_economy_opens_at.isoformat()
    # the social-economy window opens
    Lot.objects.filter(pk=lot.pk).update(
        social_economy_opens_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    lot.refresh_from_db()
    assert claim_create(actor=social, lot=lot, quantity=2).tier == "social_economy"
    with pytest.raises(ApplicationError) as excinfo:
        claim_create(actor=nonprofit, lot=lot, quantity=1)
    assert excinfo.value.extra["opens_at"] == lot.open_opens_at.isoformat()


def test_an_expired_accreditation_waits_for_the_open_tier(lot):
    lapsed = member(
        kind="social_economy",
        accreditation_scheme="VLG",
        accreditation_number="SE-9",
        accreditation_valid_until=timezone.localdate() - datetime.timedelta(days=1),
    )
    Lot.objects.filter(pk=lot.pk).update(
        social_economy_opens_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    lot.refresh_from_db()
    with pytest.raises(ApplicationError) as excinfo:
        claim_create(actor=lapsed, lot=lot, quantity=1)
    assert excinfo.value.extra["opens_at"] == lot.open_opens_at.isoformat()


@pytest.mark.parametrize("status", ["draft", "withdrawn", "expired", "closed"])
def test_lots_that_are_not_open_take_no_claims(owner, status):
    lot = LotFactory(site=SiteFactory(organisation=owner.organisation), published=status != "draft")
    Lot.objects.filter(pk=lot.pk).update(status=status)
    lot.refresh_from_db()
    with pytest.raises(ApplicationError) as excinfo:
        claim_create(actor=member(), lot=lot, quantity=1)
    assert excinfo.value.kind == ErrorKind.CONFLICT
    assert excinfo.value.code == "lot_not_open"


def test_approve_decline_and_the_wrong_side_or_state(lot, owner):
    federal = member()
    claim = claim_create(actor=federal, lot=lot, quantity=5)
    with pytest.raises(ApplicationError) as excinfo:
        claim_approve(actor=federal, claim=claim)  # the claimant cannot approve
    assert excinfo.value.kind == ErrorKind.FORBIDDEN
    with pytest.raises(ApplicationError) as excinfo:
        claim_decline(actor=owner, claim=claim, reason="  ")
    assert excinfo.value.errors["reason"]
    claim_decline(actor=owner, claim=claim, reason="Already promised to the Ghent office")
    assert reserved(lot) == 0
    with pytest.raises(ApplicationError) as excinfo:
        claim_approve(actor=owner, claim=claim)  # approving a declined claim
    assert excinfo.value.kind == ErrorKind.CONFLICT
    cancelled = claim_cancel(actor=federal, claim=claim_create(actor=federal, lot=lot, quantity=2))
    with pytest.raises(ApplicationError) as excinfo:
        claim_approve(actor=owner, claim=cancelled)
    assert excinfo.value.code == "claim_wrong_status"
    assert reserved(lot) == 0


def test_organisations_may_approve_claims_automatically(owner, lot):
    owner.organisation.auto_approve_claims = True
    owner.organisation.save()
    claimant = member()
    claim = claim_create(actor=claimant, lot=lot, quantity=1)
    assert claim.status == ClaimStatus.APPROVED
    # the owner hears of the claim, the claimant of its approval, once each
    assert Notification.objects.get(user=owner.user).key == f"claim:{claim.pk}:created"
    told = Notification.objects.get(user=claimant.user)
    assert (told.key, told.kind) == (f"claim:{claim.pk}:approved", "claim_approved")
    assert "approved your claim" in told.body


def test_pickup_slot_and_no_show(lot, owner):
    federal = member()
    claim = claim_approve(actor=owner, claim=claim_create(actor=federal, lot=lot, quantity=4))
    with pytest.raises(ApplicationError) as excinfo:
        claim_schedule(
            actor=federal, claim=claim, pickup_at=timezone.now() - datetime.timedelta(hours=1)
        )
    assert excinfo.value.errors["pickup_at"]
    slot = timezone.now() + datetime.timedelta(days=2)
    claim = claim_schedule(actor=federal, claim=claim, pickup_at=slot)
    with pytest.raises(ApplicationError) as excinfo:
        claim_no_show(actor=owner, claim=claim)  # before the slot
    assert excinfo.value.code == "before_pickup_slot"
    claim = claim_no_show(actor=owner, claim=claim, now=slot + datetime.timedelta(hours=1))
    assert claim.status == ClaimStatus.NO_SHOW
    assert reserved(lot) == 0


def test_the_handover_writes_one_impact_record_and_returns_what_was_not_collected(
    lot, owner, django_capture_on_commit_callbacks
):
    federal = member()
    claim = claim_approve(actor=owner, claim=claim_create(actor=federal, lot=lot, quantity=6))
    with pytest.raises(ApplicationError) as excinfo:
        claim_collect(actor=owner, claim=claim, quantity=7)
    assert excinfo.value.code == "more_than_approved"
    with pytest.raises(ApplicationError) as excinfo:
        claim_collect(actor=federal, claim=claim, quantity=6)  # the claimant cannot confirm
    assert excinfo.value.kind == ErrorKind.FORBIDDEN
    with django_capture_on_commit_callbacks() as callbacks:
        claim = claim_collect(actor=owner, claim=claim, quantity=5, weight_kg=Decimal("61.5"))
    assert reserved(lot) == 5  # one unit went back
    assert any("impact" in repr(c) or c for c in callbacks)
    with pytest.raises(ApplicationError) as excinfo:
        claim_collect(actor=owner, claim=claim, quantity=5)  # collecting twice
    assert excinfo.value.kind == ErrorKind.CONFLICT
    record = impact_record_for_claim(claim_id=claim.pk)
    again = impact_record_for_claim(claim_id=claim.pk)
    assert record.pk == again.pk
    assert ImpactRecord.objects.count() == 1
    # office chairs: 35 kg CO2e a reused chair (WRAP), 280 EUR new; the measured weight wins
    assert record.outcome == "reused_federal"
    assert (record.quantity, record.weight_kg) == (5, Decimal("61.500"))
    assert record.co2e_avoided_kg == Decimal("175.000")
    assert record.replacement_value_eur == Decimal("1400.00")
    assert record.factor_version.version == "2026.1"
    assert (record.donor, record.recipient) == (owner.organisation, federal.organisation)


def test_the_lot_closes_when_every_unit_is_collected(lot, owner):
    federal = member()
    first = claim_approve(actor=owner, claim=claim_create(actor=federal, lot=lot, quantity=6))
    second = claim_approve(actor=owner, claim=claim_create(actor=member(), lot=lot, quantity=4))
    claim_collect(actor=owner, claim=first, quantity=6)
    assert Lot.objects.get(pk=lot.pk).status == LotStatus.RESERVED
    claim_collect(actor=owner, claim=second, quantity=4)
    assert Lot.objects.get(pk=lot.pk).status == LotStatus.CLOSED


def test_weights_without_measurement_use_the_lot_then_the_category(owner):
    site = SiteFactory(organisation=owner.organisation)
    laptop_lot = LotFactory(
        site=site, category=Category.objects.get(code="monitor"), quantity=4, published=True
    )
    from exchange.lots.services.sanitisation import lot_sanitisation_attest  # noqa: F401

    claim = claim_approve(
        actor=owner, claim=claim_create(actor=member(kind="federal"), lot=laptop_lot, quantity=4)
    )
    claim_collect(actor=owner, claim=claim, quantity=4)
    record = impact_record_for_claim(claim_id=claim.pk)
    # monitor: 4.5 kg (indicative), no per-unit reuse factor: 0.51 kg CO2e a kg (WRAP)
    assert record.weight_kg == Decimal("18.000")
    assert record.co2e_avoided_kg == Decimal("9.180")
    assert record.replacement_value_eur == Decimal("720.00")


def test_each_claim_event_reaches_the_other_side_in_its_language(
    lot, owner, django_capture_on_commit_callbacks
):
    owner.user.language = "nl"
    owner.user.save()
    federal = member()
    federal.user.language = "fr"
    federal.user.save()
    with django_capture_on_commit_callbacks() as callbacks:
        claim = claim_create(actor=federal, lot=lot, quantity=2)
    assert len(callbacks) == 1  # the e-mail task
    notice = Notification.objects.get(user=owner.user)
    assert notice.title == "Nieuwe aanvraag voor uw lot: Office chairs"
    notification_email_send(notification_id=notice.pk)
    assert mail.outbox[-1].to == [owner.user.email]
    assert mail.outbox[-1].subject == notice.title
    claim_approve(actor=owner, claim=claim)
    notice = Notification.objects.get(user=federal.user)
    assert notice.title == "Votre demande a été acceptée : Office chairs"
    notification_email_send(notification_id=notice.pk)
    assert len(mail.outbox) == 2
    # the same event twice never notifies twice
    from exchange.claims.services import _notify

    _notify(claim, "approved", to_owner=False)
    assert Notification.objects.filter(user=federal.user).count() == 1
