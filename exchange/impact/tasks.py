from celery import shared_task

from exchange.common.tasks import RELIABLE, TRANSIENT_RETRY
from exchange.impact.services.records import (
    impact_record_for_claim,
    impact_record_for_lot_close,
    impact_records_sweep,
)
from exchange.impact.services.reports import report_job_run, report_jobs_sweep


@shared_task(name="impact.impact_record_for_claim", **RELIABLE)
def impact_record_for_claim_task(claim_id: int) -> int | None:
    record = impact_record_for_claim(claim_id=claim_id)
    return record.pk if record else None


@shared_task(name="impact.impact_record_for_lot_close", **RELIABLE)
def impact_record_for_lot_close_task(lot_id: int) -> int | None:
    record = impact_record_for_lot_close(lot_id=lot_id)
    return record.pk if record else None


@shared_task(name="impact.impact_records_sweep", **RELIABLE)
def impact_records_sweep_task() -> int:
    return impact_records_sweep()


@shared_task(name="impact.report_job_run", **RELIABLE)
def report_job_run_task(job_id: int) -> bool:
    return report_job_run(job_id=job_id)


@shared_task(name="impact.report_jobs_sweep", **TRANSIENT_RETRY)
def report_jobs_sweep_task() -> int:
    return report_jobs_sweep()
