from celery import shared_task

from exchange.common.tasks import RELIABLE
from exchange.reuse.services.checks import reuse_checks_close_due


@shared_task(name="reuse.reuse_checks_close_due", **RELIABLE)
def reuse_checks_close_due_task() -> int:
    return reuse_checks_close_due()
