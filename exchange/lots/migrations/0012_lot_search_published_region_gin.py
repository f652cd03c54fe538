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


def region_search_indexes(schema_editor, *, published: bool) -> None:
    """Each region's search index: of its published lots only (``published``), or of all
    its lots (0006's, which the reverse restores); the other kind is dropped."""
    if schema_editor.connection.vendor != "postgresql":
        return
    for region in REGIONS:
        name = f"lot_search_{region.lower()}"
        where = f"region = '{region}'"
        old, new = (f"{name}_gin", f"{name}_published_gin")
        if published:
            where += " AND status = 'published'"
        else:
            old, new = new, old
        schema_editor.execute(f"DROP INDEX IF EXISTS {old}")
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {new} ON lots_lot USING gin (search_vector) WHERE {where}"
        )


def published_indexes(apps, schema_editor):
    region_search_indexes(schema_editor, published=True)


def region_indexes(apps, schema_editor):
    region_search_indexes(schema_editor, published=False)


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
