"""The statistics pages: the dashboard of what a reader may count, the annual report
downloads, and the anonymous open-data page. The figures come from
``exchange.impact.stats`` (SQL sums within ``stats_query``); these views parse the
filters, call it, and shape the answer into headline figures, charts and tables."""

import datetime
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from exchange.categories.models import Category, CategoryFactor
from exchange.categories.selectors import factor_version_current
from exchange.common.errors import ApplicationError
from exchange.common.forms import add_application_error
from exchange.impact import charts
from exchange.impact.forms import OpenDataYearForm, StatsFilterForm
from exchange.impact.models import REUSE_OUTCOMES, ImpactRecord, Outcome
from exchange.impact.reports import RENDERERS, annual_report_data
from exchange.impact.selectors import impact_reads_all
from exchange.impact.stats import (
    FIRST_YEAR,
    LAST_YEAR,
    Selection,
    open_data,
    stats_query,
    stats_summary,
    stats_timeseries,
    stats_years,
)
from exchange.organisations.models import Membership, Region
from exchange.organisations.web import web_actor

REPORT_LANGUAGES = ("nl", "fr", "de", "en")
# Longer than this, the monthly charts keep to the months that have records.
MAX_CHART_MONTHS = 60
OUTCOME_COLOURS = {Outcome.RECYCLED: "#9a5b00", Outcome.DISPOSED: "#59636e"}


def _reader(request) -> tuple[Membership | None, bool]:
    """The acting membership and whether the reader sees every organisation."""
    return web_actor(request), impact_reads_all(request.user)


def _language() -> str:
    language = (translation.get_language() or "en")[:2]
    return language if language in REPORT_LANGUAGES else "en"


def percent(rate: float | None) -> str:
    if rate is None:
        return "–"
    return _("%(percent)s%%") % {"percent": charts.number(rate * 100, 1)}


# --- The dashboard ---------------------------------------------------------------


@login_required
@require_GET
def dashboard(request):
    actor, reads_all = _reader(request)
    if actor is None and not reads_all:
        return render(request, "impact/no_access.html", status=403)
    years = stats_years(stats_query(user=request.user, actor=actor))
    form = StatsFilterForm(request.GET or None, actor=actor, reads_all=reads_all, years=years)
    filters = form.stats_filter()
    selection: Selection
    try:
        selection = stats_query(user=request.user, actor=actor, filters=filters)
    except ApplicationError as exc:
        add_application_error(form, exc)
        selection = ImpactRecord.objects.none()
    context = {
        "form": form,
        "actor": actor,
        "reads_all": reads_all,
        "report_year": form.report_year(),
        "report_formats": [
            ("pdf", "PDF"),
            ("xlsx", _("Excel (XLSX)")),
            ("csv", "CSV"),
        ],
        "language_name": translation.get_language_info(_language())["name_local"],
        "period_label": period_label(*form.period()),
    }
    context.update(dashboard_figures(selection, period=form.period(), category=filters.category))
    return render(request, "impact/dashboard.html", context)


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


def dashboard_figures(
    selection: Selection,
    *,
    period: tuple[datetime.date | None, datetime.date | None],
    category: Category | None,
) -> dict:
    """Headline figures, the breakdowns and the monthly series, each with its chart.

    A constant number of queries, however many records there are."""
    group_by = "category" if category is not None else "root_category"
    summary = stats_summary(selection, breakdowns=(group_by, "outcome", "region"))
    totals = summary["totals"]
    outcomes = summary["breakdowns"]["outcome"]
    reused = [row for row in outcomes if row["key"] in REUSE_OUTCOMES]
    reused_weight = sum((row["weight_kg"] for row in reused), Decimal(0))
    headline = {
        **totals,
        "reused_items": sum(row["items"] for row in reused),
        "reused_weight_kg": reused_weight,
        # from the sums, not the rounded rate: 33.649 % is 33.6 %, not 33.7 %
        "diversion_percent": float(reused_weight / totals["weight_kg"] * 100)
        if totals["weight_kg"]
        else None,
    }
    if not totals["items"] and not totals["weight_kg"]:
        return {"headline": headline, "has_records": False}

    names = dict(
        Category.objects.filter(
            code__in=[row["key"] for row in summary["breakdowns"][group_by]]
        ).values_list("code", "name_" + _language())
    )
    groups = _rows(summary["breakdowns"][group_by], lambda key: names.get(key) or key)
    outcome_rows = _rows(outcomes, lambda key: Outcome(key).label if key in Outcome.values else key)
    region_rows = _rows(
        summary["breakdowns"]["region"],
        lambda key: Region(key).label if key in Region.values else key,
    )
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
    }


def _percent_value(rate: float | None) -> float | None:
    return None if rate is None else rate * 100


def _rows(rows: list[dict], label) -> list[dict]:
    return [
        {
            **row,
            "label": str(label(row["key"])),
            "diversion_percent": _percent_value(row["diversion_rate"]),
        }
        for row in rows
    ]


def _kg(value) -> str:
    return _("%(weight)s kg") % {"weight": charts.number(value)}


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
    reused = {
        row["period"]: row["weight_kg"]
        for row in stats_timeseries(selection, outcomes=REUSE_OUTCOMES)
    }
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
        reused_weight = reused.get(month.isoformat(), Decimal(0))
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
                "diversion_percent": _percent_value(rate),
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


# --- The annual report -----------------------------------------------------------


@login_required
@require_GET
def annual_report(request, year: str, file_format: str):
    """The annual report of ``year`` in the reader's language, within what they may see."""
    actor, reads_all = _reader(request)
    year = int(year)
    if (actor is None and not reads_all) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise Http404
    if file_format not in RENDERERS:
        raise Http404
    language = _language()
    organisation_id = None if reads_all else actor.organisation_id
    data = annual_report_data(organisation_id=organisation_id, year=year, language=language)
    render_report, content_type = RENDERERS[file_format]
    response = HttpResponse(render_report(data), content_type=content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="reuse-exchange-{year}-{language}.{file_format}"'
    )
    return response


# --- Open data -------------------------------------------------------------------


@require_GET
def open_data_page(request):
    """Totals by year, region and category for everyone: no organisation is named."""
    rows = open_data()
    years = sorted({row["year"] for row in rows})
    form = OpenDataYearForm(request.GET or None, years=years)
    year = form.chosen_year()
    chosen = [row for row in rows if year is None or row["year"] == year]
    categories = {
        c.code: c
        for c in Category.objects.select_related("parent").filter(
            code__in={row["category_code"] for row in rows}
        )
    }
    by_year = _open_totals(rows, "year")
    by_region = _open_totals(chosen, "region")
    for row in by_region:
        row["label"] = Region(row["key"]).label if row["key"] in Region.values else row["key"]
    by_category = _open_totals(chosen, "category_code")
    for row in by_category:
        category = categories.get(row["key"])
        row["label"] = category.name if category else row["key"]
        row["group"] = category.parent.name if category and category.parent_id else ""
        row["path"] = category.path if category else row["key"]
    by_category.sort(key=lambda r: r["path"])
    version = factor_version_current()
    factors = []
    if version:
        version.weight_based_display = charts.number_trimmed(version.weight_based_co2e_per_kg)
        factors = list(
            CategoryFactor.objects.filter(version=version)
            .select_related("category")
            .order_by("category__path")
        )
        for factor in factors:
            factor.unit_weight_display = charts.number_trimmed(factor.unit_weight_kg)
            factor.co2e_display = charts.number_trimmed(factor.co2e_avoided_per_unit_kg)
    context = {
        "form": form,
        "year": year,
        "by_year": by_year,
        "total": _open_totals(rows, None)[0] if rows else None,
        "by_region": by_region,
        "by_category": by_category,
        "version": version,
        "factors": factors,
    }
    return render(request, "impact/open_data.html", context)


def _open_totals(rows: list[dict], key: str | None) -> list[dict]:
    """Sum the open-data rows by one of their keys (None: all of them together); the
    diversion rate from the sums."""
    totals: dict = {}
    for row in rows:
        group = row[key] if key else ""
        total = totals.setdefault(
            group,
            {
                "key": group,
                "items": 0,
                "weight_kg": Decimal(0),
                "reused_weight_kg": Decimal(0),
                "co2e_avoided_kg": Decimal(0),
                "replacement_value_eur": Decimal(0),
            },
        )
        total["items"] += row["items"]
        total["weight_kg"] += row["weight_kg"]
        total["co2e_avoided_kg"] += row["co2e_avoided_kg"]
        total["replacement_value_eur"] += row["replacement_value_eur"]
        if row["outcome"] in REUSE_OUTCOMES:
            total["reused_weight_kg"] += row["weight_kg"]
    result = list(totals.values())
    for total in result:
        weight = total["weight_kg"]
        total["diversion_percent"] = (
            float(total["reused_weight_kg"] / weight * 100) if weight else None
        )
    return sorted(result, key=lambda r: r["key"])
