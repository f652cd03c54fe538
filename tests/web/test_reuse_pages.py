"""The reuse-check pages in the four languages, and the "Reuse before buying" section
of the statistics dashboard and of the annual report."""

import datetime
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from exchange.categories.models import Category
from exchange.claims.services import claim_approve, claim_collect
from exchange.impact.services.records import impact_record_for_claim
from exchange.reuse.models import ReuseCheck
from exchange.reuse.services.checks import (
    CheckInput,
    reuse_check_claim,
    reuse_check_close,
    reuse_check_create,
)
from tests.factories import LotFactory, SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(categories, make_member):
    buyer = make_member("member", kind="federal", name="FPS Demo Logistics")
    site = SiteFactory(organisation=buyer.organisation, name="Logistics HQ")
    owner = make_member("admin", kind="federal", name="FPS Alpha")
    desk = Category.objects.get(code="desk")
    lot = LotFactory(
        site=SiteFactory(organisation=owner.organisation),
        category=desk,
        quantity=12,
        title="Desks 160x80",
        published=True,
    )
    return {"buyer": buyer, "site": site, "owner": owner, "desk": desk, "lot": lot}


def _check(world, **changes):
    data = {
        "category": world["desk"],
        "quantity": 20,
        "site": world["site"],
        "max_distance_km": 30,
        "needed_by": timezone.localdate() + datetime.timedelta(days=21),
        "estimated_value_eur": Decimal("6000"),
        "file_reference": "FPS-DL/2026/041",
    }
    data.update(changes)
    return reuse_check_create(actor=world["buyer"], data=CheckInput(**data))


@pytest.mark.parametrize(
    ("language", "heading"),
    [
        ("en", "New reuse check"),
        ("nl", "Nieuwe hergebruikcheck"),
        ("fr", "Nouvelle vérification de réemploi"),
        ("de", "Neue Wiederverwendungsprüfung"),
    ],
)
def test_the_form_makes_a_check_in_every_language(client, world, language, heading):
    world["buyer"].user.language = language
    world["buyer"].user.save(update_fields=["language"])
    client.force_login(world["buyer"].user)
    page = client.get("/reuse-checks/new/", HTTP_ACCEPT_LANGUAGE=language)
    assert heading in page.content.decode()
    needed_by = timezone.localdate() + datetime.timedelta(days=21)
    response = client.post(
        "/reuse-checks/new/",
        {
            "category": world["desk"].pk,
            "quantity": "20",
            "min_condition": "fair",
            "place": "site",
            "site": world["site"].pk,
            "max_distance_km": "30",
            "needed_by": needed_by.isoformat(),
            "estimated_value_eur": "6000",
            "file_reference": "FPS-DL/2026/041",
        },
        HTTP_ACCEPT_LANGUAGE=language,
    )
    check = ReuseCheck.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/reuse-checks/{check.pk}/"
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert "Desks 160x80" in page and "FPS Alpha" in page


def test_bad_input_on_the_form_names_the_field_and_writes_nothing(client, world):
    client.force_login(world["buyer"].user)
    response = client.post(
        "/reuse-checks/new/",
        {
            "category": world["desk"].pk,
            "quantity": "20",
            "min_condition": "fair",
            "place": "site",
            "site": world["site"].pk,
            "max_distance_km": "30",
            "needed_by": (timezone.localdate() + datetime.timedelta(days=3)).isoformat(),
            "estimated_value_eur": "6000",
            "file_reference": "X",
            "waiting_days": "9",
        },
    )
    assert response.status_code == 200
    assert "The waiting period ends after the date you need it by" in response.content.decode()
    assert not ReuseCheck.objects.exists()


def test_another_organisations_check_page_is_404(client, world):
    check = _check(world)
    client.force_login(world["owner"].user)
    assert client.get(f"/reuse-checks/{check.pk}/").status_code == 404
    assert client.post(f"/reuse-checks/{check.pk}/close/").status_code == 404
    assert client.get(f"/reuse-checks/{check.pk}/attestation.pdf").status_code == 404


def test_claim_close_and_download_from_the_pages(client, world):
    check = _check(world)
    client.force_login(world["buyer"].user)
    response = client.post(f"/reuse-checks/{check.pk}/claim/{world['lot'].pk}/", {"quantity": "12"})
    assert response.status_code == 302
    client.post(f"/reuse-checks/{check.pk}/close/")
    page = client.get(f"/reuse-checks/{check.pk}/").content.decode()
    assert "12 met by reuse, 8 still to buy." in page
    pdf = client.get(f"/reuse-checks/{check.pk}/attestation.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert "Reuse check attestation" in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    # a closed check takes no more claims
    client.post(f"/reuse-checks/{check.pk}/claim/{world['lot'].pk}/", {"quantity": "1"})
    assert sum(c.claim.quantity for c in ReuseCheck.objects.get().claims.all()) == 12


def _collected_check(world):
    check = _check(world)
    claim = reuse_check_claim(actor=world["buyer"], check=check, lot=world["lot"])
    reuse_check_close(actor=world["buyer"], check=check)
    claim = claim_approve(actor=world["owner"], claim=claim)
    claim_collect(actor=world["owner"], claim=claim, quantity=12)
    impact_record_for_claim(claim_id=claim.pk)
    return check


def test_the_dashboard_shows_reuse_before_buying(client, world):
    _collected_check(world)
    client.force_login(world["buyer"].user)
    page = client.get("/stats/").content.decode()
    assert "Reuse before buying" in page
    assert "3,600.00" in page  # 6000 / 20 x 12
    assert "0 / 1 / 0" in page  # met fully / partly / not


def test_the_annual_report_has_a_reuse_before_buying_section(client, world):
    _collected_check(world)
    client.force_login(world["buyer"].user)
    year = timezone.localdate().year
    response = client.get(f"/stats/report/{year}.xlsx")
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook["Reuse before buying"]
    rows = {row[0]: row[1] for row in sheet.iter_rows(values_only=True)}
    assert rows["Reuse checks made"] == 1
    assert rows["Met partly by reuse"].startswith("1 ")
    assert rows["Purchase value avoided (EUR)"] == 3600
    pdf = client.get(f"/stats/report/{year}.pdf", HTTP_ACCEPT_LANGUAGE="nl")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Reuse before buying" in " ".join(text.split())
