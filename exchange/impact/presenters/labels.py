"""Names of the breakdowns, their groups and the figures, in the active language."""

import datetime
from decimal import Decimal

from django.utils import formats
from django.utils.translation import gettext as _

from exchange.categories.models import Category
from exchange.impact.models import Outcome
from exchange.organisations.models import Region


def breakdown_titles() -> dict[str, str]:
    return {
        "outcome": _("By outcome"),
        "root_category": _("By category group"),
        "category": _("By category"),
        "region": _("By region"),
        "recipient_kind": _("By kind of recipient"),
        "donor": _("By donor"),
        "recipient": _("By recipient"),
        "month": _("By month"),
        "year": _("By year"),
    }


def group_headers() -> dict[str, str]:
    """The heading of the first column of each breakdown's table."""
    return {
        "outcome": _("Outcome"),
        "root_category": _("Category group"),
        "category": _("Category"),
        "region": _("Region"),
        "recipient_kind": _("Kind of recipient"),
        "donor": _("Donor"),
        "recipient": _("Recipient"),
        "month": _("Month"),
        "year": _("Year"),
    }


def column_titles() -> dict[str, str]:
    """The headings of the figures' columns in the documents."""
    return {
        "items": _("Items"),
        "weight_kg": _("Weight (kg)"),
        "reused_weight_kg": _("Reused weight (kg)"),
        "co2e_avoided_kg": _("CO2e avoided (kg)"),
        "replacement_value_eur": _("Replacement value (EUR)"),
        "diversion_percent": _("Diversion rate (%)"),
    }


def recipient_kind_names() -> dict[str, str]:
    """The rows of "by kind of recipient": the kinds of the recipients of what was
    reused, then each outcome without a recipient (a sale is reuse too)."""
    return {
        "federal": _("Federal services"),
        "social_economy": _("Social economy"),
        "other": _("Other public and non-profit bodies"),
        Outcome.SOLD: _("Sold (reuse, no recipient on the platform)"),
        Outcome.RECYCLED: str(Outcome.RECYCLED.label),
        Outcome.DISPOSED: str(Outcome.DISPOSED.label),
    }


def category_names(codes) -> dict[str, Category]:
    """The categories of ``codes`` (one query): their ``name`` is in the active language."""
    codes = set(codes)
    if not codes:
        return {}
    return {c.code: c for c in Category.objects.select_related("parent").filter(code__in=codes)}


def group_label(by: str, key, categories: dict[str, Category]) -> str:
    """The name of group ``key`` of breakdown ``by``; ``categories`` by code, from
    ``category_names``."""
    if by == "outcome":
        return str(Outcome(key).label) if key in Outcome.values else str(key)
    if by == "region":
        return str(Region(key).label) if key in Region.values else str(key)
    if by == "recipient_kind":
        return recipient_kind_names().get(key, str(key))
    if by in ("category", "root_category"):
        category = categories.get(key)
        return category.name if category else str(key)
    if by == "month" and isinstance(key, datetime.date):
        return formats.date_format(key, "YEAR_MONTH_FORMAT")
    return str(key)


def diversion_percent(row: dict) -> float | None:
    """The share of the weight reused, in percent, from the row's sums (not from its
    rounded rate: 33.649 % is 33.6 %, not 33.7 %); None without weight."""
    weight = Decimal(row["weight_kg"] or 0)
    return float(Decimal(row["reused_weight_kg"]) / weight * 100) if weight else None


def labelled(breakdowns: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """Every row of every breakdown with its ``label`` and ``diversion_percent`` (and,
    by category, the ``group`` and ``path`` of the category in the tree): one query for
    all the category names, however many rows."""
    codes = {row["key"] for by in ("category", "root_category") for row in breakdowns.get(by, ())}
    categories = category_names(codes)
    result = {}
    for by, rows in breakdowns.items():
        result[by] = [
            {
                **row,
                "label": group_label(by, row["key"], categories),
                "diversion_percent": diversion_percent(row),
            }
            for row in rows
        ]
    for row in result.get("category", ()):
        # where the category sits in the tree: its group (parent) and its path
        category = categories.get(row["key"])
        row["group"] = category.parent.name if category and category.parent_id else ""
        row["path"] = category.path if category else str(row["key"])
    return result
