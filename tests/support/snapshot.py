"""The rows of a test database, read once and written back at will: a state that costs
much to build (the demo with two years of history) is built once per test process and
given to each test that needs it in a fraction of a second.

``DatabaseSnapshot.take()`` reads every table Django flushes between transactional tests
(the project's, content types and permissions included) and where their ids stand;
``restore()`` empties those tables and writes the rows back, ids and sequences as they
were, in one transaction: the database is then the one that was read, row for row. On
PostgreSQL the rows travel by ``COPY`` (every column type as PostgreSQL writes it), on
SQLite as the values SQLite stores."""

from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.management.color import no_style
from django.db import connection, transaction


@dataclass
class DatabaseSnapshot:
    tables: dict[str, object] = field(default_factory=dict)
    sequences: list[tuple[str, int, bool]] = field(default_factory=list)

    @classmethod
    def take(cls) -> "DatabaseSnapshot":
        snapshot = cls()
        names = sorted(connection.introspection.django_table_names(include_views=False))
        with transaction.atomic(), connection.cursor() as cursor:
            for name in names:
                table = connection.ops.quote_name(name)
                if connection.vendor == "postgresql":
                    with cursor.copy(f"COPY {table} TO STDOUT") as copy:
                        snapshot.tables[name] = b"".join(bytes(block) for block in copy)
                    for sequence in connection.introspection.get_sequences(cursor, name):
                        cursor.execute(
                            f"SELECT last_value, is_called FROM "  # noqa: S608 (our own names)
                            f"{connection.ops.quote_name(sequence['name'])}"
                        )
                        last_value, is_called = cursor.fetchone()
                        snapshot.sequences.append((sequence["name"], last_value, is_called))
                else:
                    cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 (our own names)
                    columns = [column[0] for column in cursor.description]
                    snapshot.tables[name] = (columns, cursor.fetchall())
            if connection.vendor == "sqlite":
                cursor.execute("SELECT name, seq FROM sqlite_sequence")
                snapshot.sequences = [(name, seq, True) for name, seq in cursor.fetchall()]
        return snapshot

    def restore(self) -> None:
        """Empty the tables and write the rows back (foreign keys are checked at commit,
        as Django declares them on both databases)."""
        flush = connection.ops.sql_flush(no_style(), list(self.tables))
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in flush:
                cursor.execute(statement)
            for name, rows in self.tables.items():
                table = connection.ops.quote_name(name)
                if connection.vendor == "postgresql":
                    if rows:
                        with cursor.copy(f"COPY {table} FROM STDIN") as copy:
                            copy.write(rows)
                    continue
                columns, values = rows
                if values:
                    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
                    marks = ", ".join(["%s"] * len(columns))
                    cursor.executemany(
                        f"INSERT INTO {table} ({quoted}) VALUES ({marks})",  # noqa: S608
                        values,
                    )
            if connection.vendor == "postgresql":
                for name, last_value, is_called in self.sequences:
                    cursor.execute("SELECT setval(%s, %s, %s)", [name, last_value, is_called])
            else:
                cursor.execute("DELETE FROM sqlite_sequence")
                cursor.executemany(
                    "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)",
                    [(name, seq) for name, seq, _ in self.sequences],
                )
        # Content types are cached by id in the process; the rows may have other ids now.
        ContentType.objects.clear_cache()
