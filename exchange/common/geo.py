"""Distances on the sphere the platform measures on (mean Earth radius 6371 km): the
great-circle distance between two places, in Python (``distance_km``) and in SQL
(``distance_km_sql``, the same formula step by step, for filtering, ranking and
annotating rows), and the latitude/longitude box around every point within a distance,
which indexed queries filter on before the exact distance."""

import math

import numpy as np
from django.db.models import F

from exchange.common.sql import Fragment, Operand, SqlFormula, least, sql

EARTH_RADIUS_KM = 6371.0
BOX_MARGIN_DEGREES = 1e-6  # about 0.1 m: floating-point rounding never drops a place


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    half_dlat, half_dlon = (p2 - p1) / 2, math.radians(lon2 - lon1) / 2
    h = math.sin(half_dlat) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(half_dlon) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def distance_km_array(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    """``distance_km`` for many pairs at once (arrays that broadcast together), the same
    steps; numpy's trigonometry may differ from the math module's in the last bits."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    half_dlat, half_dlon = (p2 - p1) / 2, np.radians(lon2 - lon1) / 2
    h = np.sin(half_dlat) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(half_dlon) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))


def distance_km_sql(
    vendor: str, lat1: Operand, lon1: Operand, lat2: Operand, lon2: Operand
) -> Fragment:
    """``distance_km`` in SQL; each coordinate a number or a ``Column``."""
    p1, p2 = sql("RADIANS({})", lat1), sql("RADIANS({})", lat2)
    half_dlat, half_dlon = sql("({} - {}) / 2", p2, p1), sql("RADIANS({} - {}) / 2", lon2, lon1)
    h = sql(
        "POWER(SIN({}), 2) + COS({}) * COS({}) * POWER(SIN({}), 2)", half_dlat, p1, p2, half_dlon
    )
    return sql(f"{{}} * ASIN({least(vendor)}(1.0, SQRT({{}})))", 2 * EARTH_RADIUS_KM, h)


def distance_km_expression(
    latitude: float, longitude: float, lat_field: str = "latitude", lon_field: str = "longitude"
) -> SqlFormula:
    """The distance in km from a place to the one in each row's ``lat_field`` and
    ``lon_field`` (``"site__latitude"`` follows a relation)."""
    return SqlFormula(
        distance_km_sql, lat1=latitude, lon1=longitude, lat2=F(lat_field), lon2=F(lon_field)
    )


def distance_box(latitude: float, longitude: float, km: float) -> tuple[float, ...]:
    """(min lat, max lat, min lon, max lon) of the smallest box around every point within
    ``km`` of a place, on the sphere ``distance_km`` measures on. A box made with 111.32
    km per degree (the equator's, not this sphere's 111.19) was 0.1 % too small, and
    lost places near its edges that the exact distance lets through."""
    angle = km / EARTH_RADIUS_KM
    dlat = math.degrees(angle)
    reach = math.sin(angle) / max(math.cos(math.radians(latitude)), 1e-9)
    dlon = 180.0 if reach >= 1 else math.degrees(math.asin(reach))
    dlat, dlon = dlat + BOX_MARGIN_DEGREES, dlon + BOX_MARGIN_DEGREES
    return latitude - dlat, latitude + dlat, longitude - dlon, longitude + dlon
