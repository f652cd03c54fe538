from django.http import HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView, RetrieveAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from api.mixins import AnonymousViewMixin, ScopedViewMixin
from exchange.categories.models import Category
from exchange.common.errors import ApplicationError
from exchange.common.storage import private_file_response
from exchange.impact.errors import ImpactError
from exchange.impact.models import ImpactRecord, Outcome, ReportJob
from exchange.impact.presenters.reports import REPORT_LANGUAGES, report_language
from exchange.impact.renderers import CSV_SEPARATORS, RENDERERS, report_filename
from exchange.impact.selectors.open_data import open_data
from exchange.impact.selectors.reports import report_job_list
from exchange.impact.selectors.statistics import (
    FILTERS,
    FIRST_YEAR,
    LAST_YEAR,
    StatsFilter,
    stats_query,
    stats_scope,
    stats_summary,
    stats_timeseries,
)
from exchange.impact.services.reports import report_annual
from exchange.organisations.models import Organisation, OrganisationKind, Region


class StatsQuerySerializer(serializers.Serializer):
    year = serializers.IntegerField(required=False, min_value=FIRST_YEAR, max_value=LAST_YEAR)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    donor = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all(), required=False)
    recipient = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), required=False
    )
    organisation_kind = serializers.ChoiceField(choices=OrganisationKind.choices, required=False)
    category = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Category.objects.all(),
        required=False,
        help_text="Category code; its whole subtree counts.",
    )
    region = serializers.ChoiceField(choices=Region.choices, required=False)
    outcome = serializers.ChoiceField(choices=Outcome.choices, required=False)
    interval = serializers.ChoiceField(
        choices=[("month", "month"), ("quarter", "quarter"), ("year", "year")], required=False
    )


def parse_filters(request, *, allowed=FILTERS) -> tuple[StatsFilter, str]:
    unknown = sorted(set(request.query_params) - set(allowed))
    if unknown:
        raise ApplicationError(
            code=ImpactError.UNKNOWN_FILTER,
            field=unknown[0],
            message=_("Unknown filter: %(names)s. Known: %(known)s.")
            % {"names": ", ".join(unknown), "known": ", ".join(allowed)},
        )
    serializer = StatsQuerySerializer(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    values = dict(serializer.validated_data)
    interval = values.pop("interval", "month")
    return StatsFilter(**values), interval


STATS_PARAMETERS = [
    OpenApiParameter("year", int),
    OpenApiParameter("date_from", OpenApiTypes.DATE),
    OpenApiParameter("date_to", OpenApiTypes.DATE),
    OpenApiParameter("donor", int),
    OpenApiParameter("recipient", int),
    OpenApiParameter("organisation_kind", str, enum=OrganisationKind.values),
    OpenApiParameter("category", str, description="Category code (subtree)"),
    OpenApiParameter("region", str, enum=Region.values),
    OpenApiParameter("outcome", str, enum=Outcome.values),
]


class StatsView(ScopedViewMixin, GenericAPIView):
    queryset_for_schema = ImpactRecord.objects.none()

    def scoped_queryset(self):
        return stats_scope(user=self.request.user, actor=self.actor)

    def filtered(self, filters: StatsFilter):
        return stats_query(user=self.request.user, actor=self.actor, filters=filters)


class StatsSummaryView(StatsView):
    """Totals (items, kg, CO2e avoided, EUR, diversion rate) and breakdowns by outcome,
    category, region, donor, recipient, kind of recipient and month. Members see their
    own organisation (donor and recipient); analysts and moderators see all."""

    @extend_schema(parameters=STATS_PARAMETERS, responses=OpenApiTypes.OBJECT)
    def get(self, request):
        filters, _interval = parse_filters(
            request, allowed=tuple(f for f in FILTERS if f != "interval")
        )
        return Response(stats_summary(self.filtered(filters)))


class StatsTimeseriesView(StatsView):
    @extend_schema(
        parameters=[
            *STATS_PARAMETERS,
            OpenApiParameter("interval", str, enum=["month", "quarter", "year"]),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        filters, interval = parse_filters(request)
        return Response(
            {
                "interval": interval,
                "series": stats_timeseries(self.filtered(filters), interval=interval),
            }
        )


class ReportJobOutputSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ReportJob
        fields = [
            "id",
            "year",
            "file_format",
            "language",
            "status",
            "created_at",
            "finished_at",
            "url",
            "download_url",
        ]

    def get_url(self, job) -> str:
        return reverse("api:report-job", kwargs={"pk": job.pk})

    def get_download_url(self, job) -> str | None:
        if job.status != ReportJob.Status.READY:
            return None
        return reverse("api:report-download", kwargs={"pk": job.pk})


class AnnualReportView(StatsView):
    """The annual report in your language: ``?format=csv|xlsx|pdf``. Members get their
    own organisation's (as donor and recipient), analysts and moderators every
    organisation's, or one's with ``?organisation=<id>`` (another organisation than a
    member's own: 404). Figures in the files are rounded by one rule (whole kg and
    euros, rates to a tenth of a percent); the CSV is UTF-8 with a byte-order mark,
    ``;`` and decimal commas for NL, FR and DE readers, ``,`` for EN
    (``?separator=semicolon|comma`` chooses). A year with more records than
    ``EXCHANGE_REPORT_SYNC_LIMIT`` is built by a Celery task: 202 with the job (and
    ``Location``); poll it and download the file when it is ready."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "factors", str, description="A factor version: recompute the figures with it"
            ),
            OpenApiParameter("format", str, enum=list(RENDERERS)),
            OpenApiParameter("language", str, enum=list(REPORT_LANGUAGES)),
            OpenApiParameter("organisation", int, description="One organisation's report"),
            OpenApiParameter("separator", str, enum=list(CSV_SEPARATORS)),
        ],
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            (200, "text/csv"): OpenApiTypes.BINARY,
            (
                200,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ): OpenApiTypes.BINARY,
            202: ReportJobOutputSerializer,
        },
    )
    def get(self, request, year: int):
        params = request.query_params
        report = report_annual(
            user=request.user,
            actor=self.actor,
            year=year,
            file_format=params.get("format", "pdf"),
            language=params.get("language") or report_language(translation.get_language()),
            factors=params.get("factors") or None,
            csv_separator=params.get("separator") or None,
            organisation=params.get("organisation") or None,
        )
        if isinstance(report, ReportJob):
            body = ReportJobOutputSerializer(report, context={"request": request}).data
            return Response(body, status=202, headers={"Location": body["url"]})
        response = HttpResponse(report.content, content_type=report.content_type)
        response["Content-Disposition"] = f'attachment; filename="{report.filename}"'
        return response


class ReportJobView(ScopedViewMixin, RetrieveAPIView):
    """A report being built for a large year: its status, and the link once ready. Only
    the person who asked for it sees it (404 for anybody else)."""

    queryset_for_schema = ReportJob.objects.none()
    serializer_class = ReportJobOutputSerializer

    def scoped_queryset(self):
        return report_job_list(user=self.request.user)


class ReportJobDownloadView(ScopedViewMixin, GenericAPIView):
    """The file of a ready report job (404 while it is being built, and for anybody but
    the person who asked for it)."""

    queryset_for_schema = ReportJob.objects.none()

    def scoped_queryset(self):
        return report_job_list(user=self.request.user, ready=True)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, pk: int):
        job = self.get_object()
        return private_file_response(
            job.file,
            attachment=True,
            filename=report_filename(
                year=job.year, language=job.language, file_format=job.file_format
            ),
            content_type=RENDERERS[job.file_format][1],
        )


class OpenDataView(AnonymousViewMixin, APIView):
    """Anonymous open data: totals by year, region, category and outcome; no
    organisation names. Cacheable."""

    @extend_schema(parameters=[OpenApiParameter("year", int)], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        unknown = sorted(set(request.query_params) - {"year"})
        if unknown:
            raise ApplicationError(
                code=ImpactError.UNKNOWN_FILTER,
                field=unknown[0],
                message=_("Unknown filter: %(names)s. Known: %(known)s.")
                % {"names": ", ".join(unknown), "known": "year"},
            )
        serializer = StatsQuerySerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        response = Response(
            {"licence": "CC0-1.0", "rows": open_data(year=serializer.validated_data.get("year"))}
        )
        patch_cache_control(response, public=True, max_age=3600)
        return response
