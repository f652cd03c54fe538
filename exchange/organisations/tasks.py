from celery import shared_task

from exchange.common.tasks import RELIABLE, TRANSIENT_RETRY
from exchange.organisations.invitations import invitation_send, invitations_send_sweep
from exchange.organisations.services import (
    organisation_verified_notify,
    organisation_verified_notify_sweep,
)


@shared_task(name="organisations.organisation_verified_notify", **RELIABLE)
def organisation_verified_notify_task(organisation_id: int) -> int:
    return organisation_verified_notify(organisation_id=organisation_id)


@shared_task(name="organisations.invitation_send", **RELIABLE)
def invitation_send_task(invitation_id: int, nonce: str) -> bool:
    return invitation_send(invitation_id=invitation_id, nonce=nonce)


@shared_task(name="organisations.invitations_send_sweep", **TRANSIENT_RETRY)
def invitations_send_sweep_task() -> int:
    return invitations_send_sweep()


@shared_task(name="organisations.organisation_verified_notify_sweep", **TRANSIENT_RETRY)
def organisation_verified_notify_sweep_task() -> int:
    return organisation_verified_notify_sweep()
