"""Annual report downloads, for the web pages and the API alike.

``report_annual`` decides everything about a download: it checks the request (year,
format, language, factor version: 400; who asks: 403), takes the reader's scope (every
organisation for analysts and moderators, else their own as donor and recipient), and
either renders the file at once or, for a year with more records than
``EXCHANGE_REPORT_SYNC_LIMIT``, queues a ``ReportJob`` that a Celery task builds. Job
files are private: stored under a name nobody can guess and served only through views
that check who asks (``exchange.impact.selectors.reports.report_job_list``).
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.categories.models import FactorVersion
from exchange.common.errors import ApplicationError, ErrorKind
from exchange.common.storage import unguessable_name
from exchange.common.tasks import REPAIR_BATCH, TRANSIENT_ERRORS, repair_cutoff, task_send
from exchange.impact.errors import ImpactError
from exchange.impact.models import ReportJob
from exchange.impact.presenters.reports import REPORT_LANGUAGES, annual_report_data
from exchange.impact.renderers import (
    CSV_SEPARATORS,
    RENDERERS,
    report_filename,
    report_render,
)
from exchange.impact.selectors.records import impact_reads_all
from exchange.impact.selectors.statistics import (
    StatsFilter,
    StatsQuery,
    stats_query,
    stats_record_count,
    year_check,
)
from exchange.organisations.models import Membership, Organisation

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportFile:
    """A report rendered at once: the file's bytes, type and name."""

    content: bytes
    content_type: str
    filename: str


def _factor_version(version: str | None) -> FactorVersion | None:
    if not version:
        return None
    found = FactorVersion.objects.filter(version=version).first()
    if found is None:
        raise ApplicationError(
            code=ImpactError.UNKNOWN_FACTOR_VERSION,
            field="factors",
            message=_("No factor version %(version)s.") % {"version": version},
        )
    return found


def _report_organisation(*, user, actor: Membership | None, organisation) -> int:
    """The id of the organisation whose report ``user`` asks for: their own, or any for
    readers of every organisation; 404 otherwise."""
    try:
        organisation_id = int(organisation)
    except (TypeError, ValueError):
        organisation_id = None
    own = actor.organisation_id if actor is not None else None
    if organisation_id is not None and (
        organisation_id == own
        or (impact_reads_all(user) and Organisation.objects.filter(pk=organisation_id).exists())
    ):
        return organisation_id
    raise ApplicationError(
        code=ImpactError.UNKNOWN_ORGANISATION,
        kind=ErrorKind.NOT_FOUND,
        field="organisation",
        message=_("No such organisation."),
    )


def report_annual(
    *,
    user,
    actor: Membership | None,
    year: int,
    file_format: str,
    language: str,
    factors: str | None = None,
    csv_separator: str | None = None,
    organisation: str | int | None = None,
) -> ReportFile | ReportJob:
    """The annual report of ``year`` as ``file_format`` (csv, xlsx, pdf) in ``language``
    (nl, fr, de, en), within what the reader may see; with ``factors`` (a factor
    version), the figures recomputed as if every record had used it.

    Refuses before anything is read or written: 400 ``year_out_of_range``,
    ``invalid_format``, ``invalid_language``, ``unknown_factor_version``; 403 for a
    reader without an organisation who is no analyst. Returns the rendered file, or,
    for a year with more records than ``EXCHANGE_REPORT_SYNC_LIMIT`` in the reader's
    scope, the queued job that will build it.

    With ``organisation`` (an id), the report of that organisation as donor and
    recipient: members get their own organisation's, analysts and moderators any
    organisation's; anybody else 404, as for an organisation that does not exist."""
    year_check(year)
    if file_format not in RENDERERS:
        raise ApplicationError(
            code=ImpactError.INVALID_FORMAT,
            field="format",
            message=_("Choose csv, xlsx or pdf."),
        )
    if language not in REPORT_LANGUAGES:
        raise ApplicationError(
            code=ImpactError.INVALID_LANGUAGE,
            field="language",
            message=_("Choose nl, fr, de or en."),
        )
    if csv_separator is not None and csv_separator not in CSV_SEPARATORS:
        raise ApplicationError(
            code=ImpactError.INVALID_SEPARATOR,
            field="separator",
            message=_("Choose semicolon or comma."),
        )
    version = _factor_version(factors)
    query = stats_query(user=user, actor=actor, filters=StatsFilter(year=year))
    if organisation not in (None, ""):
        query = StatsQuery(
            organisation_id=_report_organisation(user=user, actor=actor, organisation=organisation),
            filters=query.filters,
        )
    if stats_record_count(query) > settings.EXCHANGE_REPORT_SYNC_LIMIT:
        return report_job_create(
            user=user,
            organisation_id=query.organisation_id,
            year=year,
            file_format=file_format,
            language=language,
            factor_version=version,
            csv_separator=csv_separator or "",
        )
    data = annual_report_data(
        organisation_id=query.organisation_id,
        year=year,
        language=language,
        factor_version=version,
    )
    return ReportFile(
        content=report_render(data, file_format=file_format, csv_separator=csv_separator),
        content_type=RENDERERS[file_format][1],
        filename=report_filename(year=year, language=language, file_format=file_format),
    )


def report_job_create(
    *,
    user,
    organisation_id: int | None,
    year: int,
    file_format: str,
    language: str,
    factor_version: FactorVersion | None = None,
    csv_separator: str = "",
) -> ReportJob:
    """Queue the building of a report (after commit); the task stores the file."""
    from exchange.impact.tasks import report_job_run_task

    job = ReportJob.objects.create(
        requested_by=user,
        organisation_id=organisation_id,
        year=year,
        file_format=file_format,
        language=language,
        factor_version=factor_version,
        csv_separator=csv_separator,
    )
    task_send(report_job_run_task, job.pk)
    return job


def report_job_run(*, job_id: int) -> bool:
    """Build the file of a queued report once (a ready job is left alone). The file
    gets a name nobody can guess. Trouble that passes (the database, the disk) leaves
    the job pending for the task's next try; any other fails it."""
    job = ReportJob.objects.filter(pk=job_id, status=ReportJob.Status.PENDING).first()
    if job is None:
        return False
    try:
        data = annual_report_data(
            organisation_id=job.organisation_id,
            year=job.year,
            language=job.language,
            factor_version=job.factor_version,
        )
        content = report_render(
            data, file_format=job.file_format, csv_separator=job.csv_separator or None
        )
    except TRANSIENT_ERRORS:
        raise
    except Exception:
        ReportJob.objects.filter(pk=job.pk).update(status=ReportJob.Status.FAILED)
        raise
    filename = report_filename(year=job.year, language=job.language, file_format=job.file_format)
    job.file.save(unguessable_name(filename), ContentFile(content), save=False)
    job.status = ReportJob.Status.READY
    job.finished_at = timezone.now()
    job.save(update_fields=["file", "status", "finished_at"])
    return True


def report_jobs_sweep(*, now=None) -> int:
    """The repair sweep of report jobs: each job still pending
    EXCHANGE_REPAIR_AFTER_SECONDS after it was asked for (its task never sent, or lost)
    is built now. Returns how many it built."""
    built = 0
    pending = ReportJob.objects.filter(
        status=ReportJob.Status.PENDING, created_at__lt=repair_cutoff(now)
    ).order_by("pk")
    for job_id in pending.values_list("pk", flat=True)[:REPAIR_BATCH]:
        try:
            built += report_job_run(job_id=job_id)
        except TRANSIENT_ERRORS:
            raise
        except Exception:
            logger.exception("report job %s failed", job_id)
    return built
