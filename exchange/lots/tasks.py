from celery import shared_task

from exchange.common.tasks import RELIABLE, TRANSIENT_RETRY
from exchange.lots.services.imports import lot_import_files_sweep
from exchange.lots.services.lots import lots_advance
from exchange.lots.services.photos import lot_photo_process, lot_photos_sweep


@shared_task(name="lots.lot_photo_process", **RELIABLE)
def lot_photo_process_task(photo_id: int) -> bool:
    return lot_photo_process(photo_id=photo_id)


@shared_task(name="lots.lots_advance", **RELIABLE)
def lots_advance_task() -> dict:
    return lots_advance()


@shared_task(name="lots.lot_photos_sweep", **TRANSIENT_RETRY)
def lot_photos_sweep_task() -> int:
    return lot_photos_sweep()


@shared_task(name="lots.lot_import_files_sweep", **TRANSIENT_RETRY)
def lot_import_files_sweep_task() -> int:
    return lot_import_files_sweep()
