"""Distances on the sphere the platform measures on (mean Earth radius 6371 km): the
great-circle distance between two places, and the latitude/longitude box around every
point within a distance, which indexed queries filter on before the exact distance."""

import math

EARTH_RADIUS_KM = 6371.0
BOX_MARGIN_DEGREES = 1e-6  # about 0.1 m: floating-point rounding never drops a place


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    half_dlat, half_dlon = (p2 - p1) / 2, math.radians(lon2 - lon1) / 2
    h = math.sin(half_dlat) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(half_dlon) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


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
