"""Wanted requests and the matching engine (DESIGN §4): candidates are chosen in the
database (category subtree, condition, an indexed latitude/longitude box, claim
windows), and only those few are scored in Python. A request's matches are its K best
fitting lots (EXCHANGE_MATCHES_PER_REQUEST): a new lot becomes a match only where it
ranks above the request's K-th match (its floor), and the nightly sweep repairs what
changed since things were last matched. Every job is idempotent: a pair is matched once
(unique constraint) and notified once."""

import datetime
import json
import math
from dataclasses import dataclass

import psycopg
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, FloatField, OuterRef, Q, QuerySet, Sum
from django.db.models.base import ModelState
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from exchange.categories.models import Category
from exchange.categories.selectors import subtree_condition
from exchange.common.errors import ApplicationError, ErrorKind
from exchange.common.geo import distance_box
from exchange.common.services import audit_event_record
from exchange.lots.eligibility import claimable_condition
from exchange.lots.models import CONDITION_RANK, TIER_KINDS, Condition, Lot, LotStatus, Tier
from exchange.matching.errors import MatchingError
from exchange.matching.models import (
    MAX_DISTANCE_KM,
    LotMatchState,
    Match,
    MatchStatus,
    WantedRequest,
    WantedStatus,
)
from exchange.matching.scoring import distance_km, match_score
from exchange.organisations.access import require_verified, require_writer
from exchange.organisations.models import Membership, Region, Site


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
        (
            wanted.min_latitude,
            wanted.max_latitude,
            wanted.min_longitude,
            wanted.max_longitude,
        ) = distance_box(
            float(data.site.latitude), float(data.site.longitude), data.max_distance_km
        )
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
    # The subtree's category ids, not a join on their paths: with ids the lots' category
    # index finds the candidates; with the join PostgreSQL read every lot (~150 ms).
    categories = list(
        Category.objects.filter(subtree_condition(wanted.category_path)).values_list(
            "pk", flat=True
        )
    )
    lots = Lot.objects.filter(
        status=LotStatus.PUBLISHED,
        category_id__in=categories,
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


def _fit(
    *,
    lot_path: str,
    lot_latitude: float,
    lot_longitude: float,
    available: int,
    lot_condition_rank: int,
    available_until: datetime.date,
    wanted_path: str,
    site_latitude: float | None,
    site_longitude: float | None,
    max_distance_km: int | None,
    wanted_quantity: int,
    min_condition_rank: int,
    today: datetime.date,
) -> tuple[float, dict] | None:
    """The rules the database cannot check (exact distance, something left), then the
    score; None when the pair does not fit."""
    distance = None
    if site_latitude is not None:
        distance = distance_km(site_latitude, site_longitude, lot_latitude, lot_longitude)
        if distance > max_distance_km:
            return None
    if available <= 0:
        return None
    return match_score(
        lot_category_path=lot_path,
        wanted_category_path=wanted_path,
        distance=distance,
        max_distance_km=max_distance_km,
        available=available,
        wanted_quantity=wanted_quantity,
        lot_condition_rank=lot_condition_rank,
        min_condition_rank=min_condition_rank,
        available_until=available_until,
        today=today,
    )


def _score(lot: Lot, wanted: WantedRequest, today) -> tuple[float, dict] | None:
    site = wanted.site if wanted.site_id is not None else None
    return _fit(
        lot_path=lot.category.path,
        lot_latitude=float(lot.latitude),
        lot_longitude=float(lot.longitude),
        available=lot.quantity - lot.quantity_reserved,
        lot_condition_rank=lot.condition_rank,
        available_until=lot.available_until,
        wanted_path=wanted.category_path,
        site_latitude=float(site.latitude) if site else None,
        site_longitude=float(site.longitude) if site else None,
        max_distance_km=wanted.max_distance_km,
        wanted_quantity=wanted.quantity,
        min_condition_rank=wanted.min_condition_rank,
        today=today,
    )


# (lot id, wanted request id, score, reasons): a pair that fits
Fit = tuple[int, int, float, dict]

_LOT_VALUES = (
    "pk",
    "category__path",
    "latitude",
    "longitude",
    "quantity",
    "quantity_reserved",
    "condition_rank",
    "available_until",
)
_WANTED_VALUES = (
    "pk",
    "organisation_id",
    "category_path",
    "site__latitude",
    "site__longitude",
    "max_distance_km",
    "quantity",
    "min_condition_rank",
    "match_floor",
    "match_floor_lot_id",
)


def matches_per_request() -> int:
    """K: a request's matches are its K best fitting lots."""
    return max(int(settings.EXCHANGE_MATCHES_PER_REQUEST), 1)


def _rank(fit: Fit) -> tuple[float, int]:
    """Best first; of equal scores, the lot published first (the lower id)."""
    return (-fit[2], fit[0])


def _outranks(score: float, lot_id: int, floor: float | None, floor_lot_id: int | None) -> bool:
    """Whether a lot ranks above the K-th match of a request (always, below K matches)."""
    if floor is None:
        return True
    return score > floor or (score == floor and lot_id < (floor_lot_id or 0))


# The score of DESIGN §4 in SQL, in the order of operations of scoring.match_score, for
# ranking a request's candidates in the database. Python's score (rounded to 4 places)
# stays the one that counts: the database only ranks, and SCORE_SQL_SLACK covers the
# rounding between the two (half the last place, and float noise).
_SCORE_SQL = """
    0.3::float8 * (CASE WHEN lots_lot.category_id = %s THEN 1.0::float8 ELSE 0.7::float8 END)
    + 0.25::float8 * {near}
    + 0.25::float8 * LEAST(
        (lots_lot.quantity - lots_lot.quantity_reserved)::float8 / %s::float8, 1.0::float8)
    + 0.1::float8 * (0.5::float8
        + 0.5::float8 * (lots_lot.condition_rank - %s)::float8 / 3.0::float8)
    + 0.1::float8 * LEAST(
        GREATEST(lots_lot.available_until - %s::date, 0)::float8 / 30.0::float8, 1.0::float8)
"""
_NEAR_SQL = """GREATEST(0.0::float8, 1.0::float8
    - 2.0::float8 * 6371.0::float8 * ASIN(LEAST(1.0::float8, SQRT(
    POWER(SIN((RADIANS(lots_lot.latitude::float8) - %s::float8) / 2.0::float8), 2)
    + %s::float8 * COS(RADIANS(lots_lot.latitude::float8))
    * POWER(SIN(RADIANS(lots_lot.longitude::float8 - %s::float8) / 2.0::float8), 2))))
    / %s::float8)"""
SCORE_SQL_SLACK = 1e-4
SCORE_SQL_EXTRA_ROWS = 20


def _score_sql(wanted: WantedRequest, site_latitude, site_longitude, today) -> RawSQL:
    if site_latitude is None:
        near, near_params = "1.0::float8", []
    else:
        near = _NEAR_SQL
        p1 = math.radians(site_latitude)
        near_params = [p1, math.cos(p1), site_longitude, wanted.max_distance_km]
    return RawSQL(  # noqa: S611 (constant SQL, every value a bound parameter)
        _SCORE_SQL.format(near=near),
        [wanted.category_id, *near_params, wanted.quantity, wanted.min_condition_rank, today],
        output_field=FloatField(),
    )


def wanted_fits(
    wanted: WantedRequest, *, now=None, new_only: bool = False, lot_ids=None, best=None
) -> list[Fit]:
    """The lots that fit an open request now (among ``lot_ids`` if given), best first;
    with ``new_only``, those not matched with it yet; with ``best``, only the ``best``
    first of them. Reads plain values, not models: a request in a busy region has
    thousands of candidates.

    With ``best`` on PostgreSQL the database ranks the candidates by the score computed
    in SQL and returns a few more than asked; Python scores those exactly. If the last
    one returned could still rank among the best (within SCORE_SQL_SLACK, or too few
    fit), every candidate is read and scored, so the answer is always the exact one."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    lots = lot_candidates_for_wanted(wanted, now=now).filter(quantity__gt=F("quantity_reserved"))
    if lot_ids is not None:
        lots = lots.filter(pk__in=lot_ids)
    if new_only and Match.objects.filter(wanted_id=wanted.pk).exists():
        lots = lots.exclude(
            Exists(Match.objects.filter(lot_id=OuterRef("pk"), wanted_id=wanted.pk))
        )
    site = wanted.site if wanted.site_id is not None else None
    site_latitude = float(site.latitude) if site else None
    site_longitude = float(site.longitude) if site else None

    def scored(rows) -> list[Fit]:
        fits = []
        for pk, path, latitude, longitude, quantity, reserved, rank, until, *_rough in rows:
            fit = _fit(
                lot_path=path,
                lot_latitude=float(latitude),
                lot_longitude=float(longitude),
                available=quantity - reserved,
                lot_condition_rank=rank,
                available_until=until,
                wanted_path=wanted.category_path,
                site_latitude=site_latitude,
                site_longitude=site_longitude,
                max_distance_km=wanted.max_distance_km,
                wanted_quantity=wanted.quantity,
                min_condition_rank=wanted.min_condition_rank,
                today=today,
            )
            if fit:
                fits.append((pk, wanted.pk, *fit))
        fits.sort(key=_rank)
        return fits

    lots = lots.order_by()
    if best is not None and connection.vendor == "postgresql":
        limit = best + SCORE_SQL_EXTRA_ROWS
        ranked = lots.annotate(rough=_score_sql(wanted, site_latitude, site_longitude, today))
        rows = list(ranked.order_by("-rough", "pk").values_list(*_LOT_VALUES, "rough")[:limit])
        fits = scored(rows)
        if len(rows) < limit:  # every candidate was read
            return fits[:best]
        # Lots not read rank at most as high as the last one read in SQL. Where that one
        # might still beat the K-th (equal scores over many lots: anywhere in a region),
        # read every candidate that might, still ranked in the database.
        if len(fits) >= best:
            floor = fits[best - 1][2] - SCORE_SQL_SLACK
            if rows[-1][-1] < floor:
                return fits[:best]
            rest = ranked.filter(rough__gte=floor)
            return scored(rest.values_list(*_LOT_VALUES, "rough"))[:best]
    fits = scored(lots.values_list(*_LOT_VALUES))
    return fits if best is None else fits[:best]


def wanted_best(wanted: WantedRequest, *, now=None, lot_ids=None) -> list[Fit]:
    """The request's K best fitting lots now, best first (the top-K rule)."""
    return wanted_fits(wanted, now=now, lot_ids=lot_ids, best=matches_per_request())


# The same score for one lot against many requests (their sites joined), to leave out in
# the database the requests whose K-th match the lot cannot beat.
_LOT_SCORE_SQL = """
    0.3::float8 * (CASE WHEN matching_wantedrequest.category_path = %s
        THEN 1.0::float8 ELSE 0.7::float8 END)
    + 0.25::float8 * (CASE WHEN matching_wantedrequest.site_id IS NULL THEN 1.0::float8
        ELSE GREATEST(0.0::float8, 1.0::float8
        - 2.0::float8 * 6371.0::float8 * ASIN(LEAST(1.0::float8, SQRT(
        POWER(SIN((%s::float8 - RADIANS(organisations_site.latitude::float8)) / 2.0::float8), 2)
        + COS(RADIANS(organisations_site.latitude::float8)) * %s::float8
        * POWER(SIN(RADIANS(%s::float8 - organisations_site.longitude::float8) / 2.0::float8), 2)
        ))) / matching_wantedrequest.max_distance_km::float8) END)
    + 0.25::float8 * LEAST(%s::float8 / matching_wantedrequest.quantity::float8, 1.0::float8)
    + 0.1::float8 * (0.5::float8
        + 0.5::float8 * (%s - matching_wantedrequest.min_condition_rank)::float8 / 3.0::float8)
    + 0.1::float8 * %s::float8
"""


def _lot_score_sql(lot: Lot, today) -> RawSQL:
    p2 = math.radians(float(lot.latitude))
    days_left = (lot.available_until - today).days
    return RawSQL(  # noqa: S611 (constant SQL, every value a bound parameter)
        _LOT_SCORE_SQL,
        [
            lot.category.path,
            p2,
            math.cos(p2),
            float(lot.longitude),
            lot.quantity - lot.quantity_reserved,
            lot.condition_rank,
            min(max(days_left, 0) / 30, 1.0),
        ],
        output_field=FloatField(),
    )


def lot_fits(
    lot: Lot,
    *,
    now=None,
    new_only: bool = False,
    matched_before=None,
    entering_only: bool = False,
    has_matches: bool | None = None,
) -> tuple[list[Fit], dict[int, int], dict[int, tuple]]:
    """The open requests a published lot fits now, the requesting organisation of each,
    and each one's floor (the score and lot of its K-th match, or None); with
    ``new_only``, those not matched with it yet; with ``matched_before``, only requests
    last matched before then (or never); with ``entering_only``, on PostgreSQL, the
    requests whose floor the lot cannot reach (by the score in SQL, SCORE_SQL_SLACK
    below it) are left out in the database. ``has_matches`` False says the lot has no
    matches (the caller read it for many lots at once)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    requests = wanted_candidates_for_lot(lot, now=now)
    if entering_only and connection.vendor == "postgresql":
        requests = requests.annotate(rough=_lot_score_sql(lot, today)).filter(
            Q(match_floor__isnull=True) | Q(rough__gte=F("match_floor") - SCORE_SQL_SLACK)
        )
    if matched_before is not None:
        requests = requests.filter(Q(matched_at__isnull=True) | Q(matched_at__lt=matched_before))
    if new_only and has_matches is None:
        has_matches = Match.objects.filter(lot_id=lot.pk).exists()
    if new_only and has_matches:
        requests = requests.exclude(
            Exists(Match.objects.filter(wanted_id=OuterRef("pk"), lot_id=lot.pk))
        )
    lot_latitude, lot_longitude = float(lot.latitude), float(lot.longitude)
    available = lot.quantity - lot.quantity_reserved
    fits, organisations, floors = [], {}, {}
    for (
        pk,
        organisation_id,
        path,
        latitude,
        longitude,
        km,
        quantity,
        rank,
        floor,
        floor_lot_id,
    ) in requests.values_list(*_WANTED_VALUES).order_by():
        scored = _fit(
            lot_path=lot.category.path,
            lot_latitude=lot_latitude,
            lot_longitude=lot_longitude,
            available=available,
            lot_condition_rank=lot.condition_rank,
            available_until=lot.available_until,
            wanted_path=path,
            site_latitude=None if latitude is None else float(latitude),
            site_longitude=None if longitude is None else float(longitude),
            max_distance_km=km,
            wanted_quantity=quantity,
            min_condition_rank=rank,
            today=today,
        )
        if scored:
            fits.append((lot.pk, pk, *scored))
            organisations[pk] = organisation_id
            floors[pk] = (floor, floor_lot_id)
    return fits, organisations, floors


_INSERT_MATCHES = """
    INSERT INTO matching_match
        (created_at, updated_at, lot_id, wanted_id, score, reasons, status, notified_at, ranked)
    SELECT %s, %s, t.lot_id, t.wanted_id, t.score, t.reasons::jsonb, %s, t.notified_at, TRUE
    FROM unnest(%b::bigint[], %b::bigint[], %b::float8[], %b::text[], %b::timestamptz[])
        AS t(lot_id, wanted_id, score, reasons, notified_at)
    ON CONFLICT (lot_id, wanted_id) DO NOTHING
    RETURNING id, lot_id, wanted_id
"""


def _insert_matches_postgresql(fits: list[Fit], notified_at: list) -> list[Match]:
    """One INSERT ... SELECT FROM unnest(...) ON CONFLICT DO NOTHING RETURNING, its
    arrays bound on the server: Django's bulk_create quotes every value into the SQL
    text in Python, which costs more than the insert itself for thousands of rows."""
    now = timezone.now()
    params = [
        now,
        now,
        MatchStatus.NEW.value,
        [f[0] for f in fits],
        [f[1] for f in fits],
        [f[2] for f in fits],
        [json.dumps(f[3]) for f in fits],
        notified_at,
    ]
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:  # Django's binds client-side
        cursor.execute(_INSERT_MATCHES, params)
        inserted = {(lot_id, wanted_id): pk for pk, lot_id, wanted_id in cursor.fetchall()}
    matches = []
    for (lot_id, wanted_id, score, reasons), notified in zip(fits, notified_at, strict=True):
        pk = inserted.get((lot_id, wanted_id))
        if pk is not None:
            matches.append(
                _loaded_match(
                    id=pk,
                    created_at=now,
                    updated_at=now,
                    lot_id=lot_id,
                    wanted_id=wanted_id,
                    score=score,
                    reasons=reasons,
                    status=MatchStatus.NEW.value,
                    claim_id=None,
                    notified_at=notified,
                    ranked=True,
                )
            )
    return matches


def _loaded_match(**values) -> Match:
    """A Match as if read from the database, without Model.__init__ (which costs more
    than the INSERT of the row when there are hundreds): every concrete field's value
    goes straight into the instance, as Django's own loading does after __init__."""
    match = Match.__new__(Match)
    match.__dict__.update(values)
    match._state = ModelState()
    match._state.adding, match._state.db = False, connection.alias
    return match


def _insert_matches(fits: list[Fit], notified_at: list) -> list[Match]:
    """Insert the pairs that are not matched yet; returns the matches this call made
    (a concurrent job may have matched some pairs in between: the unique constraint
    decides, and those come back from that job only)."""
    if connection.vendor == "postgresql":
        return _insert_matches_postgresql(fits, notified_at)
    fresh = [
        Match(lot_id=lot_id, wanted_id=wanted_id, score=score, reasons=reasons, notified_at=when)
        for (lot_id, wanted_id, score, reasons), when in zip(fits, notified_at, strict=True)
    ]
    try:
        with transaction.atomic():
            Match.objects.bulk_create(fresh, batch_size=2000)
        return fresh
    except IntegrityError:
        existing = set(
            Match.objects.filter(
                lot_id__in={m.lot_id for m in fresh}, wanted_id__in={m.wanted_id for m in fresh}
            ).values_list("lot_id", "wanted_id")
        )
        mine = [
            Match(
                lot_id=m.lot_id,
                wanted_id=m.wanted_id,
                score=m.score,
                reasons=m.reasons,
                notified_at=m.notified_at,
            )
            for m in fresh
            if (m.lot_id, m.wanted_id) not in existing
        ]
        with transaction.atomic():
            Match.objects.bulk_create(mine)
        return mine


def _save_matches(fits: list[Fit], organisations: dict[int, int]) -> list[Match]:
    """Insert the pairs not matched before and notify the requesting organisations;
    returns the new matches, best first. ``organisations`` maps the fits' wanted
    request ids to their organisations."""
    if not fits:
        return []
    people = _people(set(organisations.values()))
    now = timezone.now()
    # A match whose organisation has nobody to tell is notified as it is made.
    notified_at = [None if people.get(organisations[f[1]]) else now for f in fits]
    matches = _insert_matches(fits, notified_at)
    matches_notify(
        [m for m in matches if m.notified_at is None],
        organisations=organisations,
        people=people,
    )
    matches.sort(key=lambda m: (-m.score, -m.pk))
    return matches


def match_lot(*, lot_id: int, now=None, matched_before=None) -> list[Match]:
    """Match one lot against the open requests of organisations that may claim it now:
    it becomes a match of each request whose K best it enters, pushing that request's
    K-th match out. Returns the new matches, best first."""
    now = now or timezone.now()
    lot = Lot.objects.select_related("category").filter(pk=lot_id).first()
    if lot is None:
        return []
    fits, organisations, floors = lot_fits(
        lot, now=now, new_only=True, matched_before=matched_before, entering_only=True
    )
    entering = [f for f in fits if _outranks(f[2], f[0], *floors[f[1]])]
    with transaction.atomic():
        matches = _save_matches(entering, organisations)
        _rebalance({m.wanted_id for m in matches})
        _lots_stamp([lot.pk], now)
    return matches


def matches_lots_repair(*, lot_ids, now=None, matched_before=None) -> int:
    """match_lot for many lots, ``REMATCH_CHUNK`` at a time: the lots, and which have
    matches, read once a chunk; one candidate query per lot; one INSERT, one round of
    notices, one rebalance of the requests entered and one stamp a chunk. Returns how
    many new matches it made."""
    now = now or timezone.now()
    lot_ids = list(lot_ids)
    created = 0
    for start in range(0, len(lot_ids), REMATCH_CHUNK):
        chunk = lot_ids[start : start + REMATCH_CHUNK]
        matched = set(
            Match.objects.filter(lot_id__in=chunk).values_list("lot_id", flat=True).distinct()
        )
        entering, organisations = [], {}
        for lot in Lot.objects.select_related("category").filter(pk__in=chunk):
            fits, requesters, floors = lot_fits(
                lot,
                now=now,
                new_only=True,
                matched_before=matched_before,
                entering_only=True,
                has_matches=lot.pk in matched,
            )
            entering.extend(f for f in fits if _outranks(f[2], f[0], *floors[f[1]]))
            organisations.update(requesters)
        with transaction.atomic():
            matches = _save_matches(entering, organisations)
            _rebalance({m.wanted_id for m in matches})
            _lots_stamp(chunk, now)
        created += len(matches)
    return created


def match_wanted(*, wanted_id: int, now=None) -> list[Match]:
    """Match one open request against the lots its organisation may claim now: its
    matches become its K best fitting lots. Returns the new matches, best first."""
    now = now or timezone.now()
    wanted = (
        WantedRequest.objects.select_related("site", "organisation")
        .filter(pk=wanted_id, status=WantedStatus.OPEN)
        .first()
    )
    if wanted is None or wanted.valid_until < timezone.localdate(now):
        return []
    with transaction.atomic():
        return _settle([(wanted, wanted_best(wanted, now=now))], now)


def _settle(ranked: list[tuple[WantedRequest, list[Fit]]], now) -> list[Match]:
    """Make each request's matches its K best fits (given, best first): new pairs are
    matched and notified, matches among the K are ranked (with today's score), the
    others are pushed out; then the requests' floors and matched_at are written."""
    if not ranked:
        return []
    k = matches_per_request()
    best = {wanted.pk: {f[0]: f for f in fits} for wanted, fits in ranked}
    existing: dict[int, dict[int, tuple]] = {pk: {} for pk in best}
    for pk, wanted_id, lot_id, status, is_ranked, score in Match.objects.filter(
        wanted_id__in=best
    ).values_list("pk", "wanted_id", "lot_id", "status", "ranked", "score"):
        existing[wanted_id][lot_id] = (pk, status, is_ranked, score)
    fresh, rescored, pushed_out = [], [], []
    organisations = {wanted.pk: wanted.organisation_id for wanted, _ in ranked}
    for wanted, fits in ranked:
        have = existing[wanted.pk]
        for fit in fits:
            if fit[0] not in have:
                fresh.append(fit)
            else:
                pk, _status, is_ranked, score = have[fit[0]]
                if not is_ranked or score != fit[2]:
                    rescored.append((pk, fit[2], fit[3]))
        pushed_out.extend(
            (pk, status, organisations[wanted.pk])
            for lot_id, (pk, status, is_ranked, _score) in have.items()
            if is_ranked and lot_id not in best[wanted.pk]
        )
    _matches_rescore(rescored, now)
    _matches_push_out(pushed_out)
    matches = _save_matches(fresh, organisations)
    floors = []
    for wanted, fits in ranked:
        floor = fits[k - 1] if len(fits) >= k else None
        floors.append(
            (wanted.pk, floor and floor[2], floor and floor[0], now),
        )
    _wanted_floors_write(floors)
    return matches


def _rebalance(wanted_ids: set[int]) -> None:
    """After lots entered these requests' K best: push out what now ranks below the
    K-th, and write each request's new floor."""
    if not wanted_ids:
        return
    k = matches_per_request()
    ranked: dict[int, list[tuple]] = {pk: [] for pk in wanted_ids}
    for row in Match.objects.filter(wanted_id__in=wanted_ids, ranked=True).values_list(
        "lot_id", "wanted_id", "score", "pk", "status", "wanted__organisation_id"
    ):
        ranked[row[1]].append(row)
    pushed_out, floors = [], []
    for wanted_id, rows in ranked.items():
        rows.sort(key=_rank)
        pushed_out.extend((pk, status, organisation) for *_, pk, status, organisation in rows[k:])
        if len(rows) >= k:
            floors.append((wanted_id, rows[k - 1][2], rows[k - 1][0], None))
    _matches_push_out(pushed_out)
    _wanted_floors_write(floors)


def _matches_push_out(rows: list[tuple[int, str, int]]) -> int:
    """(match id, status, organisation id) of matches no longer among their request's K
    best, or whose lot or request closed. A `new` match nobody has read or had by
    e-mail is deleted, with its unread notices: replaced by a better one before anyone
    looked. One that people were told of or acted on stays, no longer ranked. Returns
    how many were deleted."""
    if not rows:
        return 0
    from exchange.notifications.models import Notification

    fresh = {pk: organisation for pk, status, organisation in rows if status == MatchStatus.NEW}
    users = [user.pk for people in _people(set(fresh.values())).values() for user in people]
    notices = Notification.objects.filter(
        user_id__in=users, key__in=[f"match:{pk}" for pk in fresh]
    )
    told = set()
    if users:
        told = {
            int(key.split(":")[1])
            for key in notices.filter(Q(read_at__isnull=False) | Q(emailed_at__isnull=False))
            .values_list("key", flat=True)
            .distinct()
        }
    gone = [pk for pk in fresh if pk not in told]
    if gone and users:
        notices.filter(key__in=[f"match:{pk}" for pk in gone]).delete()
    Match.objects.filter(pk__in=gone).delete()
    gone_set = set(gone)
    kept = [pk for pk, _status, _organisation in rows if pk not in gone_set]
    Match.objects.filter(pk__in=kept, ranked=True).update(ranked=False)
    return len(gone)


def _matches_rescore(rows: list[tuple[int, float, dict]], now) -> None:
    """(match id, score, reasons): matches ranked again, with today's score."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        with psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(
                """UPDATE matching_match AS m SET score = t.score, reasons = t.reasons::jsonb,
                       ranked = TRUE, updated_at = %s
                   FROM unnest(%b::bigint[], %b::float8[], %b::text[]) AS t(id, score, reasons)
                   WHERE m.id = t.id""",
                [now, [r[0] for r in rows], [r[1] for r in rows], [json.dumps(r[2]) for r in rows]],
            )
        return
    for pk, score, reasons in rows:
        Match.objects.filter(pk=pk).update(
            score=score, reasons=reasons, ranked=True, updated_at=now
        )


def _wanted_floors_write(rows: list[tuple]) -> None:
    """(request id, floor score, floor lot id, matched_at or None to keep it)."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        with psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(
                """UPDATE matching_wantedrequest AS w SET match_floor = t.floor,
                       match_floor_lot_id = t.lot_id,
                       matched_at = COALESCE(t.matched_at, w.matched_at)
                   FROM unnest(%b::bigint[], %b::float8[], %b::bigint[], %b::timestamptz[])
                       AS t(id, floor, lot_id, matched_at)
                   WHERE w.id = t.id""",
                [
                    [r[0] for r in rows],
                    [r[1] for r in rows],
                    [r[2] for r in rows],
                    [r[3] for r in rows],
                ],
            )
        return
    for pk, floor, lot_id, matched_at in rows:
        changes = {"match_floor": floor, "match_floor_lot_id": lot_id}
        if matched_at is not None:
            changes["matched_at"] = matched_at
        WantedRequest.objects.filter(pk=pk).update(**changes)


def _lots_stamp(lot_ids, now) -> None:
    """Record that these lots were matched against every open request at ``now``."""
    LotMatchState.objects.bulk_create(
        [LotMatchState(lot_id=pk, matched_at=now) for pk in lot_ids],
        update_conflicts=True,
        unique_fields=["lot"],
        update_fields=["matched_at"],
        batch_size=2000,
    )


REMATCH_CHUNK = 200


def matches_rematch(*, wanted_ids, now=None) -> int:
    """Match the given open requests against the lots, ``REMATCH_CHUNK`` requests at a
    time: one ranked candidate query per request, then one read of their matches, one
    INSERT, one round of notices and one update of floors per chunk. Returns how many
    new matches it made."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    wanted_ids = list(wanted_ids)
    created = 0
    for start in range(0, len(wanted_ids), REMATCH_CHUNK):
        requests = WantedRequest.objects.select_related("site", "organisation").filter(
            pk__in=wanted_ids[start : start + REMATCH_CHUNK],
            status=WantedStatus.OPEN,
            valid_until__gte=today,
        )
        ranked = [(wanted, wanted_best(wanted, now=now)) for wanted in requests]
        with transaction.atomic():
            created += len(_settle(ranked, now))
    return created


def lots_due_for_matching(*, now=None) -> QuerySet[Lot]:
    """Published lots to match again: never matched (their job was lost), changed since
    (units claimed or given back, edited, published again), or a claim window opened
    since they were last matched."""
    now = now or timezone.now()
    matched = F("match_state__matched_at")
    return Lot.objects.filter(status=LotStatus.PUBLISHED).filter(
        Q(match_state__isnull=True)
        | Q(updated_at__gt=matched)
        | Q(social_economy_opens_at__gt=matched, social_economy_opens_at__lte=now)
        | Q(open_opens_at__gt=matched, open_opens_at__lte=now)
    )


def matches_rematch_all(*, now=None, full: bool = False) -> dict[str, int]:
    """The nightly repair sweep: expire old requests; push out ranked matches whose lot
    is no longer claimable or whose request closed (their requests are matched again,
    to take the next best lots); match the requests made or changed since they were
    last matched, then the lots due (``lots_due_for_matching``) against the requests
    this sweep did not match. ``full`` matches every open request again instead: the
    complete recomputation, for operators (``manage.py matches_rematch --full``)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    expired = WantedRequest.objects.filter(status=WantedStatus.OPEN, valid_until__lt=today).update(
        status=WantedStatus.EXPIRED, updated_at=now
    )
    stale = list(
        Match.objects.filter(ranked=True)
        .filter(~Q(lot__status=LotStatus.PUBLISHED) | ~Q(wanted__status=WantedStatus.OPEN))
        .values_list("pk", "status", "wanted__organisation_id", "wanted_id", "wanted__status")
    )
    with transaction.atomic():
        deleted = _matches_push_out([row[:3] for row in stale])
        WantedRequest.objects.filter(
            pk__in={row[3] for row in stale if row[4] == WantedStatus.OPEN}
        ).update(matched_at=None)
    requests = WantedRequest.objects.filter(status=WantedStatus.OPEN, valid_until__gte=today)
    if not full:
        requests = requests.filter(Q(matched_at__isnull=True) | Q(updated_at__gt=F("matched_at")))
    wanted_ids = list(requests.order_by("pk").values_list("pk", flat=True))
    created = matches_rematch(wanted_ids=wanted_ids, now=now)
    lot_ids = list(lots_due_for_matching(now=now).order_by("pk").values_list("pk", flat=True))
    others = WantedRequest.objects.filter(
        status=WantedStatus.OPEN, valid_until__gte=today, matched_at__lt=now
    )
    if others.exists():
        created += matches_lots_repair(lot_ids=lot_ids, now=now, matched_before=now)
    else:  # every open request was matched just now, against every lot
        _lots_stamp(lot_ids, now)
    return {
        "expired": expired,
        "expired_matches": len(stale),
        "deleted_matches": deleted,
        "requests": len(wanted_ids),
        "lots": len(lot_ids),
        "created": created,
    }


# --- Notifications -----------------------------------------------------------------

MATCH_TITLE = gettext_noop("A lot fits what you need: %(lot)s")


def _people(organisation_ids: set[int]) -> dict[int, list]:
    """The active people of each organisation, read at once."""
    people: dict[int, list] = {}
    for membership in Membership.objects.select_related("user").filter(
        organisation_id__in=organisation_ids, user__is_active=True
    ):
        people.setdefault(membership.organisation_id, []).append(membership.user)
    return people


def matches_notify(
    matches: list[Match],
    *,
    organisations: dict[int, int] | None = None,
    people: dict[int, list] | None = None,
) -> None:
    """In-app notice for each new match to the requesting organisation's people, once;
    e-mail at once for those who asked, else in the daily digest.

    ``organisations`` (wanted request id -> organisation id) and ``people``
    (organisation id -> users) may come from the caller; the matches are loaded with
    what the notice shows only where somebody reads it."""
    from exchange.notifications.services import notify_users

    if not matches:
        return
    if organisations is None or any(m.wanted_id not in organisations for m in matches):
        organisations = dict(
            WantedRequest.objects.filter(pk__in={m.wanted_id for m in matches}).values_list(
                "pk", "organisation_id"
            )
        )
    if people is None:
        people = _people(set(organisations.values()))
    told = [m.pk for m in matches if people.get(organisations[m.wanted_id])]
    for match in Match.objects.filter(pk__in=told).select_related(
        "lot__owner", "lot__site", "wanted__category", "wanted__organisation"
    ):
        users = people[organisations[match.wanted_id]]
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
    now = timezone.now()
    Match.objects.filter(pk__in=[m.pk for m in matches], notified_at__isnull=True).update(
        notified_at=now
    )
    for match in matches:
        match.notified_at = match.notified_at or now


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
