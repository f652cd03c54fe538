"""A query the ORM compiles once per connection, run again with other values.

The object an API address names is looked up with the same query on every request, up to
two numbers (its id and the acting organisation's): building that query and compiling it
to SQL (its joined models' columns, their converters) cost more than the database's
answer. ``CompiledQuery`` compiles a queryset made with stand-in numbers once, checks that
those numbers appear in the statement only as parameters and that nothing else in it can
change from one request to the next, then runs the statement with each request's numbers
through the same compiler, so the instances, their joined objects and their prefetched
relations come out as the ORM makes them (Django's ``ModelIterable`` and prefetching).
"""

import copy
from collections.abc import Mapping

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import MAX_GET_RESULTS, ModelIterable


class NotCompilable(Exception):
    """The queryset depends on more than its stand-in values: the ORM builds it per use."""


# Parameters that may stay in the statement as they are: the values of the code's own
# constants (statuses, kinds). A moment, a date or a number could come from the clock or
# from settings, and is refused.
_CONSTANT_TYPES = (str, bool, type(None))


class CompiledQuery:
    """``queryset`` (made with the ``stand_ins``, distinct whole numbers no row has)
    compiled once; ``get(values)`` runs its statement with ``values`` (the same names)
    in their place, as ``QuerySet.get()`` would: without ordering, at most
    ``MAX_GET_RESULTS`` rows."""

    def __init__(self, queryset: QuerySet, stand_ins: Mapping[str, int]):
        queryset = queryset._chain()
        if queryset.query.can_filter() and not queryset.query.distinct_fields:
            queryset = queryset.order_by()
        if queryset._iterable_class is not ModelIterable or queryset.query.select_for_update:
            raise NotCompilable("only model instances, read without a lock")
        queryset.query.set_limits(high=MAX_GET_RESULTS)
        self.queryset = queryset
        self.model = queryset.model
        self.alias = queryset.db
        compiler = queryset.query.get_compiler(using=self.alias)
        try:
            self.sql, params = compiler.as_sql()
        except (EmptyResultSet, FullResultSet) as error:
            raise NotCompilable("no statement to keep") from error
        self.slots = tuple(_slot(param, stand_ins) for param in params)
        for value in stand_ins.values():
            if str(value) in self.sql:
                raise NotCompilable("a stand-in written into the statement")
        converters = compiler.get_converters([s[0] for s in compiler.select[: compiler.col_count]])
        compiler.get_converters = lambda expressions: converters
        self.compiler = compiler

    def get(self, values: Mapping[str, int]) -> list[Model]:
        """The instances the statement finds with ``values``, prefetched as the queryset
        asks (at most ``MAX_GET_RESULTS``)."""
        params = tuple(values[name] if name else constant for name, constant in self.slots)
        compiler = copy.copy(self.compiler)
        compiler.connection = connections[self.alias]
        compiler.as_sql = lambda *args, **kwargs: (self.sql, params)
        found = QuerySet.__new__(type(self.queryset))
        found.__dict__.update(self.queryset.__dict__)
        found._query = _Compiled(compiler)
        found._result_cache, found._prefetch_done = None, False
        found._fetch_all()
        return found._result_cache


def _slot(param, stand_ins: Mapping[str, int]) -> tuple[str | None, object]:
    """Where a parameter of the statement comes from: a stand-in's name, or a constant."""
    if type(param) is int:
        for name, value in stand_ins.items():
            if param == value:
                return name, None
    if not isinstance(param, _CONSTANT_TYPES):
        raise NotCompilable(f"a parameter that may change: {param!r}")
    if isinstance(param, str) and any(str(value) in param for value in stand_ins.values()):
        raise NotCompilable("a stand-in inside a text parameter")
    return None, param


class _Compiled:
    """What ``ModelIterable`` asks of a queryset's query: its compiler."""

    values_select = ()

    def __init__(self, compiler):
        self.compiler = compiler

    def get_compiler(self, using=None, connection=None, elide_empty=True):
        return self.compiler
