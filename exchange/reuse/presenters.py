"""The "Reuse before buying" section of the statistics: on the dashboard and in the
annual report (registered with impact at start-up, exchange/reuse/apps.py)."""

from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from exchange.reuse.figures import reuse_figures

SECTION_TITLE = gettext_lazy("Reuse before buying")


def measure_titles() -> dict[str, str]:
    return {
        "checks": _("Reuse checks made"),
        "met_fully": _("Met fully by reuse"),
        "met_partly": _("Met partly by reuse"),
        "met_not": _("Not met by reuse"),
        "units_wanted": _("Units needed"),
        "units_met": _("Units met by reuse (collected)"),
        "value_avoided_eur": _("Purchase value avoided (EUR)"),
        "co2e_avoided_kg": _("CO2e avoided by the units claimed (kg)"),
    }


def breakdown_titles() -> dict[str, str]:
    return {
        "organisation": _("Reuse checks by organisation"),
        "category": _("Reuse checks by category"),
        "year": _("Reuse checks by year"),
    }


def reuse_dashboard_section(*, organisation_id, year, category=None) -> dict | None:
    figures = reuse_figures(organisation_id=organisation_id, year=year, category=category)
    if not figures["totals"]["checks"]:
        return None
    breakdowns = figures["breakdowns"]
    if organisation_id is not None:
        breakdowns = {by: rows for by, rows in breakdowns.items() if by != "organisation"}
    return {
        "title": SECTION_TITLE,
        "totals": figures["totals"],
        "breakdowns": [
            {"by": by, "title": breakdown_titles()[by], "rows": rows}
            for by, rows in breakdowns.items()
        ],
    }


def _share(part: int, whole: int) -> str:
    if not whole:
        return "–"
    return formats.number_format(100 * part / whole, decimal_pos=0, use_l10n=True) + " %"


def reuse_report_section(*, organisation_id, year, language) -> dict | None:
    with translation.override(language):
        figures = reuse_figures(organisation_id=organisation_id, year=year)
        totals = figures["totals"]
        titles = measure_titles()
        rows = [(titles["checks"], totals["checks"])]
        for name in ("met_fully", "met_partly", "met_not"):
            rows.append(
                (titles[name], f"{totals[name]} ({_share(totals[name], totals['checks'])})")
            )
        for name in ("units_wanted", "units_met", "value_avoided_eur", "co2e_avoided_kg"):
            rows.append((titles[name], totals[name]))
        if organisation_id is None:
            for row in figures["breakdowns"]["organisation"]:
                rows.append(
                    (
                        _("%(organisation)s: checks, met fully / partly / not")
                        % {"organisation": row["label"]},
                        f"{row['checks']}: {row['met_fully']} / {row['met_partly']} / "
                        f"{row['met_not']}",
                    )
                )
        for row in figures["breakdowns"]["category"]:
            rows.append(
                (
                    _("%(category)s: checks, purchase value avoided (EUR)")
                    % {"category": row["label"]},
                    f"{row['checks']}, {row['value_avoided_eur']}",
                )
            )
        return {"title": str(SECTION_TITLE), "rows": rows}
