"""The monthly totals of the impact records (``ImpactMonthlyTotal``,
``ImpactOrganisationMonthlyTotal``, ``ImpactOrganisationCategoryMonthlyTotal``): added to
in the transaction of every record written, rebuilt from the records after a bulk load
or to repair, and compared with them."""

from decimal import Decimal

from django.db import connection, transaction
from django.db.models import QuerySet

from exchange.impact.models import (
    ImpactMonthlyTotal,
    ImpactOrganisationCategoryMonthlyTotal,
    ImpactOrganisationMonthlyTotal,
    ImpactRecord,
    ImpactTotalRole,
)

KG = Decimal("0.001")
_SUMS = ("record_count", "items", "weight_kg", "co2e_avoided_kg", "replacement_value_eur")
_RECORD_SUMS = (
    "COUNT(*), SUM(r.quantity), SUM(r.weight_kg), SUM(r.co2e_avoided_kg), "
    "SUM(r.replacement_value_eur)"
)


def _month(column: str) -> str:
    """SQL for the first day of the month of a date column."""
    if connection.vendor == "postgresql":
        return f"CAST(date_trunc('month', {column}) AS date)"
    return f"date({column}, 'start of month')"


def _totals_targets() -> list[tuple[type, dict[str, str], str]]:
    """Each totals table with its key columns (and the SQL on the records ``r`` that
    gives each), and the organisation column that must be set (donor, recipient)."""
    month = _month("r.occurred_on")
    targets: list[tuple[type, dict[str, str], str]] = [
        (
            ImpactMonthlyTotal,
            {
                "month": month,
                "outcome": "r.outcome",
                "category_id": "r.category_id",
                "region": "r.region",
                "factor_version_id": "r.factor_version_id",
            },
            "",
        )
    ]
    for role in ImpactTotalRole.values:
        key = {"role": f"'{role}'", "month": month, "organisation_id": f"r.{role}_id"}
        key["outcome"] = "r.outcome"
        targets.append((ImpactOrganisationMonthlyTotal, key, f"r.{role}_id"))
        targets.append(
            (
                ImpactOrganisationCategoryMonthlyTotal,
                {**key, "category_id": "r.category_id", "region": "r.region"},
                f"r.{role}_id",
            )
        )
    return targets


def _totals_select(key: dict[str, str], organisation: str, where: str) -> str:
    """The sums of the records matching ``where``, grouped by ``key``."""
    groups = ", ".join(value for value in key.values() if not value.startswith("'"))
    condition = f" AND {organisation} IS NOT NULL" if organisation else ""
    # Names from the models and SQL of this module: nothing from outside.
    return (
        f"SELECT {', '.join(key.values())}, {_RECORD_SUMS} "  # noqa: S608
        f"FROM {ImpactRecord._meta.db_table} r WHERE ({where}){condition} GROUP BY {groups}"
    )


def _totals_statements(where: str) -> list[str]:
    """INSERT ... SELECT ... GROUP BY statements that add the records matching ``where``
    (SQL on the records as ``r``) to the monthly totals. The upsert adds to a row that
    exists, in the database, so concurrent writers never lose each other's sums."""
    statements = []
    for model, key, organisation in _totals_targets():
        table = model._meta.db_table
        updates = ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in _SUMS)
        statements.append(
            f"INSERT INTO {table} ({', '.join(key)}, {', '.join(_SUMS)}) "
            f"{_totals_select(key, organisation, where)} "
            f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
        )
    return statements


def impact_totals_add(*, records: QuerySet[ImpactRecord]) -> None:
    """Add ``records`` (just written, in the current transaction) to the monthly totals.
    Every writer of impact records calls it in the transaction of its insert."""
    subquery, params = records.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        for statement in _totals_statements(f"r.id IN ({subquery})"):
            cursor.execute(statement, params)


@transaction.atomic
def impact_totals_rebuild() -> int:
    """Recompute every monthly total from the records; returns how many rows it wrote.
    For after a bulk load that bypassed the services, and to repair. Writers wait while
    it runs (PostgreSQL: a lock that only they conflict with); readers read the old
    totals until it commits."""
    models = (
        ImpactMonthlyTotal,
        ImpactOrganisationMonthlyTotal,
        ImpactOrganisationCategoryMonthlyTotal,
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            tables = ", ".join(model._meta.db_table for model in models)
            cursor.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")
        for model in models:
            model.objects.all().delete()
        for statement in _totals_statements("1 = 1"):
            cursor.execute(statement)
    return sum(model.objects.count() for model in models)


def impact_totals_differences() -> int:
    """How many monthly total rows differ from the sums of the records (missing, extra
    or other sums); 0 when they agree. Reads everything: for checks, not requests."""
    differences = 0
    with connection.cursor() as cursor:
        for model, key, organisation in _totals_targets():
            table = model._meta.db_table
            cursor.execute(_totals_select(key, organisation, "1 = 1"))
            expected = _by_key(cursor.fetchall(), len(key))
            role = f" WHERE role = {key['role']}" if "role" in key else ""
            cursor.execute(f"SELECT {', '.join(key)}, {', '.join(_SUMS)} FROM {table}{role}")  # noqa: S608
            stored = _by_key(cursor.fetchall(), len(key))
            differences += sum(
                1
                for k in expected.keys() | stored.keys()
                if _comparable(expected.get(k)) != _comparable(stored.get(k))
            )
    return differences


def _by_key(rows: list[tuple], size: int) -> dict[tuple, tuple]:
    # keys as text: SQLite gives the month as text from an expression, a date from a column
    return {tuple(str(value) for value in row[:size]): row[size:] for row in rows}


def _comparable(sums: tuple | None) -> tuple | None:
    """Sums as exact decimals (SQLite returns floats for decimal columns)."""
    if sums is None:
        return None
    return tuple(Decimal(str(value)).quantize(KG) for value in sums)
