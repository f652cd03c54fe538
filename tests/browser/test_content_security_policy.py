"""The main pages render under the Content-Security-Policy without a single violation
in headless Chromium, the API documentation (Swagger UI) included."""

import pytest

from exchange.categories.models import Category
from tests.factories import LotFactory, SiteFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_main_pages_raise_no_csp_violation(page_for, make_member, categories, tmp_path):
    # given a federal service with a published lot and a draft
    owner = make_member("admin", kind="federal", name="FPS Alpha")
    site = SiteFactory(organisation=owner.organisation, name="Alpha HQ")
    published = LotFactory(site=site, published=True, title="Desks")
    draft = LotFactory(site=site, category=Category.objects.get(code="laptop"), title="Laptops")
    page = page_for(owner)
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text or message.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda error: violations.append(f"{page.url}: {error}"))
    pages = [
        "/",
        "/lots/",
        f"/lots/{published.pk}/",
        "/lots/new/",
        f"/lots/{draft.pk}/photos/",
        f"/lots/{draft.pk}/sanitisation/",
        "/lots/import/",
        "/lots/mine/",
        "/claims/",
        "/claims/inbox/",
        "/wanted/",
        "/wanted/new/",
        "/stats/",
        "/open-data/",
        "/notifications/",
        f"/organisations/{owner.organisation_id}/",
    ]

    # when each page is opened
    for path in pages:
        page.goto(path)
        page.wait_for_load_state("networkidle")

    # and the API documentation is opened and drawn by its scripts
    page.goto("/api/docs/")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "Reuse Exchange API" in page.locator(".swagger-ui .info .title").inner_text()
    page.screenshot(path=str(tmp_path / "swagger.png"), full_page=False)

    # then the browser reported no violation and no script error
    assert violations == []
