"""The open data: anonymous totals of every organisation's records, naming none."""

from django.db.models import F
from django.db.models.functions import TruncYear

from exchange.impact.selectors.sources import finish, measures, source_for
from exchange.impact.selectors.statistics import (
    StatsFilter,
    StatsQuery,
    stats_summary,
    stats_years,
)


def open_data(*, year: int | None = None) -> list[dict]:
    """The published data set: totals by year, region, category and outcome (one row
    each, in that order); no organisation names."""
    return [
        {key: value for key, value in row.items() if key != "category_name"}
        for row in open_data_named(year=year)
    ]


def open_data_named(*, year: int | None = None) -> list[dict]:
    """``open_data`` with the category's English name (``category_name``) beside its
    code: the rows of the CSV distribution."""
    source = source_for(StatsQuery(filters=StatsFilter(year=year)))
    rows = (
        source.rows.annotate(year=TruncYear(source.date))
        .values(
            "year",
            "region",
            "outcome",
            category_code=F("category__code"),
            category_name=F("category__name_en"),
        )
        .annotate(**measures(source.items))
        .order_by("year", "region", "category_code", "outcome")
    )
    result = []
    for row in rows:
        row = finish(dict(row))
        row["year"] = row["year"].year
        result.append(row)
    return result


def open_data_summary(*, year: int | None = None, breakdowns=("region", "category")) -> dict:
    """Every organisation's totals and breakdowns for ``year`` (None: all years), as
    the statistics give them: the breakdowns an anonymous reader may see (by year,
    region, category, outcome), never by donor or recipient."""
    if set(breakdowns) & {"donor", "recipient"}:
        raise ValueError("the open data names no organisation")
    return stats_summary(StatsQuery(filters=StatsFilter(year=year)), breakdowns=breakdowns)


def open_data_years() -> list[int]:
    """The years that have records, in order."""
    return stats_years(StatsQuery())
