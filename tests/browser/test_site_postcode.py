"""A site typed in a browser (issue #12): the postcode fills in the municipality and the
point, which the person may correct; a corrected point is kept."""

from decimal import Decimal

import pytest

from exchange.organisations.models import Site
from tests.browser.checks import kept_screenshots

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_an_admin_adds_a_site_by_its_postcode_and_corrects_the_point(
    browser, page_for, make_member
):
    admin = make_member("admin", kind="federal", name="FPS Alpha")
    page = page_for(admin)
    page.goto(f"/organisations/{admin.organisation_id}/")
    form = page.locator("form[data-site-form]")
    form.get_by_label("Name").fill("Ghent depot")
    form.get_by_label("Street and number").fill("Kouter 1")
    # when the postcode is typed, the municipality and the point are filled in
    form.get_by_label("Postcode").press_sequentially("9000")
    latitude = form.get_by_label("Latitude")
    page.wait_for_function("el => el.value !== ''", arg=latitude.element_handle(), timeout=10_000)
    assert form.get_by_label("Municipality").input_value() == "Gent"  # Flanders: Dutch
    assert (latitude.input_value(), form.get_by_label("Longitude").input_value()) == (
        "51.0397",
        "3.7142",
    )
    assert "9000" in page.locator("#site-postcode-status").inner_text()
    if folder := kept_screenshots():  # for a person to look at
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            form.screenshot(path=str(folder / f"site-form-{width}.png"))
        page.set_viewport_size({"width": 1280, "height": 900})
    # the person moves the point to the depot's gate
    latitude.fill("51.0401")
    form.get_by_role("button", name="Add the site").click()
    page.wait_for_load_state()
    site = Site.objects.get(name="Ghent depot")
    assert (site.municipality, site.latitude, site.longitude, site.region) == (
        "Gent",
        Decimal("51.0401"),
        Decimal("3.7142"),
        "VLG",
    )
