"""The annual report's figures, and the report jobs a reader may follow and download."""

from django.db.models import Q, QuerySet

from exchange.categories.models import CategoryFactor, FactorVersion
from exchange.impact.models import ReportJob
from exchange.impact.selectors.records import impact_reads_all
from exchange.impact.selectors.statistics import (
    StatsFilter,
    StatsQuery,
    stats_factor_versions,
    stats_record_count,
    stats_summary,
    stats_summary_recomputed,
)


def annual_report_figures(
    *, organisation_id: int | None, year: int, factor_version: FactorVersion | None = None
) -> dict:
    """The figures of ``year`` within what the reader may see (every organisation's
    records, or ``organisation_id``'s as donor and recipient): totals, every breakdown,
    the factor versions and their factors (the method annex), and how many records
    they sum. With ``factor_version``, recomputed as if every record had used it."""
    query = StatsQuery(organisation_id=organisation_id, filters=StatsFilter(year=year))
    if factor_version is None:
        summary = stats_summary(query)
        versions = list(
            FactorVersion.objects.filter(pk__in=stats_factor_versions(query)).order_by("version")
        )
    else:
        summary = stats_summary_recomputed(query, version=factor_version)
        versions = [factor_version]
    return {
        "year": year,
        "totals": summary["totals"],
        "breakdowns": summary["breakdowns"],
        "versions": versions,
        "factors": list(
            CategoryFactor.objects.filter(version__in=versions)
            .select_related("category", "version")
            .order_by("version__version", "category__path")
        ),
        "records": stats_record_count(query),
    }


def report_job_list(*, user, ready: bool = False) -> QuerySet[ReportJob]:
    """The report jobs ``user`` asked for and may still read (only those whose file is
    ready, with ``ready``): every organisation's figures while they are an analyst or
    moderator, an organisation's while they are one of its members."""
    if not getattr(user, "is_authenticated", False):
        return ReportJob.objects.none()
    jobs = ReportJob.objects.filter(requested_by=user)
    if ready:
        jobs = jobs.filter(status=ReportJob.Status.READY)
    readable = Q(organisation__memberships__user=user)
    if impact_reads_all(user):
        readable |= Q(organisation__isnull=True)
    return jobs.filter(readable).distinct()
