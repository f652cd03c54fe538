"""Impact records what happened to lots and claims: a confirmed handover and the closing
of an expired lot each enqueue the task that writes their record, after their transaction
committed. The nightly sweep (impact_records_sweep) writes any that a lost message missed."""

from django.dispatch import receiver

from exchange.claims.signals import claim_collected
from exchange.common.tasks import task_send
from exchange.impact.tasks import impact_record_for_claim_task, impact_record_for_lot_close_task
from exchange.lots.signals import lot_closed


@receiver(claim_collected, dispatch_uid="impact.claim_collected")
def _record_handover(sender, claim, **kwargs):
    task_send(impact_record_for_claim_task, claim.pk)


@receiver(lot_closed, dispatch_uid="impact.lot_closed")
def _record_lot_close(sender, lot, **kwargs):
    if lot.close_quantity:
        task_send(impact_record_for_lot_close_task, lot.pk)
