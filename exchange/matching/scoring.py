"""How well a lot fits a wanted request: a score in [0, 1] and the reasons.

One rule in two forms, both built from the weights and constants below: ``match_score``
scores in Python the candidates the database selected (its score is the one stored and
shown), and ``match_score_expression`` is the same score in SQL, in the same order of
operations, by which the database ranks candidates before Python scores the best few.
Change a weight here and both change."""

import datetime
import operator

from exchange.common.geo import distance_km_sql
from exchange.common.sql import (
    Column,
    Fragment,
    Operand,
    SqlFormula,
    days_from,
    equals,
    greatest,
    is_null,
    least,
    sql,
)

# The share of each part in the score (they add up to 1).
WEIGHTS = {"category": 0.3, "distance": 0.25, "quantity": 0.25, "condition": 0.1, "time": 0.1}
CATEGORY_EXACT = 1.0  # the lot's category is the one asked for
CATEGORY_PARENT = 0.7  # the lot's category lies below it (a request covers its subtree)
CONDITION_STEPS = 3  # condition ranks from "for parts" (1) to "new" (4)
FULL_TIME_DAYS = 30  # a lot available this many days or more scores the whole time part


def _weighted_sum(plus, times, category, distance, quantity, condition, time):
    """Each part times its weight, added up in the order of WEIGHTS: the same steps in
    Python and in SQL."""
    parts = {
        "category": category,
        "distance": distance,
        "quantity": quantity,
        "condition": condition,
        "time": time,
    }
    total = None
    for name, weight in WEIGHTS.items():
        term = times(weight, parts[name])
        total = term if total is None else plus(total, term)
    return total


def match_score(
    *,
    lot_category_path: str,
    wanted_category_path: str,
    distance: float | None,
    max_distance_km: int | None,
    available: int,
    wanted_quantity: int,
    lot_condition_rank: int,
    min_condition_rank: int,
    available_until: datetime.date,
    today: datetime.date,
) -> tuple[float, dict]:
    """The score (rounded to 4 places) and its reasons. ``distance`` None: the request
    takes anything in its region, where every lot counts as near."""
    exact = lot_category_path == wanted_category_path
    category = CATEGORY_EXACT if exact else CATEGORY_PARENT
    near = 1.0 if distance is None else max(0.0, 1.0 - distance / max_distance_km)
    coverage = min(available / wanted_quantity, 1.0)
    condition = 0.5 + 0.5 * (lot_condition_rank - min_condition_rank) / CONDITION_STEPS
    days_left = (available_until - today).days
    time = min(max(days_left, 0) / FULL_TIME_DAYS, 1.0)
    weighted = _weighted_sum(operator.add, operator.mul, category, near, coverage, condition, time)
    score = round(weighted, 4)
    reasons = {
        "category": "exact" if exact else "parent",
        "distance_km": None if distance is None else round(distance, 1),
        "quantity_coverage": round(coverage, 2),
        "condition_margin": lot_condition_rank - min_condition_rank,
        "days_left": days_left,
    }
    return min(max(score, 0.0), 1.0), reasons


# --- The same score in SQL -------------------------------------------------------------


def match_score_sql(
    vendor: str,
    *,
    lot_category: Operand,
    wanted_category: Operand,
    site_latitude: Operand | None,
    site_longitude: Operand | None,
    lot_latitude: Operand,
    lot_longitude: Operand,
    max_distance_km: Operand | None,
    available: Operand,
    wanted_quantity: Operand,
    lot_condition_rank: Operand,
    min_condition_rank: Operand,
    available_until: datetime.date | Column,
    today: datetime.date,
) -> Fragment:
    """``match_score`` before rounding, in SQL, over lots or over requests: each value a
    ``Column`` or a value; the categories (ids or paths) are compared as they are. The
    request's site None, or a column that is NULL: anywhere in its region."""
    category = sql(
        "CASE WHEN {} THEN {} ELSE {} END",
        equals(lot_category, wanted_category),
        CATEGORY_EXACT,
        CATEGORY_PARENT,
    )
    if site_latitude is None:
        near = 1.0
    else:
        distance = distance_km_sql(
            vendor, site_latitude, site_longitude, lot_latitude, lot_longitude
        )
        near = sql(f"{greatest(vendor)}(0.0, 1.0 - {{}} / {{}})", distance, max_distance_km)
        if isinstance(site_latitude, Column):
            near = sql("CASE WHEN {} THEN 1.0 ELSE {} END", is_null(site_latitude), near)
    coverage = sql(f"{least(vendor)}({{}} / {{}}, 1.0)", available, wanted_quantity)
    condition = sql(
        "0.5 + 0.5 * ({} - {}) / {}", lot_condition_rank, min_condition_rank, CONDITION_STEPS
    )
    if isinstance(available_until, Column):
        days_left = days_from(vendor, today, available_until)
    else:
        days_left = (available_until - today).days
    time = sql(
        f"{least(vendor)}({greatest(vendor)}({{}}, 0.0) / {{}}, 1.0)", days_left, FULL_TIME_DAYS
    )

    def plus(a, b):
        return sql("{} + {}", a, b)

    def times(weight, part):
        return sql("{} * {}", weight, part)

    return _weighted_sum(plus, times, category, near, coverage, condition, time)


def match_score_expression(**values) -> SqlFormula:
    """``match_score_sql`` for a query: each value a Django expression (``F("quantity")``,
    ``F("site__latitude")``: the column of each row) or a value."""
    return SqlFormula(match_score_sql, **values)
