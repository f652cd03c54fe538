"""The exchange as people do it in a browser: a federal service posts and publishes a
lot, another federal service claims part of it with the keyboard only, the owner
approves and confirms the handover, and the statistics show the kilograms."""

import datetime

import pytest
from django.utils import timezone

from exchange.categories.models import Category
from exchange.claims.models import Claim
from exchange.impact.models import ImpactRecord
from exchange.impact.services.records import impact_record_for_claim
from exchange.lots.models import Lot
from tests.factories import SiteFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_post_claim_approve_and_hand_over_in_the_browser(page_for, make_member, categories):
    # given two federal services, the owner with a pickup site
    owner = make_member("admin", kind="federal", name="FPS Alpha")
    site = SiteFactory(organisation=owner.organisation, name="Alpha HQ")
    claimant = make_member(kind="federal", name="FPS Beta")
    desk = Category.objects.get(code="desk")

    # when the owner posts a lot and publishes it
    page = page_for(owner)
    page.goto("/lots/new/")
    page.get_by_label("Title").fill("Desks 160x80, grey")
    page.get_by_label("Category").select_option(str(desk.pk))
    page.get_by_label("Quantity").fill("25")
    page.get_by_label("Condition").select_option("good")
    page.get_by_label("Pickup site").select_option(str(site.pk))
    until = timezone.localdate() + datetime.timedelta(days=40)
    page.get_by_label("Available until").fill(until.isoformat())
    page.get_by_role("button", name="Save as draft").click()
    page.get_by_role("button", name="Publish").click()
    lot = Lot.objects.get(title="Desks 160x80, grey")
    assert lot.status == "published"

    # then another federal service finds it by text and claims 10 with the keyboard
    other = page_for(claimant)
    other.goto("/lots/?q=desks")
    other.get_by_role("link", name="Desks 160x80, grey").click()
    assert other.locator("html").get_attribute("lang") == "en"
    quantity = other.get_by_label("Quantity")
    quantity.focus()
    other.keyboard.type("10")
    other.keyboard.press("Tab")  # the note
    other.keyboard.type("For the Ghent office")
    other.keyboard.press("Tab")  # the Claim button
    other.keyboard.press("Enter")
    other.wait_for_url("**/claims/*/")
    claim = Claim.objects.get(lot=lot)
    assert (claim.quantity, claim.status, claim.note) == (10, "pending", "For the Ghent office")
    assert "Your claim of 10 units is registered" in other.get_by_role("main").inner_text()

    # when the owner approves it in the inbox and confirms the handover of 9
    page.goto("/claims/inbox/")
    page.get_by_role("button", name=f"Approve claim {claim.pk}").click()
    page.get_by_role("button", name=f"Confirm the handover claim {claim.pk}").wait_for()
    handover = page.locator(f"form[action='/claims/{claim.pk}/collect/']")
    handover.get_by_label("Collected quantity").fill("9")
    page.get_by_role("button", name=f"Confirm the handover claim {claim.pk}").click()
    claim.refresh_from_db()
    assert (claim.status, claim.collected_quantity) == ("collected", 9)

    # then, once the impact task ran, the claimant's statistics show the kilograms
    impact_record_for_claim(claim_id=claim.pk)
    record = ImpactRecord.objects.get(claim=claim)
    other.goto("/stats/")
    headline = other.get_by_role("main").inner_text()
    assert f"{record.weight_kg:.1f}".rstrip("0").rstrip(".") in headline.replace(",", "")
