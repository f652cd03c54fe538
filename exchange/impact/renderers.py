"""The annual report's files, in the report's language: CSV (one table), XLSX (one
sheet per breakdown, numbers as numbers) and PDF (headline figures, charts, tables and
the method annex). They lay out what ``exchange.impact.presenters.reports`` gives; every
spreadsheet cell goes through ``exchange.common.exports``, so that no name becomes a
formula."""

import io
from decimal import Decimal

from django.utils import formats, translation
from django.utils.translation import gettext as _

from exchange.common.exports import csv_writer, xlsx_append
from exchange.impact.presenters.labels import COLUMNS, breakdown_titles, column_titles


def _number(value):
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    return value


def report_csv(data: dict) -> bytes:
    """One table: breakdown, key, and the measures (a dot as decimal separator)."""
    with translation.override(data["language"]):
        out = io.StringIO()
        writer = csv_writer(out)
        titles = column_titles()
        writer.writerow([_("Breakdown"), _("Group"), *(titles[c] for c in COLUMNS)])
        writer.writerow([_("Total"), str(data["year"]), *(data["totals"][c] for c in COLUMNS)])
        for by, rows in data["breakdowns"].items():
            for row in rows:
                writer.writerow([breakdown_titles()[by], row["label"], *(row[c] for c in COLUMNS)])
        for section in data.get("sections", []):
            for label, value in section["rows"]:
                writer.writerow([section["title"], label, value])
        return out.getvalue().encode("utf-8-sig")


def report_xlsx(data: dict) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    with translation.override(data["language"]):
        workbook = Workbook()
        titles = column_titles()
        sheet = workbook.active
        sheet.title = _("Summary")[:31]
        xlsx_append(sheet, [_("Reuse Exchange annual report %(year)s") % {"year": data["year"]}])
        sheet["A1"].font = Font(bold=True, size=14)
        xlsx_append(sheet, [])
        for column in COLUMNS:
            xlsx_append(sheet, [titles[column], _number(data["totals"][column])])
        for by, rows in data["breakdowns"].items():
            ws = workbook.create_sheet(breakdown_titles()[by][:31])
            xlsx_append(ws, [_("Group"), *(titles[c] for c in COLUMNS)])
            for cell in ws[1]:
                cell.font = Font(bold=True)
            for row in rows:
                xlsx_append(ws, [row["label"], *(_number(row[c]) for c in COLUMNS)])
        for section in data.get("sections", []):
            ws = workbook.create_sheet(section["title"][:31])
            for label, value in section["rows"]:
                xlsx_append(ws, [label, _number(value)])
        method = workbook.create_sheet(_("Method")[:31])
        xlsx_append(
            method,
            [
                _("Factor version"),
                _("Category"),
                _("Unit weight (kg)"),
                _("CO2e avoided per reused unit (kg)"),
                _("Source"),
            ],
        )
        for factor in data["factors"]:
            xlsx_append(
                method,
                [
                    factor.version.version,
                    factor.category.name,
                    _number(factor.unit_weight_kg),
                    _number(factor.co2e_avoided_per_unit_kg),
                    factor.source,
                ],
            )
        for version in data["versions"]:
            xlsx_append(
                method,
                [
                    version.version,
                    _("Any item, by weight"),
                    None,
                    _number(version.weight_based_co2e_per_kg),
                    version.weight_based_source,
                ],
            )
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()


def report_pdf(data: dict) -> bytes:
    from xml.sax.saxutils import escape

    from reportlab.graphics.charts.barcharts import HorizontalBarChart
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    styles = getSampleStyleSheet()
    with translation.override(data["language"]):
        titles = column_titles()
        totals = data["totals"]
        flow = [
            Paragraph(
                escape(_("Reuse Exchange annual report %(year)s") % {"year": data["year"]}),
                styles["Title"],
            ),
            Paragraph(
                escape(
                    _("Surplus furniture and IT of public administrations given a second life.")
                ),
                styles["Normal"],
            ),
            Spacer(1, 6 * mm),
        ]

        def fmt(value, column):
            if value is None:
                return "–"
            if column == "diversion_rate":
                return f"{value * 100:.1f} %"
            return formats.number_format(
                value, decimal_pos=0 if column == "items" else 1, use_l10n=True, force_grouping=True
            )

        headline = [[titles[c], fmt(totals[c], c)] for c in COLUMNS]
        table = Table(headline, colWidths=[80 * mm, 60 * mm])
        table.setStyle(
            TableStyle(
                [("GRID", (0, 0), (-1, -1), 0.5, colors.grey), ("FONTSIZE", (0, 0), (-1, -1), 11)]
            )
        )
        flow += [table, Spacer(1, 8 * mm)]
        for by in ("root_category", "outcome", "region", "recipient_kind", "month"):
            rows = data["breakdowns"].get(by) or []
            flow.append(Paragraph(escape(breakdown_titles()[by]), styles["Heading2"]))
            if not rows:
                flow.append(Paragraph(escape(_("No records.")), styles["Normal"]))
                continue
            chart_rows = rows[:12]
            drawing = Drawing(170 * mm, 10 * mm + 7 * mm * len(chart_rows))
            chart = HorizontalBarChart()
            chart.x, chart.y = 55 * mm, 5 * mm
            chart.width, chart.height = 105 * mm, 7 * mm * len(chart_rows)
            chart.data = [[float(r["weight_kg"]) for r in chart_rows]]
            chart.categoryAxis.categoryNames = [r["label"][:30] for r in chart_rows]
            chart.categoryAxis.labels.fontSize = 7
            chart.valueAxis.labels.fontSize = 7
            chart.valueAxis.valueMin = 0
            chart.bars[0].fillColor = colors.HexColor("#0b6b4f")
            drawing.add(chart)
            flow.append(Paragraph(escape(_("Weight (kg)")), styles["Italic"]))
            flow.append(drawing)
            body = [[_("Group"), *(titles[c] for c in COLUMNS)]] + [
                [
                    Paragraph(escape(r["label"]), styles["BodyText"]),
                    *(fmt(r[c], c) for c in COLUMNS),
                ]
                for r in rows
            ]
            breakdown_table = Table(
                body, repeatRows=1, colWidths=[50 * mm, 18 * mm, 25 * mm, 28 * mm, 30 * mm, 20 * mm]
            )
            breakdown_table.setStyle(
                TableStyle(
                    [
                        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                        ("FONTSIZE", (0, 0), (-1, -1), 7),
                        ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
                    ]
                )
            )
            flow += [breakdown_table, Spacer(1, 6 * mm)]
        for section in data.get("sections", []):
            flow.append(Paragraph(escape(section["title"]), styles["Heading2"]))
            section_table = Table(
                [
                    [Paragraph(escape(str(label)), styles["BodyText"]), str(value)]
                    for label, value in section["rows"]
                ],
                colWidths=[110 * mm, 60 * mm],
            )
            section_table.setStyle(
                TableStyle(
                    [
                        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                        ("FONTSIZE", (0, 0), (-1, -1), 8),
                        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                    ]
                )
            )
            flow += [section_table, Spacer(1, 6 * mm)]
        flow.append(PageBreak())
        flow.append(Paragraph(escape(_("Method")), styles["Heading1"]))
        for text in (
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
        ):
            flow.append(Paragraph(escape(text), styles["Normal"]))
        flow.append(Spacer(1, 4 * mm))
        factor_rows = [[_("Version"), _("Category"), _("kg"), _("CO2e/unit"), _("Source")]] + [
            [
                f.version.version,
                Paragraph(escape(f.category.name), styles["BodyText"]),
                str(f.unit_weight_kg),
                str(f.co2e_avoided_per_unit_kg or "–"),
                Paragraph(escape(f.source), styles["BodyText"]),
            ]
            for f in data["factors"]
        ]
        factor_table = Table(
            factor_rows, repeatRows=1, colWidths=[16 * mm, 30 * mm, 14 * mm, 18 * mm, 92 * mm]
        )
        factor_table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("FONTSIZE", (0, 0), (-1, -1), 7),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        flow.append(factor_table)
        out = io.BytesIO()
        SimpleDocTemplate(
            out,
            pagesize=A4,
            leftMargin=15 * mm,
            rightMargin=15 * mm,
            title=f"Reuse Exchange {data['year']}",
        ).build(flow)
        return out.getvalue()


RENDERERS = {
    "csv": (report_csv, "text/csv; charset=utf-8"),
    "xlsx": (report_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pdf": (report_pdf, "application/pdf"),
}


def report_filename(*, year: int, language: str, file_format: str) -> str:
    return f"reuse-exchange-{year}-{language}.{file_format}"
