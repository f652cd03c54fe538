"""Impact records (DESIGN §5): kg diverted, CO2e avoided and euros saved, computed from
the versioned category factors and written exactly once per handover or closing."""

import datetime
import logging
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from exchange.categories.models import CategoryFactor, FactorVersion
from exchange.categories.selectors import factor_version_current
from exchange.impact.models import (
    REUSE_OUTCOMES,
    ImpactMonthlyTotal,
    ImpactOrganisationMonthlyTotal,
    ImpactRecord,
    ImpactSource,
    ImpactTotalRole,
    Outcome,
)
from exchange.lots.models import Lot

logger = logging.getLogger(__name__)

KG = Decimal("0.001")
EUR = Decimal("0.01")


@dataclass(frozen=True)
class ImpactFigures:
    weight_kg: Decimal
    co2e_avoided_kg: Decimal
    replacement_value_eur: Decimal
    factor_version: FactorVersion


def outcome_for_recipient_kind(kind: str) -> Outcome:
    return {
        "federal": Outcome.REUSED_FEDERAL,
        "social_economy": Outcome.REUSED_SOCIAL_ECONOMY,
    }.get(kind, Outcome.REUSED_OTHER)


def impact_compute(
    *,
    lot: Lot,
    quantity: int,
    outcome: str,
    measured_weight_kg: Decimal | None = None,
    version: FactorVersion | None = None,
    factors: dict | None = None,
) -> ImpactFigures:
    """The figures for ``quantity`` units of ``lot`` that ended as ``outcome``.

    weight = the measured total, else quantity x (the lot's unit weight, else the
    category's in the factor version); CO2e = quantity x the category's per-unit reuse
    factor for reuse outcomes (sold included), else weight x the weight-based factor;
    recycling: weight x the recycling factor where one is known; disposal: 0;
    value = quantity x the replacement value for reuse outcomes, 0 otherwise.
    """
    version = version or factor_version_current()
    if version is None:
        raise FactorVersion.DoesNotExist("No current factor version: load the categories.")
    if factors is not None:  # the version's factors by category id, loaded once
        factor = factors.get(lot.category_id)
    else:
        factor = CategoryFactor.objects.filter(version=version, category_id=lot.category_id).first()
    category = lot.category
    if measured_weight_kg is not None:
        weight = Decimal(measured_weight_kg)
    else:
        unit = lot.unit_weight_kg or (factor.unit_weight_kg if factor else category.unit_weight_kg)
        weight = quantity * unit
    if outcome in REUSE_OUTCOMES:
        if factor is not None and factor.co2e_avoided_per_unit_kg is not None:
            co2e = quantity * factor.co2e_avoided_per_unit_kg
        else:
            co2e = weight * version.weight_based_co2e_per_kg
        value = quantity * category.replacement_value_eur
    elif outcome == Outcome.RECYCLED and factor is not None and factor.recycling_co2e_per_kg:
        co2e, value = weight * factor.recycling_co2e_per_kg, Decimal(0)
    else:
        co2e, value = Decimal(0), Decimal(0)
    return ImpactFigures(
        weight_kg=weight.quantize(KG, ROUND_HALF_UP),
        co2e_avoided_kg=Decimal(co2e).quantize(KG, ROUND_HALF_UP),
        replacement_value_eur=Decimal(value).quantize(EUR, ROUND_HALF_UP),
        factor_version=version,
    )


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


def impact_record_values_for_handover(
    *,
    lot: Lot,
    claim_id: int,
    claimant_id: int,
    claimant_kind: str,
    collected_quantity: int,
    collected_at: datetime.datetime,
    measured_weight_kg: Decimal | None = None,
    version: FactorVersion | None = None,
    factors: dict | None = None,
) -> dict[str, object]:
    """The impact record of a handover, as field values by attname (nothing is written):
    the claimant is the recipient and its kind gives the outcome, the lot gives donor,
    category and region, the day of the collection is the record's date, and the
    figures are ``impact_compute``'s (``version``: the current factor version)."""
    outcome = outcome_for_recipient_kind(claimant_kind)
    figures = impact_compute(
        lot=lot,
        quantity=collected_quantity,
        outcome=outcome,
        measured_weight_kg=measured_weight_kg,
        version=version,
        factors=factors,
    )
    return {
        "source": ImpactSource.HANDOVER,
        "claim_id": claim_id,
        "occurred_on": timezone.localdate(collected_at),
        "outcome": outcome,
        "lot_id": lot.pk,
        "quantity": collected_quantity,
        "weight_kg": figures.weight_kg,
        "co2e_avoided_kg": figures.co2e_avoided_kg,
        "replacement_value_eur": figures.replacement_value_eur,
        "factor_version_id": figures.factor_version.pk,
        "donor_id": lot.owner_id,
        "recipient_id": claimant_id,
        "category_id": lot.category_id,
        "region": lot.region,
    }


def impact_record_values_for_claim(
    claim, *, version: FactorVersion | None = None, factors: dict | None = None
) -> dict[str, object]:
    """``impact_record_values_for_handover`` of a collected claim (a ``Claim`` with its
    lot and claimant at hand)."""
    return impact_record_values_for_handover(
        lot=claim.lot,
        claim_id=claim.pk,
        claimant_id=claim.claimant_id,
        claimant_kind=claim.claimant.kind,
        collected_quantity=claim.collected_quantity,
        collected_at=claim.collected_at,
        measured_weight_kg=claim.measured_weight_kg,
        version=version,
        factors=factors,
    )


def impact_record_values_for_lot_close(
    *, lot: Lot, version: FactorVersion | None = None, factors: dict | None = None
) -> dict[str, object]:
    """The impact record of an expired lot's remainder closed as sold, recycled or
    disposed (``close_outcome``, ``close_quantity``, dated by the lot's last status
    change), as field values by attname; nothing is written."""
    figures = impact_compute(
        lot=lot,
        quantity=lot.close_quantity,
        outcome=lot.close_outcome,
        version=version,
        factors=factors,
    )
    return {
        "source": ImpactSource.LOT_CLOSE,
        "claim_id": None,
        "occurred_on": timezone.localdate(lot.status_changed_at),
        "outcome": lot.close_outcome,
        "lot_id": lot.pk,
        "quantity": lot.close_quantity,
        "weight_kg": figures.weight_kg,
        "co2e_avoided_kg": figures.co2e_avoided_kg,
        "replacement_value_eur": figures.replacement_value_eur,
        "factor_version_id": figures.factor_version.pk,
        "donor_id": lot.owner_id,
        "recipient_id": None,
        "category_id": lot.category_id,
        "region": lot.region,
    }


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


# --- Monthly totals ---------------------------------------------------------------

_SUMS = ("record_count", "items", "weight_kg", "co2e_avoided_kg", "replacement_value_eur")
_RECORD_SUMS = (
    "COUNT(*), SUM(r.quantity), SUM(r.weight_kg), SUM(r.co2e_avoided_kg), "
    "SUM(r.replacement_value_eur)"
)


def _month(column: str) -> str:
    """SQL for the first day of the month of a date column."""
    if connection.vendor == "postgresql":
        return f"CAST(date_trunc('month', {column}) AS date)"
    return f"date({column}, 'start of month')"


def _totals_targets() -> list[tuple[type, dict[str, str], str]]:
    """Each totals table with its key columns (and the SQL on the records ``r`` that
    gives each), and the organisation column that must be set (donor, recipient)."""
    month = _month("r.occurred_on")
    targets: list[tuple[type, dict[str, str], str]] = [
        (
            ImpactMonthlyTotal,
            {
                "month": month,
                "outcome": "r.outcome",
                "category_id": "r.category_id",
                "region": "r.region",
                "factor_version_id": "r.factor_version_id",
            },
            "",
        )
    ]
    for role in ImpactTotalRole.values:
        key = {"role": f"'{role}'", "month": month, "organisation_id": f"r.{role}_id"}
        targets.append(
            (ImpactOrganisationMonthlyTotal, {**key, "outcome": "r.outcome"}, f"r.{role}_id")
        )
    return targets


def _totals_select(key: dict[str, str], organisation: str, where: str) -> str:
    """The sums of the records matching ``where``, grouped by ``key``."""
    groups = ", ".join(value for value in key.values() if not value.startswith("'"))
    condition = f" AND {organisation} IS NOT NULL" if organisation else ""
    # Names from the models and SQL of this module: nothing from outside.
    return (
        f"SELECT {', '.join(key.values())}, {_RECORD_SUMS} "  # noqa: S608
        f"FROM {ImpactRecord._meta.db_table} r WHERE ({where}){condition} GROUP BY {groups}"
    )


def _totals_statements(where: str) -> list[str]:
    """INSERT ... SELECT ... GROUP BY statements that add the records matching ``where``
    (SQL on the records as ``r``) to the monthly totals. The upsert adds to a row that
    exists, in the database, so concurrent writers never lose each other's sums."""
    statements = []
    for model, key, organisation in _totals_targets():
        table = model._meta.db_table
        updates = ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in _SUMS)
        statements.append(
            f"INSERT INTO {table} ({', '.join(key)}, {', '.join(_SUMS)}) "
            f"{_totals_select(key, organisation, where)} "
            f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
        )
    return statements


def impact_totals_add(*, records: QuerySet[ImpactRecord]) -> None:
    """Add ``records`` (just written, in the current transaction) to the monthly totals.
    Every writer of impact records calls it in the transaction of its insert."""
    subquery, params = records.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        for statement in _totals_statements(f"r.id IN ({subquery})"):
            cursor.execute(statement, params)


@transaction.atomic
def impact_totals_rebuild() -> int:
    """Recompute every monthly total from the records; returns how many rows it wrote.
    For after a bulk load that bypassed the services, and to repair. Writers wait while
    it runs (PostgreSQL: a lock that only they conflict with); readers read the old
    totals until it commits."""
    models = (ImpactMonthlyTotal, ImpactOrganisationMonthlyTotal)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            tables = ", ".join(model._meta.db_table for model in models)
            cursor.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")
        for model in models:
            model.objects.all().delete()
        for statement in _totals_statements("1 = 1"):
            cursor.execute(statement)
    return ImpactMonthlyTotal.objects.count() + ImpactOrganisationMonthlyTotal.objects.count()


def impact_totals_differences() -> int:
    """How many monthly total rows differ from the sums of the records (missing, extra
    or other sums); 0 when they agree. Reads everything: for checks, not requests."""
    differences = 0
    with connection.cursor() as cursor:
        for model, key, organisation in _totals_targets():
            table = model._meta.db_table
            cursor.execute(_totals_select(key, organisation, "1 = 1"))
            expected = _by_key(cursor.fetchall(), len(key))
            role = f" WHERE role = {key['role']}" if "role" in key else ""
            cursor.execute(f"SELECT {', '.join(key)}, {', '.join(_SUMS)} FROM {table}{role}")  # noqa: S608
            stored = _by_key(cursor.fetchall(), len(key))
            differences += sum(
                1
                for k in expected.keys() | stored.keys()
                if _comparable(expected.get(k)) != _comparable(stored.get(k))
            )
    return differences


def _by_key(rows: list[tuple], size: int) -> dict[tuple, tuple]:
    # keys as text: SQLite gives the month as text from an expression, a date from a column
    return {tuple(str(value) for value in row[:size]): row[size:] for row in rows}


def _comparable(sums: tuple | None) -> tuple | None:
    """Sums as exact decimals (SQLite returns floats for decimal columns)."""
    if sums is None:
        return None
    return tuple(Decimal(str(value)).quantize(KG) for value in sums)
