"""A working day of each of the three people the platform is for, at a desk (1280 px)
and on a phone (390 px), with the demo's organisations and people, each in their own
language: the logistics officer of FPS Demo Logistics (``fed.admin``, Dutch), the
social-economy enterprise Kringwinkel Demo (``social.member``, Dutch) and the analyst
(``analyst``, German).

On every page they see: axe-core finds no serious or critical violation, nothing scrolls
sideways at 390 px, and a screenshot is saved under var/screenshots/ (checks.py). Where
background work finishes while a page is open (photo tiles, a wanted request's matches,
a report being built), the page shows it without being reloaded."""

import contextlib
import datetime
import io
import re
import shutil

import pytest
from django.test import override_settings
from django.utils import timezone, translation
from PIL import Image

from devtools.demo.seed import demo_seed
from exchange.categories.models import Category
from exchange.celery import app as celery_app
from exchange.claims.models import Claim
from exchange.claims.services import claim_approve, claim_create
from exchange.claims.talk import claim_message_post
from exchange.lots.models import Lot
from exchange.organisations.models import Membership
from tests.browser.checks import DESKTOP_WIDTH, PHONE_WIDTH, NoReload, PageChecks
from tests.conftest import worker_thread
from tests.support.snapshot import DatabaseSnapshot

# One worker runs the day journeys (xdist_group): it seeds the demo once for all six.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.browser,
    pytest.mark.xdist_group("journeys"),
]

WIDTHS = [pytest.param(DESKTOP_WIDTH, id="desk"), pytest.param(PHONE_WIDTH, id="phone")]


class Words:
    """The words a person reads on screen, in their language: ``words("Publish")``
    translates the English text of the code through the project's own catalogues."""

    def __init__(self, language: str):
        self.language = language

    def __call__(self, text: str, **values) -> str:
        with translation.override(self.language):
            translated = translation.gettext(text)
        return translated % values if values else translated

    def literal(self, text: str, **values) -> str:
        """A text that a template's {% translate %} holds with its placeholders written
        out (a script fills them in): its catalogue entry doubles the %."""
        with translation.override(self.language):
            translated = translation.gettext(text.replace("%", "%%")).replace("%%", "%")
        return translated % values

    def field(self, text: str) -> re.Pattern:
        """A field's label, whatever follows it (the mark of a required field)."""
        return re.compile(rf"^{re.escape(self(text))}(\s*\*?\s*\([^)]*\))?$")

    def plural(self, singular: str, plural: str, count: int, **values) -> str:
        with translation.override(self.language):
            translated = translation.ngettext(singular, plural, count)
        return translated % {"counter": count, **values}


@pytest.fixture(scope="session")
def demo_seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo seeded once in this test process, kept as the rows of the database and
    the files of its photos (tests/support/snapshot.py); the database is then put back
    as it was, for the tests that run next."""
    files = tmp_path_factory.mktemp("demo")
    with (
        django_db_blocker.unblock(),
        override_settings(
            DEMO_PASSWORD="demo",
            MEDIA_ROOT=files / "media",
            PRIVATE_MEDIA_ROOT=files / "private",
        ),
    ):
        before = DatabaseSnapshot.take()
        seeded = demo_seed()
        after = DatabaseSnapshot.take()
        before.restore()
    return seeded, after, files


@pytest.fixture
def demo(demo_seeded, settings, _media_root, transactional_db):
    """The demo's organisations, people, catalogue and two years of history, as seeding
    leaves them (its rows and photo files, restored); the jobs that seeding queued
    (matching every demo lot) are not this day's and go."""
    settings.DEMO_PASSWORD = "demo"
    seeded, rows, files = demo_seeded
    rows.restore()
    for folder, setting in (("media", "MEDIA_ROOT"), ("private", "PRIVATE_MEDIA_ROOT")):
        if (files / folder).exists():
            shutil.copytree(files / folder, getattr(settings, setting), dirs_exist_ok=True)
    celery_app.control.purge()
    return seeded


@pytest.fixture
def worker(demo):
    """worker() starts the Celery worker (a thread of this process) at the moment the
    journey wants its background work done, so that a page is seen before the job ran
    and then, unreloaded, after it; it runs on until the test ends."""
    running = contextlib.ExitStack()
    started = []

    def start() -> None:
        if not started:
            started.append(True)
            running.enter_context(worker_thread())

    yield start
    running.close()


@pytest.fixture
def day(browser, live_server, demo):
    """day(username, width, checks) -> (page, words): that demo person signed in (the
    sign-in page checked too), in their language, in a window of that width."""
    contexts = []

    def start(username: str, width: int, checks: PageChecks):
        membership_user = next(u for u in demo["users"] if u.username == username)
        words = Words(membership_user.language)
        context = browser.new_context(
            base_url=live_server.url,
            locale=membership_user.language,
            viewport={"width": width, "height": 900 if width > PHONE_WIDTH else 844},
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto("/accounts/login/")
        checks(page, "sign in")
        page.get_by_label(words("Username")).fill(username)
        page.get_by_label(words("Password")).fill("demo")
        page.get_by_label(words("Password")).press("Enter")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        return page, words

    yield start
    for context in contexts:
        context.close()


def _photo(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), colour).save(out, format="JPEG", quality=80)
    return out.getvalue()


def _category(code: str) -> Category:
    return Category.objects.get(code=code)


def _membership(username: str) -> Membership:
    return Membership.objects.select_related("organisation", "user").get(user__username=username)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_day_of_the_federal_logistics_officer(day, width, worker):
    # given a claim of Kringwinkel Demo on our filing cabinets, with a question
    officer = _membership("fed.admin")
    enterprise = _membership("social.member")
    cabinets = Lot.objects.get(title="Ladeblokken op wieltjes")
    claim = claim_create(actor=enterprise, lot=cabinets, quantity=6, note="Voor de winkel")
    claim_message_post(
        actor=enterprise,
        claim=claim,
        body="Kunnen we ze vrijdagochtend ophalen met een bestelwagen?",
    )
    checks = PageChecks("officer", width)
    page, words = day("fed.admin", width, checks)
    checks(page, "home")

    # when she posts a lot of office chairs
    site = officer.organisation.sites.get(name="Headquarters")
    page.goto("/lots/new/")
    checks(page, "post a lot")
    page.get_by_label(words.field("Title")).fill("Vergaderstoelen, blauw")
    page.get_by_label(words.field("Category")).select_option(str(_category("office-chair").pk))
    page.get_by_label(words.field("Quantity")).fill("16")
    page.get_by_label(words.field("Condition")).select_option("good")
    page.get_by_label(words("Pickup site")).select_option(str(site.pk))
    until = timezone.localdate() + datetime.timedelta(days=45)
    page.get_by_label(words("Available until")).fill(until.isoformat())
    page.get_by_role("button", name=words("Save as draft")).click()
    page.wait_for_url(re.compile(r"/lots/\d+/$"))
    chairs = Lot.objects.get(title="Vergaderstoelen, blauw")
    checks(page, "draft lot")

    # and adds two photos: their tiles appear, then their thumbnails, on the same page
    page.goto(f"/lots/{chairs.pk}/photos/")
    checks(page, "photos, none yet")
    same_page = NoReload(page)
    page.get_by_label(words.field("Photos")).set_input_files(
        [
            {"name": "stoel-voor.jpg", "mimeType": "image/jpeg", "buffer": _photo((30, 60, 160))},
            {"name": "stoel-zij.jpg", "mimeType": "image/jpeg", "buffer": _photo((40, 80, 180))},
        ]
    )
    page.get_by_label(words.literal("Description of %(name)s", name="stoel-voor.jpg")).fill(
        "Blauwe vergaderstoel, vooraanzicht"
    )
    page.get_by_label(words.literal("Description of %(name)s", name="stoel-zij.jpg")).fill(
        "Blauwe vergaderstoel, zijaanzicht"
    )
    page.get_by_role("button", name=words("Upload")).click()
    page.locator("#photo-list .photo-item").nth(1).wait_for()
    assert "zijaanzicht" in page.locator("#photo-list").inner_text()
    assert same_page.holds()
    assert page.locator("#photo-list img").count() == 0  # no job has made a thumbnail yet
    checks(page, "photos, uploaded")
    worker()
    checks.shows_in_place(same_page, page.locator("#photo-list img").nth(1), "photo thumbnails")
    checks(page, "photos, thumbnails")

    # and publishes it
    page.goto(f"/lots/{chairs.pk}/")
    page.get_by_role("button", name=words("Publish"), exact=True).click()
    page.locator(".owner-panel .status-published").wait_for()
    chairs.refresh_from_db()
    assert chairs.status == "published"
    checks(page, "published lot")

    # when she posts an IT lot of laptops that lists its devices
    page.goto("/lots/new/")
    page.get_by_label(words.field("Title")).fill("Laptops EliteBook 840 (gewist)")
    page.get_by_label(words.field("Category")).select_option(str(_category("laptop").pk))
    page.get_by_label(words.field("Quantity")).fill("3")
    page.get_by_label(words.field("Condition")).select_option("good")
    page.get_by_label(words("Pickup site")).select_option(str(site.pk))
    page.get_by_label(words("Available until")).fill(until.isoformat())
    page.get_by_label(words("Serial numbers and asset tags")).fill(
        "5CG1230AB1;FOD-0001\n5CG1230AB2;FOD-0002\n5CG1230AB3;FOD-0003"
    )
    page.get_by_role("button", name=words("Save as draft")).click()
    page.wait_for_url(re.compile(r"/lots/\d+/$"))
    laptops = Lot.objects.get(title="Laptops EliteBook 840 (gewist)")

    # then its sanitisation page names every missing record from the start
    page.goto(f"/lots/{laptops.pk}/sanitisation/")
    missing = page.get_by_role("region", name=words("Still missing")).inner_text()
    checks.expect(
        all(f"5CG1230AB{n}" in missing for n in (1, 2, 3)),
        f"the IT lot's missing list does not name the devices' erasure records: {missing!r}",
    )
    checks(page, "sanitisation, nothing yet")

    # when she attests the purge and uploads the erasure tool's report
    page.get_by_label(words.field("Method")).select_option("purge")
    page.get_by_label(words("Date of the sanitisation")).fill(
        (timezone.localdate() - datetime.timedelta(days=2)).isoformat()
    )
    page.get_by_label(words("Person responsible")).fill("An Peeters")
    page.get_by_role("button", name=words("Save the attestation")).click()
    page.wait_for_load_state("load")
    report = (
        "serial number,asset tag,model,media type,method,tool,verified,operator,date\n"
        + "".join(
            f"5CG1230AB{n},FOD-000{n},HP EliteBook 840,SSD,NIST 800-88 Purge,Blancco 7.2,"
            f"passed,IT-dienst,{(timezone.localdate() - datetime.timedelta(days=2)).isoformat()}\n"
            for n in (1, 2, 3)
        )
    )
    page.get_by_label(words("Erasure report (CSV)")).set_input_files(
        {"name": "blancco.csv", "mimeType": "text/csv", "buffer": report.encode()}
    )
    page.get_by_role("button", name=words("Record the erasures")).click()
    page.get_by_text(words("Nothing: the sanitisation is complete.")).wait_for()
    checks(page, "sanitisation complete")

    # and publishes the laptops
    page.goto(f"/lots/{laptops.pk}/")
    page.get_by_role("button", name=words("Publish"), exact=True).click()
    page.locator(".owner-panel .status-published").wait_for()
    laptops.refresh_from_db()
    assert laptops.status == "published"
    checks(page, "published laptops")

    # when she imports a spreadsheet of three lots, checking it first
    page.goto("/lots/import/")
    checks(page, "import")
    sheet = (
        "title,category,quantity,condition,available_until,site\n"
        f"Archiefkasten grijs,cabinet,8,good,{until.isoformat()},{site.name}\n"
        f"Bureaus 140x80,desk,12,fair,{until.isoformat()},{site.name}\n"
        f"Schermen 22 inch,monitor,20,good,{until.isoformat()},{site.name}\n"
    ).encode()
    upload = {"name": "verdieping-3.csv", "mimeType": "text/csv", "buffer": sheet}
    page.get_by_label(words("Spreadsheet (CSV or XLSX)")).set_input_files(upload)
    page.get_by_role("button", name=words("Check only (dry run)")).click()
    page.get_by_role("heading", name=words("Report")).wait_for()
    checks(page, "import checked")

    # and imports the checked file without choosing it again
    page.get_by_role(
        "button",
        name=words.plural(
            "Import the checked file (%(counter)s lot)",
            "Import the checked file (%(counter)s lots)",
            3,
        ),
    ).click()
    page.wait_for_url(re.compile(r"/lots/mine/\?status=draft$"))
    imported = Lot.objects.filter(
        title__in=["Archiefkasten grijs", "Bureaus 140x80", "Schermen 22 inch"], status="draft"
    )
    assert imported.count() == 3
    checks(page, "my lots after the import")

    # and publishes the three drafts in one step, from her drafts shown after the import
    for lot in imported:
        page.get_by_role(
            "checkbox", name=words("Select “%(title)s” to publish", title=lot.title)
        ).check()
    checks(page, "my drafts, chosen")
    page.get_by_role("button", name=words("Publish selected")).click()
    page.wait_for_url(re.compile(r"/lots/mine/$"))
    assert not Lot.objects.filter(pk__in=[lot.pk for lot in imported], status="draft").exists()
    checks(page, "my lots, all published")

    # when she opens the notification of the enterprise's question
    page.goto("/notifications/")
    checks(page, "notifications")
    page.get_by_role(
        "link", name=words("New message about your claim on %(lot)s", lot=cabinets.title)
    ).click()
    page.wait_for_url(re.compile(rf"/claims/{claim.pk}/"))
    assert "vrijdagochtend" in page.get_by_role("region", name=words("Conversation")).inner_text()
    checks(page, "claim with a question")

    # and approves it, answers the question and records the handover of 6 cabinets
    page.get_by_role("button", name=re.compile(words("Approve"))).first.click()
    page.wait_for_load_state("load")
    page.get_by_label(words("Your message")).fill("Vrijdag vanaf 9 uur aan dok 2, graag.")
    page.get_by_role("button", name=words("Send the message")).click()
    page.get_by_text("Vrijdag vanaf 9 uur aan dok 2, graag.").wait_for()
    checks(page, "claim answered")
    handover = page.locator(f"form[action='/claims/{claim.pk}/collect/']")
    handover.get_by_label(words("Collected quantity")).fill("6")
    handover.get_by_role("button").click()
    page.wait_for_load_state("load")
    claim.refresh_from_db()
    assert (claim.status, claim.collected_quantity) == ("collected", 6)
    checks(page, "handover recorded")
    page.goto("/claims/inbox/")
    checks(page, "claims on our lots")

    checks.assert_clean()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_day_of_the_social_economy_enterprise(day, width, worker):
    checks = PageChecks("enterprise", width)
    page, words = day("social.member", width, checks)
    checks(page, "home")

    # when she looks through what her enterprise may claim now
    page.goto("/lots/?claimable=on")
    checks(page, "catalogue, claimable now")
    assert page.locator("main article, main .lot-card").count() > 0

    # when she asks for 10 filing cabinets within 100 km of the Antwerp shop
    page.goto("/wanted/new/")
    checks(page, "new wanted request")
    page.get_by_label(words.field("Category")).select_option(str(_category("cabinet").pk))
    page.get_by_label(words.field("Quantity")).fill("10")
    shop = _membership("social.member").organisation.sites.get(name="Antwerp shop")
    page.get_by_label(words.field("Site")).select_option(str(shop.pk))
    page.get_by_label(words("Maximum distance (km)")).fill("100")
    page.get_by_label(words("Valid until")).fill(
        (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    )
    page.get_by_role("button", name=words("Save and find lots")).click()
    page.wait_for_url(re.compile(r"/wanted/\d+/matches/$"))
    same_page = NoReload(page)
    first_match = page.locator(".match-card").first
    assert first_match.count() == 0  # the search has not run yet
    checks(page, "matches, still searching")

    # then the matches page fills in itself once the search ran
    worker()
    checks.shows_in_place(same_page, first_match, "matches of the new request")
    checks(page, "matches")

    # when she claims from the best match
    first_match.get_by_role("button", name=re.compile(words("Claim"))).click()
    page.wait_for_url(re.compile(r"/claims/\d+/$"))
    claim = Claim.objects.get(pk=int(page.url.rstrip("/").rsplit("/", 1)[1]))
    assert claim.claimant.name == "Kringwinkel Demo"
    checks(page, "claim made")

    # and, once the donor approved it, proposes a pickup slot and writes a message
    claim_approve(
        actor=Membership.objects.filter(organisation=claim.lot.owner).first(), claim=claim
    )
    page.reload()
    slot = timezone.localtime() + datetime.timedelta(days=3)
    page.get_by_label(words("Proposed pickup slot")).fill(slot.strftime("%Y-%m-%dT10:00"))
    page.get_by_role("button", name=words("Propose this slot")).click()
    page.wait_for_load_state("load")
    checks(page, "slot proposed")
    page.get_by_label(words("Your message")).fill("We komen met een bestelwagen van 3,5 ton.")
    page.get_by_role("button", name=words("Send the message")).click()
    page.get_by_text("We komen met een bestelwagen van 3,5 ton.").wait_for()
    checks(page, "message written")

    page.goto("/claims/")
    checks(page, "my claims")
    checks.assert_clean()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_day_of_the_analyst(day, width, settings, worker, tmp_path):
    settings.EXCHANGE_REPORT_SYNC_LIMIT = 1  # every report is built in the background
    checks = PageChecks("analyst", width)
    page, words = day("analyst", width, checks)
    checks(page, "home")

    # when he opens the statistics: headline figures, charts with their tables in figures
    page.goto("/stats/")
    checks(page, "dashboard")
    main = page.get_by_role("main")
    assert main.get_by_role("table", name=words("Weight per month, in figures")).is_visible()

    # and narrows them to IT of the year before
    year = timezone.localdate().year - 1
    page.get_by_label(words.field("Year")).select_option(str(year))
    page.get_by_label(words.field("Category")).select_option("it")
    page.get_by_role("button", name=words("Show the figures")).click()
    page.wait_for_url(re.compile(r"category="))
    assert getattr(_category("laptop"), f"name_{words.language}") in main.inner_text()
    checks(page, "dashboard, IT of last year")

    report_link = page.locator("a[href^='/stats/report/'][href$='.xlsx']").first
    report_link.click()
    page.wait_for_url(re.compile(r"/stats/reports/\d+/$"))
    same_page = NoReload(page)
    download_link = page.locator("a[href$='/download/']")
    assert download_link.count() == 0  # the job has not run yet
    checks(page, "report being built")
    worker()
    checks.shows_in_place(same_page, download_link, "the report's download link")
    checks(page, "report ready")
    with page.expect_download() as download:
        download_link.click()
    path = tmp_path / "report.xlsx"
    download.value.save_as(path)
    assert path.read_bytes()[:2] == b"PK"
    checks.assert_clean()
