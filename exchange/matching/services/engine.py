"""The matching engine (docs/design.md §4): a request's matches are its K best fitting lots
(EXCHANGE_MATCHES_PER_REQUEST): a new lot becomes a match only where it ranks above the
request's K-th match (its floor), and the nightly sweep repairs what changed since
things were last matched. Every job is idempotent: a pair is matched once (unique
constraint) and notified once."""

import datetime
import functools
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.base import ModelState
from django.db.models.functions import TruncDate
from django.utils import timezone

from exchange.common.sql import array_literal
from exchange.lots.eligibility import accreditation_lapsed_condition, tier_opened_condition
from exchange.lots.models import Lot, LotStatus
from exchange.matching.models import LotMatchState, Match, MatchStatus, WantedRequest, WantedStatus
from exchange.matching.services.fits import (
    Fit,
    _rank,
    ids_condition,
    lot_fits,
    matches_per_request,
    wanted_best,
    wanted_best_many,
)
from exchange.matching.services.notices import _people, matches_notify


@contextmanager
def _matching_transaction():
    """A transaction of matching work. On PostgreSQL, when it is not part of a larger
    one, its commit does not wait for the write-ahead log to reach the disk
    (``synchronous_commit`` off for this transaction alone: the wait cost more than the
    matching of one lot or request). Matches can always be computed again: a crash in
    the moment after such a commit loses that transaction whole (its matches, notices
    and the stamps that say what was matched, together), and the repair sweep matches
    those lots and requests again because their stamps are missing."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield


def _outranks(score: float, lot_id: int, floor: float | None, floor_lot_id: int | None) -> bool:
    """Whether a lot ranks above the K-th match of a request (always, below K matches)."""
    if floor is None:
        return True
    return score > floor or (score == floor and lot_id < (floor_lot_id or 0))


_INSERT_MATCHES = """
    INSERT INTO matching_match
        (created_at, updated_at, lot_id, wanted_id, score, reasons, status, notified_at, ranked)
    SELECT %(now)s, %(now)s, t.lot_id, t.wanted_id, t.score, r.reasons -> (t.n::int - 1),
        %(status)s, CASE WHEN t.notified THEN %(now)s END, TRUE
    FROM unnest(%(lot_ids)s::bigint[], %(wanted_ids)s::bigint[], %(scores)s::float8[],
            %(notified)s::boolean[]) WITH ORDINALITY AS t(lot_id, wanted_id, score, notified, n),
        (SELECT %(reasons)s::jsonb AS reasons) AS r
    {on_conflict}
    RETURNING id, lot_id, wanted_id
"""
# From this many pairs, an INSERT is first tried without ON CONFLICT (in a savepoint):
# checking each row for a conflict before inserting it cost a third of the insert, and
# a conflict (a concurrent job matched a pair meanwhile) is rare; then it is redone
# with ON CONFLICT DO NOTHING. A few pairs (one lot, one request) go straight to it.
PLAIN_INSERT_PAIRS = 1000


def _insert_matches_postgresql(fits: list[Fit], notified: list[bool], now) -> list[tuple]:
    """One INSERT ... SELECT FROM unnest(...) RETURNING: the columns as array literals,
    the reasons as one JSON array (one json.dumps for all, each row's element taken by
    its position); returns (id, lot id, wanted id) of the rows inserted. Django's
    bulk_create quotes every value into the SQL text in Python, which costs more than
    the insert itself for thousands of rows."""
    params = {
        "now": now,
        "status": MatchStatus.NEW.value,
        "lot_ids": array_literal([f[0] for f in fits]),
        "wanted_ids": array_literal([f[1] for f in fits]),
        "scores": array_literal([f[2] for f in fits]),
        "notified": "{" + ",".join("t" if told else "f" for told in notified) + "}",
        "reasons": json.dumps([f[3] for f in fits]),
    }
    on_conflict = "ON CONFLICT (lot_id, wanted_id) DO NOTHING"
    connection.ensure_connection()
    if len(fits) >= PLAIN_INSERT_PAIRS:
        try:
            with transaction.atomic(), psycopg.Cursor(connection.connection) as cursor:
                cursor.execute(_INSERT_MATCHES.format(on_conflict=""), params)
                return cursor.fetchall()
        except psycopg.errors.UniqueViolation:
            pass  # rolled back to the savepoint: the pairs not matched meanwhile, below
    with psycopg.Cursor(connection.connection) as cursor:  # Django's binds client-side
        cursor.execute(_INSERT_MATCHES.format(on_conflict=on_conflict), params)
        return cursor.fetchall()


def _loaded_match(alias: str, **values) -> Match:
    """A Match as if read from the database ``alias``, without Model.__init__ (which
    costs more than the INSERT of the row when there are hundreds): every concrete
    field's value goes straight into the instance, as Django's own loading does after
    __init__."""
    match = Match.__new__(Match)
    match.__dict__.update(values)
    match._state = ModelState()
    match._state.adding, match._state.db = False, alias
    return match


def _insert_matches(
    fits: list[Fit], notified: list[bool], now, *, listed: bool = True
) -> tuple[int, list[Match]]:
    """Insert the pairs that are not matched yet, those ``notified`` (nobody to tell)
    notified at ``now``; returns how many this call made and those matches (a
    concurrent job may have matched some pairs in between: the unique constraint
    decides, and those come back from that job only). ``listed`` False: only the
    matches still to notify are returned (the full recomputation counts the others)."""
    if connection.vendor == "postgresql":
        inserted = {
            (lot, wanted): pk for pk, lot, wanted in _insert_matches_postgresql(fits, notified, now)
        }
        matches, alias, status = [], connection.alias, MatchStatus.NEW.value
        for (lot_id, wanted_id, score, reasons), told in zip(fits, notified, strict=True):
            pk = inserted.get((lot_id, wanted_id))
            if pk is not None and (listed or not told):
                matches.append(
                    _loaded_match(
                        alias,
                        id=pk,
                        created_at=now,
                        updated_at=now,
                        lot_id=lot_id,
                        wanted_id=wanted_id,
                        score=score,
                        reasons=reasons,
                        status=status,
                        claim_id=None,
                        notified_at=now if told else None,
                        ranked=True,
                    )
                )
        return len(inserted), matches
    fresh = [
        Match(
            lot_id=lot_id,
            wanted_id=wanted_id,
            score=score,
            reasons=reasons,
            notified_at=now if told else None,
        )
        for (lot_id, wanted_id, score, reasons), told in zip(fits, notified, strict=True)
    ]
    try:
        with transaction.atomic():
            Match.objects.bulk_create(fresh, batch_size=2000)
    except IntegrityError:
        existing = set(
            Match.objects.filter(
                lot_id__in={m.lot_id for m in fresh}, wanted_id__in={m.wanted_id for m in fresh}
            ).values_list("lot_id", "wanted_id")
        )
        fresh = [
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
            Match.objects.bulk_create(fresh)
    return len(fresh), [m for m in fresh if listed or m.notified_at is None]


def _save_matches(
    fits: list[Fit], organisations: dict[int, int], *, listed: bool = True
) -> tuple[int, list[Match]]:
    """Insert the pairs not matched before and notify the requesting organisations;
    returns how many new matches and those matches, best first (``listed`` False: none,
    only the count). ``organisations`` maps the fits' wanted request ids to their
    organisations."""
    if not fits:
        return 0, []
    people = _people(set(organisations.values()))
    # A match whose organisation has nobody to tell is notified as it is made.
    notified = [not people.get(organisations[f[1]]) for f in fits]
    created, matches = _insert_matches(fits, notified, timezone.now(), listed=listed)
    matches_notify(
        [m for m in matches if m.notified_at is None],
        organisations=organisations,
        people=people,
    )
    if not listed:
        return created, []
    matches.sort(key=lambda m: (-m.score, -m.pk))
    return created, matches


# Lot texts matching never reads (the search vector is the largest column of a lot).
_LOT_TEXTS = ("description", "pickup_notes", "search_document", "search_vector")


def _lots_to_match() -> QuerySet[Lot]:
    """The lots as match_lot reads them: without their texts, with their category and
    whether they have matches."""
    return (
        Lot.objects.select_related("category")
        .defer(*_LOT_TEXTS)
        .annotate(has_matches=Exists(Match.objects.filter(lot_id=OuterRef("pk"))))
        .order_by()
    )


@dataclass(frozen=True)
class _RowRead:
    """A queryset of one row by its id as SQL text and parameters, compiled by the ORM
    once per process (the id in place of ``ID``), and where each value of its row goes:
    the model's fields, each related model's (``select_related``, one level: its model,
    fields, columns, the column of its id, and how it is set), each annotation's."""

    ID = -918_273_645  # no row's id

    model: type
    sql: str
    params: tuple
    fields: tuple[str, ...]
    columns: tuple[int, ...]
    related: tuple[tuple, ...]
    annotations: tuple[tuple[str, int], ...]


@functools.cache
def _row_read(queryset: Callable[[], QuerySet], alias: str) -> _RowRead:
    compiler = queryset().filter(pk=_RowRead.ID).query.get_compiler(alias)
    sql, params = compiler.as_sql()
    if list(params).count(_RowRead.ID) != 1:
        raise ValueError(f"the read takes {params!r}")

    def fields(columns):
        return tuple(compiler.select[column][0].target.attname for column in columns)

    related = []
    for info in compiler.klass_info["related_klass_infos"]:
        if info["related_klass_infos"] or info["reverse"]:
            raise ValueError(f"{info['field']}: one level of forward relations only")
        names = fields(info["select_fields"])
        related.append(
            (
                info["model"],
                names,
                tuple(info["select_fields"]),
                names.index(info["model"]._meta.pk.attname),
                info["local_setter"],
            )
        )
    return _RowRead(
        model=compiler.query.model,
        sql=sql,
        params=tuple(params),
        fields=fields(compiler.klass_info["select_fields"]),
        columns=tuple(compiler.klass_info["select_fields"]),
        related=tuple(related),
        annotations=tuple(compiler.annotation_col_map.items()),
    )


def _row(queryset: Callable[[], QuerySet], pk: int):
    """``queryset().filter(pk=pk).first()``. On PostgreSQL (whose values need no
    conversion) from the statement made once per process (``_row_read``): building and
    compiling the queryset cost more than the query itself, on every lot published and
    every request made. Related models come as ``select_related`` sets them (None where
    the relation is empty), annotations as attributes."""
    if connection.vendor != "postgresql":
        return queryset().filter(pk=pk).first()
    read = _row_read(queryset, connection.alias)
    with connection.cursor() as cursor:
        cursor.execute(read.sql, [pk if p == read.ID else p for p in read.params])
        row = cursor.fetchone()
    if row is None:
        return None
    alias = connection.alias
    instance = read.model.from_db(alias, read.fields, [row[i] for i in read.columns])
    for model, names, columns, pk_column, setter in read.related:
        values = [row[i] for i in columns]
        setter(instance, None if values[pk_column] is None else model.from_db(alias, names, values))
    for name, column in read.annotations:
        setattr(instance, name, row[column])
    return instance


def _lot_to_match(lot_id: int) -> Lot | None:
    """The lot of ``_lots_to_match()`` (``_row``)."""
    return _row(_lots_to_match, lot_id)


def _wanted_to_match() -> QuerySet[WantedRequest]:
    """The open requests as match_wanted reads them: with their site and organisation."""
    return (
        WantedRequest.objects.select_related("site", "organisation")
        .filter(status=WantedStatus.OPEN)
        .order_by()
    )


def match_lot(*, lot_id: int, now=None, matched_before=None) -> list[Match]:
    """Match one lot against the open requests of organisations that may claim it now:
    it becomes a match of each request whose K best it enters, pushing that request's
    K-th match out. Returns the new matches, best first."""
    now = now or timezone.now()
    lot = _lot_to_match(lot_id)
    if lot is None:
        return []
    entering, organisations = _lot_entering(
        lot, now=now, matched_before=matched_before, has_matches=lot.has_matches
    )
    if not entering:  # usually: the lot enters no request's K best; only the stamp
        _lots_stamp([lot.pk], now)
        return []
    with _matching_transaction():
        _created, matches = _save_matches(entering, organisations)
        _rebalance({m.wanted_id for m in matches})
        _lots_stamp([lot.pk], now)
    return matches


def _lot_entering(lot: Lot, *, now, matched_before, has_matches) -> tuple[list[Fit], dict]:
    """The pairs the lot makes that enter their request's K best (``lot_fits`` of the
    requests not matched with it, ranked above their floor), and the requesting
    organisations of its fits."""
    fits, organisations, floors = lot_fits(
        lot,
        now=now,
        new_only=True,
        matched_before=matched_before,
        entering_only=True,
        has_matches=has_matches,
    )
    return [f for f in fits if _outranks(f[2], f[0], *floors[f[1]])], organisations


def _lots_entering(lots: list[Lot], matched: set[int], now, matched_before) -> list[tuple]:
    """``_lot_entering`` of each lot (``matched``: the ids of those with matches)."""
    return [
        _lot_entering(lot, now=now, matched_before=matched_before, has_matches=lot.pk in matched)
        for lot in lots
    ]


def _connection_close() -> None:
    connection.close()  # the connection of the thread that runs this


def matches_lots_repair(*, lot_ids, now=None, matched_before=None) -> int:
    """match_lot for many lots, ``REMATCH_CHUNK`` at a time: the lots, and which have
    matches, read once a chunk; one candidate query per lot; one INSERT, one round of
    notices, one rebalance of the requests entered and one stamp a chunk. Returns how
    many new matches it made.

    The candidate queries are most of the time, and most of theirs is the database's.
    On PostgreSQL, outside a transaction, every other lot of a chunk is asked by a
    thread of its own on its own connection (closed when done): two queries run at
    once in the database, and Python builds one while the other runs, on two CPUs
    where there are two. The chunk's writes wait for both, in the lots' order."""
    now = now or timezone.now()
    lot_ids = list(lot_ids)
    created = 0
    apart = connection.vendor == "postgresql" and not connection.in_atomic_block
    with ThreadPoolExecutor(max_workers=1) as helper:
        try:
            for start in range(0, len(lot_ids), REMATCH_CHUNK):
                chunk = lot_ids[start : start + REMATCH_CHUNK]
                matched = set(
                    Match.objects.filter(lot_id__in=chunk)
                    .order_by()
                    .values_list("lot_id", flat=True)
                    .distinct()
                )
                lots = list(Lot.objects.select_related("category").filter(pk__in=chunk))
                found = [None] * len(lots)
                if apart and len(lots) > 1:
                    other = helper.submit(_lots_entering, lots[1::2], matched, now, matched_before)
                    found[::2] = _lots_entering(lots[::2], matched, now, matched_before)
                    found[1::2] = other.result()
                else:
                    found = _lots_entering(lots, matched, now, matched_before)
                entering, organisations = [], {}
                for pairs, requesters in found:
                    entering.extend(pairs)
                    organisations.update(requesters)
                with _matching_transaction():
                    made, matches = _save_matches(entering, organisations)
                    _rebalance({m.wanted_id for m in matches})
                    _lots_stamp(chunk, now)
                created += made
        finally:
            if apart:
                helper.submit(_connection_close).result()
    return created


def match_wanted(*, wanted_id: int, now=None) -> list[Match]:
    """Match one open request against the lots its organisation may claim now: its
    matches become its K best fitting lots. Returns the new matches, best first."""
    now = now or timezone.now()
    wanted = _row(_wanted_to_match, wanted_id)
    if wanted is None or wanted.valid_until < timezone.localdate(now):
        return []
    with _matching_transaction():
        ranked = [(wanted.pk, wanted.organisation_id, wanted_best(wanted, now=now))]
        return _settle(ranked, now)[1]


def _settle(
    ranked: list[tuple[int, int, list[Fit]]], now, *, listed: bool = True
) -> tuple[int, list[Match]]:
    """Make each request's matches its K best fits: ``ranked`` holds (request id, its
    organisation, its fits best first). New pairs are matched and notified, matches
    among the K are ranked (with today's score), the others are pushed out; then the
    requests' floors and matched_at are written. Returns how many new matches, and
    those (best first; ``listed`` False: only the count)."""
    if not ranked:
        return 0, []
    k = matches_per_request()
    best = {wanted_id: {f[0]: f for f in fits} for wanted_id, _organisation, fits in ranked}
    existing: dict[int, dict[int, tuple]] = {pk: {} for pk in best}
    for pk, wanted_id, lot_id, status, is_ranked, score in Match.objects.filter(
        wanted_id__in=best
    ).values_list("pk", "wanted_id", "lot_id", "status", "ranked", "score"):
        existing[wanted_id][lot_id] = (pk, status, is_ranked, score)
    fresh, rescored, pushed_out = [], [], []
    organisations = {wanted_id: organisation for wanted_id, organisation, _fits in ranked}
    for wanted_id, organisation, fits in ranked:
        have = existing[wanted_id]
        for fit in fits:
            if fit[0] not in have:
                fresh.append(fit)
            else:
                pk, _status, is_ranked, score = have[fit[0]]
                if not is_ranked or score != fit[2]:
                    rescored.append((pk, fit[2], fit[3]))
        pushed_out.extend(
            (pk, status, organisation)
            for lot_id, (pk, status, is_ranked, _score) in have.items()
            if is_ranked and lot_id not in best[wanted_id]
        )
    _matches_rescore(rescored, now)
    _matches_push_out(pushed_out)
    created, matches = _save_matches(fresh, organisations, listed=listed)
    floors = []
    for wanted_id, _organisation, fits in ranked:
        floor = fits[k - 1] if len(fits) >= k else None
        floors.append(
            (wanted_id, floor and floor[2], floor and floor[0], now),
        )
    _wanted_floors_write(floors)
    return created, matches


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


_STAMP_LOTS = """
    WITH unflushed AS (SELECT set_config('synchronous_commit', 'off', true))
    INSERT INTO matching_lotmatchstate (lot_id, matched_at)
    SELECT t.lot_id, %s FROM unnest(%b::bigint[]) AS t(lot_id), unflushed
    ON CONFLICT (lot_id) DO UPDATE SET matched_at = EXCLUDED.matched_at
"""


def _lots_stamp(lot_ids, now) -> None:
    """Record that these lots were matched against every open request at ``now``. Alone
    (outside a transaction) on PostgreSQL: one statement whose commit does not wait for
    the disk, like ``_matching_transaction``'s."""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        connection.ensure_connection()
        with psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(_STAMP_LOTS, [now, list(lot_ids)])
        return
    LotMatchState.objects.bulk_create(
        [LotMatchState(lot_id=pk, matched_at=now) for pk in lot_ids],
        update_conflicts=True,
        unique_fields=["lot"],
        update_fields=["matched_at"],
        batch_size=2000,
    )


REMATCH_CHUNK = 200  # lots a step of matches_lots_repair
SETTLE_CHUNK = 1000  # requests a transaction of matches_rematch


def matches_rematch(*, wanted_ids, now=None) -> int:
    """Match the given open requests against the lots: their K best lots computed all
    at once (``wanted_best_many``: one read of the requests, one of the lots of their
    categories, every pair scored over arrays), then, ``SETTLE_CHUNK`` requests a
    transaction, one read of their matches, one INSERT, one round of notices and one
    update of floors. Returns how many new matches it made."""
    now = now or timezone.now()
    return _settle_all(wanted_best_many(list(wanted_ids), now=now), now)


def _settle_all(ranked: list[tuple[int, int, list[Fit]]], now) -> int:
    """``_settle`` of computed K bests, ``SETTLE_CHUNK`` requests a transaction."""
    created = 0
    for start in range(0, len(ranked), SETTLE_CHUNK):
        with _matching_transaction():
            created += _settle(ranked[start : start + SETTLE_CHUNK], now, listed=False)[0]
    return created


def _settle_all_apart(ranked: list[tuple[int, int, list[Fit]]], now) -> int:
    """``_settle_all`` in a thread of its own, on the thread's own database connection
    (closed when done)."""
    try:
        return _settle_all(ranked, now)
    finally:
        connection.close()


def _rematch_chunks(chunks: list[list[int]], now) -> int:
    """``matches_rematch`` of each chunk of requests, in turn. On PostgreSQL, outside a
    transaction, a chunk's writes (a thread of their own, on its own connection) go on
    while the next chunk's K bests are computed: the database inserts and checks the
    matches of one while Python compares the pairs of the next, on two CPUs where
    there are two, instead of each waiting for the other. One chunk is written at a
    time, in order; each is its own transactions, as on the workers."""
    if connection.vendor != "postgresql" or connection.in_atomic_block or len(chunks) < 2:
        return sum(matches_rematch(wanted_ids=chunk, now=now) for chunk in chunks)
    created, writing = 0, None
    with ThreadPoolExecutor(max_workers=1) as writer:
        for chunk in chunks:
            ranked = wanted_best_many(chunk, now=now)
            if writing is not None:
                created += writing.result()
            writing = writer.submit(_settle_all_apart, ranked, now)
        created += writing.result()
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
        | tier_opened_condition(matched, now)
    )


# The nightly repair and the full recomputation run in chunks, each a job of its own
# (idempotent: a chunk run twice computes the same K best and finds its pairs made).
REQUESTS_PER_CHUNK = 4000
LOTS_PER_CHUNK = 1000


@dataclass
class RematchPlan:
    """What a sweep matches, in chunks: lists of request ids (by category, so that a
    chunk reads the lots of few categories) and of lot ids, and the moment it matches
    at (every chunk matches ``now``, so that running one again changes nothing)."""

    now: datetime.datetime
    summary: dict[str, int]
    request_chunks: list[list[int]] = field(default_factory=list)
    lot_chunks: list[list[int]] = field(default_factory=list)


def matches_rematch_plan(*, now=None, full: bool = False) -> RematchPlan:
    """The nightly repair sweep's first step: expire old requests; push out ranked
    matches whose lot is no longer claimable or whose request closed (their requests
    are matched again, to take the next best lots); then choose what to match: the
    requests made or changed since they were last matched (or whose organisation
    changed, or whose accreditation lapsed, since), and the lots due
    (``lots_due_for_matching``), to match against the requests this sweep does not
    match. ``full``: every open request instead (the complete recomputation, for
    operators: ``manage.py matches_rematch --full``). When every open request is
    matched, the lots due are only stamped: the requests' pass sees every lot."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    expired = WantedRequest.objects.filter(status=WantedStatus.OPEN, valid_until__lt=today).update(
        status=WantedStatus.EXPIRED, updated_at=now
    )
    # Unordered: sorted by the matches' ordering (score) every ranked match of the
    # catalogue was joined and sorted, and the plan's cost crossed PostgreSQL's
    # threshold for compiling it (JIT, ~90 ms a night).
    stale = list(
        Match.objects.filter(ranked=True)
        .filter(~Q(lot__status=LotStatus.PUBLISHED) | ~Q(wanted__status=WantedStatus.OPEN))
        .order_by()
        .values_list("pk", "status", "wanted__organisation_id", "wanted_id", "wanted__status")
    )
    with transaction.atomic():
        deleted = _matches_push_out([row[:3] for row in stale])
        WantedRequest.objects.filter(
            pk__in={row[3] for row in stale if row[4] == WantedStatus.OPEN}
        ).update(matched_at=None)
    open_requests = WantedRequest.objects.filter(status=WantedStatus.OPEN, valid_until__gte=today)
    requests = open_requests
    if not full:
        requests = requests.filter(
            Q(matched_at__isnull=True)
            | Q(updated_at__gt=F("matched_at"))
            # What the organisation may claim changed: a moderator verified it, changed
            # its kind or accreditation, or the accreditation lapsed since.
            | Q(organisation__updated_at__gt=F("matched_at"))
            | accreditation_lapsed_condition(TruncDate("matched_at"), today, "organisation__")
        )
    wanted_ids = list(requests.order_by("category_path", "pk").values_list("pk", flat=True))
    lot_ids = list(lots_due_for_matching(now=now).order_by("pk").values_list("pk", flat=True))
    plan = RematchPlan(
        now=now,
        summary={
            "expired": expired,
            "expired_matches": len(stale),
            "deleted_matches": deleted,
            "requests": len(wanted_ids),
            "lots": len(lot_ids),
        },
        request_chunks=_chunks(wanted_ids, REQUESTS_PER_CHUNK),
    )
    if open_requests.count() > len(wanted_ids):
        plan.lot_chunks = _chunks(lot_ids, LOTS_PER_CHUNK)
    else:  # every open request is matched now, against every lot
        _lots_stamp(lot_ids, now)
    return plan


def _chunks(ids: list[int], size: int) -> list[list[int]]:
    return [ids[start : start + size] for start in range(0, len(ids), size)]


def matches_rematch_pending(plan: RematchPlan) -> int:
    """How many of a plan's requests and lots its chunks have not matched yet (those
    that closed since do not count): 0 once every chunk ran."""
    today = timezone.localdate(plan.now)
    wanted_ids = [pk for chunk in plan.request_chunks for pk in chunk]
    lot_ids = [pk for chunk in plan.lot_chunks for pk in chunk]
    # Asked every second while the chunks run: the ids as one array each, not as tens of
    # thousands of parameters that cost the waiting process more than the count.
    requests = (
        WantedRequest.objects.filter(status=WantedStatus.OPEN, valid_until__gte=today)
        .filter(ids_condition(wanted_ids, WantedRequest._meta.db_table))
        .filter(Q(matched_at__isnull=True) | Q(matched_at__lt=plan.now))
    )
    lots = (
        Lot.objects.filter(status=LotStatus.PUBLISHED)
        .filter(ids_condition(lot_ids, Lot._meta.db_table))
        .filter(Q(match_state__isnull=True) | Q(match_state__matched_at__lt=plan.now))
    )
    return (requests.count() if wanted_ids else 0) + (lots.count() if lot_ids else 0)


def matches_rematch_all(*, now=None, full: bool = False) -> dict[str, int]:
    """The nightly repair sweep (``matches_rematch_plan``) run here, chunk after chunk
    (``_rematch_chunks``: a chunk's writes overlap the next one's computation); the
    Celery task spreads the same chunks over the workers instead."""
    plan = matches_rematch_plan(now=now, full=full)
    created = _rematch_chunks(plan.request_chunks, plan.now)
    created += sum(
        matches_lots_repair(lot_ids=chunk, now=plan.now, matched_before=plan.now)
        for chunk in plan.lot_chunks
    )
    if full:
        wanted_candidates_index_rebuild()
    return {**plan.summary, "created": created}


# The covering index of a lot's candidate requests (matching/0006): it carries each
# request's floor and matched_at, so every row the full recomputation writes (all of
# them) leaves a new entry in it, and the old one dead.
WANTED_CANDIDATES_INDEX = "wanted_match_candidates_idx"


def wanted_candidates_index_rebuild() -> bool:
    """Build the covering index of a lot's candidate requests anew, once a full
    recomputation has written every open request. Left as it is, it grows with each one
    (50 000 requests: 900 pages built anew, 4 300 after the bench's recomputations), and
    for the largest categories PostgreSQL then reads the table instead (a bitmap scan,
    6-12 ms against 2-4 ms for the index alone). ``REINDEX CONCURRENTLY``: writes and
    reads go on meanwhile. Only on PostgreSQL, outside a transaction (it cannot run in
    one); returns whether it ran."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"REINDEX INDEX CONCURRENTLY {WANTED_CANDIDATES_INDEX}")
    return True
