"""The annual report as its documents lay it out: the figures of the year and of the
year before, every group named in the report's language, every figure rounded by the
one rule (``exchange.impact.presenters.numbers``), and the sentence that sums the year
up. The renderers (``exchange.impact.renderers``) only place what this gives."""

import datetime

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from exchange.categories.models import FactorVersion
from exchange.impact.models import REUSE_OUTCOMES
from exchange.impact.presenters.labels import (
    breakdown_titles,
    column_titles,
    group_headers,
    labelled,
)
from exchange.impact.presenters.numbers import rounded_row, written_figure, written_number
from exchange.impact.sections import report_sections
from exchange.impact.selectors.reports import annual_report_figures, annual_report_totals
from exchange.impact.selectors.statistics import FIRST_YEAR
from exchange.organisations.models import Organisation

REPORT_LANGUAGES = ("nl", "fr", "de", "en")
# The breakdowns of a report, in the order the documents give them.
REPORT_BREAKDOWNS = (
    "root_category",
    "category",
    "outcome",
    "recipient_kind",
    "region",
    "month",
    "donor",
    "recipient",
)
# The figures of each row, in the order of the columns.
REPORT_COLUMNS = (
    "items",
    "weight_kg",
    "co2e_avoided_kg",
    "replacement_value_eur",
    "diversion_percent",
)
# The headline figures, compared with the year before.
HEADLINE = (
    "items",
    "weight_kg",
    "reused_weight_kg",
    "co2e_avoided_kg",
    "replacement_value_eur",
    "diversion_percent",
)


def report_language(language: str | None) -> str:
    """The report language for a page or API language (``nl-be`` is ``nl``); English
    where the platform has no reports."""
    language = (language or "en")[:2]
    return language if language in REPORT_LANGUAGES else "en"


def headline_titles() -> dict[str, str]:
    return {
        "items": _("Items recorded"),
        "weight_kg": _("Weight recorded"),
        "reused_weight_kg": _("Diverted from waste (reused or sold)"),
        "co2e_avoided_kg": _("CO2e avoided"),
        "replacement_value_eur": _("Euros saved (replacement value)"),
        "diversion_percent": _("Diversion rate"),
    }


def _reused_items(outcome_rows: list[dict]) -> int:
    return sum(row["items"] for row in outcome_rows if row["key"] in REUSE_OUTCOMES)


def headline_rows(figures: dict, previous: dict | None, language: str) -> list[dict]:
    """Each headline figure of the year, of the year before, and the change: in percent
    for amounts, in percentage points for the rate."""
    rows = []
    for name in HEADLINE:
        current = figures[name]
        before = previous[name] if previous else None
        change = None
        if current is not None and before is not None:
            if name == "diversion_percent":
                points = current - before
                change = _("%(points)s points") % {
                    "points": ("+" if points > 0 else "")
                    + written_number(points, language, decimals=1)
                }
            elif before:
                percent = (current - before) * 100 / abs(before)
                change = ("+" if percent > 0 else "") + written_figure(percent, "percent", language)
        rows.append(
            {
                "name": name,
                "title": headline_titles()[name],
                "value": current,
                "previous": before,
                "written": written_figure(current, _headline_measure(name), language),
                "previous_written": written_figure(before, _headline_measure(name), language),
                "change": change or "–",
            }
        )
    return rows


def _headline_measure(name: str) -> str:
    return "percent" if name == "diversion_percent" else name


def summary_sentence(data: dict) -> str:
    """One sentence that sums the year up, from the rounded figures."""
    figures, language = data["figures"], data["language"]
    values = {
        "year": data["year"],
        "items": written_number(data["reused_items"], language),
        "weight": written_figure(figures["reused_weight_kg"], "kg", language),
        "co2e": written_figure(figures["co2e_avoided_kg"], "kg", language),
        "euros": written_figure(figures["replacement_value_eur"], "eur", language),
        "rate": written_figure(figures["diversion_percent"], "percent", language),
    }
    if data["organisation"]:
        given, received = data["given_items"], data["received_items"]
        return (
            ngettext(
                "In %(year)s, %(organisation)s gave %(given)s item a second life",
                "In %(year)s, %(organisation)s gave %(given)s items a second life",
                given,
            )
            % {
                **values,
                "organisation": data["organisation"],
                "given": written_number(given, language),
            }
            + " "
            + ngettext(
                "and received %(received)s item from other public bodies.",
                "and received %(received)s items from other public bodies.",
                received,
            )
            % {"received": written_number(received, language)}
            + " "
            + _(
                "Together: %(weight)s kept out of the waste, %(co2e)s CO2e avoided and "
                "%(euros)s saved; a diversion rate of %(rate)s."
            )
            % values
        )
    donors = data["donor_count"]
    return (
        ngettext(
            "In %(year)s, %(donors)s public body gave %(items)s items a second life:",
            "In %(year)s, %(donors)s public bodies gave %(items)s items a second life:",
            donors,
        )
        % {**values, "donors": written_number(donors, language)}
        + " "
        + _(
            "%(weight)s kept out of the waste, %(co2e)s CO2e avoided and %(euros)s saved; "
            "a diversion rate of %(rate)s."
        )
        % values
    )


def annual_report_data(
    *,
    organisation_id: int | None,
    year: int,
    language: str,
    factor_version: FactorVersion | None = None,
    issued_on: datetime.date | None = None,
) -> dict:
    """The report of ``year`` within what the reader may see (every organisation's
    records, or ``organisation_id``'s as donor and recipient) in ``language``: the raw
    figures (``totals``, ``breakdowns``) and, for the documents, the rounded ``figures``,
    the ``headline`` against the year before, the ``summary`` sentence and the
    ``sections`` (one per breakdown, each row labelled and rounded). With
    ``factor_version``, both years recomputed as if every record had used it."""
    figures = annual_report_figures(
        organisation_id=organisation_id, year=year, factor_version=factor_version
    )
    previous_totals = (
        annual_report_totals(
            organisation_id=organisation_id, year=year - 1, factor_version=factor_version
        )
        if year > FIRST_YEAR
        else None
    )
    organisation = (
        Organisation.objects.filter(pk=organisation_id).values_list("name", flat=True).first()
        if organisation_id
        else None
    )
    with translation.override(language):
        breakdowns = labelled(figures["breakdowns"])
        titles, headers = breakdown_titles(), group_headers()
        sections = [
            {
                "by": by,
                "title": titles[by],
                "group_header": headers[by],
                "rows": [{**row, "figures": rounded_row(row)} for row in breakdowns[by]],
            }
            for by in REPORT_BREAKDOWNS
            if by in breakdowns
        ]
        rounded = rounded_row(figures["totals"])
        previous = rounded_row(previous_totals) if previous_totals else None
        data = {
            **figures,
            "language": language,
            "organisation": organisation,
            "organisation_id": organisation_id,
            "issued_on": issued_on or timezone.localdate(),
            "breakdowns": breakdowns,
            "sections": sections,
            "figures": rounded,
            "previous_year": year - 1,
            "previous": previous,
            "columns": [(name, column_titles()[name]) for name in REPORT_COLUMNS],
            "reused_items": _reused_items(figures["breakdowns"].get("outcome", [])),
            "donor_count": len(figures["breakdowns"].get("donor", [])),
            "given_items": figures.get("given_items", 0),
            "received_items": figures.get("received_items", 0),
        }
        # the sections the apps above impact add ("Reuse before buying"), after the
        # breakdowns: {"title", "rows": [(label, value)]}
        data["app_sections"] = report_sections(
            organisation_id=organisation_id, year=year, language=language
        )
        data["headline"] = headline_rows(rounded, previous, language)
        data["summary"] = summary_sentence(data)
        data["title"] = (
            _("Reuse Exchange annual report %(year)s: %(organisation)s")
            % {"year": year, "organisation": organisation}
            if organisation
            else _("Reuse Exchange annual report %(year)s") % {"year": year}
        )
        data["issued_written"] = formats.date_format(data["issued_on"], "DATE_FORMAT")
    return data
