"""An index for the matching engine's candidate query on the lots table: published lots
of a category within a latitude/longitude box (lot_candidates_for_wanted).

EXPLAIN ANALYZE on 100 000 published lots (bench/README.md): without it PostgreSQL
combined three bitmaps (the category's 8 000 lots, 100 000 published lots, 65 000 lots
in the box) in ~50 ms; with it one range scan of the category's lots in the box.
It lives with matching, whose query it serves; Lot.Meta does not declare it."""

from django.db import migrations

CREATE = (
    "CREATE INDEX lot_match_candidates_idx ON lots_lot (category_id, latitude, longitude) "
    "WHERE status = 'published'"
)


class Migration(migrations.Migration):
    dependencies = [
        ("lots", "0004_lot_newest_first_index"),
        ("matching", "0002_wanted_exact_distance_box"),
    ]

    operations = [
        migrations.RunSQL(CREATE, "DROP INDEX lot_match_candidates_idx"),
    ]
