# Photos and sanitisation certificates become private: stored where no URL maps them,
# under names nobody can guess, served by views that check who asks. Files stored
# before (public under /media/, with guessable names) are moved there.

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import migrations, models

import exchange.common.storage
import exchange.lots.models

PHOTO_FIELDS = ("original", "web", "thumbnail")


def _move(old: str, folder: str) -> str:
    """The file ``old`` of the public media, saved privately; '' when it is gone."""
    private = exchange.common.storage.private_storage()
    if not default_storage.exists(old):
        return ""
    with default_storage.open(old, "rb") as source:
        name = private.save(
            folder + exchange.common.storage.unguessable_name(old.rsplit("/", 1)[-1]),
            ContentFile(source.read()),
        )
    default_storage.delete(old)
    return name


def move_lot_files(apps, schema_editor):
    if exchange.common.storage.private_storage() is default_storage:
        return  # S3: the bucket's objects are private already (signed URLs only)
    LotPhoto = apps.get_model("lots", "LotPhoto")
    for photo in LotPhoto.objects.all().iterator():
        names = {
            field: _move(getattr(photo, field).name, "lots/photos/")
            for field in PHOTO_FIELDS
            if getattr(photo, field).name
        }
        if names:
            LotPhoto.objects.filter(pk=photo.pk).update(**names)
    Attestation = apps.get_model("lots", "SanitisationAttestation")
    for attestation in Attestation.objects.exclude(certificate="").iterator():
        Attestation.objects.filter(pk=attestation.pk).update(
            certificate=_move(attestation.certificate.name, "lots/certificates/")
        )


class Migration(migrations.Migration):

    dependencies = [
        ('lots', '0007_lot_closing_soon_index'),
    ]

    operations = [
        migrations.AlterField(
            model_name='lotphoto',
            name='original',
            field=models.FileField(max_length=300, storage=exchange.common.storage.private_storage, upload_to=exchange.lots.models.photo_upload_to),
        ),
        migrations.AlterField(
            model_name='lotphoto',
            name='thumbnail',
            field=models.FileField(blank=True, max_length=300, storage=exchange.common.storage.private_storage, upload_to=exchange.lots.models.photo_upload_to),
        ),
        migrations.AlterField(
            model_name='lotphoto',
            name='web',
            field=models.FileField(blank=True, max_length=300, storage=exchange.common.storage.private_storage, upload_to=exchange.lots.models.photo_upload_to),
        ),
        migrations.AlterField(
            model_name='sanitisationattestation',
            name='certificate',
            field=models.FileField(blank=True, max_length=300, storage=exchange.common.storage.private_storage, upload_to=exchange.lots.models.certificate_upload_to, verbose_name='certificate (PDF)'),
        ),
        migrations.RunPython(move_lot_files, migrations.RunPython.noop),
    ]
