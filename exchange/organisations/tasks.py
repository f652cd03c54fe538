from celery import shared_task

from exchange.common.tasks import RELIABLE
from exchange.organisations.services import organisation_verified_notify


@shared_task(name="organisations.organisation_verified_notify", **RELIABLE)
def organisation_verified_notify_task(organisation_id: int) -> int:
    return organisation_verified_notify(organisation_id=organisation_id)
