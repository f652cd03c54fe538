"""Top-K matching and the repair sweep's state (README "Matching"): a match is ranked
while among its request's K best; a request keeps its K-th score and lot (its floor) and
when it was last matched, a lot when it was last matched. Matches lose the indexes the
unique (lot, wanted) and (wanted, status) indexes make redundant, and the unused one on
created_at. Requests start unmatched: the next nightly sweep ranks them all."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("lots", "0004_lot_newest_first_index"),
        ("matching", "0003_lot_match_candidates_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="LotMatchState",
            fields=[
                (
                    "lot",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="match_state",
                        serialize=False,
                        to="lots.lot",
                    ),
                ),
                ("matched_at", models.DateTimeField()),
            ],
        ),
        migrations.AddField(
            model_name="match",
            name="ranked",
            field=models.BooleanField(default=True),
        ),
        migrations.AddField(
            model_name="wantedrequest",
            name="match_floor",
            field=models.FloatField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="wantedrequest",
            name="match_floor_lot_id",
            field=models.BigIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="wantedrequest",
            name="matched_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AlterField(
            model_name="match",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True, verbose_name="created"),
        ),
        migrations.AlterField(
            model_name="match",
            name="lot",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="matches",
                to="lots.lot",
            ),
        ),
        migrations.AlterField(
            model_name="match",
            name="wanted",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="matches",
                to="matching.wantedrequest",
            ),
        ),
    ]
