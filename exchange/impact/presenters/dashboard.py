"""The dashboard: headline figures, the breakdowns and the monthly series of what a
reader may count, each chart with its data table, in the reader's language. A constant
number of queries, however many records there are."""

import datetime
from decimal import Decimal

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from exchange.categories.models import Category
from exchange.impact.models import REUSE_OUTCOMES, Outcome
from exchange.impact.presenters import charts
from exchange.impact.presenters.labels import diversion_percent, labelled
from exchange.impact.presenters.numbers import rounded_row, written_figure, written_number
from exchange.impact.selectors.statistics import Selection, stats_summary, stats_timeseries

# Longer than this, the monthly charts keep to the months that have records.
MAX_CHART_MONTHS = 60
OUTCOME_COLOURS = {Outcome.RECYCLED: "#9a5b00", Outcome.DISPOSED: "#59636e"}


def percent(rate: float | None) -> str:
    """A rate (0.912) as people read it (91,2 %), by the one rule."""
    if rate is None:
        return "–"
    return written_figure(Decimal(str(rate)) * 100, "percent", translation.get_language())


def period_label(first: datetime.date | None, last: datetime.date | None) -> str:
    whole_year = first and last and first.year == last.year
    if whole_year and (first.month, first.day, last.month, last.day) == (1, 1, 12, 31):
        return str(first.year)
    if first and last:
        return _("%(first)s to %(last)s") % {
            "first": formats.date_format(first),
            "last": formats.date_format(last),
        }
    if first:
        return _("since %(first)s") % {"first": formats.date_format(first)}
    if last:
        return _("until %(last)s") % {"last": formats.date_format(last)}
    return _("all years")


def headline_changes(totals: dict, previous: dict | None) -> dict[str, str]:
    """Beside each headline figure, its change against the year before, by the one
    rule: in percent for amounts, in percentage points for the rate; nothing where the
    year before has no records."""
    if previous is None or not (previous["items"] or previous["weight_kg"]):
        return {}
    language = translation.get_language()
    now, before = rounded_row(totals), rounded_row(previous)
    changes = {}
    for name in ("items", "reused_weight_kg", "co2e_avoided_kg", "replacement_value_eur"):
        if before[name]:
            percent = Decimal(now[name] - before[name]) * 100 / abs(before[name])
            changes[name] = ("+" if percent > 0 else "") + written_figure(
                percent, "percent", language
            )
    if now["diversion_percent"] is not None and before["diversion_percent"] is not None:
        points = now["diversion_percent"] - before["diversion_percent"]
        changes["diversion_percent"] = _("%(points)s points") % {
            "points": ("+" if points > 0 else "") + written_number(points, language, decimals=1)
        }
    return changes


RANKING_SIZE = 10


def ranking(rows: list[dict], *, own: str | None) -> list[dict]:
    """The organisations that gave (or received) the most weight, rank by rank: the
    first ``RANKING_SIZE`` for readers of every organisation; for a member (``own``,
    their organisation's name) their own row alone, without a rank that would tell
    about others."""
    if own is not None:
        return [{**row, "rank": None} for row in rows if row["key"] == own]
    return [{**row, "rank": index} for index, row in enumerate(rows[:RANKING_SIZE], start=1)]


def dashboard_figures(
    selection: Selection,
    *,
    period: tuple[datetime.date | None, datetime.date | None],
    category: Category | None,
    previous: Selection | None = None,
    own_organisation: str | None = None,
) -> dict:
    """Headline figures (with their change against ``previous``, the year before),
    the breakdowns, the ranking of donors and recipients (``own_organisation``: a
    member's, who sees their own row only) and the monthly series, each with its chart.

    A constant number of queries, however many records there are."""
    group_by = "category" if category is not None else "root_category"
    summary = stats_summary(
        selection, breakdowns=(group_by, "outcome", "region", "donor", "recipient")
    )
    totals = summary["totals"]
    outcomes = summary["breakdowns"]["outcome"]
    reused = [row for row in outcomes if row["key"] in REUSE_OUTCOMES]
    reused_weight = sum((row["weight_kg"] for row in reused), Decimal(0))
    headline = {
        **totals,
        "reused_items": sum(row["items"] for row in reused),
        "reused_weight_kg": reused_weight,
        "diversion_percent": diversion_percent({**totals, "reused_weight_kg": reused_weight}),
    }
    if previous is not None:
        previous_totals = stats_summary(previous, breakdowns=())["totals"]
        for name, change in headline_changes(totals, previous_totals).items():
            headline[f"change_{name}"] = change
    if not totals["items"] and not totals["weight_kg"]:
        return {"headline": headline, "has_records": False}

    rows = labelled(summary["breakdowns"])
    groups, outcome_rows, region_rows = rows[group_by], rows["outcome"], rows["region"]
    months = _months(selection, period)
    return {
        "headline": headline,
        "has_records": True,
        "groups": {
            "rows": groups,
            "title": _("By category") if category is not None else _("By category group"),
            "chart": _bar_chart("chart-groups", _("Weight by category"), groups),
        },
        "outcomes": {
            "rows": outcome_rows,
            "chart": _bar_chart(
                "chart-outcomes",
                _("Weight by outcome"),
                outcome_rows,
                colours={
                    row["key"]: OUTCOME_COLOURS.get(row["key"], charts.BAR) for row in outcome_rows
                },
            ),
        },
        "regions": {
            "rows": region_rows,
            "chart": _bar_chart("chart-regions", _("Weight by region"), region_rows),
        },
        "months": months,
        "ranking": _ranking(summary["breakdowns"], own_organisation),
    }


def _ranking(breakdowns: dict, own: str | None) -> dict:
    donors, recipients = (
        [
            {**row, "label": row["key"], "diversion_percent": diversion_percent(row)}
            for row in ranking(breakdowns[side], own=own)
        ]
        for side in ("donor", "recipient")
    )
    return {
        "donors": donors,
        "recipients": recipients,
        "own": own is not None,
        "donors_chart": _bar_chart("chart-donors", _("Weight given, by donor"), donors)
        if own is None and donors
        else "",
        "recipients_chart": _bar_chart(
            "chart-recipients", _("Weight received, by recipient"), recipients
        )
        if own is None and recipients
        else "",
    }


def _kg(value) -> str:
    return written_figure(value, "kg", translation.get_language())


def _bar_chart(chart_id: str, title: str, rows: list[dict], colours: dict | None = None):
    colours = colours or {}
    largest = rows[0] if rows else None
    desc = (
        _(
            "Horizontal bars, one per group, as long as the weight recorded. The largest: "
            "%(label)s, %(weight)s. The table gives every figure."
        )
        % {"label": largest["label"], "weight": _kg(largest["weight_kg"])}
        if largest
        else _("No records.")
    )
    return charts.bar_chart(
        chart_id=chart_id,
        title=title,
        desc=desc,
        points=[
            charts.ChartPoint(
                label=row["label"],
                value=float(row["weight_kg"]),
                display=_kg(row["weight_kg"]),
                colour=colours.get(row["key"], charts.BAR),
            )
            for row in rows
        ],
    )


def _months(selection: Selection, period) -> dict:
    """Weight and diversion rate per month, every month of the period shown (a month
    without records too), each with its chart."""
    series = {row["period"]: row for row in stats_timeseries(selection)}
    with_records = sorted(datetime.date.fromisoformat(key) for key in series)
    first, last = period
    this_month = timezone.localdate().replace(day=1)
    first = first.replace(day=1) if first else with_records[0]
    last = min(last.replace(day=1), this_month) if last else with_records[-1]
    last = max(last, with_records[-1])
    first = min(first, with_records[0])
    months = charts.months_between(first, last)
    if len(months) > MAX_CHART_MONTHS:
        months = charts.months_between(with_records[0], with_records[-1])
    rows = []
    for index, month in enumerate(months):
        row = series.get(month.isoformat())
        weight = row["weight_kg"] if row else Decimal(0)
        reused_weight = row["reused_weight_kg"] if row else Decimal(0)
        rate = float(reused_weight / weight) if weight else None
        rows.append(
            {
                "month": month,
                "label": formats.date_format(month, "YEAR_MONTH_FORMAT"),
                "tick": formats.date_format(month, "M"),
                "tick_note": str(month.year) if index == 0 or month.month == 1 else "",
                "items": row["items"] if row else 0,
                "weight_kg": weight,
                "reused_weight_kg": reused_weight,
                "co2e_avoided_kg": row["co2e_avoided_kg"] if row else Decimal(0),
                "replacement_value_eur": row["replacement_value_eur"] if row else Decimal(0),
                "diversion_rate": rate,
                "diversion_percent": None if rate is None else rate * 100,
            }
        )
    heaviest = max(rows, key=lambda r: r["weight_kg"])
    span = {"first": rows[0]["label"], "last": rows[-1]["label"]}
    weight_chart = charts.column_chart(
        chart_id="chart-months",
        title=_("Weight recorded per month (kg)"),
        desc=_(
            "Columns, one per month from %(first)s to %(last)s, as high as the weight "
            "recorded. The heaviest month: %(month)s, %(weight)s. The table gives every figure."
        )
        % {**span, "month": heaviest["label"], "weight": _kg(heaviest["weight_kg"])},
        points=[
            charts.ChartPoint(
                label=row["label"],
                value=float(row["weight_kg"]),
                display=_kg(row["weight_kg"]),
                tick=row["tick"],
                tick_note=row["tick_note"],
            )
            for row in rows
        ],
    )
    rated = [row for row in rows if row["diversion_rate"] is not None]
    lowest = min(rated, key=lambda r: r["diversion_rate"])
    highest = max(rated, key=lambda r: r["diversion_rate"])
    rate_chart = charts.line_chart(
        chart_id="chart-diversion",
        title=_("Diversion rate per month"),
        desc=_(
            "A line over the months from %(first)s to %(last)s, from 0 to 100 percent of the "
            "weight reused; months without records leave a gap. Lowest: %(low_month)s, "
            "%(low)s; highest: %(high_month)s, %(high)s. The table gives every figure."
        )
        % {
            **span,
            "low_month": lowest["label"],
            "low": percent(lowest["diversion_rate"]),
            "high_month": highest["label"],
            "high": percent(highest["diversion_rate"]),
        },
        points=[
            charts.ChartPoint(
                label=row["label"],
                value=row["diversion_percent"],
                display=percent(row["diversion_rate"]),
                tick=row["tick"],
                tick_note=row["tick_note"],
            )
            for row in rows
        ],
    )
    return {"rows": rows, "weight_chart": weight_chart, "rate_chart": rate_chart}
