"""How well a lot fits a wanted request: a score in [0, 1] and the reasons, in Python,
for the few candidates the database selected."""

import datetime

WEIGHTS = {"category": 0.3, "distance": 0.25, "quantity": 0.25, "condition": 0.1, "time": 0.1}


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
    exact = lot_category_path == wanted_category_path
    category = 1.0 if exact else 0.7
    # anywhere in the region counts as near
    near = 1.0 if distance is None else max(0.0, 1.0 - distance / max_distance_km)
    coverage = min(available / wanted_quantity, 1.0)
    condition = 0.5 + 0.5 * (lot_condition_rank - min_condition_rank) / 3
    days_left = (available_until - today).days
    time = min(max(days_left, 0) / 30, 1.0)
    parts = {
        "category": category,
        "distance": near,
        "quantity": coverage,
        "condition": condition,
        "time": time,
    }
    score = round(sum(WEIGHTS[k] * v for k, v in parts.items()), 4)
    reasons = {
        "category": "exact" if exact else "parent",
        "distance_km": None if distance is None else round(distance, 1),
        "quantity_coverage": round(coverage, 2),
        "condition_margin": lot_condition_rank - min_condition_rank,
        "days_left": days_left,
    }
    return min(max(score, 0.0), 1.0), reasons
