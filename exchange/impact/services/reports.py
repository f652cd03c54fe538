"""Annual report downloads, for the web pages and the API alike.

``report_annual`` decides everything about a download: it checks the request (year,
format, language, factor version: 400; who asks: 403), takes the reader's scope (every
organisation for analysts and moderators, else their own as donor and recipient), and
either renders the file at once or, for a year with more records than
``EXCHANGE_REPORT_SYNC_LIMIT``, queues a ``ReportJob`` that a Celery task builds. Job
files are private: stored under a name nobody can guess and served only through views
that check who asks (``exchange.impact.selectors.reports.report_job_list``).
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.categories.models import FactorVersion
from exchange.common.errors import ApplicationError
from exchange.common.storage import unguessable_name
from exchange.common.tasks import TRANSIENT_ERRORS
from exchange.impact.errors import ImpactError
from exchange.impact.models import ReportJob
from exchange.impact.presenters.reports import REPORT_LANGUAGES, annual_report_data
from exchange.impact.renderers import RENDERERS, report_filename
from exchange.impact.selectors.statistics import (
    StatsFilter,
    stats_query,
    stats_record_count,
    year_check,
)
from exchange.organisations.models import Membership


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


def report_annual(
    *,
    user,
    actor: Membership | None,
    year: int,
    file_format: str,
    language: str,
    factors: str | None = None,
) -> ReportFile | ReportJob:
    """The annual report of ``year`` as ``file_format`` (csv, xlsx, pdf) in ``language``
    (nl, fr, de, en), within what the reader may see; with ``factors`` (a factor
    version), the figures recomputed as if every record had used it.

    Refuses before anything is read or written: 400 ``year_out_of_range``,
    ``invalid_format``, ``invalid_language``, ``unknown_factor_version``; 403 for a
    reader without an organisation who is no analyst. Returns the rendered file, or,
    for a year with more records than ``EXCHANGE_REPORT_SYNC_LIMIT`` in the reader's
    scope, the queued job that will build it."""
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
    version = _factor_version(factors)
    query = stats_query(user=user, actor=actor, filters=StatsFilter(year=year))
    if stats_record_count(query) > settings.EXCHANGE_REPORT_SYNC_LIMIT:
        return report_job_create(
            user=user,
            organisation_id=query.organisation_id,
            year=year,
            file_format=file_format,
            language=language,
            factor_version=version,
        )
    data = annual_report_data(
        organisation_id=query.organisation_id,
        year=year,
        language=language,
        factor_version=version,
    )
    render, content_type = RENDERERS[file_format]
    return ReportFile(
        content=render(data),
        content_type=content_type,
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
    )
    transaction.on_commit(lambda: report_job_run_task.delay(job.pk))
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
        render, _content_type = RENDERERS[job.file_format]
        content = render(data)
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
