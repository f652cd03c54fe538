"""The figures of an impact record for known lots (docs/design.md §5): weight, CO2e avoided and
replacement value by outcome, from the factor version alone."""

from decimal import Decimal

import pytest

from exchange.categories.models import Category, FactorVersion
from exchange.impact.figures import impact_compute, impact_factors
from exchange.impact.models import Outcome
from exchange.lots.models import Lot

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("code", "quantity", "outcome", "measured", "expected"),
    [
        # 4 office chairs reused: 4 x 11.9 kg, 4 x 35 kg CO2e, 4 x 280 EUR
        ("office-chair", 4, Outcome.REUSED_FEDERAL, None, ("47.600", "140.000", "1120.00")),
        # the measured total weight wins over the unit weight; CO2e stays per unit
        ("desk", 2, Outcome.REUSED_SOCIAL_ECONOMY, Decimal("71"), ("71.000", "70.000", "700.00")),
        # desktops have no per-unit factor: 0.51 kg CO2e per kg (WRAP); sold is reuse
        ("desktop", 3, Outcome.SOLD, None, ("19.500", "9.945", "2250.00")),
        # recycling: the weight counts, no CO2e factor yet, no euros
        ("office-chair", 4, Outcome.RECYCLED, None, ("47.600", "0.000", "0.00")),
        ("laptop", 5, Outcome.DISPOSED, None, ("9.000", "0.000", "0.00")),
    ],
)
def test_the_figures_of_known_lots(
    categories, django_assert_num_queries, code, quantity, outcome, measured, expected
):
    version = FactorVersion.objects.get(is_current=True)
    factors = impact_factors(version=version)
    lot = Lot(pk=1, owner_id=1, category=Category.objects.get(code=code), region="BRU")
    with django_assert_num_queries(0):
        figures = impact_compute(
            lot=lot,
            quantity=quantity,
            outcome=outcome,
            measured_weight_kg=measured,
            version=version,
            factors=factors,
        )
    assert (figures.weight_kg, figures.co2e_avoided_kg, figures.replacement_value_eur) == tuple(
        Decimal(v) for v in expected
    )
    assert figures.factor_version == version
