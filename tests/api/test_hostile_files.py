"""Hostile files through the API: spreadsheets that inflate, CSV that breaks the csv
module, erasure reports from someone else, PDFs that run something. Each is refused
with 400 naming the problem, echoing at most a short excerpt, writing nothing."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from exchange.categories.models import Category
from exchange.categories.services import categories_load
from exchange.lots.models import Lot, SanitisationAttestation
from exchange.lots.services import sanitisation
from exchange.lots.services.lots import ItemInput
from tests.factories import LotFactory, SiteFactory
from tests.support import hostile_files

pytestmark = pytest.mark.django_db

IMPORT = "/api/v1/lots/import/?dry_run=1"
IN_A_MONTH = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
HEADER = "title,category,quantity,condition,available_until,site"


@pytest.fixture(autouse=True)
def categories(db):
    categories_load()


@pytest.fixture
def owner(fed_admin):
    fed_admin.site = SiteFactory(organisation=fed_admin.organisation, name="HQ")
    return fed_admin


@pytest.fixture
def laptops(owner):
    return LotFactory(
        site=owner.site,
        category=Category.objects.get(code="laptop"),
        title="Laptops",
        quantity=3,
        items=[ItemInput(serial_number=s) for s in ("SN-1", "SN-2")],
    )


def upload(client, content: bytes, name: str = "lots.xlsx"):
    return client.post(IMPORT, {"file": SimpleUploadedFile(name, content)}, format="multipart")


def refused(response, *words: str) -> str:
    assert response.status_code == 400, response.content[:500]
    body = response.json()
    assert body["errors"]["file"], body
    detail = body["detail"]
    for word in words:
        assert word in detail, detail
    assert len(response.content) < 2000  # never the input itself
    return detail


# --- Spreadsheets ----------------------------------------------------------------------


def test_an_xlsx_whose_shared_string_inflates_to_30_mb_is_refused_unread(client_for, owner):
    content = hostile_files.xlsx_with_one_huge_shared_string(30 * 1024 * 1024)
    assert len(content) < 100_000
    refused(upload(client_for(owner.user), content), "too large once unpacked")


def test_an_xlsx_of_too_many_cells_is_refused(client_for, owner):
    content = hostile_files.xlsx_with_many_cells(2000, 400)  # 800 000 cells, 20+ MB of XML
    refused(upload(client_for(owner.user), content), "too large once unpacked")


def test_a_zip_bomb_is_refused(client_for, owner):
    content = hostile_files.zip_bomb(8 * 1024 * 1024)  # ratio of about 1 000
    refused(upload(client_for(owner.user), content), "compressed")


def test_an_xlsx_with_too_many_columns_or_too_long_a_cell_is_refused(client_for, owner):
    client = client_for(owner.user)
    wide = hostile_files.xlsx_with_many_cells(3, 60)
    refused(upload(client, wide), "more than 50 columns")
    long_cell = hostile_files.xlsx_with_one_huge_shared_string(6000)
    detail = refused(upload(client, long_cell), "A2", "5000 characters")
    assert "AAAAAAAAAA" not in detail


def test_a_bad_value_is_named_by_a_short_excerpt(client_for, owner):
    category = "x" * 4000
    content = f"{HEADER}\nChairs,{category},1,good,{IN_A_MONTH},HQ\n".encode()
    response = upload(client_for(owner.user), content, "lots.csv")
    assert response.status_code == 200
    (problem,) = response.json()["problems"]
    assert problem["column"] == "category"
    assert "xxxxxxxx" in problem["reason"] and len(problem["reason"]) < 80


# --- CSV -------------------------------------------------------------------------------


def test_a_csv_field_over_131072_characters_is_refused(client_for, owner):
    content = f"{HEADER}\n{'A' * 140_000},desk,1,good,{IN_A_MONTH},HQ\n".encode()
    refused(upload(client_for(owner.user), content, "lots.csv"), "Line 2", "characters")


def test_a_csv_quote_never_closed_is_refused(client_for, owner):
    content = f'{HEADER}\n"Chairs,desk,1,good,{IN_A_MONTH},HQ\n'.encode()
    refused(upload(client_for(owner.user), content, "lots.csv"), "never closed")


def test_a_bare_carriage_return_in_an_erasure_report_is_refused(client_for, owner, laptops):
    report = b"serial,method,verified,date\rSN-1,purge,yes,2026-01-05\r"
    response = client_for(owner.user).post(
        f"/api/v1/lots/{laptops.pk}/sanitisation/erasures/",
        {"file": SimpleUploadedFile("report.csv", report)},
        format="multipart",
    )
    detail = refused(response, "carriage return")
    assert "Line 1" in detail
    assert not laptops.items.exclude(erasure_method="").exists()


def test_an_erasure_report_of_another_organisation_is_refused_before_it_is_read(
    client_for, make_member, laptops, monkeypatch
):
    # given a published lot another organisation can see, and a report that breaks CSV
    laptops.category = Category.objects.get(code="desk")
    laptops.save(update_fields=["category"])
    from exchange.lots.services.lots import lot_publish
    from exchange.organisations.models import Membership

    lot_publish(actor=Membership.objects.get(organisation=laptops.owner), lot=laptops)
    stranger = make_member(kind="federal", name="FPS Elsewhere")
    parsed = []
    monkeypatch.setattr(
        sanitisation, "erasure_csv_parse", lambda data: parsed.append(data) or ([], [])
    )
    # when its member sends an erasure report for the lot
    response = client_for(stranger.user).post(
        f"/api/v1/lots/{laptops.pk}/sanitisation/erasures/",
        {"file": SimpleUploadedFile("report.csv", b'"never closed\n' * 1000)},
        format="multipart",
    )
    # then it is refused as not theirs, and the file was never parsed
    assert response.status_code == 403, response.json()
    assert response.json()["code"] == "lot_not_owner"
    assert parsed == []


def test_an_erasure_report_over_the_size_limit_is_refused_unread(
    client_for, owner, laptops, monkeypatch
):
    monkeypatch.setattr(sanitisation, "MAX_ERASURE_REPORT_BYTES", 1024)
    report = b"serial,method,verified,date\n" + b"SN-1,purge,yes,2026-01-05\n" * 100
    response = client_for(owner.user).post(
        f"/api/v1/lots/{laptops.pk}/sanitisation/erasures/",
        {"file": SimpleUploadedFile("report.csv", report)},
        format="multipart",
    )
    refused(response, "larger than")


# --- PDF certificates ------------------------------------------------------------------


def attest(client, lot, pdf: bytes):
    return client.post(
        f"/api/v1/lots/{lot.pk}/sanitisation/",
        {
            "method": "purge",
            "performed_on": timezone.localdate().isoformat(),
            "responsible_person": "Els Vermeulen",
            "certificate": SimpleUploadedFile("certificate.pdf", pdf, "application/pdf"),
        },
        format="multipart",
    )


@pytest.mark.parametrize(
    ("make", "named"),
    [
        (hostile_files.pdf_with_open_action_javascript, "JavaScript"),
        (hostile_files.pdf_with_document_javascript, "JavaScript"),
        (hostile_files.pdf_with_launch_action, "launch action"),
        (hostile_files.pdf_with_embedded_file, "embedded file"),
    ],
)
def test_a_certificate_that_runs_something_is_refused(client_for, owner, laptops, make, named):
    response = attest(client_for(owner.user), laptops, make())
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "not_a_pdf"
    assert named in response.json()["errors"]["certificate"][0]
    assert not SanitisationAttestation.objects.exists()


def test_a_plain_certificate_is_accepted(client_for, owner, laptops):
    client = client_for(owner.user)
    for pdf in (hostile_files.pdf_clean(), hostile_files.pdf_opening_at_page_one()):
        response = attest(client, laptops, pdf)
        assert response.status_code == 200, response.json()
    assert SanitisationAttestation.objects.get(lot=laptops).certificate


def test_nothing_is_written_by_a_refused_import(client_for, owner):
    content = hostile_files.zip_bomb(8 * 1024 * 1024)
    response = client_for(owner.user).post(
        "/api/v1/lots/import/",
        {"file": SimpleUploadedFile("lots.xlsx", content)},
        format="multipart",
    )
    assert response.status_code == 400
    assert not Lot.objects.exists()


# --- Bodies ----------------------------------------------------------------------------


def test_json_nested_100000_deep_is_a_400(client_for, owner):
    body = "[" * 100_000 + "]" * 100_000
    response = client_for(owner.user).post("/api/v1/wanted/", body, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert response.json()["code"] == "parse_error"
    assert "nested too deeply" in response.json()["detail"]


def test_an_oversized_body_gets_the_api_error_shape(client_for, owner, settings):
    settings.EXCHANGE_MAX_REQUEST_BYTES = 1024 * 1024
    client = client_for(owner.user)
    response = client.post(
        "/api/v1/lots/", b"x" * (2 * 1024 * 1024), content_type="application/json"
    )
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "request_too_large"
    # and a JSON body over Django's 2.5 MB for fields, within the request limit
    settings.EXCHANGE_MAX_REQUEST_BYTES = 20 * 1024 * 1024
    big = '{"title": "' + "x" * (3 * 1024 * 1024) + '"}'
    response = client.post("/api/v1/lots/", big, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
