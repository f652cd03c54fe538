"""IT data sanitisation: the lot's attestation and each device's erasure record
(NIST SP 800-88 Rev. 2 / IEEE 2883: clear, purge or destroy)."""

import datetime
import io
import re
from collections.abc import Collection
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from exchange.common.errors import ApplicationError, CommonError, ErrorKind
from exchange.common.exports import csv_writer
from exchange.common.services import audit_event_record
from exchange.common.storage import atomic_with_files, delete_files_on_commit
from exchange.common.uploads import UnreadableFile, csv_rows, excerpt, pdf_check
from exchange.lots.errors import LotError
from exchange.lots.models import Lot, LotItem, SanitisationAttestation, SanitisationMethod
from exchange.lots.services.lots import (
    ItemInput,
    LotInput,
    lock_lot,
    lot_validate,
    require_draft,
    require_owner,
)
from exchange.organisations.access import require_writer
from exchange.organisations.models import Membership

MAX_CERTIFICATE_BYTES = 10 * 1024 * 1024
MAX_ERASURE_REPORT_BYTES = 5 * 1024 * 1024
MAX_ERASURE_ROWS = 5000  # a lot lists at most this many devices, with room to spare
MAX_ERASURE_COLUMNS = 100
MAX_ERASURE_CELL_CHARS = 1000


def sanitisation_gaps(lot: Lot) -> list[str]:
    """What the lot still lacks before publication, as sentences; empty when nothing."""
    if not lot.category.requires_data_sanitisation:
        return []
    attestation = SanitisationAttestation.objects.filter(lot=lot).first()
    gaps = []
    if attestation is None:
        gaps.append(
            _(
                "%(category)s can hold data: attest how the storage media were sanitised "
                "(clear, purge, destroy or no storage media)."
            )
            % {"category": lot.category.name}
        )
    elif attestation.method == SanitisationMethod.NO_STORAGE_MEDIA:
        return []
    # The devices' own records are named from the start, not only once the attestation
    # is saved (only an attestation of "no storage media" makes them unnecessary).
    missing, failed = [], []
    for item in lot.items.all():
        if not item.has_erasure_record or item.erasure_verified is None:
            missing.append(item.label)
        elif item.erasure_verified is False:
            failed.append(item.label)
    if missing:
        gaps.append(
            _("No verified erasure record for device(s): %(devices)s.")
            % {"devices": ", ".join(missing)}
        )
    if failed:
        gaps.append(
            _("Erasure verification failed for device(s): %(devices)s.")
            % {"devices": ", ".join(failed)}
        )
    return gaps


def _check_pdf(upload: UploadedFile | None) -> None:
    if upload is None:
        return
    if upload.size > MAX_CERTIFICATE_BYTES:
        raise ApplicationError(
            code=LotError.NOT_A_PDF,
            field="certificate",
            message=_("The certificate is larger than 10 MB."),
        )
    upload.seek(0)
    head = upload.read(1024)
    upload.seek(0)
    if b"%PDF-" not in head[:1024] or not head.lstrip().startswith(b"%PDF-"):
        raise ApplicationError(
            code=LotError.NOT_A_PDF,
            field="certificate",
            message=_("The certificate must be a PDF file."),
        )
    upload.seek(max(0, upload.size - 2048))
    tail = upload.read()
    upload.seek(0)
    if b"%%EOF" not in tail:
        raise ApplicationError(
            code=LotError.NOT_A_PDF,
            field="certificate",
            message=_("The certificate PDF is incomplete (no end-of-file marker)."),
        )
    try:
        pdf_check(upload.read())
    except UnreadableFile as exc:
        raise ApplicationError(
            code=LotError.NOT_A_PDF, field="certificate", message=str(exc)
        ) from exc
    finally:
        upload.seek(0)


def sanitisation_attestation_validate(
    *,
    method: str | None,
    performed_on: datetime.date | None,
    responsible_person: str | None,
    certificate: UploadedFile | None = None,
    invalid: Collection[str] = (),
) -> None:
    """Every rule on an attestation's fields, all errors at once (400), the
    certificate's PDF checks included; ``invalid`` names fields that could not be
    parsed (their own error says it)."""
    errors: dict[str, list[ValidationError]] = {}
    if method not in SanitisationMethod.values:
        errors["method"] = [
            ValidationError(
                _("Choose one of: %(values)s.") % {"values": ", ".join(SanitisationMethod.values)},
                code=CommonError.INVALID_CHOICE,
            )
        ]
    if performed_on is None or performed_on > timezone.localdate():
        errors["performed_on"] = [
            ValidationError(
                _("Give the date of the sanitisation (not in the future)."),
                code=CommonError.INVALID_DATE,
            )
        ]
    if not (responsible_person or "").strip():
        errors["responsible_person"] = [
            ValidationError(_("Name the person responsible."), code=CommonError.REQUIRED)
        ]
    if "certificate" not in invalid:
        try:
            _check_pdf(certificate)
        except ApplicationError as exc:
            errors["certificate"] = [ValidationError(exc.message, code=exc.code)]
    errors = {name: found for name, found in errors.items() if name not in invalid}
    if errors:
        raise ApplicationError.from_validation_error(ValidationError(errors))


def lot_sanitisation_attest(
    *,
    actor: Membership,
    lot: Lot,
    method: str,
    performed_on: datetime.date | None,
    responsible_person: str,
    certificate: UploadedFile | None = None,
) -> SanitisationAttestation:
    """Record (or replace, while a draft) the lot's sanitisation attestation."""
    require_writer(actor)
    require_owner(actor, lot)
    with atomic_with_files() as saved:
        lot = lock_lot(lot)
        require_draft(lot)
        if not lot.category.requires_data_sanitisation:
            raise ApplicationError(
                code=LotError.SANITISATION_NOT_NEEDED,
                kind=ErrorKind.CONFLICT,
                message=_("%(category)s holds no data: no attestation is needed.")
                % {"category": lot.category.name},
            )
        sanitisation_attestation_validate(
            method=method,
            performed_on=performed_on,
            responsible_person=responsible_person,
            certificate=certificate,
        )
        attestation, _created = SanitisationAttestation.objects.update_or_create(
            lot=lot,
            defaults={
                "method": method,
                "performed_on": performed_on,
                "responsible_person": responsible_person.strip(),
                "attested_by": actor.user,
            },
        )
        if certificate is not None:
            old = (attestation.certificate.storage, attestation.certificate.name)
            attestation.certificate.save("certificate.pdf", certificate, save=True)
            saved.add(attestation.certificate.storage, attestation.certificate.name)
            if old[1] and old[1] != attestation.certificate.name:
                delete_files_on_commit([old])
        audit_event_record(
            actor=actor.user,
            organisation=actor.organisation,
            obj=lot,
            action="attest_sanitisation",
            data={"method": method},
        )
    return attestation


# --- Erasure records -----------------------------------------------------------


@dataclass
class ErasureInput:
    serial_number: str = ""
    asset_tag: str = ""
    make_model: str = ""
    media_type: str = ""
    method: str = ""
    tool: str = ""
    verified: bool | None = None
    performer: str = ""
    date: datetime.date | None = None
    row: int | None = None  # its row in an erasure report, for messages


# Header names as erasure tools export them, mapped to our fields.
ERASURE_COLUMNS = {
    "serial_number": (
        "serial_number",
        "serial",
        "serial number",
        "serialnumber",
        "system serial",
        "disk serial",
        "drive serial",
        "sn",
    ),
    "asset_tag": (
        "asset_tag",
        "asset tag",
        "asset",
        "asset number",
        "inventory",
        "inventory number",
        "inventory tag",
    ),
    "make_model": (
        "make_model",
        "make/model",
        "model",
        "make and model",
        "product",
        "manufacturer model",
    ),
    "media_type": ("media_type", "media type", "media", "drive type", "disk type"),
    "method": (
        "method",
        "erasure method",
        "sanitization method",
        "sanitisation method",
        "erasure standard",
        "standard",
    ),
    "tool": (
        "tool",
        "erasure tool",
        "software",
        "tool and version",
        "tool version",
        "software version",
    ),
    "verified": (
        "verified",
        "verification",
        "result",
        "status",
        "erasure status",
        "verification result",
    ),
    "performer": ("performer", "performed by", "operator", "technician", "erased by"),
    "date": ("date", "erasure date", "timestamp", "completed", "end time", "finished"),
}
TRUE_WORDS = {
    "yes",
    "y",
    "true",
    "1",
    "passed",
    "pass",
    "verified",
    "successful",
    "success",
    "ok",
    "completed",
    "ja",
    "oui",
}
FALSE_WORDS = {
    "no",
    "n",
    "false",
    "0",
    "failed",
    "fail",
    "error",
    "unsuccessful",
    "nee",
    "non",
    "nein",
}


def parse_erasure_method(text: str) -> str | None:
    words = (text or "").strip().lower()
    for method in ("destroy", "purge", "clear"):
        if method in words:
            return method
    if re.search(r"destruct|shred|degauss", words):
        return "destroy"
    return None


def parse_verified(text: str) -> bool | None:
    word = (text or "").strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def erasure_csv_parse(data: bytes) -> tuple[list[ErasureInput], list[dict]]:
    """Rows of an erasure report (CSV, UTF-8 or Latin-1, comma or semicolon) and the
    problems found, each ``{"row": n, "column": name, "reason": text}``. A file that is
    not readable CSV, or breaks a limit (rows, columns, cell length), raises
    UnreadableFile naming the problem."""
    rows = list(
        csv_rows(
            data,
            max_rows=MAX_ERASURE_ROWS,
            max_columns=MAX_ERASURE_COLUMNS,
            max_cell_chars=MAX_ERASURE_CELL_CHARS,
        )
    )
    if not rows:
        return [], [{"row": 1, "column": "", "reason": _("The file is empty.")}]
    header = [h.strip().lower() for h in rows[0]]
    columns = {}
    for field_name, aliases in ERASURE_COLUMNS.items():
        for index, name in enumerate(header):
            if name in aliases:
                columns[field_name] = index
                break
    problems = []
    if "serial_number" not in columns and "asset_tag" not in columns:
        problems.append(
            {
                "row": 1,
                "column": "serial_number",
                "reason": _("No serial number or asset tag column found."),
            }
        )
        return [], problems
    records = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue

        def cell(name, row=row):
            index = columns.get(name)
            return row[index].strip() if index is not None and index < len(row) else ""

        method = parse_erasure_method(cell("method"))
        verified = parse_verified(cell("verified"))
        raw_date = cell("date")
        date = parse_date(raw_date[:10]) if raw_date else None
        if raw_date and date is None:
            moment = parse_datetime(raw_date)
            date = moment.date() if moment else None
        record = ErasureInput(
            serial_number=cell("serial_number"),
            asset_tag=cell("asset_tag"),
            make_model=cell("make_model"),
            media_type=cell("media_type"),
            method=method or "",
            tool=cell("tool"),
            verified=verified,
            performer=cell("performer"),
            date=date,
            row=number,
        )
        if not (record.serial_number or record.asset_tag):
            problems.append(
                {
                    "row": number,
                    "column": "serial_number",
                    "reason": _("No serial number or asset tag."),
                }
            )
        if method is None:
            problems.append(
                {
                    "row": number,
                    "column": "method",
                    "reason": _("The method must be clear, purge or destroy."),
                }
            )
        if raw_date and date is None:
            problems.append(
                {
                    "row": number,
                    "column": "date",
                    "reason": _("Not a date: %(value)s") % {"value": excerpt(raw_date)},
                }
            )
        records.append(record)
    return records, problems


def lot_erasures_import(*, actor: Membership, lot: Lot, report: UploadedFile) -> list[LotItem]:
    """The erasure records of an erasure tool's CSV report. Who asks is checked first, the
    size next: a file is read only for the owner's members, and only up to its limit."""
    require_writer(actor)
    require_owner(actor, lot)
    if report.size > MAX_ERASURE_REPORT_BYTES:
        raise ApplicationError(
            code=LotError.ERASURE_REPORT_INVALID,
            field="file",
            message=_("The report is larger than %(max)s MB.")
            % {"max": MAX_ERASURE_REPORT_BYTES // (1024 * 1024)},
        )
    report.seek(0)
    try:
        records, problems = erasure_csv_parse(report.read(MAX_ERASURE_REPORT_BYTES + 1))
    except UnreadableFile as exc:
        raise ApplicationError(
            code=LotError.ERASURE_REPORT_INVALID, field="file", message=str(exc)
        ) from exc
    problems += _report_device_problems(lot, records)
    if problems:
        problems.sort(key=lambda p: (p["row"], p["column"]))
        raise ApplicationError(
            code=LotError.ERASURE_REPORT_INVALID,
            field="file",
            message=problems[0]["reason"],
            extra={"problems": problems},
        )
    try:
        return lot_erasures_record(actor=actor, lot=lot, records=records)
    except ApplicationError as exc:  # its "records.<n>.<field>" errors: the report's rows
        rows = [
            {"row": records[int(index)].row, "column": column, "reason": str(reason)}
            for key, reasons in exc.errors.items()
            if key.startswith("records.") and len(parts := key.split(".")) == 3
            for index, column in [parts[1:]]
            if index.isdigit() and int(index) < len(records)
            for reason in reasons
        ]
        if rows:
            raise ApplicationError(
                code=LotError.ERASURE_REPORT_INVALID,
                field="file",
                message=rows[0]["reason"],
                extra={"problems": rows},
            ) from exc
        exc.extra.setdefault("records", [r.serial_number or r.asset_tag for r in records])
        raise


def _report_device_problems(lot: Lot, records: list[ErasureInput]) -> list[dict]:
    """What an erasure report's rows say that cannot be recorded as they are: a failed
    verification, and, where the lot lists its devices, a device it does not list (a
    report of other machines, or a typing error)."""
    items = list(lot.items.all())
    serials = {i.serial_number for i in items if i.serial_number}
    tags = {i.asset_tag for i in items if i.asset_tag}
    problems = []
    for record in records:
        device = record.serial_number or record.asset_tag
        if not device:
            continue
        if record.verified is False:
            problems.append(
                {
                    "row": record.row,
                    "column": "verified",
                    "reason": _(
                        "The erasure of %(device)s failed its verification: erase it again "
                        "(or destroy its storage) and upload the new report."
                    )
                    % {"device": excerpt(device)},
                }
            )
        known = (record.serial_number and record.serial_number in serials) or (
            record.asset_tag and record.asset_tag in tags
        )
        if items and not known:
            problems.append(
                {
                    "row": record.row,
                    "column": "serial_number" if record.serial_number else "asset_tag",
                    "reason": _(
                        "%(device)s is not one of the lot's devices: check the serial "
                        "number, or add the device to the lot's list first."
                    )
                    % {"device": excerpt(device)},
                }
            )
    return problems


ERASURE_TEMPLATE_COLUMNS = (
    "serial_number",
    "asset_tag",
    "make_model",
    "media_type",
    "method",
    "tool",
    "verified",
    "performer",
    "date",
)


def erasure_report_template(lot: Lot) -> bytes:
    """A CSV erasure report to fill in: our column names, one row a device the lot lists
    (its serial number and asset tag filled in)."""
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(ERASURE_TEMPLATE_COLUMNS)
    for item in lot.items.all():
        writer.writerow([item.serial_number, item.asset_tag, item.make_model, item.media_type])
    return out.getvalue().encode("utf-8")


@transaction.atomic
def lot_erasures_record(
    *, actor: Membership, lot: Lot, records: list[ErasureInput]
) -> list[LotItem]:
    """Attach erasure records to the lot's devices, matched by serial number, else asset
    tag; devices the lot does not list yet are added. All records or none (400)."""
    require_writer(actor)
    require_owner(actor, lot)
    lot = lock_lot(lot)
    require_draft(lot)
    problems = {}
    for index, record in enumerate(records):
        if record.method not in LotItem.ErasureMethod.values:
            problems[f"records.{index}.method"] = [
                ValidationError(
                    _("The method must be clear, purge or destroy."),
                    code=CommonError.INVALID_CHOICE,
                )
            ]
        if record.date is None or record.date > timezone.localdate():
            problems[f"records.{index}.date"] = [
                ValidationError(
                    _("Give the date of the erasure (not in the future)."),
                    code=CommonError.INVALID_DATE,
                )
            ]
        if not (record.serial_number or record.asset_tag):
            problems[f"records.{index}.serial_number"] = [
                ValidationError(
                    _("Give a serial number or an asset tag."), code=CommonError.REQUIRED
                )
            ]
    if problems:
        raise ApplicationError.from_validation_error(ValidationError(problems))

    existing = list(lot.items.all())

    def find(record: ErasureInput) -> LotItem | None:
        for item in existing:
            if record.serial_number and item.serial_number == record.serial_number:
                return item
        for item in existing:
            if record.asset_tag and item.asset_tag == record.asset_tag:
                return item
        return None

    unlisted = [r for r in records if find(r) is None]
    if unlisted:
        listed = [ItemInput.from_item(i) for i in existing]
        added = [
            ItemInput(
                serial_number=r.serial_number,
                asset_tag=r.asset_tag,
                make_model=r.make_model,
                media_type=r.media_type,
            )
            for r in unlisted
        ]
        lot_validate(actor=actor, data=LotInput.from_lot(lot, items=listed + added), lot=lot)
        existing.extend(
            LotItem.objects.bulk_create(
                LotItem(lot=lot, owner_id=lot.owner_id, **vars(item)) for item in added
            )
        )
    updated = []
    for record in records:
        item = find(record)
        item.make_model = record.make_model or item.make_model
        item.media_type = record.media_type or item.media_type
        item.erasure_method = record.method
        item.erasure_tool = record.tool
        item.erasure_verified = record.verified
        item.erasure_performer = record.performer
        item.erasure_date = record.date
        updated.append(item)
    LotItem.objects.bulk_update(
        updated,
        [
            "make_model",
            "media_type",
            "erasure_method",
            "erasure_tool",
            "erasure_verified",
            "erasure_performer",
            "erasure_date",
        ],
    )
    audit_event_record(
        actor=actor.user,
        organisation=actor.organisation,
        obj=lot,
        action="record_erasures",
        data={"devices": len(updated)},
    )
    return updated
