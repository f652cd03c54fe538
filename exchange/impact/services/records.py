"""Impact records: written exactly once per handover and per closing of an expired lot,
with the figures of ``exchange.impact.figures``, and the monthly totals in the same
transaction; a sweep writes what a lost task never wrote."""

import logging

from django.db import IntegrityError, transaction

from exchange.impact.figures import (
    impact_record_values_for_claim,
    impact_record_values_for_lot_close,
)
from exchange.impact.models import ImpactRecord, ImpactSource
from exchange.impact.services.totals import impact_totals_add
from exchange.lots.models import Lot

logger = logging.getLogger(__name__)


def _write_once(values: dict) -> ImpactRecord:
    """Create the record unless its unique key (its claim or its lot, and its source)
    exists; a concurrent twin loses the race on the unique constraint and returns the
    winner's record."""
    key = "claim_id" if values["source"] == ImpactSource.HANDOVER else "lot_id"
    lookup = {key: values[key], "source": values["source"]}
    existing = ImpactRecord.objects.filter(**lookup).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            record = ImpactRecord.objects.create(**values)
            impact_totals_add(records=ImpactRecord.objects.filter(pk=record.pk))
            return record
    except IntegrityError:
        return ImpactRecord.objects.get(**lookup)


def impact_record_for_claim(*, claim_id: int) -> ImpactRecord | None:
    """The impact record of a handover; None while the claim is not collected."""
    from exchange.claims.models import Claim, ClaimStatus

    claim = (
        Claim.objects.select_related("lot__category", "claimant", "lot__owner")
        .filter(pk=claim_id, status=ClaimStatus.COLLECTED)
        .first()
    )
    if claim is None:
        return None
    return _write_once(impact_record_values_for_claim(claim))


def impact_record_for_lot_close(*, lot_id: int) -> ImpactRecord | None:
    """The impact record of an expired lot's remainder, closed as sold, recycled or disposed."""
    lot = Lot.objects.select_related("category", "owner").filter(pk=lot_id).first()
    if lot is None or not lot.close_outcome or not lot.close_quantity:
        return None
    return _write_once(impact_record_values_for_lot_close(lot=lot))


def impact_records_sweep() -> int:
    """Write the records a lost task never wrote. Returns how many it wrote."""
    from exchange.claims.models import Claim, ClaimStatus

    written = 0
    missing_claims = Claim.objects.filter(status=ClaimStatus.COLLECTED).exclude(
        impact_records__source=ImpactSource.HANDOVER
    )
    for claim_id in missing_claims.values_list("pk", flat=True):
        impact_record_for_claim(claim_id=claim_id)
        written += 1
    missing_lots = (
        Lot.objects.exclude(close_outcome="")
        .filter(close_quantity__gt=0)
        .exclude(impact_records__source=ImpactSource.LOT_CLOSE)
    )
    for lot_id in missing_lots.values_list("pk", flat=True):
        impact_record_for_lot_close(lot_id=lot_id)
        written += 1
    if written:
        logger.warning("impact sweep wrote %s records that a task had not written", written)
    return written
