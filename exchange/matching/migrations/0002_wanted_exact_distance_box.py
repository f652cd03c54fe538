"""Recompute the latitude/longitude box of every request with a site: the boxes were
made with 111.32 km per degree, 0.1 % smaller than the sphere the distance is measured
on, so lots near a box's edge within the distance were never matched. The formula is
copied here (exchange.matching.services.distance_box) so that this migration keeps
meaning what it meant when it was written."""

import math

from django.db import migrations

EARTH_RADIUS_KM = 6371.0
BOX_MARGIN_DEGREES = 1e-6


def _box(latitude: float, longitude: float, km: float) -> tuple[float, ...]:
    angle = km / EARTH_RADIUS_KM
    dlat = math.degrees(angle)
    reach = math.sin(angle) / max(math.cos(math.radians(latitude)), 1e-9)
    dlon = 180.0 if reach >= 1 else math.degrees(math.asin(reach))
    dlat, dlon = dlat + BOX_MARGIN_DEGREES, dlon + BOX_MARGIN_DEGREES
    return latitude - dlat, latitude + dlat, longitude - dlon, longitude + dlon


def recompute_boxes(apps, schema_editor):
    WantedRequest = apps.get_model("matching", "WantedRequest")
    fields = ["min_latitude", "max_latitude", "min_longitude", "max_longitude"]
    changed = []
    requests = (
        WantedRequest.objects.filter(site__isnull=False, max_distance_km__isnull=False)
        .select_related("site")
        .only("id", "max_distance_km", "site__latitude", "site__longitude", *fields)
    )
    for wanted in requests.iterator(chunk_size=2000):
        box = _box(
            float(wanted.site.latitude), float(wanted.site.longitude), wanted.max_distance_km
        )
        for name, value in zip(fields, box, strict=True):
            setattr(wanted, name, value)
        changed.append(wanted)
        if len(changed) >= 2000:
            # bulk_update writes a CASE per field: small batches keep that linear
            WantedRequest.objects.bulk_update(changed, fields, batch_size=250)
            changed = []
    WantedRequest.objects.bulk_update(changed, fields, batch_size=250)


class Migration(migrations.Migration):
    dependencies = [("matching", "0001_initial")]

    operations = [migrations.RunPython(recompute_boxes, migrations.RunPython.noop)]
