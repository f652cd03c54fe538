"""Lots that open to claimants start matching, after their transaction commits."""

from django.dispatch import receiver

from exchange.common.tasks import task_send
from exchange.lots.signals import lot_published, lot_tier_opened


@receiver(lot_published, dispatch_uid="matching.lot_published")
@receiver(lot_tier_opened, dispatch_uid="matching.lot_tier_opened")
def _match_lot(sender, lot, **kwargs):
    from exchange.matching.tasks import match_lot_task

    task_send(match_lot_task, lot.pk)
