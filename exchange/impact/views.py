"""The statistics pages: the dashboard of what a reader may count, the annual report
downloads (and the page of a report being built), and the anonymous open-data page.
They parse what people ask, call one selector, service or presenter, and render."""

import datetime
import json
from dataclasses import replace

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from exchange.common.errors import ApplicationError
from exchange.common.forms import add_application_error
from exchange.common.live import (
    live_late_text,
    live_pace,
    live_pace_kept,
    live_part_asked,
    live_still_running,
)
from exchange.common.storage import private_file_response
from exchange.impact.forms import OpenDataYearForm, StatsFilterForm
from exchange.impact.models import ImpactRecord, ReportJob
from exchange.impact.presenters.dashboard import dashboard_figures, period_label
from exchange.impact.presenters.open_data import (
    current_factors,
    open_data_catalogue,
    open_data_figures,
    open_data_rows,
)
from exchange.impact.presenters.reports import report_language
from exchange.impact.renderers import RENDERERS, open_data_csv, report_filename
from exchange.impact.sections import dashboard_sections
from exchange.impact.selectors.open_data import open_data_years
from exchange.impact.selectors.records import impact_reads_all
from exchange.impact.selectors.reports import report_job_list
from exchange.impact.selectors.statistics import (
    FIRST_YEAR,
    Selection,
    stats_query,
    stats_years,
)
from exchange.impact.services.reports import report_annual
from exchange.organisations.web import web_actor

# --- The dashboard ---------------------------------------------------------------


@login_required
@require_GET
def dashboard(request):
    actor, reads_all = web_actor(request), impact_reads_all(request.user)
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
    language = report_language(translation.get_language())
    context = {
        "form": form,
        "actor": actor,
        "reads_all": reads_all,
        "report_year": form.report_year(),
        "report_formats": [("pdf", "PDF"), ("xlsx", "Excel"), ("csv", "CSV")],
        "language_name": translation.get_language_info(language)["name_local"],
        "period_label": period_label(*form.period()),
        "previous_year": filters.year - 1 if filters.year else None,
        # an analyst looking at one organisation gets its report too
        "report_organisation": (filters.donor or filters.recipient) if reads_all else None,
    }
    previous = None
    if filters.year and filters.year > FIRST_YEAR and not isinstance(selection, QuerySet):
        previous = stats_query(
            user=request.user, actor=actor, filters=replace(filters, year=filters.year - 1)
        )
    context.update(
        dashboard_figures(
            selection,
            period=form.period(),
            category=filters.category,
            previous=previous,
            own_organisation=None if reads_all else actor.organisation.name,
        )
    )
    context["sections"] = dashboard_sections(
        organisation_id=None if reads_all else actor.organisation_id,
        year=filters.year,
        category=filters.category,
    )
    return render(request, "impact/dashboard.html", context)


# --- The annual report -----------------------------------------------------------


@login_required
@require_GET
def annual_report(request, year: str, file_format: str):
    """The annual report of ``year`` in the reader's language, within what they may
    see (``?factors=<version>`` recomputes it with another factor version,
    ``?organisation=<id>`` gives one organisation's, ``?separator=semicolon|comma``
    chooses the CSV variant): the file at once, or, for a large year, the page of the
    job that builds it."""
    try:
        report = report_annual(
            user=request.user,
            actor=web_actor(request),
            year=int(year),
            file_format=file_format,
            language=report_language(translation.get_language()),
            factors=request.GET.get("factors") or None,
            csv_separator=request.GET.get("separator") or None,
            organisation=request.GET.get("organisation") or None,
        )
    except ApplicationError as exc:
        return render(
            request,
            "impact/report_refused.html",
            {"message": exc.message},
            status=exc.kind.http_status,
        )
    if isinstance(report, ReportJob):
        return redirect("impact:report-job", pk=report.pk)
    response = HttpResponse(report.content, content_type=report.content_type)
    response["Content-Disposition"] = f'attachment; filename="{report.filename}"'
    return response


# A report usually takes a minute or two (the page says so); its page says the wait is
# longer than usual only after five.
REPORT_USUAL_WAIT = datetime.timedelta(minutes=5)


@login_required
@require_GET
def report_job(request, pk: int):
    """A report being built: its progress, and the download link once it is ready."""
    job = get_object_or_404(report_job_list(user=request.user), pk=pk)
    building = job.status == ReportJob.Status.PENDING
    pace = live_pace(job.created_at, usual=REPORT_USUAL_WAIT)
    building_text = live_late_text() if pace.late else _("Still preparing your report…")
    if live_part_asked(request, "job"):
        if building and live_pace_kept(request, pace):
            return live_still_running()
        if building:  # the part again, at its new pace
            status_text = building_text
        elif job.status == ReportJob.Status.READY:
            status_text = _("The report is built: its download link is below.")
        else:
            status_text = _("The report could not be built.")
        context = {
            "job": job,
            "building": building,
            "pace": pace,
            "oob": True,
            "still_running": building,
            "status_text": status_text,
        }
        return render(request, "impact/_report_job_part.html", context)
    status_text = building_text if building else ""
    context = {"job": job, "building": building, "pace": pace, "status_text": status_text}
    return render(request, "impact/report_job.html", context)


@login_required
@require_GET
def report_job_download(request, pk: int):
    """The file of a ready report job, to the person who asked for it only."""
    job = get_object_or_404(report_job_list(user=request.user, ready=True), pk=pk)
    return private_file_response(
        job.file,
        attachment=True,
        filename=report_filename(year=job.year, language=job.language, file_format=job.file_format),
        content_type=RENDERERS[job.file_format][1],
    )


# --- Open data -------------------------------------------------------------------


def _public(response, *, max_age: int = 3600):
    patch_cache_control(response, public=True, max_age=max_age)
    return response


@require_GET
def open_data_csv_download(request):
    """The open data as CSV (every year; ``?year=`` for one), for machines: stable
    column names, full precision, CC0."""
    form = OpenDataYearForm(request.GET or None, years=open_data_years())
    year = form.chosen_year()
    response = HttpResponse(
        open_data_csv(open_data_rows(year=year)), content_type="text/csv; charset=utf-8"
    )
    name = f"reuse-exchange-open-data-{year}.csv" if year else "reuse-exchange-open-data.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return _public(response)


@require_GET
def open_data_dcat(request):
    """The DCAT-AP description of the open data (JSON-LD), for open-data portals."""
    urls = {
        "catalogue": request.build_absolute_uri(reverse("open_data:dcat")),
        "page": request.build_absolute_uri(reverse("open_data:page")),
        "csv": request.build_absolute_uri(reverse("open_data:csv")),
        "json": request.build_absolute_uri(reverse("api:open-data")),
    }
    body = open_data_catalogue(urls=urls, contact=settings.EXCHANGE_OPEN_DATA_CONTACT)
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False, indent=2),
        content_type="application/ld+json; charset=utf-8",
    )
    return _public(response)


@require_GET
def open_data_page(request):
    """Totals by year, region and category for everyone: no organisation is named."""
    form = OpenDataYearForm(request.GET or None, years=open_data_years())
    year = form.chosen_year()
    version, factors = current_factors()
    context = {
        "form": form,
        "year": year,
        **open_data_figures(year=year),
        "version": version,
        "factors": factors,
    }
    return render(request, "impact/open_data.html", context)
