from celery import shared_task
from django.db import OperationalError

from exchange.matching.services.engine import match_lot, match_wanted, matches_rematch_all
from exchange.matching.services.notices import matches_digest_send

RETRY = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError, OSError),
    "retry_backoff": True,
    "retry_kwargs": {"max_retries": 5},
}


@shared_task(name="matching.match_lot", **RETRY)
def match_lot_task(lot_id: int) -> int:
    return len(match_lot(lot_id=lot_id))


@shared_task(name="matching.match_wanted", **RETRY)
def match_wanted_task(wanted_id: int) -> int:
    return len(match_wanted(wanted_id=wanted_id))


@shared_task(name="matching.matches_rematch_all", **RETRY)
def matches_rematch_all_task() -> dict:
    return matches_rematch_all()


@shared_task(name="matching.matches_digest_send", **RETRY)
def matches_digest_send_task() -> int:
    return matches_digest_send()
