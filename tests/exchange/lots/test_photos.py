import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from exchange.common.errors import ApplicationError
from exchange.lots.models import LotPhoto, PhotoStatus
from exchange.lots.services.photos import (
    MAX_PHOTO_BYTES,
    lot_photo_add,
    lot_photo_delete,
    lot_photo_process,
)
from tests.exchange.lots.conftest import image_bytes
from tests.factories import LotFactory, SiteFactory

pytestmark = pytest.mark.django_db

GPS_TAG = 0x8825
ORIENTATION_TAG = 0x0112


@pytest.fixture
def lot(fed_admin, categories):
    return LotFactory(site=SiteFactory(organisation=fed_admin.organisation))


def upload(content: bytes, name="photo.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, content, content_type)


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def _files_root(settings, _media_root):
    """Where photos are stored: the private root (no URL maps it); none under media."""
    yield settings.PRIVATE_MEDIA_ROOT
    assert stored_files(_media_root) == []


def jpeg_with_gps_and_orientation() -> bytes:
    """A 400x200 photo, taken rotated (orientation 6: turn 90° clockwise), with GPS."""
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = 6
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(GPS_TAG)
    gps[1] = "N"
    gps[2] = (50.0, 50.0, 0.0)
    out = io.BytesIO()
    Image.new("RGB", (400, 200), (10, 200, 30)).save(out, format="JPEG", exif=exif)
    return out.getvalue()


def png_header_bomb(width=40000, height=40000) -> bytes:
    """A tiny PNG that claims 1.6 billion pixels."""

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_jpeg_png_and_webp_are_accepted(fed_admin, lot, fmt):
    photo = lot_photo_add(actor=fed_admin, lot=lot, upload=upload(image_bytes(fmt), name="x.bin"))
    assert photo.status == PhotoStatus.PROCESSING
    assert (photo.width, photo.height) == (640, 480)
    with Image.open(photo.original.open("rb")) as stored:
        assert stored.format == fmt


def test_the_stored_photo_is_upright_and_has_no_metadata(fed_admin, lot):
    photo = lot_photo_add(actor=fed_admin, lot=lot, upload=upload(jpeg_with_gps_and_orientation()))
    assert (photo.width, photo.height) == (200, 400)  # turned upright
    data = photo.original.open("rb").read()
    with Image.open(io.BytesIO(data)) as stored:
        exif = stored.getexif()
        assert not exif  # no orientation, maker or GPS left
        assert GPS_TAG not in exif
    assert b"PhoneMaker" not in data
    assert b"Exif" not in data


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"just some text, not an image", "notes.jpg"),
        (b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>", "evil.png"),
        (image_bytes("JPEG", size=(800, 600))[:1500], "truncated.jpg"),
        (image_bytes("GIF"), "animation.gif"),
        (image_bytes("BMP"), "old.bmp"),
    ],
    ids=["text", "png-headed-html", "truncated-jpeg", "gif", "bmp"],
)
def test_anything_else_is_refused_with_400_and_nothing_is_stored(
    fed_admin, lot, _files_root, content, name
):
    with pytest.raises(ApplicationError) as excinfo:
        lot_photo_add(actor=fed_admin, lot=lot, upload=upload(content, name=name))
    assert excinfo.value.errors["image"]
    assert excinfo.value.code == "photo_invalid"
    assert not LotPhoto.objects.exists()
    assert stored_files(_files_root) == []


def test_decompression_bombs_are_refused(fed_admin, lot, _files_root):
    with pytest.raises(ApplicationError) as excinfo:
        lot_photo_add(actor=fed_admin, lot=lot, upload=upload(png_header_bomb(), name="bomb.png"))
    assert excinfo.value.code == "photo_too_many_pixels"
    assert stored_files(_files_root) == []


def test_the_pixel_limit_is_a_setting(fed_admin, lot, settings):
    settings.EXCHANGE_PHOTO_MAX_PIXELS = 100_000
    with pytest.raises(ApplicationError) as excinfo:
        lot_photo_add(actor=fed_admin, lot=lot, upload=upload(image_bytes(size=(400, 300))))
    assert excinfo.value.code == "photo_too_many_pixels"


def test_files_over_15_mb_are_refused(fed_admin, lot):
    content = image_bytes() + b"\0" * (MAX_PHOTO_BYTES + 1)
    with pytest.raises(ApplicationError) as excinfo:
        lot_photo_add(actor=fed_admin, lot=lot, upload=upload(content))
    assert excinfo.value.code == "photo_too_large"


def test_a_lot_takes_at_most_ten_photos(fed_admin, lot, _files_root):
    for _ in range(10):
        lot_photo_add(actor=fed_admin, lot=lot, upload=upload(image_bytes(size=(64, 48))))
    files_before = len(stored_files(_files_root))
    with pytest.raises(ApplicationError) as excinfo:
        lot_photo_add(actor=fed_admin, lot=lot, upload=upload(image_bytes(size=(64, 48))))
    assert excinfo.value.code == "photo_limit"
    assert LotPhoto.objects.count() == 10
    assert len(stored_files(_files_root)) == files_before


def test_processing_makes_web_size_and_thumbnail_once(fed_admin, lot):
    photo = lot_photo_add(actor=fed_admin, lot=lot, upload=upload(image_bytes(size=(3000, 2000))))
    assert lot_photo_process(photo_id=photo.pk) is True
    assert lot_photo_process(photo_id=photo.pk) is False  # idempotent
    photo.refresh_from_db()
    assert photo.status == PhotoStatus.READY
    with Image.open(photo.web.open("rb")) as web:
        assert max(web.size) == 1280
    with Image.open(photo.thumbnail.open("rb")) as thumbnail:
        assert max(thumbnail.size) == 320


def test_transparent_png_gets_a_white_background(fed_admin, lot):
    out = io.BytesIO()
    Image.new("RGBA", (500, 500), (0, 0, 0, 0)).save(out, format="PNG")
    photo = lot_photo_add(actor=fed_admin, lot=lot, upload=upload(out.getvalue(), name="a.png"))
    lot_photo_process(photo_id=photo.pk)
    photo.refresh_from_db()
    with Image.open(photo.thumbnail.open("rb")) as thumbnail:
        assert thumbnail.getpixel((10, 10)) == (255, 255, 255)


def test_deleting_a_photo_removes_its_files(
    fed_admin, lot, _files_root, django_capture_on_commit_callbacks
):
    photo = lot_photo_add(actor=fed_admin, lot=lot, upload=upload(image_bytes()))
    lot_photo_process(photo_id=photo.pk)
    assert len(stored_files(_files_root)) == 3
    with django_capture_on_commit_callbacks(execute=True):
        lot_photo_delete(actor=fed_admin, lot=lot, photo=LotPhoto.objects.get(pk=photo.pk))
    assert stored_files(_files_root) == []


def test_another_organisation_cannot_add_photos(make_member, lot):
    stranger = make_member("admin")
    with pytest.raises(ApplicationError) as excinfo:
        lot_photo_add(actor=stranger, lot=lot, upload=upload(image_bytes()))
    assert excinfo.value.kind == "forbidden"


def test_the_web_size_and_thumbnail_look_like_the_photo():
    """Both derivatives are the photo scaled down (LANCZOS, JPEG quality 82): a landscape
    photo of a left-to-right gradient with a red square in its top-left corner keeps its
    shape, its gradient and its square, within what JPEG changes."""
    from PIL import ImageChops, ImageStat

    from exchange.lots.services.photos import photo_derivatives

    gradient = Image.linear_gradient("L").rotate(90, expand=True).resize((2600, 1800))
    photo = Image.merge("RGB", (gradient, gradient, gradient))
    photo.paste((255, 0, 0), (0, 0, 650, 450))
    out = io.BytesIO()
    photo.save(out, format="JPEG", quality=90)
    web, thumbnail = photo_derivatives(out.getvalue())
    for content, size in ((web, (1280, 886)), (thumbnail, (320, 222))):
        with Image.open(io.BytesIO(content)) as derived:
            assert derived.format == "JPEG" and derived.size == size
            expected = photo.resize(size, Image.Resampling.LANCZOS)
            difference = ImageStat.Stat(ImageChops.difference(derived.convert("RGB"), expected))
            assert max(difference.mean) < 3, difference.mean
            red, green, blue = derived.getpixel((size[0] // 10, size[1] // 10))
            assert red > 200 and green < 60 and blue < 60


@pytest.mark.parametrize(
    "size",
    [
        (6000, 4000),
        (4000, 6000),
        (1500, 1000),
        (1281, 1),
        (1, 1281),
        (2999, 1999),
        (1280, 1280),
        (1281, 1281),
        (3001, 17),
        (800, 600),
        (1280, 853),
    ],
)
def test_the_web_size_is_the_size_pillows_thumbnail_gives(size):
    from exchange.lots.services.photos import WEB_SIZE, fitted_size

    image = Image.new("1", size)
    image.thumbnail(WEB_SIZE, Image.Resampling.NEAREST, reducing_gap=None)
    assert fitted_size(size, WEB_SIZE) == (None if image.size == size else image.size)


@pytest.mark.parametrize("size", [(1500, 1000), (3000, 2000), (1000, 1500)])
def test_the_two_halves_make_one_picture(size):
    """The web size is resized in two halves at once: together they are the picture one
    resize of the whole gives (a pixel may round the other way where the scale's last
    digit does), with no seam, even on noise with a sharp line across the middle."""
    from PIL import ImageChops, ImageStat

    from exchange.lots.services.photos import WEB_SIZE, _scaled_down, fitted_size

    noise = Image.effect_noise(size, 60)
    photo = Image.merge("RGB", (noise, noise.transpose(Image.Transpose.FLIP_TOP_BOTTOM), noise))
    photo.paste((250, 10, 10), (0, size[1] // 2 - 3, size[0], size[1] // 2 + 3))
    target = fitted_size(size, WEB_SIZE)
    whole = photo.resize(target, Image.Resampling.LANCZOS, reducing_gap=2.0)
    halves = _scaled_down(photo, target)
    assert halves.size == whole.size == target
    difference = ImageChops.difference(halves, whole)
    assert max(high for _low, high in difference.getextrema()) <= 1
    assert max(ImageStat.Stat(difference).mean) < 0.01
