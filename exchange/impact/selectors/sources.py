"""Where the statistics' sums come from, and how sums become rows.

Every figure is a sum of impact records. A source gives the sums per month, outcome,
category and region (``fine_rows``), per donor or recipient name, the reused weight
among them (``organisation_rows``), and its rows for series (``rows``, dated by ``date``, counted by
``items``):

- ``FromRecords``: the records themselves;
- ``FromMonthlyTotals``: the monthly totals kept with the records (same sums, far fewer
  rows), for whole months of every organisation;
- ``FromRecomputed``: the records as if each had been computed with another factor
  version (for comparing versions; nothing stored changes).

``Sums`` adds group rows up and ``breakdown_rows`` turns groups into the rows every
reader gets (API, pages, reports): the one way a breakdown is made.
"""

import calendar
import datetime
from decimal import Decimal

from django.db.models import DecimalField, F, IntegerField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth

from exchange.categories.models import FactorVersion
from exchange.categories.selectors import subtree_condition
from exchange.impact.figures import (
    OTHER_RECIPIENTS_OUTCOME,
    OUTCOME_BY_RECIPIENT_KIND,
    impact_compute,
    impact_factors,
)
from exchange.impact.models import (
    REUSE_OUTCOMES,
    ImpactMonthlyTotal,
    ImpactOrganisationCategoryMonthlyTotal,
    ImpactOrganisationMonthlyTotal,
    ImpactRecord,
)

ZERO = Value(Decimal(0), output_field=DecimalField(max_digits=14, decimal_places=3))
CENT = Decimal("0.01")

# The kind of recipient follows from the outcome (outcome_for_recipient_kind the other
# way round); an outcome without a recipient (sold, which is reuse, recycled, disposed)
# is its own row, under the outcome's name.
RECIPIENT_KINDS = {
    **{outcome: str(kind) for kind, outcome in OUTCOME_BY_RECIPIENT_KIND.items()},
    OTHER_RECIPIENTS_OUTCOME: "other",
}


def recipient_kind(outcome: str) -> str:
    """The row of "by kind of recipient" that a record of ``outcome`` counts in."""
    return RECIPIENT_KINDS.get(outcome, outcome)


def measures(items: str = "quantity") -> dict:
    """The sums in SQL, under names that do not clash with the record's own fields;
    ``items`` is the field of the items (the records' quantity, the totals' items)."""
    reused = Q(outcome__in=REUSE_OUTCOMES)
    return {
        "sum_items": Coalesce(Sum(items), Value(0), output_field=IntegerField()),
        "sum_weight_kg": Coalesce(Sum("weight_kg"), ZERO),
        "sum_reused_weight_kg": Coalesce(Sum("weight_kg", filter=reused), ZERO),
        "sum_co2e_avoided_kg": Coalesce(Sum("co2e_avoided_kg"), ZERO),
        "sum_replacement_value_eur": Coalesce(Sum("replacement_value_eur"), ZERO),
    }


def finish(row: dict) -> dict:
    """A row of sums as readers get it: items, weight, reused weight, CO2e avoided and
    value (to the cent), and the diversion rate (reused weight / weight, 4 decimals;
    None without weight)."""
    for key in [k for k in row if k.startswith("sum_")]:
        row[key[4:]] = row.pop(key)
    weight = Decimal(row["weight_kg"] or 0)
    reused = Decimal(row["reused_weight_kg"] or 0)
    row["diversion_rate"] = float(round(reused / weight, 4)) if weight else None
    for key in ("weight_kg", "reused_weight_kg", "co2e_avoided_kg", "replacement_value_eur"):
        row[key] = Decimal(row[key] or 0).quantize(CENT)
    return row


class Sums(dict):
    """Sums of group rows, in Python: exact, since the database's group sums are."""

    def __init__(self):
        super().__init__(
            sum_items=0,
            sum_weight_kg=Decimal(0),
            sum_reused_weight_kg=Decimal(0),
            sum_co2e_avoided_kg=Decimal(0),
            sum_replacement_value_eur=Decimal(0),
        )

    def add(self, row: dict) -> None:
        weight = row["sum_weight_kg"] or Decimal(0)
        self["sum_items"] += row["sum_items"] or 0
        self["sum_weight_kg"] += weight
        if row["outcome"] in REUSE_OUTCOMES:
            self["sum_reused_weight_kg"] += weight
        self["sum_co2e_avoided_kg"] += row["sum_co2e_avoided_kg"] or Decimal(0)
        self["sum_replacement_value_eur"] += row["sum_replacement_value_eur"] or Decimal(0)

    def merge(self, other: "Sums") -> None:
        """Add the sums of another group (its reused weight is counted already)."""
        for key, value in other.items():
            self[key] += value


def breakdown_rows(groups: dict, *, in_order: bool = False) -> list[dict]:
    """Rows of ``{key: Sums}``: with ``in_order`` (months, years) every group in the
    order of its key; else the groups with something in them, heaviest first (equal
    weights by key, so that the order never depends on the query plan)."""
    rows = [finish({"key": key, **sums}) for key, sums in groups.items()]
    if in_order:
        return sorted(rows, key=lambda r: r["key"])
    rows = sorted(
        (row for row in rows if row["items"] or row["weight_kg"]), key=lambda r: str(r["key"])
    )
    return sorted(rows, key=lambda r: r["weight_kg"], reverse=True)


def _group_sums(items: str) -> dict:
    return {
        "sum_items": Sum(items),
        "sum_weight_kg": Sum("weight_kg"),
        "sum_co2e_avoided_kg": Sum("co2e_avoided_kg"),
        "sum_replacement_value_eur": Sum("replacement_value_eur"),
    }


class FromRecords:
    """Group sums read from the records."""

    date, items = "occurred_on", "quantity"

    def __init__(self, records: QuerySet[ImpactRecord]):
        self.rows = records

    def fine_rows(self) -> QuerySet:
        """Sums per month, outcome, category and region."""
        return (
            self.rows.values("outcome", "category_id", "region", period=TruncMonth(self.date))
            .annotate(**_group_sums(self.items))
            .order_by()
        )

    def organisation_rows(self, side: str) -> QuerySet:
        """Sums per donor or recipient name, the reused weight among them."""
        return (
            self.rows.exclude(**{f"{side}_id": None})
            .values(name=F(f"{side}__name"))
            .annotate(**measures(self.items))
            .order_by()
        )

    def record_count(self) -> int:
        return self.rows.count()


def period(filters) -> tuple[datetime.date | None, datetime.date | None]:
    """The first and last day ``filters`` (a ``StatsFilter``) let through (None: no
    bound)."""
    first, last = filters.date_from, filters.date_to
    if filters.year is not None:
        start, end = datetime.date(filters.year, 1, 1), datetime.date(filters.year, 12, 31)
        first = max(first, start) if first else start
        last = min(last, end) if last else end
    return first, last


def whole_months(filters) -> bool:
    first, last = period(filters)
    return (first is None or first.day == 1) and (
        last is None or last.day == calendar.monthrange(last.year, last.month)[1]
    )


class FromMonthlyTotals:
    """The same group sums read from the monthly totals; with a category or a region
    filter, the donor and recipient breakdowns from the totals per organisation,
    category and region."""

    date, items = "month", "items"

    def __init__(self, filters, records: QuerySet[ImpactRecord]):
        first, last = period(filters)
        common = Q()
        if first is not None:
            common &= Q(month__gte=first)
        if last is not None:
            common &= Q(month__lte=last.replace(day=1))
        if filters.outcome:
            common &= Q(outcome=filters.outcome)
        fine = common
        if filters.category:
            fine &= subtree_condition(filters.category.path, field="category__path")
        if filters.region:
            fine &= Q(region=filters.region)
        self.rows = ImpactMonthlyTotal.objects.filter(fine)
        if filters.category or filters.region:
            self._organisations = ImpactOrganisationCategoryMonthlyTotal.objects.filter(fine)
        else:
            self._organisations = ImpactOrganisationMonthlyTotal.objects.filter(common)

    def fine_rows(self) -> QuerySet:
        """The rows themselves: they are sums per month, outcome, category and region
        already (one per factor version, which the summary adds up)."""
        return self.rows.values(
            "outcome",
            "category_id",
            "region",
            period=F("month"),
            sum_items=F("items"),
            sum_weight_kg=F("weight_kg"),
            sum_co2e_avoided_kg=F("co2e_avoided_kg"),
            sum_replacement_value_eur=F("replacement_value_eur"),
        ).order_by()

    def organisation_rows(self, side: str) -> QuerySet:
        return (
            self._organisations.filter(role=side)
            .values(name=F("organisation__name"))
            .annotate(**measures(self.items))
            .order_by()
        )

    def record_count(self) -> int:
        return self.rows.aggregate(count=Coalesce(Sum("record_count"), 0))["count"]


class FromRecomputed:
    """The group sums of ``records`` as if each had been computed with factor
    ``version``: each record's figures again from its lot, quantity, outcome and
    measured weight. Reads every record: for a report on request, not for pages."""

    def __init__(self, records: QuerySet[ImpactRecord], version: FactorVersion):
        factors = impact_factors(version=version)
        fine: dict[tuple, Sums] = {}
        organisations: dict[tuple, Sums] = {}
        rows = records.select_related("lot__category", "claim", "donor", "recipient").order_by()
        for record in rows.iterator(chunk_size=2000):
            figures = impact_compute(
                lot=record.lot,
                quantity=record.quantity,
                outcome=record.outcome,
                measured_weight_kg=record.claim.measured_weight_kg if record.claim_id else None,
                version=version,
                factors=factors,
            )
            row = {
                "outcome": record.outcome,
                "sum_items": record.quantity,
                "sum_weight_kg": figures.weight_kg,
                "sum_co2e_avoided_kg": figures.co2e_avoided_kg,
                "sum_replacement_value_eur": figures.replacement_value_eur,
            }
            month = record.occurred_on.replace(day=1)
            keys = [(fine, (record.outcome, record.category_id, record.region, month))]
            keys.append((organisations, ("donor", record.donor.name)))
            if record.recipient_id:
                keys.append((organisations, ("recipient", record.recipient.name)))
            for groups, key in keys:
                if key not in groups:
                    groups[key] = Sums()
                groups[key].add(row)
        self._fine = [
            {"outcome": o, "category_id": c, "region": r, "period": m, **_raw(sums)}
            for (o, c, r, m), sums in fine.items()
        ]
        self._organisations = organisations

    def fine_rows(self) -> list[dict]:
        return self._fine

    def organisation_rows(self, side: str) -> list[dict]:
        return [
            {"name": name, **sums}
            for (role, name), sums in self._organisations.items()
            if role == side
        ]


def _raw(sums: Sums) -> dict:
    """A group's sums as a source row gives them (without the reused weight, which
    ``Sums.add`` derives from the outcome)."""
    return {key: value for key, value in sums.items() if key != "sum_reused_weight_kg"}


def source_for(query) -> FromRecords | FromMonthlyTotals:
    """Where the figures of a ``StatsQuery`` come from: the monthly totals for whole
    months of every organisation without a filter on donor, recipient or kind of
    recipient; else the records. The period is checked either way."""
    records = query.records()
    filters = query.filters
    if (
        query.organisation_id is None
        and not (filters.donor or filters.recipient or filters.organisation_kind)
        and whole_months(filters)
    ):
        return FromMonthlyTotals(filters, records)
    return FromRecords(records)
