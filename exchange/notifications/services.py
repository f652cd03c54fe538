"""Notices to people: in-app, in their own language, and by e-mail through a task."""

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation

from exchange.common.mail import mail_send, mail_subject, public_url, text_render
from exchange.notifications.models import Notification


def notify_users(
    *,
    users,
    kind: str,
    key: str,
    title: str,
    template: str,
    context: dict,
    url: str = "",
    title_params: dict | None = None,
    email: bool = True,
) -> list[Notification]:
    """Write one notification per person (once per ``key``) in their language, and
    (unless ``email`` is False: a digest sends it later) e-mail it after commit.
    ``title`` is an untranslated (gettext_noop) string."""
    from exchange.notifications.tasks import notification_email_send_task

    created = []
    for user in users:
        with translation.override(user.language or settings.LANGUAGE_CODE):
            text_title = mail_subject(translation.gettext(title) % (title_params or {}))
            body = text_render(template, {**context, "user": user}).strip()
        notification, is_new = Notification.objects.get_or_create(
            user=user,
            key=key,
            defaults={"kind": kind, "title": text_title[:200], "body": body, "url": url},
        )
        if is_new:
            created.append(notification)
            if email:
                transaction.on_commit(
                    lambda pk=notification.pk: notification_email_send_task.delay(pk)
                )
    return created


def notification_email_send(*, notification_id: int) -> bool:
    """E-mail a notification once; the flag stands only once the mail went out."""
    claimed = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not claimed:
        return False
    notification = Notification.objects.select_related("user").get(pk=notification_id)
    if not notification.user.email:
        return False
    link = public_url(notification.url) if notification.url else ""
    try:
        mail_send(
            subject=notification.title,
            body=f"{notification.body}\n\n{link}".strip(),
            to=notification.user.email,
        )
    except Exception:
        Notification.objects.filter(pk=notification_id).update(emailed_at=None)
        raise
    return True


def notification_list(*, user) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user)


def notification_unread_count(*, user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notification_mark_read(*, user, notification_ids=None) -> int:
    """Mark some (or all) of a person's notifications read; returns how many changed."""
    queryset = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        queryset = queryset.filter(pk__in=notification_ids)
    return queryset.update(read_at=timezone.now())
