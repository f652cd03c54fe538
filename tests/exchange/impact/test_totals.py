"""The monthly impact totals: written with every record, rebuilt from the records, and
read by the statistics with the same figures as the records give."""

import datetime
import threading
from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone

from devtools.demo.history import demo_history_seed
from exchange.categories.models import Category, FactorVersion
from exchange.claims.models import Claim
from exchange.claims.services import claim_approve, claim_collect, claim_create
from exchange.common.errors import ApplicationError
from exchange.impact.models import (
    REUSE_OUTCOMES,
    ImpactMonthlyTotal,
    ImpactOrganisationMonthlyTotal,
    ImpactRecord,
)
from exchange.impact.selectors.open_data import open_data
from exchange.impact.selectors.statistics import (
    BREAKDOWNS,
    StatsFilter,
    StatsQuery,
    stats_factor_versions,
    stats_record_count,
    stats_summary,
    stats_timeseries,
    stats_years,
)
from exchange.impact.services.records import (
    impact_record_for_claim,
    impact_record_for_lot_close,
    impact_records_sweep,
)
from exchange.impact.services.totals import (
    impact_totals_add,
    impact_totals_differences,
    impact_totals_rebuild,
)
from exchange.lots.models import Lot
from exchange.lots.services.closing import lot_close
from tests.factories import LotFactory, MembershipFactory, OrganisationFactory, SiteFactory

pytestmark = pytest.mark.django_db

MEASURES = ("record_count", "items", "weight_kg", "co2e_avoided_kg", "replacement_value_eur")


def expected_totals() -> dict:
    """The totals, summed in Python record by record."""
    sums = defaultdict(lambda: [0, 0, Decimal(0), Decimal(0), Decimal(0)])
    for record in ImpactRecord.objects.all():
        month = record.occurred_on.replace(day=1)
        keys = [
            (
                "monthly",
                month,
                record.outcome,
                record.category_id,
                record.region,
                record.factor_version_id,
            ),
            ("donor", month, record.donor_id, record.outcome),
        ]
        if record.recipient_id:
            keys.append(("recipient", month, record.recipient_id, record.outcome))
        for key in keys:
            row = sums[key]
            row[0] += 1
            row[1] += record.quantity
            row[2] += record.weight_kg
            row[3] += record.co2e_avoided_kg
            row[4] += record.replacement_value_eur
    return {key: tuple(row) for key, row in sums.items()}


def stored_totals() -> dict:
    stored = {}
    for row in ImpactMonthlyTotal.objects.values():
        key = (
            "monthly",
            row["month"],
            row["outcome"],
            row["category_id"],
            row["region"],
            row["factor_version_id"],
        )
        stored[key] = tuple(row[m] for m in MEASURES)
    for row in ImpactOrganisationMonthlyTotal.objects.values():
        key = (row["role"], row["month"], row["organisation_id"], row["outcome"])
        stored[key] = tuple(row[m] for m in MEASURES)
    return stored


@pytest.fixture
def handovers(fed_admin, categories):
    """Handovers in this month and two months ago, and a recycled remainder, written by
    the services; one record written by the sweep, as when its task was lost."""
    site = SiteFactory(organisation=fed_admin.organisation)
    federal = MembershipFactory(
        organisation=OrganisationFactory(kind="federal", name="FPS Beta"), role="member"
    )
    social = MembershipFactory(
        organisation=OrganisationFactory(social_economy=True, name="Kringwinkel"), role="member"
    )
    chairs = LotFactory(site=site, quantity=10, published=True)
    desks = LotFactory(
        site=site, quantity=6, published=True, category=Category.objects.get(code="desk")
    )
    Lot.objects.filter(pk=desks.pk).update(social_economy_opens_at=desks.published_at)
    desks.refresh_from_db()
    early = claim_approve(
        actor=fed_admin, claim=claim_create(actor=federal, lot=chairs, quantity=4)
    )
    claim_collect(actor=fed_admin, claim=early, quantity=3)
    Claim.objects.filter(pk=early.pk).update(
        collected_at=timezone.now() - datetime.timedelta(days=62)
    )
    impact_record_for_claim(claim_id=early.pk)
    impact_record_for_claim(claim_id=early.pk)  # the task ran twice
    late = claim_approve(actor=fed_admin, claim=claim_create(actor=social, lot=desks, quantity=2))
    claim_collect(actor=fed_admin, claim=late, quantity=2, weight_kg=Decimal("71"))
    gamma = MembershipFactory(
        organisation=OrganisationFactory(kind="federal", name="FPS Gamma"), role="member"
    )
    lost = claim_approve(actor=fed_admin, claim=claim_create(actor=gamma, lot=chairs, quantity=5))
    claim_collect(actor=fed_admin, claim=lost, quantity=5)
    impact_record_for_claim(claim_id=late.pk)
    Lot.objects.filter(pk=desks.pk).update(status="expired")
    lot_close(actor=fed_admin, lot=desks, outcome="recycled")
    impact_record_for_lot_close(lot_id=desks.pk)
    assert impact_records_sweep() == 1  # the lost claim's record
    return {"owner": fed_admin, "federal": federal, "social": social}


def test_the_services_keep_the_totals_of_every_record_they_write(handovers):
    assert ImpactRecord.objects.count() == 4
    assert stored_totals() == expected_totals()
    months = set(ImpactMonthlyTotal.objects.values_list("month", flat=True))
    assert len(months) == 2 or timezone.localdate().day <= 3  # two months apart


def test_a_rebuild_gives_the_totals_the_services_kept(handovers, capsys):
    kept = stored_totals()
    call_command("impact_totals_rebuild")
    assert "monthly total rows from the impact records" in capsys.readouterr().out
    assert stored_totals() == kept == expected_totals()


@pytest.fixture
def history(categories):
    """The demo's two years of history: many months, categories, regions, outcomes."""
    organisations = {}
    for key, spec in {
        "fed": {"kind": "federal", "region": "BRU"},
        "fed2": {"kind": "federal", "region": "VLG"},
        "social": {"social_economy": True, "region": "VLG"},
        "social2": {"social_economy": True, "region": "WAL"},
        "public": {"kind": "public", "region": "WAL"},
        "nonprofit": {"kind": "nonprofit", "region": "BRU"},
    }.items():
        organisation = OrganisationFactory(name=f"Demo {key}", **spec)
        SiteFactory(organisation=organisation, region=organisation.region)
        MembershipFactory(organisation=organisation, role="admin")
        organisations[key] = organisation
    demo_history_seed(organisations)
    return organisations


def test_the_demo_history_comes_with_its_totals(history):
    assert ImpactRecord.objects.count() > 50
    assert stored_totals() == expected_totals()
    assert impact_totals_differences() == 0
    impact_totals_rebuild()
    assert stored_totals() == expected_totals()


def _group_key(record: ImpactRecord, by: str):
    """The group of a record in breakdown ``by``, as a reader names it."""
    kinds = {
        "reused_federal": "federal",
        "reused_social_economy": "social_economy",
        "reused_other": "other",
    }
    return {
        "outcome": lambda: record.outcome,
        "category": lambda: record.category.code,
        "root_category": lambda: record.category.path.split("/")[0],
        "region": lambda: record.region,
        "donor": lambda: record.donor.name,
        "recipient": lambda: record.recipient.name if record.recipient_id else None,
        "recipient_kind": lambda: kinds.get(record.outcome, record.outcome),
        "month": lambda: record.occurred_on.replace(day=1),
        "year": lambda: record.occurred_on.year,
    }[by]()


def python_breakdown(records, by: str) -> dict:
    """Breakdown ``by`` summed record by record in Python, groups without items and
    weight left out (months kept): {key: (items, weight, reused weight, CO2e, EUR)}."""
    sums = defaultdict(lambda: [0, Decimal(0), Decimal(0), Decimal(0), Decimal(0)])
    for record in records.select_related("category", "donor", "recipient"):
        key = _group_key(record, by)
        if key is None:
            continue
        row = sums[key]
        row[0] += record.quantity
        row[1] += record.weight_kg
        row[2] += record.weight_kg if record.outcome in REUSE_OUTCOMES else 0
        row[3] += record.co2e_avoided_kg
        row[4] += record.replacement_value_eur
    cent = Decimal("0.01")
    return {
        key: (items, *(value.quantize(cent) for value in values))
        for key, (items, *values) in sums.items()
        if by in ("month", "year") or items or values[0]
    }


def _sums_of(row: dict) -> tuple:
    return (
        row["items"],
        row["weight_kg"],
        row["reused_weight_kg"],
        row["co2e_avoided_kg"],
        row["replacement_value_eur"],
    )


def _filters(history) -> dict[str, StatsFilter]:
    this_year = timezone.localdate().year
    return {
        "everything": StatsFilter(),
        "this year": StatsFilter(year=this_year),
        "last year": StatsFilter(year=this_year - 1),
        "whole months": StatsFilter(
            date_from=datetime.date(this_year - 1, 2, 1),
            date_to=datetime.date(this_year - 1, 9, 30),
        ),
        "part of a month": StatsFilter(
            date_from=datetime.date(this_year - 1, 2, 10),
            date_to=datetime.date(this_year - 1, 9, 30),
        ),
        "furniture": StatsFilter(category=Category.objects.get(code="furniture")),
        "laptops in Flanders": StatsFilter(
            category=Category.objects.get(code="laptop"), region="VLG"
        ),
        "recycled, last year": StatsFilter(year=this_year - 1, outcome="recycled"),
        "a donor": StatsFilter(donor=history["fed"]),
        "social economy recipients": StatsFilter(organisation_kind="social_economy"),
        "an empty year": StatsFilter(year=2001),
    }


@pytest.mark.parametrize(
    "name",
    [
        "everything",
        "this year",
        "last year",
        "whole months",
        "part of a month",
        "furniture",
        "laptops in Flanders",
        "recycled, last year",
        "a donor",
        "social economy recipients",
        "an empty year",
    ],
)
def test_the_statistics_are_those_of_the_records(history, name):
    # given a question, and the same question put to the records alone
    query = StatsQuery(filters=_filters(history)[name])
    records = query.records()
    # then every figure is the same
    summary = stats_summary(query)
    assert summary == stats_summary(records)
    for by in BREAKDOWNS:  # and what the records give, group by group, summed here
        rows = summary["breakdowns"][by]
        assert {row["key"]: _sums_of(row) for row in rows} == python_breakdown(records, by), by
        if by != "month":
            weights = [row["weight_kg"] for row in rows]
            assert weights == sorted(weights, reverse=True)  # heaviest first
    for interval in ("month", "quarter", "year"):
        assert stats_timeseries(query, interval=interval) == stats_timeseries(
            records, interval=interval
        )
    assert stats_timeseries(query, outcomes=REUSE_OUTCOMES) == stats_timeseries(
        records.filter(outcome__in=REUSE_OUTCOMES)
    )
    assert stats_record_count(query) == records.count()
    assert set(stats_factor_versions(query).values_list("factor_version_id", flat=True)) == set(
        records.values_list("factor_version_id", flat=True)
    )
    assert stats_years(query) == [d.year for d in records.dates("occurred_on", "year")]


def test_a_members_statistics_are_those_of_their_records(history):
    query = StatsQuery(organisation_id=history["social"].pk)
    records = query.records()
    assert records.exists()
    assert stats_summary(query) == stats_summary(records)
    assert stats_timeseries(query) == stats_timeseries(records)


def test_the_summary_adds_up_the_records(history):
    query = StatsQuery(filters=StatsFilter(year=timezone.localdate().year - 1))
    records = list(query.records())
    totals = stats_summary(query)["totals"]
    weight = sum(r.weight_kg for r in records)
    reused = sum(r.weight_kg for r in records if r.outcome in REUSE_OUTCOMES)
    assert totals["items"] == sum(r.quantity for r in records)
    assert totals["weight_kg"] == weight.quantize(Decimal("0.01"))
    assert totals["co2e_avoided_kg"] == sum(r.co2e_avoided_kg for r in records).quantize(
        Decimal("0.01")
    )
    assert totals["diversion_rate"] == round(float(reused / weight), 4)


def test_the_open_data_adds_up_the_records(history):
    expected = defaultdict(lambda: [0, Decimal(0), Decimal(0)])
    for record in ImpactRecord.objects.select_related("category"):
        key = (record.occurred_on.year, record.region, record.category.code, record.outcome)
        expected[key][0] += record.quantity
        expected[key][1] += record.weight_kg
        expected[key][2] += record.co2e_avoided_kg
    rows = open_data()
    assert {
        (r["year"], r["region"], r["category_code"], r["outcome"]): (
            r["items"],
            r["weight_kg"],
            r["co2e_avoided_kg"],
        )
        for r in rows
    } == {
        key: (items, weight.quantize(Decimal("0.01")), co2e.quantize(Decimal("0.01")))
        for key, (items, weight, co2e) in expected.items()
    }
    last_year = timezone.localdate().year - 1
    assert open_data(year=last_year) == [r for r in rows if r["year"] == last_year]


def test_a_period_that_cuts_a_month_is_counted_from_the_records(history):
    # given totals that no longer match the records (as if a record were written by hand)
    year = timezone.localdate().year - 1
    ImpactMonthlyTotal.objects.update(items=0)
    whole = StatsQuery(filters=StatsFilter(year=year))
    cut = StatsQuery(
        filters=StatsFilter(
            date_from=datetime.date(year, 1, 1), date_to=datetime.date(year, 12, 30)
        )
    )
    # then whole months read the totals, a cut month the records
    assert stats_summary(whole)["totals"]["items"] == 0
    assert stats_summary(cut) == stats_summary(cut.records())
    # and the check finds the difference, a rebuild repairs it
    with pytest.raises(CommandError, match="differ from the impact records"):
        call_command("impact_totals_rebuild", "--check")
    impact_totals_rebuild()
    assert stats_summary(whole) == stats_summary(whole.records())
    call_command("impact_totals_rebuild", "--check")


def test_a_report_with_other_factors_is_recomputed_from_the_records(history):
    from exchange.impact.presenters.reports import annual_report_data

    year = timezone.localdate().year - 1
    current = FactorVersion.objects.get(is_current=True)
    ImpactMonthlyTotal.objects.update(items=0)  # the totals are not read
    data = annual_report_data(
        organisation_id=None, year=year, language="en", factor_version=current
    )
    records = StatsQuery(filters=StatsFilter(year=year)).records()
    assert data["totals"]["items"] == sum(records.values_list("quantity", flat=True))


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_lose_no_sums(categories):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite writes one transaction at a time")
    # given 40 records of one month, outcome, category and region: one totals row
    owner = MembershipFactory(organisation=OrganisationFactory(kind="federal"), role="admin")
    lot = LotFactory(site=SiteFactory(organisation=owner.organisation), quantity=100)
    version = FactorVersion.objects.get(is_current=True)
    records = ImpactRecord.objects.bulk_create(
        ImpactRecord(
            occurred_on=timezone.localdate(),
            source="correction",
            outcome="recycled",
            lot=lot,
            quantity=n % 3 + 1,
            weight_kg=Decimal("1.125") * n,
            co2e_avoided_kg=Decimal("0.5"),
            replacement_value_eur=Decimal("0.01") * n,
            factor_version=version,
            donor=owner.organisation,
            category=lot.category,
            region=lot.region,
        )
        for n in range(40)
    )
    ids = [record.pk for record in records]
    start = threading.Barrier(8)
    errors = []

    def write(share: list[int]) -> None:
        try:
            start.wait()
            for pk in share:
                with transaction.atomic():
                    impact_totals_add(records=ImpactRecord.objects.filter(pk=pk))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    # when eight writers, each with its own connection, add five records each at once
    threads = [threading.Thread(target=write, args=(ids[n::8],)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then every record is counted once
    assert errors == []
    assert stored_totals() == expected_totals()
    assert ImpactMonthlyTotal.objects.get().record_count == 40


def test_a_bad_period_is_refused_whichever_source_would_answer(history):
    backwards = StatsFilter(date_from=datetime.date(2025, 3, 1), date_to=datetime.date(2025, 1, 31))
    for query in (StatsQuery(filters=backwards), StatsQuery(filters=StatsFilter(year=1999))):
        with pytest.raises(ApplicationError):
            stats_summary(query)
        with pytest.raises(ApplicationError):
            stats_timeseries(query)
