"""Writing many rows at once (the load generators). On PostgreSQL: with ``COPY``,
without the tables' secondary indexes and foreign keys, and with ids drawn from the
sequence in one block; elsewhere with bulk_create."""

import contextlib

import psycopg
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


@contextlib.contextmanager
def historical_timestamps(*model_classes):
    """bulk_create stamps auto_now/auto_now_add fields with the current time; generated
    history needs its own past ``created_at``/``updated_at``, so switch that off here."""
    fields = [
        field
        for model_class in model_classes
        for field in model_class._meta.concrete_fields
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    ]
    saved = [(field, field.auto_now, field.auto_now_add) for field in fields]
    for field in fields:
        field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, auto_now, auto_now_add in saved:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


def copy_rows(model: type[models.Model], rows: list[dict]) -> None:
    """COPY rows (dicts by attname, all with the same keys) into ``model``'s table; the
    other fields get their defaults, a missing primary key the next id."""
    if not rows:
        return
    names = list(rows[0])
    rest = [f for f in model._meta.concrete_fields if f.attname not in names and not f.primary_key]
    defaults = tuple(field.get_default() for field in rest)
    quote = connection.ops.quote_name
    columns = ", ".join(
        quote(model._meta.get_field(name).column) for name in names + [f.attname for f in rest]
    )
    table = quote(model._meta.db_table)
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for values in rows:
            copy.write_row((*values.values(), *defaults))


def _binary_dumper(cursor, oid: int) -> bool:
    try:
        cursor.connection.adapters.get_dumper_by_oid(oid, psycopg.pq.Format.BINARY)
    except psycopg.ProgrammingError:
        return False
    return True


class Table:
    """Rows of one model as tuples: of ``columns`` (field attnames, in that order), or
    of every concrete field (ids included unless ``with_ids`` is False: then the
    database numbers them)."""

    def __init__(self, model: type[models.Model], *, columns=None, with_ids: bool = True):
        self.model = model
        if columns is None:
            columns = [
                f.attname for f in model._meta.concrete_fields if with_ids or not f.primary_key
            ]
        fields = {f.attname: f for f in model._meta.concrete_fields}
        self.fields = [fields[name] for name in columns]  # KeyError: no such field
        self.attnames = list(columns)
        self.files = [i for i, f in enumerate(self.fields) if isinstance(f, models.FileField)]
        self.rows: list[tuple] = []

    def add_instance(self, instance: models.Model) -> None:
        row = [getattr(instance, name) for name in self.attnames]
        for index in self.files:
            row[index] = row[index].name or ""  # a FieldFile: its stored name
        self.rows.append(tuple(row))

    def write(self) -> None:
        if not self.rows:
            return
        if connection.vendor == "postgresql":
            # Binary COPY: parsing text timestamps costs the server more than the rest.
            columns = ", ".join(connection.ops.quote_name(f.column) for f in self.fields)
            table = connection.ops.quote_name(self.model._meta.db_table)
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass",
                    [self.model._meta.db_table],
                )
                types = dict(cursor.fetchall())
                oids = [types[f.column] for f in self.fields]
                binary = all(_binary_dumper(cursor, oid) for oid in oids)  # not tsvector
                options = " (FORMAT BINARY)" if binary else ""
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN{options}") as copy:
                    if binary:
                        copy.set_types(oids)
                    for row in self.rows:
                        copy.write_row(row)
        else:
            with historical_timestamps(self.model):
                self.model.objects.bulk_create(
                    [self.model(**dict(zip(self.attnames, row, strict=True))) for row in self.rows],
                    batch_size=500,
                )
        self.rows = []
