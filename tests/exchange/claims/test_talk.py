"""The conversation of a claim (exchange/claims/talk.py, CLAIM_TALK in transitions.py):
messages between the two sides and what each side hears of them, pickup slots one side
proposes and the other accepts, the contacts shown once a claim is approved, and the
warning before a handover recorded ahead of the agreed slot."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from exchange.claims.models import MESSAGE_MAX_LENGTH, Claim, ClaimMessage, PickupSlot
from exchange.claims.selectors import claim_contacts
from exchange.claims.services import claim_approve, claim_collect, claim_create, claim_decline
from exchange.claims.talk import claim_message_post, claim_slot_accept, claim_slot_propose
from exchange.common.errors import ApplicationError, ErrorKind
from exchange.notifications.models import Notification
from exchange.notifications.services import notification_email_send
from exchange.organisations.services import membership_phone_set
from tests.factories import LotFactory, MembershipFactory, OrganisationFactory, SiteFactory

pytestmark = pytest.mark.django_db


def later(**kwargs) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(**kwargs)


@pytest.fixture
def parties(db):
    owner = MembershipFactory(organisation=OrganisationFactory(name="FPS Owner"), role="admin")
    owner_colleague = MembershipFactory(organisation=owner.organisation, role="member")
    claimant = MembershipFactory(organisation=OrganisationFactory(name="FPS Taker"), role="member")
    claimant_colleague = MembershipFactory(organisation=claimant.organisation, role="member")
    lot = LotFactory(
        site=SiteFactory(organisation=owner.organisation),
        title="Desks",
        quantity=20,
        published=True,
    )
    claim = claim_create(actor=claimant, lot=lot, quantity=3)
    return {
        "owner": owner,
        "owner_colleague": owner_colleague,
        "claimant": claimant,
        "claimant_colleague": claimant_colleague,
        "lot": lot,
        "claim": claim,
    }


def notified(membership, kind: str) -> list[Notification]:
    return list(Notification.objects.filter(user=membership.user, kind=kind))


def test_both_sides_write_and_each_hears_of_the_others_messages(parties):
    claim = parties["claim"]
    # when the claimant writes, while the claim is still pending
    message = claim_message_post(
        actor=parties["claimant"], claim=claim, body="  Can we come with a van on Monday?  "
    )
    # then the text is kept (trimmed) for the claimant's organisation
    assert message.body == "Can we come with a van on Monday?"
    assert message.organisation == parties["claimant"].organisation
    # and every member of the owner's side is notified, with a link to the message;
    # nobody of the claimant's side is
    for member in ("owner", "owner_colleague"):
        (notice,) = notified(parties[member], "claim_message")
        assert notice.url == f"/claims/{claim.pk}/#message-{message.pk}"
        assert "Can we come with a van on Monday?" in notice.body
        assert "Desks" in notice.title
    for member in ("claimant", "claimant_colleague"):
        assert notified(parties[member], "claim_message") == []
    # the e-mail carries the text and the link back
    notice = notified(parties["owner"], "claim_message")[0]
    assert notification_email_send(notification_id=notice.pk)
    assert "Can we come with a van on Monday?" in mail.outbox[-1].body
    assert f"/claims/{claim.pk}/#message-{message.pk}" in mail.outbox[-1].body
    # when the owner answers, the claimant's side hears of it
    claim_message_post(actor=parties["owner_colleague"], claim=claim, body="Monday 10:00 works.")
    assert len(notified(parties["claimant_colleague"], "claim_message")) == 1
    assert len(notified(parties["owner"], "claim_message")) == 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("", "message_empty"),
        ("   \n ", "message_empty"),
        ("x" * (MESSAGE_MAX_LENGTH + 1), "message_too_long"),
    ],
)
def test_an_empty_or_overlong_message_is_refused_and_nothing_is_written(parties, body, code):
    with pytest.raises(ApplicationError) as excinfo:
        claim_message_post(actor=parties["claimant"], claim=parties["claim"], body=body)
    assert (excinfo.value.code, excinfo.value.kind) == (code, ErrorKind.INVALID)
    assert excinfo.value.errors["body"]
    assert not ClaimMessage.objects.exists()
    assert not Notification.objects.filter(kind="claim_message").exists()


def test_a_message_of_the_longest_length_is_taken(parties):
    body = "y" * MESSAGE_MAX_LENGTH
    assert (
        claim_message_post(actor=parties["owner"], claim=parties["claim"], body=body).body == body
    )


def test_viewers_outsiders_and_closed_claims_cannot_write(parties):
    claim = parties["claim"]
    viewer = MembershipFactory(organisation=parties["owner"].organisation, role="viewer")
    outsider = MembershipFactory(role="admin")
    for actor in (viewer, outsider):
        with pytest.raises(ApplicationError) as excinfo:
            claim_message_post(actor=actor, claim=claim, body="Hello")
        assert excinfo.value.kind == ErrorKind.FORBIDDEN
    claim_decline(actor=parties["owner"], claim=claim, reason="Promised elsewhere")
    with pytest.raises(ApplicationError) as excinfo:
        claim_message_post(actor=parties["claimant"], claim=claim, body="Why?")
    assert (excinfo.value.code, excinfo.value.kind) == ("claim_wrong_status", ErrorKind.CONFLICT)
    assert not ClaimMessage.objects.exists()


def test_one_side_proposes_a_slot_and_the_other_accepts_it_as_the_agreed_pickup(parties):
    claim = parties["claim"]
    # a pending claim has no pickup to agree on yet
    with pytest.raises(ApplicationError) as excinfo:
        claim_slot_propose(actor=parties["claimant"], claim=claim, starts_at=later(days=2))
    assert excinfo.value.kind == ErrorKind.CONFLICT
    claim_approve(actor=parties["owner"], claim=claim)
    # when the claimant proposes two slots
    first = claim_slot_propose(actor=parties["claimant"], claim=claim, starts_at=later(days=2))
    second = claim_slot_propose(actor=parties["claimant"], claim=claim, starts_at=later(days=3))
    # then the owner's members hear of each, and nothing is agreed yet
    assert len(notified(parties["owner_colleague"], "claim_slot_proposed")) == 2
    assert Claim.objects.get(pk=claim.pk).pickup_at is None
    # the claimant cannot accept its own proposal
    with pytest.raises(ApplicationError) as excinfo:
        claim_slot_accept(actor=parties["claimant_colleague"], claim=claim, slot=first)
    assert (excinfo.value.code, excinfo.value.kind) == (
        "pickup_slot_own_proposal",
        ErrorKind.FORBIDDEN,
    )
    # when the owner accepts the first
    claim_slot_accept(actor=parties["owner_colleague"], claim=claim, slot=first)
    # then it is the agreed pickup, and the claimant's side is told
    claim.refresh_from_db()
    assert claim.pickup_at == first.starts_at
    assert PickupSlot.objects.get(pk=first.pk).status == "accepted"
    assert len(notified(parties["claimant"], "claim_scheduled")) == 1
    # an accepted slot cannot be accepted twice
    with pytest.raises(ApplicationError) as excinfo:
        claim_slot_accept(actor=parties["owner"], claim=claim, slot=first)
    assert excinfo.value.code == "pickup_slot_not_open"
    # the other proposal is replaced by the agreement
    with pytest.raises(ApplicationError) as excinfo:
        claim_slot_accept(actor=parties["owner"], claim=claim, slot=second)
    assert excinfo.value.code == "pickup_slot_not_open"
    # a proposal made after the agreement moves the pickup once accepted
    third = claim_slot_propose(actor=parties["owner"], claim=claim, starts_at=later(days=4))
    claim_slot_accept(actor=parties["claimant"], claim=claim, slot=third)
    claim.refresh_from_db()
    assert claim.pickup_at == third.starts_at
    assert dict(PickupSlot.objects.values_list("pk", "status")) == {
        first.pk: "superseded",
        second.pk: "superseded",
        third.pk: "accepted",
    }


@pytest.mark.parametrize(
    ("starts_at", "code"),
    [
        (lambda: later(minutes=-5), "pickup_in_past"),
        (lambda: later(days=400), "pickup_slot_too_far"),
    ],
)
def test_a_slot_in_the_past_or_too_far_ahead_is_refused(parties, starts_at, code):
    claim_approve(actor=parties["owner"], claim=parties["claim"])
    with pytest.raises(ApplicationError) as excinfo:
        claim_slot_propose(actor=parties["owner"], claim=parties["claim"], starts_at=starts_at())
    assert excinfo.value.code == code
    assert excinfo.value.errors["starts_at"]
    assert not PickupSlot.objects.exists()


def test_proposals_waiting_at_once_are_bounded(parties):
    claim_approve(actor=parties["owner"], claim=parties["claim"])
    for hours in range(1, 11):
        claim_slot_propose(
            actor=parties["owner"], claim=parties["claim"], starts_at=later(hours=hours)
        )
    with pytest.raises(ApplicationError) as excinfo:
        claim_slot_propose(actor=parties["owner"], claim=parties["claim"], starts_at=later(days=2))
    assert excinfo.value.code == "too_many_pickup_slots"
    assert PickupSlot.objects.count() == 10


def test_the_contacts_appear_once_the_claim_is_approved(parties):
    claim = parties["claim"]
    membership_phone_set(actor=parties["claimant"], phone="+32 2 123 45 67")
    membership_phone_set(actor=parties["owner_colleague"], phone="0470/12.34.56")
    # pending: nobody's contact is shown
    assert claim_contacts(claim=claim) is None
    # approved by the owner's colleague: the approver is the donor's contact
    claim_approve(actor=parties["owner_colleague"], claim=claim)
    contacts = claim_contacts(claim=Claim.objects.get(pk=claim.pk))
    owner_user, claimant_user = parties["owner_colleague"].user, parties["claimant"].user
    assert contacts["owner"]["email"] == owner_user.email
    assert contacts["owner"]["phone"] == "0470/12.34.56"
    assert contacts["owner"]["name"] == (owner_user.get_full_name() or owner_user.username)
    assert contacts["claimant"]["email"] == claimant_user.email
    assert contacts["claimant"]["phone"] == "+32 2 123 45 67"


def test_an_automatically_approved_claim_names_the_donors_first_admin(parties):
    owner = parties["owner"]
    owner.organisation.auto_approve_claims = True
    owner.organisation.save(update_fields=["auto_approve_claims"])
    claim = claim_create(actor=parties["claimant"], lot=parties["lot"], quantity=1)
    assert claim_contacts(claim=claim)["owner"]["email"] == owner.user.email


@pytest.mark.parametrize(
    "phone", ["12345", "call me maybe", "+32 2 123 45 67 89 01 23 45", "9" * 40]
)
def test_a_phone_number_that_is_not_one_is_refused(parties, phone):
    with pytest.raises(ApplicationError) as excinfo:
        membership_phone_set(actor=parties["claimant"], phone=phone)
    assert excinfo.value.code == "phone_invalid"
    assert excinfo.value.errors["phone"]
    parties["claimant"].refresh_from_db()
    assert parties["claimant"].phone == ""


def test_a_handover_before_the_agreed_slot_is_recorded_only_once_confirmed(parties):
    claim = parties["claim"]
    claim_approve(actor=parties["owner"], claim=claim)
    slot = claim_slot_propose(actor=parties["claimant"], claim=claim, starts_at=later(days=1))
    claim_slot_accept(actor=parties["owner"], claim=claim, slot=slot)
    # when the owner records the handover today
    with pytest.raises(ApplicationError) as excinfo:
        claim_collect(actor=parties["owner"], claim=claim, quantity=3)
    # then it is asked to confirm first, and nothing is recorded
    assert (excinfo.value.code, excinfo.value.kind) == ("handover_before_slot", ErrorKind.CONFLICT)
    assert excinfo.value.errors["before_slot_confirmed"]
    assert Claim.objects.get(pk=claim.pk).status == "approved"
    # once confirmed, it is recorded
    claim = claim_collect(
        actor=parties["owner"], claim=claim, quantity=3, before_slot_confirmed=True
    )
    assert claim.status == "collected"


def test_a_handover_at_or_after_the_agreed_slot_needs_no_confirmation(parties):
    claim = parties["claim"]
    claim_approve(actor=parties["owner"], claim=claim)
    slot = claim_slot_propose(actor=parties["claimant"], claim=claim, starts_at=later(hours=2))
    claim_slot_accept(actor=parties["owner"], claim=claim, slot=slot)
    collected = claim_collect(actor=parties["owner"], claim=claim, quantity=2, now=later(hours=3))
    assert collected.status == "collected"
