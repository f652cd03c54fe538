"""Reads of reuse checks: a member's checks, and what a check offers now (the lots that
fit, ranked by the matching engine, with those whose claim window opens for the buyer
before the needed-by date)."""

import datetime
from dataclasses import dataclass

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from exchange.claims.models import Claim, ClaimStatus
from exchange.lots.eligibility import eligibility_kind, first_tier, window_opens_at
from exchange.lots.models import Lot
from exchange.matching.services.fits import wanted_fits
from exchange.organisations.models import Membership
from exchange.reuse.models import ReuseCheck, ReuseCheckClaim

# Claims that no longer meet anything: given back to the lot.
LAPSED_CLAIM_STATUSES = (ClaimStatus.DECLINED, ClaimStatus.CANCELLED, ClaimStatus.NO_SHOW)


def reuse_check_list(*, actor: Membership) -> QuerySet[ReuseCheck]:
    """The checks of the actor's organisation, newest first, with what they hold."""
    live = Q(claims__claim__status__in=[s for s in ClaimStatus if s not in LAPSED_CLAIM_STATUSES])
    return (
        ReuseCheck.objects.filter(organisation_id=actor.organisation_id)
        .select_related("category", "site", "organisation", "created_by", "attestation")
        .annotate(claimed=Sum("claims__claim__quantity", filter=live, default=0))
        .defer("attestation__pdf")
        .order_by("-created_at", "-id")
    )


def reuse_check_claims(check: ReuseCheck) -> QuerySet[ReuseCheckClaim]:
    return ReuseCheckClaim.objects.filter(check_ref=check).select_related(
        "claim__lot__owner", "claim__lot__site"
    )


def reuse_check_claimed_quantity(check: ReuseCheck) -> int:
    """The units met by reuse: those of the claims made from the check that still live
    (pending, approved) or were collected."""
    return (
        Claim.objects.filter(reuse_check_claim__check_ref=check)
        .exclude(status__in=LAPSED_CLAIM_STATUSES)
        .aggregate(total=Sum("quantity", default=0))["total"]
    )


@dataclass
class CheckResult:
    """A lot that fits the check: its score and reasons as the matching engine gives
    them, and, for a lot the buyer may not claim yet, when its window opens for them."""

    lot: Lot
    score: float
    reasons: dict
    opens_at: datetime.datetime | None = None

    @property
    def claimable_now(self) -> bool:
        return self.opens_at is None

    @property
    def percent(self) -> int:
        return round(self.score * 100)


def _end_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59, 59)))


def reuse_check_results(check: ReuseCheck, *, now=None) -> list[CheckResult]:
    """The lots that fit a check now, best first as the engine ranks them; then
    the lots whose claim window opens for the buyer's organisation before the needed-by
    date (and before the lot ends), each scored as the engine will score it when its
    window opens, best first."""
    now = now or timezone.now()
    wanted = check.wanted
    wanted.organisation = check.organisation
    fits_now = wanted_fits(wanted, now=now)
    later_candidates = [
        fit
        for fit in wanted_fits(wanted, now=_end_of(check.needed_by))
        if fit[0] not in {f[0] for f in fits_now}
    ]
    lot_ids = [f[0] for f in fits_now] + [f[0] for f in later_candidates]
    lots = Lot.objects.select_related("owner", "site", "category").in_bulk(lot_ids)
    results = [CheckResult(lot=lots[f[0]], score=f[2], reasons=f[3]) for f in fits_now]
    tier = first_tier(eligibility_kind(check.organisation, timezone.localdate(now)))
    by_opening: dict[datetime.datetime, list[int]] = {}
    for lot_id, *_rest in later_candidates:
        opens = window_opens_at(lots[lot_id], tier)
        if opens is not None and now < opens and opens.date() <= lots[lot_id].available_until:
            by_opening.setdefault(opens, []).append(lot_id)
    later = [
        CheckResult(lot=lots[f[0]], score=f[2], reasons=f[3], opens_at=opens)
        for opens, ids in by_opening.items()
        for f in wanted_fits(wanted, now=opens, lot_ids=ids)
    ]
    later.sort(key=lambda r: (-r.score, r.lot.pk))
    return results + later
