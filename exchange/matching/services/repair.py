"""The repair sweep of matching jobs that were never sent (the broker was down) or were
lost, every few minutes: the published lots never matched, or one of whose claim windows
opened since they were matched, and the open requests made or changed since they were
matched, once that is EXCHANGE_REPAIR_AFTER_SECONDS old (younger ones may still be in
the queue). The nightly sweep (engine.matches_rematch_all) repairs the rest."""

import logging

from django.db.models import F, Q
from django.utils import timezone

from exchange.common.tasks import REPAIR_BATCH, repair_cutoff
from exchange.lots.eligibility import tier_opened_condition
from exchange.lots.models import Lot, LotStatus
from exchange.matching.models import WantedRequest, WantedStatus
from exchange.matching.services.engine import matches_lots_repair, matches_rematch

logger = logging.getLogger(__name__)


def matches_pending_sweep(*, now=None) -> dict[str, int]:
    """Match what a lost job did not; returns how many lots and requests it matched."""
    now = now or timezone.now()
    cutoff = repair_cutoff(now)
    wanted_ids = list(
        WantedRequest.objects.filter(
            status=WantedStatus.OPEN,
            valid_until__gte=timezone.localdate(now),
            updated_at__lt=cutoff,
        )
        .filter(Q(matched_at__isnull=True) | Q(updated_at__gt=F("matched_at")))
        .order_by("pk")
        .values_list("pk", flat=True)[:REPAIR_BATCH]
    )
    if wanted_ids:
        matches_rematch(wanted_ids=wanted_ids, now=now)
    lot_ids = list(
        Lot.objects.filter(status=LotStatus.PUBLISHED)
        .filter(
            Q(match_state__isnull=True, published_at__lt=cutoff)
            | tier_opened_condition(F("match_state__matched_at"), cutoff)
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:REPAIR_BATCH]
    )
    if lot_ids:
        matches_lots_repair(lot_ids=lot_ids, now=now)
    if wanted_ids or lot_ids:
        logger.warning(
            "matching sweep matched %s requests and %s lots that their job had not",
            len(wanted_ids),
            len(lot_ids),
        )
    return {"requests": len(wanted_ids), "lots": len(lot_ids)}
