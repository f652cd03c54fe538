"""Closing an expired lot: the owner records what became of the remainder.

Two parts of the platform above lots take part, through hooks registered at start-up:
claims refuses while pending or approved claims hold units (``lot_close_check_register``),
and impact records the remainder once the closing has committed (``lot_closed``)."""

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.common.errors import ApplicationError, CommonError, ErrorKind
from exchange.common.services import audit_event_record
from exchange.lots.errors import LotError
from exchange.lots.models import CloseOutcome, Lot, LotStatus
from exchange.lots.services.lots import lock_lot, require_owner
from exchange.lots.signals import lot_closed
from exchange.organisations.access import require_writer
from exchange.organisations.models import Membership

# Checks that may refuse to close a lot (raising ApplicationError), run with the lot
# locked; added by the apps above lots at start-up.
LotCloseCheck = Callable[[Lot], None]
_CLOSE_CHECKS: list[LotCloseCheck] = []


def lot_close_check_register(check: LotCloseCheck) -> None:
    """Add a check that runs before an expired lot is closed (from an AppConfig.ready)."""
    if check not in _CLOSE_CHECKS:
        _CLOSE_CHECKS.append(check)


def lot_close(*, actor: Membership, lot: Lot, outcome: str) -> Lot:
    """Close an expired lot, recording its unclaimed remainder as sold (through the
    federal sales service), recycled or disposed; the impact record follows in a task."""
    require_writer(actor)
    require_owner(actor, lot)
    if outcome not in CloseOutcome.values:
        raise ApplicationError(
            code=CommonError.INVALID_CHOICE,
            field="outcome",
            message=_("Choose one of: %(values)s.") % {"values": ", ".join(CloseOutcome.values)},
        )
    with transaction.atomic():
        lot = lock_lot(lot)
        if lot.status != LotStatus.EXPIRED:
            raise ApplicationError(
                code=LotError.NOT_EXPIRED,
                kind=ErrorKind.CONFLICT,
                message=_("Only an expired lot is closed this way; this lot is %(status)s.")
                % {"status": lot.get_status_display()},
            )
        for check in _CLOSE_CHECKS:
            check(lot)
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
        transaction.on_commit(lambda: lot_closed.send(sender=Lot, lot=lot))
    return lot
