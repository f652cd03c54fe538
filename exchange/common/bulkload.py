"""Loading many rows at once on PostgreSQL (the load generators): without the tables'
secondary indexes and foreign keys, and with ids drawn from the sequence in one block.
Elsewhere these do nothing special."""

import contextlib

from django.db import connection, models


@contextlib.contextmanager
def secondary_indexes_dropped(*model_classes: type[models.Model]):
    """Load without the tables' secondary indexes and foreign keys, then build those
    again (each index in one pass, each key checked with one join) instead of updating
    every index and queueing every key check for each row. In the caller's
    transaction: if anything fails, the indexes and keys come back with the rollback.
    The tables are locked meanwhile."""
    if connection.vendor != "postgresql":
        yield
        return
    quote = connection.ops.quote_name
    saved = []
    with connection.cursor() as cursor:
        # ALTER TABLE refuses while rows written earlier in the transaction still wait
        # for their deferred key checks: run those checks now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for model in model_classes:
            table = model._meta.db_table
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'f'",
                [table],
            )
            keys = cursor.fetchall()
            cursor.execute(
                "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)",
                [table],
            )
            indexes = cursor.fetchall()
            for name, _definition in keys:
                cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
            for name, _definition in indexes:
                cursor.execute(f"DROP INDEX {quote(name)}")
            saved.append((table, keys, indexes))
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for table, keys, indexes in saved:
            for _name, definition in indexes:
                cursor.execute(definition)
            for name, definition in keys:
                cursor.execute(
                    f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}"
                )
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def sequence_ids(model: type[models.Model], count: int, *, block: bool = False) -> list[int]:
    """``count`` fresh primary keys for ``model``. On PostgreSQL from its sequence: in
    one block when ``block`` (the caller holds a lock on the table that keeps other
    inserts from drawing from the sequence meanwhile), else one number at a time.
    Elsewhere, the numbers after the largest key."""
    if not count:
        return []
    if connection.vendor != "postgresql":
        start = (model._base_manager.aggregate(last=models.Max("pk"))["last"] or 0) + 1
        return list(range(start, start + count))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [model._meta.db_table])
        sequence = cursor.fetchone()[0]
        if not block:
            cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [sequence, count])
            return [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT nextval(%s)", [sequence])
        first = cursor.fetchone()[0]
        cursor.execute("SELECT setval(%s, %s)", [sequence, first + count - 1])
    return list(range(first, first + count))
