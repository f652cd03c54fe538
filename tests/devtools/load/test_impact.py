import datetime
from collections import defaultdict

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from devtools.load.impact import (
    generated_impact_count,
    impact_generate_load,
    impact_generated_load_delete,
)
from devtools.load.lots import (
    generated_lots_count,
    lots_generate_load,
    lots_generated_load_delete,
)
from exchange.categories.models import FactorVersion
from exchange.claims.models import Claim, ClaimStatus
from exchange.impact.figures import impact_compute, outcome_for_recipient_kind
from exchange.impact.models import (
    REUSE_OUTCOMES,
    ImpactMonthlyTotal,
    ImpactOrganisationMonthlyTotal,
    ImpactRecord,
    ImpactSource,
    Outcome,
)
from exchange.impact.selectors.statistics import (
    StatsFilter,
    StatsQuery,
    stats_summary,
    stats_timeseries,
)
from exchange.lots.eligibility import tier_allows
from exchange.lots.models import Lot, LotStatus

pytestmark = pytest.mark.django_db

RECORDS = 400


@pytest.fixture
def generated():
    lots_generate_load(lots=20, organisations=10, seed=5)
    result = impact_generate_load(records=RECORDS, seed=5)
    records = list(
        ImpactRecord.objects.select_related(
            "lot__category", "lot__owner", "claim__claimant", "donor", "recipient"
        )
    )
    return result, records


def test_the_requested_number_of_records_over_five_years(generated):
    result, records = generated
    assert result["records"] == len(records) == generated_impact_count() == RECORDS
    today = timezone.localdate()
    first = datetime.date(today.year - 4, 1, 1)
    assert all(first <= r.occurred_on < today for r in records)
    assert len({r.occurred_on.year for r in records}) >= 3
    assert {r.source for r in records} == {ImpactSource.HANDOVER, ImpactSource.LOT_CLOSE}
    current = FactorVersion.objects.get(is_current=True)
    assert {r.factor_version_id for r in records} == {current.pk}


def test_each_record_is_what_the_services_write(generated):
    _, records = generated
    current = FactorVersion.objects.get(is_current=True)
    for record in records:
        lot = record.lot
        assert (record.donor_id, record.category_id, record.region) == (
            lot.owner_id,
            lot.category_id,
            lot.region,
        )
        assert record.donor.name.startswith("Load test org")
        measured = None
        if record.source == ImpactSource.HANDOVER:
            claim = record.claim
            assert claim.status == ClaimStatus.COLLECTED and claim.lot_id == lot.pk
            assert record.recipient_id == claim.claimant_id != lot.owner_id
            assert record.outcome == outcome_for_recipient_kind(claim.claimant.kind)
            assert record.quantity == claim.collected_quantity <= claim.quantity
            assert record.occurred_on == timezone.localdate(claim.collected_at)
            assert lot.published_at < claim.created_at <= claim.decided_at <= claim.collected_at
            assert tier_allows(claim.tier, claim.claimant.kind)
            assert claim.tier == lot.tier_at(claim.created_at)
            assert claim.claimant.verified_at <= claim.created_at
            measured = claim.measured_weight_kg
        else:
            assert record.claim_id is None and record.recipient_id is None
            assert record.outcome in (Outcome.SOLD, Outcome.RECYCLED, Outcome.DISPOSED)
            assert (lot.status, lot.close_outcome) == (LotStatus.CLOSED, record.outcome)
            assert record.quantity == lot.close_quantity
            assert record.occurred_on == timezone.localdate(lot.status_changed_at)
        figures = impact_compute(
            lot=lot,
            quantity=record.quantity,
            outcome=record.outcome,
            measured_weight_kg=measured,
            version=current,
        )
        assert (record.weight_kg, record.co2e_avoided_kg, record.replacement_value_eur) == (
            figures.weight_kg,
            figures.co2e_avoided_kg,
            figures.replacement_value_eur,
        )
        assert record.weight_kg > 0 and record.quantity >= 1


def test_lots_keep_the_counters_the_claims_services_leave(generated):
    _, records = generated
    collected, closed = defaultdict(int), defaultdict(int)
    for record in records:
        if record.source == ImpactSource.HANDOVER:
            collected[record.lot_id] += record.quantity
        else:
            closed[record.lot_id] += record.quantity
    for lot in Lot.objects.filter(pk__in=collected):
        assert lot.quantity_reserved == collected[lot.pk]
        assert collected[lot.pk] + closed[lot.pk] <= lot.quantity
        if lot.status == LotStatus.CLOSED and not lot.close_outcome:
            assert collected[lot.pk] == lot.quantity  # every unit was collected
        assert lot.owner.verified_at <= lot.created_at < lot.published_at
    assert Claim.objects.filter(lot__in=list(collected)).count() == sum(
        1 for r in records if r.source == ImpactSource.HANDOVER
    )


def test_the_statistics_add_up_over_the_generated_records(generated):
    _, records = generated
    year = records[0].occurred_on.year
    in_year = [r for r in records if r.occurred_on.year == year]
    query = StatsQuery(filters=StatsFilter(year=year))
    summary = stats_summary(query)  # from the monthly totals the generator built
    assert summary == stats_summary(query.records())
    assert stats_timeseries(StatsQuery()) == stats_timeseries(ImpactRecord.objects.all())
    weight = sum(r.weight_kg for r in in_year)
    reused = sum(r.weight_kg for r in in_year if r.outcome in REUSE_OUTCOMES)
    assert summary["totals"]["items"] == sum(r.quantity for r in in_year)
    assert summary["totals"]["weight_kg"] == weight.quantize(weight.__class__("0.01"))
    assert summary["totals"]["diversion_rate"] == round(float(reused / weight), 4)


def test_delete_removes_the_history_and_leaves_the_published_lots(generated):
    # when
    deleted = impact_generated_load_delete()
    # then
    assert deleted["records"] == RECORDS
    assert not ImpactRecord.objects.exists() and not Claim.objects.exists()
    assert not ImpactMonthlyTotal.objects.exists()
    assert not ImpactOrganisationMonthlyTotal.objects.exists()
    assert Lot.objects.filter(status=LotStatus.PUBLISHED).count() == 20
    assert generated_lots_count() == 20
    # and the lots can go in turn
    assert lots_generated_load_delete()["lots"] == 20


def test_the_command_generates_records_and_a_lots_reset_clears_them(generated, capsys):
    call_command("generate_load", "--impact", "50")
    assert generated_impact_count() == RECORDS + 50
    assert "Generated 50 impact records" in capsys.readouterr().out
    call_command("generate_load", "--lots", "10", "--organisations", "3", "--reset")
    assert generated_impact_count() == 0
    assert ImpactRecord.objects.aggregate(total=Sum("quantity"))["total"] is None
