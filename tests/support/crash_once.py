"""A Celery app for a worker that dies in the middle of writing an impact record, once.

Start it with ``celery -A tests.support.crash_once worker --pool prefork``: the first
pool process that inserts an impact record exits at once, inside the open transaction
(as a ``kill -9`` would), and leaves a marker file so that the next attempt succeeds.
"""

import os
from pathlib import Path

from celery.signals import worker_process_init

from exchange.celery import app

__all__ = ["app"]

# The pool process dies before it publishes any result: the worker need not wait
# Celery's default 10 s for one before it declares the job lost and the message goes
# to the next process.
app.conf.worker_lost_wait = 1.0


@worker_process_init.connect
def _crash_in_the_middle_of_the_first_write(**kwargs):
    from exchange.impact.models import ImpactRecord

    marker = Path(os.environ["EXCHANGE_CRASH_MARKER"])
    manager = ImpactRecord.objects
    original_create = manager.create

    def create(**fields):
        record = original_create(**fields)  # the INSERT is sent, not yet committed
        if not marker.exists():
            marker.write_text("crashed")
            os._exit(9)
        return record

    manager.create = create
