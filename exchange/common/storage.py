import mimetypes
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, default_storage
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.utils.functional import cached_property
from django.utils.http import content_disposition_header


class SavedFiles:
    """Files written to storage during one service call."""

    def __init__(self) -> None:
        self.entries: list[tuple[Storage, str]] = []

    def add(self, storage: Storage, name: str) -> None:
        self.entries.append((storage, name))


@contextmanager
def atomic_with_files() -> Iterator[SavedFiles]:
    """A transaction that also owns the files saved inside it: if anything fails, up to
    and including the commit, those files are deleted, so that no orphan stays in storage."""
    saved = SavedFiles()
    try:
        with transaction.atomic():
            yield saved
    except BaseException:
        for storage, name in saved.entries:
            storage.delete(name)
        raise


def delete_files_on_commit(entries: list[tuple[Storage, str]]) -> None:
    """Delete files once the rows that pointed to them are gone for good."""

    def delete() -> None:
        for storage, name in entries:
            if name:
                storage.delete(name)

    transaction.on_commit(delete)


class PrivateFileSystemStorage(FileSystemStorage):
    """Local files that only a view that checks who asks may serve: under
    ``PRIVATE_MEDIA_ROOT``, which no URL maps (``MEDIA_ROOT`` is served at /media/)."""

    @cached_property
    def base_location(self):
        return self._value_or_setting(self._location, settings.PRIVATE_MEDIA_ROOT)

    @cached_property
    def base_url(self):
        return None  # no URL: ``url()`` refuses

    def _clear_cached_properties(self, setting, **kwargs):
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "PRIVATE_MEDIA_ROOT":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)


_private_files = PrivateFileSystemStorage()


def private_storage() -> Storage:
    """Where private files live: with S3, the bucket (its objects are private, read
    through short-lived signed URLs or by the app); else ``PRIVATE_MEDIA_ROOT``. A file
    field names it as its storage; its files are served by views that check who asks."""
    if settings.AWS_STORAGE_BUCKET_NAME:
        return default_storage
    return _private_files


def unguessable_name(filename: str) -> str:
    """``<random>/<filename>``: a folder nobody can guess (256 random bits), so that a
    private file's name gives nothing away, with the file's own name kept for people."""
    return f"{secrets.token_urlsafe(32)}/{filename}"


def private_file_response(
    file: FieldFile,
    *,
    public: bool = False,
    attachment: bool = False,
    filename: str = "",
    content_type: str = "",
) -> HttpResponse:
    """Answer with a private file, once the caller has checked who asks:

    - with S3, a redirect to a signed URL valid ``EXCHANGE_SIGNED_URL_SECONDS``;
    - behind a proxy that serves files itself (``EXCHANGE_PRIVATE_FILES_SERVER``):
      ``X-Accel-Redirect`` to ``EXCHANGE_PRIVATE_FILES_INTERNAL_URL`` + name (nginx, an
      ``internal`` location over ``PRIVATE_MEDIA_ROOT``) or ``X-Sendfile`` with the path
      (Apache mod_xsendfile, lighttpd);
    - else the file itself.

    ``public``: anyone may read it (a photo of a published lot), so caches may keep it an
    hour; otherwise nothing may store it."""
    name = file.name
    filename = filename or name.rsplit("/", 1)[-1]
    content_type = content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    disposition = content_disposition_header(attachment, filename)
    server = settings.EXCHANGE_PRIVATE_FILES_SERVER
    if hasattr(file.storage, "bucket_name"):  # S3 (django-storages)
        response = HttpResponseRedirect(
            file.storage.url(
                name,
                parameters={
                    "ResponseContentDisposition": disposition,
                    "ResponseContentType": content_type,
                },
                expire=settings.EXCHANGE_SIGNED_URL_SECONDS,
            )
        )
    elif server == "nginx":
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = settings.EXCHANGE_PRIVATE_FILES_INTERNAL_URL + quote(name)
    elif server == "sendfile":
        response = HttpResponse(content_type=content_type)
        response["X-Sendfile"] = file.storage.path(name)
    else:
        response = FileResponse(file.open("rb"), content_type=content_type)
    response["Content-Disposition"] = disposition
    response["Cache-Control"] = "public, max-age=3600" if public else "private, no-store"
    return response
