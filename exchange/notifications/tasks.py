from celery import shared_task

from exchange.common.tasks import RELIABLE, TRANSIENT_RETRY
from exchange.notifications.reminders import deadline_reminders_send
from exchange.notifications.services import notification_email_send, notification_emails_sweep


@shared_task(name="notifications.notification_email_send", **RELIABLE)
def notification_email_send_task(notification_id: int) -> bool:
    return notification_email_send(notification_id=notification_id)


@shared_task(name="notifications.deadline_reminders_send", **TRANSIENT_RETRY)
def deadline_reminders_send_task() -> dict[str, int]:
    return deadline_reminders_send()


@shared_task(name="notifications.notification_emails_sweep", **TRANSIENT_RETRY)
def notification_emails_sweep_task() -> int:
    return notification_emails_sweep()
