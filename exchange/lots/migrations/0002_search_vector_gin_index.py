"""The full-text index exists on PostgreSQL only; SQLite searches the plain document."""

from django.db import migrations

INDEX = "lot_search_vector_gin"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON lots_lot USING gin (search_vector)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("lots", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index)]
