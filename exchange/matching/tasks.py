from celery import shared_task

from exchange.common.tasks import RELIABLE
from exchange.matching.services.engine import match_lot, match_wanted, matches_rematch_all
from exchange.matching.services.notices import matches_digest_send


@shared_task(name="matching.match_lot", **RELIABLE)
def match_lot_task(lot_id: int) -> int:
    return len(match_lot(lot_id=lot_id))


@shared_task(name="matching.match_wanted", **RELIABLE)
def match_wanted_task(wanted_id: int) -> int:
    return len(match_wanted(wanted_id=wanted_id))


@shared_task(name="matching.matches_rematch_all", **RELIABLE)
def matches_rematch_all_task() -> dict:
    return matches_rematch_all()


@shared_task(name="matching.matches_digest_send", **RELIABLE)
def matches_digest_send_task() -> int:
    return matches_digest_send()
