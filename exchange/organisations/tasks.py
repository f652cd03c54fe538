from celery import shared_task

from exchange.organisations.services import organisation_verified_notify


@shared_task(
    name="organisations.organisation_verified_notify",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_kwargs={"max_retries": 8},
)
def organisation_verified_notify_task(organisation_id: int) -> int:
    return organisation_verified_notify(organisation_id=organisation_id)
