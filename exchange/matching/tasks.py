import datetime

from celery import group, shared_task

from exchange.common.tasks import RELIABLE, TRANSIENT_RETRY
from exchange.matching.services.engine import (
    RematchPlan,
    match_lot,
    match_wanted,
    matches_lots_repair,
    matches_rematch,
    matches_rematch_plan,
)
from exchange.matching.services.notices import matches_digest_send
from exchange.matching.services.repair import matches_pending_sweep


@shared_task(name="matching.match_lot", **RELIABLE)
def match_lot_task(lot_id: int) -> int:
    return len(match_lot(lot_id=lot_id))


@shared_task(name="matching.match_wanted", **RELIABLE)
def match_wanted_task(wanted_id: int) -> int:
    return len(match_wanted(wanted_id=wanted_id))


@shared_task(name="matching.matches_rematch_all", **RELIABLE)
def matches_rematch_all_task(full: bool = False) -> dict:
    """The nightly repair: plan it here, then spread its chunks over the workers (a
    group: more workers, a shorter night). Returns the plan's summary."""
    plan = matches_rematch_plan(full=full)
    matches_rematch_dispatch(plan)
    return {**plan.summary, "chunks": len(plan.request_chunks) + len(plan.lot_chunks)}


def matches_rematch_dispatch(plan: RematchPlan) -> None:
    """Send each chunk of a plan as a job of its own (all at once: a chunk of lots
    matches them against the requests not matched at the plan's moment, so the order
    does not matter)."""
    now = plan.now.isoformat()
    jobs = [matches_rematch_task.s(chunk, now) for chunk in plan.request_chunks]
    jobs += [matches_lots_repair_task.s(chunk, now) for chunk in plan.lot_chunks]
    if jobs:
        group(jobs).apply_async()


@shared_task(name="matching.matches_rematch", **RELIABLE)
def matches_rematch_task(wanted_ids: list[int], now: str) -> int:
    return matches_rematch(wanted_ids=wanted_ids, now=datetime.datetime.fromisoformat(now))


@shared_task(name="matching.matches_lots_repair", **RELIABLE)
def matches_lots_repair_task(lot_ids: list[int], now: str) -> int:
    moment = datetime.datetime.fromisoformat(now)
    return matches_lots_repair(lot_ids=lot_ids, now=moment, matched_before=moment)


@shared_task(name="matching.matches_digest_send", **RELIABLE)
def matches_digest_send_task() -> int:
    return matches_digest_send()


@shared_task(name="matching.matches_pending_sweep", **TRANSIENT_RETRY)
def matches_pending_sweep_task() -> dict:
    return matches_pending_sweep()
