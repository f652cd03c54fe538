"""Which lots fit which requests, and how well (docs/design.md §4): candidates are chosen in the
database (category subtree, condition, an indexed latitude/longitude box, claim
windows), and only those few are scored in Python. A request's best fits are its K best
fitting lots (EXCHANGE_MATCHES_PER_REQUEST). Reads only: the engine writes the matches."""

import datetime

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.utils import timezone

from exchange.categories.models import Category
from exchange.categories.selectors import subtree_condition, subtrees
from exchange.common.collector import gc_paused
from exchange.common.geo import distance_km, distance_km_array
from exchange.common.sql import array_literal
from exchange.lots.dimensions import (
    MAX_SIZE_FIELDS,
    SIZE_FIELDS,
    lots_fitting,
    requests_admitting,
    size_array,
    size_fits_array,
    wanted_size_limit,
)
from exchange.lots.eligibility import (
    OPENS_AT_FIELD,
    TIERS,
    claim_window_index,
    claimable_lots,
    organisations_admitted,
)
from exchange.lots.models import Lot, LotStatus
from exchange.matching.models import Match, WantedRequest, WantedStatus
from exchange.matching.scoring import (
    SCORE_PLACES,
    match_reasons_array,
    match_score,
    match_score_array,
    match_score_expression,
    rounded_score_array,
    score_rounded,
)

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
        .filter(requests_admitting(lot.size))
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
    lots = lots.filter(lots_fitting(wanted_size_limit(wanted)))
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


# --- Many requests at once -------------------------------------------------------------

# Pairs looked at in one step: a block of requests against the lots of their category
# subtree that lie in the band of latitudes their boxes span (or in their region); a
# block this small grows whatever its waste; requests go in strips of this many degrees
# of longitude.
BLOCK_CELLS = 400_000
SMALL_BLOCK_CELLS = 32_000
LONGITUDE_STRIP_DEGREES = 0.5
# Where a distance lies this close to a request's limit, numpy's last bits could tip
# the rule: distance_km decides.
DISTANCE_DOUBT_KM = 1e-7
_UNITS = 10**SCORE_PLACES
# The lot fields of the windows after the first (which opens at publication).
_WINDOW_FIELDS = tuple(OPENS_AT_FIELD[tier] for tier in TIERS[1:])


def value_rows(query: QuerySet) -> list[tuple]:
    """``list(query)`` of a ``values_list`` query. On PostgreSQL the rows as the driver
    reads them, each value already of its Python type (a cast to double precision a
    float, a date a date), without Django converting every value of every row in
    Python: for the thousands of rows the set-based engine reads, that cost more than
    the query."""
    if connection.vendor != "postgresql":
        return list(query)
    sql, params = query.query.get_compiler(query.db).as_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _lot_arrays(lots: QuerySet[Lot], now) -> dict[str, np.ndarray]:
    """The published lots with something left, one array a column, in the order of
    their ids (so that an index into them orders as the ids do)."""
    rows = value_rows(
        lots.filter(status=LotStatus.PUBLISHED, quantity__gt=F("quantity_reserved"))
        .annotate(
            lat=Cast("latitude", FloatField()),
            lon=Cast("longitude", FloatField()),
            left=F("quantity") - F("quantity_reserved"),
            **{
                f"open_{field}": ExpressionWrapper(
                    Q(**{f"{field}__lte": now}), output_field=BooleanField()
                )
                for field in _WINDOW_FIELDS
            },
        )
        .order_by("pk")
        .values_list(
            "pk",
            "category_id",
            "owner_id",
            "lat",
            "lon",
            "left",
            "condition_rank",
            "available_until",
            "region",
            *(f"open_{field}" for field in _WINDOW_FIELDS),
            *SIZE_FIELDS,
        )
    )
    width = 9 + len(_WINDOW_FIELDS) + len(SIZE_FIELDS)
    columns = list(zip(*rows, strict=True)) if rows else [()] * width
    arrays = {
        "id": np.array(columns[0], dtype=np.int64),
        "category": np.array(columns[1], dtype=np.int64),
        "owner": np.array(columns[2], dtype=np.int64),
        "lat": np.array(columns[3], dtype=np.float64),
        "lon": np.array(columns[4], dtype=np.float64),
        "available": np.array(columns[5], dtype=np.int64),
        "rank": np.array(columns[6], dtype=np.int64),
        "until": np.array([day.toordinal() for day in columns[7]], dtype=np.int64),
        "region": np.array(columns[8], dtype=object),
    }
    # Row 0: every published lot (the first window opens at publication); then one row
    # for each later window: whether it had opened by now.
    opened = [np.ones(len(rows), dtype=bool)]
    opened += [np.array(columns[9 + i], dtype=bool) for i in range(len(_WINDOW_FIELDS))]
    arrays["opened"] = np.vstack(opened)
    arrays["size"] = size_array([row[-len(SIZE_FIELDS) :] for row in rows])
    return arrays


# (request index, lot index, score in units of the last place, distance or None)
_Kept = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]
_ROW_SHIFT, _UNITS_SHIFT, _INDEX_BITS = 44, 30, (1 << 30) - 1


def _block_fits(
    lots: dict,
    columns: np.ndarray,
    requests: dict,
    rows: np.ndarray,
    *,
    with_site: bool,
    today_ordinal: int,
    k: int,
    exact_score,
) -> _Kept | None:
    """The K best fitting lots (indices ``columns``, among them) of each request
    (indices ``rows``) of a block, every pair checked and scored at once.
    ``exact_score(request index, lot index)`` gives _fit's (units, distance) or None,
    for the pairs whose distance lies on the request's limit, or whose rounding the
    last bits of numpy's distance could tip."""
    fit = (lots["rank"][columns][None, :] >= requests["min_rank"][rows][:, None]) & (
        lots["owner"][columns][None, :] != requests["organisation"][rows][:, None]
    )
    fit &= size_fits_array(lots["size"][columns], requests["max_size"][rows])
    windows = requests["window"][rows]
    if windows.any():  # some may claim only from a later window on
        fit &= lots["opened"][:, columns][windows]
    if with_site:
        lat, lon = lots["lat"][columns][None, :], lots["lon"][columns][None, :]
        fit &= (lat >= requests["min_lat"][rows][:, None]) & (
            lat <= requests["max_lat"][rows][:, None]
        )
        fit &= (lon >= requests["min_lon"][rows][:, None]) & (
            lon <= requests["max_lon"][rows][:, None]
        )
    else:  # anywhere in the request's region
        fit &= lots["region_code"][columns][None, :] == requests["region_code"][rows][:, None]
    r, c = np.nonzero(fit)
    if not len(r):
        return None
    request, index = rows[r], columns[c]
    distance = None
    if with_site:
        distance = distance_km_array(
            requests["site_lat"][request],
            requests["site_lon"][request],
            lots["lat"][index],
            lots["lon"][index],
        )
        limit = requests["max_km"][request]
        on_limit = np.abs(distance - limit) < DISTANCE_DOUBT_KM
        keep = (distance <= limit) | on_limit
        request, index, distance, r = request[keep], index[keep], distance[keep], r[keep]
        on_limit = on_limit[keep]
    weighted = match_score_array(
        exact=lots["category"][index] == requests["category"][request],
        distance=distance,
        max_distance_km=None if distance is None else requests["max_km"][request],
        available=lots["available"][index],
        wanted_quantity=requests["quantity"][request],
        lot_condition_rank=lots["rank"][index],
        min_condition_rank=requests["min_rank"][request],
        days_left=lots["until"][index] - today_ordinal,
    )
    units, doubtful = rounded_score_array(weighted)
    # Where no distance enters the score (anywhere in a region, a lot at the site
    # itself), numpy's double is match_score's: round() decides. Elsewhere _fit does.
    exact = np.zeros(len(units), dtype=bool)
    if distance is not None:
        exact = on_limit | (doubtful & (distance != 0))
        doubtful &= ~exact
    for position in np.flatnonzero(doubtful):
        units[position] = round(score_rounded(float(weighted[position])) * _UNITS)
    if exact.any():
        keep = np.ones(len(units), dtype=bool)
        for position in np.flatnonzero(exact):
            scored = exact_score(int(request[position]), int(index[position]))
            if scored is None:
                keep[position] = False
            else:
                units[position], distance[position] = scored
        request, index, units, r = request[keep], index[keep], units[keep], r[keep]
    # Best first within each request: the score, then the lower lot id (the lots are in
    # the order of their ids), as one integer key; one sort, then the first K of each.
    key = (r.astype(np.int64) << _ROW_SHIFT) | ((_UNITS - units) << _UNITS_SHIFT) | index
    key.sort()
    ordered_rows = key >> _ROW_SHIFT
    starts = np.flatnonzero(np.diff(ordered_rows, prepend=-1))
    first = np.repeat(starts, np.diff(starts, append=len(key)))
    best = key[(np.arange(len(key)) - first) < k]
    index = best & _INDEX_BITS
    request = rows[best >> _ROW_SHIFT]
    units = _UNITS - ((best >> _UNITS_SHIFT) & ((1 << (_ROW_SHIFT - _UNITS_SHIFT)) - 1))
    if with_site:  # the kept pairs' distances, for their reasons (to 0.1 km)
        distance = distance_km_array(
            requests["site_lat"][request],
            requests["site_lon"][request],
            lots["lat"][index],
            lots["lon"][index],
        )
        tenths = distance * 10
        for position in np.flatnonzero(np.abs(tenths - np.floor(tenths) - 0.5) < 1e-6):
            distance[position] = distance_km(
                float(requests["site_lat"][request[position]]),
                float(requests["site_lon"][request[position]]),
                float(lots["lat"][index[position]]),
                float(lots["lon"][index[position]]),
            )
    return request, index, units, distance


def _sited_blocks(band: np.ndarray, requests: dict, sited: np.ndarray):
    """Requests within a distance of a site, in blocks of neighbours: (rows, low, high),
    the block's requests and the slice of the lots (sorted by latitude: ``band``) that
    spans their boxes' latitudes. Requests go by strips of longitude, south to north;
    a block grows while it stays small, or while its pairs stay within twice those of
    its requests alone."""
    strip = np.floor(requests["site_lon"][sited] / LONGITUDE_STRIP_DEGREES)
    sited = sited[np.lexsort((requests["min_lat"][sited], strip))]
    low = np.searchsorted(band, requests["min_lat"][sited], side="left")
    high = np.searchsorted(band, requests["max_lat"][sited], side="right")
    start = 0
    while start < len(sited):
        end, lo, hi, alone = start + 1, low[start], high[start], high[start] - low[start]
        while end < len(sited):
            wider_lo, wider_hi = min(lo, low[end]), max(hi, high[end])
            cells = (end - start + 1) * (wider_hi - wider_lo)
            with_next = alone + high[end] - low[end]
            if cells > BLOCK_CELLS or cells > max(2 * with_next, SMALL_BLOCK_CELLS):
                break
            lo, hi, alone, end = wider_lo, wider_hi, with_next, end + 1
        if hi > lo:
            yield sited[start:end], lo, hi
        start = end


def ids_condition(ids: list[int], table: str) -> Q:
    """``pk__in=ids`` for many ids, with the ids' range too: where the ids lie close together (a run
    of new requests or lots), PostgreSQL reads that range of the primary key instead
    of the whole table. On PostgreSQL the ids go as one array: a list of thousands of
    parameters costs more to build and parse than the query takes to run (and one
    array literal less than psycopg's dumping of the list, element by element)."""
    if not ids:
        return Q(pk__in=[])
    if isinstance(ids, range) and ids.step == 1:  # a run of ids: their range says it all
        return Q(pk__gte=ids.start, pk__lt=ids.stop)
    low, high = min(ids), max(ids)
    if high - low + 1 == len(ids) == len(set(ids)):  # every id of a run, as a list
        return Q(pk__gte=low, pk__lte=high)
    if connection.vendor == "postgresql":
        condition = f'"{table}"."id" = ANY(%s::bigint[])'  # a model's table, ids bound
        listed = Q(RawSQL(condition, (array_literal(ids),), BooleanField()))  # noqa: S611
    else:
        listed = Q(pk__in=ids)
    return listed & Q(pk__gte=low, pk__lte=high)


# The cycle collector's passes were half the engine's CPU on 2 000 requests.
@gc_paused()
def wanted_best_many(wanted_ids, *, now=None, lot_ids=None) -> list[tuple[int, int, list[Fit]]]:
    """The K best fitting lots of many open requests at once (``wanted_best`` of each,
    among ``lot_ids`` if given): (request id, its organisation, its fits best first),
    for each open, valid request among ``wanted_ids``.

    Set-based: one read of the requests, one of the lots of their category subtrees;
    then, per category path, blocks of neighbouring requests (by strips of longitude
    and latitude, or by region) against the lots in the band of latitudes their boxes
    span (or in their region), every pair of a block checked and scored at once over
    arrays (the candidate rules of ``lot_candidates_for_wanted``, ``claim_window_from``
    for the windows, the exact distance of ``_fit``, the score of
    ``match_score_array``), and the K best of each request picked in one sort. Pairs
    whose distance or rounding the last bits of numpy's arithmetic could tip are
    scored by ``_fit``: the scores are match_score's, to the last bit."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    k = matches_per_request()
    wanted_ids = list(wanted_ids)
    if not wanted_ids:
        return []
    # Each request's organisation's window (claim_window_from), as the row of
    # _lot_arrays' "opened" that says which lots it may claim (-1: none).
    request_rows = value_rows(
        WantedRequest.objects.filter(status=WantedStatus.OPEN, valid_until__gte=today)
        .filter(ids_condition(wanted_ids, WantedRequest._meta.db_table))
        .annotate(
            site_lat=Cast("site__latitude", FloatField()),
            site_lon=Cast("site__longitude", FloatField()),
            window=claim_window_index(today, "organisation__"),
        )
        .order_by("pk")
        .values_list(
            "pk",
            "organisation_id",
            "category_id",
            "category_path",
            "quantity",
            "min_condition_rank",
            "region",
            "max_distance_km",
            "min_latitude",
            "max_latitude",
            "min_longitude",
            "max_longitude",
            "site_lat",
            "site_lon",
            *MAX_SIZE_FIELDS,
            "window",
        )
    )
    if not request_rows:
        return []
    columns = list(zip(*request_rows, strict=True))
    nan = float("nan")
    requests = {
        "id": np.array(columns[0], dtype=np.int64),
        "organisation": np.array(columns[1], dtype=np.int64),
        "category": np.array(columns[2], dtype=np.int64),
        "quantity": np.array(columns[4], dtype=np.int64),
        "min_rank": np.array(columns[5], dtype=np.int64),
        "window": np.array(columns[17], dtype=np.int64),
        "max_size": size_array([row[14:17] for row in request_rows]),
    }
    for position, name in enumerate(
        ("max_km", "min_lat", "max_lat", "min_lon", "max_lon", "site_lat", "site_lon"), start=7
    ):
        requests[name] = np.array(
            [nan if v is None else v for v in columns[position]], dtype=np.float64
        )
    paths = sorted(set(columns[3]))
    subtree, lot_paths = subtrees(paths)
    if lot_ids is None:
        lots_query = Lot.objects.filter(
            category_id__in={pk for ids in subtree.values() for pk in ids}
        )
    else:
        # Lots of other categories are read but never compared (each path takes the
        # lots of its subtree): with the categories in SQL too, PostgreSQL walked the
        # categories' index over the whole catalogue instead of the lots asked for.
        # A query of ids is read first: as a subquery, PostgreSQL scanned every lot.
        if hasattr(lot_ids, "values_list"):
            lot_ids = lot_ids.order_by().values_list("pk", flat=True)
        if not isinstance(lot_ids, range):
            lot_ids = list(lot_ids)
        lots_query = Lot.objects.filter(ids_condition(lot_ids, Lot._meta.db_table))
    lots = _lot_arrays(lots_query, now)
    by_category: dict[int, np.ndarray] = {}
    if len(lots["id"]):
        order = np.argsort(lots["category"], kind="stable")
        categories, starts = np.unique(lots["category"][order], return_index=True)
        by_category = dict(zip(categories.tolist(), np.split(order, starts[1:]), strict=True))
    today_ordinal = today.toordinal()

    def exact_score(request: int, index: int) -> tuple[int, float] | None:
        """_fit of one pair: (score in units of the last place, distance) or None."""
        row = request_rows[request]
        lat, lon = float(lots["lat"][index]), float(lots["lon"][index])
        scored = _fit(
            lot_path=lot_paths[int(lots["category"][index])],
            lot_latitude=lat,
            lot_longitude=lon,
            available=int(lots["available"][index]),
            lot_condition_rank=int(lots["rank"][index]),
            available_until=datetime.date.fromordinal(int(lots["until"][index])),
            wanted_path=row[3],
            site_latitude=row[12],
            site_longitude=row[13],
            max_distance_km=row[7],
            wanted_quantity=row[4],
            min_condition_rank=row[5],
            today=today,
        )
        if scored is None:
            return None
        return round(scored[0] * _UNITS), distance_km(row[12], row[13], lat, lon)

    path_of = np.array(columns[3], dtype=object)
    region_of = np.array(columns[6], dtype=object)
    # Regions as small integers, to compare them pair by pair.
    codes = {region: code for code, region in enumerate(sorted({*columns[6], *lots["region"]}))}
    requests["region_code"] = np.array([codes[region] for region in columns[6]], dtype=np.int64)
    lots["region_code"] = np.array([codes[region] for region in lots["region"]], dtype=np.int64)
    has_site = ~np.isnan(requests["site_lat"])
    kept: list[_Kept] = []
    block = {"today_ordinal": today_ordinal, "k": k, "exact_score": exact_score}
    for path in paths:
        parts = [by_category[pk] for pk in subtree[path] if pk in by_category]
        if not parts:
            continue
        group = np.concatenate(parts)
        group = group[np.argsort(lots["lat"][group], kind="stable")]
        in_path = (path_of == path) & (requests["window"] >= 0)
        band = lots["lat"][group]
        for rows, low, high in _sited_blocks(band, requests, np.flatnonzero(in_path & has_site)):
            candidates = group[low:high]
            lon = lots["lon"][candidates]
            west, east = requests["min_lon"][rows].min(), requests["max_lon"][rows].max()
            candidates = candidates[(lon >= west) & (lon <= east)]
            if len(candidates):
                kept.append(_block_fits(lots, candidates, requests, rows, with_site=True, **block))
        anywhere = np.flatnonzero(in_path & ~has_site)
        if len(anywhere) * len(group) <= SMALL_BLOCK_CELLS:  # few: every region at once
            kept.append(_block_fits(lots, group, requests, anywhere, **block, with_site=False))
            continue
        for region in sorted(set(region_of[anywhere].tolist())):
            rows = anywhere[region_of[anywhere] == region]
            there = group[lots["region"][group] == region]
            if not len(there):
                continue
            step = max(1, BLOCK_CELLS // len(there))
            for at in range(0, len(rows), step):
                kept.append(
                    _block_fits(
                        lots, there, requests, rows[at : at + step], **block, with_site=False
                    )
                )
    # The fits, with the reasons match_score gives, from the kept pairs' columns. Each
    # request is in one block, whose pairs come best first (_block_fits' sort).
    results: dict[int, list[Fit]] = {pk: [] for pk in columns[0]}
    kept = [part for part in kept if part is not None]
    sited = [part for part in kept if part[3] is not None]
    for parts in (sited, [part for part in kept if part[3] is None]):
        if not parts:
            continue
        request, index, units = (np.concatenate([part[i] for part in parts]) for i in range(3))
        distance = np.concatenate([part[3] for part in parts]) if parts is sited else None
        reasons = match_reasons_array(
            exact=lots["category"][index] == requests["category"][request],
            distance=distance,
            coverage=np.minimum(lots["available"][index] / requests["quantity"][request], 1.0),
            condition_margin=lots["rank"][index] - requests["min_rank"][request],
            days_left=lots["until"][index] - today_ordinal,
        )
        # A request's pairs lie together (one block each, sorted by request): a slice each.
        wanted_ids = requests["id"][request].tolist()
        lot_ids, scores = lots["id"][index].tolist(), (units / _UNITS).tolist()
        bounds = [*np.flatnonzero(np.diff(request)).tolist(), len(request) - 1]
        start = 0
        for end in bounds:
            wanted_id, end = wanted_ids[start], end + 1
            results[wanted_id] = list(
                zip(
                    lot_ids[start:end],
                    [wanted_id] * (end - start),
                    scores[start:end],
                    reasons[start:end],
                    strict=True,
                )
            )
            start = end
    organisation_of = dict(zip(columns[0], columns[1], strict=True))
    return [(pk, organisation_of[pk], fits) for pk, fits in results.items()]
