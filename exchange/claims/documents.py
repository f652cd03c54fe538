"""The transfer document of an approved claim, as a PDF in both parties' languages:
an internal transfer note between federal services, or a free-transfer agreement with
a no-resale clause for any other recipient."""

import io
from xml.sax.saxutils import escape

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from exchange.claims.models import Claim, ClaimStatus
from exchange.common.punctuation import labelled
from exchange.lots.models import SanitisationAttestation
from exchange.organisations.models import OrganisationKind

# A claim has its transfer document once approved, and keeps it after the handover.
DOCUMENT_STATUSES = (ClaimStatus.APPROVED, ClaimStatus.COLLECTED)


def claim_has_document(claim: Claim) -> bool:
    return claim.status in DOCUMENT_STATUSES


def is_internal_transfer(claim: Claim) -> bool:
    return claim.lot.owner.kind == claim.claimant.kind == OrganisationKind.FEDERAL


def _languages(claim: Claim) -> list[str]:
    languages = [claim.lot.owner.language, claim.claimant.language]
    return list(dict.fromkeys(languages))  # both, once each, donor's first


def _section(claim: Claim, styles) -> list:
    lot = claim.lot
    internal = is_internal_transfer(claim)
    quantity = claim.collected_quantity or claim.quantity
    title = _("Internal transfer note") if internal else _("Free-transfer agreement")
    flow = [Paragraph(escape(title), styles["Title"])]
    flow.append(
        Paragraph(
            escape(
                _("Reference: claim %(claim)s, lot %(lot)s, issued on %(date)s.")
                % {
                    "claim": claim.pk,
                    "lot": lot.pk,
                    "date": formats.date_format(timezone.localdate(), "DATE_FORMAT"),
                }
            ),
            styles["Normal"],
        )
    )
    flow.append(Spacer(1, 4 * mm))
    parties = [
        [
            _("Donor"),
            f"{lot.owner.name}\n{labelled(_('Enterprise number'))} "
            f"{lot.owner.enterprise_number_display}\n"
            f"{lot.site.street}, {lot.site.postcode} {lot.site.municipality}",
        ],
        [
            _("Recipient"),
            f"{claim.claimant.name}\n{labelled(_('Enterprise number'))} "
            f"{claim.claimant.enterprise_number_display}",
        ],
        [_("Goods"), f"{lot.title} ({lot.category.name})"],
        [_("Quantity"), str(quantity)],
        [_("Condition"), str(lot.get_condition_display())],
    ]
    if claim.pickup_at:
        parties.append(
            [
                _("Pickup"),
                formats.date_format(timezone.localtime(claim.pickup_at), "DATETIME_FORMAT"),
            ]
        )
    table = Table(
        [
            [
                Paragraph(f"<b>{escape(k)}</b>", styles["Normal"]),
                Paragraph(escape(v).replace("\n", "<br/>"), styles["Normal"]),
            ]
            for k, v in parties
        ],
        colWidths=[40 * mm, 130 * mm],
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    flow.append(table)
    items = list(lot.items.all())
    if items:
        flow.append(Spacer(1, 4 * mm))
        flow.append(Paragraph(escape(_("Devices")), styles["Heading3"]))
        rows = [[_("Serial number"), _("Asset tag"), _("Make and model")]] + [
            [i.serial_number, i.asset_tag, i.make_model] for i in items
        ]
        device_table = Table(rows, colWidths=[60 * mm, 50 * mm, 60 * mm], repeatRows=1)
        device_table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                    ("FONTSIZE", (0, 0), (-1, -1), 8),
                ]
            )
        )
        flow.append(device_table)
    attestation = SanitisationAttestation.objects.filter(lot=lot).first()
    flow.append(Spacer(1, 4 * mm))
    clauses = []
    if internal:
        clauses.append(
            _(
                "The goods move from one federal service to another; they stay "
                "in the federal State's assets and are entered in the recipient's "
                "inventory."
            )
        )
    else:
        clauses += [
            _("The donor transfers the goods free of charge. Nothing is given in return."),
            _(
                "The recipient shall not resell the goods. It uses them for its own "
                "non-commercial purposes or gives them free of charge to its beneficiaries."
            ),
            _(
                "The goods are transferred as they are, without warranty. The recipient takes "
                "care of their removal and, at the end of their life, of their recycling "
                "(WEEE through Recupel for electrical and electronic equipment)."
            ),
        ]
    if attestation is not None:
        clauses.append(
            _(
                "Data-bearing media were sanitised on %(date)s (%(method)s), "
                "under the responsibility of %(person)s."
            )
            % {
                "date": formats.date_format(attestation.performed_on, "DATE_FORMAT"),
                "method": attestation.get_method_display(),
                "person": attestation.responsible_person,
            }
        )
    for number, clause in enumerate(clauses, start=1):
        flow.append(Paragraph(f"{number}. {escape(clause)}", styles["Normal"]))
    flow.append(Spacer(1, 10 * mm))
    signatures = Table(
        [[_("For the donor"), _("For the recipient")], ["\n\n\n" + _("Name, date, signature")] * 2],
        colWidths=[85 * mm, 85 * mm],
    )
    signatures.setStyle(
        TableStyle(
            [("VALIGN", (0, 0), (-1, -1), "TOP"), ("LINEABOVE", (0, 1), (-1, 1), 0.5, colors.grey)]
        )
    )
    flow.append(signatures)
    return flow


def claim_transfer_document(*, claim: Claim) -> bytes:
    """The PDF, one section per party language (the donor's first)."""
    styles = getSampleStyleSheet()
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"Reuse Exchange claim {claim.pk}",
        author="Reuse Exchange",
    )
    flow = []
    for index, language in enumerate(_languages(claim)):
        with translation.override(language):
            if index:
                flow.append(PageBreak())
            flow.extend(_section(claim, styles))
    document.build(flow)
    return out.getvalue()
