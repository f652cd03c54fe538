"""Statements that nearly every API request runs, prepared once per database connection.

Django binds parameters on the client and prepares nothing (psycopg's
``prepare_threshold`` is None, so that a pooler in transaction mode cannot lose a
prepared statement): PostgreSQL parses and plans each statement anew. A page of the
catalogue spent more time in its statement's planning (~1.2 ms) than in running it
(~0.8 ms), and the token with its membership as much again (~0.35 ms) on every request.

``prepared_cursor()`` runs such statements through a server-binding psycopg cursor on
the connection Django holds, each prepared at its first execution on that connection
(its parameters sent apart; PostgreSQL plans it again only if a generic plan would cost
more). psycopg keeps them per connection, the ``PREPARED_MAX`` most recently used
(older ones are deallocated), and forgets them on a rollback: a new connection (after
CONN_MAX_AGE, or a failed health check) prepares them again. Django's cursor wrapper
stays around it: the queries are counted, logged and wrapped as any other. Statements
of Django's own cursors are never prepared (client-side binding cannot be). Elsewhere
than on PostgreSQL, Django's cursor as it is.
"""

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from django.db import connection

# Prepared statements kept per connection (psycopg's default): the catalogue's shapes
# (filters, ordering, page size and number) in use, the token's.
PREPARED_MAX = 100


@contextmanager
def prepared_cursor(*, binary: bool = False, prepare: bool = True) -> Iterator:
    """A cursor (Django's wrapper) whose statements are prepared on the connection;
    ``binary``: its rows come in PostgreSQL's binary format (read without parsing text:
    timestamps, numbers), as the same Python values except the time zone of a moment
    (UTC either way). ``prepare=False``: a statement whose best plan depends on its
    values (a search term, a distance box), planned again for each run: PostgreSQL
    would soon keep a generic plan for it, made without the values (a list within 25 km
    of a place took 74 ms instead of 21)."""
    with connection.cursor() as cursor:  # the connection, health-checked, as Django keeps it
        if connection.vendor != "postgresql":
            yield cursor
            return
        raw = cursor.connection
        if raw.prepare_threshold is None:
            # Prepared only when asked (as below): Django's own cursors never are.
            raw.prepare_threshold = sys.maxsize
            raw.prepared_max = PREPARED_MAX
        server = _PreparingCursor(raw)
        server.prepare = prepare
        if binary:
            server.format = psycopg.pq.Format.BINARY
        with type(cursor)(server, connection) as prepared:
            yield prepared


class _PreparingCursor(psycopg.Cursor):
    """Binds parameters on the server and prepares every statement it runs (unless
    ``prepare`` is False)."""

    prepare = True

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=self.prepare, binary=binary)

    def _send_query_prepared(self, name, query, *, binary=None):
        # What Django's query log reads (last_executed_query): psycopg sets it only for
        # a statement it does not prepare.
        self._query = query
        return super()._send_query_prepared(name, query, binary=binary)
