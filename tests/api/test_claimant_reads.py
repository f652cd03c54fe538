"""What a client of the API noticed (#10): a claimant reads the lot it claimed once the
lot is reserved, as its page does; the transfer document honours content negotiation."""

import pytest
import yaml
from django.urls import reverse

from exchange.categories.models import Category
from exchange.claims.errors import ClaimError
from exchange.claims.services import claim_approve, claim_create
from exchange.lots.models import LotStatus
from tests.factories import LotFactory, MembershipFactory, OrganisationFactory, SiteFactory

pytestmark = pytest.mark.django_db

CLAIMS = "/api/v1/claims/"


@pytest.fixture
def reserved(fed_admin, categories):
    lot = LotFactory(
        site=SiteFactory(organisation=fed_admin.organisation),
        title="Desks 160x80",
        quantity=4,
        published=True,
        category=Category.objects.get(code="desk"),
    )
    claimant = MembershipFactory(
        organisation=OrganisationFactory(kind="federal", name="FPS Beta"), role="member"
    )
    claim = claim_create(actor=claimant, lot=lot, quantity=4)
    lot.refresh_from_db()
    assert lot.status == LotStatus.RESERVED
    return {"owner": fed_admin, "claimant": claimant, "lot": lot, "claim": claim}


def test_a_claimant_reads_the_reserved_lot_it_claimed_as_its_page_does(
    client, client_for, reserved
):
    lot = reserved["lot"]
    response = client_for(reserved["claimant"].user).get(f"/api/v1/lots/{lot.pk}/")
    assert response.status_code == 200, response.json()
    assert (response.json()["id"], response.json()["status"]) == (lot.pk, "reserved")
    client.force_login(reserved["claimant"].user)
    assert client.get(reverse("lots:detail", args=[lot.pk])).status_code == 200
    # another organisation sees neither, and the catalogue does not list the reserved lot
    other = MembershipFactory(organisation=OrganisationFactory(kind="federal"), role="member")
    assert client_for(other.user).get(f"/api/v1/lots/{lot.pk}/").status_code == 404
    client.force_login(other.user)
    assert client.get(reverse("lots:detail", args=[lot.pk])).status_code == 404
    listed = client_for(reserved["claimant"].user).get("/api/v1/lots/").json()["results"]
    assert lot.pk not in [row["id"] for row in listed]


@pytest.fixture
def approved(reserved):
    claim_approve(actor=reserved["owner"], claim=reserved["claim"])
    return reserved


@pytest.mark.parametrize("accept", [None, "application/pdf", "*/*", "application/*"])
def test_the_document_is_the_pdf_to_whoever_accepts_a_pdf(client_for, approved, accept):
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = client_for(approved["claimant"].user).get(
        f"{CLAIMS}{approved['claim'].pk}/document/", **headers
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")


def test_a_client_that_accepts_only_json_gets_406_in_json(client_for, approved):
    response = client_for(approved["owner"].user).get(
        f"{CLAIMS}{approved['claim'].pk}/document/", HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 406
    assert response["Content-Type"] == "application/json"
    assert "application/pdf" in response.json()["detail"]


def test_errors_of_the_document_are_json_although_a_pdf_was_asked(client_for, reserved):
    claimant = client_for(reserved["claimant"].user)
    response = claimant.get(
        f"{CLAIMS}{reserved['claim'].pk}/document/", HTTP_ACCEPT="application/pdf"
    )
    assert response.status_code == 409  # pending: no document yet
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == ClaimError.NO_DOCUMENT
    response = claimant.get(f"{CLAIMS}999999/document/", HTTP_ACCEPT="application/pdf")
    assert (response.status_code, response["Content-Type"]) == (404, "application/json")


def test_the_schema_documents_the_documents_media_types(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    answers = schema["paths"]["/api/v1/claims/{id}/document/"]["get"]["responses"]
    assert "application/pdf" in answers["200"]["content"]
    assert {"404", "406", "409"} <= set(answers)
