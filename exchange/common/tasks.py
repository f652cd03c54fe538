"""How every background job is sent and meets trouble: ``task_send`` sends it after
commit whatever the broker's state, and two policies, one definition each, that every
task names (``@shared_task(name=…, **RELIABLE)``).

Every task is idempotent, so running it again is always safe:

- ``TRANSIENT_RETRY``: retried with exponential backoff when the database or the
  network fails for a moment (a lost connection, a deadlock, a refused SMTP session);
- ``RELIABLE``: the same, and acknowledged only once done, and given back to the queue
  if the worker dies mid-way: for a job whose loss would lose data (an impact record,
  a notice, a match, a photo).
"""

import datetime
import logging
import time
from functools import partial

from celery import shared_task
from django.conf import settings
from django.db import OperationalError, transaction
from django.utils import timezone

# Trouble that passes: the database (connection lost, deadlock, serialisation) and the
# network or the disk (SMTP, storage, the broker), all of which raise OSError.
TRANSIENT_ERRORS = (OperationalError, OSError)

TRANSIENT_RETRY = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": True,  # 1 s, 2 s, 4 s… with jitter, at most 10 minutes apart
    "retry_kwargs": {"max_retries": 10},
}

RELIABLE = {
    **TRANSIENT_RETRY,
    "acks_late": True,
    "reject_on_worker_lost": True,
}


# --- Sending a task ----------------------------------------------------------------

logger = logging.getLogger(__name__)

# After a send failed, sends are skipped for this long: a write does not wait for a
# broker that was just found down (each try costs up to the connection timeout).
BROKER_DOWN_PAUSE = 15.0
_broker_down_until = 0.0


def task_send(task, *args) -> None:
    """Send ``task(*args)`` once the current transaction commits (at once outside one).

    The one way the platform sends a task. A write's answer never depends on the broker:
    a send that fails is logged and given up, the write stands and answers as usual,
    and the repair sweep of the task's kind (CELERY_BEAT_SCHEDULE in settings) does the
    work once the broker is back. Tasks are idempotent, so a job both sent and swept
    runs harmlessly twice."""
    transaction.on_commit(partial(_send, task, args))


def _send(task, args: tuple) -> None:
    global _broker_down_until
    if time.monotonic() < _broker_down_until:
        logger.warning("broker down: %s%r not sent; its repair sweep will run it", task.name, args)
        return
    try:
        task.delay(*args)
    except Exception:
        _broker_down_until = time.monotonic() + BROKER_DOWN_PAUSE
        logger.exception("could not send %s%r; its repair sweep will run it", task.name, args)


def broker_pause_reset() -> None:
    """Try the broker again at the next send (after the broker's settings changed)."""
    global _broker_down_until
    _broker_down_until = 0.0


# A sweep takes at most this many items a run; the next run takes the rest.
REPAIR_BATCH = 500


def repair_cutoff(now=None):
    """Work older than this that is still not done was lost (its task never sent, or
    lost): the repair sweeps take it up. Younger work may still be in the queue."""
    now = now or timezone.now()
    return now - datetime.timedelta(seconds=settings.EXCHANGE_REPAIR_AFTER_SECONDS)


@shared_task(name="common.idempotent_requests_sweep", **TRANSIENT_RETRY)
def idempotent_requests_sweep_task() -> int:
    from exchange.common.services import idempotent_requests_sweep

    return idempotent_requests_sweep()
