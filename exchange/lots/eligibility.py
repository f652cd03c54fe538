"""Who may claim a lot, and when: the claim windows (tiers).

A published lot opens to claims in three windows, counted from its publication: first
verified federal services, then also social-economy enterprises with a valid
accreditation, then every verified organisation. An organisation claims as its
*eligibility kind*: its kind, except that a social-economy enterprise whose
accreditation lapsed counts as a non-profit. Nobody claims their own lot.

Every user of the rule asks here. Each question has a Python check, for one
organisation and one lot, and a query filter, for many, built from the same table
(``TIER_KINDS``) and the same window dates, so that the two always agree:

- may this organisation claim this lot now: ``organisation_may_claim`` /
  ``claimable_lots``;
- may this organisation claim in this window: ``organisation_admitted`` /
  ``organisations_admitted``;
- from which window on may this organisation claim: ``claim_window_from`` /
  ``claim_window_index``.
"""

import datetime
import functools
import operator

from django.conf import settings
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from exchange.lots.models import Lot, LotStatus, Tier
from exchange.organisations.models import Organisation, OrganisationKind

# The windows in the order they open.
TIERS = (Tier.FEDERAL, Tier.SOCIAL_ECONOMY, Tier.OPEN)

# Which eligibility kinds may claim in each window: each admits those of the one before.
TIER_KINDS = {
    Tier.FEDERAL: frozenset({OrganisationKind.FEDERAL}),
    Tier.SOCIAL_ECONOMY: frozenset({OrganisationKind.FEDERAL, OrganisationKind.SOCIAL_ECONOMY}),
    Tier.OPEN: frozenset(OrganisationKind),
}

# Who may claim in each window, in words.
WHO_MAY_CLAIM = {
    Tier.FEDERAL: _("verified federal services"),
    Tier.SOCIAL_ECONOMY: _(
        "federal services and social-economy enterprises with a valid accreditation"
    ),
    Tier.OPEN: _("every verified organisation"),
}

# Who may claim in each window, in a badge's few words.
TIER_BADGE = {
    Tier.FEDERAL: _("Federal services only"),
    Tier.SOCIAL_ECONOMY: _("Federal and social economy"),
    Tier.OPEN: _("Open to everyone"),
}

# The lot's field that holds when each window opens (the first at publication).
OPENS_AT_FIELD = {
    Tier.FEDERAL: "published_at",
    Tier.SOCIAL_ECONOMY: "social_economy_opens_at",
    Tier.OPEN: "open_opens_at",
}


# --- The eligibility kind ------------------------------------------------------------


# The organisation's fields eligibility_kind and claim_window_from read (for callers
# that load many organisations for them alone).
ELIGIBILITY_FIELDS = (
    "pk",
    "kind",
    "verified_at",
    "accreditation_number",
    "accreditation_valid_until",
)


def eligibility_kind(organisation: Organisation, on: datetime.date | None = None) -> str:
    """The kind that counts for the windows on ``on`` (today): an expired accreditation
    counts as non-profit."""
    if organisation.kind == OrganisationKind.SOCIAL_ECONOMY and not (
        organisation.has_valid_accreditation(on)
    ):
        return OrganisationKind.NONPROFIT
    return organisation.kind


def eligibility_kind_condition(kind: str, on: datetime.date, prefix: str = "") -> Q:
    """The organisations whose eligibility kind on ``on`` is ``kind`` (``prefix``:
    the path to the organisation, e.g. ``"organisation__"``)."""
    accredited = Organisation.valid_accreditation_condition(on, prefix)
    if kind == OrganisationKind.SOCIAL_ECONOMY:
        return accredited
    condition = Q(**{f"{prefix}kind": kind})
    if kind == OrganisationKind.NONPROFIT:
        lapsed = Q(**{f"{prefix}kind": OrganisationKind.SOCIAL_ECONOMY}) & ~accredited
        condition |= lapsed
    return condition


def accreditation_lapsed_condition(since, on: datetime.date, prefix: str = "") -> Q:
    """The organisations whose accreditation ran on ``since`` (a date, or an expression
    such as ``TruncDate("matched_at")``) and no longer runs on ``on``: their eligibility
    kind went from social economy to non-profit in between (``prefix``: the path to the
    organisation, e.g. ``"organisation__"``)."""
    return Organisation.valid_accreditation_condition(
        since, prefix
    ) & ~Organisation.valid_accreditation_condition(on, prefix)


# --- The windows ---------------------------------------------------------------------


def tier_allows(tier: str | None, kind: str) -> bool:
    """May an organisation of eligibility kind ``kind`` claim in window ``tier``?"""
    return tier is not None and kind in TIER_KINDS[Tier(tier)]


def first_tier(kind: str) -> Tier:
    """The window in which an organisation of eligibility kind ``kind`` may first claim."""
    return next(tier for tier in TIERS if kind in TIER_KINDS[tier])


def platform_window_days() -> dict[str, int]:
    """How long the federal and the social-economy windows last, in days, unless a lot
    shortens them (with a reason): by the lot's field that holds its own length."""
    return {
        "federal_window_days": settings.EXCHANGE_FEDERAL_WINDOW_DAYS,
        "social_economy_window_days": settings.EXCHANGE_SOCIAL_ECONOMY_WINDOW_DAYS,
    }


def window_days(lot: Lot) -> tuple[int, int]:
    """How long the federal and the social-economy windows of the lot last, in days: the
    lot's own (shortened, with a reason) or the platform's."""
    federal, social = (
        default if getattr(lot, name) is None else getattr(lot, name)
        for name, default in platform_window_days().items()
    )
    return federal, social


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


def window_opens_at(lot: Lot, tier: str) -> datetime.datetime | None:
    return getattr(lot, OPENS_AT_FIELD[Tier(tier)])


def tier_at(lot: Lot, moment: datetime.datetime | None = None) -> Tier | None:
    """The window open at ``moment`` (now); None before publication."""
    if lot.published_at is None:
        return None
    return window_open({tier: getattr(lot, OPENS_AT_FIELD[tier]) for tier in TIERS}, moment)


def window_open(
    opens: dict[Tier, datetime.datetime], moment: datetime.datetime | None = None
) -> Tier:
    """The window open at ``moment`` (now) of a published lot whose windows open at
    ``opens`` (``window_dates``)."""
    moment = moment or timezone.now()
    current = Tier.FEDERAL
    for tier in TIERS[1:]:
        if opens[tier] <= moment:
            current = tier
    return current


def next_tier(lot: Lot, moment: datetime.datetime | None = None):
    """(window, when) of the next window to open, or None once everyone may claim."""
    return tier_and_next(lot, moment)[1]


def tier_and_next(lot: Lot, moment: datetime.datetime | None = None):
    """``tier_at`` and ``next_tier`` of the lot at ``moment`` together, the window open
    worked out once."""
    current = tier_at(lot, moment)
    if current is None or current == TIERS[-1]:
        return current, None
    upcoming = TIERS[TIERS.index(current) + 1]
    return current, (upcoming, window_opens_at(lot, upcoming))


def claim_windows(lot: Lot, moment: datetime.datetime | None = None) -> list[dict]:
    """Each window of a published lot: when it opens, who may claim, whether it is the
    one open now."""
    if lot.published_at is None:
        return []
    current = tier_at(lot, moment)
    return [
        {
            "tier": tier,
            "who": WHO_MAY_CLAIM[tier],
            "opens": window_opens_at(lot, tier),
            "current": tier == current,
        }
        for tier in TIERS
    ]


def window_now_and_next(lot: Lot, moment: datetime.datetime | None = None):
    """(the window open at ``moment``, the one that opens after it) as ``claim_windows``
    gives them; None for a window that is not there (before publication, after the
    last)."""
    windows = claim_windows(lot, moment)
    for position, window in enumerate(windows):
        if window["current"]:
            return window, next(iter(windows[position + 1 :]), None)
    return None, None


def _any(conditions) -> Q:
    return functools.reduce(operator.or_, conditions)


def tier_opened_condition(after, until: datetime.datetime) -> Q:
    """Lots of which a later window opened after ``after`` (a moment, or an expression
    such as ``F("match_state__matched_at")``) and by ``until``."""
    return _any(
        Q(**{f"{OPENS_AT_FIELD[tier]}__gt": after, f"{OPENS_AT_FIELD[tier]}__lte": until})
        for tier in TIERS[1:]
    )


def tier_to_announce_condition(now: datetime.datetime) -> Q:
    """Lots whose open window at ``now`` comes after the last one announced."""
    return _any(
        Q(announced_tier__in=TIERS[:position], **{f"{OPENS_AT_FIELD[tier]}__lte": now})
        for position, tier in enumerate(TIERS[1:], start=1)
    )


# --- May this organisation claim ----------------------------------------------------


def organisation_may_claim(
    organisation: Organisation, lot: Lot, now: datetime.datetime | None = None
) -> bool:
    """May the organisation claim the lot now: verified, not its own lot, the lot
    published and the organisation's window open (``claimable_lots`` for many lots)."""
    now = now or timezone.now()
    return (
        organisation.is_verified
        and lot.status == LotStatus.PUBLISHED
        and lot.owner_id != organisation.pk
        and tier_allows(tier_at(lot, now), eligibility_kind(organisation, timezone.localdate(now)))
    )


def claim_opens_for(
    organisation: Organisation, lot: Lot, now: datetime.datetime | None = None
) -> datetime.datetime | None:
    """When the organisation's own window on a published lot opens, while that is still
    to come ("you can claim from 14 December"); None when it may claim now, or never
    (not verified, its own lot, not published). The first window that admits its
    eligibility kind on the day it opens: an accreditation that lapses before then
    counts."""
    now = now or timezone.now()
    if not organisation.is_verified or lot.owner_id == organisation.pk:
        return None
    if lot.status != LotStatus.PUBLISHED or lot.published_at is None:
        return None
    for tier in TIERS:
        opens = window_opens_at(lot, tier)
        if tier_allows(tier, eligibility_kind(organisation, timezone.localdate(max(opens, now)))):
            return opens if opens > now else None
    return None


def claim_window_from(organisation: Organisation, now: datetime.datetime) -> str | None:
    """The lot field (``OPENS_AT_FIELD``) from whose moment on the organisation may
    claim a published lot, other than its own: the opening of the first window its
    eligibility kind is admitted to; "" when every published lot is open to it (the
    first window opens at publication); None when it may claim nothing (not verified).
    ``claimable_lots`` is this as a query filter, ``claim_window_index`` as a column of
    many organisations (the matching engine applies it to arrays of lots)."""
    if not organisation.is_verified:
        return None
    first = first_tier(eligibility_kind(organisation, timezone.localdate(now)))
    # The first window opens at publication: a published lot is in it or a later one.
    return "" if first == TIERS[0] else OPENS_AT_FIELD[first]


def claimable_lots(organisation: Organisation, now: datetime.datetime | None = None) -> Q:
    """The lots the organisation may claim now (``organisation_may_claim`` for one)."""
    now = now or timezone.now()
    field = claim_window_from(organisation, now)
    if field is None:
        return Q(pk__in=[])
    window = Q(**{f"{field}__lte": now}) if field else Q()
    return Q(status=LotStatus.PUBLISHED) & window & ~Q(owner_id=organisation.pk)


def organisation_admitted(organisation: Organisation, tier: str, on: datetime.date) -> bool:
    """May the organisation claim in window ``tier`` on ``on`` (verified, its
    eligibility kind admitted)? ``organisations_admitted`` for many."""
    return organisation.is_verified and tier_allows(tier, eligibility_kind(organisation, on))


def organisations_admitted(tier: str, on: datetime.date, prefix: str = "") -> Q:
    """The organisations that may claim in window ``tier`` on ``on`` (``prefix``: the path
    to the organisation, e.g. ``"organisation__"`` for wanted requests)."""
    verified = Q(**{f"{prefix}verified_at__isnull": False})
    kinds = TIER_KINDS[Tier(tier)]
    if kinds == frozenset(OrganisationKind):  # no condition on the kind at all
        return verified
    return verified & _any(eligibility_kind_condition(kind, on, prefix) for kind in sorted(kinds))


def claim_window_index(on: datetime.date, prefix: str = "") -> Case:
    """``claim_window_from`` as a query's column, for many organisations on ``on``: the
    position in ``TIERS`` of the first window that admits the organisation
    (``organisations_admitted``; its field is that tier's ``OPENS_AT_FIELD``, the
    first opening at publication), -1 when none does (not verified). ``prefix``: the
    path to the organisation, e.g. ``"organisation__"``."""
    return Case(
        *(
            When(organisations_admitted(tier, on, prefix), then=Value(position))
            for position, tier in enumerate(TIERS)
        ),
        default=Value(-1),
        output_field=IntegerField(),
    )
