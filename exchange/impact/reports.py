"""The annual report in the reader's language: CSV, XLSX (one sheet per breakdown,
numbers as numbers) and PDF (headline figures, charts, tables and the method annex)."""

import csv
import io
from decimal import Decimal

from django.utils import formats, translation
from django.utils.translation import gettext as _

from exchange.categories.models import CategoryFactor, FactorVersion
from exchange.impact.models import Outcome
from exchange.impact.stats import (
    StatsFilter,
    StatsQuery,
    stats_factor_versions,
    stats_record_count,
    stats_summary,
    stats_summary_recomputed,
)

COLUMNS = ("items", "weight_kg", "co2e_avoided_kg", "replacement_value_eur", "diversion_rate")


def breakdown_titles() -> dict[str, str]:
    return {
        "outcome": _("By outcome"),
        "root_category": _("By category group"),
        "category": _("By category"),
        "region": _("By region"),
        "recipient_kind": _("By kind of recipient"),
        "donor": _("By donor"),
        "recipient": _("By recipient"),
        "month": _("By month"),
    }


def column_titles() -> dict[str, str]:
    return {
        "items": _("Items"),
        "weight_kg": _("Weight (kg)"),
        "co2e_avoided_kg": _("CO2e avoided (kg)"),
        "replacement_value_eur": _("Replacement value (EUR)"),
        "diversion_rate": _("Diversion rate"),
    }


def _label(by: str, key) -> str:
    if by == "outcome":
        return str(Outcome(key).label) if key in Outcome.values else str(key)
    if by == "recipient_kind":
        return {
            "federal": _("Federal services"),
            "social_economy": _("Social economy"),
            "other": _("Other public and non-profit bodies"),
            "none": _("Not reused (recycled or disposed)"),
        }.get(key, str(key))
    if by == "month":
        return key.strftime("%Y-%m") if hasattr(key, "strftime") else str(key)
    if by in ("category", "root_category"):
        from exchange.categories.models import Category

        category = Category.objects.filter(code=key).first()
        return category.name if category else str(key)
    return str(key)


def annual_report_data(
    *,
    organisation_id: int | None,
    year: int,
    language: str,
    factor_version: FactorVersion | None = None,
) -> dict:
    """The figures of ``year`` within what the reader may see (every organisation's
    records, or ``organisation_id``'s as donor and recipient); with ``factor_version``,
    recomputed from the records as if every record had used that version."""
    with translation.override(language):
        query = StatsQuery(organisation_id=organisation_id, filters=StatsFilter(year=year))
        if factor_version is None:
            summary = stats_summary(query)
            versions = FactorVersion.objects.filter(pk__in=stats_factor_versions(query)).order_by(
                "version"
            )
        else:
            summary = stats_summary_recomputed(query.records(), version=factor_version)
            versions = FactorVersion.objects.filter(pk=factor_version.pk)
        return {
            "year": year,
            "language": language,
            "totals": summary["totals"],
            "breakdowns": {
                by: [{**row, "label": _label(by, row["key"])} for row in rows]
                for by, rows in summary["breakdowns"].items()
            },
            "versions": list(versions),
            "factors": list(
                CategoryFactor.objects.filter(version__in=versions)
                .select_related("category", "version")
                .order_by("version__version", "category__path")
            ),
            "records": stats_record_count(query),
        }


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
        writer = csv.writer(out)
        titles = column_titles()
        writer.writerow([_("Breakdown"), _("Group"), *(titles[c] for c in COLUMNS)])
        writer.writerow([_("Total"), str(data["year"]), *(data["totals"][c] for c in COLUMNS)])
        for by, rows in data["breakdowns"].items():
            for row in rows:
                writer.writerow([breakdown_titles()[by], row["label"], *(row[c] for c in COLUMNS)])
        return out.getvalue().encode("utf-8-sig")


def report_xlsx(data: dict) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    with translation.override(data["language"]):
        workbook = Workbook()
        titles = column_titles()
        sheet = workbook.active
        sheet.title = _("Summary")[:31]
        sheet.append([_("Reuse Exchange annual report %(year)s") % {"year": data["year"]}])
        sheet["A1"].font = Font(bold=True, size=14)
        sheet.append([])
        for column in COLUMNS:
            sheet.append([titles[column], _number(data["totals"][column])])
        for by, rows in data["breakdowns"].items():
            ws = workbook.create_sheet(breakdown_titles()[by][:31])
            ws.append([_("Group"), *(titles[c] for c in COLUMNS)])
            for cell in ws[1]:
                cell.font = Font(bold=True)
            for row in rows:
                ws.append([row["label"], *(_number(row[c]) for c in COLUMNS)])
        method = workbook.create_sheet(_("Method")[:31])
        method.append(
            [
                _("Factor version"),
                _("Category"),
                _("Unit weight (kg)"),
                _("CO2e avoided per reused unit (kg)"),
                _("Source"),
            ]
        )
        for factor in data["factors"]:
            method.append(
                [
                    factor.version.version,
                    factor.category.name,
                    _number(factor.unit_weight_kg),
                    _number(factor.co2e_avoided_per_unit_kg),
                    factor.source,
                ]
            )
        for version in data["versions"]:
            method.append(
                [
                    version.version,
                    _("Any item, by weight"),
                    None,
                    _number(version.weight_based_co2e_per_kg),
                    version.weight_based_source,
                ]
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


def report_job_create(
    *, user, organisation_id, year: int, file_format: str, language: str, factor_version=None
):
    """Queue the building of a report; the task stores the file when done."""
    from django.db import transaction

    from exchange.impact.models import ReportJob
    from exchange.impact.tasks import report_job_run_task

    job = ReportJob.objects.create(
        requested_by=user,
        organisation_id=organisation_id,
        year=year,
        file_format=file_format,
        language=language,
        factor_version=factor_version,
    )
    transaction.on_commit(lambda: report_job_run_task.delay(job.pk))
    return job


def report_job_run(*, job_id: int) -> bool:
    """Build the file of a queued report once (a ready job is left alone)."""
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from exchange.impact.models import ReportJob

    job = ReportJob.objects.filter(pk=job_id, status=ReportJob.Status.PENDING).first()
    if job is None:
        return False
    try:
        data = annual_report_data(
            organisation_id=job.organisation_id,
            year=job.year,
            language=job.language,
            factor_version=job.factor_version,
        )
        render, _content_type = RENDERERS[job.file_format]
        content = render(data)
    except Exception:
        ReportJob.objects.filter(pk=job.pk).update(status=ReportJob.Status.FAILED)
        raise
    job.file.save(
        f"reuse-exchange-{job.year}-{job.language}-{job.pk}.{job.file_format}",
        ContentFile(content),
        save=False,
    )
    job.status = ReportJob.Status.READY
    job.finished_at = timezone.now()
    job.save(update_fields=["file", "status", "finished_at"])
    return True
