"""Pages that follow background work, in a browser (#12): the page says it is still
searching or preparing, then shows the result in place once a real Celery worker (on
the test broker) has run the job, without a reload; the status region
(``role="status"``) says what came out. Each page is checked with axe-core (no serious
or critical violation) and for sideways scrolling at 390 px; with EXCHANGE_SCREENSHOTS
set, screenshots at 1280 and 390 px go there (a full-page PNG costs Chromium more CPU
than the page's checks, for a file nobody keeps otherwise)."""

import datetime
import re
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from exchange.categories.models import Category
from exchange.celery import app as celery_app
from tests.browser.checks import at_both_widths, axe_blocking_violations
from tests.conftest import worker_thread
from tests.factories import LotFactory, SiteFactory
from tests.web.test_lots_pages import jpeg

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@contextmanager
def worker():
    """A real Celery worker (a thread of this process) on the configured broker, started
    only when the test has seen the page wait for it."""
    with worker_thread():
        yield


@pytest.fixture
def shots():
    def take(page, name):
        assert axe_blocking_violations(page) == []
        at_both_widths(page, name)

    return take


def mark_document(page) -> None:
    """A mark on this document: a reload would lose it."""
    page.evaluate("window.__sameDocument = true")


def same_document(page) -> bool:
    return page.evaluate("window.__sameDocument === true")


def test_the_matches_of_a_new_request_appear_without_a_reload(
    page_for, make_member, categories, shots
):
    # given desks of FPS Alpha near the seeker's depot, and no worker running yet
    celery_app.control.purge()
    desk = Category.objects.get(code="desk")
    owner = make_member("admin", kind="federal", name="FPS Alpha")
    LotFactory(
        site=SiteFactory(organisation=owner.organisation, municipality="Etterbeek"),
        category=desk,
        quantity=8,
        title="Desks 160x80",
        published=True,
    )
    seeker = make_member(kind="federal", name="FPS Beta")
    SiteFactory(organisation=seeker.organisation, name="Beta depot")

    # when the seeker saves a request for desks
    page = page_for(seeker)
    page.goto("/wanted/new/")
    page.get_by_label("Category").select_option(str(desk.pk))
    page.get_by_label("Quantity").fill("6")
    page.get_by_label("Maximum distance (km)").fill("50")
    page.get_by_role("button", name=re.compile("Save")).click()
    page.wait_for_url(re.compile(r"/wanted/\d+/matches/$"))

    # then the page says it is still searching, and no "0 matches" beside it
    status = page.locator("#matches-status")
    assert status.get_attribute("role") == "status"
    assert "Still searching" in status.inner_text()
    assert "0 matches" not in page.get_by_role("main").inner_text()
    shots(page, "matches-searching")
    mark_document(page)

    # when the worker runs the matching job
    with worker():
        page.locator("#matches-live .match-list").wait_for(timeout=30_000)

    # then the match shows in place, and the status region says what the search found
    assert same_document(page)
    assert "Desks 160x80" in page.locator("#matches-live").inner_text()
    assert "The search is done: 1 lot fits this request." in status.inner_text()
    assert page.locator("#matches-live").get_attribute("hx-get") is None  # it stopped asking
    shots(page, "matches-found")


def test_a_photo_tile_shows_its_thumbnail_once_made_without_a_reload(
    page_for, make_member, categories, shots, tmp_path, settings
):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    celery_app.control.purge()
    owner = make_member("admin", kind="federal", name="FPS Alpha")
    lot = LotFactory(site=SiteFactory(organisation=owner.organisation), title="Meeting table, oak")
    photo_file = tmp_path / "table.jpg"
    photo_file.write_bytes(jpeg(size=(800, 600)))
    broken_file = tmp_path / "broken.jpg"
    broken_file.write_bytes(b"not a picture at all")

    # when the owner uploads a photo and a broken file on the lot's photo page (the
    # upload script)
    page = page_for(owner)
    page.goto(f"/lots/{lot.pk}/photos/")
    mark_document(page)
    page.locator("#id_images").set_input_files([str(photo_file), str(broken_file)])
    page.get_by_label("Description of table.jpg").fill("Oak table, top view")
    page.get_by_role("button", name="Upload").click()
    tile = page.locator("#photo-list .photo-item").first
    tile.wait_for()
    # then the tile says the photo is being prepared
    assert "Photo being prepared" in tile.inner_text()
    assert "Oak table, top view" in tile.inner_text()
    # and once both are sent, the photo has left the queue and nothing in it asks for a
    # description any more; the broken file stays with its reason
    page.locator("#upload-status", has_text="Finished: 1 added, 1 failed.").wait_for()
    queue = page.locator("#upload-queue")
    assert queue.locator(".upload-item").count() == 1
    assert "broken.jpg:" in queue.inner_text()
    assert queue.get_by_role("textbox").count() == 0
    assert page.get_by_label("Description of the photos").is_visible()  # for the next batch
    shots(page, "photo-preparing")

    # when the worker makes its sizes
    with worker():
        page.locator("#photo-list .photo-item img").wait_for(timeout=30_000)

    # then the thumbnail is there, the page was not reloaded, and the region said so
    assert same_document(page)
    assert "Photo 1 is ready." in page.locator("#photos-status").inner_text()
    # and its pixels load: they come a moment after the tile shows the image, which
    # decode() waits for (and fails on an image that does not load)
    thumbnail = page.locator("#photo-list .photo-item img")
    assert thumbnail.evaluate("img => img.decode().then(() => img.naturalWidth)") > 0
    shots(page, "photo-ready")


def test_a_report_built_in_the_background_offers_its_download_without_a_reload(
    page_for, make_member, categories, shots, settings
):
    settings.EXCHANGE_REPORT_SYNC_LIMIT = -1  # every year is built by the job
    celery_app.control.purge()
    member = make_member("admin", kind="federal", name="FPS Alpha")
    year = timezone.localdate().year

    # when the member asks for this year's report
    page = page_for(member)
    page.goto(f"/stats/report/{year}.csv")
    page.wait_for_url(re.compile(r"/stats/reports/\d+/$"))
    status = page.locator("#report-job-status")
    assert "Still preparing your report" in status.inner_text()
    assert page.get_by_role("link", name="Reload the page").is_visible()  # without JavaScript
    shots(page, "report-preparing")
    mark_document(page)

    # when the worker builds it
    with worker():
        link = page.get_by_role("link", name=re.compile("Download the report"))
        link.wait_for(timeout=30_000)

    # then the download link is there in place and the region says the report is ready
    assert same_document(page)
    assert "The report is built" in status.inner_text()
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.endswith(".csv")
    shots(page, "report-ready")


def test_an_it_lot_lists_its_devices_erasure_records_from_the_start(
    page_for, make_member, categories
):
    owner = make_member("admin", kind="federal", name="FPS Alpha")
    site = SiteFactory(organisation=owner.organisation, latitude=Decimal("50.85"))
    page = page_for(owner)
    page.goto("/lots/new/")
    page.get_by_label("Title").fill("Laptops")
    page.get_by_label("Category").select_option(str(Category.objects.get(code="laptop").pk))
    page.get_by_label("Quantity").fill("2")
    page.get_by_label("Condition").select_option("good")
    page.get_by_label("Pickup site").select_option(str(site.pk))
    until = timezone.localdate() + datetime.timedelta(days=40)
    page.get_by_label("Available until").fill(until.isoformat())
    page.get_by_label("Serial numbers and asset tags").fill("SN-A\nSN-B")
    page.get_by_role("button", name="Save as draft").click()
    missing = page.get_by_role("group", name="What is missing before it can be published")
    assert "No verified erasure record for device(s): SN-A, SN-B." in missing.inner_text()


def test_a_lot_with_four_mistakes_shows_the_four_at_once_in_the_browser(
    page_for, make_member, categories, shots
):
    owner = make_member("admin", kind="federal", name="FPS Alpha")
    site = SiteFactory(organisation=owner.organisation, name="Alpha HQ")
    page = page_for(owner)
    page.goto("/lots/new/")
    page.get_by_label("Title").fill("Desks")
    page.get_by_label("Category").select_option(str(Category.objects.get(code="desk").pk))
    page.get_by_label("Quantity").fill("-3")
    page.get_by_label("Condition").select_option("good")
    page.get_by_label("Unit weight (kg)").fill("-2")
    page.get_by_label("Pickup site").select_option(str(site.pk))
    page.get_by_label("Available until").fill("2020-03-01")
    page.get_by_label("Federal window (days)").fill("30")
    page.get_by_role("button", name="Save as draft").click()
    summary = page.get_by_role("alert")
    links = summary.get_by_role("link")
    expect(links).to_have_count(4)  # waits for the answer to arrive; a bare count() raced it
    text = summary.inner_text()
    for label in ("Quantity", "Unit weight (kg)", "Available until", "Federal window (days)"):
        assert label in text
    shots(page, "lot-four-errors")
