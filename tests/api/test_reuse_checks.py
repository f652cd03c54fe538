"""Reuse before buying through the API (issue "Done when"): a buyer of FPS Demo
Logistics checks for 20 desks needed in three weeks, claims 12 from the check, closes
it; the attestation says 12 met and 8 to buy, in the buyer's language; /verify/ confirms
it and refuses a made-up code; the statistics count one check, partly met."""

import datetime
import hashlib
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from pypdf import PdfReader, PdfWriter

from exchange.categories.models import Category
from exchange.claims.services import claim_approve, claim_collect
from exchange.impact.services.records import impact_record_for_claim
from exchange.matching.models import WantedStatus
from exchange.reuse.models import Attestation, ReuseCheck
from tests.factories import LotFactory, MembershipFactory, OrganisationFactory, SiteFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/reuse-checks/"


def _pdf_text(content: bytes) -> str:
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return " ".join(text.split())


def _altered(content: bytes) -> bytes:
    """The PDF as an editor saves it again, with its quantity met changed."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(content)))
    writer.add_metadata({"/Subject": "12 met by reuse: 20"})
    out = io.BytesIO()
    writer.write(out)
    assert out.getvalue() != content
    return out.getvalue()


@pytest.fixture
def world(categories, make_member):
    buyer = make_member("member", kind="federal", name="FPS Demo Logistics", language="nl")
    buyer.user.language = "nl"
    buyer.user.save(update_fields=["language"])
    site = SiteFactory(
        organisation=buyer.organisation,
        name="Logistics HQ",
        latitude=Decimal("50.8466"),
        longitude=Decimal("4.3676"),
    )
    owner = make_member("admin", kind="federal", name="FPS Alpha")
    owner_site = SiteFactory(
        organisation=owner.organisation,
        municipality="Etterbeek",
        latitude=Decimal("50.8330"),
        longitude=Decimal("4.3890"),
    )
    desk = Category.objects.get(code="desk")
    desks = LotFactory(
        site=owner_site, category=desk, quantity=12, title="Desks 160x80", published=True
    )
    far = SiteFactory(
        organisation=owner.organisation, latitude=Decimal("50.4108"), longitude=Decimal("4.4446")
    )
    LotFactory(site=far, category=desk, quantity=30, title="Desks in Charleroi", published=True)
    chairs = LotFactory(site=owner_site, quantity=40, title="Chairs", published=True)
    return {
        "buyer": buyer,
        "site": site,
        "owner": owner,
        "desk": desk,
        "desks": desks,
        "chairs": chairs,
    }


def _body(world, **changes):
    data = {
        "category": world["desk"].pk,
        "quantity": 20,
        "min_condition": "fair",
        "site": world["site"].pk,
        "max_distance_km": 30,
        "needed_by": (timezone.localdate() + datetime.timedelta(days=21)).isoformat(),
        "estimated_value_eur": "6000.00",
        "file_reference": "FPS-DL/2026/041",
    }
    data.update(changes)
    return data


def test_a_buyer_checks_claims_closes_and_the_attestation_verifies(client, client_for, world):
    api = client_for(world["buyer"].user)
    # when the buyer checks for 20 desks needed in three weeks
    response = api.post(URL, _body(world), format="json")
    assert response.status_code == 201, response.json()
    check = response.json()
    # then the desks of the other organisation nearby show, with their window, at once
    assert [r["lot"]["id"] for r in check["results"]] == [world["desks"].pk]
    result = check["results"][0]
    assert result["claimable_now"] is True and result["opens_at"] is None
    assert result["lot"]["owner_name"] == "FPS Alpha"
    assert 0 < result["score"] <= 1 and result["reasons"]["distance_km"] < 30
    # kept open ten days by default, never past the needed-by date
    assert check["open_until"] == (timezone.localdate() + datetime.timedelta(days=10)).isoformat()
    assert check["status"] == "open" and check["attestation"] is None

    # when the buyer claims from the check in one step: min(still needed, available)
    response = api.post(f"{URL}{check['id']}/claim/", {"lot": world["desks"].pk}, format="json")
    assert response.status_code == 201, response.json()
    claim_id = response.json()["id"]
    assert response.json()["quantity"] == 12
    # and closes it
    response = api.post(f"{URL}{check['id']}/close/")
    assert response.status_code == 200, response.json()
    closed = response.json()
    assert closed["status"] == "closed" and closed["close_reason"] == "buyer"
    attestation = closed["attestation"]
    assert attestation["number"] == f"RC-{timezone.localdate().year}-00001"
    assert (attestation["quantity_met"], attestation["quantity_to_buy"]) == (12, 8)
    assert ReuseCheck.objects.get().wanted.status == WantedStatus.WITHDRAWN

    # then the attestation PDF says 12 met and 8 to buy, in Dutch, the buyer's language
    response = api.get(f"{URL}{check['id']}/attestation/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pdf = response.content
    text = _pdf_text(pdf)
    assert "Attest van hergebruikcheck" in text
    assert "FPS-DL/2026/041" in text and "FPS Demo Logistics" in text
    assert "Hoeveelheid ingevuld door hergebruik 12" in text
    assert "Nog te kopen hoeveelheid 8" in text
    assert hashlib.sha256(pdf).hexdigest() == attestation["sha256"]
    assert attestation["verify_url"].endswith(f"/verify/{Attestation.objects.get().code}/")

    # and /verify/<code>/ confirms it to anyone, without personal data
    code = Attestation.objects.get().code
    page = client.get(f"/verify/{code}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert attestation["number"] in html and attestation["sha256"] in html
    assert world["buyer"].user.last_name not in html
    # an upload of the PDF issued verifies; an altered copy does not
    page = client.post(f"/verify/{code}/", {"pdf": io.BytesIO(pdf)})
    assert "Your copy is the PDF issued" in page.content.decode()
    upload = io.BytesIO(_altered(pdf))
    upload.name = "attestation.pdf"
    page = client.post(f"/verify/{code}/", {"pdf": upload})
    assert "Your copy is NOT the PDF issued" in page.content.decode()
    page = client.post(f"/verify/{code}/", {"sha256": "ab" * 32})
    assert "NOT the PDF issued" in page.content.decode()
    # and a made-up code is refused
    assert client.get("/verify/MADEUPCODE23/").status_code == 404

    # when the owner approves and hands the 12 desks over
    from exchange.claims.models import Claim

    claim = claim_approve(actor=world["owner"], claim=Claim.objects.get(pk=claim_id))
    claim_collect(actor=world["owner"], claim=claim, quantity=12)
    impact_record_for_claim(claim_id=claim_id)
    # then the statistics count one check, partly met, with the purchase value avoided
    figures = api.get("/api/v1/stats/reuse-checks/").json()
    totals = figures["totals"]
    assert totals["checks"] == 1
    assert (totals["met_fully"], totals["met_partly"], totals["met_not"]) == (0, 1, 0)
    assert Decimal(str(totals["value_avoided_eur"])) == Decimal("3600.00")  # 6000 / 20 x 12
    assert Decimal(str(totals["co2e_avoided_kg"])) > 0
    assert figures["breakdowns"]["organisation"][0]["label"] == "FPS Demo Logistics"
    assert figures["breakdowns"]["category"][0]["checks"] == 1
    assert figures["breakdowns"]["year"][0]["key"] == timezone.localdate().year
    # and the attestation never changes after: closing again or claiming is a conflict
    assert api.post(f"{URL}{check['id']}/close/").status_code == 409
    response = api.post(f"{URL}{check['id']}/claim/", {"lot": world["desks"].pk}, format="json")
    assert response.status_code == 409
    response = api.patch(f"{URL}{check['id']}/", {"file_reference": "X"}, format="json")
    assert response.status_code == 409
    assert Attestation.objects.get().sha256 == attestation["sha256"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"quantity": 0}, "quantity"),
        ({"quantity": -3}, "quantity"),
        ({"needed_by": "2001-01-01"}, "needed_by"),
        ({"category": 999999}, "category"),
        ({"max_distance_km": 501}, "max_distance_km"),
        ({"waiting_days": 30}, "waiting_days"),
        ({"file_reference": ""}, "file_reference"),
        ({"estimated_value_eur": "-1"}, "estimated_value_eur"),
        ({"site": None, "max_distance_km": None}, "site"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_writes_nothing(client_for, world, changes, field):
    response = client_for(world["buyer"].user).post(URL, _body(world, **changes), format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    assert not ReuseCheck.objects.exists()


def test_another_organisations_checks_are_404(client_for, world):
    check = client_for(world["buyer"].user).post(URL, _body(world), format="json").json()
    other = client_for(world["owner"].user)
    assert other.get(f"{URL}{check['id']}/").status_code == 404
    assert other.post(f"{URL}{check['id']}/close/").status_code == 404
    assert other.post(f"{URL}{check['id']}/claim/", {"lot": 1}, format="json").status_code == 404
    assert other.get(f"{URL}{check['id']}/attestation/").status_code == 404
    assert other.get(URL).json()["results"] == []


def test_cancelling_leaves_a_record_and_no_attestation(client_for, world):
    api = client_for(world["buyer"].user)
    check = api.post(URL, _body(world), format="json").json()
    # an open check has no attestation yet
    assert api.get(f"{URL}{check['id']}/attestation/").status_code == 409
    response = api.post(f"{URL}{check['id']}/cancel/")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert api.get(f"{URL}{check['id']}/").json()["status"] == "cancelled"
    assert api.get(f"{URL}{check['id']}/attestation/").status_code == 409
    assert api.post(f"{URL}{check['id']}/close/").status_code == 409
    assert api.post(f"{URL}{check['id']}/cancel/").status_code == 409
    assert not Attestation.objects.exists()
    # and a cancelled check is not among the figures
    assert api.get("/api/v1/stats/reuse-checks/").json()["totals"]["checks"] == 0


def test_claiming_the_whole_quantity_closes_the_check(client_for, world):
    api = client_for(world["buyer"].user)
    check = api.post(URL, _body(world, quantity=12), format="json").json()
    response = api.post(f"{URL}{check['id']}/claim/", {"lot": world["desks"].pk}, format="json")
    assert response.status_code == 201
    detail = api.get(f"{URL}{check['id']}/").json()
    assert (detail["status"], detail["close_reason"]) == ("closed", "fully_claimed")
    assert detail["attestation"]["quantity_to_buy"] == 0


def test_a_claim_beyond_the_need_or_of_a_lot_not_offered_is_refused(client_for, world):
    api = client_for(world["buyer"].user)
    check = api.post(URL, _body(world, quantity=5), format="json").json()
    response = api.post(
        f"{URL}{check['id']}/claim/", {"lot": world["desks"].pk, "quantity": 6}, format="json"
    )
    assert response.status_code == 400 and "quantity" in response.json()["errors"]
    response = api.post(f"{URL}{check['id']}/claim/", {"lot": world["chairs"].pk}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "lot_not_offered"


def test_lots_whose_window_opens_before_the_needed_by_date_show_when(client_for, world):
    # given a non-profit buyer: lots open to it only after the first two windows
    buyer = MembershipFactory(
        organisation=OrganisationFactory(kind="nonprofit", name="Youth Centre"), role="member"
    )
    site = SiteFactory(organisation=buyer.organisation)
    api = client_for(buyer.user)
    soon = timezone.localdate() + datetime.timedelta(days=30)
    body = _body(world, site=site.pk, needed_by=soon.isoformat(), waiting_days=5)
    check = api.post(URL, body, format="json").json()
    [result] = check["results"]
    assert result["lot"]["id"] == world["desks"].pk
    assert result["claimable_now"] is False
    opens = datetime.datetime.fromisoformat(result["opens_at"])
    assert opens == world["desks"].open_opens_at
    # a needed-by date before the window opens: the lot is not offered
    early = timezone.localdate() + datetime.timedelta(days=5)
    check = api.post(URL, _body(world, site=site.pk, needed_by=early.isoformat()), format="json")
    assert check.json()["results"] == []
    # and claiming it before its window opens is refused
    response = api.post(
        f"{URL}{check.json()['id']}/claim/", {"lot": world["desks"].pk}, format="json"
    )
    assert response.status_code == 403


def test_the_list_reads_a_fixed_number_of_queries(client_for, world, django_assert_max_num_queries):
    api = client_for(world["buyer"].user)
    for reference in ("A", "B", "C"):
        api.post(URL, _body(world, file_reference=reference), format="json")
    first = ReuseCheck.objects.order_by("pk").first()
    api.post(f"{URL}{first.pk}/close/")
    with django_assert_max_num_queries(8):
        response = api.get(URL)
    assert [c["file_reference"] for c in response.json()["results"]] == ["C", "B", "A"]
