"""The catalogue's search within a region and its nearest-first order read less
(PostgreSQL; issue 16).

Search (``?q=chair&region=BRU``): the list shows the published lots and the acting
organisation's own. With 0006's indexes (a region's lots, every status) the planner
preferred to intersect the full-text index over all lots (~21 600 matches for "chair")
with the status/region index (~27 000 published lots in Brussels): two bitmaps of
~48 000 rows, ~30 ms before the first row. A region's index of its *published* lots
alone answers the first half of "published, or your own" by itself and the owner index
the second (a BitmapOr of ~6 000 and ~50 rows): the capped count ~22 -> ~7 ms on the
bench data. The lots found are the same: only the index changes.

Nearest first: the page's ids (``KeyOrdered``) were read from the table for the few
thousand lots of the box (~5 800 table pages around Brussels, 84 ms); with the id in
``lot_near_idx`` they come from the index alone."""

from django.db import migrations, models

REGIONS = ("BRU", "VLG", "WAL")


def published_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for region in REGIONS:
            schema_editor.execute(f"DROP INDEX IF EXISTS lot_search_{region.lower()}_gin")
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS lot_search_{region.lower()}_published_gin "
                f"ON lots_lot USING gin (search_vector) "
                f"WHERE region = '{region}' AND status = 'published'"
            )


def region_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for region in REGIONS:
            schema_editor.execute(f"DROP INDEX IF EXISTS lot_search_{region.lower()}_published_gin")
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS lot_search_{region.lower()}_gin "
                f"ON lots_lot USING gin (search_vector) WHERE region = '{region}'"
            )


class Migration(migrations.Migration):
    dependencies = [("lots", "0011_dimensions")]

    operations = [
        migrations.RunPython(published_indexes, region_indexes),
        migrations.RemoveIndex(model_name="lot", name="lot_near_idx"),
        migrations.AddIndex(
            model_name="lot",
            index=models.Index(
                fields=["latitude", "longitude"],
                include=("status", "owner", "id"),
                name="lot_near_idx",
            ),
        ),
    ]
