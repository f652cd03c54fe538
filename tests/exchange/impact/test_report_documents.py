"""The annual report's documents as a reader gets them: every number in the PDF, the
XLSX and the CSV equals the records' sums rounded by the one rule; every group is named
(never a region or category code); the PDF's words never overlap nor leave their cells.

The oracle is the records themselves, summed and rounded here, independently of the
statistics and of the numbers module."""

import csv
import io
import re
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import pdfplumber
import pytest
from django.utils import formats, translation
from openpyxl import load_workbook

from exchange.categories.models import Category
from exchange.impact.models import REUSE_OUTCOMES, ImpactRecord, Outcome
from exchange.impact.presenters.labels import recipient_kind_names
from exchange.impact.presenters.reports import annual_report_data
from exchange.impact.renderers import report_render
from exchange.organisations.models import Region
from tests.support.impact_history import YEAR, impact_history, of_organisation

pytestmark = pytest.mark.django_db

LANGUAGES = ("nl", "fr", "de", "en")
KINDS = {"reused_federal": "federal", "reused_social_economy": "social_economy"}
KINDS["reused_other"] = "other"


@pytest.fixture
def history(categories):
    return impact_history()


# --- The oracle: the records, summed and rounded here -------------------------------


def whole(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), ROUND_HALF_UP))


def tenth(reused: Decimal, weight: Decimal) -> Decimal | None:
    return (reused * 100 / weight).quantize(Decimal("0.1"), ROUND_HALF_UP) if weight else None


def rounded(records: list[ImpactRecord]) -> tuple:
    """(items, kg, CO2e kg, EUR, rate %) of ``records``, by the rule."""
    weight = sum((r.weight_kg for r in records), Decimal(0))
    reused = sum((r.weight_kg for r in records if r.outcome in REUSE_OUTCOMES), Decimal(0))
    return (
        sum(r.quantity for r in records),
        whole(weight),
        whole(sum((r.co2e_avoided_kg for r in records), Decimal(0))),
        whole(sum((r.replacement_value_eur for r in records), Decimal(0))),
        tenth(reused, weight),
    )


def expected_groups(records: list[ImpactRecord], language: str) -> dict[str, dict[str, tuple]]:
    """{breakdown title: {group name: rounded figures}} as a reader of ``language``
    names them."""
    from exchange.impact.presenters.labels import breakdown_titles

    with translation.override(language):
        roots = {c.code: c.name for c in Category.objects.filter(parent=None)}
        kinds = recipient_kind_names()
        keys = {
            "root_category": lambda r: roots[r.category.path.split("/")[0]],
            "category": lambda r: r.category.name,
            "outcome": lambda r: str(Outcome(r.outcome).label),
            "recipient_kind": lambda r: kinds[KINDS.get(r.outcome, r.outcome)],
            "region": lambda r: str(Region(r.region).label),
            "month": lambda r: formats.date_format(r.occurred_on, "YEAR_MONTH_FORMAT"),
            "donor": lambda r: r.donor.name,
            "recipient": lambda r: r.recipient.name if r.recipient_id else None,
        }
        titles = breakdown_titles()
        result = {}
        for by, key in keys.items():
            groups = defaultdict(list)
            for record in records:
                if key(record) is not None:
                    groups[key(record)].append(record)
            result[titles[by]] = {name: rounded(rows) for name, rows in groups.items()}
        return result


def year_records(organisation=None) -> list[ImpactRecord]:
    records = ImpactRecord.objects.filter(occurred_on__year=YEAR).select_related(
        "category", "donor", "recipient"
    )
    if organisation is not None:
        records = records.filter(of_organisation(organisation))
    return list(records)


def number(text: str, language: str) -> Decimal | None:
    """A number as written for ``language`` (``29.052``, ``29 052``, ``91,2``)."""
    text = text.strip().replace("\u00a0", " ").replace("\u202f", " ")
    if text in ("", "–"):
        return None
    text = text.rstrip("%").strip()
    if language == "en":
        text = text.replace(",", "")
    else:
        text = text.replace(".", "").replace(" ", "").replace(",", ".")
    return Decimal(text.replace(" ", ""))


def as_figures(cells: list, language: str) -> tuple:
    items, kg, co2e, eur, rate = (number(str(c), language) for c in cells)
    return (int(items), int(kg), int(co2e), int(eur), rate)


def report(history, language: str, file_format: str, organisation=None, **options) -> bytes:
    data = annual_report_data(
        organisation_id=organisation.pk if organisation else None, year=YEAR, language=language
    )
    return report_render(data, file_format=file_format, **options)


# --- The numbers rule ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "weight", "rate"),
    [
        ("nl", "29.052\u00a0kg", "91,2\u00a0%"),
        ("de", "29.052\u00a0kg", "91,2\u00a0%"),
        ("fr", "29\u00a0052\u00a0kg", "91,2\u00a0%"),
        ("en", "29,052\u00a0kg", "91.2%"),
    ],
)
def test_figures_are_rounded_once_and_written_the_readers_way(language, weight, rate):
    from exchange.impact.presenters.numbers import rounded_row, written_figure

    # 29 052.36 kg is 29 052 kg; 1 419.75 EUR is 1 420 EUR (half up, not to even)
    row = rounded_row(
        {
            "items": 999,
            "weight_kg": Decimal("29052.36"),
            "reused_weight_kg": Decimal("26495.75"),
            "co2e_avoided_kg": Decimal("0.5"),
            "replacement_value_eur": Decimal("1419.75"),
        }
    )
    assert row == {
        "items": 999,
        "weight_kg": 29052,
        "reused_weight_kg": 26496,
        "co2e_avoided_kg": 1,
        "replacement_value_eur": 1420,
        # from the sums: 26 495.75 / 29 052.36 = 91.199…%, not a rate rounded before
        "diversion_percent": Decimal("91.2"),
    }
    assert written_figure(row["weight_kg"], "kg", language) == weight
    assert written_figure(row["diversion_percent"], "percent", language) == rate


# --- CSV -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "separator", "delimiter", "header"),
    [
        ("nl", None, ";", "Uitsplitsing"),
        ("fr", None, ";", "Ventilation"),
        ("de", None, ";", "Aufschlüsselung"),
        ("en", None, ",", "Breakdown"),
        ("en", "semicolon", ";", "Breakdown"),
        ("nl", "comma", ",", "Uitsplitsing"),
    ],
)
def test_the_csv_has_a_bom_the_readers_header_and_every_number_of_the_records(
    history, language, separator, delimiter, header
):
    content = report(history, language, "csv", csv_separator=separator)
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte-order mark
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=delimiter))
    assert rows[0][0] == header
    assert len({len(row) for row in rows}) == 1  # every row opens as the same columns
    decimal = "." if delimiter == "," else ","
    as_read = "en" if decimal == "." else "nl"
    assert as_figures(rows[1][2:], as_read) == rounded(year_records())
    expected = expected_groups(year_records(), language)
    found = defaultdict(dict)
    for row in rows[2:]:
        if row[0] not in expected:
            continue  # a section an app adds (reuse checks), laid out after the breakdowns
        found[row[0]][row[1]] = as_figures(row[2:], as_read)
        rate = row[6]
        assert rate == "" or re.fullmatch(rf"-?\d+\{decimal}\d", rate), rate
    assert dict(found) == expected
    # sold items are reuse: recycling and disposal are rows of their own, not "not reused"
    with translation.override(language):
        kinds = found[str(_titles()["recipient_kind"])]
        assert str(Outcome.RECYCLED.label) in kinds


def _titles():
    from exchange.impact.presenters.labels import breakdown_titles

    return breakdown_titles()


def test_the_csv_variant_is_chosen_by_a_parameter_and_a_bad_one_is_400(client_for, history):
    member = history.members["alpha"].user
    url = f"/api/v1/reports/annual/{YEAR}/"
    semicolon = client_for(member).get(url, {"format": "csv", "separator": "semicolon"})
    assert semicolon.content.decode("utf-8-sig").splitlines()[0].count(";") == 6
    refused = client_for(member).get(url, {"format": "csv", "separator": "tab"})
    assert (refused.status_code, refused.json()["code"]) == (400, "invalid_separator")


# --- XLSX ------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_xlsx_has_typed_formatted_columns_and_every_number_of_the_records(history, language):
    workbook = load_workbook(io.BytesIO(report(history, language, "xlsx")))
    about, headline = workbook.worksheets[0], workbook.worksheets[1]
    # the first sheet explains the report, its columns and the method
    assert str(YEAR) in about["A1"].value
    texts = [c.value for row in about.iter_rows() for c in row if isinstance(c.value, str)]
    with translation.override(language):
        from exchange.impact.presenters.labels import column_titles

        for title in column_titles().values():
            if title != column_titles()["reused_weight_kg"]:
                assert title in texts
    issued = [c for row in about.iter_rows() for c in row if getattr(c, "is_date", False)]
    assert issued and issued[0].number_format == "yyyy-mm-dd"
    # the headline figures against the year before
    assert headline.freeze_panes == "A2"
    assert headline["B2"].value == rounded(year_records())[0]
    assert headline["B7"].number_format == "0.0%"
    # one sheet per breakdown: frozen header, widths, numbers as numbers with formats
    expected = expected_groups(year_records(), language)
    for title, groups in expected.items():
        sheet = next(s for s in workbook.worksheets if s.title == title[:31])
        assert sheet.freeze_panes == "B2"
        assert sheet.column_dimensions["A"].width >= 18
        found = {}
        for row in sheet.iter_rows(min_row=2):
            assert [c.data_type for c in row[1:]] == ["n"] * 5
            assert [c.number_format for c in row[1:]] == ["#,##0"] * 4 + ["0.0%"]
            label = row[0].value
            if row[0].is_date:
                assert row[0].number_format == "yyyy-mm"
                with translation.override(language):
                    label = formats.date_format(label, "YEAR_MONTH_FORMAT")
            rate = row[5].value
            found[label] = (
                *(int(c.value) for c in row[1:5]),
                None if rate is None else Decimal(str(rate * 100)).quantize(Decimal("0.1")),
            )
        assert found == groups, title


# --- PDF -------------------------------------------------------------------------------


def _overlaps(a: dict, b: dict, tolerance: float = 0.5) -> bool:
    return (
        min(a["x1"], b["x1"]) - max(a["x0"], b["x0"]) > tolerance
        and min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > tolerance
    )


def pdf_layout_problems(pdf, words_of_pages: list[list[dict]]) -> list[str]:
    """Words that overlap another word, and words that leave the table cell they start
    in, page by page (``pdf`` an open pdfplumber document, ``words_of_pages`` its words)."""
    problems = []
    for number, (page, words) in enumerate(zip(pdf.pages, words_of_pages, strict=True), start=1):
        for i, word in enumerate(words):
            for other in words[i + 1 :]:
                if _overlaps(word, other):
                    problems.append(f"page {number}: {word['text']!r} on {other['text']!r}")
        for table in page.find_tables():
            for word in words:
                x = (word["x0"] + word["x1"]) / 2
                y = (word["top"] + word["bottom"]) / 2
                for x0, top, x1, bottom in table.cells:
                    if x0 <= x <= x1 and top <= y <= bottom:
                        inside = (
                            word["x0"] >= x0 - 0.5
                            and word["x1"] <= x1 + 0.5
                            and word["top"] >= top - 0.5
                            and word["bottom"] <= bottom + 0.5
                        )
                        if not inside:
                            problems.append(f"page {number}: {word['text']!r} leaves its cell")
                        break
    return problems


def pdf_tables(pdf) -> dict[str, dict[str, list[str]]]:
    """{first header cell: {first cell: the other cells}}, the rows of tables split
    over pages gathered under their repeated header."""
    tables: dict[str, dict[str, list[str]]] = defaultdict(dict)

    def text(cell) -> str:
        lines = (cell or "").split("\n")
        joined = lines[0]
        for line in lines[1:]:
            joined += line if joined.endswith("-") else " " + line
        return joined.strip()

    for page in pdf.pages:
        for table in page.extract_tables():
            header, *rows = table
            for row in rows:
                tables[text(header[0])][text(row[0])] = [text(c) for c in row[1:]]
    return tables


def pdf_read(content: bytes):
    """The layout problems, tables and words of each page of a PDF, read in one pass
    (pdfplumber interprets each page once and the words are found once a page)."""
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        words = [page.extract_words() for page in pdf.pages]
        problems = pdf_layout_problems(pdf, words)
        tables = pdf_tables(pdf)
    return problems, tables, [[w["text"] for w in page] for page in words]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("scope", ["platform", "organisation"])
def test_the_pdf_is_laid_out_cleanly_and_gives_every_number_of_the_records(
    history, language, scope
):
    from exchange.impact.presenters.labels import group_headers

    organisation = history.organisations["alpha"] if scope == "organisation" else None
    content = report(history, language, "pdf", organisation=organisation)
    problems, tables, pages = pdf_read(content)
    # no two words overlap, no word leaves its cell
    assert problems == []
    # every figure of every breakdown is the records' sum, rounded by the rule
    records = year_records(organisation)
    expected = expected_groups(records, language)
    with translation.override(language):
        headers, titles = group_headers(), _titles()
        for by, header in headers.items():
            if titles[by] not in expected:
                continue
            found = {label: as_figures(cells, language) for label, cells in tables[header].items()}
            assert found == expected[titles[by]], by
    # the headline: the year's items, kg, …, and the year before beside them
    with translation.override(language):
        headline = tables[translation.gettext("Figure")]
    values = [
        number(re.sub(r"[^\d.,\s\u00a0-]", "", cells[0]).strip(), language)
        for cells in headline.values()
    ]
    items, kg, co2e, eur, rate = rounded(records)
    assert [values[0], values[1], values[3], values[4], values[5]] == [items, kg, co2e, eur, rate]
    # no group is named by a code: no region code anywhere, no category code as a
    # group ("furniture" is also an English word of the prose)
    codes = {"BRU", "WAL", "VLG", *Category.objects.values_list("code", flat=True)}
    assert not [
        w for page in pages for w in page if w in {"BRU", "WAL", "VLG"} or "-" in w and w in codes
    ]
    assert not [label for rows in tables.values() for label in rows if label in codes]
    # a title page, page numbers and a running header on the others
    assert str(YEAR) in " ".join(pages[0])
    assert all(str(len(pages)) in page[-1] for page in pages[1:])


def test_a_table_never_leaves_one_row_alone_on_a_page():
    from reportlab.platypus import Paragraph

    from exchange.impact.pdf import ReportTable, _styles

    style = _styles()["cell"]
    rows = [[Paragraph(f"row {i}", style)] for i in range(10)]
    table = ReportTable([[Paragraph("head", style)], *rows], colWidths=[100], repeatRows=1)
    _width, height = table.wrap(100, 10_000)
    row = height / 11
    for room in (row * 2.5, row * 10.5, row * 9.5):
        parts = table.split(100, room)
        if parts:
            assert all(len(part._cellvalues) - 1 >= 2 for part in parts), room
