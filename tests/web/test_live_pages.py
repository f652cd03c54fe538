"""Pages that follow background work (#12): while the job has not run, the page says so
(never "0 matches" beside it), asks for its part again (htmx), and offers a plain
reload link; the part answers 204 until the job has run, then the result and a
sentence for the page's status region (role="status")."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from exchange.categories.models import Category
from exchange.impact.models import ReportJob
from exchange.lots.services.photos import lot_photo_add, lot_photo_process
from exchange.matching.models import WantedRequest
from exchange.matching.services.engine import match_wanted
from tests.factories import LotFactory, SiteFactory
from tests.web.test_lots_pages import photo_upload
from tests.web.test_matching_pages import wanted_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeker(make_member, categories):
    member = make_member(kind="federal", name="FPS Beta")
    member.site = SiteFactory(organisation=member.organisation, name="Beta depot")
    return member


@pytest.fixture
def desk_nearby(make_member, categories) -> Category:
    """Five published desks ("Desks 160x80") of another federal service: their category."""
    desk = Category.objects.get(code="desk")
    owner = make_member(kind="federal", name="FPS Alpha")
    LotFactory(
        site=SiteFactory(organisation=owner.organisation),
        category=desk,
        published=True,
        title="Desks 160x80",
        quantity=5,
    )
    return desk


def status_region(page: str, status_id: str) -> str:
    found = re.search(rf'<p id="{status_id}"[^>]*role="status"[^>]*>(.*?)</p>', page, re.S)
    assert found is not None, f"no status region #{status_id}"
    return found.group(1)


def test_the_matches_page_says_still_searching_until_the_job_ran_then_shows_the_matches(
    client, seeker, desk_nearby
):
    # given desks of another federal service nearby
    desk = desk_nearby
    client.force_login(seeker.user)
    # when the seeker saves a request for desks
    response = client.post(
        reverse("matching:create"),
        {
            "category": desk.pk,
            "quantity": "4",
            "min_condition": "fair",
            "place": "site",
            "site": seeker.site.pk,
            "max_distance_km": "50",
            "valid_until": (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
        },
        follow=True,
    )
    page = response.content.decode()
    wanted = WantedRequest.objects.get()
    url = reverse("matching:matches", args=[wanted.pk])
    # then, before the job has run, the page says it is searching and no count of matches
    assert "Still searching for lots that fit this request" in status_region(page, "matches-status")
    assert "0 matches" not in page and "No lot fits" not in page
    assert f'hx-get="{url}?part=matches&amp;every=1"' in page and 'hx-trigger="every 1s"' in page
    assert f'<a class="live-reload" href="{url}">' in page  # without JavaScript
    # and the part answers "nothing yet"
    assert client.get(url, {"part": "matches", "every": "1"}).status_code == 204

    # when the matching job has run
    match_wanted(wanted_id=wanted.pk)
    part = client.get(url, {"part": "matches", "every": "1"})
    # then the part is the matches, without asking again, and the status region's new text
    assert part.status_code == 200
    text = part.content.decode()
    assert "Desks 160x80" in text and "1 match" in text
    assert "hx-get" not in text.split('id="matches-status"')[0]
    assert 'hx-swap-oob="innerHTML"' in text
    assert "The search is done: 1 lot fits this request." in status_region(text, "matches-status")
    # and the page itself, opened again, shows the matches at once
    again = client.get(url).content.decode()
    assert "Desks 160x80" in again and "Still searching" not in again


def test_a_changed_request_keeps_its_new_matches_new_until_they_are_shown(
    client, seeker, desk_nearby
):
    # given a request whose search found a lot the seeker has not seen yet
    desk = desk_nearby
    wanted = wanted_for(seeker, desk, quantity=4, max_distance_km=50)
    match_wanted(wanted_id=wanted.pk)
    # when the seeker changes the request, and opens its page before the new search ran
    WantedRequest.objects.filter(pk=wanted.pk).update(
        quantity=3,
        updated_at=timezone.now(),
        matched_at=timezone.now() - datetime.timedelta(minutes=1),
    )
    client.force_login(seeker.user)
    url = reverse("matching:matches", args=[wanted.pk])
    searching = client.get(url).content.decode()
    assert "Still searching" in searching and "Desks 160x80" not in searching
    # then, once the search ran, the lot is shown as new: it was never on the screen
    match_wanted(wanted_id=wanted.pk)
    shown = client.get(url).content.decode()
    assert "Desks 160x80" in shown
    assert 'class="badge new-matches"' in shown


def test_a_photo_tile_follows_its_sizes_until_they_are_made(client, seeker, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    lot = LotFactory(site=seeker.site)
    photo = lot_photo_add(actor=seeker, lot=lot, upload=photo_upload(), alt_text="A desk")
    client.force_login(seeker.user)
    tile_url = reverse("lots:photo_tile", args=[lot.pk, photo.pk])
    # while the sizes are being made, the photo page and the lot page ask again
    photos = client.get(reverse("lots:photos", args=[lot.pk])).content.decode()
    assert f'hx-get="{tile_url}?every=1"' in photos
    assert "Preparing the photos" in status_region(photos, "photos-status")
    detail = client.get(reverse("lots:detail", args=[lot.pk])).content.decode()
    assert "?part=gallery" in detail
    assert client.get(tile_url, {"every": "1"}).status_code == 204
    gallery_poll = {"part": "gallery", "every": "1"}
    assert client.get(reverse("lots:detail", args=[lot.pk]), gallery_poll).status_code == 204
    # once made, the tile shows the thumbnail, and the status region says so
    assert lot_photo_process(photo_id=photo.pk)
    tile = client.get(tile_url, {"every": "1"}).content.decode()
    assert "<img" in tile and "hx-get" not in tile
    assert "Photo 1 is ready." in status_region(tile, "photos-status")
    gallery = client.get(reverse("lots:detail", args=[lot.pk]), gallery_poll)
    assert gallery.status_code == 200
    assert "<img" in gallery.content.decode()
    assert "The photos are ready." in status_region(gallery.content.decode(), "gallery-status")


def _report_job(member) -> ReportJob:
    """This year's report in CSV, asked for by ``member`` and not built yet."""
    return ReportJob.objects.create(
        requested_by=member.user,
        organisation=member.organisation,
        year=timezone.localdate().year,
        file_format="csv",
        language="en",
    )


def test_the_report_job_page_shows_the_download_once_built(client, seeker):
    job = _report_job(seeker)
    client.force_login(seeker.user)
    url = reverse("impact:report-job", args=[job.pk])
    page = client.get(url).content.decode()
    assert "Still preparing your report" in status_region(page, "report-job-status")
    assert f'hx-get="{url}?part=job&amp;every=1"' in page
    assert client.get(url, {"part": "job", "every": "1"}).status_code == 204
    # when the job is done
    ReportJob.objects.filter(pk=job.pk).update(status=ReportJob.Status.READY)
    part = client.get(url, {"part": "job", "every": "1"}).content.decode()
    assert reverse("impact:report-job-download", args=[job.pk]) in part
    assert "The report is built" in status_region(part, "report-job-status")


def _waiting(minutes: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(minutes=minutes)


@pytest.mark.parametrize("part", ["matches", "photo tile", "gallery", "report"])
def test_a_page_that_waits_long_asks_less_often_and_says_the_wait_is_longer_than_usual(
    client, seeker, settings, tmp_path, part
):
    # given work that a page waits for, sent a while ago and not yet done (a broker down)
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    client.force_login(seeker.user)
    lot = LotFactory(site=seeker.site)
    if part == "matches":
        wanted = wanted_for(seeker, Category.objects.get(code="desk"))
        started = WantedRequest.objects.filter(pk=wanted.pk)
        page_url = poll_url = reverse("matching:matches", args=[wanted.pk])
        poll, status_id, usual = {"part": "matches"}, "matches-status", 2
    elif part == "report":
        job = _report_job(seeker)
        started = ReportJob.objects.filter(pk=job.pk)
        page_url = poll_url = reverse("impact:report-job", args=[job.pk])
        poll, status_id, usual = {"part": "job"}, "report-job-status", 5  # "a minute or two"
    else:
        photo = lot_photo_add(actor=seeker, lot=lot, upload=photo_upload(), alt_text="A desk")
        started = type(photo).objects.filter(pk=photo.pk)
        if part == "photo tile":
            page_url = reverse("lots:photos", args=[lot.pk])
            poll_url = reverse("lots:photo_tile", args=[lot.pk, photo.pk])
            poll, status_id = {}, "photos-status"
        else:
            page_url = poll_url = reverse("lots:detail", args=[lot.pk])
            poll, status_id = {"part": "gallery"}, "gallery-status"
        usual = 2
    field = "updated_at" if part == "matches" else "created_at"

    def waited(minutes):
        started.update(**{field: _waiting(minutes)})

    # when it has waited a minute, the page asks every 5 seconds, not every second
    waited(1)
    page = client.get(page_url).content.decode()
    assert 'hx-trigger="every 5s"' in page and "every=5" in page
    assert "longer than usual" not in status_region(page, status_id)
    # and an element that still asks every second is given the part at the new pace
    answer = client.get(poll_url, {**poll, "every": "1"})
    assert answer.status_code == 200
    assert 'hx-trigger="every 5s"' in answer.content.decode()
    assert client.get(poll_url, {**poll, "every": "5"}).status_code == 204

    # when it has waited longer than usual, every 30 seconds, and the status region says so
    waited(usual + 1)
    answer = client.get(poll_url, {**poll, "every": "5"}).content.decode()
    assert 'hx-trigger="every 30s"' in answer
    assert "This is taking longer than usual." in status_region(answer, status_id)
    # the sentence names the pace the page keeps
    said = re.search(r"every (\d+) seconds", status_region(answer, status_id))
    asked = re.search(r'hx-trigger="every (\d+)s"', answer)
    assert said is not None and said.group(1) == asked.group(1)
    assert client.get(poll_url, {**poll, "every": "30"}).status_code == 204
    page = client.get(page_url).content.decode()
    assert 'hx-trigger="every 30s"' in page
    assert "This is taking longer than usual." in status_region(page, status_id)
