"""The annual report as a PDF the working group can put its name under.

A title page (year, platform, organisation, date of issue, factor version); a page of
headline figures against the year before with the sentence that sums the year up; each
breakdown as a bar chart whose labels wrap (never cut) and a table whose headers wrap;
the method annex with the factors and their sources. Every page after the title has a
running header and its number ("Page 3 of 9"). Tables never leave a single row at the
foot or the head of a page, and a heading never stays alone at the foot of a page.

It places what ``exchange.impact.presenters.reports`` gives: labels in the report's
language and figures rounded by the one rule, written by
``exchange.impact.presenters.numbers``.
"""

import io
from xml.sax.saxutils import escape

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas as pdf_canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Frame,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.tables import CellStyle

from exchange.impact.presenters.numbers import written_figure, written_number
from exchange.impact.presenters.reports import REPORT_COLUMNS
from exchange.impact.renderers import about_rows, method_paragraphs

GREEN = colors.HexColor("#0b6b4f")
LIGHT = colors.HexColor("#e8f0ec")
GREY = colors.HexColor("#59636e")
PAGE_W, PAGE_H = A4
MARGIN = 18 * mm
WIDTH = PAGE_W - 2 * MARGIN
FONT, BOLD = "Helvetica", "Helvetica-Bold"
# The narrowest a column of figures may be; the group column takes what is left.
MIN_FIGURE_WIDTH = 17 * mm
PADDING = 4
# Above and below a cell's text.
CELL_PADDING = 3
# Charts show at most this many groups (the heaviest); the table gives every one.
CHART_ROWS = 12


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    return {
        "title": ParagraphStyle(
            "ReportTitle",
            parent=base["Title"],
            fontName=BOLD,
            fontSize=26,
            leading=32,
            textColor=GREEN,
            alignment=0,
            spaceAfter=8 * mm,
        ),
        "subtitle": ParagraphStyle(
            "ReportSubtitle",
            parent=base["Normal"],
            fontName=FONT,
            fontSize=14,
            leading=19,
            spaceAfter=12 * mm,
        ),
        "fact": ParagraphStyle(
            "ReportFact", parent=base["Normal"], fontName=FONT, fontSize=11, leading=16
        ),
        "h1": ParagraphStyle(
            "ReportH1",
            parent=base["Heading1"],
            fontName=BOLD,
            fontSize=18,
            leading=22,
            textColor=GREEN,
            spaceAfter=4 * mm,
            keepWithNext=1,
        ),
        "h2": ParagraphStyle(
            "ReportH2",
            parent=base["Heading2"],
            fontName=BOLD,
            fontSize=13,
            leading=16,
            spaceBefore=4 * mm,
            spaceAfter=2 * mm,
        ),
        "body": ParagraphStyle(
            "ReportBody",
            parent=base["Normal"],
            fontName=FONT,
            fontSize=10,
            leading=14,
            spaceAfter=2 * mm,
        ),
        "lead": ParagraphStyle(
            "ReportLead",
            parent=base["Normal"],
            fontName=FONT,
            fontSize=12,
            leading=17,
            spaceAfter=6 * mm,
        ),
        "note": ParagraphStyle(
            "ReportNote",
            parent=base["Normal"],
            fontName=FONT,
            fontSize=8,
            leading=10,
            textColor=GREY,
            spaceAfter=1 * mm,
        ),
        "cell": ParagraphStyle(
            "ReportCell",
            parent=base["Normal"],
            fontName=FONT,
            fontSize=8,
            leading=10,
            embeddedHyphenation=1,
            splitLongWords=1,
        ),
        "number": ParagraphStyle(
            "ReportNumber",
            parent=base["Normal"],
            fontName=FONT,
            fontSize=8,
            leading=10,
            alignment=TA_RIGHT,
        ),
        "head": ParagraphStyle(
            "ReportHead",
            parent=base["Normal"],
            fontName=BOLD,
            fontSize=8,
            leading=10,
            embeddedHyphenation=1,
            splitLongWords=1,
        ),
        "head_number": ParagraphStyle(
            "ReportHeadNumber",
            parent=base["Normal"],
            fontName=BOLD,
            fontSize=8,
            leading=10,
            alignment=TA_RIGHT,
            embeddedHyphenation=1,
            splitLongWords=1,
        ),
        "big": ParagraphStyle(
            "ReportBig",
            parent=base["Normal"],
            fontName=BOLD,
            fontSize=11,
            leading=14,
            alignment=TA_RIGHT,
        ),
        "centre": ParagraphStyle(
            "ReportCentre",
            parent=base["Normal"],
            fontName=FONT,
            fontSize=8,
            leading=10,
            alignment=TA_CENTER,
        ),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(str(text)), style)


class CellParagraph(Paragraph):
    """A paragraph in a table cell. The table lays it out at its column's width when it
    measures the row and again when it draws it, and a header row again on every page
    the table runs over; its lines depend on the width alone, so those of the last
    width are kept."""

    _wrapped_at = None

    def wrap(self, availWidth, availHeight):
        if self._wrapped_at != availWidth:
            self._wrapped = super().wrap(availWidth, availHeight)
            self._wrapped_at = availWidth
        return self._wrapped


def _cell_p(text: str, style: ParagraphStyle) -> CellParagraph:
    return CellParagraph(escape(str(text)), style)


class ReportTable(Table):
    """A table that never leaves a single body row at the foot or the head of a page:
    where a split would, it moves one more row over, or the whole table."""

    MIN_ROWS = 2

    def split(self, availWidth, availHeight):
        parts = super().split(availWidth, availHeight)
        if len(parts) != 2:
            return parts
        first, rest = parts
        header = self.repeatRows or 0
        first_rows = len(first._cellvalues) - header
        rest_rows = len(rest._cellvalues) - header
        if first_rows < self.MIN_ROWS:
            return []
        if rest_rows < self.MIN_ROWS:
            # split one row earlier: what fits less the height of the last row
            heights = first._rowHeights
            return self.split(availWidth, sum(heights[:-1]) + 0.1)
        return parts

    # Plain-string cells (the figures, the labels on one line) are written into one
    # text object per table, where the table makes one per cell: each string where
    # the table writes it (``Table._drawCell``: at the padding, its baseline a font
    # size below the top; right-aligned by its width), in its cell style's font and
    # colour. The table draws its lines after its cells: the text goes out first.

    def draw(self):
        self._text = self._text_style = None
        super().draw()

    def _drawCell(self, cellval, cellstyle, pos, size):
        if not self._plain(cellval, cellstyle):
            super()._drawCell(cellval, cellstyle, pos, size)
            return
        text = self._text
        if text is None:
            text = self._text = self.canv.beginText()
        current = self._text_style
        if current is None or (cellstyle.fontname, cellstyle.fontsize, cellstyle.color) != (
            current.fontname,
            current.fontsize,
            current.color,
        ):
            text.setFont(cellstyle.fontname, cellstyle.fontsize, cellstyle.leading)
            text.setFillColor(cellstyle.color)
            self._text_style = cellstyle
        (colpos, rowpos), (colwidth, rowheight) = pos, size
        y = rowpos + rowheight - cellstyle.topPadding - cellstyle.fontsize
        if cellstyle.alignment == "LEFT":
            x = colpos + cellstyle.leftPadding
        else:
            width = stringWidth(cellval, cellstyle.fontname, cellstyle.fontsize)
            x = colpos + colwidth - cellstyle.rightPadding - width
        text.setTextOrigin(x, y)
        text._textOut(cellval)

    @staticmethod
    def _plain(cellval, cellstyle) -> bool:
        """A one-line string in a top-aligned cell, left or right, with nothing else."""
        return (
            isinstance(cellval, str)
            and "\n" not in cellval
            and cellstyle.valign == "TOP"
            and cellstyle.alignment in ("LEFT", "RIGHT")
            and not (
                cellstyle.href or cellstyle.destination or cellstyle.direction or cellstyle.shaping
            )
        )

    def _drawLines(self):
        if getattr(self, "_text", None) is not None:
            self.canv.drawText(self._text)
            self._text = None
        super()._drawLines()


class NumberedCanvas(pdf_canvas.Canvas):
    """A canvas that writes "Page n of N" and the running header once it knows N."""

    header_text = ""
    page_text = "%(page)s / %(pages)s"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages = []

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            if self._pageNumber > 1:
                self._decorate(total)
            super().showPage()
        super().save()

    def _decorate(self, total: int) -> None:
        self.saveState()
        self.setStrokeColor(GREEN)
        self.setLineWidth(0.6)
        self.line(MARGIN, PAGE_H - 13 * mm, PAGE_W - MARGIN, PAGE_H - 13 * mm)
        self.setFont(FONT, 8)
        self.setFillColor(GREY)
        header = self.header_text
        while header and stringWidth(header, FONT, 8) > WIDTH:
            header = header[:-2] + "…"
        self.drawString(MARGIN, PAGE_H - 11 * mm, header)
        self.drawRightString(
            PAGE_W - MARGIN,
            10 * mm,
            self.page_text % {"page": self._pageNumber, "pages": total},
        )
        self.restoreState()


def _bar_chart(rows: list[dict], language: str) -> Drawing:
    """Horizontal bars of the weight of each group: the label on the left, wrapped on
    as many lines as it needs; the bar; the weight written after it."""
    label_w, gap, font_size, line = 52 * mm, 3 * mm, 8, 9.5
    values = [row["figures"]["weight_kg"] or 0 for row in rows]
    texts = [written_figure(v, "kg", language) for v in values]
    value_w = max((stringWidth(t, FONT, font_size) for t in texts), default=0) + 2 * mm
    plot_w = WIDTH - label_w - gap - value_w
    maximum = max([v for v in values if v > 0], default=1)
    wrapped = [simpleSplit(row["label"], FONT, font_size, label_w) or [""] for row in rows]
    heights = [max(len(lines) * line, 12) + 5 for lines in wrapped]
    height = sum(heights) + 4
    drawing = Drawing(WIDTH, height)
    y = height - 2
    for lines, row_h, value, text in zip(wrapped, heights, values, texts, strict=True):
        top = y
        middle = top - row_h / 2
        first = middle + (len(lines) - 1) * line / 2 - font_size / 3
        for index, text_line in enumerate(lines):
            drawing.add(
                String(0, first - index * line, text_line, fontName=FONT, fontSize=font_size)
            )
        bar_w = plot_w * max(value, 0) / maximum
        x = label_w + gap
        drawing.add(Rect(x, middle - 4.5, max(bar_w, 0.8), 9, fillColor=GREEN, strokeColor=None))
        drawing.add(
            String(
                x + bar_w + 1.5 * mm,
                middle - font_size / 3,
                text,
                fontName=FONT,
                fontSize=font_size,
                fillColor=GREY,
            )
        )
        y -= row_h
    return drawing


def _table_lines() -> TableStyle:
    """The grid, and the header row's background."""
    return TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#b8c2cc")),
            ("BACKGROUND", (0, 0), (-1, 0), LIGHT),
        ]
    )


def _table_style(rows: int) -> TableStyle:
    return TableStyle(
        [
            *_table_lines().getCommands(),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), PADDING),
            ("RIGHTPADDING", (0, 0), (-1, -1), PADDING),
            ("TOPPADDING", (0, 0), (-1, -1), CELL_PADDING),
            ("BOTTOMPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ]
    )


def _figure_text(row_figures: dict, name: str, language: str) -> str:
    if name == "diversion_percent":
        return written_figure(row_figures[name], "percent", language, unit=False)
    return written_number(row_figures[name], language)


def _longest_part(text: str, font: str, size: float) -> float:
    """The width of the longest piece of ``text`` a line may not break: a word, or a
    part of one between soft hyphens (plus the hyphen written at the break)."""
    parts = [part for word in text.split() for part in word.split("\u00ad")]
    hyphen = stringWidth("-", font, size) if "\u00ad" in text else 0
    return max((stringWidth(part, font, size) for part in parts), default=0) + hyphen


def figure_column_widths(data: dict, texts: list[list[str]]) -> list[float]:
    """The width of each column of figures: its header's longest unbreakable piece or
    its widest figure, with the cell's padding, at least ``MIN_FIGURE_WIDTH``."""
    widths = []
    for index, (_name, title) in enumerate(data["columns"]):
        widest = max(
            [_longest_part(title, BOLD, 8)] + [stringWidth(row[index], FONT, 8) for row in texts]
        )
        widths.append(max(MIN_FIGURE_WIDTH, widest + 2 * PADDING + 2))
    return widths


def _section_table(section: dict, data: dict, styles) -> Table:
    language = data["language"]
    texts = [
        [_figure_text(row["figures"], n, language) for n in REPORT_COLUMNS]
        for row in section["rows"]
    ]
    figures = figure_column_widths(data, texts)
    head = [_cell_p(section["group_header"], styles["head"])] + [
        _cell_p(title, styles["head_number"]) for _name, title in data["columns"]
    ]
    # The figures are plain strings in the number style: their columns are as wide as
    # the widest figure, so none wraps, and a paragraph per figure would cost most of
    # the document's time (thousands of cells laid out word by word). So are the labels
    # that fit on one line (most of them): a paragraph only where one must wrap.
    label_width = WIDTH - sum(figures) - 2 * PADDING
    body = [
        [_label_cell(row["label"], styles["cell"], label_width), *row_texts]
        for row, row_texts in zip(section["rows"], texts, strict=True)
    ]
    # Every cell of a kind shares one cell style (the table would make one a cell and
    # set each of them by every command: thousands of cells), and a row of plain
    # strings is one line high (the table would measure each of its cells).
    head_style = _cell_style("head")
    label_style = _cell_style("label", styles["cell"])
    figure_style = _cell_style("figure", styles["number"])
    line = styles["cell"].leading + 2 * CELL_PADDING
    table = ReportTable(
        [head, *body],
        colWidths=[WIDTH - sum(figures), *figures],
        rowHeights=[None] + [line if isinstance(cells[0], str) else None for cells in body],
        repeatRows=1,
        cellStyles=[[head_style] * len(head)]
        + [[label_style] + [figure_style] * len(figures)] * len(body),
    )
    table.setStyle(_table_lines())
    return table


def _cell_style(name: str, style: ParagraphStyle | None = None) -> CellStyle:
    """The cell style ``_table_style`` gives every cell (at the top, padded); with
    ``style``, plain-string cells set as ``style`` sets a paragraph: its font, size,
    leading and alignment."""
    cell = CellStyle(name)
    cell.valign = "TOP"
    cell.leftPadding = cell.rightPadding = PADDING
    cell.topPadding = cell.bottomPadding = CELL_PADDING
    if style is not None:
        cell.fontname, cell.fontsize, cell.leading = style.fontName, style.fontSize, style.leading
        cell.alignment = {TA_RIGHT: "RIGHT", TA_LEFT: "LEFT"}[style.alignment]
    return cell


def _label_cell(text, style: ParagraphStyle, width: float) -> str | CellParagraph:
    """A table cell of ``text`` in ``style`` (left-aligned, ``width`` inside the
    padding): the text itself where it fits on one line as it is written (the table
    draws a string where the paragraph draws its one line: at the padding, its
    baseline a font size below the top), else a paragraph, which wraps it."""
    text = str(text)
    if (
        text
        and "\u00ad" not in text
        and text == " ".join(text.split())
        # a hair of room: where the paragraph's sum of words and spaces might round
        # the other way, it decides
        and stringWidth(text, style.fontName, style.fontSize) < width - 0.01
    ):
        return text
    return _cell_p(text, style)


def _title_page(data: dict, styles) -> list:
    flow = [
        Spacer(1, 40 * mm),
        _p("Reuse Exchange", styles["subtitle"]),
        _p(data["title"], styles["title"]),
        _p(
            _("Surplus furniture and IT of public administrations given a second life."),
            styles["subtitle"],
        ),
    ]
    facts = [
        [_p(label, styles["fact"]), _p(_about_value(value), styles["fact"])]
        for label, value in about_rows(data)
    ]
    table = Table(facts, colWidths=[50 * mm, WIDTH - 50 * mm])
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.HexColor("#b8c2cc")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    flow += [
        table,
        Spacer(1, 20 * mm),
        _p(
            _(
                "Published by the working group on the reuse of public surplus. The figures "
                "are sums of the handovers and closings recorded on the platform; the method "
                "and the factors used are in the annex."
            ),
            styles["note"],
        ),
    ]
    return flow


def _about_value(value) -> str:
    from django.utils import formats

    if hasattr(value, "isoformat"):
        return formats.date_format(value, "DATE_FORMAT")
    if isinstance(value, int) and not isinstance(value, bool) and value > 9999:
        return written_number(value, translation.get_language())
    return str(value)


def _headline_page(data: dict, styles) -> list:
    flow = [
        _p(_("The year in figures"), styles["h1"]),
        _p(data["summary"], styles["lead"]),
    ]
    head = [
        _p(_("Figure"), styles["head"]),
        _p(str(data["year"]), styles["head_number"]),
        _p(str(data["previous_year"]), styles["head_number"]),
        _p(pgettext("report", "Change"), styles["head_number"]),
    ]
    body = [
        [
            _p(row["title"], styles["fact"]),
            _p(row["written"], styles["big"]),
            _p(row["previous_written"], styles["number"]),
            _p(row["change"], styles["number"]),
        ]
        for row in data["headline"]
    ]
    table = ReportTable([head, *body], colWidths=[70 * mm, 36 * mm, 34 * mm, 34 * mm], repeatRows=1)
    table.setStyle(_table_style(len(body)))
    flow.append(table)
    if data["previous"] is None:
        flow.append(Spacer(1, 2 * mm))
        flow.append(
            _p(
                _("No records in %(year)s: nothing to compare with.")
                % {"year": data["previous_year"]},
                styles["note"],
            )
        )
    return flow


def _sections(data: dict, styles) -> list:
    flow = [_p(_("The figures in detail"), styles["h1"])]
    language = data["language"]
    for section in data["sections"]:
        heading = _p(section["title"], styles["h2"])
        if not section["rows"]:
            flow.append(KeepTogether([heading, _p(_("No records."), styles["body"])]))
            continue
        chart_rows = section["rows"][:CHART_ROWS]
        if section["by"] == "month":
            chart_rows = sorted(section["rows"], key=lambda r: r["key"])
        note = _("Weight (kg)")
        if len(section["rows"]) > len(chart_rows):
            note = _("Weight (kg); the %(count)s heaviest groups, the table gives every one.") % {
                "count": len(chart_rows)
            }
        flow.append(CondPageBreak(60 * mm))
        flow.append(
            KeepTogether(
                [
                    heading,
                    _p(note, styles["note"]),
                    _bar_chart(chart_rows, language),
                    Spacer(1, 3 * mm),
                ]
            )
        )
        flow.append(_section_table(section, data, styles))
        flow.append(Spacer(1, 6 * mm))
    return flow


def _app_sections(data: dict, styles) -> list:
    """The sections the apps above impact add (``exchange.impact.sections``): a heading
    and a table of figures each."""
    from exchange.impact.renderers import app_section_value

    flow = []
    language = data["language"]
    for section in data.get("app_sections", []):
        head = [_p(section["title"], styles["head"]), _p(_("Value"), styles["head_number"])]
        body = []
        for label, value in section["rows"]:
            value = app_section_value(value)
            text = written_number(value, language) if isinstance(value, int) else str(value)
            body.append([_p(label, styles["cell"]), _p(text, styles["number"])])
        table = ReportTable([head, *body], colWidths=[WIDTH - 50 * mm, 50 * mm], repeatRows=1)
        table.setStyle(_table_style(len(body)))
        flow += [
            CondPageBreak(50 * mm),
            _p(section["title"], styles["h2"]),
            table,
            Spacer(1, 6 * mm),
        ]
    return flow


def _method_annex(data: dict, styles) -> list:
    flow = [_p(_("Annex: method"), styles["h1"])]
    flow += [_p(text, styles["body"]) for text in method_paragraphs()]
    flow.append(CondPageBreak(50 * mm))
    flow.append(_p(_("Factors and their sources"), styles["h2"]))
    head = [
        _p(_("Version"), styles["head"]),
        _p(_("Category"), styles["head"]),
        _p(_("Unit weight (kg)"), styles["head_number"]),
        _p(_("CO2e avoided per reused unit (kg)"), styles["head_number"]),
        _p(_("Source"), styles["head"]),
    ]
    language = data["language"]

    def factor(value) -> str:
        if value is None:
            return "–"
        return written_number(value, language, decimals=_places(value))

    body = [
        [
            _p(f.version.version, styles["cell"]),
            _p(f.category.name, styles["cell"]),
            _p(factor(f.unit_weight_kg), styles["number"]),
            _p(factor(f.co2e_avoided_per_unit_kg), styles["number"]),
            _p(f.source, styles["cell"]),
        ]
        for f in data["factors"]
    ] + [
        [
            _p(v.version, styles["cell"]),
            _p(_("Any item, by weight"), styles["cell"]),
            _p("–", styles["number"]),
            _p(
                _("%(factor)s per kg") % {"factor": factor(v.weight_based_co2e_per_kg)},
                styles["number"],
            ),
            _p(v.weight_based_source, styles["cell"]),
        ]
        for v in data["versions"]
    ]
    if body:
        table = ReportTable(
            [head, *body],
            colWidths=[17 * mm, 36 * mm, 20 * mm, 26 * mm, WIDTH - 99 * mm],
            repeatRows=1,
        )
        table.setStyle(_table_style(len(body)))
        flow.append(table)
    return flow


def _places(value) -> int:
    from decimal import Decimal

    exponent = Decimal(str(value)).normalize().as_tuple().exponent
    return max(0, -exponent)


def report_pdf_build(data: dict) -> bytes:
    """The PDF of the report ``data`` (``annual_report_data``)."""
    with translation.override(data["language"]):
        styles = _styles()
        out = io.BytesIO()
        document = BaseDocTemplate(
            out,
            pagesize=A4,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=20 * mm,
            bottomMargin=18 * mm,
            title=data["title"],
            author="Reuse Exchange",
            lang=data["language"],
        )
        frame = Frame(
            MARGIN,
            18 * mm,
            WIDTH,
            PAGE_H - 38 * mm,
            id="body",
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )
        document.addPageTemplates(
            [PageTemplate(id="title", frames=[frame]), PageTemplate(id="body", frames=[frame])]
        )
        flow = [*_title_page(data, styles), NextPageTemplate("body"), PageBreak()]
        flow += _headline_page(data, styles)
        flow.append(PageBreak())
        flow += _sections(data, styles)
        flow += _app_sections(data, styles)
        flow.append(PageBreak())
        flow += _method_annex(data, styles)

        header = data["title"]
        page_text = _("Page %(page)s of %(pages)s")

        class Canvas(NumberedCanvas):
            header_text = header

        Canvas.page_text = page_text
        document.build(flow, canvasmaker=Canvas)
        return out.getvalue()
