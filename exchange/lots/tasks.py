from celery import shared_task

from exchange.lots.services.lots import lots_advance
from exchange.lots.services.photos import lot_photo_process


@shared_task(
    name="lots.lot_photo_process",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_kwargs={"max_retries": 5},
)
def lot_photo_process_task(photo_id: int) -> bool:
    return lot_photo_process(photo_id=photo_id)


@shared_task(name="lots.lots_advance", acks_late=True, reject_on_worker_lost=True)
def lots_advance_task() -> dict:
    return lots_advance()
