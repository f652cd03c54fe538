"""The annual report's figures, and the report jobs a reader may follow and download."""

from django.db.models import Q, QuerySet, Sum

from exchange.categories.models import CategoryFactor, FactorVersion
from exchange.impact.models import REUSE_OUTCOMES, ReportJob
from exchange.impact.selectors.records import impact_reads_all
from exchange.impact.selectors.statistics import (
    BREAKDOWNS,
    StatsFilter,
    StatsQuery,
    stats_factor_versions,
    stats_record_count,
    stats_summary,
    stats_summary_recomputed,
)


def annual_report_figures(
    *,
    organisation_id: int | None,
    year: int,
    factor_version: FactorVersion | None = None,
    breakdowns=BREAKDOWNS,
) -> dict:
    """The figures of ``year`` within what the reader may see (every organisation's
    records, or ``organisation_id``'s as donor and recipient): totals, the
    ``breakdowns``, the factor versions and their factors (the method annex), and how
    many records they sum; for an organisation, the items it gave to reuse and the items
    it received. With ``factor_version``, recomputed as if every record had used it."""
    query = StatsQuery(organisation_id=organisation_id, filters=StatsFilter(year=year))
    if factor_version is None:
        summary = stats_summary(query, breakdowns=breakdowns)
        versions = list(
            FactorVersion.objects.filter(pk__in=stats_factor_versions(query)).order_by("version")
        )
    else:
        summary = stats_summary_recomputed(query, version=factor_version, breakdowns=breakdowns)
        versions = [factor_version]
    sides = {}
    if organisation_id is not None:
        sides = query.records().aggregate(
            given_items=Sum(
                "quantity", filter=Q(donor_id=organisation_id, outcome__in=REUSE_OUTCOMES)
            ),
            received_items=Sum("quantity", filter=Q(recipient_id=organisation_id)),
        )
        sides = {key: value or 0 for key, value in sides.items()}
    return {
        **sides,
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


def annual_report_totals(
    *, organisation_id: int | None, year: int, factor_version: FactorVersion | None = None
) -> dict | None:
    """The totals of ``year`` alone (the report's year before, to compare with), as
    ``annual_report_figures`` counts them; None for a year without records."""
    query = StatsQuery(organisation_id=organisation_id, filters=StatsFilter(year=year))
    if factor_version is None:
        totals = stats_summary(query, breakdowns=())["totals"]
    else:
        totals = stats_summary_recomputed(query, version=factor_version, breakdowns=())["totals"]
    return totals if totals["items"] or totals["weight_kg"] else None


def report_job_list(*, user, ready: bool = False) -> QuerySet[ReportJob]:
    """The report jobs ``user`` asked for and may still read (only those whose file is
    ready, with ``ready``): every organisation's figures while they are an analyst or
    moderator, an organisation's while they are one of its members."""
    if not getattr(user, "is_authenticated", False):
        return ReportJob.objects.none()
    jobs = ReportJob.objects.filter(requested_by=user)
    if ready:
        jobs = jobs.filter(status=ReportJob.Status.READY)
    if impact_reads_all(user):
        return jobs  # every organisation's figures, or one's
    return jobs.filter(organisation__memberships__user=user).distinct()
