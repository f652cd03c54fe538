"""Bulk import of lots from a spreadsheet: an administration emptying a floor has a
spreadsheet, not fifty forms. A dry run reports every bad row; an import writes all
rows or none."""

import datetime
import io
import secrets
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from exchange.categories.models import Category
from exchange.common.errors import ApplicationError
from exchange.common.exports import csv_writer, xlsx_append
from exchange.common.storage import delete_files_on_commit
from exchange.common.suggestions import close_matches
from exchange.common.uploads import UnreadableFile, csv_rows, excerpt, zip_check
from exchange.lots.dimensions import DIMENSION_MAX_CM, SIZE_FIELDS
from exchange.lots.errors import LotError
from exchange.lots.models import MAX_QUANTITY, MAX_UNIT_WEIGHT_KG, Condition, LotImportFile
from exchange.lots.services.lots import ItemInput, LotInput, lot_create, lot_validate
from exchange.organisations.access import require_verified, require_writer
from exchange.organisations.models import Membership, Site

MAX_ROWS = 1000
MAX_COLUMNS = 50
MAX_CELL_CHARS = 5000  # the longest free text a lot takes (FREE_TEXT_MAX_CHARS)
MAX_FILE_BYTES = 5 * 1024 * 1024

# column: (required, description for the README and the template)
IMPORT_COLUMNS = {
    "title": (True, gettext_lazy("Short title, e.g. 'Office chairs, black'")),
    "category": (
        True,
        gettext_lazy("Category code from the list of category codes, e.g. office-chair, laptop"),
    ),
    "quantity": (True, gettext_lazy("Whole number, 1 to 100000")),
    "condition": (
        True,
        gettext_lazy("new, good, fair or parts (for parts only): the codes as written here"),
    ),
    "available_until": (True, gettext_lazy("Date, YYYY-MM-DD or DD/MM/YYYY, not in the past")),
    "site": (
        True,
        gettext_lazy(
            "Name or id of one of your organisation's sites (the XLSX template lists them)"
        ),
    ),
    "description": (False, gettext_lazy("Free text")),
    "unit_weight_kg": (
        False,
        gettext_lazy("Weight of one unit in kg (empty: the category's typical weight)"),
    ),
    "pickup_notes": (False, gettext_lazy("Dock, floor, dismantling needed ...")),
    "serial_numbers": (False, gettext_lazy("Serial numbers of the devices, separated by ; or |")),
    "width_cm": (False, gettext_lazy("Width of one unit in cm, a whole number")),
    "depth_cm": (False, gettext_lazy("Depth of one unit in cm, a whole number")),
    "height_cm": (False, gettext_lazy("Height of one unit in cm, a whole number")),
}
TEMPLATE_EXAMPLE = {
    "title": "Office chairs, black, adjustable",
    "category": "office-chair",
    "quantity": 24,
    "condition": "good",
    "available_until": None,  # filled in with a date two months ahead
    "site": "Headquarters",
    "description": "Ergonomic chairs from the 4th floor",
    "unit_weight_kg": 12.5,
    "pickup_notes": "Loading dock B, lift available",
    "serial_numbers": "",
    "width_cm": 65,
    "depth_cm": 65,
    "height_cm": 110,
}
TEMPLATE_ROWS = 1000  # rows of the XLSX template that carry the lists and number checks
# A file that passed its dry run is kept this long for the import without choosing it again.
KEPT_FILE_MINUTES = 60
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"


@dataclass
class ImportReport:
    dry_run: bool
    rows: int = 0
    created: list[int] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)
    file_token: str = ""  # a dry run without problems: the kept file (lots_import_kept)
    file_expires_at: datetime.datetime | None = None

    def problem(self, row: int, column: str, reason: str, suggestions: list[str] = ()) -> None:
        self.problems.append(
            {"row": row, "column": column, "reason": str(reason), "suggestions": list(suggestions)}
        )

    def unknown(self, row: int, column: str, reason: str, suggestions: list[str]) -> None:
        """An unknown value, with the known ones it is closest to."""
        if suggestions:
            reason = _("%(reason)s. Did you mean %(suggestions)s?") % {
                "reason": reason,
                "suggestions": _(" or ").join(suggestions),
            }
        self.problem(row, column, reason, suggestions)


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


@dataclass
class _Known:
    """The values a row may name, with what each is called, for suggestions."""

    sites: dict
    categories: dict
    site_labels: dict[str, list[str]]
    category_labels: dict[str, list[str]]
    condition_labels: dict[str, list[str]]
    suggested: dict = field(default_factory=dict)

    def suggest(self, column: str, value: str) -> list[str]:
        key = (column, value)
        if key not in self.suggested:
            labels = {
                "category": self.category_labels,
                "site": self.site_labels,
                "condition": self.condition_labels,
            }[column]
            self.suggested[key] = close_matches(value, labels)
        return self.suggested[key]


def _known(actor: Membership) -> _Known:
    sites, site_labels = {}, {}
    for site in Site.objects.filter(organisation_id=actor.organisation_id):
        sites[site.name.lower()] = site
        sites[str(site.pk)] = site
        site_labels[site.name] = [site.name, site.municipality, site.street]
    categories = {c.code: c for c in Category.objects.all()}
    category_labels = {
        c.code: [c.code, c.name_nl, c.name_fr, c.name_de, c.name_en] for c in categories.values()
    }
    condition_labels: dict[str, list[str]] = {value: [value] for value in Condition.values}
    for language in ("nl", "fr", "de", "en"):
        with translation.override(language):
            for value, label in Condition.choices:
                condition_labels[value].append(str(label))
    return _Known(sites, categories, site_labels, category_labels, condition_labels)


def _row_input(number: int, row: dict[str, str], report: ImportReport, known: _Known) -> LotInput:
    """The row as a LotInput; cells that cannot be read are reported and left empty."""
    data = LotInput(
        title=row.get("title", ""),
        description=row.get("description", ""),
        pickup_notes=row.get("pickup_notes", ""),
        condition=row.get("condition", "").strip().lower(),
    )
    raw_category = row.get("category", "").strip()
    category = known.categories.get(raw_category.lower())
    if category is None:
        report.unknown(
            number,
            "category",
            _("Unknown category: %(value)s") % {"value": excerpt(raw_category)},
            known.suggest("category", raw_category),
        )
    data.category = category
    if data.condition and data.condition not in Condition.values:
        report.unknown(
            number,
            "condition",
            _("Unknown condition: %(value)s") % {"value": excerpt(data.condition)},
            known.suggest("condition", data.condition),
        )
    site_key = row.get("site", "").strip()
    data.site = known.sites.get(site_key.lower()) or known.sites.get(site_key)
    if data.site is None:
        report.unknown(
            number,
            "site",
            _("Not one of your sites: %(value)s") % {"value": excerpt(site_key)},
            known.suggest("site", site_key),
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
    for name in SIZE_FIELDS:
        raw = row.get(name, "").strip()
        if raw:
            try:
                setattr(data, name, int(raw))
            except ValueError:
                report.problem(
                    number, name, _("Not a whole number: %(value)s") % {"value": excerpt(raw)}
                )
    raw_date = row.get("available_until", "")
    data.available_until = _parse_date(raw_date)
    if raw_date and data.available_until is None:
        report.problem(
            number, "available_until", _("Not a date: %(value)s") % {"value": excerpt(raw_date)}
        )
    serials = [s.strip() for s in row.get("serial_numbers", "").replace("|", ";").split(";")]
    data.items = [ItemInput(serial_number=s) for s in serials if s]
    return data


def lots_import(
    *, actor: Membership, name: str, data: bytes, dry_run: bool, keep: bool = False
) -> ImportReport:
    """Check every row; unless ``dry_run``, create every lot as a draft, all or none.

    A real import with problems raises ApplicationError (400) carrying the report. A dry
    run without problems and with ``keep`` keeps the file for ``lots_import_kept``: the
    report carries its token."""
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

    known = _known(actor)
    inputs: list[tuple[int, LotInput]] = []
    seen_serials: dict[str, int] = {}
    for number, cells in body:
        row = {header[i]: (cells[i] if i < len(cells) else "") for i in range(len(header))}
        lot_input = _row_input(number, row, report, known)
        for item in lot_input.items:
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
            lot_validate(actor=actor, data=lot_input)
        except ApplicationError as exc:
            for field_name, messages in exc.errors.items():
                column = "serial_numbers" if field_name.startswith("items") else field_name
                if column not in reported:
                    report.problem(number, column, messages[0])
                    reported.add(column)
            continue
        if not reported:
            inputs.append((number, lot_input))
    if report.problems:
        return _finish(report)
    if dry_run:
        if keep:
            _file_keep(actor=actor, name=name, data=data, report=report)
        return report
    with transaction.atomic():
        for _number, data in inputs:
            report.created.append(lot_create(actor=actor, data=data).pk)
    return report


def _file_keep(*, actor: Membership, name: str, data: bytes, report: ImportReport) -> None:
    kept = LotImportFile(
        token=secrets.token_urlsafe(32),
        user=actor.user,
        organisation_id=actor.organisation_id,
        name=name[:255],
        rows=report.rows,
        expires_at=timezone.now() + datetime.timedelta(minutes=KEPT_FILE_MINUTES),
    )
    # Stored under a name of ours (the person's file name is only shown back to them).
    stored_name = "import.xlsx" if data[:4] == b"PK\x03\x04" else "import.csv"
    kept.file.save(stored_name, ContentFile(data), save=False)
    try:
        kept.save()
    except BaseException:
        kept.file.storage.delete(kept.file.name)
        raise
    report.file_token, report.file_expires_at = kept.token, kept.expires_at


def lot_import_file_kept(*, actor: Membership, token: str) -> LotImportFile | None:
    """The file this person checked for this organisation under ``token``, if still kept."""
    if not token or len(token) > 64:
        return None
    return LotImportFile.objects.filter(
        token=token,
        user_id=actor.user_id,
        organisation_id=actor.organisation_id,
        expires_at__gt=timezone.now(),
    ).first()


@transaction.atomic
def lots_import_kept(*, actor: Membership, token: str) -> ImportReport:
    """Import the file that passed its dry run (``lots_import(keep=True)``) without sending
    it again; the kept file is gone afterwards. An unknown, expired or foreign token is a
    400 ``import_file_gone``."""
    require_writer(actor)
    kept = lot_import_file_kept(actor=actor, token=token)
    # Deleting the row first takes it: a second import of the same file finds nothing.
    if kept is None or not LotImportFile.objects.filter(pk=kept.pk).delete()[0]:
        raise ApplicationError(
            code=LotError.IMPORT_FILE_GONE,
            field="file_token",
            message=_(
                "The checked file is no longer kept (it is kept for %(minutes)s minutes after "
                "its check): choose it again."
            )
            % {"minutes": KEPT_FILE_MINUTES},
        )
    with kept.file.open("rb") as stored:
        data = stored.read()
    report = lots_import(actor=actor, name=kept.name, data=data, dry_run=False)
    delete_files_on_commit([(kept.file.storage, kept.file.name)])
    return report


def lot_import_files_sweep(*, now: datetime.datetime | None = None) -> int:
    """Forget the kept files whose time is over; the number forgotten."""
    expired = list(LotImportFile.objects.filter(expires_at__lte=now or timezone.now())[:500])
    for kept in expired:
        kept.file.storage.delete(kept.file.name)
    LotImportFile.objects.filter(pk__in=[k.pk for k in expired]).delete()
    return len(expired)


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


def _template_example(column: str):
    if column == "available_until":
        return timezone.localdate() + datetime.timedelta(days=60)
    return TEMPLATE_EXAMPLE.get(column, "")


def import_template(*, file_format: str, site_names: list[str] | None = None) -> tuple[bytes, str]:
    """The import template with one example row: (content, content type). The XLSX holds
    typed cells (numbers as numbers, dates as dates), drop-down lists of the category
    codes, the conditions and ``site_names`` (the organisation's sites), and a second
    sheet with the category codes and their names."""
    columns = list(IMPORT_COLUMNS)
    example = [_template_example(c) for c in columns]
    if site_names:
        example[columns.index("site")] = site_names[0]
    if file_format == "xlsx":
        return _template_xlsx(columns, example, site_names or []), XLSX_TYPE
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(columns)
    writer.writerow(
        [value.isoformat() if isinstance(value, datetime.date) else value for value in example]
    )
    return out.getvalue().encode("utf-8"), CSV_TYPE


def _template_xlsx(columns: list[str], example: list, site_names: list[str]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "lots"
    xlsx_append(sheet, columns)
    xlsx_append(sheet, example)  # typed: numbers and a date, not text
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    lists = workbook.create_sheet("codes")
    codes = category_codes_rows()
    xlsx_append(
        lists, [_("Category code"), "nl", "fr", "de", "en", "", _("Condition"), "", _("Site")]
    )
    conditions = list(Condition.values)
    for index in range(max(len(codes), len(conditions), len(site_names))):
        row = list(codes[index][:1] + codes[index][2:]) if index < len(codes) else [""] * 5
        row += ["", conditions[index] if index < len(conditions) else ""]
        row += ["", site_names[index] if index < len(site_names) else ""]
        xlsx_append(lists, row)
    for cell in lists[1]:
        cell.font = Font(bold=True)
    last = TEMPLATE_ROWS + 1
    codes_sheet = quote_sheetname(lists.title)

    def letter(column: str) -> str:
        return get_column_letter(columns.index(column) + 1)

    def check(column: str, validation: DataValidation, number_format: str = "") -> None:
        validation.error = _("See the column list on the import page.")
        validation.showErrorMessage = True
        sheet.add_data_validation(validation)
        validation.add(f"{letter(column)}2:{letter(column)}{last}")
        if number_format:
            for row in range(2, last + 1):
                sheet[f"{letter(column)}{row}"].number_format = number_format

    check(
        "category",
        DataValidation(type="list", formula1=f"{codes_sheet}!$A$2:$A${len(codes) + 1}"),
    )
    check("condition", DataValidation(type="list", formula1=f'"{",".join(conditions)}"'))
    if site_names:
        check(
            "site",
            DataValidation(type="list", formula1=f"{codes_sheet}!$I$2:$I${len(site_names) + 1}"),
        )
    check(
        "quantity",
        DataValidation(type="whole", operator="between", formula1="1", formula2=str(MAX_QUANTITY)),
        "0",
    )
    check(
        "unit_weight_kg",
        DataValidation(
            type="decimal", operator="between", formula1="0", formula2=str(MAX_UNIT_WEIGHT_KG)
        ),
        "0.0##",
    )
    for name in SIZE_FIELDS:
        check(
            name,
            DataValidation(
                type="whole", operator="between", formula1="1", formula2=str(DIMENSION_MAX_CM)
            ),
            "0",
        )
    check(
        "available_until",
        DataValidation(type="date", operator="greaterThanOrEqual", formula1="TODAY()"),
        "yyyy-mm-dd",
    )
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(14, len(column) + 4)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def category_codes_rows() -> list[list[str]]:
    """Every category: code, parent's code, names in NL, FR, DE and EN (tree order)."""
    return [
        [c.code, c.parent.code if c.parent_id else "", c.name_nl, c.name_fr, c.name_de, c.name_en]
        for c in Category.objects.select_related("parent").order_by("path")
    ]


def category_codes_table(*, file_format: str) -> tuple[bytes, str]:
    """The list of category codes with their names in the four languages, to fill in the
    import's ``category`` column: (content, content type)."""
    header = ["code", "parent", "name_nl", "name_fr", "name_de", "name_en"]
    rows = category_codes_rows()
    if file_format == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "categories"
        for row in (header, *rows):
            xlsx_append(sheet, row)
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue(), XLSX_TYPE
    out = io.StringIO()
    writer = csv_writer(out)
    for row in (header, *rows):
        writer.writerow(row)
    return out.getvalue().encode("utf-8"), CSV_TYPE
