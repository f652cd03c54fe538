"""Reuse statistics from impact records, computed in SQL (DESIGN §5).

diversion rate = reused weight (sold included) / all recorded weight (reused, sold,
recycled, disposed).

Every figure is a sum of records. A question about whole months and every organisation
(an analyst's year, the five-year series, the annual report, the open data) is answered
from the monthly totals (``ImpactMonthlyTotal``, ``ImpactOrganisationMonthlyTotal``),
which hold the same sums per month and are written in the transaction that writes the
records; any other (a member's scope, a donor, a recipient or a kind of recipient, part
of a month) from the records. Both give the same figures.
"""

import calendar
import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Case,
    DecimalField,
    F,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth, TruncQuarter, TruncYear
from django.utils.translation import gettext as _

from exchange.categories.models import Category
from exchange.categories.selectors import subtree_condition
from exchange.common.errors import ApplicationError, ErrorKind
from exchange.impact.models import (
    REUSE_OUTCOMES,
    ImpactMonthlyTotal,
    ImpactOrganisationMonthlyTotal,
    ImpactRecord,
    Outcome,
)
from exchange.impact.selectors import impact_reads_all
from exchange.organisations.models import Membership, Organisation

FIRST_YEAR, LAST_YEAR = 2000, 2100
INTERVALS = {"month": TruncMonth, "quarter": TruncQuarter, "year": TruncYear}
BREAKDOWNS = (
    "outcome",
    "category",
    "root_category",
    "region",
    "donor",
    "recipient",
    "recipient_kind",
    "month",
)
FILTERS = (
    "year",
    "date_from",
    "date_to",
    "donor",
    "recipient",
    "organisation_kind",
    "category",
    "region",
    "outcome",
    "interval",
)
ZERO = Value(Decimal(0), output_field=DecimalField(max_digits=14, decimal_places=3))


@dataclass
class StatsFilter:
    year: int | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    donor: Organisation | None = None
    recipient: Organisation | None = None
    organisation_kind: str = ""  # the recipient's kind: federal, social_economy, public, nonprofit
    category: Category | None = None
    region: str = ""
    outcome: str = ""


def _scope_organisation_id(*, user, actor: Membership | None) -> int | None:
    """None for readers of every organisation, else the reader's organisation."""
    if impact_reads_all(user):
        return None
    if actor is None:
        raise ApplicationError(
            code="no_organisation",
            kind=ErrorKind.FORBIDDEN,
            message=_("Statistics are for members of an organisation and for analysts."),
        )
    return actor.organisation_id


def stats_scope(*, user, actor: Membership | None) -> QuerySet[ImpactRecord]:
    """What a reader may count: analysts and moderators everything, members their own
    organisation as donor and as recipient, anybody else nothing (403)."""
    return stats_records(organisation_id=_scope_organisation_id(user=user, actor=actor))


def stats_check_access(*, user, actor: Membership | None, filters: StatsFilter) -> None:
    """A member may filter on their own organisation only (403 otherwise)."""
    if impact_reads_all(user):
        return
    own = actor.organisation_id if actor else None
    for name in ("donor", "recipient"):
        organisation = getattr(filters, name)
        if organisation is not None and organisation.pk != own:
            raise ApplicationError(
                code="not_your_organisation",
                kind=ErrorKind.FORBIDDEN,
                field=name,
                message=_("You may read the figures of your own organisation only."),
            )


def stats_filter(queryset: QuerySet[ImpactRecord], filters: StatsFilter) -> QuerySet[ImpactRecord]:
    if filters.year is not None:
        if not FIRST_YEAR <= filters.year <= LAST_YEAR:
            raise ApplicationError(
                code="year_out_of_range",
                field="year",
                message=_("Give a year from %(first)s to %(last)s.")
                % {"first": FIRST_YEAR, "last": LAST_YEAR},
            )
        queryset = queryset.filter(
            occurred_on__gte=datetime.date(filters.year, 1, 1),
            occurred_on__lte=datetime.date(filters.year, 12, 31),
        )
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise ApplicationError(
            code="invalid_range",
            field="date_to",
            message=_("The end date lies before the start date."),
        )
    if filters.date_from:
        queryset = queryset.filter(occurred_on__gte=filters.date_from)
    if filters.date_to:
        queryset = queryset.filter(occurred_on__lte=filters.date_to)
    if filters.donor:
        queryset = queryset.filter(donor=filters.donor)
    if filters.recipient:
        queryset = queryset.filter(recipient=filters.recipient)
    if filters.organisation_kind:
        queryset = queryset.filter(recipient__kind=filters.organisation_kind)
    if filters.category:
        queryset = queryset.filter(subtree_condition(filters.category.path, field="category__path"))
    if filters.region:
        queryset = queryset.filter(region=filters.region)
    if filters.outcome:
        queryset = queryset.filter(outcome=filters.outcome)
    return queryset


def _measures(items: str = "quantity") -> dict:
    """The sums, under names that do not clash with the record's own fields; ``items``
    is the field of the items (the records' quantity, the totals' items)."""
    reused = Q(outcome__in=REUSE_OUTCOMES)
    return {
        "sum_items": Coalesce(Sum(items), Value(0), output_field=IntegerField()),
        "sum_weight_kg": Coalesce(Sum("weight_kg"), ZERO),
        "sum_reused_weight_kg": Coalesce(Sum("weight_kg", filter=reused), ZERO),
        "sum_co2e_avoided_kg": Coalesce(Sum("co2e_avoided_kg"), ZERO),
        "sum_replacement_value_eur": Coalesce(Sum("replacement_value_eur"), ZERO),
    }


def _finish(row: dict) -> dict:
    for key in [k for k in row if k.startswith("sum_")]:
        row[key[4:]] = row.pop(key)
    weight = Decimal(row["weight_kg"] or 0)
    reused = Decimal(row.pop("reused_weight_kg") or 0)
    row["diversion_rate"] = float(round(reused / weight, 4)) if weight else None
    for key in ("weight_kg", "co2e_avoided_kg", "replacement_value_eur"):
        row[key] = Decimal(row[key] or 0).quantize(Decimal("0.01"))
    return row


# The kind of recipient follows from the outcome; "none" for recycled and disposed.
_RECIPIENT_KINDS = {
    Outcome.REUSED_FEDERAL: "federal",
    Outcome.REUSED_SOCIAL_ECONOMY: "social_economy",
    Outcome.REUSED_OTHER: "other",
}


def _recipient_kind_expression() -> Case:
    return Case(
        *(When(outcome=outcome, then=Value(kind)) for outcome, kind in _RECIPIENT_KINDS.items()),
        default=Value("none"),
    )


def stats_breakdown(queryset: QuerySet[ImpactRecord], by: str) -> list[dict]:
    """Totals of the records grouped by one dimension, largest weight first (months in
    order): one query per dimension, straight from the records. ``stats_summary`` gives
    the same rows for all dimensions at once."""
    measures = _measures()
    if by == "outcome":
        rows = queryset.values(key=F("outcome")).annotate(**measures)
    elif by == "category":
        rows = queryset.values(key=F("category__code")).annotate(**measures)
    elif by == "root_category":
        # the first segment of the category path: furniture, it
        rows = [
            {
                "key": root.code,
                **queryset.filter(subtree_condition(root.path, field="category__path")).aggregate(
                    **measures
                ),
            }
            for root in Category.objects.filter(parent__isnull=True)
        ]
    elif by == "region":
        rows = queryset.values(key=F("region")).annotate(**measures)
    elif by == "donor":
        rows = queryset.values(key=F("donor__name")).annotate(**measures)
    elif by == "recipient":
        rows = (
            queryset.exclude(recipient=None).values(key=F("recipient__name")).annotate(**measures)
        )
    elif by == "recipient_kind":
        rows = (
            queryset.annotate(kind=_recipient_kind_expression())
            .values(key=F("kind"))
            .annotate(**measures)
        )
    elif by == "month":
        rows = (
            queryset.annotate(period=TruncMonth("occurred_on"))
            .values(key=F("period"))
            .annotate(**measures)
        )
        return [_finish(dict(r)) for r in sorted(rows, key=lambda r: r["key"])]
    else:
        raise ValueError(by)
    result = [row for row in (_finish(dict(r)) for r in rows) if row["items"] or row["weight_kg"]]
    return sorted(result, key=lambda r: r["weight_kg"], reverse=True)


# Breakdowns that follow from sums per (month, outcome, category, region).
_FINE_BREAKDOWNS = ("outcome", "category", "root_category", "region", "recipient_kind", "month")


@dataclass(frozen=True)
class StatsQuery:
    """What a reader counts: the records of every organisation (``organisation_id``
    None: analysts, moderators, the open data) or of one, as donor and as recipient,
    narrowed by ``filters``. The statistics answer it from the monthly totals when they
    can, else from ``records()``."""

    organisation_id: int | None = None
    filters: StatsFilter = field(default_factory=StatsFilter)

    def records(self) -> QuerySet[ImpactRecord]:
        return stats_filter(stats_records(organisation_id=self.organisation_id), self.filters)


Selection = StatsQuery | QuerySet[ImpactRecord]


def stats_records(*, organisation_id: int | None) -> QuerySet[ImpactRecord]:
    """Every record (None), or an organisation's as donor and as recipient."""
    if organisation_id is None:
        return ImpactRecord.objects.all()
    return ImpactRecord.objects.filter(
        Q(donor_id=organisation_id) | Q(recipient_id=organisation_id)
    )


def stats_query(
    *, user, actor: Membership | None, filters: StatsFilter | None = None
) -> StatsQuery:
    """The reader's query, checked before anything is read: 403 without an organisation
    or for another organisation's figures, 400 for a bad period."""
    filters = filters or StatsFilter()
    stats_check_access(user=user, actor=actor, filters=filters)
    query = StatsQuery(
        organisation_id=_scope_organisation_id(user=user, actor=actor), filters=filters
    )
    query.records()  # validates the period
    return query


def _group_sums(items: str) -> dict:
    return {
        "sum_items": Sum(items),
        "sum_weight_kg": Sum("weight_kg"),
        "sum_co2e_avoided_kg": Sum("co2e_avoided_kg"),
        "sum_replacement_value_eur": Sum("replacement_value_eur"),
    }


class _FromRecords:
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
        return (
            self.rows.exclude(**{f"{side}_id": None})
            .values("outcome", name=F(f"{side}__name"))
            .annotate(**_group_sums(self.items))
            .order_by()
        )

    def record_count(self) -> int:
        return self.rows.count()


class _FromMonthlyTotals:
    """The same group sums read from the monthly totals. The totals per organisation
    know no category and no region: with those filters, the donor and recipient
    breakdowns are read from the records."""

    date, items = "month", "items"

    def __init__(self, query: StatsQuery, records: QuerySet[ImpactRecord]):
        filters = query.filters
        first, last = _period(filters)
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
        self._organisations = None
        if not filters.category and not filters.region:
            self._organisations = ImpactOrganisationMonthlyTotal.objects.filter(common)
        self._records = records

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
        if self._organisations is None:
            return _FromRecords(self._records).organisation_rows(side)
        return (
            self._organisations.filter(role=side)
            .values("outcome", name=F("organisation__name"))
            .annotate(**_group_sums(self.items))
            .order_by()
        )

    def record_count(self) -> int:
        return self.rows.aggregate(count=Coalesce(Sum("record_count"), 0))["count"]


def _period(filters: StatsFilter) -> tuple[datetime.date | None, datetime.date | None]:
    """The first and last day the filters let through (None: no bound)."""
    first, last = filters.date_from, filters.date_to
    if filters.year is not None:
        start, end = datetime.date(filters.year, 1, 1), datetime.date(filters.year, 12, 31)
        first = max(first, start) if first else start
        last = min(last, end) if last else end
    return first, last


def _whole_months(filters: StatsFilter) -> bool:
    first, last = _period(filters)
    return (first is None or first.day == 1) and (
        last is None or last.day == calendar.monthrange(last.year, last.month)[1]
    )


def _source(selection: Selection) -> _FromRecords | _FromMonthlyTotals:
    """Where the figures of ``selection`` come from: the monthly totals for whole months
    of every organisation without a filter on donor, recipient or kind of recipient;
    else the records."""
    if not isinstance(selection, StatsQuery):
        return _FromRecords(selection)
    records = selection.records()  # checks the period, also when the totals answer
    filters = selection.filters
    if (
        selection.organisation_id is None
        and not (filters.donor or filters.recipient or filters.organisation_kind)
        and _whole_months(filters)
    ):
        return _FromMonthlyTotals(selection, records)
    return _FromRecords(records)


class _Sums(dict):
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


def _rows(groups: dict, *, by_key: bool = False) -> list[dict]:
    """Months in order; other groups with something in them, heaviest first (equal
    weights by key, so that the order never depends on the query plan)."""
    rows = [_finish({"key": key, **sums}) for key, sums in groups.items()]
    if by_key:
        return sorted(rows, key=lambda r: r["key"])
    rows = sorted(
        (row for row in rows if row["items"] or row["weight_kg"]), key=lambda r: str(r["key"])
    )
    return sorted(rows, key=lambda r: r["weight_kg"], reverse=True)


def _by_organisation(rows: QuerySet) -> list[dict]:
    """Totals by donor or recipient name (organisations of the same name are one row,
    as a GROUP BY name makes them)."""
    groups: dict[str, _Sums] = {}
    for row in rows:
        if row["name"] not in groups:
            groups[row["name"]] = _Sums()
        groups[row["name"]].add(row)
    return _rows(groups)


def stats_summary(selection: Selection, *, breakdowns=BREAKDOWNS) -> dict:
    """The totals and the breakdowns of ``selection``, the same as ``stats_breakdown``
    per dimension, in at most three queries: one grouped by month, outcome, category
    and region (everything but the organisations follows from it), one by donor, one by
    recipient; each reads the monthly totals when they can answer."""
    source = _source(selection)
    categories = {c.pk: c for c in Category.objects.all()}
    totals = _Sums()
    fine: dict[str, dict] = {by: {} for by in _FINE_BREAKDOWNS}
    for row in source.fine_rows():
        category = categories[row["category_id"]]
        keys = {
            "outcome": row["outcome"],
            "category": category.code,
            "root_category": category.path.split("/")[0],
            "region": row["region"],
            "recipient_kind": _RECIPIENT_KINDS.get(row["outcome"], "none"),
            "month": row["period"],
        }
        totals.add(row)
        for by, key in keys.items():
            groups = fine[by]
            if key not in groups:
                groups[key] = _Sums()
            groups[key].add(row)
    # The root categories in the order of the tree, as stats_breakdown lists them.
    roots = [
        c.code for c in sorted(categories.values(), key=lambda c: c.path) if c.parent_id is None
    ]
    fine["root_category"] = {
        code: fine["root_category"][code] for code in roots if code in fine["root_category"]
    }
    result = {}
    for by in breakdowns:
        if by in ("donor", "recipient"):
            result[by] = _by_organisation(source.organisation_rows(by))
        elif by in fine:
            result[by] = _rows(fine[by], by_key=by == "month")
        else:
            raise ValueError(by)
    return {"totals": _finish(dict(totals)), "breakdowns": result}


def stats_timeseries(
    selection: Selection, *, interval: str = "month", outcomes: Iterable[str] | None = None
) -> list[dict]:
    """The sums per month, quarter or year that has records, in order; with
    ``outcomes``, of the records with those outcomes only."""
    if interval not in INTERVALS:
        raise ApplicationError(
            code="invalid_interval", field="interval", message=_("Choose month, quarter or year.")
        )
    source = _source(selection)
    rows = source.rows if outcomes is None else source.rows.filter(outcome__in=list(outcomes))
    rows = (
        rows.annotate(period=INTERVALS[interval](source.date))
        .values("period")
        .annotate(**_measures(source.items))
        .order_by("period")
    )
    result = []
    for row in rows:
        row = _finish(dict(row))
        period = row["period"]
        row["period"] = period.date().isoformat() if hasattr(period, "date") else period.isoformat()
        result.append(row)
    return result


def stats_record_count(selection: Selection) -> int:
    return _source(selection).record_count()


def stats_factor_versions(selection: Selection) -> QuerySet:
    """The ids of the factor versions the selected records were computed with."""
    return _source(selection).rows.values("factor_version_id").distinct()


def stats_years(selection: Selection) -> list[int]:
    """The years that have records, in order."""
    source = _source(selection)
    return [moment.year for moment in source.rows.dates(source.date, "year")]


def open_data(*, year: int | None = None) -> list[dict]:
    """Anonymous totals by year, region, category and outcome: no organisation names."""
    source = _source(StatsQuery(filters=StatsFilter(year=year)))
    rows = (
        source.rows.annotate(year=TruncYear(source.date))
        .values("year", "region", "outcome", category_code=F("category__code"))
        .annotate(**_measures(source.items))
        .order_by("year", "region", "category_code", "outcome")
    )
    result = []
    for row in rows:
        row = _finish(dict(row))
        row["year"] = row["year"].year
        result.append(row)
    return result


def stats_summary_recomputed(queryset: QuerySet[ImpactRecord], *, version) -> dict:
    """The summary as if every record had been computed with factor ``version``: each
    record's figures are recomputed from its lot, quantity, outcome and measured weight
    (on request, for comparing factor versions; the stored records do not change)."""
    from exchange.categories.models import CategoryFactor
    from exchange.impact.services import impact_compute

    factors = {f.category_id: f for f in CategoryFactor.objects.filter(version=version)}
    recomputed = []
    for record in queryset.select_related("lot__category", "claim", "recipient", "donor"):
        measured = record.claim.measured_weight_kg if record.claim_id else None
        figures = impact_compute(
            lot=record.lot,
            quantity=record.quantity,
            outcome=record.outcome,
            measured_weight_kg=measured,
            version=version,
            factors=factors,
        )
        recomputed.append(
            {
                "record": record,
                "items": record.quantity,
                "weight_kg": figures.weight_kg,
                "reused_weight_kg": figures.weight_kg
                if record.outcome in REUSE_OUTCOMES
                else Decimal(0),
                "co2e_avoided_kg": figures.co2e_avoided_kg,
                "replacement_value_eur": figures.replacement_value_eur,
            }
        )

    def total(rows) -> dict:
        row = {
            key: sum((r[key] for r in rows), Decimal(0))
            for key in ("weight_kg", "reused_weight_kg", "co2e_avoided_kg", "replacement_value_eur")
        }
        row["items"] = sum(r["items"] for r in rows)
        return _finish(row)

    keys = {
        "outcome": lambda r: r.outcome,
        "category": lambda r: r.lot.category.code,
        "root_category": lambda r: r.lot.category.path.split("/")[0],
        "region": lambda r: r.region,
        "donor": lambda r: r.donor.name,
        "recipient": lambda r: r.recipient.name if r.recipient_id else None,
        "recipient_kind": lambda r: _RECIPIENT_KINDS.get(r.outcome, "none"),
        "month": lambda r: r.occurred_on.replace(day=1),
    }
    breakdowns = {}
    for by, key in keys.items():
        groups: dict = {}
        for row in recomputed:
            group = key(row["record"])
            if group is not None:
                groups.setdefault(group, []).append(row)
        rows = [{"key": group, **total(members)} for group, members in groups.items()]
        rows.sort(
            key=(lambda r: r["key"]) if by == "month" else (lambda r: r["weight_kg"]),
            reverse=by != "month",
        )
        breakdowns[by] = rows
    return {"totals": total(recomputed), "breakdowns": breakdowns}
