"""How well a lot fits a wanted request: a score in [0, 1] and the reasons.

One rule in three forms, all built from the weights and constants below, in the same
order of operations: ``match_score`` scores one pair in Python (its score is the one
stored and shown); ``match_score_expression`` is the same score in SQL, by which the
database ranks candidates before Python scores the best few; ``match_score_array``
scores many pairs at once (numpy arrays), for the set-based engine, which rounds as
``match_score`` does and hands the pairs whose unrounded score lies on a rounding
boundary to ``match_score``. Change a weight here and every form changes."""

import datetime
import operator

import numpy as np

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
SCORE_PLACES = 4  # the score is stored rounded to 4 places


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
    reasons = match_reasons(
        exact=exact,
        distance=distance,
        coverage=coverage,
        condition_margin=lot_condition_rank - min_condition_rank,
        days_left=days_left,
    )
    return score_rounded(weighted), reasons


def score_rounded(weighted: float) -> float:
    """The score as stored: rounded to SCORE_PLACES places, within [0, 1]."""
    return min(max(round(weighted, SCORE_PLACES), 0.0), 1.0)


DISTANCE_PLACES, COVERAGE_PLACES = 1, 2  # the reasons' rounding


def match_reasons(
    *, exact: bool, distance: float | None, coverage: float, condition_margin: int, days_left: int
) -> dict:
    """Why a pair scores as it does, as stored with the match and shown."""
    return {
        "category": "exact" if exact else "parent",
        "distance_km": None if distance is None else round(distance, DISTANCE_PLACES),
        "quantity_coverage": round(coverage, COVERAGE_PLACES),
        "condition_margin": condition_margin,
        "days_left": days_left,
    }


def match_reasons_array(
    *,
    exact: np.ndarray,
    distance: np.ndarray | None,
    coverage: np.ndarray,
    condition_margin: np.ndarray,
    days_left: np.ndarray,
) -> list[dict]:
    """``match_reasons`` of many pairs: the same dictionaries, rounded as round() rounds
    (``rounded_array``)."""
    near = [None] * len(exact) if distance is None else rounded_array(distance, DISTANCE_PLACES)
    return [
        {
            "category": "exact" if same else "parent",
            "distance_km": km,
            "quantity_coverage": covered,
            "condition_margin": margin,
            "days_left": days,
        }
        for same, km, covered, margin, days in zip(
            exact.tolist(),
            near,
            rounded_array(coverage, COVERAGE_PLACES),
            condition_margin.tolist(),
            days_left.tolist(),
            strict=True,
        )
    ]


def rounded_array(values: np.ndarray, places: int) -> list[float]:
    """round(value, places) of each value: rint(value x 10**places) / 10**places, the
    same double, except within 1e-6 of a place's half, where round() decides."""
    scaled = values * 10**places
    result = np.rint(scaled) / 10**places
    doubtful = np.abs(np.abs(scaled - np.floor(scaled)) - 0.5) < 1e-6
    rounded = result.tolist()
    for position in np.flatnonzero(doubtful).tolist():
        rounded[position] = round(float(values[position]), places)
    return rounded


# --- The same score over arrays --------------------------------------------------------


def match_score_array(
    *,
    exact: np.ndarray,
    distance: np.ndarray | None,
    max_distance_km: np.ndarray | None,
    available: np.ndarray,
    wanted_quantity: np.ndarray,
    lot_condition_rank: np.ndarray,
    min_condition_rank: np.ndarray,
    days_left: np.ndarray,
) -> np.ndarray:
    """``match_score`` before rounding, for many pairs at once (arrays that broadcast
    together: e.g. one row a request, one column a lot). ``distance`` None: anywhere in
    the region. Integers are divided as Python divides them (both converted to double),
    so each part is the same double as ``match_score``'s; only the distance (numpy's
    trigonometry) may differ from ``distance_km`` in its last bits."""
    category = np.where(exact, CATEGORY_EXACT, CATEGORY_PARENT)
    near = 1.0 if distance is None else np.maximum(0.0, 1.0 - distance / max_distance_km)
    coverage = np.minimum(available / wanted_quantity, 1.0)
    condition = 0.5 + 0.5 * (lot_condition_rank - min_condition_rank) / CONDITION_STEPS
    time = np.minimum(np.maximum(days_left, 0) / FULL_TIME_DAYS, 1.0)
    return _weighted_sum(operator.add, operator.mul, category, near, coverage, condition, time)


def rounded_score_array(weighted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``score_rounded`` of unrounded scores, as integers in units of the last place
    (0.8767 -> 8767), and where it is in doubt: within 1e-6 of a place's half, where
    the product with 10**4 (or the last bits of a distance) could tip it; the caller
    rounds those with ``score_rounded``. Elsewhere rint(score x 10**4) is the integer
    round() picks, and that integer / 10**4 is the same double."""
    scaled = weighted * 10**SCORE_PLACES
    units = np.rint(scaled)
    doubtful = np.abs(np.abs(scaled - np.floor(scaled)) - 0.5) < 1e-6
    return np.clip(units, 0, 10**SCORE_PLACES).astype(np.int64), doubtful


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
