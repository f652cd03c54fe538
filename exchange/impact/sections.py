"""Sections of the statistics that the apps above impact add (reuse checks, say): a
part of the dashboard and a part of the annual report. Each app registers its section
at start-up (AppConfig.ready), so impact imports none of them: the dashboard includes
each section's template with the variables the section gives, and the report's files
lay out each section's rows after the breakdowns."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class StatisticsSection:
    dashboard_template: str
    # (*, organisation_id, year, category) -> the template's variables, or None to leave
    # the section out; organisation_id None: every organisation's figures.
    dashboard: Callable[..., dict | None]
    # (*, organisation_id, year, language) -> {"title": str, "rows": [(label, value)]},
    # the labels in ``language``; or None to leave the section out.
    report: Callable[..., dict | None]


_SECTIONS: dict[str, StatisticsSection] = {}


def statistics_section_register(
    name: str,
    *,
    dashboard_template: str,
    dashboard: Callable[..., dict | None],
    report: Callable[..., dict | None],
) -> None:
    """Add a section to the statistics (from an AppConfig.ready); ``name`` keeps it once."""
    _SECTIONS[name] = StatisticsSection(
        dashboard_template=dashboard_template, dashboard=dashboard, report=report
    )


def dashboard_sections(*, organisation_id: int | None, year: int | None, category=None) -> list:
    """(template, variables) of each section to show on the dashboard."""
    shown = []
    for section in _SECTIONS.values():
        variables = section.dashboard(organisation_id=organisation_id, year=year, category=category)
        if variables is not None:
            shown.append((section.dashboard_template, variables))
    return shown


def report_sections(*, organisation_id: int | None, year: int, language: str) -> list[dict]:
    """Each section's title and rows for the annual report of ``year``."""
    sections = []
    for section in _SECTIONS.values():
        rows = section.report(organisation_id=organisation_id, year=year, language=language)
        if rows is not None:
            sections.append(rows)
    return sections
