"""Formulas that a rule needs both in Python and in SQL (the distance, the match score):
the SQL form is built from the same constants as the Python one, step by step, as text
with parameters, for PostgreSQL and SQLite.

Why not Django's expressions: a score is some 70 nodes, and resolving them costs
Django ~2-7 ms a query; the engine runs one such query per request it matches. Here
Django resolves only the columns (their joins and table aliases), and the formula is
written once as text."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import FloatField, Func
from django.db.models.expressions import Combinable


@dataclass(frozen=True)
class Column:
    """A column (or a small expression over columns) as SQL text, e.g. ``"lots_lot"."latitude"``."""

    sql: str


# SQL text and its parameters, in the order of their placeholders.
Fragment = tuple[str, list]
# What a formula takes: a column, a fragment, or a value (a parameter).
Operand = Column | tuple | float | int


def sql(template: str, *operands: Operand) -> Fragment:
    """``template`` with each ``{}``, in turn, replaced by an operand, in parentheses.
    In arithmetic everything is double precision, as in Python: a column and a number
    are cast (a number bound as a parameter); a fragment is taken as it is."""
    texts, params = [], []
    for operand in operands:
        if isinstance(operand, tuple):
            text, more = operand
        elif isinstance(operand, Column):
            text, more = f"CAST({operand.sql} AS DOUBLE PRECISION)", []
        else:
            text, more = "CAST(%s AS DOUBLE PRECISION)", [float(operand)]
        texts.append(text)
        params.extend(more)
    return "(" + template.format(*texts) + ")", params


def equals(column: Column | object, value: Column | object) -> Fragment:
    """``column = value``, compared as they are (ids, codes), not as numbers."""
    texts, params = [], []
    for operand in (column, value):
        if isinstance(operand, Column):
            texts.append(operand.sql)
        else:
            texts.append("%s")
            params.append(operand)
    return f"({texts[0]} = {texts[1]})", params


def array_literal(values) -> str:
    """A PostgreSQL array literal of numbers or booleans (``{1,2,3}``), bound as one text
    parameter and cast (``%s::bigint[]``): built by one join, where psycopg's binary arrays
    cost microseconds an element in Python. A float's repr is the shortest text that
    reads back as the same double."""
    return "{" + ",".join(map(repr, values)) + "}"


def is_null(column: Column) -> Fragment:
    return f"({column.sql} IS NULL)", []


def least(vendor: str) -> str:
    """The function that picks the smaller of two values on this database."""
    return "MIN" if vendor == "sqlite" else "LEAST"


def greatest(vendor: str) -> str:
    return "MAX" if vendor == "sqlite" else "GREATEST"


def days_from(vendor: str, day: datetime.date, column: Column) -> Fragment:
    """Whole days from ``day`` to the date in ``column`` (negative before it), as a
    double, as ``(date - day).days`` counts them."""
    if vendor == "sqlite":
        return f"CAST(julianday({column.sql}) - julianday(%s) AS DOUBLE PRECISION)", [day]
    return f"CAST({column.sql} - CAST(%s AS DATE) AS DOUBLE PRECISION)", [day]


class SqlFormula(Func):
    """A formula over columns, for ``annotate``, ``filter`` and ``order_by``:
    ``build(vendor, **arguments) -> Fragment`` gets each Django expression (a field
    name as ``F``) as a ``Column`` of its compiled SQL, and every other argument as it is."""

    output_field = FloatField()

    def __init__(self, build: Callable[..., Fragment], /, **arguments):
        self.build = build
        self.values = {k: v for k, v in arguments.items() if not isinstance(v, Combinable)}
        self.column_names = [k for k, v in arguments.items() if isinstance(v, Combinable)]
        super().__init__(*(arguments[name] for name in self.column_names))

    def as_sql(self, compiler, connection, **extra_context):
        columns = {}
        for name, expression in zip(self.column_names, self.get_source_expressions(), strict=True):
            text, params = compiler.compile(expression)
            if params:
                raise ValueError(f"{name}: a column, not a value")
            columns[name] = Column(text)
        return self.build(connection.vendor, **self.values, **columns)
