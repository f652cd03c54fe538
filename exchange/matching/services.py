"""Wanted requests and the matching engine (DESIGN §4): candidates are chosen in the
database (category subtree, condition, an indexed latitude/longitude box, claim
windows), and only those few are scored in Python. Every job is idempotent: a pair is
matched once (unique constraint) and notified once."""

import datetime
import math
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from exchange.categories.models import Category
from exchange.categories.selectors import subtree_condition
from exchange.common.errors import ApplicationError, ErrorKind
from exchange.common.services import audit_event_record
from exchange.lots.eligibility import claimable_condition
from exchange.lots.models import CONDITION_RANK, TIER_KINDS, Condition, Lot, LotStatus, Tier
from exchange.matching.errors import MatchingError
from exchange.matching.models import (
    MAX_DISTANCE_KM,
    Match,
    MatchStatus,
    WantedRequest,
    WantedStatus,
)
from exchange.matching.scoring import distance_km, match_score
from exchange.organisations.access import require_verified, require_writer
from exchange.organisations.models import Membership, Region, Site

KM_PER_DEGREE = 111.32


@dataclass
class WantedInput:
    category: Category | None = None
    quantity: int | None = None
    min_condition: str = Condition.FAIR
    site: Site | None = None
    max_distance_km: int | None = None
    region: str = ""
    valid_until: datetime.date | None = None
    note: str = ""

    FIELDS = (
        "category",
        "quantity",
        "min_condition",
        "site",
        "max_distance_km",
        "region",
        "valid_until",
        "note",
    )

    @classmethod
    def from_wanted(cls, wanted: WantedRequest, **changes) -> "WantedInput":
        values = {name: getattr(wanted, name) for name in cls.FIELDS}
        values.update(changes)
        return cls(**values)


def wanted_validate(*, actor: Membership, data: WantedInput) -> None:
    errors: dict[str, list[ValidationError]] = {}

    def error(name, message, code):
        errors.setdefault(name, []).append(ValidationError(message, code=code))

    if data.category is None:
        error("category", _("Choose a category."), "required")
    if data.quantity is None or not 1 <= data.quantity <= 100_000:
        error("quantity", _("The quantity is a whole number from 1 to 100000."), "out_of_range")
    if data.min_condition not in Condition.values:
        error(
            "min_condition",
            _("Choose one of: %(values)s.") % {"values": ", ".join(Condition.values)},
            "invalid_choice",
        )
    if data.site is None and not data.region:
        error("site", _("Choose one of your sites and a distance, or a region."), "required")
    if data.site is not None:
        if data.site.organisation_id != actor.organisation_id:
            error("site", _("This site is not one of your organisation's sites."), "site_not_owned")
        if data.max_distance_km is None or not 1 <= data.max_distance_km <= MAX_DISTANCE_KM:
            error(
                "max_distance_km",
                _("The distance is from 1 to %(max)s km.") % {"max": MAX_DISTANCE_KM},
                "out_of_range",
            )
    elif data.max_distance_km is not None:
        error("max_distance_km", _("A distance needs one of your sites."), "site_required")
    if data.region and data.region not in Region.values:
        error(
            "region",
            _("Choose one of: %(values)s.") % {"values": ", ".join(Region.values)},
            "invalid_choice",
        )
    if data.valid_until is None:
        error("valid_until", _("Say until when you need it."), "required")
    elif data.valid_until < timezone.localdate():
        error("valid_until", _("This date lies in the past."), "date_in_past")
    if errors:
        raise ApplicationError.from_validation_error(ValidationError(errors))


def _apply(wanted: WantedRequest, data: WantedInput) -> None:
    for name in WantedInput.FIELDS:
        setattr(wanted, name, getattr(data, name))
    wanted.note = (wanted.note or "").strip()
    wanted.category_path = data.category.path
    wanted.min_condition_rank = CONDITION_RANK[Condition(data.min_condition)]
    if data.site is not None:
        if not data.region:
            wanted.region = ""
        lat, lon, km = float(data.site.latitude), float(data.site.longitude), data.max_distance_km
        dlat = km / KM_PER_DEGREE
        dlon = km / (KM_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
        wanted.min_latitude, wanted.max_latitude = lat - dlat, lat + dlat
        wanted.min_longitude, wanted.max_longitude = lon - dlon, lon + dlon
    else:
        wanted.max_distance_km = None
        wanted.min_latitude = wanted.max_latitude = None
        wanted.min_longitude = wanted.max_longitude = None


def _enqueue_wanted(wanted_id: int) -> None:
    from exchange.matching.tasks import match_wanted_task

    transaction.on_commit(lambda: match_wanted_task.delay(wanted_id))


@transaction.atomic
def wanted_create(*, actor: Membership, data: WantedInput) -> WantedRequest:
    require_writer(actor)
    require_verified(actor)
    wanted_validate(actor=actor, data=data)
    wanted = WantedRequest(organisation=actor.organisation, created_by=actor.user)
    _apply(wanted, data)
    wanted.save()
    audit_event_record(
        actor=actor.user,
        organisation=actor.organisation,
        obj=wanted,
        action="create",
        to_state=WantedStatus.OPEN,
    )
    _enqueue_wanted(wanted.pk)
    return wanted


def _require_own_open(actor: Membership, wanted: WantedRequest) -> WantedRequest:
    require_writer(actor)
    if wanted.organisation_id != actor.organisation_id:
        raise ApplicationError(
            code=MatchingError.NOT_YOURS,
            kind=ErrorKind.NOT_FOUND,
            message=_("No such wanted request."),
        )
    wanted = WantedRequest.objects.select_for_update().get(pk=wanted.pk)
    if wanted.status != WantedStatus.OPEN:
        raise ApplicationError(
            code=MatchingError.WANTED_NOT_OPEN,
            kind=ErrorKind.CONFLICT,
            message=_("This request is %(status)s.") % {"status": wanted.get_status_display()},
        )
    return wanted


@transaction.atomic
def wanted_update(*, actor: Membership, wanted: WantedRequest, data: WantedInput) -> WantedRequest:
    wanted = _require_own_open(actor, wanted)
    wanted_validate(actor=actor, data=data)
    _apply(wanted, data)
    wanted.save()
    # Matches that no longer fit and were not acted on go; the rematch adds new ones.
    wanted.matches.filter(status__in=(MatchStatus.NEW, MatchStatus.SEEN)).delete()
    audit_event_record(
        actor=actor.user, organisation=actor.organisation, obj=wanted, action="update"
    )
    _enqueue_wanted(wanted.pk)
    return wanted


@transaction.atomic
def wanted_withdraw(*, actor: Membership, wanted: WantedRequest) -> WantedRequest:
    wanted = _require_own_open(actor, wanted)
    wanted.status = WantedStatus.WITHDRAWN
    wanted.save(update_fields=["status", "updated_at"])
    audit_event_record(
        actor=actor.user,
        organisation=actor.organisation,
        obj=wanted,
        action="withdraw",
        from_state=WantedStatus.OPEN,
        to_state=WantedStatus.WITHDRAWN,
    )
    return wanted


# --- Candidates ------------------------------------------------------------------


def _ancestor_paths(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def _eligible_organisations(tier: str, today: datetime.date) -> Q:
    """Requests of organisations that may claim in ``tier`` (verified ones only)."""
    kinds = TIER_KINDS[Tier(tier)]
    condition = Q(organisation__kind="federal")
    if "social_economy" in kinds:
        condition |= Q(
            organisation__kind="social_economy", organisation__accreditation_valid_until__gte=today
        )
    if "public" in kinds:
        condition = Q()
    return Q(organisation__verified_at__isnull=False) & condition


def wanted_candidates_for_lot(lot: Lot, *, now=None) -> QuerySet[WantedRequest]:
    now = now or timezone.now()
    today = timezone.localdate(now)
    tier = lot.tier_at(now)
    if lot.status != LotStatus.PUBLISHED or tier is None:
        return WantedRequest.objects.none()
    lat, lon = float(lot.latitude), float(lot.longitude)
    place = Q(site__isnull=True, region=lot.region) | Q(
        min_latitude__lte=lat, max_latitude__gte=lat, min_longitude__lte=lon, max_longitude__gte=lon
    )
    return (
        WantedRequest.objects.filter(
            status=WantedStatus.OPEN,
            category_path__in=_ancestor_paths(lot.category.path),
            min_condition_rank__lte=lot.condition_rank,
            valid_until__gte=today,
        )
        .filter(place)
        .filter(_eligible_organisations(tier, today))
        .exclude(organisation_id=lot.owner_id)
        .select_related("site")
    )


def lot_candidates_for_wanted(wanted: WantedRequest, *, now=None) -> QuerySet[Lot]:
    lots = Lot.objects.filter(status=LotStatus.PUBLISHED).filter(
        subtree_condition(wanted.category_path, field="category__path"),
        condition_rank__gte=wanted.min_condition_rank,
    )
    lots = lots.filter(claimable_condition(wanted.organisation, now))
    if wanted.site_id is not None:
        lots = lots.filter(
            latitude__gte=wanted.min_latitude,
            latitude__lte=wanted.max_latitude,
            longitude__gte=wanted.min_longitude,
            longitude__lte=wanted.max_longitude,
        )
    else:
        lots = lots.filter(region=wanted.region)
    return lots.select_related("category")


def _score(lot: Lot, wanted: WantedRequest, today) -> tuple[float, dict] | None:
    distance = None
    if wanted.site_id is not None:
        distance = distance_km(
            float(wanted.site.latitude),
            float(wanted.site.longitude),
            float(lot.latitude),
            float(lot.longitude),
        )
        if distance > wanted.max_distance_km:
            return None
    available = lot.quantity - lot.quantity_reserved
    if available <= 0:
        return None
    return match_score(
        lot_category_path=lot.category.path,
        wanted_category_path=wanted.category_path,
        distance=distance,
        max_distance_km=wanted.max_distance_km,
        available=available,
        wanted_quantity=wanted.quantity,
        lot_condition_rank=lot.condition_rank,
        min_condition_rank=wanted.min_condition_rank,
        available_until=lot.available_until,
        today=today,
    )


def _save_matches(pairs: list[tuple[Lot, WantedRequest, float, dict]]) -> list[Match]:
    """Insert the pairs not matched before; returns the new matches only."""
    if not pairs:
        return []
    existing = set(
        Match.objects.filter(
            lot_id__in={lot.pk for lot, *_ in pairs}, wanted_id__in={w.pk for _, w, *_ in pairs}
        ).values_list("lot_id", "wanted_id")
    )
    fresh = [
        Match(lot=lot, wanted=wanted, score=score, reasons=reasons)
        for lot, wanted, score, reasons in pairs
        if (lot.pk, wanted.pk) not in existing
    ]
    Match.objects.bulk_create(fresh, ignore_conflicts=True)
    created = Match.objects.filter(
        lot_id__in={m.lot_id for m in fresh},
        wanted_id__in={m.wanted_id for m in fresh},
        notified_at__isnull=True,
    ).select_related("lot", "wanted__organisation")
    wanted_pairs = {(m.lot_id, m.wanted_id) for m in fresh}
    return [m for m in created if (m.lot_id, m.wanted_id) in wanted_pairs]


def match_lot(*, lot_id: int, now=None) -> list[Match]:
    """Match one lot against the open requests of organisations that may claim it now."""
    now = now or timezone.now()
    lot = Lot.objects.select_related("category").filter(pk=lot_id).first()
    if lot is None:
        return []
    today = timezone.localdate(now)
    pairs = []
    for wanted in wanted_candidates_for_lot(lot, now=now):
        scored = _score(lot, wanted, today)
        if scored:
            pairs.append((lot, wanted, *scored))
    matches = _save_matches(pairs)
    matches_notify(matches)
    return matches


def match_wanted(*, wanted_id: int, now=None) -> list[Match]:
    """Match one open request against the lots its organisation may claim now."""
    now = now or timezone.now()
    wanted = (
        WantedRequest.objects.select_related("site", "organisation")
        .filter(pk=wanted_id, status=WantedStatus.OPEN)
        .first()
    )
    if wanted is None or wanted.valid_until < timezone.localdate(now):
        return []
    today = timezone.localdate(now)
    pairs = []
    for lot in lot_candidates_for_wanted(wanted, now=now):
        scored = _score(lot, wanted, today)
        if scored:
            pairs.append((lot, wanted, *scored))
    matches = _save_matches(pairs)
    matches_notify(matches)
    return matches


def matches_rematch_all(*, now=None) -> dict[str, int]:
    """The nightly repair sweep: expire old requests, then match every open request."""
    now = now or timezone.now()
    expired = WantedRequest.objects.filter(
        status=WantedStatus.OPEN, valid_until__lt=timezone.localdate(now)
    ).update(status=WantedStatus.EXPIRED, updated_at=now)
    created = 0
    for wanted_id in (
        WantedRequest.objects.filter(status=WantedStatus.OPEN)
        .values_list("pk", flat=True)
        .iterator(chunk_size=2000)
    ):
        created += len(match_wanted(wanted_id=wanted_id, now=now))
    return {"expired": expired, "created": created}


# --- Notifications -----------------------------------------------------------------

MATCH_TITLE = gettext_noop("A lot fits what you need: %(lot)s")


def matches_notify(matches: list[Match]) -> None:
    """In-app notice for each new match to the requesting organisation's people, once;
    e-mail at once for those who asked, else in the daily digest."""
    from exchange.notifications.services import notify_users

    for match in matches:
        users = [
            m.user
            for m in match.wanted.organisation.memberships.select_related("user").filter(
                user__is_active=True
            )
        ]
        for immediate in (True, False):
            group = [u for u in users if (u.match_notifications == "immediate") == immediate]
            if group:
                notify_users(
                    users=group,
                    kind="match",
                    key=f"match:{match.pk}",
                    title=MATCH_TITLE,
                    title_params={"lot": match.lot.title},
                    template="matching/notifications/match.txt",
                    context={"match": match, "lot": match.lot, "wanted": match.wanted},
                    url=f"/wanted/{match.wanted_id}/matches/",
                    email=immediate,
                )
        Match.objects.filter(pk=match.pk, notified_at__isnull=True).update(
            notified_at=timezone.now()
        )


# --- Acting on a match -------------------------------------------------------------


def _own_match(actor: Membership, match: Match) -> Match:
    require_writer(actor)
    if match.wanted.organisation_id != actor.organisation_id:
        raise ApplicationError(
            code=MatchingError.NOT_YOURS, kind=ErrorKind.NOT_FOUND, message=_("No such match.")
        )
    if match.status in (MatchStatus.DISMISSED, MatchStatus.CLAIMED):
        raise ApplicationError(
            code=MatchingError.MATCH_CLOSED,
            kind=ErrorKind.CONFLICT,
            message=_("This match is %(status)s.") % {"status": match.get_status_display()},
        )
    return match


@transaction.atomic
def match_dismiss(*, actor: Membership, match: Match) -> Match:
    match = _own_match(
        actor, Match.objects.select_for_update().select_related("wanted").get(pk=match.pk)
    )
    match.status = MatchStatus.DISMISSED
    match.save(update_fields=["status", "updated_at"])
    return match


def match_mark_seen(*, actor: Membership, matches: QuerySet[Match]) -> int:
    return matches.filter(
        wanted__organisation_id=actor.organisation_id, status=MatchStatus.NEW
    ).update(status=MatchStatus.SEEN)


def wanted_claimed_quantity(wanted: WantedRequest) -> int:
    from exchange.claims.models import Claim, ClaimStatus

    claim_ids = wanted.matches.exclude(claim=None).values_list("claim_id", flat=True)
    return (
        Claim.objects.filter(pk__in=claim_ids)
        .exclude(status__in=(ClaimStatus.DECLINED, ClaimStatus.CANCELLED, ClaimStatus.NO_SHOW))
        .aggregate(total=Sum("quantity"))["total"]
        or 0
    )


def match_claim(*, actor: Membership, match: Match, note: str = ""):
    """Open a claim for min(still wanted, available) and mark the match claimed; the
    request is fulfilled once its claims cover its quantity."""
    from exchange.claims.services import claim_create

    match = Match.objects.select_related("wanted__organisation", "lot").get(pk=match.pk)
    _own_match(actor, match)
    wanted = match.wanted
    if wanted.status != WantedStatus.OPEN:
        raise ApplicationError(
            code=MatchingError.WANTED_NOT_OPEN,
            kind=ErrorKind.CONFLICT,
            message=_("This request is %(status)s.") % {"status": wanted.get_status_display()},
        )
    lot = match.lot
    lot.refresh_from_db()
    still_wanted = max(wanted.quantity - wanted_claimed_quantity(wanted), 1)
    quantity = max(min(still_wanted, lot.quantity_available), 1)
    with transaction.atomic():
        claim = claim_create(
            actor=actor,
            lot=lot,
            quantity=quantity,
            note=note or _("Claimed from a match with our wanted request."),
        )
        updated = Match.objects.filter(
            pk=match.pk, status__in=(MatchStatus.NEW, MatchStatus.SEEN)
        ).update(status=MatchStatus.CLAIMED, claim=claim, updated_at=timezone.now())
        if not updated:
            raise ApplicationError(
                code=MatchingError.MATCH_CLOSED,
                kind=ErrorKind.CONFLICT,
                message=_("This match was already acted on."),
            )
        if wanted_claimed_quantity(wanted) >= wanted.quantity:
            WantedRequest.objects.filter(pk=wanted.pk, status=WantedStatus.OPEN).update(
                status=WantedStatus.FULFILLED, updated_at=timezone.now()
            )
    return claim


# --- The daily digest ------------------------------------------------------------------


def matches_digest_send() -> int:
    """One e-mail per person with their match notices not e-mailed yet; returns how many
    e-mails went out. Running it twice sends nothing more."""
    from django.conf import settings
    from django.core.mail import send_mail
    from django.template.loader import render_to_string
    from django.utils import translation

    from exchange.notifications.models import Notification

    sent = 0
    pending = Notification.objects.filter(kind="match", emailed_at__isnull=True)
    for user_id in pending.values_list("user_id", flat=True).distinct():
        with transaction.atomic():
            notices = list(
                pending.filter(user_id=user_id).select_for_update().select_related("user")
            )
            if not notices:
                continue
            user = notices[0].user
            Notification.objects.filter(pk__in=[n.pk for n in notices]).update(
                emailed_at=timezone.now()
            )
            if not user.email:
                continue
            with translation.override(user.language or settings.LANGUAGE_CODE):
                subject = translation.ngettext(
                    "%(count)s lot fits what you need",
                    "%(count)s lots fit what you need",
                    len(notices),
                ) % {"count": len(notices)}
                body = render_to_string(
                    "matching/email/digest.txt",
                    {
                        "user": user,
                        "notices": notices,
                        "base_url": settings.EXCHANGE_BASE_URL,
                    },
                )
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
            sent += 1
    return sent
