from celery import shared_task

from exchange.notifications.reminders import deadline_reminders_send
from exchange.notifications.services import notification_email_send


@shared_task(
    name="notifications.notification_email_send",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_kwargs={"max_retries": 8},
)
def notification_email_send_task(notification_id: int) -> bool:
    return notification_email_send(notification_id=notification_id)


@shared_task(name="notifications.deadline_reminders_send")
def deadline_reminders_send_task() -> dict[str, int]:
    return deadline_reminders_send()
