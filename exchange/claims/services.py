"""Claims: who gets what, never more than there is (DESIGN §3).

The quantity a claim holds is reserved at once with a conditional UPDATE on the lot's
``quantity_reserved`` counter (guarded by a CHECK constraint), in a short transaction,
so that concurrent claimants can never over-allocate a lot.
"""

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Case, F, Sum, Value, When
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from exchange.claims.errors import ClaimError
from exchange.claims.models import LIVE_STATUSES, Claim, ClaimStatus
from exchange.claims.signals import claim_collected
from exchange.common.errors import ApplicationError, CommonError, ErrorKind
from exchange.common.services import audit_event_record
from exchange.lots.eligibility import (
    eligibility_kind,
    first_tier,
    tier_allows,
    tier_at,
    window_opens_at,
)
from exchange.lots.models import Lot, LotStatus, Tier
from exchange.organisations.access import require_verified, require_writer
from exchange.organisations.models import Membership
from exchange.organisations.notices import notify_organisation

MAX_MEASURED_WEIGHT_KG = Decimal("1000000")


def _conflict(code: str, message: str, **extra) -> ApplicationError:
    return ApplicationError(code=code, kind=ErrorKind.CONFLICT, message=message, extra=extra)


def _forbidden(code: str, message: str, **extra) -> ApplicationError:
    return ApplicationError(code=code, kind=ErrorKind.FORBIDDEN, message=message, extra=extra)


def _when(moment: datetime.datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def claim_eligibility_check(*, actor: Membership, lot: Lot, now=None) -> None:
    """Refuse (403/409) unless the actor's organisation may claim this lot now."""
    organisation = actor.organisation
    if lot.owner_id == organisation.pk:
        raise _forbidden(ClaimError.OWN_LOT, _("You cannot claim your own organisation's lot."))
    if lot.status not in (LotStatus.PUBLISHED, LotStatus.RESERVED):
        raise _conflict(
            ClaimError.LOT_NOT_OPEN,
            _("This lot is %(status)s: it takes no claims.") % {"status": lot.get_status_display()},
        )
    now = now or timezone.now()
    tier = tier_at(lot, now)
    kind = eligibility_kind(organisation, timezone.localdate(now))
    if not tier_allows(tier, kind):
        opens = window_opens_at(lot, first_tier(kind))
        raise _forbidden(
            ClaimError.NOT_ELIGIBLE_YET,
            _("Claims are now open to: %(tier)s. Your organisation may claim from %(opens)s.")
            % {"tier": Tier(tier).label, "opens": _when(opens)},
            tier=tier,
            opens_at=opens.isoformat(),
        )


def _reserve(lot_id: int, quantity: int) -> bool:
    """Take ``quantity`` units of a published lot, all or nothing; the lot becomes
    reserved when nothing is left. One UPDATE: the database arbitrates concurrency."""
    return bool(
        Lot.objects.filter(
            pk=lot_id,
            status=LotStatus.PUBLISHED,
            quantity_reserved__lte=F("quantity") - quantity,
        ).update(
            quantity_reserved=F("quantity_reserved") + quantity,
            status=Case(
                When(quantity=F("quantity_reserved") + quantity, then=Value(LotStatus.RESERVED)),
                default=F("status"),
            ),
            updated_at=timezone.now(),
        )
    )


def _release(lot_id: int, quantity: int) -> None:
    """Give ``quantity`` units back; a reserved lot is published again."""
    if quantity <= 0:
        return
    Lot.objects.filter(pk=lot_id).update(
        quantity_reserved=F("quantity_reserved") - quantity,
        status=Case(
            When(status=LotStatus.RESERVED, then=Value(LotStatus.PUBLISHED)),
            default=F("status"),
        ),
        updated_at=timezone.now(),
    )


def claim_create(*, actor: Membership, lot: Lot, quantity: int, note: str = "") -> Claim:
    """Claim ``quantity`` units of a lot for the actor's organisation."""
    require_writer(actor)
    require_verified(actor)
    if not isinstance(quantity, int) or quantity < 1:
        raise ApplicationError(
            code=ClaimError.INVALID_QUANTITY, field="quantity", message=_("Claim at least 1 unit.")
        )
    lot = Lot.objects.select_related("owner").get(pk=lot.pk)
    claim_eligibility_check(actor=actor, lot=lot)
    with transaction.atomic():
        if not _reserve(lot.pk, quantity):
            lot.refresh_from_db(fields=["quantity", "quantity_reserved", "status"])
            if lot.status not in (LotStatus.PUBLISHED, LotStatus.RESERVED):
                raise _conflict(ClaimError.LOT_NOT_OPEN, _("This lot takes no claims any more."))
            raise _conflict(
                ClaimError.NOT_ENOUGH_LEFT,
                _("Only %(left)s of %(quantity)s units are left.")
                % {"left": lot.quantity_available, "quantity": lot.quantity},
                quantity_available=lot.quantity_available,
            )
        auto = lot.owner.auto_approve_claims
        now = timezone.now()
        claim = Claim.objects.create(
            lot=lot,
            claimant=actor.organisation,
            claimed_by=actor.user,
            quantity=quantity,
            note=(note or "").strip(),
            tier=lot.tier_at(now),
            status=ClaimStatus.APPROVED if auto else ClaimStatus.PENDING,
            decided_at=now if auto else None,
            status_changed_at=now,
        )
        audit_event_record(
            actor=actor.user,
            organisation=actor.organisation,
            obj=claim,
            action="create",
            to_state=claim.status,
            data={"lot": lot.pk, "quantity": quantity},
        )
        _notify(claim, "created", to_owner=True)
        if auto:
            _notify(claim, "approved", to_owner=False)
    return claim


def _locked_claim(claim: Claim) -> Claim:
    return (
        Claim.objects.select_for_update().select_related("lot__owner", "claimant").get(pk=claim.pk)
    )


def _require_owner_side(actor: Membership, claim: Claim) -> None:
    require_writer(actor)
    if claim.lot.owner_id != actor.organisation_id:
        raise _forbidden(
            ClaimError.NOT_YOURS, _("Only the organisation that posted the lot may do this.")
        )


def _require_claimant_side(actor: Membership, claim: Claim) -> None:
    require_writer(actor)
    if claim.claimant_id != actor.organisation_id:
        raise _forbidden(ClaimError.NOT_YOURS, _("Only the claiming organisation may do this."))


def _require_status(claim: Claim, *statuses: str) -> None:
    if claim.status not in statuses:
        raise _conflict(
            ClaimError.WRONG_STATUS,
            _("This claim is %(status)s.") % {"status": claim.get_status_display()},
            status=claim.status,
        )


def _transition(actor: Membership, claim: Claim, to: str, action: str, **fields) -> Claim:
    old = claim.status
    now = timezone.now()
    claim.status = to
    claim.status_changed_at = now
    for name, value in fields.items():
        setattr(claim, name, value)
    claim.save(update_fields=["status", "status_changed_at", "updated_at", *fields])
    audit_event_record(
        actor=actor.user,
        organisation=actor.organisation,
        obj=claim,
        action=action,
        from_state=old,
        to_state=to,
    )
    return claim


@transaction.atomic
def claim_approve(*, actor: Membership, claim: Claim) -> Claim:
    claim = _locked_claim(claim)
    _require_owner_side(actor, claim)
    _require_status(claim, ClaimStatus.PENDING)
    claim = _transition(actor, claim, ClaimStatus.APPROVED, "approve", decided_at=timezone.now())
    _notify(claim, "approved", to_owner=False)
    return claim


@transaction.atomic
def claim_decline(*, actor: Membership, claim: Claim, reason: str) -> Claim:
    if not (reason or "").strip():
        raise ApplicationError(
            code=ClaimError.REASON_REQUIRED,
            field="reason",
            message=_("Say why you decline the claim."),
        )
    claim = _locked_claim(claim)
    _require_owner_side(actor, claim)
    _require_status(claim, ClaimStatus.PENDING)
    claim = _transition(
        actor,
        claim,
        ClaimStatus.DECLINED,
        "decline",
        decline_reason=reason.strip(),
        decided_at=timezone.now(),
    )
    _release(claim.lot_id, claim.quantity)
    _notify(claim, "declined", to_owner=False)
    return claim


@transaction.atomic
def claim_cancel(*, actor: Membership, claim: Claim) -> Claim:
    claim = _locked_claim(claim)
    _require_claimant_side(actor, claim)
    _require_status(claim, *LIVE_STATUSES)
    claim = _transition(actor, claim, ClaimStatus.CANCELLED, "cancel")
    _release(claim.lot_id, claim.quantity)
    _notify(claim, "cancelled", to_owner=True)
    return claim


@transaction.atomic
def claim_schedule(*, actor: Membership, claim: Claim, pickup_at: datetime.datetime) -> Claim:
    """The owner or the claimant sets the pickup slot of an approved claim."""
    if pickup_at is None or pickup_at <= timezone.now():
        raise ApplicationError(
            code=ClaimError.PICKUP_IN_PAST,
            field="pickup_at",
            message=_("The pickup slot must lie in the future."),
        )
    claim = _locked_claim(claim)
    require_writer(actor)
    if actor.organisation_id not in (claim.lot.owner_id, claim.claimant_id):
        raise _forbidden(ClaimError.NOT_YOURS, _("This claim is not yours."))
    _require_status(claim, ClaimStatus.APPROVED)
    old_slot = claim.pickup_at
    claim.pickup_at = pickup_at
    claim.save(update_fields=["pickup_at", "updated_at"])
    audit_event_record(
        actor=actor.user,
        organisation=actor.organisation,
        obj=claim,
        action="schedule",
        data={
            "pickup_at": pickup_at.isoformat(),
            "previous": old_slot.isoformat() if old_slot else None,
        },
    )
    _notify(
        claim,
        f"scheduled:{pickup_at.isoformat()}",
        to_owner=actor.organisation_id == claim.claimant_id,
        template="scheduled",
    )
    return claim


@transaction.atomic
def claim_no_show(
    *, actor: Membership, claim: Claim, now: datetime.datetime | None = None
) -> Claim:
    claim = _locked_claim(claim)
    _require_owner_side(actor, claim)
    _require_status(claim, ClaimStatus.APPROVED)
    now = now or timezone.now()
    if claim.pickup_at is None or claim.pickup_at > now:
        raise _conflict(
            ClaimError.BEFORE_PICKUP,
            _("A no-show can be recorded only after the pickup slot has passed."),
        )
    claim = _transition(actor, claim, ClaimStatus.NO_SHOW, "no_show")
    _release(claim.lot_id, claim.quantity)
    _notify(claim, "no_show", to_owner=False)
    return claim


def claim_collect(
    *, actor: Membership, claim: Claim, quantity: int, weight_kg: Decimal | None = None
) -> Claim:
    """The handover: the owner confirms what was collected; the impact record follows in
    a task. Units approved but not collected go back to the lot."""
    errors = {}
    if not isinstance(quantity, int) or quantity < 1:
        errors["quantity"] = [_("Confirm at least 1 collected unit.")]
    if weight_kg is not None and not Decimal(0) < Decimal(weight_kg) <= MAX_MEASURED_WEIGHT_KG:
        errors["weight_kg"] = [_("The measured weight is more than 0 kg.")]
    if errors:
        first = next(iter(errors))
        raise ApplicationError(
            code=CommonError.INVALID, field=first, message=errors[first][0], errors=errors
        )
    with transaction.atomic():
        claim = _locked_claim(claim)
        _require_owner_side(actor, claim)
        _require_status(claim, ClaimStatus.APPROVED)
        if quantity > claim.quantity:
            raise ApplicationError(
                code=ClaimError.MORE_THAN_APPROVED,
                field="quantity",
                message=_("At most %(quantity)s units were approved.")
                % {"quantity": claim.quantity},
            )
        claim = _transition(
            actor,
            claim,
            ClaimStatus.COLLECTED,
            "collect",
            collected_quantity=quantity,
            measured_weight_kg=weight_kg,
            collected_at=timezone.now(),
        )
        _release(claim.lot_id, claim.quantity - quantity)
        _lot_close_if_all_collected(claim.lot_id, actor)
        _notify(claim, "collected", to_owner=False)
        transaction.on_commit(lambda: claim_collected.send(sender=Claim, claim=claim))
    return claim


def _lot_close_if_all_collected(lot_id: int, actor: Membership) -> None:
    """A lot whose every unit was collected is closed."""
    collected = (
        Claim.objects.filter(lot_id=lot_id, status=ClaimStatus.COLLECTED).aggregate(
            total=Sum("collected_quantity")
        )["total"]
        or 0
    )
    lot = Lot.objects.get(pk=lot_id)
    if collected >= lot.quantity and lot.status != LotStatus.CLOSED:
        old = lot.status
        Lot.objects.filter(pk=lot_id).update(
            status=LotStatus.CLOSED, status_changed_at=timezone.now()
        )
        audit_event_record(
            actor=actor.user,
            organisation=actor.organisation,
            obj=lot,
            action="close",
            from_state=old,
            to_state=LotStatus.CLOSED,
        )


def _notify(claim: Claim, event: str, *, to_owner: bool, template: str | None = None) -> None:
    """Tell the other side of a claim what happened (in-app and e-mail)."""
    template = template or event
    organisation = claim.lot.owner if to_owner else claim.claimant
    notify_organisation(
        organisation=organisation,
        kind=f"claim_{template}",
        key=f"claim:{claim.pk}:{event}",
        title=CLAIM_TITLES[template],
        title_params={"lot": claim.lot.title},
        template=f"claims/notifications/{template}.txt",
        context={"claim": claim, "lot": claim.lot},
        url=reverse("claims:detail", args=[claim.pk]),
    )


CLAIM_TITLES = {
    "created": gettext_noop("New claim on your lot: %(lot)s"),
    "approved": gettext_noop("Your claim was approved: %(lot)s"),
    "declined": gettext_noop("Your claim was declined: %(lot)s"),
    "cancelled": gettext_noop("A claim on your lot was cancelled: %(lot)s"),
    "scheduled": gettext_noop("Pickup slot set: %(lot)s"),
    "no_show": gettext_noop("Missed pickup recorded: %(lot)s"),
    "collected": gettext_noop("Handover confirmed: %(lot)s"),
}


def claims_settled_check(lot: Lot) -> None:
    """Refuse (409) to close a lot while pending or approved claims hold its units
    (registered with the lots' closing at start-up)."""
    if Claim.objects.filter(lot=lot, status__in=LIVE_STATUSES).exists():
        raise _conflict(
            ClaimError.LIVE_CLAIMS,
            _("Some claims are still pending or approved: settle them first."),
        )
