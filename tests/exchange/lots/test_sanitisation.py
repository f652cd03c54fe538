import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from exchange.categories.models import Category
from exchange.common.errors import ApplicationError, ErrorKind
from exchange.lots.models import LotItem, LotStatus, SanitisationAttestation
from exchange.lots.services.lots import ItemInput, lot_publish
from exchange.lots.services.sanitisation import (
    ErasureInput,
    erasure_csv_parse,
    lot_erasures_record,
    lot_sanitisation_attest,
    sanitisation_gaps,
)
from tests.factories import LotFactory, SiteFactory
from tests.support.hostile_files import pdf_clean

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()
PDF = pdf_clean()


@pytest.fixture
def laptops(fed_admin, categories):
    site = SiteFactory(organisation=fed_admin.organisation)
    return LotFactory(
        site=site,
        category=Category.objects.get(code="laptop"),
        title="Laptops",
        quantity=4,
        items=[ItemInput(serial_number=s) for s in ("SN-1", "SN-2", "SN-3")],
    )


def attest(actor, lot, method="purge", **kwargs):
    return lot_sanitisation_attest(
        actor=actor,
        lot=lot,
        method=method,
        performed_on=TODAY,
        responsible_person="Els Vermeulen",
        **kwargs,
    )


def test_an_it_lot_cannot_be_published_without_attestation(fed_admin, laptops):
    with pytest.raises(ApplicationError) as excinfo:
        lot_publish(actor=fed_admin, lot=laptops)
    assert excinfo.value.kind == ErrorKind.CONFLICT
    assert "attest" in excinfo.value.extra["missing"][0]
    laptops.refresh_from_db()
    assert laptops.status == LotStatus.DRAFT


def test_the_missing_list_names_the_devices_erasure_records_from_the_start(fed_admin, laptops):
    # given an IT lot with three devices and no attestation yet
    # when its owner reads what is missing
    gaps = sanitisation_gaps(laptops)
    # then the attestation and every device's erasure record are named at once (#12)
    assert "attest" in gaps[0]
    assert gaps[1] == "No verified erasure record for device(s): SN-1, SN-2, SN-3."
    # and an attestation of "no storage media" needs no record of any device
    attest(fed_admin, laptops, method="no_storage_media")
    assert sanitisation_gaps(laptops) == []


def test_every_listed_device_needs_a_verified_erasure_record(fed_admin, laptops):
    attest(fed_admin, laptops)
    records = [
        ErasureInput(
            serial_number="SN-1",
            method="purge",
            tool="Eraser 7.2",
            verified=True,
            performer="IT desk",
            date=TODAY,
        ),
        ErasureInput(
            serial_number="SN-2",
            method="purge",
            tool="Eraser 7.2",
            verified=False,
            performer="IT desk",
            date=TODAY,
        ),
    ]
    lot_erasures_record(actor=fed_admin, lot=laptops, records=records)
    with pytest.raises(ApplicationError) as excinfo:
        lot_publish(actor=fed_admin, lot=laptops)
    missing = " ".join(excinfo.value.extra["missing"])
    assert "SN-3" in missing  # no record at all
    assert "SN-2" in missing  # verification failed
    assert "SN-1" not in missing
    lot_erasures_record(
        actor=fed_admin,
        lot=laptops,
        records=[
            ErasureInput(serial_number=s, method="destroy", verified=True, date=TODAY)
            for s in ("SN-2", "SN-3")
        ],
    )
    assert lot_publish(actor=fed_admin, lot=laptops).status == LotStatus.PUBLISHED


def test_no_storage_media_needs_no_erasure_records(fed_admin, laptops):
    attest(fed_admin, laptops, method="no_storage_media")
    assert lot_publish(actor=fed_admin, lot=laptops).status == LotStatus.PUBLISHED


def test_furniture_needs_no_attestation(fed_admin, categories):
    lot = LotFactory(site=SiteFactory(organisation=fed_admin.organisation))
    with pytest.raises(ApplicationError) as excinfo:
        attest(fed_admin, lot)
    assert excinfo.value.code == "sanitisation_not_needed"
    assert lot_publish(actor=fed_admin, lot=lot).status == LotStatus.PUBLISHED


def test_a_certificate_must_really_be_a_pdf(fed_admin, laptops):
    fake = SimpleUploadedFile("certificate.pdf", b"<html>not a pdf</html>", "application/pdf")
    with pytest.raises(ApplicationError) as excinfo:
        attest(fed_admin, laptops, certificate=fake)
    assert excinfo.value.errors["certificate"]
    assert not SanitisationAttestation.objects.exists()
    truncated = SimpleUploadedFile("c.pdf", PDF[:40], "application/pdf")
    with pytest.raises(ApplicationError):
        attest(fed_admin, laptops, certificate=truncated)
    attestation = attest(fed_admin, laptops, certificate=SimpleUploadedFile("c.pdf", PDF))
    assert attestation.certificate.read().startswith(b"%PDF-")


def test_attestation_refuses_bad_fields_at_once(fed_admin, laptops):
    with pytest.raises(ApplicationError) as excinfo:
        lot_sanitisation_attest(
            actor=fed_admin,
            lot=laptops,
            method="wipe",
            performed_on=TODAY + datetime.timedelta(days=3),
            responsible_person=" ",
        )
    assert set(excinfo.value.errors) == {"method", "performed_on", "responsible_person"}


BLANCCO_LIKE = (
    "Serial Number;Asset Tag;Model;Media Type;Erasure Standard;Software Version;Result;"
    "Operator;Timestamp\n"
    "SN-1;A-1;Latitude 5420;SSD;NIST 800-88 Purge;Eraser 7.2;Successful;Jan;2026-11-20 10:02:11\n"
    "SN-2;A-2;Latitude 5420;SSD;NIST 800-88 Purge;Eraser 7.2;Successful;Jan;2026-11-20 10:05:40\n"
    "SN-9;A-9;Latitude 5420;SSD;NIST 800-88 Clear;Eraser 7.2;Failed;Jan;2026-11-20T10:09:00\n"
)


def test_an_erasure_report_is_read_as_tools_export_it(fed_admin, laptops):
    records, problems = erasure_csv_parse(BLANCCO_LIKE.encode("cp1252"))
    assert problems == []
    assert [(r.serial_number, r.method, r.verified) for r in records] == [
        ("SN-1", "purge", True),
        ("SN-2", "purge", True),
        ("SN-9", "clear", False),
    ]
    lot_erasures_record(actor=fed_admin, lot=laptops, records=records)
    # SN-9 was not listed: it is added to the lot's devices
    assert set(laptops.items.values_list("serial_number", flat=True)) == {
        "SN-1",
        "SN-2",
        "SN-3",
        "SN-9",
    }
    assert LotItem.objects.get(serial_number="SN-1").erasure_tool == "Eraser 7.2"


def test_a_report_cannot_list_more_devices_than_the_quantity(fed_admin, laptops):
    records = [
        ErasureInput(serial_number=f"NEW-{n}", method="purge", verified=True, date=TODAY)
        for n in range(2)
    ]
    with pytest.raises(ApplicationError) as excinfo:
        lot_erasures_record(actor=fed_admin, lot=laptops, records=records)
    assert excinfo.value.errors["items"]
    assert laptops.items.count() == 3


def test_a_report_with_bad_rows_names_them(fed_admin, laptops):
    report = "serial;method;date\nSN-1;wipe;2026-01-01\n;purge;someday\n"
    records, problems = erasure_csv_parse(report.encode())
    assert {(p["row"], p["column"]) for p in problems} == {
        (2, "method"),
        (3, "serial_number"),
        (3, "date"),
    }


def test_erasure_records_are_for_drafts_only(fed_admin, laptops):
    attest(fed_admin, laptops, method="no_storage_media")
    lot_publish(actor=fed_admin, lot=laptops)
    with pytest.raises(ApplicationError) as excinfo:
        lot_erasures_record(
            actor=fed_admin,
            lot=laptops,
            records=[ErasureInput(serial_number="SN-1", method="purge", verified=True, date=TODAY)],
        )
    assert excinfo.value.kind == ErrorKind.CONFLICT


def test_future_erasure_dates_are_refused(fed_admin, laptops):
    with pytest.raises(ApplicationError) as excinfo:
        lot_erasures_record(
            actor=fed_admin,
            lot=laptops,
            records=[
                ErasureInput(
                    serial_number="SN-1",
                    method="purge",
                    verified=True,
                    date=timezone.localdate() + datetime.timedelta(days=2),
                )
            ],
        )
    assert "records.0.date" in excinfo.value.errors
