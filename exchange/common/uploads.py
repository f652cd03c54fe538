"""Reading files that people upload, as if every one were hostile.

Sizes and limits are checked before parsing: a spreadsheet's zip container by its
central directory (member count, uncompressed sizes, compression ratio) before any
member is inflated; CSV text row by row with caps on rows, columns and cell length.
Whatever is refused is named in the refusal with at most a short excerpt of the bad
input, never the input itself.
"""

import csv
import io
import zipfile
import zlib
from collections.abc import Iterator

from django.utils.translation import gettext as _

EXCERPT_CHARS = 40

# A spreadsheet (XLSX) is a zip of XML parts. Real import files of at most 1 000 rows
# stay far below these bounds; a decompression bomb or a 400 MB shared string does not.
ZIP_MAX_MEMBERS = 100
ZIP_MAX_MEMBER_BYTES = 20 * 1024 * 1024
ZIP_MAX_TOTAL_BYTES = 50 * 1024 * 1024
ZIP_MAX_RATIO = 100  # uncompressed / compressed, for members over ZIP_RATIO_FLOOR
ZIP_RATIO_FLOOR = 1024 * 1024


class UnreadableFile(ValueError):
    """The file is refused; ``str(exc)`` says why, in the reader's language."""


def excerpt(value: object, limit: int = EXCERPT_CHARS) -> str:
    """At most ``limit`` characters of a bad value, to name it without echoing it."""
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def zip_check(data: bytes) -> None:
    """Refuse a zip whose central directory announces too many members, members too big
    once inflated, or a compression ratio only a decompression bomb has. Python's
    zipfile never inflates a member past its announced size, so checking the announced
    sizes bounds what parsing can inflate."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnreadableFile(_("This is not a valid XLSX file.")) from exc
    members = archive.infolist()
    if len(members) > ZIP_MAX_MEMBERS:
        raise UnreadableFile(
            _("The file holds %(count)s parts; a spreadsheet has at most %(max)s.")
            % {"count": len(members), "max": ZIP_MAX_MEMBERS}
        )
    total = 0
    for member in members:
        size = member.file_size
        total += size
        if size > ZIP_MAX_MEMBER_BYTES or total > ZIP_MAX_TOTAL_BYTES:
            raise UnreadableFile(
                _(
                    "The spreadsheet is too large once unpacked (over %(max)s MB): "
                    "import at most 1 000 rows of plain text."
                )
                % {
                    "max": (
                        ZIP_MAX_MEMBER_BYTES if size > ZIP_MAX_MEMBER_BYTES else ZIP_MAX_TOTAL_BYTES
                    )
                    // (1024 * 1024)
                }
            )
        if size > ZIP_RATIO_FLOOR and size > ZIP_MAX_RATIO * max(1, member.compress_size):
            raise UnreadableFile(
                _("The file is compressed %(ratio)s times: this is not a normal spreadsheet.")
                % {"ratio": size // max(1, member.compress_size)}
            )


def decode_text(data: bytes) -> str:
    """CSV bytes as text: UTF-8 (with or without BOM), else Windows-1252."""
    if b"\x00" in data[:4096]:
        raise UnreadableFile(_("This is not a CSV text file (UTF-16 or binary content)."))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise UnreadableFile(
                _("The file's encoding is not UTF-8 or Windows-1252: save it as CSV UTF-8.")
            ) from exc


def csv_rows(
    data: bytes, *, max_rows: int, max_columns: int, max_cell_chars: int
) -> Iterator[list[str]]:
    """The rows of a CSV file (comma, semicolon or tab), cells stripped. Stops with
    UnreadableFile naming the line at malformed CSV (a quote never closed, a carriage
    return alone inside a line), at a cell longer than ``max_cell_chars``, a row of more
    than ``max_columns`` cells, or more than ``max_rows`` non-empty rows after the
    header (the first non-empty row)."""
    text = decode_text(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    # Lines end at \n (or \r\n): a carriage return alone is refused, not guessed at.
    reader = csv.reader(io.StringIO(text), dialect, strict=True)
    rows = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line = reader.line_num
            message = str(exc)
            if "field larger than field limit" in message:
                reason = _("a cell is longer than %(max)s characters.") % {"max": max_cell_chars}
            elif "new-line character seen in unquoted field" in message:
                reason = _(
                    "a line break (carriage return) inside a line: save the file as CSV "
                    "with ordinary line endings."
                )
            elif "unexpected end of data" in message:
                reason = _('a quote (") opens a cell that is never closed.')
            else:
                reason = _("this is not valid CSV (%(problem)s).") % {"problem": excerpt(message)}
            raise UnreadableFile(
                _("Line %(line)s: %(reason)s") % {"line": line, "reason": reason}
            ) from exc
        if len(row) > max_columns and any(cell.strip() for cell in row[max_columns:]):
            raise UnreadableFile(
                _("Line %(line)s has more than %(max)s columns.")
                % {"line": reader.line_num, "max": max_columns}
            )
        for cell in row:
            if len(cell) > max_cell_chars:
                raise UnreadableFile(
                    _("Line %(line)s: a cell is longer than %(max)s characters.")
                    % {"line": reader.line_num, "max": max_cell_chars}
                )
        cells = [cell.strip() for cell in row[:max_columns]]
        if any(cells):
            rows += 1
            if rows > max_rows + 1:
                raise UnreadableFile(_("At most %(max)s rows at a time.") % {"max": max_rows})
        yield cells


# --- PDF -------------------------------------------------------------------------------

PDF_MAX_OBJECTS = 200_000


def pdf_check(data: bytes) -> None:
    """Refuse a PDF that can run something when opened: JavaScript, launch actions,
    embedded files, actions on opening (other than going to a page) or automatic
    actions. The file is parsed (pypdf) and every object is inspected, also those
    hidden in compressed object streams or behind escaped names (``/J#61vaScript``)."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError
    from pypdf.generic import IndirectObject

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise UnreadableFile(_("The PDF is encrypted: send it without a password."))
        ids = {(num, gen) for gen, numbers in reader.xref.items() for num in numbers}
        ids |= {(num, 0) for num in reader.xref_objStm}
        if len(ids) > PDF_MAX_OBJECTS:
            raise UnreadableFile(_("The PDF holds too many objects."))
        found: set[str] = set()
        _pdf_inspect(reader.trailer, found, depth=0)
        for num, gen in sorted(ids):
            _pdf_inspect(reader.get_object(IndirectObject(num, gen, reader)), found, depth=0)
    except UnreadableFile:
        raise
    except (
        PyPdfError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        RecursionError,
        OSError,
        IndexError,
        zlib.error,
    ) as exc:
        raise UnreadableFile(_("The PDF cannot be read: it is damaged or not a PDF.")) from exc
    if found:
        raise UnreadableFile(
            _("The PDF contains %(what)s: send a PDF without active content.")
            % {"what": ", ".join(sorted(found))}
        )


_PDF_DEPTH = 50


def _pdf_inspect(obj, found: set[str], *, depth: int) -> None:
    """Note in ``found`` what active content ``obj`` (and its direct children) hold;
    indirect children are inspected on their own, as every object of the file is."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    if depth > _PDF_DEPTH or isinstance(obj, IndirectObject):
        return
    if isinstance(obj, ArrayObject):
        for item in obj:
            _pdf_inspect(item, found, depth=depth + 1)
        return
    if not isinstance(obj, DictionaryObject):
        return
    kind = str(obj.get("/S", ""))
    if "/JS" in obj or "/JavaScript" in obj or kind == "/JavaScript":
        found.add(_("JavaScript"))
    if "/Launch" in obj or kind == "/Launch":
        found.add(_("a launch action"))
    if (
        "/EmbeddedFiles" in obj
        or "/EF" in obj
        or str(obj.get("/Type", "")) == "/EmbeddedFile"
        or str(obj.get("/Subtype", "")) == "/FileAttachment"
    ):
        found.add(_("an embedded file"))
    if "/OpenAction" in obj:
        action = obj["/OpenAction"]
        action = action.get_object() if isinstance(action, IndirectObject) else action
        # a destination (open at a page, a zoom) is harmless; any other action is not
        if isinstance(action, DictionaryObject) and str(action.get("/S", "")) != "/GoTo":
            found.add(_("an action run on opening"))
    if "/AA" in obj:
        found.add(_("automatic actions"))
    for key, value in obj.items():
        if key not in ("/Contents", "/Length"):
            _pdf_inspect(value, found, depth=depth + 1)
