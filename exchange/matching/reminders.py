"""The reminder of a wanted request's end: its organisation hears a few days before, so
that it can give a later date (registered with the notifications at start-up)."""

import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from exchange.matching.models import WantedRequest, WantedStatus
from exchange.organisations.notices import notify_organisation

WANTED_EXPIRING_TITLE = gettext_noop("Your wanted request ends soon")


def wanted_expiring_reminders_send(*, now: datetime.datetime) -> int:
    """Remind organisations of their open wanted requests whose last day is near."""
    today = timezone.localdate(now)
    last_day = today + datetime.timedelta(days=settings.EXCHANGE_REMINDER_DAYS)
    requests = WantedRequest.objects.filter(
        status=WantedStatus.OPEN, valid_until__gte=today, valid_until__lte=last_day
    ).select_related("organisation", "category")
    sent = 0
    for wanted in requests:
        sent += len(
            notify_organisation(
                organisation=wanted.organisation,
                kind="wanted_expiring",
                key=f"wanted:{wanted.pk}:expiring:{wanted.valid_until.isoformat()}",
                title=WANTED_EXPIRING_TITLE,
                template="matching/notifications/wanted_expiring.txt",
                context={"wanted": wanted},
                url=reverse("matching:edit", args=[wanted.pk]),
            )
        )
    return sent
