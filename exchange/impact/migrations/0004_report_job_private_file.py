# Report job files become private: stored where no URL maps them, under a name nobody
# can guess. Files of earlier jobs (public, with a guessable name) are moved there.

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import migrations, models

import exchange.common.storage


def move_report_files(apps, schema_editor):
    ReportJob = apps.get_model("impact", "ReportJob")
    private = exchange.common.storage.private_storage()
    if private is default_storage:
        return  # S3: the bucket's objects are private already
    for job in ReportJob.objects.exclude(file=""):
        old = job.file.name
        if not default_storage.exists(old):
            ReportJob.objects.filter(pk=job.pk).update(file="", status="failed")
            continue
        with default_storage.open(old, "rb") as source:
            name = private.save(
                "reports/" + exchange.common.storage.unguessable_name(old.rsplit("/", 1)[-1]),
                ContentFile(source.read()),
            )
        ReportJob.objects.filter(pk=job.pk).update(file=name)
        default_storage.delete(old)


class Migration(migrations.Migration):
    dependencies = [
        ("impact", "0003_impact_monthly_totals"),
    ]

    operations = [
        migrations.AlterField(
            model_name="reportjob",
            name="file",
            field=models.FileField(
                blank=True,
                max_length=300,
                storage=exchange.common.storage.private_storage,
                upload_to="reports/",
            ),
        ),
        migrations.RunPython(move_report_files, migrations.RunPython.noop),
    ]
