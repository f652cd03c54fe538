"""Notices to people: in-app, in their own language, and by e-mail through a task."""

import datetime
import logging

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone, translation

from exchange.common.mail import mail_send, mail_subject, public_url, text_render
from exchange.common.tasks import REPAIR_BATCH, TRANSIENT_ERRORS, repair_cutoff, task_send
from exchange.notifications.models import Notification

logger = logging.getLogger(__name__)


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
    notices = notices_render(
        users=users, title=title, template=template, context=context, title_params=title_params
    )
    return notices_write(notices, kind=kind, key=key, url=url, email=email)


def notices_render(
    *, users, title: str, template: str, context: dict, title_params: dict | None = None
) -> list[Notification]:
    """The notices of ``notify_users``, each in its person's language, not written yet
    (``notices_write`` gives them their kind, key and link and writes them): a service
    renders them before it locks anything, and writes them in its transaction."""
    notices = []
    for user in users:
        with translation.override(user.language or settings.LANGUAGE_CODE):
            text_title = mail_subject(translation.gettext(title) % (title_params or {}))
            body = text_render(template, {**context, "user": user}).strip()
        notices.append(Notification(user=user, title=text_title[:200], body=body))
    return notices


def notices_write(
    notices: list[Notification],
    *,
    kind: str,
    key: str,
    url: str = "",
    email: bool = True,
    new_key: bool = False,
) -> list[Notification]:
    """Write rendered notices (``notices_render``), once per person and ``key``, and
    e-mail each new one after commit. ``new_key``: nobody can have the key yet (it names
    an object made in this transaction), so the notices go in with one INSERT."""
    for notice in notices:
        notice.kind, notice.key, notice.url = kind, key, url
    if new_key:
        created = Notification.objects.bulk_create(notices) if notices else []
    else:
        created = []
        for notice in notices:
            notification, is_new = Notification.objects.get_or_create(
                user=notice.user,
                key=key,
                defaults={"kind": kind, "title": notice.title, "body": notice.body, "url": url},
            )
            if is_new:
                created.append(notification)
    if email:
        notices_email(created)
    return created


def notices_email(notices: list[Notification]) -> None:
    """E-mail each of these notices (written in the current transaction) after commit."""
    from exchange.notifications.tasks import notification_email_send_task

    for notification in notices:
        task_send(notification_email_send_task, notification.pk)


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


# Notices whose e-mail goes out in a digest, not one by one (matching's daily digest).
DIGEST_KINDS = ("match",)
# A notice whose e-mail is older than this is not e-mailed any more by the sweep.
EMAIL_SWEEP_DAYS = 7


def notification_emails_sweep(*, now=None) -> int:
    """The repair sweep of e-mails: each notice not e-mailed yet
    EXCHANGE_REPAIR_AFTER_SECONDS after it was written (its task never sent, or lost) is
    e-mailed now, once; those of the last EMAIL_SWEEP_DAYS days only. Notices of a digest
    wait for it. Returns how many e-mails went out."""
    now = now or timezone.now()
    pending = (
        Notification.objects.filter(
            emailed_at__isnull=True,
            created_at__lt=repair_cutoff(now),
            created_at__gte=now - datetime.timedelta(days=EMAIL_SWEEP_DAYS),
        )
        .exclude(kind__in=DIGEST_KINDS)
        .order_by("pk")
    )
    sent = 0
    for notification_id in pending.values_list("pk", flat=True)[:REPAIR_BATCH]:
        try:
            sent += notification_email_send(notification_id=notification_id)
        except TRANSIENT_ERRORS:
            raise  # the mail server is away: the task tries again later
        except Exception:
            logger.exception("notification %s could not be e-mailed", notification_id)
    if sent:
        logger.warning("e-mail sweep sent %s e-mails that their task had not", sent)
    return sent


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
