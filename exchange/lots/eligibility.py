"""Who may claim when: the claim windows (tiers) of DESIGN §3."""

import datetime

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from exchange.lots.models import TIER_KINDS, Lot, LotStatus, Tier
from exchange.organisations.models import Organisation, OrganisationKind

# The tier in which each eligibility kind may first claim.
FIRST_TIER = {
    OrganisationKind.FEDERAL: Tier.FEDERAL,
    OrganisationKind.SOCIAL_ECONOMY: Tier.SOCIAL_ECONOMY,
    OrganisationKind.PUBLIC: Tier.OPEN,
    OrganisationKind.NONPROFIT: Tier.OPEN,
}


def window_days(lot: Lot) -> tuple[int, int]:
    """How long the federal and the social-economy windows of the lot last, in days: the
    lot's own (shortened, with a reason) or the platform's."""
    federal = lot.federal_window_days
    social = lot.social_economy_window_days
    return (
        settings.EXCHANGE_FEDERAL_WINDOW_DAYS if federal is None else federal,
        settings.EXCHANGE_SOCIAL_ECONOMY_WINDOW_DAYS if social is None else social,
    )


def window_dates(
    published_at: datetime.datetime, federal_days: int, social_economy_days: int
) -> dict[Tier, datetime.datetime]:
    """When each window of a lot published at ``published_at`` opens."""
    social_economy_opens_at = published_at + datetime.timedelta(days=federal_days)
    return {
        Tier.FEDERAL: published_at,
        Tier.SOCIAL_ECONOMY: social_economy_opens_at,
        Tier.OPEN: social_economy_opens_at + datetime.timedelta(days=social_economy_days),
    }


def tier_allows(tier: str | None, eligibility_kind: str) -> bool:
    return tier is not None and eligibility_kind in TIER_KINDS[Tier(tier)]


def tier_opens_at(lot: Lot, eligibility_kind: str) -> datetime.datetime | None:
    """When the window of this kind of organisation opens on a published lot."""
    first = FIRST_TIER[OrganisationKind(eligibility_kind)]
    return {
        Tier.FEDERAL: lot.published_at,
        Tier.SOCIAL_ECONOMY: lot.social_economy_opens_at,
        Tier.OPEN: lot.open_opens_at,
    }[first]


def claimable_condition(organisation: Organisation, now: datetime.datetime | None = None) -> Q:
    """Lots this organisation may claim now: published, not its own, its window open."""
    if not organisation.is_verified:
        return Q(pk__in=[])
    now = now or timezone.now()
    first = FIRST_TIER[OrganisationKind(organisation.eligibility_kind(timezone.localdate(now)))]
    window = {
        Tier.FEDERAL: Q(),
        Tier.SOCIAL_ECONOMY: Q(social_economy_opens_at__lte=now),
        Tier.OPEN: Q(open_opens_at__lte=now),
    }[first]
    return Q(status=LotStatus.PUBLISHED) & window & ~Q(owner_id=organisation.pk)
