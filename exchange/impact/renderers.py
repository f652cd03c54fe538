"""The annual report's files, in the report's language: CSV (one table), XLSX (a sheet
that explains the columns and the method, the headline figures, one sheet per breakdown,
the factors) and PDF (``exchange.impact.pdf``). They lay out what
``exchange.impact.presenters.reports`` gives, every figure already rounded by the one
rule (``exchange.impact.presenters.numbers``); every spreadsheet cell goes through
``exchange.common.exports``, so that no name becomes a formula."""

import datetime
import io
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from exchange.common.exports import csv_writer, xlsx_append
from exchange.impact.presenters.numbers import rounded_whole
from exchange.impact.presenters.reports import REPORT_COLUMNS

# CSV variants: the separator between fields and the decimal sign. A Belgian (or any
# continental) spreadsheet opens ``;`` with decimal commas as columns; English ones ``,``.
CSV_SEPARATORS = {"semicolon": (";", ","), "comma": (",", ".")}


def csv_separator_for(language: str) -> str:
    """The CSV variant a reader of ``language`` opens as columns."""
    return "comma" if language == "en" else "semicolon"


def app_section_value(value):
    """A value of a section an app adds: a number rounded by the one rule (whole), text
    as it is."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float | Decimal):
        return rounded_whole(value)
    return str(value)


def _csv_figure(value, name: str):
    """A rounded figure as a CSV field: a number without thousands separator (the
    writer gives it the variant's decimal sign); empty where there is none."""
    if value is None:
        return None
    if name == "diversion_percent":
        return Decimal(value).quantize(Decimal("0.1"))
    return int(value)


def report_csv(data: dict, *, separator: str | None = None) -> bytes:
    """One table in UTF-8 with a byte-order mark: the breakdown, the group and the
    rounded figures, with a header row in the report's language. ``separator``
    (semicolon, comma; by default after the language) chooses the variant."""
    separator = separator or csv_separator_for(data["language"])
    delimiter, decimal_sign = CSV_SEPARATORS[separator]
    with translation.override(data["language"]):
        out = io.StringIO()
        writer = csv_writer(
            out, delimiter=delimiter, decimal_sign=decimal_sign, lineterminator="\r\n"
        )
        writer.writerow([_("Breakdown"), _("Group"), *(title for _name, title in data["columns"])])
        writer.writerow(
            [
                _("Total"),
                str(data["year"]),
                *(_csv_figure(data["figures"][n], n) for n in REPORT_COLUMNS),
            ]
        )
        for section in data["sections"]:
            for row in section["rows"]:
                writer.writerow(
                    [
                        section["title"],
                        row["label"],
                        *(_csv_figure(row["figures"][n], n) for n in REPORT_COLUMNS),
                    ]
                )
        for section in data.get("app_sections", []):
            for label, value in section["rows"]:
                # the value in the first figure's column, the others empty
                padding = [None] * (len(REPORT_COLUMNS) - 1)
                writer.writerow([section["title"], label, app_section_value(value), *padding])
        return out.getvalue().encode("utf-8-sig")


# --- XLSX --------------------------------------------------------------------------

WHOLE = "#,##0"
PERCENT = "0.0%"
POINTS = "+0.0;-0.0;0.0"
CHANGE = "+0.0%;-0.0%;0.0%"
DATE = "yyyy-mm-dd"
MONTH = "yyyy-mm"
FACTOR = "0.0##"


def _xlsx_value(value, name: str):
    """A rounded figure as a spreadsheet number: a rate as a fraction (shown as a
    percentage by the cell's format)."""
    if value is None:
        return None
    if name == "diversion_percent":
        return float(Decimal(value) / 100)
    return int(value)


def _xlsx_format(name: str) -> str:
    return PERCENT if name == "diversion_percent" else WHOLE


def _sheet_title(title: str, taken: set[str]) -> str:
    """A sheet name Excel accepts: at most 31 characters, none of ``[]:*?/\\``, unique."""
    name = "".join(" " if c in "[]:*?/\\" else c for c in title)[:31].strip() or "Sheet"
    base, number = name, 2
    while name.lower() in taken:
        suffix = f" ({number})"
        name, number = base[: 31 - len(suffix)] + suffix, number + 1
    taken.add(name.lower())
    return name


def _header(sheet, titles: list[str], widths: list[float]) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    xlsx_append(sheet, titles)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cell.fill = PatternFill("solid", fgColor="E8F0EC")
    _widths(sheet, widths)


def _widths(sheet, widths: list[float]) -> None:
    from openpyxl.utils import get_column_letter

    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def _label_width(labels, minimum: float = 18, maximum: float = 60) -> float:
    return max(minimum, min(maximum, max((len(str(label)) for label in labels), default=0) + 2))


def column_meanings() -> list[tuple[str, str]]:
    """What each column of the report's tables means."""
    return [
        (_("Breakdown"), _("How the figures are grouped: by category, outcome, region, …")),
        (_("Group"), _("The group the row sums: a category, an outcome, a region, a month, …")),
        (_("Items"), _("The number of items recorded.")),
        (
            _("Weight (kg)"),
            _("Their weight in kilograms: measured at the handover, else estimated."),
        ),
        (
            _("CO2e avoided (kg)"),
            _("Greenhouse gases not emitted because no new item had to be made."),
        ),
        (
            _("Replacement value (EUR)"),
            _("What buying the reused items new would have cost, excluding VAT."),
        ),
        (
            _("Diversion rate (%)"),
            _("The share of the weight that was reused (sold included)."),
        ),
    ]


def method_paragraphs() -> list[str]:
    """The method, as the documents state it (the dashboard's method note in words)."""
    return [
        _(
            "Weight: the measured weight where the handover recorded one, else the quantity "
            "times the lot's unit weight, else the category's typical weight."
        ),
        _(
            "CO2e avoided: the quantity times the category's factor per reused unit (reuse "
            "outcomes, sold included), else 0.51 kg CO2e per kg reused (WRAP); 0 for disposal."
        ),
        _(
            "Replacement value: the quantity times the category's replacement value, for "
            "reuse outcomes."
        ),
        _("Diversion rate: reused weight (sold included) divided by all recorded weight."),
        _(
            "Rounding: every figure is summed from the records at full precision, then "
            "rounded once, half up: items, kilograms and euros to whole numbers, the "
            "diversion rate to one decimal of a percent. Rounded figures need not add up "
            "to the rounded total."
        ),
        _(
            "Each record keeps the version of the factors it used, so that the figures of "
            "past years do not change when the factors do. A correction is a new record, "
            "never an edit."
        ),
    ]


def about_rows(data: dict) -> list[tuple[str, object]]:
    """What the report is: the title page's facts."""
    return [
        (_("Platform"), "Reuse Exchange"),
        (_("Year"), data["year"]),
        (_("Organisation"), data["organisation"] or _("All organisations")),
        (_("Issued on"), data["issued_on"]),
        (_("Factor version"), ", ".join(v.version for v in data["versions"]) or "–"),
        (_("Records"), data["records"]),
    ]


def report_xlsx(data: dict) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    with translation.override(data["language"]):
        workbook = Workbook()
        taken: set[str] = set()
        about = workbook.active
        about.title = _sheet_title(_("About this report"), taken)
        xlsx_append(about, [data["title"]])
        about["A1"].font = Font(bold=True, size=14)
        xlsx_append(about, [data["summary"]])
        about.cell(row=2, column=1).alignment = Alignment(wrap_text=True, vertical="top")
        about.merge_cells("A2:B2")
        about.row_dimensions[2].height = 48
        xlsx_append(about, [])
        for label, value in about_rows(data):
            cells = xlsx_append(about, [label, value])
            cells[0].font = Font(bold=True)
            if isinstance(value, datetime.date):
                cells[1].number_format = DATE
                cells[1].alignment = Alignment(horizontal="left")
            elif isinstance(value, int):
                cells[1].number_format = WHOLE
                cells[1].alignment = Alignment(horizontal="left")
        xlsx_append(about, [])
        for label, meaning in [(_("Column"), _("Meaning")), *column_meanings()]:
            cells = xlsx_append(about, [label, meaning])
            cells[1].alignment = Alignment(wrap_text=True, vertical="top")
            if label == _("Column"):
                for cell in cells:
                    cell.font = Font(bold=True)
        xlsx_append(about, [])
        cells = xlsx_append(about, [_("Method")])
        cells[0].font = Font(bold=True)
        for text in method_paragraphs():
            cells = xlsx_append(about, ["", text])
            cells[1].alignment = Alignment(wrap_text=True, vertical="top")
        _widths(about, [28, 100])

        headline = workbook.create_sheet(_sheet_title(_("Headline figures"), taken))
        _header(
            headline,
            [
                _("Figure"),
                str(data["year"]),
                str(data["previous_year"]),
                pgettext("report", "Change"),
            ],
            [40, 16, 16, 14],
        )
        headline.freeze_panes = "A2"
        for row in data["headline"]:
            name = row["name"]
            change = None
            if row["value"] is not None and row["previous"] is not None:
                if name == "diversion_percent":
                    change = float(row["value"] - row["previous"])
                elif row["previous"]:
                    change = float(Decimal(row["value"] - row["previous"]) / abs(row["previous"]))
            cells = xlsx_append(
                headline,
                [
                    row["title"],
                    _xlsx_value(row["value"], name),
                    _xlsx_value(row["previous"], name),
                    change,
                ],
            )
            cells[1].number_format = cells[2].number_format = _xlsx_format(name)
            cells[3].number_format = POINTS if name == "diversion_percent" else CHANGE

        for section in data["sections"]:
            sheet = workbook.create_sheet(_sheet_title(section["title"], taken))
            labels = [row["label"] for row in section["rows"]]
            _header(
                sheet,
                [section["group_header"], *(title for _name, title in data["columns"])],
                [_label_width([section["group_header"], *labels]), 10, 14, 16, 18, 14],
            )
            sheet.row_dimensions[1].height = 32
            sheet.freeze_panes = "B2"
            for row in section["rows"]:
                first = row["key"] if section["by"] == "month" else row["label"]
                cells = xlsx_append(
                    sheet,
                    [first, *(_xlsx_value(row["figures"][n], n) for n in REPORT_COLUMNS)],
                )
                if section["by"] == "month":
                    cells[0].number_format = MONTH
                    cells[0].alignment = Alignment(horizontal="left")
                for cell, name in zip(cells[1:], REPORT_COLUMNS, strict=True):
                    cell.number_format = _xlsx_format(name)

        for section in data.get("app_sections", []):
            sheet = workbook.create_sheet(_sheet_title(section["title"], taken))
            _header(sheet, [_("Figure"), _("Value")], [70, 24])
            sheet.freeze_panes = "A2"
            for label, value in section["rows"]:
                cells = xlsx_append(sheet, [label, app_section_value(value)])
                if isinstance(cells[1].value, int):
                    cells[1].number_format = WHOLE
                cells[0].alignment = Alignment(wrap_text=True, vertical="top")

        factors = workbook.create_sheet(_sheet_title(_("Factors"), taken))
        _header(
            factors,
            [
                _("Factor version"),
                _("Category"),
                _("Unit weight (kg)"),
                _("CO2e avoided per reused unit (kg)"),
                _("Source"),
            ],
            [12, 30, 14, 18, 80],
        )
        factors.freeze_panes = "A2"
        rows = [
            (
                f.version.version,
                f.category.name,
                f.unit_weight_kg,
                f.co2e_avoided_per_unit_kg,
                f.source,
            )
            for f in data["factors"]
        ] + [
            (
                v.version,
                _("Any item, by weight"),
                None,
                v.weight_based_co2e_per_kg,
                v.weight_based_source,
            )
            for v in data["versions"]
        ]
        for version, category, weight, co2e, source in rows:
            cells = xlsx_append(
                factors,
                [
                    version,
                    category,
                    None if weight is None else float(weight),
                    None if co2e is None else float(co2e),
                    source,
                ],
            )
            cells[2].number_format = cells[3].number_format = FACTOR
            cells[4].alignment = Alignment(wrap_text=True, vertical="top")
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()


def report_pdf(data: dict) -> bytes:
    from exchange.impact.pdf import report_pdf_build

    return report_pdf_build(data)


RENDERERS = {
    "csv": (report_csv, "text/csv; charset=utf-8"),
    "xlsx": (report_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pdf": (report_pdf, "application/pdf"),
}


def report_render(data: dict, *, file_format: str, csv_separator: str | None = None) -> bytes:
    """The report file of ``data`` in ``file_format`` (csv, xlsx, pdf)."""
    render, _content_type = RENDERERS[file_format]
    if file_format == "csv":
        return render(data, separator=csv_separator)
    return render(data)


def report_filename(*, year: int, language: str, file_format: str) -> str:
    return f"reuse-exchange-{year}-{language}.{file_format}"


# --- Open data -------------------------------------------------------------------

# The open data's CSV columns: stable machine names, the same as the API's keys.
OPEN_DATA_COLUMNS = (
    "year",
    "region",
    "region_name",
    "category",
    "category_name",
    "outcome",
    "items",
    "weight_kg",
    "reused_weight_kg",
    "co2e_avoided_kg",
    "replacement_value_eur",
    "diversion_rate",
)


def open_data_csv(rows: list[dict]) -> bytes:
    """The open data as CSV for machines (RFC 4180: ``,``, a decimal point, UTF-8, a
    header of stable machine names), at full precision; codes for joining, English
    names for reading."""
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\r\n")
    writer.writerow(OPEN_DATA_COLUMNS)
    for row in rows:
        writer.writerow([row.get(column) for column in OPEN_DATA_COLUMNS])
    return out.getvalue().encode("utf-8")
