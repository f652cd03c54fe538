"""Lot photos: decoded to validate, turned upright, stripped of all metadata and
re-encoded at upload; a Celery task then makes the web size and the thumbnail."""

import io
import logging
import uuid
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from exchange.common.errors import ApplicationError, ErrorKind
from exchange.common.services import audit_event_record
from exchange.common.storage import atomic_with_files, delete_files_on_commit
from exchange.common.tasks import REPAIR_BATCH, TRANSIENT_ERRORS, repair_cutoff, task_send
from exchange.lots.errors import LotError
from exchange.lots.models import Lot, LotPhoto, LotStatus, PhotoStatus
from exchange.lots.services.lots import lock_lot, require_owner
from exchange.organisations.access import require_writer
from exchange.organisations.models import Membership

logger = logging.getLogger(__name__)

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP")
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
MAX_PHOTO_BYTES = 15 * 1024 * 1024
MAX_PHOTOS_PER_LOT = 10
WEB_SIZE = (1280, 1280)
THUMBNAIL_SIZE = (320, 320)
# Lots may take photos while they are still offered.
PHOTO_STATUSES = (LotStatus.DRAFT, LotStatus.PUBLISHED, LotStatus.RESERVED)


@dataclass
class CleanImage:
    content: bytes
    format: str
    width: int
    height: int


def _refuse(code: str, message: str) -> ApplicationError:
    return ApplicationError(code=code, field="image", message=message)


def photo_clean(upload) -> CleanImage:
    """Decode an upload and re-encode it upright without metadata, or refuse it (400).

    The bytes decide, never the name or content type: only JPEG, PNG and WebP decoders
    are tried, a decompression bomb (more pixels than EXCHANGE_PHOTO_MAX_PIXELS) is an
    error, and a truncated or corrupt file fails the full decode.
    """
    if upload.size > MAX_PHOTO_BYTES:
        raise _refuse(
            LotError.PHOTO_TOO_LARGE,
            _("The photo is larger than %(mb)s MB.") % {"mb": MAX_PHOTO_BYTES // (1024 * 1024)},
        )
    max_pixels = settings.EXCHANGE_PHOTO_MAX_PIXELS
    try:
        with warnings.catch_warnings():
            # Pillow only warns between the limit and twice the limit: make that an error.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            upload.seek(0)
            with Image.open(upload, formats=ALLOWED_FORMATS) as probe:
                if probe.width * probe.height > max_pixels:
                    raise Image.DecompressionBombError("too many pixels")
                probe.verify()
            upload.seek(0)
            with Image.open(upload, formats=ALLOWED_FORMATS) as image:
                image_format = image.format
                image.load()
                upright = ImageOps.exif_transpose(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _refuse(
            LotError.PHOTO_TOO_MANY_PIXELS,
            _("The photo has more than %(mp)s million pixels.") % {"mp": max_pixels // 1_000_000},
        ) from exc
    except UnidentifiedImageError as exc:
        raise _refuse(LotError.PHOTO_INVALID, _("This is not a JPEG, PNG or WebP image.")) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise _refuse(
            LotError.PHOTO_INVALID, _("The image is damaged or incomplete and cannot be read.")
        ) from exc

    clean = upright.copy()
    clean.info = {}  # no EXIF, GPS, XMP, ICC or text chunks survive
    if image_format == "JPEG" and clean.mode not in ("RGB", "L"):
        clean = clean.convert("RGB")
    out = io.BytesIO()
    options = {"quality": 90} if image_format in ("JPEG", "WEBP") else {"optimize": True}
    clean.save(out, format=image_format, **options)
    return CleanImage(out.getvalue(), image_format, clean.width, clean.height)


def lot_photo_add(*, actor: Membership, lot: Lot, upload, alt_text: str = "") -> LotPhoto:
    """Add a photo to a lot (at most ten); the derived sizes follow in a task."""
    from exchange.lots.tasks import lot_photo_process_task

    require_writer(actor)
    require_owner(actor, lot)
    image = photo_clean(upload)  # the heavy work, before any lock or write
    with atomic_with_files() as saved:
        lot = lock_lot(lot)
        if lot.status not in PHOTO_STATUSES:
            raise ApplicationError(
                code=LotError.NOT_A_DRAFT,
                kind=ErrorKind.CONFLICT,
                message=_("A %(status)s lot takes no more photos.")
                % {"status": lot.get_status_display()},
            )
        count = lot.photos.count()
        if count >= MAX_PHOTOS_PER_LOT:
            raise _refuse(
                LotError.PHOTO_LIMIT,
                _("A lot has at most %(max)s photos.") % {"max": MAX_PHOTOS_PER_LOT},
            )
        photo = LotPhoto(
            lot=lot,
            position=count,
            width=image.width,
            height=image.height,
            alt_text=(alt_text or "").strip()[:300],
        )
        name = f"{uuid.uuid4().hex}.{EXTENSIONS[image.format]}"
        photo.original.save(name, ContentFile(image.content), save=False)
        saved.add(photo.original.storage, photo.original.name)
        photo.save()
        audit_event_record(
            actor=actor.user,
            organisation=actor.organisation,
            obj=lot,
            action="add_photo",
            data={"photo": photo.pk},
        )
        photo_id = photo.pk
        task_send(lot_photo_process_task, photo_id)
    return photo


@transaction.atomic
def lot_photo_delete(*, actor: Membership, lot: Lot, photo: LotPhoto) -> None:
    require_writer(actor)
    require_owner(actor, lot)
    lock_lot(lot)
    if photo.lot_id != lot.pk:
        raise ApplicationError(
            code=LotError.PHOTO_NOT_FOUND, kind=ErrorKind.NOT_FOUND, message=_("No such photo.")
        )
    delete_files_on_commit(
        [(f.storage, f.name) for f in (photo.original, photo.web, photo.thumbnail) if f]
    )
    audit_event_record(
        actor=actor.user,
        organisation=actor.organisation,
        obj=lot,
        action="delete_photo",
        data={"photo": photo.pk},
    )
    photo.delete()


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=82, optimize=True, progressive=True)
    return out.getvalue()


def photo_derivatives(content: bytes) -> tuple[bytes, bytes]:
    """(web size, thumbnail) as JPEG from a cleaned original. The decoded image is ours:
    it is scaled down in place to the web size, encoded, then scaled down again to the
    thumbnail (from the web size's pixels, not from its JPEG: no copy of the image, no
    second decode, one JPEG generation fewer for the thumbnail)."""
    with Image.open(io.BytesIO(content), formats=ALLOWED_FORMATS) as image:
        if image.format == "JPEG":
            # Let the JPEG decoder scale down by a power of two while decoding, to the
            # smallest size still at least the web size: a 6000x4000 photo is decoded
            # at 1500x1000, never at full size.
            scale = min(WEB_SIZE[0] / image.width, WEB_SIZE[1] / image.height, 1.0)
            image.draft("RGB", (round(image.width * scale), round(image.height * scale)))
        image.load()
        if image.mode in ("RGBA", "LA", "P"):
            rgba = image.convert("RGBA")
            flat = Image.new("RGB", rgba.size, (255, 255, 255))
            flat.paste(rgba, mask=rgba.getchannel("A"))
            image = flat
        elif image.mode != "RGB":
            image = image.convert("RGB")
        image.thumbnail(WEB_SIZE, Image.Resampling.LANCZOS, reducing_gap=2.0)
        web = _jpeg(image)
        image.thumbnail(THUMBNAIL_SIZE, Image.Resampling.LANCZOS, reducing_gap=2.0)
        thumbnail = _jpeg(image)
    return web, thumbnail


def lot_photo_process(*, photo_id: int) -> bool:
    """Make the web size and thumbnail of a photo. Idempotent: a photo already done, or
    gone, is left alone; a second concurrent run discards its own files."""
    photo = LotPhoto.objects.filter(pk=photo_id).first()
    if photo is None or photo.status == PhotoStatus.READY:
        return False
    with photo.original.open("rb") as source:
        content = source.read()
    web, thumbnail = photo_derivatives(content)
    stem = photo.original.name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    storage = photo.original.storage
    web_name = storage.save(photo_upload_path(photo, f"{stem}-web.jpg"), ContentFile(web))
    thumb_name = storage.save(photo_upload_path(photo, f"{stem}-thumb.jpg"), ContentFile(thumbnail))
    done = LotPhoto.objects.filter(pk=photo_id, status=PhotoStatus.PROCESSING).update(
        web=web_name, thumbnail=thumb_name, status=PhotoStatus.READY
    )
    if not done:
        storage.delete(web_name)
        storage.delete(thumb_name)
    return bool(done)


def photo_upload_path(photo: LotPhoto, filename: str) -> str:
    return photo.original.field.upload_to(photo, filename)


def lot_photos_sweep(*, now=None) -> int:
    """The repair sweep of photo processing: every photo still processing
    EXCHANGE_REPAIR_AFTER_SECONDS after its upload (its task never sent, or lost) is
    processed now. Returns how many it finished."""
    done = 0
    pending = LotPhoto.objects.filter(
        status=PhotoStatus.PROCESSING, created_at__lt=repair_cutoff(now)
    ).order_by("pk")
    for photo_id in pending.values_list("pk", flat=True)[:REPAIR_BATCH]:
        try:
            done += lot_photo_process(photo_id=photo_id)
        except TRANSIENT_ERRORS:
            raise
        except Exception:
            logger.exception("photo %s could not be processed", photo_id)
    if done:
        logger.warning("photo sweep processed %s photos that their task had not", done)
    return done
