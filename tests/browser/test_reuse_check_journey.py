"""Reuse before buying in a browser (issue "Done when"): a buyer of FPS Demo Logistics,
in Dutch, checks for 20 desks needed in three weeks, sees the desks of another
organisation with their claim window, claims 12 from the check and closes it; the
attestation says 12 met and 8 to buy, in Dutch; the public verification page confirms
the PDF and refuses a made-up code; the statistics show the check, partly met."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from exchange.categories.models import Category
from exchange.claims.models import Claim
from exchange.claims.services import claim_approve, claim_collect
from exchange.impact.services.records import impact_record_for_claim
from exchange.reuse.models import Attestation
from tests.factories import LotFactory, SiteFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_buyer_checks_for_desks_claims_closes_and_verifies(
    browser, page_for, make_member, categories, live_server, tmp_path
):
    # given a buyer of FPS Demo Logistics who reads Dutch, and 12 desks of FPS Alpha nearby
    buyer = make_member("member", kind="federal", name="FPS Demo Logistics")
    SiteFactory(
        organisation=buyer.organisation,
        name="Logistiek HQ",
        latitude=Decimal("50.8466"),
        longitude=Decimal("4.3676"),
    )
    owner = make_member("admin", kind="federal", name="FPS Alpha")
    desk = Category.objects.get(code="desk")
    lot = LotFactory(
        site=SiteFactory(
            organisation=owner.organisation,
            municipality="Etterbeek",
            latitude=Decimal("50.8330"),
            longitude=Decimal("4.3890"),
        ),
        category=desk,
        quantity=12,
        title="Bureaus 160x80",
        published=True,
    )

    # when the buyer opens "Reuse before buying" from the menu and checks for 20 desks
    page = page_for(buyer)  # signs in on the English page, then reads Dutch
    buyer.user.language = "nl"
    buyer.user.save(update_fields=["language"])
    page.goto("/")
    page.get_by_role("link", name="Hergebruik vóór aankoop").click()
    page.get_by_role("link", name="Nieuwe hergebruikcheck").click()
    page.get_by_label("Categorie").select_option(str(desk.pk))
    page.get_by_label("Aantal").fill("20")
    page.get_by_label("Maximale afstand (km)").fill("30")
    needed_by = timezone.localdate() + datetime.timedelta(days=21)
    page.get_by_label("Nodig tegen").fill(needed_by.isoformat())
    page.get_by_label("Geraamde aankoopwaarde (EUR)").fill("6000")
    page.get_by_label("Referentie van het aankoopdossier").fill("FPS-DL/2026/041")
    page.get_by_role("button", name="Op hergebruik checken").click()
    page.wait_for_url(re.compile(r"/reuse-checks/\d+/$"))

    # then the desks of FPS Alpha show at once, with their claim window
    main = page.get_by_role("main")
    result = main.get_by_role("listitem").filter(has_text="Bureaus 160x80")
    assert "FPS Alpha" in result.inner_text()
    assert "nu voor u open" in result.inner_text()
    page.set_viewport_size({"width": 390, "height": 800})
    assert _no_sideways_scroll(page)
    page.set_viewport_size({"width": 1280, "height": 800})

    # when the buyer claims from the check, 12 proposed, with the keyboard
    quantity = page.get_by_role("spinbutton", name="Aantal")
    assert quantity.input_value() == "12"
    quantity.focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.get_by_text("U vroeg 12 van").wait_for()
    claim = Claim.objects.get(lot=lot)
    assert (claim.quantity, claim.claimant_id) == (12, buyer.organisation_id)
    # and closes it
    page.get_by_role("button", name="Afsluiten en het attest uitreiken").click()

    # then the attestation says 12 met by reuse and 8 still to buy
    page.get_by_text("12 ingevuld door hergebruik, nog 8 te kopen.").wait_for()
    attestation = Attestation.objects.get()
    assert attestation.language == "nl"
    with page.expect_download() as download:
        page.get_by_role("link", name="Het attest downloaden (pdf)").click()
    pdf_path = tmp_path / "attestation.pdf"
    download.value.save_as(pdf_path)
    from pypdf import PdfReader

    text = " ".join(" ".join(p.extract_text() for p in PdfReader(pdf_path).pages).split())
    assert "Attest van hergebruikcheck" in text
    assert "Hoeveelheid ingevuld door hergebruik 12" in text
    assert "Nog te kopen hoeveelheid 8" in text

    # when anyone opens the verification address and gives the PDF
    anonymous = browser.new_context(base_url=live_server.url, locale="nl")
    try:
        visitor = anonymous.new_page()
        visitor.goto(f"/verify/{attestation.code}/")
        assert attestation.number in visitor.get_by_role("heading", level=1).inner_text()
        assert attestation.sha256 in visitor.get_by_role("main").inner_text()
        assert buyer.user.last_name not in visitor.content()
        visitor.get_by_label("De pdf van het attest").set_input_files(pdf_path)
        visitor.get_by_role("button", name="Vergelijken").click()
        visitor.get_by_text("Uw kopie is de uitgereikte pdf").wait_for()
        visitor.set_viewport_size({"width": 390, "height": 800})
        assert _no_sideways_scroll(visitor)
        # and a made-up code is refused
        response = visitor.goto("/verify/MADEUPCODE23/")
        assert response.status == 404
        assert "Dit attest bestaat niet" in visitor.get_by_role("heading", level=1).inner_text()
    finally:
        anonymous.close()

    # when the desks are handed over, the statistics count the check, partly met
    claim = claim_approve(actor=owner, claim=claim)
    claim_collect(actor=owner, claim=claim, quantity=12)
    impact_record_for_claim(claim_id=claim.pk)
    page.goto("/stats/")
    section = page.get_by_role("region", name="Hergebruik vóór aankoop")
    figures = section.inner_text()
    assert "3.600,00" in figures  # 6000 / 20 x 12
    assert "0 / 1 / 0" in figures
