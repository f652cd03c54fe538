"""The attestation PDF, in the buyer's language, with the QR code of its verification
address (segno draws the code; reportlab, as for the annual report, the page)."""

import datetime
import io
from decimal import Decimal
from xml.sax.saxutils import escape

from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from exchange.lots.models import Condition
from exchange.organisations.models import Region


def _qr_drawing(url: str, size: float):
    import segno
    from reportlab.graphics.shapes import Drawing, Rect
    from reportlab.lib import colors

    matrix = segno.make(url, error="m").matrix
    count = len(matrix) + 8  # the quiet zone: four modules each side
    module = size / count
    drawing = Drawing(size, size)
    for row, line in enumerate(matrix):
        for column, dark in enumerate(line):
            if dark:
                drawing.add(
                    Rect(
                        (column + 4) * module,
                        size - (row + 5) * module,
                        module,
                        module,
                        fillColor=colors.black,
                        strokeColor=None,
                    )
                )
    return drawing


def _date(value: str | datetime.date) -> str:
    if isinstance(value, str):
        value = datetime.date.fromisoformat(value)
    return formats.date_format(value, "DATE_FORMAT", use_l10n=True)


def _amount(value: str) -> str:
    return "€ " + formats.number_format(
        Decimal(value), decimal_pos=2, use_l10n=True, force_grouping=True
    )


def place_text(place: dict) -> str:
    if place.get("max_distance_km"):
        return _("within %(km)s km of %(site)s") % {
            "km": place["max_distance_km"],
            "site": place["site"],
        }
    return _("anywhere in %(region)s") % {"region": Region(place["region"]).label}


def attestation_pdf(
    *, summary: dict, number: str, issued_at: datetime.datetime, language: str, url: str
) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    body = styles["BodyText"]

    def p(text, style=body):
        return Paragraph(escape(str(text)), style)

    with translation.override(language):
        code = url.rstrip("/").rsplit("/", 1)[-1]
        flow = [
            p(_("Reuse check attestation"), styles["Title"]),
            p(
                _("No. %(number)s, issued on %(date)s")
                % {"number": number, "date": _date(issued_at.date())},
                styles["Heading3"],
            ),
            p(
                _(
                    "Before buying, this organisation checked whether the surplus of public "
                    "administrations on Reuse Exchange could meet the need below."
                )
            ),
            Spacer(1, 4 * mm),
        ]
        facts = [
            (_("Organisation"), summary["organisation"]),
            (_("Buyer"), summary["buyer"]),
            (_("Procurement file"), summary["file_reference"]),
            (_("Category"), summary["category"]["names"].get(language, "")),
            (_("Quantity"), summary["quantity"]),
            (_("Minimum condition"), Condition(summary["min_condition"]).label),
            (_("Where"), place_text(summary["place"])),
            (_("Needed by"), _date(summary["needed_by"])),
            (_("Estimated purchase value"), _amount(summary["estimated_value_eur"])),
            (
                _("Period searched"),
                _("%(start)s to %(end)s")
                % {
                    "start": _date(summary["period"]["from"]),
                    "end": _date(summary["period"]["to"]),
                },
            ),
            (_("Published lots examined"), summary["lots_examined"]),
            (_("Lots offered"), len(summary["offered"])),
        ]
        table = Table(
            [[p(label), p(value)] for label, value in facts], colWidths=[55 * mm, 115 * mm]
        )
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        flow += [table, Spacer(1, 5 * mm)]
        outcome = Table(
            [
                [p(_("Quantity met by reuse")), p(summary["quantity_met"], styles["Heading2"])],
                [p(_("Quantity still to buy")), p(summary["quantity_to_buy"], styles["Heading2"])],
            ],
            colWidths=[55 * mm, 115 * mm],
        )
        outcome.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1, colors.HexColor("#0b6b4f"))]))
        flow += [outcome, Spacer(1, 5 * mm)]
        verify = Table(
            [
                [
                    _qr_drawing(url, 32 * mm),
                    [
                        p(_("Verify this attestation"), styles["Heading3"]),
                        p(url),
                        p(_("Code: %(code)s") % {"code": code}),
                        p(
                            _(
                                "The page confirms the attestation and shows the SHA-256 "
                                "fingerprint of the PDF issued: a copy whose fingerprint "
                                "differs was altered."
                            )
                        ),
                    ],
                ]
            ],
            colWidths=[38 * mm, 132 * mm],
        )
        verify.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
        flow += [verify, Spacer(1, 3 * mm)]

        flow.append(p(_("Lots claimed"), styles["Heading2"]))
        if summary["claimed"]:
            rows = [[p(_("Lot")), p(_("Offered by")), p(_("Quantity"))]] + [
                [p(f"#{c['lot']} {c['title']}"), p(c["owner"]), p(c["quantity"])]
                for c in summary["claimed"]
            ]
            claimed = Table(rows, colWidths=[85 * mm, 65 * mm, 20 * mm], repeatRows=1)
            claimed.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey)]))
            flow.append(claimed)
        else:
            flow.append(p(_("None.")))
        flow.append(p(_("Lots offered"), styles["Heading2"]))
        if summary["offered"]:
            rows = [[p(_("Lot")), p(_("Offered by")), p(_("Available")), p(_("Claims open"))]]
            for o in summary["offered"][:40]:
                opens = (
                    _date(datetime.datetime.fromisoformat(o["opens_at"]).date())
                    if o["opens_at"]
                    else pgettext("claim window", "now")
                )
                rows.append(
                    [
                        p(f"#{o['lot']} {o['title']}"),
                        p(f"{o['owner']}, {o['municipality']}"),
                        p(o["available"]),
                        p(opens),
                    ]
                )
            offered = Table(rows, colWidths=[62 * mm, 56 * mm, 24 * mm, 28 * mm], repeatRows=1)
            offered.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey)]))
            flow.append(offered)
            if len(summary["offered"]) > 40:
                flow.append(p(_("And %(count)s more.") % {"count": len(summary["offered"]) - 40}))
        else:
            flow.append(p(_("None.")))
        out = io.BytesIO()
        SimpleDocTemplate(
            out,
            pagesize=A4,
            leftMargin=20 * mm,
            rightMargin=20 * mm,
            title=_("Reuse check attestation") + f" {number}",
        ).build(flow)
        return out.getvalue()
