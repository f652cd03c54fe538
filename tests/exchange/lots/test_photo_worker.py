"""The photo task on a real worker and broker (filesystem by default, Redis in CI)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from exchange.lots.models import LotPhoto, PhotoStatus
from exchange.lots.services.photos import lot_photo_add
from tests.conftest import wait_for
from tests.exchange.lots.conftest import image_bytes
from tests.factories import LotFactory, SiteFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_an_uploaded_photo_gets_its_sizes_from_the_worker(
    celery_worker_thread, fed_admin, categories
):
    # given a draft lot
    lot = LotFactory(site=SiteFactory(organisation=fed_admin.organisation))
    # when a 2400x1600 photo is uploaded (the task is enqueued after commit)
    photo = lot_photo_add(
        actor=fed_admin,
        lot=lot,
        upload=SimpleUploadedFile("p.jpg", image_bytes(size=(2400, 1600)), "image/jpeg"),
    )
    # then the worker makes the web size and the thumbnail
    assert wait_for(lambda: LotPhoto.objects.get(pk=photo.pk).status == PhotoStatus.READY), (
        "the worker did not process the photo"
    )
    photo.refresh_from_db()
    with Image.open(photo.thumbnail.open("rb")) as thumbnail:
        assert thumbnail.size == (320, 213)
    with Image.open(photo.web.open("rb")) as web:
        assert web.size == (1280, 853)
