"""The conversation of a claim: messages between the two sides, and the pickup slots
one side proposes and the other accepts (docs/design.md §3). Who may write when is the
``CLAIM_TALK`` table of ``claims/transitions.py``; the other side's members hear of each
message and each proposal in their notifications and by e-mail, with a link back."""

import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.claims.errors import ClaimError
from exchange.claims.models import (
    MESSAGE_MAX_LENGTH,
    Claim,
    ClaimMessage,
    PickupSlot,
    PickupSlotStatus,
)
from exchange.claims.services import CLAIM_TITLES, _locked_claim, _pickup_set
from exchange.claims.transitions import ClaimTalk, Side, claim_sides, talk_check
from exchange.common.errors import ApplicationError, ErrorKind
from exchange.common.services import audit_event_record
from exchange.organisations.models import Membership
from exchange.organisations.notices import notify_organisation

# How far ahead a pickup slot may lie, and how many proposals may wait at once.
SLOT_HORIZON = datetime.timedelta(days=365)
MAX_OPEN_SLOTS = 10


def _other_side(claim: Claim, actor: Membership):
    """The organisation on the other side of the claim from the actor."""
    if Side.OWNER in claim_sides(claim, actor.organisation_id):
        return claim.claimant
    return claim.lot.owner


def claim_message_post(*, actor: Membership, claim: Claim, body: str) -> ClaimMessage:
    """A member of either side writes in the claim's conversation; the other side's
    members are notified (in-app and by e-mail, with a link to the message)."""
    body = (body or "").strip()
    if not body:
        raise ApplicationError(
            code=ClaimError.MESSAGE_EMPTY, field="body", message=_("Write a message first.")
        )
    if len(body) > MESSAGE_MAX_LENGTH:
        raise ApplicationError(
            code=ClaimError.MESSAGE_TOO_LONG,
            field="body",
            message=_("A message has at most %(limit)s characters (this one has %(length)s).")
            % {"limit": MESSAGE_MAX_LENGTH, "length": len(body)},
        )
    claim = Claim.objects.select_related("lot__owner", "lot__site", "claimant").get(pk=claim.pk)
    talk_check(actor=actor, claim=claim, action=ClaimTalk.MESSAGE)
    with transaction.atomic():
        message = ClaimMessage.objects.create(
            claim=claim, author=actor.user, organisation=actor.organisation, body=body
        )
        notify_organisation(
            organisation=_other_side(claim, actor),
            kind="claim_message",
            key=f"claim:{claim.pk}:message:{message.pk}",
            title=CLAIM_TITLES["message"],
            title_params={"lot": claim.lot.title},
            template="claims/notifications/message.txt",
            context={"claim": claim, "lot": claim.lot, "message": message, "actor": actor},
            url=reverse("claims:detail", args=[claim.pk]) + f"#message-{message.pk}",
        )
    return message


def _slot_time_check(starts_at: datetime.datetime | None, now: datetime.datetime) -> None:
    if starts_at is None or starts_at <= now:
        raise ApplicationError(
            code=ClaimError.PICKUP_IN_PAST,
            field="starts_at",
            message=_("The pickup slot must lie in the future."),
        )
    if starts_at > now + SLOT_HORIZON:
        raise ApplicationError(
            code=ClaimError.SLOT_TOO_FAR,
            field="starts_at",
            message=_("A pickup slot lies at most a year ahead."),
        )


@transaction.atomic
def claim_slot_propose(
    *, actor: Membership, claim: Claim, starts_at: datetime.datetime
) -> PickupSlot:
    """Either side proposes a pickup slot of an approved claim; the other side is told."""
    now = timezone.now()
    _slot_time_check(starts_at, now)
    claim = _locked_claim(claim)
    talk_check(actor=actor, claim=claim, action=ClaimTalk.PROPOSE_SLOT)
    open_slots = PickupSlot.objects.filter(
        claim=claim, status=PickupSlotStatus.PROPOSED, starts_at__gt=now
    )
    if open_slots.count() >= MAX_OPEN_SLOTS:
        raise ApplicationError(
            code=ClaimError.TOO_MANY_SLOTS,
            kind=ErrorKind.CONFLICT,
            message=_("%(count)s proposed slots are waiting: agree on one of them first.")
            % {"count": MAX_OPEN_SLOTS},
        )
    slot = PickupSlot.objects.create(
        claim=claim,
        starts_at=starts_at,
        proposed_by=actor.user,
        proposed_by_organisation=actor.organisation,
    )
    audit_event_record(
        actor=actor.user,
        organisation=actor.organisation,
        obj=claim,
        action="propose_slot",
        data={"pickup_at": starts_at.isoformat(), "slot": slot.pk},
    )
    notify_organisation(
        organisation=_other_side(claim, actor),
        kind="claim_slot_proposed",
        key=f"claim:{claim.pk}:slot:{slot.pk}",
        title=CLAIM_TITLES["slot_proposed"],
        title_params={"lot": claim.lot.title},
        template="claims/notifications/slot_proposed.txt",
        context={"claim": claim, "lot": claim.lot, "slot": slot, "actor": actor},
        url=reverse("claims:detail", args=[claim.pk]) + "#pickup-heading",
    )
    return slot


@transaction.atomic
def claim_slot_accept(*, actor: Membership, claim: Claim, slot: PickupSlot) -> Claim:
    """The side that did not propose a slot accepts it: it becomes the agreed pickup
    (``Claim.pickup_at``; an earlier agreed slot and the other proposals are replaced:
    a proposal made after the agreement is a request to move it), and the proposer's
    side is told as of any pickup slot set."""
    claim = _locked_claim(claim)
    talk_check(actor=actor, claim=claim, action=ClaimTalk.ACCEPT_SLOT)
    slot = PickupSlot.objects.select_for_update().get(pk=slot.pk, claim=claim)
    if slot.proposed_by_organisation_id == actor.organisation_id:
        raise ApplicationError(
            code=ClaimError.SLOT_OWN_PROPOSAL,
            kind=ErrorKind.FORBIDDEN,
            message=_("Your side proposed this slot: the other side accepts it."),
        )
    if slot.status != PickupSlotStatus.PROPOSED:
        raise ApplicationError(
            code=ClaimError.SLOT_NOT_OPEN,
            kind=ErrorKind.CONFLICT,
            message=_("This slot is %(status)s.") % {"status": slot.get_status_display()},
        )
    now = timezone.now()
    if slot.starts_at <= now:
        raise ApplicationError(
            code=ClaimError.PICKUP_IN_PAST,
            kind=ErrorKind.CONFLICT,
            message=_("This slot has passed: propose another one."),
        )
    claim = _pickup_set(actor, claim, slot.starts_at, keep=slot.pk)
    slot.status = PickupSlotStatus.ACCEPTED
    slot.accepted_by = actor.user
    slot.accepted_at = now
    slot.save(update_fields=["status", "accepted_by", "accepted_at", "updated_at"])
    return claim
