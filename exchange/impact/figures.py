"""How an impact record's figures follow from what happened (docs/design.md §5): the weight,
the CO2e avoided and the replacement value of some units of a lot that ended one way,
under a factor version.

``impact_record_values_for_handover`` (``_for_claim``) and
``impact_record_values_for_lot_close`` are the one mapping from what happened (a lot, the
units, the outcome, the measured weight, the factor version) to a record's columns. The
services write records through them; so does anything else that makes records (the demo
history, the load generator), so that the mapping exists once. They and
``impact_compute`` read nothing from the database when given the version and its
factors (``impact_factors``).
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from exchange.categories.models import CategoryFactor, FactorVersion
from exchange.categories.selectors import factor_version_current
from exchange.impact.models import REUSE_OUTCOMES, ImpactSource, Outcome
from exchange.lots.models import Lot
from exchange.organisations.models import OrganisationKind

KG = Decimal("0.001")
EUR = Decimal("0.01")


@dataclass(frozen=True)
class ImpactFigures:
    weight_kg: Decimal
    co2e_avoided_kg: Decimal
    replacement_value_eur: Decimal
    factor_version: FactorVersion


# The outcome of a handover follows the recipient's kind of organisation; every other
# kind's is OTHER_RECIPIENTS_OUTCOME.
OUTCOME_BY_RECIPIENT_KIND = {
    OrganisationKind.FEDERAL: Outcome.REUSED_FEDERAL,
    OrganisationKind.SOCIAL_ECONOMY: Outcome.REUSED_SOCIAL_ECONOMY,
}
OTHER_RECIPIENTS_OUTCOME = Outcome.REUSED_OTHER


def outcome_for_recipient_kind(kind: str) -> Outcome:
    """The outcome of a handover follows the recipient's kind of organisation."""
    return OUTCOME_BY_RECIPIENT_KIND.get(kind, OTHER_RECIPIENTS_OUTCOME)


def impact_factors(*, version: FactorVersion, category_ids=None) -> dict[int, CategoryFactor]:
    """The factors of ``version`` by category id (of ``category_ids`` only, if given)."""
    factors = CategoryFactor.objects.filter(version=version)
    if category_ids is not None:
        factors = factors.filter(category_id__in=list(category_ids))
    return {factor.category_id: factor for factor in factors}


def impact_unit_weight(lot: Lot, factor: CategoryFactor | None) -> Decimal:
    """The weight of one unit of ``lot``: its own, else its category's in the factor
    version (``factor``: the category's factor there, if any), else the category's."""
    return lot.unit_weight_kg or (factor.unit_weight_kg if factor else lot.category.unit_weight_kg)


def impact_compute(
    *,
    lot: Lot,
    quantity: int,
    outcome: str,
    measured_weight_kg: Decimal | None = None,
    version: FactorVersion | None = None,
    factors: dict | None = None,
) -> ImpactFigures:
    """The figures for ``quantity`` units of ``lot`` that ended as ``outcome``.

    weight = the measured total, else quantity x (the lot's unit weight, else the
    category's in the factor version); CO2e = quantity x the category's per-unit reuse
    factor for reuse outcomes (sold included), else weight x the weight-based factor;
    recycling: weight x the recycling factor where one is known; disposal: 0;
    value = quantity x the replacement value for reuse outcomes, 0 otherwise.

    With ``version`` and ``factors`` (the version's factors by category id) given, it
    reads nothing from the database but the lot's category, which callers load with it.
    """
    version = version or factor_version_current()
    if version is None:
        raise FactorVersion.DoesNotExist("No current factor version: load the categories.")
    if factors is None:
        factors = impact_factors(version=version, category_ids=[lot.category_id])
    factor = factors.get(lot.category_id)
    category = lot.category
    if measured_weight_kg is not None:
        weight = Decimal(measured_weight_kg)
    else:
        weight = quantity * impact_unit_weight(lot, factor)
    if outcome in REUSE_OUTCOMES:
        if factor is not None and factor.co2e_avoided_per_unit_kg is not None:
            co2e = quantity * factor.co2e_avoided_per_unit_kg
        else:
            co2e = weight * version.weight_based_co2e_per_kg
        value = quantity * category.replacement_value_eur
    elif outcome == Outcome.RECYCLED and factor is not None and factor.recycling_co2e_per_kg:
        co2e, value = weight * factor.recycling_co2e_per_kg, Decimal(0)
    else:
        co2e, value = Decimal(0), Decimal(0)
    return ImpactFigures(
        weight_kg=weight.quantize(KG, ROUND_HALF_UP),
        co2e_avoided_kg=Decimal(co2e).quantize(KG, ROUND_HALF_UP),
        replacement_value_eur=Decimal(value).quantize(EUR, ROUND_HALF_UP),
        factor_version=version,
    )


def impact_record_values_for_handover(
    *,
    lot: Lot,
    claim_id: int,
    claimant_id: int,
    claimant_kind: str,
    collected_quantity: int,
    collected_at: datetime.datetime,
    measured_weight_kg: Decimal | None = None,
    version: FactorVersion | None = None,
    factors: dict | None = None,
) -> dict[str, object]:
    """The impact record of a handover, as field values by attname (nothing is written):
    the claimant is the recipient and its kind gives the outcome, the lot gives donor,
    category and region, the day of the collection is the record's date, and the
    figures are ``impact_compute``'s (``version``: the current factor version)."""
    outcome = outcome_for_recipient_kind(claimant_kind)
    figures = impact_compute(
        lot=lot,
        quantity=collected_quantity,
        outcome=outcome,
        measured_weight_kg=measured_weight_kg,
        version=version,
        factors=factors,
    )
    return {
        "source": ImpactSource.HANDOVER,
        "claim_id": claim_id,
        "occurred_on": timezone.localdate(collected_at),
        "outcome": outcome,
        "lot_id": lot.pk,
        "quantity": collected_quantity,
        "weight_kg": figures.weight_kg,
        "co2e_avoided_kg": figures.co2e_avoided_kg,
        "replacement_value_eur": figures.replacement_value_eur,
        "factor_version_id": figures.factor_version.pk,
        "donor_id": lot.owner_id,
        "recipient_id": claimant_id,
        "category_id": lot.category_id,
        "region": lot.region,
    }


def impact_record_values_for_claim(
    claim, *, version: FactorVersion | None = None, factors: dict | None = None
) -> dict[str, object]:
    """``impact_record_values_for_handover`` of a collected claim (a ``Claim`` with its
    lot and claimant at hand)."""
    return impact_record_values_for_handover(
        lot=claim.lot,
        claim_id=claim.pk,
        claimant_id=claim.claimant_id,
        claimant_kind=claim.claimant.kind,
        collected_quantity=claim.collected_quantity,
        collected_at=claim.collected_at,
        measured_weight_kg=claim.measured_weight_kg,
        version=version,
        factors=factors,
    )


def impact_record_values_for_lot_close(
    *, lot: Lot, version: FactorVersion | None = None, factors: dict | None = None
) -> dict[str, object]:
    """The impact record of an expired lot's remainder closed as sold, recycled or
    disposed (``close_outcome``, ``close_quantity``, dated by the lot's last status
    change), as field values by attname; nothing is written."""
    figures = impact_compute(
        lot=lot,
        quantity=lot.close_quantity,
        outcome=lot.close_outcome,
        version=version,
        factors=factors,
    )
    return {
        "source": ImpactSource.LOT_CLOSE,
        "claim_id": None,
        "occurred_on": timezone.localdate(lot.status_changed_at),
        "outcome": lot.close_outcome,
        "lot_id": lot.pk,
        "quantity": lot.close_quantity,
        "weight_kg": figures.weight_kg,
        "co2e_avoided_kg": figures.co2e_avoided_kg,
        "replacement_value_eur": figures.replacement_value_eur,
        "factor_version_id": figures.factor_version.pk,
        "donor_id": lot.owner_id,
        "recipient_id": None,
        "category_id": lot.category_id,
        "region": lot.region,
    }
