"""The values of an impact record, built without writing anything: what the services
write for a handover and for a closed lot's remainder (and what the demo and load
generators build their rows with)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from exchange.categories.models import Category, CategoryFactor, FactorVersion
from exchange.impact.figures import (
    impact_record_values_for_handover,
    impact_record_values_for_lot_close,
)
from exchange.impact.models import ImpactRecord
from exchange.impact.services.records import impact_record_for_claim
from exchange.lots.models import Lot

pytestmark = pytest.mark.django_db

# 22:30 UTC on 31 March is half past midnight on 1 April in Brussels.
LATE_EVENING_UTC = datetime.datetime(2026, 3, 31, 22, 30, tzinfo=datetime.UTC)


@pytest.fixture
def current(categories):
    version = FactorVersion.objects.get(is_current=True)
    return version, {f.category_id: f for f in CategoryFactor.objects.filter(version=version)}


def chairs(**fields) -> Lot:
    """An unsaved lot of office chairs (11.9 kg, 35 kg CO2e avoided and 280 EUR a chair)."""
    return Lot(
        pk=7, owner_id=3, category=Category.objects.get(code="office-chair"), region="BRU", **fields
    )


def test_a_handover_follows_the_claimant_and_the_local_day_of_the_collection(
    current, django_assert_num_queries
):
    version, factors = current
    lot = chairs()
    with django_assert_num_queries(0):
        values = impact_record_values_for_handover(
            lot=lot,
            claim_id=11,
            claimant_id=5,
            claimant_kind="social_economy",
            collected_quantity=4,
            collected_at=LATE_EVENING_UTC,
            version=version,
            factors=factors,
        )
    assert values == {
        "source": "handover",
        "claim_id": 11,
        "occurred_on": datetime.date(2026, 4, 1),
        "outcome": "reused_social_economy",
        "lot_id": 7,
        "quantity": 4,
        "weight_kg": Decimal("47.600"),
        "co2e_avoided_kg": Decimal("140.000"),
        "replacement_value_eur": Decimal("1120.00"),
        "factor_version_id": version.pk,
        "donor_id": 3,
        "recipient_id": 5,
        "category_id": lot.category_id,
        "region": "BRU",
    }
    assert not ImpactRecord.objects.exists()


@pytest.mark.parametrize(
    ("kind", "outcome"),
    [("federal", "reused_federal"), ("public", "reused_other"), ("nonprofit", "reused_other")],
)
def test_the_outcome_of_a_handover_is_the_kind_of_the_recipient(current, kind, outcome):
    version, factors = current
    values = impact_record_values_for_handover(
        lot=chairs(),
        claim_id=1,
        claimant_id=2,
        claimant_kind=kind,
        collected_quantity=1,
        collected_at=LATE_EVENING_UTC,
        measured_weight_kg=Decimal("9.5"),
        version=version,
        factors=factors,
    )
    assert values["outcome"] == outcome
    assert values["weight_kg"] == Decimal("9.500")  # the measured weight counts


def test_a_closed_remainder_has_no_recipient_and_recycling_saves_no_euros(current):
    version, factors = current
    lot = chairs(close_outcome="recycled", close_quantity=3, status_changed_at=LATE_EVENING_UTC)
    values = impact_record_values_for_lot_close(lot=lot, version=version, factors=factors)
    assert values == {
        "source": "lot_close",
        "claim_id": None,
        "occurred_on": datetime.date(2026, 4, 1),
        "outcome": "recycled",
        "lot_id": 7,
        "quantity": 3,
        "weight_kg": Decimal("35.700"),
        "co2e_avoided_kg": Decimal("0.000"),
        "replacement_value_eur": Decimal("0.00"),
        "factor_version_id": version.pk,
        "donor_id": 3,
        "recipient_id": None,
        "category_id": lot.category_id,
        "region": "BRU",
    }


def test_the_service_writes_the_record_the_builder_gives(fed_admin, make_member, categories):
    # given a claim collected through the services
    from exchange.claims.services import claim_approve, claim_collect, claim_create
    from tests.factories import LotFactory, SiteFactory

    lot = LotFactory(site=SiteFactory(organisation=fed_admin.organisation), published=True)
    claimant = make_member(kind="federal", name="FPS Beta")
    claim = claim_approve(actor=fed_admin, claim=claim_create(actor=claimant, lot=lot, quantity=3))
    claim = claim_collect(actor=fed_admin, claim=claim, quantity=2)
    # when the task writes its record
    record = impact_record_for_claim(claim_id=claim.pk)
    # then
    expected = impact_record_values_for_handover(
        lot=lot,
        claim_id=claim.pk,
        claimant_id=claimant.organisation_id,
        claimant_kind="federal",
        collected_quantity=2,
        collected_at=claim.collected_at,
    )
    assert {name: getattr(record, name) for name in expected} == expected
    assert record.occurred_on == timezone.localdate(claim.collected_at)
