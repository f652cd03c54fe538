"""The statistics selectors: for every filter, the monthly totals and the records give
the same figures, and those are the records' own sums."""

import datetime

import pytest

from exchange.categories.models import Category
from exchange.impact.models import ImpactRecord
from exchange.impact.selectors.sources import FromMonthlyTotals, FromRecords, source_for
from exchange.impact.selectors.statistics import (
    StatsFilter,
    StatsQuery,
    stats_record_count,
    stats_summary,
    stats_timeseries,
    stats_years,
)
from exchange.organisations.models import Organisation
from tests.support.impact_history import (
    CASES,
    figures,
    filter_cases,
    impact_history,
    records_sums,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(categories):
    return impact_history()


def stats_filter_of(params: dict) -> StatsFilter:
    """The StatsFilter the API makes of these query parameters."""
    values = {}
    for name, value in params.items():
        if name == "year":
            values[name] = int(value)
        elif name in ("date_from", "date_to"):
            values[name] = datetime.date.fromisoformat(value)
        elif name in ("donor", "recipient"):
            values[name] = Organisation.objects.get(pk=value)
        elif name == "category":
            values[name] = Category.objects.get(code=value)
        else:
            values[name] = value
    return StatsFilter(**values)


# Where every organisation's figures of whole months come from: the monthly totals.
FROM_TOTALS = {
    "year",
    "the year before",
    "date_from and date_to, whole months",
    "category, a whole group",
    "category, a leaf",
    "category and region",
    "region",
    "outcome",
    "outcome in a year",
}


@pytest.mark.parametrize("case", CASES)
def test_the_totals_and_the_records_give_the_same_figures(history, case):
    params, lookup = filter_cases(history)[case]
    query = StatsQuery(filters=stats_filter_of(params))
    expected = FromMonthlyTotals if case in FROM_TOTALS else FromRecords
    assert type(source_for(query)) is expected
    records = ImpactRecord.objects.filter(**lookup)
    assert list(query.records().order_by("pk")) == list(records.order_by("pk"))
    # the question and its records give the same figures, and those are the records' sums
    summary = stats_summary(query)
    assert summary == stats_summary(query.records())
    assert figures(summary["totals"]) == records_sums(records)
    for interval in ("month", "quarter", "year"):
        assert stats_timeseries(query, interval=interval) == stats_timeseries(
            query.records(), interval=interval
        )
    assert stats_record_count(query) == records.count()
    assert stats_years(query) == sorted({r.occurred_on.year for r in records})


def test_a_members_figures_are_their_records_as_donor_and_recipient(history):
    beta = history.organisations["beta"]
    query = StatsQuery(organisation_id=beta.pk)
    assert type(source_for(query)) is FromRecords
    records = ImpactRecord.objects.filter(donor=beta) | ImpactRecord.objects.filter(recipient=beta)
    assert figures(stats_summary(query)["totals"]) == records_sums(records)
    donors = {row["key"] for row in stats_summary(query)["breakdowns"]["donor"]}
    assert donors == {"FPS Alpha", "FPS Beta", "FPS Gamma"}


@pytest.mark.parametrize("case", ["year", "category, a leaf", "region", "date_from, mid-month"])
def test_each_donor_and_recipient_row_is_the_sum_of_its_records(history, case):
    """Reused weight and diversion rate included, from the totals and from the records;
    recomputed with a factor version, the donors add up to the recomputed totals."""
    from exchange.categories.models import FactorVersion
    from exchange.impact.selectors.statistics import stats_summary_recomputed

    params, lookup = filter_cases(history)[case]
    query = StatsQuery(filters=stats_filter_of(params))
    records = ImpactRecord.objects.filter(**lookup)
    for side in ("donor", "recipient"):
        names = set(records.exclude(**{side: None}).values_list(f"{side}__name", flat=True))
        assert names, side
        for summary in (stats_summary(query), stats_summary(query.records())):
            rows = {row["key"]: row for row in summary["breakdowns"][side]}
            assert set(rows) == names, side
            for name, row in rows.items():
                sums = records_sums(records.filter(**{f"{side}__name": name}))
                assert figures(row) == sums, (side, name)
                rate = sums["reused_weight_kg"] / sums["weight_kg"] if sums["weight_kg"] else None
                assert row["diversion_rate"] == (rate if rate is None else round(float(rate), 4))
    recomputed = stats_summary_recomputed(query, version=FactorVersion.objects.get(is_current=True))
    assert {row["key"] for row in recomputed["breakdowns"]["donor"]} == set(
        records.values_list("donor__name", flat=True)
    )
    donors = [figures(row) for row in recomputed["breakdowns"]["donor"]]
    assert {key: sum(row[key] for row in donors) for key in donors[0]} == figures(
        recomputed["totals"]
    )
