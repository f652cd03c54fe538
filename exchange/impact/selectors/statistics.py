"""Reuse statistics from impact records, computed in SQL (docs/design.md §5).

diversion rate = reused weight (sold included) / all recorded weight (reused, sold,
recycled, disposed).

Every figure is a sum of records. A question about whole months and every organisation
(an analyst's year, the five-year series, the annual report, the open data) is answered
from the monthly totals, which hold the same sums per month and are written in the
transaction that writes the records; any other (a member's scope, a donor, a recipient
or a kind of recipient, part of a month) from the records. Both give the same figures
(``exchange.impact.selectors.sources``).

Who may read what: analysts and moderators every organisation, members their own as
donor and as recipient (another organisation named in a filter: 403), anybody else
nothing (403).
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import F, Q, QuerySet
from django.db.models.functions import TruncMonth, TruncQuarter, TruncYear
from django.utils.translation import gettext as _

from exchange.categories.models import Category, FactorVersion
from exchange.categories.selectors import subtree_condition
from exchange.common.errors import ApplicationError, CommonError, ErrorKind
from exchange.impact.errors import ImpactError
from exchange.impact.models import REUSE_OUTCOMES, ImpactRecord
from exchange.impact.selectors.records import impact_reads_all
from exchange.impact.selectors.sources import (
    FromMonthlyTotals,
    FromRecomputed,
    FromRecords,
    Sums,
    breakdown_rows,
    finish,
    measures,
    recipient_kind,
    source_for,
)
from exchange.organisations.models import Membership, Organisation

FIRST_YEAR, LAST_YEAR = 2000, 2100
INTERVALS = {"month": TruncMonth, "quarter": TruncQuarter, "year": TruncYear}
# What the summary breaks the figures down by, unless asked for fewer.
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
# Breakdowns that follow from the sums per (month, outcome, category, region); "year"
# only on request.
FINE_BREAKDOWNS = ("outcome", "category", "root_category", "region", "recipient_kind", "month")
IN_ORDER = ("month", "year")
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


@dataclass
class StatsFilter:
    year: int | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    donor: Organisation | None = None
    recipient: Organisation | None = None
    organisation_kind: str = ""  # the recipient's kind: federal, social_economy, public, nonprofit
    category: Category | None = None  # the category and its whole subtree
    region: str = ""
    outcome: str = ""


def stats_records(*, organisation_id: int | None) -> QuerySet[ImpactRecord]:
    """Every record (None), or an organisation's as donor and as recipient."""
    if organisation_id is None:
        return ImpactRecord.objects.all()
    return ImpactRecord.objects.filter(
        Q(donor_id=organisation_id) | Q(recipient_id=organisation_id)
    )


def year_check(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ApplicationError(
            code=ImpactError.YEAR_OUT_OF_RANGE,
            field="year",
            message=_("Give a year from %(first)s to %(last)s.")
            % {"first": FIRST_YEAR, "last": LAST_YEAR},
        )


def stats_filter(queryset: QuerySet[ImpactRecord], filters: StatsFilter) -> QuerySet[ImpactRecord]:
    """``queryset`` narrowed by ``filters``; 400 for a year out of range or a period
    that ends before it starts."""
    if filters.year is not None:
        year_check(filters.year)
        queryset = queryset.filter(
            occurred_on__gte=datetime.date(filters.year, 1, 1),
            occurred_on__lte=datetime.date(filters.year, 12, 31),
        )
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise ApplicationError(
            code=ImpactError.INVALID_RANGE,
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


# A question, or a set of records (the records path, which must give the same figures).
Selection = StatsQuery | QuerySet[ImpactRecord]


def _scope_organisation_id(*, user, actor: Membership | None) -> int | None:
    """None for readers of every organisation, else the reader's organisation."""
    if impact_reads_all(user):
        return None
    if actor is None:
        raise ApplicationError(
            code=CommonError.NO_ORGANISATION,
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
                code=ImpactError.NOT_YOUR_ORGANISATION,
                kind=ErrorKind.FORBIDDEN,
                field=name,
                message=_("You may read the figures of your own organisation only."),
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


def _source(selection: Selection):
    if isinstance(selection, StatsQuery):
        return source_for(selection)
    return FromRecords(selection)


def _by_organisation(rows: Iterable[dict]) -> list[dict]:
    """Totals by donor or recipient name, from rows of sums per name (organisations of
    the same name are one row, as a GROUP BY name makes them)."""
    groups: dict[str, Sums] = {}
    for row in rows:
        groups[row.pop("name")] = sums = Sums()
        sums.merge(row)
    return breakdown_rows(groups)


# The columns of a source's fine rows (``fine_rows``), in the order its query selects them.
FINE_COLUMNS = (
    "outcome",
    "category_id",
    "region",
    "period",
    "sum_items",
    "sum_weight_kg",
    "sum_co2e_avoided_kg",
    "sum_replacement_value_eur",
)


def _column_sums(source, columns: list[str]) -> tuple[Sums, dict[str, dict]]:
    """The totals of the source's fine rows, and their sums per value of each of
    ``columns`` (``{column: {value: Sums}}``): each row added to the totals and to its
    group of each column. From the monthly totals on PostgreSQL, the database adds them
    up (``_column_sums_sql``: their columns are the values themselves)."""
    fine = source.fine_rows()
    if isinstance(source, FromMonthlyTotals) and connection.vendor == "postgresql":
        selected = [*fine.query.values_select, *fine.query.annotation_select]
        if tuple(selected) == FINE_COLUMNS:
            return _column_sums_sql(fine, columns)
    groups: dict[str, dict] = {column: {} for column in columns}
    totals = Sums()
    for row in fine:
        totals.add(row)
        for column, sums_of in groups.items():
            sums = sums_of.get(row[column])
            if sums is None:
                sums = sums_of[row[column]] = Sums()
            sums.add(row)
    return totals, groups


def _column_sums_sql(fine: QuerySet, columns: list[str]) -> tuple[Sums, dict[str, dict]]:
    """``_column_sums`` in one statement: the fine rows' query summed by GROUPING SETS
    (the totals, and one set per column), so that a few dozen rows come back instead of
    thousands to add up in Python. The same sums: exact (numeric) in the database as in
    Python (Decimal), the reused weight that of the reuse outcomes' rows."""
    query, params = fine.query.sql_with_params()
    sets = ", ".join(["()", *(f"({column})" for column in columns)])
    flags = "".join(f"GROUPING({column}), " for column in columns)
    keys = "".join(f"{column}, " for column in columns)
    sql = (
        f"SELECT {flags}{keys}SUM(sum_items)::bigint, SUM(sum_weight_kg), "  # noqa: S608
        "SUM(sum_weight_kg) FILTER (WHERE outcome = ANY(%s)), SUM(sum_co2e_avoided_kg), "
        "SUM(sum_replacement_value_eur) "
        f"FROM ({query}) AS fine ({', '.join(FINE_COLUMNS)}) GROUP BY GROUPING SETS ({sets})"
    )
    totals = Sums()
    groups: dict[str, dict] = {column: {} for column in columns}
    with connection.cursor() as cursor:
        cursor.execute(sql, [[str(outcome) for outcome in REUSE_OUTCOMES], *params])
        for row in cursor.fetchall():
            count = len(columns)
            flags, keys, figures = row[:count], row[count : 2 * count], row[2 * count :]
            sums = Sums()
            for name, value in zip(sums, figures, strict=True):
                if value is not None:
                    sums[name] = value
            grouped = [position for position, flag in enumerate(flags) if not flag]
            if not grouped:
                totals = sums
            else:
                groups[columns[grouped[0]]][keys[grouped[0]]] = sums
    return totals, groups


def _summarise(source, breakdowns: Iterable[str]) -> dict:
    """The totals and the breakdowns of a source: one pass over its sums per month,
    outcome, category and region for everything but the organisations, one query per
    side for those."""
    breakdowns = tuple(breakdowns)
    unknown = set(breakdowns) - {*FINE_BREAKDOWNS, "year", "donor", "recipient"}
    if unknown:
        raise ValueError(sorted(unknown))
    categories = {c.pk: c for c in Category.objects.all()}
    # Each row is added to the totals and to its group of each column the breakdowns
    # asked for come from (at most four additions a row, not one per breakdown); the
    # breakdowns are then the merged groups: the kind of recipient follows from the
    # outcome, the category group from the category, the year from the month.
    derived = {
        "outcome": ("outcome", lambda outcome: outcome),
        "recipient_kind": ("outcome", recipient_kind),
        "category": ("category_id", lambda pk: categories[pk].code),
        "root_category": ("category_id", lambda pk: categories[pk].path.split("/")[0]),
        "region": ("region", lambda region: region),
        "month": ("period", lambda month: month),
        "year": ("period", lambda month: month.year),
    }
    totals, columns = _column_sums(
        source, list(dict.fromkeys(derived[by][0] for by in breakdowns if by in derived))
    )
    fine = {}
    for by in breakdowns:
        if by in derived:
            column, key = derived[by]
            fine[by] = {}
            for value, sums in columns[column].items():
                fine[by].setdefault(key(value), Sums()).merge(sums)
    result = {}
    for by in breakdowns:
        if by in fine:
            result[by] = breakdown_rows(fine[by], in_order=by in IN_ORDER)
        else:
            result[by] = _by_organisation(source.organisation_rows(by))
    return {"totals": finish(dict(totals)), "breakdowns": result}


def stats_summary(selection: Selection, *, breakdowns: Iterable[str] = BREAKDOWNS) -> dict:
    """The totals of ``selection`` and its breakdowns (by outcome, category, category
    group, region, donor, recipient, kind of recipient, month; "year" on request), each
    a list of rows ``{key, items, weight_kg, reused_weight_kg, co2e_avoided_kg,
    replacement_value_eur, diversion_rate}``: groups with something in them heaviest
    first, months and years in order. At most three queries (the sums per month,
    outcome, category and region; by donor; by recipient), from the monthly totals when
    they can answer."""
    return _summarise(_source(selection), breakdowns)


def stats_summary_recomputed(
    selection: Selection, *, version: FactorVersion, breakdowns: Iterable[str] = BREAKDOWNS
) -> dict:
    """The summary as if every selected record had been computed with factor
    ``version`` (on request, for comparing versions; the stored records do not
    change). Reads every record."""
    records = selection.records() if isinstance(selection, StatsQuery) else selection
    return _summarise(FromRecomputed(records, version), breakdowns)


def stats_timeseries(
    selection: Selection, *, interval: str = "month", outcomes: Iterable[str] | None = None
) -> list[dict]:
    """The sums per month, quarter or year that has records, in order (``period`` is
    its first day, ISO); with ``outcomes``, of the records with those outcomes only."""
    if interval not in INTERVALS:
        raise ApplicationError(
            code=ImpactError.INVALID_INTERVAL,
            field="interval",
            message=_("Choose month, quarter or year."),
        )
    source = _source(selection)
    rows = source.rows if outcomes is None else source.rows.filter(outcome__in=list(outcomes))
    if isinstance(source, FromMonthlyTotals):
        # A total's month is its first day already: its rows are grouped by it as it is
        # (DATE_TRUNC over a date casts every row to a moment in the session's zone,
        # which cost PostgreSQL as much as the sums themselves), and quarters and years
        # are added up from the months.
        months = rows.values(period=F("month")).annotate(**measures(source.items))
        rows = _months_by_interval(months.order_by("period"), interval)
    else:
        rows = (
            rows.annotate(period=INTERVALS[interval](source.date))
            .values("period")
            .annotate(**measures(source.items))
            .order_by("period")
        )
    result = []
    for row in rows:
        row = finish(dict(row))
        moment = row["period"]
        row["period"] = moment.date().isoformat() if hasattr(moment, "date") else moment.isoformat()
        result.append(row)
    return result


def _period_start(month: datetime.date, interval: str) -> datetime.date:
    """The first day of the month, quarter or year that ``month`` (a first day) is in."""
    if interval == "year":
        return month.replace(month=1)
    if interval == "quarter":
        return month.replace(month=(month.month - 1) // 3 * 3 + 1)
    return month


def _months_by_interval(months: Iterable[dict], interval: str) -> list[dict]:
    """Rows of sums per month, in order, added up per ``interval`` (exact: the sums are
    integers and Decimals)."""
    periods: list[dict] = []
    for row in months:
        start = _period_start(row["period"], interval)
        if periods and periods[-1]["period"] == start:
            added = periods[-1]
            for key, value in row.items():
                if key != "period":
                    added[key] += value
        else:
            periods.append({**row, "period": start})
    return periods


def stats_record_count(selection: Selection) -> int:
    return _source(selection).record_count()


def stats_factor_versions(selection: Selection) -> QuerySet:
    """The ids of the factor versions the selected records were computed with."""
    return _source(selection).rows.values("factor_version_id").distinct()


def stats_years(selection: Selection) -> list[int]:
    """The years that have records, in order."""
    source = _source(selection)
    return [moment.year for moment in source.rows.dates(source.date, "year")]
