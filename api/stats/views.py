from django.conf import settings
from django.http import FileResponse, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from api.mixins import AnonymousViewMixin, ScopedViewMixin
from exchange.categories.models import Category, FactorVersion
from exchange.common.errors import ApplicationError
from exchange.impact.models import ImpactRecord, Outcome, ReportJob
from exchange.impact.reports import RENDERERS, annual_report_data, report_job_create
from exchange.impact.selectors import report_job_list
from exchange.impact.stats import (
    FILTERS,
    FIRST_YEAR,
    LAST_YEAR,
    StatsFilter,
    open_data,
    stats_query,
    stats_record_count,
    stats_scope,
    stats_summary,
    stats_timeseries,
)
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
            code="unknown_filter",
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


class AnnualReportView(StatsView):
    """The annual report in your language: ``?format=csv|xlsx|pdf``."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "factors", str, description="A factor version: recompute the figures with it"
            ),
            OpenApiParameter("format", str, enum=list(RENDERERS)),
            OpenApiParameter("language", str, enum=["nl", "fr", "de", "en"]),
        ],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
    )
    def get(self, request, year: int):
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise ApplicationError(
                code="year_out_of_range",
                field="year",
                message=_("Give a year from %(first)s to %(last)s.")
                % {"first": FIRST_YEAR, "last": LAST_YEAR},
            )
        file_format = request.query_params.get("format", "pdf")
        if file_format not in RENDERERS:
            raise ApplicationError(
                code="invalid_format", field="format", message=_("Choose csv, xlsx or pdf.")
            )
        language = request.query_params.get("language") or translation.get_language() or "en"
        language = language[:2] if language[:2] in ("nl", "fr", "de", "en") else "en"
        version = None
        if request.query_params.get("factors"):
            version = FactorVersion.objects.filter(version=request.query_params["factors"]).first()
            if version is None:
                raise ApplicationError(
                    code="unknown_factor_version",
                    field="factors",
                    message=_("No factor version %(version)s.")
                    % {"version": request.query_params["factors"]},
                )
        query = self.filtered(StatsFilter(year=year))
        if stats_record_count(query) > settings.EXCHANGE_REPORT_SYNC_LIMIT:
            # A large year: a Celery task builds the file; poll the job for the link.
            job = report_job_create(
                user=request.user,
                organisation_id=query.organisation_id,
                year=year,
                file_format=file_format,
                language=language,
                factor_version=version,
            )
            body = ReportJobOutputSerializer(job, context={"request": request}).data
            return Response(body, status=202, headers={"Location": body["url"]})
        data = annual_report_data(
            organisation_id=query.organisation_id,
            year=year,
            language=language,
            factor_version=version,
        )
        render, content_type = RENDERERS[file_format]
        response = HttpResponse(render(data), content_type=content_type)
        response["Content-Disposition"] = (
            f'attachment; filename="reuse-exchange-{year}-{language}.{file_format}"'
        )
        return response


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
        return reverse("api:report-job", args=[job.pk])

    def get_download_url(self, job) -> str | None:
        return reverse("api:report-download", args=[job.pk]) if job.file else None


class ReportJobView(ScopedViewMixin, GenericAPIView):
    """A report being built for a large year: its status, and the link once ready."""

    queryset_for_schema = ReportJob.objects.none()
    serializer_class = ReportJobOutputSerializer

    def scoped_queryset(self):
        return report_job_list(user=self.request.user)

    @extend_schema(responses=ReportJobOutputSerializer)
    def get(self, request, pk: int):
        return Response(ReportJobOutputSerializer(self.get_object()).data)


class ReportJobDownloadView(ScopedViewMixin, GenericAPIView):
    """The file of a ready report (404 while it is being built)."""

    queryset_for_schema = ReportJob.objects.none()

    def scoped_queryset(self):
        return report_job_list(user=self.request.user, ready=True)

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request, pk: int):
        job = self.get_object()
        response = FileResponse(job.file.open("rb"), content_type=RENDERERS[job.file_format][1])
        response["Content-Disposition"] = (
            f'attachment; filename="reuse-exchange-{job.year}-{job.language}.{job.file_format}"'
        )
        return response


class OpenDataView(AnonymousViewMixin, APIView):
    """Anonymous open data: totals by year, region, category and outcome; no
    organisation names. Cacheable."""

    @extend_schema(parameters=[OpenApiParameter("year", int)], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        unknown = sorted(set(request.query_params) - {"year"})
        if unknown:
            raise ApplicationError(
                code="unknown_filter",
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
