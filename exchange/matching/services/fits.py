"""Which lots fit which requests, and how well (docs/design.md §4): candidates are chosen in the
database (category subtree, condition, an indexed latitude/longitude box, claim
windows), and only those few are scored in Python. A request's best fits are its K best
fitting lots (EXCHANGE_MATCHES_PER_REQUEST). Reads only: the engine writes the matches."""

import datetime

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from exchange.categories.models import Category
from exchange.categories.selectors import subtree_condition
from exchange.common.geo import distance_km
from exchange.lots.eligibility import claimable_lots, organisations_admitted
from exchange.lots.models import Lot, LotStatus
from exchange.matching.models import Match, WantedRequest, WantedStatus
from exchange.matching.scoring import match_score, match_score_expression

# --- Candidates ------------------------------------------------------------------


def _ancestor_paths(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


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
        .filter(organisations_admitted(tier, today, prefix="organisation__"))
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
    lots = lots.filter(claimable_lots(wanted.organisation, now))
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


# The database ranks a request's candidates by the score in SQL (scoring.py); Python's
# score (rounded to 4 places) stays the one that counts, and SCORE_SQL_SLACK covers the
# rounding between the two (half the last place, and float noise).
SCORE_SQL_SLACK = 1e-4
SCORE_SQL_EXTRA_ROWS = 20


def wanted_score_expression(wanted: WantedRequest, today: datetime.date):
    """The score of each lot for this request, in SQL (over lots)."""
    site = wanted.site if wanted.site_id is not None else None
    return match_score_expression(
        lot_category=F("category_id"),
        wanted_category=wanted.category_id,
        site_latitude=float(site.latitude) if site else None,
        site_longitude=float(site.longitude) if site else None,
        lot_latitude=F("latitude"),
        lot_longitude=F("longitude"),
        max_distance_km=wanted.max_distance_km,
        available=F("quantity") - F("quantity_reserved"),
        wanted_quantity=wanted.quantity,
        lot_condition_rank=F("condition_rank"),
        min_condition_rank=wanted.min_condition_rank,
        available_until=F("available_until"),
        today=today,
    )


def wanted_fits(
    wanted: WantedRequest, *, now=None, new_only: bool = False, lot_ids=None, best=None
) -> list[Fit]:
    """The lots that fit an open request now (among ``lot_ids`` if given), best first;
    with ``new_only``, those not matched with it yet; with ``best``, only the ``best``
    first of them. Reads plain values, not models: a request in a busy region has
    thousands of candidates.

    With ``best`` the database ranks the candidates by the score computed
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
    if best is not None:
        limit = best + SCORE_SQL_EXTRA_ROWS
        ranked = lots.annotate(rough=wanted_score_expression(wanted, today))
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


def lot_score_expression(lot: Lot, today: datetime.date):
    """The score of this lot for each request (its site joined), in SQL (over requests):
    to leave out in the database the requests whose K-th match the lot cannot beat."""
    return match_score_expression(
        lot_category=lot.category.path,
        wanted_category=F("category_path"),
        site_latitude=F("site__latitude"),
        site_longitude=F("site__longitude"),
        lot_latitude=float(lot.latitude),
        lot_longitude=float(lot.longitude),
        max_distance_km=F("max_distance_km"),
        available=lot.quantity - lot.quantity_reserved,
        wanted_quantity=F("quantity"),
        lot_condition_rank=lot.condition_rank,
        min_condition_rank=F("min_condition_rank"),
        available_until=lot.available_until,
        today=today,
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
    last matched before then (or never); with ``entering_only``, the
    requests whose floor the lot cannot reach (by the score in SQL, SCORE_SQL_SLACK
    below it) are left out in the database. ``has_matches`` False says the lot has no
    matches (the caller read it for many lots at once)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    requests = wanted_candidates_for_lot(lot, now=now)
    if entering_only:
        requests = requests.annotate(rough=lot_score_expression(lot, today)).filter(
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
