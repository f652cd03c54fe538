"""The annual report as its documents lay it out: the figures of the year with every
group named in the report's language."""

from django.utils import translation

from exchange.categories.models import FactorVersion
from exchange.impact.presenters.labels import labelled
from exchange.impact.sections import report_sections
from exchange.impact.selectors.reports import annual_report_figures

REPORT_LANGUAGES = ("nl", "fr", "de", "en")


def report_language(language: str | None) -> str:
    """The report language for a page or API language (``nl-be`` is ``nl``); English
    where the platform has no reports."""
    language = (language or "en")[:2]
    return language if language in REPORT_LANGUAGES else "en"


def annual_report_data(
    *,
    organisation_id: int | None,
    year: int,
    language: str,
    factor_version: FactorVersion | None = None,
) -> dict:
    """The figures of ``year`` within what the reader may see (every organisation's
    records, or ``organisation_id``'s as donor and recipient), each breakdown row
    labelled in ``language``; with ``factor_version``, recomputed as if every record
    had used that version. What ``exchange.impact.renderers`` write."""
    figures = annual_report_figures(
        organisation_id=organisation_id, year=year, factor_version=factor_version
    )
    with translation.override(language):
        breakdowns = labelled(figures["breakdowns"])
    sections = report_sections(organisation_id=organisation_id, year=year, language=language)
    return {**figures, "language": language, "breakdowns": breakdowns, "sections": sections}
