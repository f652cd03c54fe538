"""The open-data page: every organisation's totals by year, and by region and category
for the chosen year (or all years), naming no organisation; the factors behind them."""

from exchange.categories.models import CategoryFactor, FactorVersion
from exchange.categories.selectors import factor_version_current
from exchange.impact.presenters import charts
from exchange.impact.presenters.labels import diversion_percent, labelled
from exchange.impact.selectors.open_data import open_data_summary


def _with_percent(row: dict) -> dict:
    return {**row, "diversion_percent": diversion_percent(row)}


def open_data_figures(*, year: int | None) -> dict:
    """The tables of the page: ``by_year`` and ``total`` over every year; ``by_region``
    and ``by_category`` (each category with its ``group``, in the order of the tree)
    for ``year``, or for all years when it is None."""
    if year is None:
        every_year = chosen = open_data_summary(breakdowns=("year", "region", "category"))
    else:
        every_year = open_data_summary(breakdowns=("year",))
        chosen = open_data_summary(year=year, breakdowns=("region", "category"))
    rows = labelled(chosen["breakdowns"])
    return {
        "by_year": [_with_percent(row) for row in every_year["breakdowns"]["year"]],
        "total": _with_percent(every_year["totals"]),
        "by_region": rows["region"],
        "by_category": sorted(rows["category"], key=lambda row: row["path"]),
    }


def current_factors() -> tuple[FactorVersion | None, list[CategoryFactor]]:
    """The current factor version and its factors, written as their sources give them."""
    version = factor_version_current()
    if version is None:
        return None, []
    version.weight_based_display = charts.number_trimmed(version.weight_based_co2e_per_kg)
    factors = list(
        CategoryFactor.objects.filter(version=version)
        .select_related("category")
        .order_by("category__path")
    )
    for factor in factors:
        factor.unit_weight_display = charts.number_trimmed(factor.unit_weight_kg)
        factor.co2e_display = charts.number_trimmed(factor.co2e_avoided_per_unit_kg)
    return version, factors
