"""Closing an expired lot: the owner records what became of the remainder."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.common.errors import ApplicationError, ErrorKind
from exchange.common.services import audit_event_record
from exchange.impact.models import Outcome
from exchange.lots.models import Lot, LotStatus
from exchange.lots.services.lots import lock_lot, require_owner
from exchange.organisations.access import require_writer
from exchange.organisations.models import Membership

CLOSE_OUTCOMES = (Outcome.SOLD, Outcome.RECYCLED, Outcome.DISPOSED)


def lot_close(*, actor: Membership, lot: Lot, outcome: str) -> Lot:
    """Close an expired lot, recording its unclaimed remainder as sold (through the
    federal sales service), recycled or disposed; the impact record follows in a task."""
    from exchange.claims.models import LIVE_STATUSES
    from exchange.impact.tasks import impact_record_for_lot_close_task

    require_writer(actor)
    require_owner(actor, lot)
    if outcome not in CLOSE_OUTCOMES:
        raise ApplicationError(
            code="invalid_choice",
            field="outcome",
            message=_("Choose one of: %(values)s.") % {"values": ", ".join(CLOSE_OUTCOMES)},
        )
    with transaction.atomic():
        lot = lock_lot(lot)
        if lot.status != LotStatus.EXPIRED:
            raise ApplicationError(
                code="lot_not_expired",
                kind=ErrorKind.CONFLICT,
                message=_("Only an expired lot is closed this way; this lot is %(status)s.")
                % {"status": lot.get_status_display()},
            )
        if lot.claims.filter(status__in=LIVE_STATUSES).exists():
            raise ApplicationError(
                code="lot_has_live_claims",
                kind=ErrorKind.CONFLICT,
                message=_("Some claims are still pending or approved: settle them first."),
            )
        now = timezone.now()
        lot.close_outcome = outcome
        lot.close_quantity = lot.quantity - lot.quantity_reserved
        lot.status = LotStatus.CLOSED
        lot.status_changed_at = now
        lot.save(
            update_fields=[
                "close_outcome",
                "close_quantity",
                "status",
                "status_changed_at",
                "updated_at",
            ]
        )
        audit_event_record(
            actor=actor.user,
            organisation=actor.organisation,
            obj=lot,
            action="close",
            from_state=LotStatus.EXPIRED,
            to_state=LotStatus.CLOSED,
            data={"outcome": outcome, "quantity": lot.close_quantity},
        )
        lot_id = lot.pk
        if lot.close_quantity:
            transaction.on_commit(lambda: impact_record_for_lot_close_task.delay(lot_id))
    return lot
