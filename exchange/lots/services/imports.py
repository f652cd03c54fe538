"""Bulk import of lots from a spreadsheet: an administration emptying a floor has a
spreadsheet, not fifty forms. A dry run reports every bad row; an import writes all
rows or none."""

import datetime
import io
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from exchange.categories.models import Category
from exchange.common.errors import ApplicationError
from exchange.common.exports import csv_writer, xlsx_append
from exchange.common.uploads import UnreadableFile, csv_rows, excerpt, zip_check
from exchange.lots.errors import LotError
from exchange.lots.services.lots import ItemInput, LotInput, lot_create, lot_validate
from exchange.organisations.access import require_verified, require_writer
from exchange.organisations.models import Membership, Site

MAX_ROWS = 1000
MAX_COLUMNS = 50
MAX_CELL_CHARS = 5000  # the longest free text a lot takes (FREE_TEXT_MAX_CHARS)
MAX_FILE_BYTES = 5 * 1024 * 1024

# column: (required, description for the README and the template)
IMPORT_COLUMNS = {
    "title": (True, _lazy("Short title, e.g. 'Office chairs, black'")),
    "category": (True, _lazy("Category code, e.g. office-chair, desk, laptop, monitor")),
    "quantity": (True, _lazy("Whole number, 1 to 100000")),
    "condition": (True, _lazy("new, good, fair or parts")),
    "available_until": (True, _lazy("Date, YYYY-MM-DD or DD/MM/YYYY, not in the past")),
    "site": (True, _lazy("Name or id of one of your organisation's sites")),
    "description": (False, _lazy("Free text")),
    "unit_weight_kg": (
        False,
        _lazy("Weight of one unit in kg (empty: the category's typical weight)"),
    ),
    "pickup_notes": (False, _lazy("Dock, floor, dismantling needed ...")),
    "serial_numbers": (False, _lazy("Serial numbers of the devices, separated by ; or |")),
}
TEMPLATE_EXAMPLE = {
    "title": "Office chairs, black, adjustable",
    "category": "office-chair",
    "quantity": "24",
    "condition": "good",
    "available_until": "",  # filled in with a date two months ahead
    "site": "Headquarters",
    "description": "Ergonomic chairs from the 4th floor",
    "unit_weight_kg": "12.5",
    "pickup_notes": "Loading dock B, lift available",
    "serial_numbers": "",
}


@dataclass
class ImportReport:
    dry_run: bool
    rows: int = 0
    created: list[int] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)

    def problem(self, row: int, column: str, reason: str) -> None:
        self.problems.append({"row": row, "column": column, "reason": str(reason)})


def _problem_file(reason: str) -> ApplicationError:
    return ApplicationError(code=LotError.IMPORT_INVALID, field="file", message=reason)


def read_table(*, name: str, data: bytes) -> list[list[str]]:
    """The rows of a CSV or XLSX file as text cells; raise ApplicationError (400) if the
    file cannot be read at all, is too large, or breaks a limit (rows, columns, cell
    length), before more of it is parsed."""
    if len(data) > MAX_FILE_BYTES:
        raise _problem_file(_("The file is larger than 5 MB."))
    try:
        if data[:4] == b"PK\x03\x04":
            zip_check(data)
            return _read_xlsx(data)
        if name.lower().endswith((".xlsx", ".xlsm")):
            raise UnreadableFile(_("This is not a valid XLSX file."))
        return list(
            csv_rows(
                data, max_rows=MAX_ROWS, max_columns=MAX_COLUMNS, max_cell_chars=MAX_CELL_CHARS
            )
        )
    except UnreadableFile as exc:
        raise _problem_file(str(exc)) from exc


def _read_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UnreadableFile(_("This is not a valid XLSX file.")) from exc
    try:
        sheet = workbook.worksheets[0]
        rows, filled = [], 0
        for number, row in enumerate(
            sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True), start=1
        ):
            cells = [_xlsx_text(value) for value in row]
            if len(cells) > MAX_COLUMNS and cells[MAX_COLUMNS]:
                raise UnreadableFile(
                    _("Line %(line)s has more than %(max)s columns.")
                    % {"line": number, "max": MAX_COLUMNS}
                )
            for index, cell in enumerate(cells):
                if len(cell) > MAX_CELL_CHARS:
                    raise UnreadableFile(
                        _("Cell %(cell)s is longer than %(max)s characters.")
                        % {"cell": f"{get_column_letter(index + 1)}{number}", "max": MAX_CELL_CHARS}
                    )
            rows.append(cells[:MAX_COLUMNS])
            filled += any(cells)
            if filled > MAX_ROWS + 1:
                raise UnreadableFile(_("At most %(max)s rows at a time.") % {"max": MAX_ROWS})
    except (KeyError, ValueError, TypeError, zipfile.BadZipFile, EOFError) as exc:
        if isinstance(exc, UnreadableFile):
            raise
        raise UnreadableFile(_("This is not a valid XLSX file.")) from exc
    finally:
        workbook.close()
    return rows


def _xlsx_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _parse_date(text: str) -> datetime.date | None:
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _row_input(
    number: int, row: dict[str, str], report: ImportReport, *, sites, categories
) -> LotInput:
    """The row as a LotInput; cells that cannot be read are reported and left empty."""
    data = LotInput(
        title=row.get("title", ""),
        description=row.get("description", ""),
        pickup_notes=row.get("pickup_notes", ""),
        condition=row.get("condition", "").lower(),
    )
    category = categories.get(row.get("category", "").lower())
    if category is None:
        report.problem(
            number,
            "category",
            _("Unknown category: %(value)s") % {"value": excerpt(row.get("category", ""))},
        )
    data.category = category
    site_key = row.get("site", "")
    data.site = sites.get(site_key.lower()) or sites.get(site_key)
    if data.site is None:
        report.problem(
            number, "site", _("Not one of your sites: %(value)s") % {"value": excerpt(site_key)}
        )
    try:
        data.quantity = int(row.get("quantity", ""))
    except ValueError:
        report.problem(
            number,
            "quantity",
            _("Not a whole number: %(value)s") % {"value": excerpt(row.get("quantity", ""))},
        )
    weight = row.get("unit_weight_kg", "").replace(",", ".")
    if weight:
        try:
            data.unit_weight_kg = Decimal(weight)
            if not data.unit_weight_kg.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            report.problem(
                number, "unit_weight_kg", _("Not a number: %(value)s") % {"value": excerpt(weight)}
            )
            data.unit_weight_kg = None
    raw_date = row.get("available_until", "")
    data.available_until = _parse_date(raw_date)
    if raw_date and data.available_until is None:
        report.problem(
            number, "available_until", _("Not a date: %(value)s") % {"value": excerpt(raw_date)}
        )
    serials = [s.strip() for s in row.get("serial_numbers", "").replace("|", ";").split(";")]
    data.items = [ItemInput(serial_number=s) for s in serials if s]
    return data


def lots_import(*, actor: Membership, name: str, data: bytes, dry_run: bool) -> ImportReport:
    """Check every row; unless ``dry_run``, create every lot as a draft, all or none.

    A real import with problems raises ApplicationError (400) carrying the report."""
    require_writer(actor)
    require_verified(actor)
    report = ImportReport(dry_run=dry_run)
    rows = read_table(name=name, data=data)
    if not rows or not any(rows[0]):
        raise _problem_file(_("The file is empty."))
    header = [h.strip().lower().replace(" ", "_") for h in rows[0]]
    unknown = [h for h in header if h and h not in IMPORT_COLUMNS]
    missing = [c for c, (required, _d) in IMPORT_COLUMNS.items() if required and c not in header]
    for column in unknown:
        report.problem(
            1,
            column,
            _("Unknown column. Expected columns: %(columns)s")
            % {"columns": ", ".join(IMPORT_COLUMNS)},
        )
    for column in missing:
        report.problem(1, column, _("Missing column."))
    if report.problems:
        return _finish(report)
    body = [(n, r) for n, r in enumerate(rows[1:], start=2) if any(c.strip() for c in r)]
    if len(body) > MAX_ROWS:
        raise _problem_file(_("At most %(max)s rows at a time.") % {"max": MAX_ROWS})
    report.rows = len(body)
    if not body:
        raise _problem_file(_("The file has a header but no lots."))

    sites = {}
    for site in Site.objects.filter(organisation_id=actor.organisation_id):
        sites[site.name.lower()] = site
        sites[str(site.pk)] = site
    categories = {c.code: c for c in Category.objects.all()}
    inputs: list[tuple[int, LotInput]] = []
    seen_serials: dict[str, int] = {}
    for number, cells in body:
        row = {header[i]: (cells[i] if i < len(cells) else "") for i in range(len(header))}
        data = _row_input(number, row, report, sites=sites, categories=categories)
        for item in data.items:
            if item.serial_number in seen_serials:
                report.problem(
                    number,
                    "serial_numbers",
                    _("%(value)s is also in row %(row)s.")
                    % {
                        "value": excerpt(item.serial_number),
                        "row": seen_serials[item.serial_number],
                    },
                )
            seen_serials.setdefault(item.serial_number, number)
        reported = {p["column"] for p in report.problems if p["row"] == number}
        try:
            lot_validate(actor=actor, data=data)
        except ApplicationError as exc:
            for field_name, messages in exc.errors.items():
                column = "serial_numbers" if field_name.startswith("items") else field_name
                if column not in reported:
                    report.problem(number, column, messages[0])
                    reported.add(column)
            continue
        if not reported:
            inputs.append((number, data))
    if report.problems or dry_run:
        return _finish(report)
    with transaction.atomic():
        for _number, data in inputs:
            report.created.append(lot_create(actor=actor, data=data).pk)
    return report


def _finish(report: ImportReport) -> ImportReport:
    report.problems.sort(key=lambda p: (p["row"], p["column"]))
    if report.problems and not report.dry_run:
        raise ApplicationError(
            code=LotError.IMPORT_INVALID,
            message=_("%(count)s problems in the file: nothing was imported.")
            % {"count": len(report.problems)},
            extra={
                "dry_run": False,
                "rows": report.rows,
                "created": [],
                "problems": report.problems,
            },
        )
    return report


def import_template(*, file_format: str) -> tuple[bytes, str]:
    """The import template with one example row: (content, content type)."""
    columns = list(IMPORT_COLUMNS)
    in_two_months = timezone.localdate() + datetime.timedelta(days=60)
    example = [
        TEMPLATE_EXAMPLE[c] or (in_two_months.isoformat() if c == "available_until" else "")
        for c in columns
    ]
    if file_format == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "lots"
        xlsx_append(sheet, columns)
        xlsx_append(sheet, example)
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(columns)
    writer.writerow(example)
    return out.getvalue().encode("utf-8"), "text/csv; charset=utf-8"
