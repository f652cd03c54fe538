"""The reminder of a pickup: both sides of an approved claim hear of its slot the day
before (registered with the notifications at start-up)."""

import datetime

from django.urls import reverse
from django.utils.translation import gettext_noop

from exchange.claims.models import Claim, ClaimStatus
from exchange.organisations.notices import notify_organisation

PICKUP_SOON_TITLE = gettext_noop("Pickup within 24 hours: %(lot)s")
# A pickup slot is recalled this long before it starts.
PICKUP_NOTICE = datetime.timedelta(hours=24)


def pickup_soon_reminders_send(*, now: datetime.datetime) -> int:
    """Remind the owner and the claimant of each pickup slot in the next 24 hours."""
    claims = Claim.objects.filter(
        status=ClaimStatus.APPROVED, pickup_at__gt=now, pickup_at__lte=now + PICKUP_NOTICE
    ).select_related("lot__owner", "lot__site", "claimant")
    sent = 0
    for claim in claims:
        for organisation in (claim.lot.owner, claim.claimant):
            sent += len(
                notify_organisation(
                    organisation=organisation,
                    kind="pickup_soon",
                    key=f"claim:{claim.pk}:pickup-soon:{claim.pickup_at.isoformat()}",
                    title=PICKUP_SOON_TITLE,
                    title_params={"lot": claim.lot.title},
                    template="claims/notifications/pickup_soon.txt",
                    context={"claim": claim, "lot": claim.lot},
                    url=reverse("claims:detail", args=[claim.pk]),
                )
            )
    return sent
