"""The near-site filter's latitude/longitude index carries status and owner: counting
the lots within a radius (up to the capped count of 1 001) becomes an index-only scan,
since the distance needs only the coordinates and the visibility test (published, or
your own) only status and owner. 10 ms -> 1 ms for 5 000 lots within 25 km."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("categories", "0001_initial"),
        ("lots", "0004_lot_newest_first_index"),
        ("organisations", "0001_initial"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="lot",
            name="lot_lat_lon_idx",
        ),
        migrations.AddIndex(
            model_name="lot",
            index=models.Index(
                fields=["latitude", "longitude"], include=("status", "owner"), name="lot_near_idx"
            ),
        ),
    ]
