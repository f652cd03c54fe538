"""Reads on lots: what a person may see, and the catalogue's search and filters."""

import datetime
import functools
from collections import namedtuple
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from django.contrib.postgres.search import SearchQuery
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Field,
    Func,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
)
from django.db.models.expressions import RawSQL
from django.db.models.fields.files import FieldFile

from exchange.categories.models import Category
from exchange.categories.selectors import subtree_condition
from exchange.common.geo import distance_box, distance_km_expression
from exchange.common.prepared import prepared_cursor
from exchange.common.rows import ModelColumns
from exchange.lots.eligibility import claimable_lots
from exchange.lots.models import (
    CONDITION_RANK,
    PHOTO_SIZES,
    Condition,
    Lot,
    LotItem,
    LotPhoto,
    LotStatus,
    SanitisationAttestation,
)
from exchange.lots.search import SEARCH_CONFIG, search_terms
from exchange.organisations.models import Membership, Organisation, Site


def lot_list(*, actor: Membership | None) -> QuerySet[Lot]:
    """Published lots for everyone; the acting organisation's own lots in every status."""
    return _with_relations(Lot.objects.filter(_visible(actor)))


# The published status written into the statement as a constant, not a parameter: a
# catalogue page is a prepared statement (exchange.common.prepared), and PostgreSQL keeps
# its generic plan only if it costs no more than a fresh one. Knowing the status (nearly
# every lot is published), it does; guessing it (a parameter: half the lots), it looked
# dearer, and every page was planned again (~1.2 ms).
_PUBLISHED = RawSQL(f"'{LotStatus.PUBLISHED.value}'", (), output_field=CharField())  # noqa: S611


def _visible(actor: Membership | None) -> Q:
    visible = Q(status=_PUBLISHED)
    if actor is not None:
        visible |= Q(owner_id=actor.organisation_id)
    return visible


def _with_relations(lots: QuerySet[Lot]) -> QuerySet[Lot]:
    return lots.select_related("category", "site", "owner").prefetch_related(
        Prefetch("photos", queryset=LotPhoto.objects.order_by("position", "id")), "items"
    )


def lot_readable(*, actor: Membership | None) -> QuerySet[Lot]:
    """The lots one lot's page and the API's ``GET /lots/{id}/`` show: what ``lot_list``
    shows, and besides any lot the actor's organisation claimed (a claimant follows its
    lot once it is reserved or closed)."""
    if actor is None:
        return lot_list(actor=None)
    claimed = Lot.objects.filter(claims__claimant_id=actor.organisation_id).values("pk")
    return _with_relations(
        Lot.objects.filter(
            Q(status=LotStatus.PUBLISHED) | Q(owner_id=actor.organisation_id) | Q(pk__in=claimed)
        )
    )


def lot_page(*, actor: Membership | None, pk: int) -> Lot | None:
    """The lot a page shows (``lot_readable``), or None."""
    return lot_readable(actor=actor).filter(pk=pk).first()


def lot_photo_file(
    *, actor: Membership | None, lot_id: int, photo_id: int, size: str
) -> tuple[FieldFile, bool] | None:
    """One size of a lot's photo for whoever may read the lot (``lot_readable``), and
    whether it is public: photos of a published lot are everyone's; those of a draft
    are its owner's, those of a reserved or closed lot its owner's and claimants'. The
    original (the cleaned upload) is its owner's only. None: not found or not theirs."""
    if size not in PHOTO_SIZES:
        return None
    lot = lot_readable(actor=actor).filter(pk=lot_id).values("status", "owner_id").first()
    if lot is None:
        return None
    is_owner = actor is not None and lot["owner_id"] == actor.organisation_id
    if size == "original" and not is_owner:
        return None
    photo = LotPhoto.objects.filter(lot_id=lot_id, pk=photo_id).first()
    file = getattr(photo, size, None)
    if not file:
        return None
    return file, lot["status"] == LotStatus.PUBLISHED


def lot_certificate_file(*, actor: Membership | None, lot_id: int) -> FieldFile | None:
    """A lot's sanitisation certificate, for its owner's members only, or None."""
    if actor is None:
        return None
    attestation = SanitisationAttestation.objects.filter(
        lot_id=lot_id, lot__owner_id=actor.organisation_id
    ).first()
    return attestation.certificate if attestation and attestation.certificate else None


PHOTO_COLUMNS = ("id", "status", "web", "thumbnail", "width", "height", "alt_text")
ITEM_COLUMNS = (
    "id",
    "serial_number",
    "asset_tag",
    "make_model",
    "media_type",
    "erasure_method",
    "erasure_tool",
    "erasure_verified",
    "erasure_performer",
    "erasure_date",
)


# What a catalogue page reads of a lot (api/lots/serializers.py shows it, its tier and
# weight included), declared once: the lot's own columns, then each relation's. About
# half the lot's columns: half the values to read and turn into objects. The ORM's page
# reads these fields (``CATALOGUE_FIELDS``), the page in one statement these columns
# (``CatalogueRow``, ``_catalogue_page_sql``); the site's and owner's output are these.
CATALOGUE_LOT_COLUMNS = (
    "id",
    "created_at",
    "title",
    "description",
    "quantity",
    "quantity_reserved",
    "unit_weight_kg",
    "unit_weight_measured",
    "condition",
    "status",
    "published_at",
    "social_economy_opens_at",
    "open_opens_at",
    "available_until",
    "pickup_notes",
    "width_cm",
    "depth_cm",
    "height_cm",
    "federal_window_days",
    "social_economy_window_days",
    "window_reason",
)
CATALOGUE_RELATED_COLUMNS = {
    "category": (
        "id",
        "code",
        "name_nl",
        "name_fr",
        "name_de",
        "name_en",
        "requires_data_sanitisation",
        "unit_weight_kg",
    ),
    "site": ("id", "name", "street", "postcode", "municipality", "region"),
    "owner": ("id", "name", "kind"),
}
CATALOGUE_FIELDS = (
    *CATALOGUE_LOT_COLUMNS,
    *(
        f"{relation}__{column}"
        for relation, columns in CATALOGUE_RELATED_COLUMNS.items()
        for column in columns
    ),
)


def lot_catalogue_in_one_statement() -> bool:
    """Whether ``lot_catalogue`` is read a page at a time by ``CataloguePage``."""
    return connection.vendor == "postgresql"


def lot_catalogue(*, actor: Membership | None) -> QuerySet[Lot]:
    """The lots a catalogue page may show (``lot_list``'s rule), for the API's filters and
    orderings. On PostgreSQL only the rule, without columns or relations: the filters
    and the ordering choose a page's ids, and ``CataloguePage`` reads the page's
    columns, photos, devices and the capped count around them in one statement.
    Elsewhere ``lot_list`` with only the fields a page shows."""
    if lot_catalogue_in_one_statement():
        return Lot.objects.filter(_visible(actor))
    return lot_list(actor=actor).only(*CATALOGUE_FIELDS)


def lot_photos(lot: Lot) -> list[LotPhoto]:
    """The lot's photos in order (prefetched by ``lot_list``)."""
    return list(lot.photos.all())


def lot_items(lot: Lot) -> list[LotItem]:
    """The lot's devices (prefetched by ``lot_list``)."""
    return list(lot.items.all())


# --- A page of the catalogue in one statement (PostgreSQL) ---------------------------

# A row of ``CataloguePage``'s statement: the capped count of the list, the lot's
# distance when the list has one, the lot's columns and its category's, site's and
# owner's (``CATALOGUE_LOT_COLUMNS``; ``<relation>_<column>`` of
# ``CATALOGUE_RELATED_COLUMNS``), and its photos and devices as JSON arrays
# (PHOTO_COLUMNS, ITEM_COLUMNS).
CatalogueRow = namedtuple(
    "CatalogueRow",
    (
        "total",
        "distance_km",
        *CATALOGUE_LOT_COLUMNS,
        *(
            f"{relation}_{column}"
            for relation, columns in CATALOGUE_RELATED_COLUMNS.items()
            for column in columns
        ),
        "photos",
        "items",
    ),
)


def _json_rows(alias: str, columns: tuple[str, ...]) -> str:
    return "json_build_object(" + ", ".join(f"'{c}', {alias}.{c}" for c in columns) + ")"


def _catalogue_columns() -> str:
    """The page's lot, category, site and owner columns of ``CatalogueRow``, in its
    order, aliased by its names."""
    columns = [
        f"lot.{Lot._meta.get_field(name).column} AS {name}" for name in CATALOGUE_LOT_COLUMNS
    ]
    for relation, names in CATALOGUE_RELATED_COLUMNS.items():
        model = Lot._meta.get_field(relation).related_model
        columns += [
            f"{relation}.{model._meta.get_field(name).column} AS {relation}_{name}"
            for name in names
        ]
    return ",\n    ".join(columns)


@functools.cache
def _catalogue_page_sql() -> str:
    """The statement around a page's ids (``{ids}``: a query of ``id``, ``distance_km``
    and ``position``, the lot's place in the page's order) and the list's capped count
    (``{counted}``), made once per process. The count is the one row every answer has:
    an empty page still says how many lots the list holds. The rows come in the order
    of ``position``."""
    joins = "\n  ".join(
        f"JOIN {field.related_model._meta.db_table} AS {relation} "
        f"ON {relation}.{field.target_field.column} = lot.{field.column}"
        for relation in CATALOGUE_RELATED_COLUMNS
        for field in [Lot._meta.get_field(relation)]
    )
    lot, photo, item = Lot._meta.db_table, LotPhoto._meta.db_table, LotItem._meta.db_table
    # Table and column names of the models only: every value is a parameter.
    return f"""
SELECT counted.total, {", ".join(f"page.{name}" for name in CatalogueRow._fields[1:])}
FROM (SELECT count(*) AS total FROM ({{counted}}) AS capped) AS counted
LEFT JOIN (
  SELECT ids.position, ids.distance_km,
    {_catalogue_columns()},
    ARRAY(
      SELECT {_json_rows("photo", PHOTO_COLUMNS)} FROM {photo} AS photo
      WHERE photo.lot_id = lot.id ORDER BY photo.position, photo.id
    ) AS photos,
    ARRAY(
      SELECT {_json_rows("item", ITEM_COLUMNS)} FROM {item} AS item
      WHERE item.lot_id = lot.id ORDER BY item.id
    ) AS items
  FROM ({{ids}}) AS ids(id, distance_km, position)
  JOIN {lot} AS lot ON lot.id = ids.id
  {joins}
) AS page ON true
ORDER BY page.position"""  # noqa: S608


# A page's ids (an array in page order), or its (id, distance) rows, numbered in that
# order: the ``{ids}`` of ``_catalogue_page_sql``. The array of an ordered query keeps
# its order (as the photos' arrays do).
_PAGE_IDS = (
    "SELECT ids.id, NULL::float8, ids.position "
    "FROM unnest({ids}) WITH ORDINALITY AS ids(id, position)"
)
_PAGE_IDS_AND_DISTANCES = (
    "SELECT ids.id, ids.distance_km, ids.position FROM ROWS FROM "
    "(unnest({pairs}) AS (id bigint, distance_km float8)) WITH ORDINALITY "
    "AS ids(id, distance_km, position)"
)
# The id and distance of a lot as one value: what the ordered query of a list with a
# distance selects, one column, for the array of its page.
_ID_AND_DISTANCE = Func(F("pk"), F("distance_km"), function="ROW", output_field=Field())


class CataloguePage:
    """A list of ``lot_catalogue`` (filtered and ordered) for a paginator, read a page
    at a time in one statement: the capped count, and the page's lots as
    ``CatalogueRow``s with their photos and devices. The ORM writes only the narrow
    queries of the ids and of the count; the rest of the statement is made once per
    process (``_catalogue_page_sql``). ``expected``: the slice the paginator will ask
    for, read together with the count; another slice is read again.

    Closing soon, the page's ids come from ``KeyOrdered`` first (two narrow queries);
    every other order from the ordered query itself, inside the statement.

    ``prepared``: the list is filtered by nothing but the visibility rule, so its
    statement is prepared once per connection (``exchange.common.prepared``) and keeps
    one plan; a filtered list's best plan depends on the filters' values, and its
    statement is planned for each page."""

    ordered = True

    def __init__(
        self,
        queryset: QuerySet[Lot] | None,
        *,
        expected: slice,
        own_organisation_id: int | None = None,
        prepared: bool = False,
    ):
        self.queryset = queryset
        self.prepared = prepared
        self.expected = expected
        self.own_organisation_id = own_organisation_id
        self.cap = 0
        self._read: tuple[slice, int, list[CatalogueRow]] | None = None

    @classmethod
    def newest(cls, *, actor: Membership | None, expected: slice) -> "CataloguePage":
        """The catalogue filtered by nothing, newest first (``lot_catalogue`` ordered by
        NEWEST): its statement compiled once per process for each page
        (``_newest_page_statement``) and prepared once per connection."""
        return cls(
            None,
            expected=expected,
            own_organisation_id=actor and actor.organisation_id,
            prepared=True,
        )

    def capped_count(self, cap: int) -> int:
        """The number of lots in the list, up to ``cap`` + 1 (read with the expected
        page)."""
        self.cap = cap
        return self._page(self.expected)[1]

    def __getitem__(self, index: slice) -> list[CatalogueRow]:
        read, _total, rows = self._page(index)
        if index.start < read.start or index.stop > read.stop:
            read, _total, rows = self._page(index, again=True)
        return rows[index.start - read.start : index.stop - read.start]

    def _page(self, index: slice, *, again: bool = False) -> tuple[slice, int, list]:
        if self._read is None or again:
            self._read = (index, *self._fetch(index))
        return self._read

    def _fetch(self, index: slice) -> tuple[int, list[CatalogueRow]]:
        if self.queryset is None:  # the newest lots (CataloguePage.newest)
            sql, width = _newest_page_statement(
                self.own_organisation_id is not None, index.start, index.stop, self.cap
            )
            params = (self.own_organisation_id,) * width
        else:
            sql, params = self._statement(self.queryset, index)
        if sql is None:
            return 0, []
        with prepared_cursor(binary=True, prepare=self.prepared) as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        total = rows[0][0]
        if rows[0][2] is None:  # an empty page: the count alone
            return total, []
        return total, [CatalogueRow._make(row) for row in rows]

    def _statement(self, queryset: QuerySet[Lot], index: slice) -> tuple[str | None, tuple]:
        """The page's statement and its parameters (None: the list is empty whatever
        the data, as a filter by an empty choice)."""
        try:
            counted, counted_params = (
                queryset.order_by().values("pk")[: self.cap + 1].query.sql_with_params()
            )
            if tuple(queryset.query.order_by) == CLOSING_SOON:
                ids = KeyOrdered(queryset, own_organisation_id=self.own_organisation_id)._ids(index)
                ids_sql, ids_params = _PAGE_IDS.format(ids="%s::bigint[]"), (ids,)
            elif "distance_km" in queryset.query.annotations:
                pairs = queryset.values_list(_ID_AND_DISTANCE)[index]
                ids_sql, ids_params = pairs.query.sql_with_params()
                ids_sql = _PAGE_IDS_AND_DISTANCES.format(pairs=f"ARRAY({ids_sql})")
            else:
                ids_sql, ids_params = queryset.values_list("pk")[index].query.sql_with_params()
                ids_sql = _PAGE_IDS.format(ids=f"ARRAY({ids_sql})")
        except EmptyResultSet:
            return None, ()
        sql = _catalogue_page_sql().format(counted=counted, ids=ids_sql)
        return sql, (*counted_params, *ids_params)


# What stands for the acting organisation's id while the newest lots' statement is
# compiled (``_newest_page_statement``): no organisation has it.
_ORGANISATION_STAND_IN = -1


@functools.lru_cache(maxsize=256)
def _newest_page_statement(own: bool, start: int, stop: int, cap: int) -> tuple[str | None, int]:
    """The statement of a page (``start``:``stop``) of the newest lots that an acting
    organisation (``own``: one whose own lots the list shows too) may see, as the ORM
    compiles ``lot_catalogue``'s rule ordered by NEWEST, compiled once per process for
    each page and count cap; and how many parameters it takes, each the organisation's
    id. The ORM spends ~0.3 ms building and compiling the page's id and count queries,
    which for this list differ from one request to the next only by that id."""
    actor = Membership(organisation_id=_ORGANISATION_STAND_IN) if own else None
    page = CataloguePage(lot_catalogue(actor=actor).order_by(*NEWEST), expected=slice(start, stop))
    page.cap = cap
    sql, params = page._statement(page.queryset, slice(start, stop))
    if any(param != _ORGANISATION_STAND_IN for param in params):
        raise ValueError(f"The newest lots' statement takes more than the organisation: {params}")
    return sql, len(params)


def lot_claim_target(*, actor: Membership, pk: int) -> Lot | None:
    """The lot a claim names: any lot that was ever published (a reserved, withdrawn or
    closed lot answers 409 from the claim service, saying why) or one of the actor's
    own. Another organisation's draft stays invisible. With its owner (the claim
    service reads its settings and notifies its people). On PostgreSQL one prepared
    statement (a refused claim reads nothing else); elsewhere through the ORM."""
    if connection.vendor != "postgresql":
        return (
            Lot.objects.filter(Q(owner_id=actor.organisation_id) | ~Q(status=LotStatus.DRAFT))
            .filter(pk=pk)
            .select_related("owner")
            .first()
        )
    statement, lot_columns, owner_columns = _claim_target_statement()
    with prepared_cursor() as cursor:  # prepared once per connection
        cursor.execute(statement, (pk, actor.organisation_id, LotStatus.DRAFT.value))
        row = cursor.fetchone()
    if row is None:
        return None
    lot = lot_columns.instance(row[: lot_columns.width])
    lot.owner = owner_columns.instance(row[lot_columns.width :])
    return lot


@functools.cache
def _claim_target_statement() -> tuple[str, ModelColumns, ModelColumns]:
    """``lot_claim_target``'s statement (made once per process): the lot and its owner."""
    lot_columns, owner_columns = ModelColumns(Lot, "lot"), ModelColumns(Organisation, "owner")
    owner = Lot._meta.get_field("owner")
    statement = (
        f"SELECT {lot_columns.columns}, {owner_columns.columns} "  # noqa: S608 - model names
        f"FROM {Lot._meta.db_table} AS lot JOIN {Organisation._meta.db_table} AS owner "
        f"ON owner.{owner.target_field.column} = lot.{owner.column} "
        f"WHERE lot.id = %s AND (lot.{owner.column} = %s OR lot.status <> %s)"
    )
    return statement, lot_columns, owner_columns


def lot_own_list(*, actor: Membership) -> QuerySet[Lot]:
    return lot_list(actor=actor).filter(owner_id=actor.organisation_id)


def lot_mine_list(*, actor: Membership, status: str = "") -> QuerySet[Lot]:
    """The "my lots" page: the actor's lots (in one status if given), newest first."""
    lots = lot_own_list(actor=actor).order_by("-created_at", "-id")
    return lots.filter(status=status) if status else lots


def lot_filter_text(queryset: QuerySet[Lot], query: str) -> QuerySet[Lot]:
    """Every word must match the start of a word of the title, description or category
    names (any language, accents ignored). Full-text with a GIN index on PostgreSQL."""
    terms = search_terms(query)
    if not terms:
        return queryset
    if connection.vendor == "postgresql":
        raw = " & ".join(f"{term}:*" for term in terms)
        return queryset.filter(
            search_vector=SearchQuery(raw, search_type="raw", config=SEARCH_CONFIG)
        )
    for term in terms:
        queryset = queryset.filter(search_document__contains=term)
    return queryset


def lot_filter_category(queryset: QuerySet[Lot], category: Category) -> QuerySet[Lot]:
    return queryset.filter(subtree_condition(category.path, field="category__path"))


def lot_filter_min_condition(queryset: QuerySet[Lot], condition: str) -> QuerySet[Lot]:
    return queryset.filter(condition_rank__gte=CONDITION_RANK[Condition(condition)])


def lot_filter_claimable(queryset: QuerySet[Lot], actor: Membership | None) -> QuerySet[Lot]:
    if actor is None:
        return queryset.none()
    return queryset.filter(claimable_lots(actor.organisation))


@dataclass(frozen=True)
class Origin:
    latitude: float
    longitude: float


def site_origin(site: Site) -> Origin:
    return Origin(float(site.latitude), float(site.longitude))


def lot_filter_near(queryset: QuerySet[Lot], origin: Origin, radius_km: float) -> QuerySet[Lot]:
    """Lots within ``radius_km`` of ``origin``: an indexed latitude/longitude box first
    (the exact box of the spherical cap, rounded outwards to the columns' 6 decimals),
    then the exact great-circle distance, annotated as ``distance_km``."""
    min_lat, max_lat, min_lon, max_lon = distance_box(origin.latitude, origin.longitude, radius_km)
    box = Q(
        latitude__gte=_degrees(min_lat, ROUND_FLOOR),
        latitude__lte=_degrees(max_lat, ROUND_CEILING),
        longitude__gte=_degrees(min_lon, ROUND_FLOOR),
        longitude__lte=_degrees(max_lon, ROUND_CEILING),
    )
    return lot_annotate_distance(queryset.filter(box), origin).filter(distance_km__lte=radius_km)


def _degrees(value: float, rounding: str) -> Decimal:
    return Decimal(repr(value)).quantize(Decimal("0.000001"), rounding=rounding)


def lot_annotate_distance(queryset: QuerySet[Lot], origin: Origin) -> QuerySet[Lot]:
    return queryset.annotate(
        distance_km=distance_km_expression(
            origin.latitude, origin.longitude, "latitude", "longitude"
        )
    )


# --- Orderings of the catalogue ----------------------------------------------------

NEWEST = ("-published_at", "-id")  # the catalogue's order unless asked for another
CLOSING_SOON = ("available_until", "-id")
NEAREST = ("distance_km", "-id")
NEAREST_FIRST_KM = 1.0  # lot_nearest's first radius, doubled until enough lots lie within


class KeyOrdered:
    """A page of lots ordered by their keys (``CLOSING_SOON``, ``NEAREST``), read in two
    steps: the page's ids by a query that reads only ids and the ordering's columns
    (walking an index, or sorting narrow rows), then the page's columns for those ids
    alone. Sorted with their descriptions, photos and devices in one query, the lots of
    the whole catalogue cost ~150 ms a page. For a paginator: ``count`` and slices;
    anything else is the ordered queryset's."""

    ordered = True

    def __init__(self, queryset: QuerySet[Lot], *, own_organisation_id: int | None = None):
        self.queryset = queryset
        self.own_organisation_id = own_organisation_id

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        ids = self._ids(index)
        rows = {lot.pk: lot for lot in self.queryset.order_by().filter(pk__in=ids)}
        return [rows[pk] for pk in ids if pk in rows]

    def _ids(self, index: slice) -> list[int]:
        """The ids of a page. Closing soon, the published lots and the organisation's
        own other lots (``own_organisation_id``: the list shows both) are read apart,
        each up to the page's end, and merged: the published lots walk their own index
        (``lot_published_closing_idx``) instead of stepping over every closed lot."""
        ordering = tuple(self.queryset.query.order_by)
        if ordering != CLOSING_SOON or index.step not in (None, 1) or index.stop is None:
            return list(self.queryset.values_list("pk", flat=True)[index])
        published = self.queryset.filter(status=LotStatus.PUBLISHED)
        rows = list(published.values_list("available_until", "pk")[: index.stop])
        if self.own_organisation_id is not None:
            own = self.queryset.filter(owner_id=self.own_organisation_id).exclude(
                status=LotStatus.PUBLISHED
            )
            rows += own.values_list("available_until", "pk")[: index.stop]
            rows.sort(key=lambda row: (row[0], -row[1]))  # CLOSING_SOON
        return [pk for _until, pk in rows[index]]

    def __getattr__(self, name):
        return getattr(self.queryset, name)


def lot_nearest(
    queryset: QuerySet[Lot], origin: Origin, radius_km: float, bound: int
) -> QuerySet[Lot]:
    """``lot_filter_near``, nearest first, for a list that shows at most the ``bound``
    nearest lots (a paginator that counts at most ``bound``): within the smallest radius
    (NEAREST_FIRST_KM, doubled up to ``radius_km``) that holds at least ``bound`` lots
    lie the ``bound`` nearest of all, so only the lots of that smaller box get a
    distance and a sort (in a dense area a few thousand, not ~40 000 within 25 km of
    Brussels)."""
    reach = min(radius_km, NEAREST_FIRST_KM)
    while reach < radius_km:
        within = lot_filter_near(queryset, origin, reach).order_by().values("pk")[:bound]
        if within.count() >= bound:
            break
        reach = min(radius_km, reach * 2)
    return lot_filter_near(queryset, origin, reach).order_by(*NEAREST)


# A lot "ends soon" when its availability ends within this many days.
ENDING_SOON_DAYS = 7
# Lots still on offer (or about to be): what an owner looks after.
_OPEN_STATUSES = (LotStatus.DRAFT, LotStatus.PUBLISHED, LotStatus.RESERVED)


def _attention(actor: Membership, today: datetime.date) -> tuple[QuerySet[Lot], Q, Q]:
    lots = Lot.objects.filter(owner_id=actor.organisation_id, status__in=_OPEN_STATUSES).annotate(
        has_photos=Exists(LotPhoto.objects.filter(lot=OuterRef("pk")))
    )
    ending = Q(
        status=LotStatus.PUBLISHED,
        available_until__lte=today + datetime.timedelta(days=ENDING_SOON_DAYS),
    )
    without_photos = Q(has_photos=False) & ~Q(status=LotStatus.RESERVED)
    return lots, ending, without_photos


def lot_attention_counts(*, actor: Membership | None, today: datetime.date) -> dict[str, int]:
    """The actor's lots that need a look, in one query: ``ending_soon`` (published,
    available for at most ENDING_SOON_DAYS more days), ``without_photos`` (drafts and
    published lots with no photo), ``total`` (either)."""
    if actor is None:
        return {"ending_soon": 0, "without_photos": 0, "total": 0}
    lots, ending, without_photos = _attention(actor, today)
    return lots.aggregate(
        ending_soon=Count("id", filter=ending),
        without_photos=Count("id", filter=without_photos),
        total=Count("id", filter=ending | without_photos),
    )


def lot_attention_list(*, actor: Membership, today: datetime.date) -> QuerySet[Lot]:
    """The actor's lots ending soon or without photos, those ending first; each with
    ``has_photos`` and ``ends_soon``."""
    lots, ending, without_photos = _attention(actor, today)
    return (
        lots.filter(ending | without_photos)
        .annotate(ends_soon=ExpressionWrapper(ending, output_field=BooleanField()))
        .order_by("available_until", "id")
    )
