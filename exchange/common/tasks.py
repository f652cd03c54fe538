"""How every background job meets trouble: two policies, one definition each, that
every task names (``@shared_task(name=…, **RELIABLE)``).

Every task is idempotent, so running it again is always safe:

- ``TRANSIENT_RETRY``: retried with exponential backoff when the database or the
  network fails for a moment (a lost connection, a deadlock, a refused SMTP session);
- ``RELIABLE``: the same, and acknowledged only once done, and given back to the queue
  if the worker dies mid-way: for a job whose loss would lose data (an impact record,
  a notice, a match, a photo).
"""

from django.db import OperationalError

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
