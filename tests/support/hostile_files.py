"""Files an attacker would upload, made on the fly: spreadsheets that inflate to
hundreds of megabytes, a zip bomb, CSV that breaks the csv module, PDFs that run
something when opened. Used by the tests (small sizes) and by `make bench` (the sizes
that were seen)."""

import io
import zipfile

from openpyxl import Workbook

HEADER = ["title", "category", "quantity", "condition", "available_until", "site"]
CHUNK = 1024 * 1024


def _workbook_zip(rows: list[list]) -> dict[str, bytes]:
    """The parts of a small, valid XLSX (openpyxl's own), by name."""
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    with zipfile.ZipFile(out) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _write_zip(parts: dict[str, bytes], replace: dict[str, object]) -> bytes:
    """The XLSX with some parts replaced by generators of chunks (streamed, deflated)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            if name in replace:
                with archive.open(name, "w", force_zip64=True) as member:
                    for chunk in replace[name]():
                        member.write(chunk)
            else:
                archive.writestr(name, content)
    return out.getvalue()


def xlsx_with_one_huge_shared_string(size: int) -> bytes:
    """A valid XLSX whose only data row holds, as its title, one shared string of
    ``size`` characters: 400 MB inflate from about 400 KB."""
    parts = _workbook_zip([HEADER, ["PLACEHOLDER", "desk", 1, "good", "2030-01-01", "HQ"]])
    parts["xl/worksheets/sheet1.xml"] = (
        parts["xl/worksheets/sheet1.xml"]
        .decode()
        .replace(
            '<c r="A2" t="inlineStr"><is><t>PLACEHOLDER</t></is></c>',
            '<c r="A2" t="s"><v>0</v></c>',
        )
        .encode()
    )
    parts["[Content_Types].xml"] = (
        parts["[Content_Types].xml"]
        .decode()
        .replace(
            "</Types>",
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        )
        .encode()
    )
    parts["xl/_rels/workbook.xml.rels"] = (
        parts["xl/_rels/workbook.xml.rels"]
        .decode()
        .replace(
            "</Relationships>",
            '<Relationship Id="rIdStrings" Target="sharedStrings.xml" Type="http://schemas.'
            'openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
            "</Relationships>",
        )
        .encode()
    )
    parts["xl/sharedStrings.xml"] = b""

    def shared_strings():
        yield (
            b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            b'count="1" uniqueCount="1"><si><t>'
        )
        left = size
        while left > 0:
            step = min(CHUNK, left)
            yield b"A" * step
            left -= step
        yield b"</t></si></sst>"

    return _write_zip(parts, {"xl/sharedStrings.xml": shared_strings})


def xlsx_with_many_cells(rows: int, columns: int, *, compact: bool = False) -> bytes:
    """A valid XLSX of ``rows`` × ``columns`` numeric cells (16 000 × 1 000 was seen).
    ``compact``: every cell the same, without its reference (as the format allows), so
    that 16 million cells fit in a small upload (under the request limit)."""
    from openpyxl.utils import get_column_letter

    parts = _workbook_zip([HEADER])
    letters = [get_column_letter(i + 1) for i in range(columns)]
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    head = sheet.split("<sheetData>")[0] if "<sheetData>" in sheet else sheet.split("<sheetData")[0]

    def sheet_xml():
        yield (head + "<sheetData>").encode()
        same = "<c><v>1</v></c>" * columns
        for r in range(1, rows + 1):
            if compact:
                cells = same
            else:
                cells = "".join(f'<c r="{letter}{r}"><v>{r}</v></c>' for letter in letters)
            yield f'<row r="{r}">{cells}</row>'.encode()
        yield b"</sheetData></worksheet>"

    return _write_zip(parts, {"xl/worksheets/sheet1.xml": sheet_xml})


def zip_bomb(size: int) -> bytes:
    """A zip (it starts like an XLSX) with one member of ``size`` zero bytes."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member,
    ):
        left = size
        zeros = bytes(CHUNK)
        while left > 0:
            member.write(zeros[: min(CHUNK, left)])
            left -= CHUNK
    return out.getvalue()


# --- PDF -------------------------------------------------------------------------------


def pdf_clean() -> bytes:
    """A real one-page certificate, as reportlab writes it."""
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    document = canvas.Canvas(out)
    document.drawString(72, 760, "Erasure certificate: 3 devices, purge, verified")
    document.save()
    return out.getvalue()


def _pdf_changed(change) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_clean())))
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _action(kind: str, **entries):
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    action = DictionaryObject({NameObject("/S"): NameObject(kind)})
    for key, value in entries.items():
        action[NameObject(f"/{key}")] = TextStringObject(value)
    return action


def pdf_with_open_action_javascript() -> bytes:
    from pypdf.generic import NameObject

    def change(writer):
        writer._root_object[NameObject("/OpenAction")] = _action("/JavaScript", JS="app.alert(1)")

    return _pdf_changed(change)


def pdf_with_document_javascript() -> bytes:
    """JavaScript in the document's name tree, in an indirect object."""
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

    def change(writer):
        script = writer._add_object(_action("/JavaScript", JS="this.exportDataObject()"))
        writer._root_object[NameObject("/Names")] = DictionaryObject(
            {
                NameObject("/JavaScript"): DictionaryObject(
                    {NameObject("/Names"): ArrayObject([TextStringObject("init"), script])}
                )
            }
        )

    return _pdf_changed(change)


def pdf_with_launch_action() -> bytes:
    from pypdf.generic import DictionaryObject, NameObject

    def change(writer):
        page = writer.pages[0]
        page[NameObject("/AA")] = DictionaryObject(
            {NameObject("/O"): _action("/Launch", F="cmd.exe")}
        )

    return _pdf_changed(change)


def pdf_with_embedded_file() -> bytes:
    return _pdf_changed(lambda writer: writer.add_attachment("payload.exe", b"MZ\x90\x00"))


def pdf_opening_at_page_one() -> bytes:
    """A harmless action on opening: go to the first page, fit it in the window."""
    from pypdf.generic import ArrayObject, NameObject

    def change(writer):
        writer._root_object[NameObject("/OpenAction")] = ArrayObject(
            [writer.pages[0].indirect_reference, NameObject("/Fit")]
        )

    return _pdf_changed(change)
