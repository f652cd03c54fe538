"""Reminders of approaching deadlines (DESIGN §4): a lot that can be claimed for a few
more days with units left, a pickup slot tomorrow, a wanted request about to end.
A daily beat job sends them; each is sent once (its key names the deadline, so a new
date or slot gives a new reminder)."""

import datetime

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_noop

from exchange.claims.models import Claim, ClaimStatus
from exchange.lots.models import Lot, LotStatus
from exchange.matching.models import WantedRequest, WantedStatus
from exchange.notifications.services import notify_organisation

TITLES = {
    "lot_expiring": gettext_noop("Last days to claim your lot: %(lot)s"),
    "pickup_soon": gettext_noop("Pickup within 24 hours: %(lot)s"),
    "wanted_expiring": gettext_noop("Your wanted request ends soon"),
}
# A pickup slot is recalled this long before it starts.
PICKUP_NOTICE = datetime.timedelta(hours=24)


def deadline_reminders_send(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Send the reminders due now; returns how many notifications each kind wrote."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    last_day = today + datetime.timedelta(days=settings.EXCHANGE_REMINDER_DAYS)
    sent = {"lot_expiring": 0, "pickup_soon": 0, "wanted_expiring": 0}

    lots = Lot.objects.filter(
        status=LotStatus.PUBLISHED,
        available_until__gte=today,
        available_until__lte=last_day,
        quantity_reserved__lt=F("quantity"),
    ).select_related("owner", "site")
    for lot in lots:
        sent["lot_expiring"] += _remind(
            "lot_expiring",
            lot.owner,
            key=f"lot:{lot.pk}:expiring:{lot.available_until.isoformat()}",
            title_params={"lot": lot.title},
            context={"lot": lot},
            url=f"/lots/{lot.pk}/",
        )

    claims = Claim.objects.filter(
        status=ClaimStatus.APPROVED, pickup_at__gt=now, pickup_at__lte=now + PICKUP_NOTICE
    ).select_related("lot__owner", "lot__site", "claimant")
    for claim in claims:
        for organisation in (claim.lot.owner, claim.claimant):
            sent["pickup_soon"] += _remind(
                "pickup_soon",
                organisation,
                key=f"claim:{claim.pk}:pickup-soon:{claim.pickup_at.isoformat()}",
                title_params={"lot": claim.lot.title},
                context={"claim": claim, "lot": claim.lot},
                url=f"/claims/{claim.pk}/",
            )

    requests = WantedRequest.objects.filter(
        status=WantedStatus.OPEN, valid_until__gte=today, valid_until__lte=last_day
    ).select_related("organisation", "category")
    for wanted in requests:
        sent["wanted_expiring"] += _remind(
            "wanted_expiring",
            wanted.organisation,
            key=f"wanted:{wanted.pk}:expiring:{wanted.valid_until.isoformat()}",
            context={"wanted": wanted},
            url=f"/wanted/{wanted.pk}/edit/",
        )
    return sent


def _remind(
    kind: str, organisation, *, key: str, context: dict, url: str, title_params=None
) -> int:
    """Notify the organisation's people of one reminder (once per key); how many were new."""
    return len(
        notify_organisation(
            organisation=organisation,
            kind=kind,
            key=key,
            title=TITLES[kind],
            title_params=title_params,
            template=f"notifications/reminders/{kind}.txt",
            context=context,
            url=url,
        )
    )
