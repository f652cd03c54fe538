"""The reminder of a lot's last days: its owner hears, a few days before the lot can no
longer be claimed, that units are left (registered with the notifications at start-up)."""

import datetime

from django.conf import settings
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from exchange.lots.models import Lot, LotStatus
from exchange.organisations.notices import notify_organisation

LOT_EXPIRING_TITLE = gettext_noop("Last days to claim your lot: %(lot)s")


def lot_expiring_reminders_send(*, now: datetime.datetime) -> int:
    """Remind owners of published lots with units left whose last day is near."""
    today = timezone.localdate(now)
    last_day = today + datetime.timedelta(days=settings.EXCHANGE_REMINDER_DAYS)
    lots = Lot.objects.filter(
        status=LotStatus.PUBLISHED,
        available_until__gte=today,
        available_until__lte=last_day,
        quantity_reserved__lt=F("quantity"),
    ).select_related("owner", "site")
    sent = 0
    for lot in lots:
        sent += len(
            notify_organisation(
                organisation=lot.owner,
                kind="lot_expiring",
                key=f"lot:{lot.pk}:expiring:{lot.available_until.isoformat()}",
                title=LOT_EXPIRING_TITLE,
                title_params={"lot": lot.title},
                template="lots/notifications/lot_expiring.txt",
                context={"lot": lot},
                url=reverse("lots:detail", args=[lot.pk]),
            )
        )
    return sent
