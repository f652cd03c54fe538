"""The demo history: two years of closed lots, collected claims and impact records,
written once, quickly, and exactly as the services would have written them."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q, Sum
from django.utils import timezone

from devtools.demo.history import HISTORY_DESCRIPTION, demo_history_seed
from exchange.claims.models import Claim, ClaimStatus
from exchange.common.models import AuditEvent
from exchange.impact.figures import impact_compute, outcome_for_recipient_kind
from exchange.impact.models import ImpactRecord, ImpactSource
from exchange.impact.services.records import impact_records_sweep
from exchange.lots.models import Lot, LotStatus, Tier
from tests.factories import MembershipFactory, OrganisationFactory, SiteFactory

pytestmark = pytest.mark.django_db

RECORD_FIELDS = (
    "occurred_on",
    "source",
    "outcome",
    "lot_id",
    "claim_id",
    "quantity",
    "weight_kg",
    "co2e_avoided_kg",
    "replacement_value_eur",
    "factor_version_id",
    "donor_id",
    "recipient_id",
    "category_id",
    "region",
)


@pytest.fixture
def organisations(categories):
    """The demo's six organisations: two federal services (the donors), two
    social-economy enterprises, a municipality and a non-profit, each with an admin."""
    specs = {
        "fed": {"kind": "federal", "region": "BRU", "language": "nl"},
        "fed2": {"kind": "federal", "region": "VLG"},
        "social": {"social_economy": True, "region": "VLG"},
        "social2": {"social_economy": True, "region": "WAL"},
        "public": {"kind": "public", "region": "WAL"},
        "nonprofit": {"kind": "nonprofit", "region": "BRU"},
    }
    result = {}
    for key, spec in specs.items():
        organisation = OrganisationFactory(name=f"Demo {key}", **spec)
        SiteFactory(organisation=organisation, region=organisation.region)
        MembershipFactory(organisation=organisation, role="admin")
        result[key] = organisation
    return result


@pytest.fixture
def seeded(organisations):
    return {"created": demo_history_seed(organisations)}


def test_the_history_is_written_once(organisations, seeded):
    assert 36 <= seeded["created"] <= 100  # a few dozen lots
    counts = (Lot.objects.count(), Claim.objects.count(), ImpactRecord.objects.count())
    events = AuditEvent.objects.count()
    assert demo_history_seed(organisations) == 0
    assert (Lot.objects.count(), Claim.objects.count(), ImpactRecord.objects.count()) == counts
    assert AuditEvent.objects.count() == events


def test_it_spreads_over_the_last_24_months(seeded):
    today = timezone.localdate()
    first = today.replace(day=1)
    for _ in range(23):
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    dates = ImpactRecord.objects.values_list("occurred_on", flat=True)
    assert min(dates) >= first
    assert max(dates) < today
    months = {(d.year, d.month) for d in dates}
    assert len(months) >= 22
    assert set(ImpactRecord.objects.values_list("outcome", flat=True)) == {
        "reused_federal",
        "reused_social_economy",
        "reused_other",
        "sold",
        "recycled",
        "disposed",
    }
    assert set(ImpactRecord.objects.values_list("region", flat=True)) == {"BRU", "VLG", "WAL"}
    assert ImpactRecord.objects.values("category").distinct().count() >= 8


def test_lots_and_claims_are_consistent(organisations, seeded):
    donors = {organisations["fed"].pk, organisations["fed2"].pk}
    now = timezone.now()
    lots = Lot.objects.filter(description=HISTORY_DESCRIPTION).annotate(
        collected=Sum("claims__collected_quantity"), claim_count=Count("claims")
    )
    assert lots.count() == seeded["created"]
    expired = 0
    for lot in lots:
        assert lot.status == LotStatus.CLOSED
        assert lot.owner_id in donors
        assert lot.region == lot.site.region
        assert lot.published_at < lot.status_changed_at < now
        collected = lot.collected or 0
        assert lot.quantity_reserved == collected
        if lot.close_outcome:  # expired, then closed with what was left
            expired += 1
            assert lot.close_outcome in ("sold", "recycled", "disposed")
            assert lot.close_quantity == lot.quantity - collected > 0
            assert lot.available_until < timezone.localdate(lot.status_changed_at)
        else:  # claimed to the last unit
            assert lot.claim_count >= 1
            assert collected == lot.quantity
            assert lot.close_quantity is None
        if lot.category.requires_data_sanitisation:
            assert lot.sanitisation.performed_on <= timezone.localdate(lot.published_at)
    assert 0 < expired < lots.count() / 2
    for claim in Claim.objects.select_related("lot", "claimant"):
        assert claim.status == ClaimStatus.COLLECTED
        assert claim.claimant_id != claim.lot.owner_id
        assert claim.lot.published_at < claim.created_at < claim.decided_at < claim.collected_at
        assert claim.collected_at < now
        assert 1 <= claim.collected_quantity <= claim.quantity
        # claimed in a window open to the claimant
        tier = claim.lot.tier_at(claim.created_at)
        assert claim.tier == tier
        expected_tier = {
            "federal": Tier.FEDERAL,
            "social_economy": Tier.SOCIAL_ECONOMY,
        }.get(claim.claimant.kind, Tier.OPEN)
        assert tier == expected_tier
    claim_type = ContentType.objects.get_for_model(Claim)
    actions = (
        AuditEvent.objects.filter(object_type=claim_type)
        .values("object_id")
        .annotate(n=Count("id", filter=Q(action__in=["create", "approve", "collect"])))
    )
    assert {row["n"] for row in actions} == {3}
    assert actions.count() == Claim.objects.count()


def test_one_record_per_handover_and_per_closing(seeded):
    records = ImpactRecord.objects.all()
    handovers = records.filter(source=ImpactSource.HANDOVER)
    per_claim = Claim.objects.annotate(
        n=Count("impact_records", filter=Q(impact_records__source=ImpactSource.HANDOVER))
    )
    assert {claim.n for claim in per_claim} == {1}
    assert handovers.count() == Claim.objects.count()
    closings = records.filter(source=ImpactSource.LOT_CLOSE)
    assert closings.count() == Lot.objects.exclude(close_outcome="").count()
    assert closings.values("lot").distinct().count() == closings.count()
    assert impact_records_sweep() == 0  # nothing missing


def test_the_figures_are_what_the_services_compute(seeded):
    for record in ImpactRecord.objects.select_related("lot__category", "claim__claimant"):
        if record.source == ImpactSource.HANDOVER:
            claim = record.claim
            outcome = outcome_for_recipient_kind(claim.claimant.kind)
            figures = impact_compute(
                lot=record.lot,
                quantity=claim.collected_quantity,
                outcome=outcome,
                measured_weight_kg=claim.measured_weight_kg,
            )
            assert record.outcome == outcome
            assert record.quantity == claim.collected_quantity
            assert record.occurred_on == timezone.localdate(claim.collected_at)
            assert record.recipient_id == claim.claimant_id
        else:
            figures = impact_compute(
                lot=record.lot, quantity=record.lot.close_quantity, outcome=record.outcome
            )
            assert record.occurred_on == timezone.localdate(record.lot.status_changed_at)
        assert (
            record.weight_kg,
            record.co2e_avoided_kg,
            record.replacement_value_eur,
            record.factor_version_id,
        ) == (
            figures.weight_kg,
            figures.co2e_avoided_kg,
            figures.replacement_value_eur,
            figures.factor_version.pk,
        )


def test_the_services_would_write_the_same_records(seeded):
    # given the history's records
    written = sorted(ImpactRecord.objects.values_list(*RECORD_FIELDS), key=str)
    # when the services write them afresh, from the lots and claims alone
    ImpactRecord.objects.all().delete()
    assert impact_records_sweep() == len(written)
    # then they are the same, field by field
    assert sorted(ImpactRecord.objects.values_list(*RECORD_FIELDS), key=str) == written
