"""The figures of reuse before buying: checks made (cancelled ones are not), how many
were met fully, partly or not by reuse, the purchase value avoided (the estimated unit
value times the units met) and the CO2e avoided by the units claimed, by organisation,
category and year.

The units met, for these figures, are those of the claims made from a check that were
collected (a claim declined, cancelled or not collected meets nothing); the CO2e is
that of the impact records of those handovers."""

from collections import defaultdict
from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, ExtractYear

from exchange.categories.models import Category
from exchange.categories.selectors import subtree_condition
from exchange.claims.models import ClaimStatus
from exchange.impact.models import ImpactRecord
from exchange.reuse.models import CheckStatus, ReuseCheck

MEASURES = (
    "checks",
    "met_fully",
    "met_partly",
    "met_not",
    "units_wanted",
    "units_met",
    "value_avoided_eur",
    "co2e_avoided_kg",
)
BREAKDOWNS = ("organisation", "category", "year")


def _checks(*, organisation_id: int | None, year: int | None, category) -> QuerySet:
    checks = ReuseCheck.objects.exclude(status=CheckStatus.CANCELLED)
    if organisation_id is not None:
        checks = checks.filter(organisation_id=organisation_id)
    if year is not None:
        checks = checks.filter(created_at__year=year)
    if category is not None:
        checks = checks.filter(subtree_condition(category.path, field="category__path"))
    co2e = (
        ImpactRecord.objects.filter(claim__reuse_check_claim__check_ref=OuterRef("pk"))
        .order_by()
        .values("claim__reuse_check_claim__check_ref")
        .annotate(total=Sum("co2e_avoided_kg"))
        .values("total")
    )
    decimal = DecimalField(max_digits=14, decimal_places=3)
    return checks.annotate(
        met=Sum(
            "claims__claim__collected_quantity",
            filter=Q(claims__claim__status=ClaimStatus.COLLECTED),
            default=0,
        ),
        co2e=Coalesce(
            Subquery(co2e, output_field=decimal), Value(Decimal(0)), output_field=decimal
        ),
        year=ExtractYear("created_at"),
    ).order_by()


def _empty() -> dict:
    return dict.fromkeys(MEASURES, 0) | {
        "value_avoided_eur": Decimal("0.00"),
        "co2e_avoided_kg": Decimal("0.000"),
    }


def _add(row: dict, quantity: int, value: Decimal, met: int, co2e: Decimal) -> None:
    met = min(met, quantity)
    row["checks"] += 1
    row["met_fully" if met >= quantity else "met_partly" if met else "met_not"] += 1
    row["units_wanted"] += quantity
    row["units_met"] += met
    row["value_avoided_eur"] += (value * met / quantity).quantize(Decimal("0.01"))
    row["co2e_avoided_kg"] += co2e


def reuse_figures(
    *, organisation_id: int | None, year: int | None = None, category: Category | None = None
) -> dict:
    """The totals and the breakdowns (by organisation, category, year: rows with a
    ``label`` and the measures), within one organisation's checks or every one's
    (``organisation_id`` None)."""
    totals = _empty()
    groups: dict[str, dict] = {by: defaultdict(_empty) for by in BREAKDOWNS}
    labels: dict[str, dict] = {by: {} for by in BREAKDOWNS}
    rows = _checks(organisation_id=organisation_id, year=year, category=category).values_list(
        "quantity",
        "estimated_value_eur",
        "met",
        "co2e",
        "organisation_id",
        "organisation__name",
        "category_id",
        "year",
    )
    category_ids = set()
    for quantity, value, met, co2e, org_id, org_name, category_id, check_year in rows:
        _add(totals, quantity, value, met, co2e)
        for by, key, label in (
            ("organisation", org_id, org_name),
            ("category", category_id, None),
            ("year", check_year, str(check_year)),
        ):
            _add(groups[by][key], quantity, value, met, co2e)
            labels[by][key] = label
        category_ids.add(category_id)
    names = {c.pk: c.name for c in Category.objects.filter(pk__in=category_ids)}
    labels["category"] = {pk: names.get(pk, "") for pk in labels["category"]}
    breakdowns = {}
    for by in BREAKDOWNS:
        ordered = sorted(groups[by].items(), key=lambda item: str(labels[by][item[0]]))
        if by == "year":
            ordered = sorted(groups[by].items())
        breakdowns[by] = [{"key": key, "label": labels[by][key], **row} for key, row in ordered]
    return {"totals": totals, "breakdowns": breakdowns}
