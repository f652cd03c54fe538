"""Lot photos: decoded to validate, turned upright, stripped of all metadata and
re-encoded at upload; a Celery task then makes the web size and the thumbnail."""

import io
import logging
import math
import uuid
import warnings
from concurrent.futures import ThreadPoolExecutor
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


def fitted_size(size: tuple[int, int], bound: tuple[int, int]) -> tuple[int, int] | None:
    """The size ``Image.thumbnail`` gives an image of ``size`` within ``bound``: the
    image's aspect kept, each side rounded to the nearer whole pixel count; None when it
    fits already."""
    width, height = size
    x, y = bound
    if x >= width and y >= height:
        return None
    aspect = width / height

    def rounded(number: float, key) -> int:
        return max(min(math.floor(number), math.ceil(number), key=key), 1)

    if x / y >= aspect:
        return rounded(y * aspect, key=lambda n: abs(aspect - n / y)), y
    return x, rounded(x / aspect, key=lambda n: 0 if n == 0 else abs(aspect - x / n))


# Below this many rows the two halves are not worth a thread.
_SPLIT_ROWS = 256
_LANCZOS_SUPPORT = 3.0  # source pixels either side of a target pixel, at scale 1


def _scaled_down(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """``image`` resized to ``size`` (Lanczos, whole blocks averaged first where it is
    over twice as large, as ``Image.resize(..., reducing_gap=2.0)`` does), the top half
    in a second thread while this one makes the bottom half: Pillow lets go of the
    interpreter while it resamples, so on two cores the halves take the time of one.
    Each half takes the two passes as a resize of the whole does, across then down: its
    rows (and the few beyond it the filter reads) resampled across, then down through
    the whole's scale, so that the halves are the rows of one resize."""
    width, height = size
    factor = (int(image.width / width / 2.0) or 1, int(image.height / height / 2.0) or 1)
    box = (0.0, 0.0, float(image.width), float(image.height))
    if factor != (1, 1):
        box = (0.0, 0.0, image.width / factor[0], image.height / factor[1])
        image = image.reduce(factor)
    if height < _SPLIT_ROWS:
        return image.resize(size, Image.Resampling.LANCZOS, box)
    half = height // 2
    scale = box[3] / height
    middle = half * scale  # where the top half's rows end in the source
    reach = math.ceil(_LANCZOS_SUPPORT * max(scale, 1.0)) + 2

    def part(first: int, last: int, top: float, bottom: float, rows: int) -> Image.Image:
        across = image.crop((0, first, image.width, last)).resize(
            (width, last - first), Image.Resampling.LANCZOS, (0, 0, box[2], last - first)
        )
        return across.resize(
            (width, rows), Image.Resampling.LANCZOS, (0, top - first, width, bottom - first)
        )

    with ThreadPoolExecutor(max_workers=1) as pool:
        upper = pool.submit(
            part, 0, min(image.height, math.ceil(middle) + reach), 0.0, middle, half
        )
        first = max(0, math.floor(middle) - reach)
        lower = part(first, image.height, middle, box[3], height - half)
        scaled = Image.new(image.mode, size)
        scaled.paste(upper.result(), (0, 0))
    scaled.paste(lower, (0, half))
    return scaled


def photo_derivatives(content: bytes) -> tuple[bytes, bytes]:
    """(web size, thumbnail) as JPEG from a cleaned original. The decoded image is ours:
    it is scaled down to the web size, encoded, then scaled down again to the thumbnail
    (from the web size's pixels, not from its JPEG: no second decode, one JPEG
    generation fewer for the thumbnail)."""
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
        web_size = fitted_size(image.size, WEB_SIZE)
        if web_size is not None:
            image = _scaled_down(image, web_size)
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
