"""Every page on a phone (390 px wide) and on a desktop (1280 px): nothing scrolls sideways,
tables become stacked cards on the phone whose labels break between words in every
language, never inside one, the menu folds behind a button that works with
the keyboard, and the catalogue shows its results first with the filters behind a button.

The pages are those of each kind of person: the public, an officer of a federal service
(an organisation admin), a social-economy enterprise, an analyst, a moderator and a member
of the admin site's staff. Set EXCHANGE_SCREENSHOT_DIR to keep a screenshot of each page at
both widths."""

import datetime
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from exchange.categories.models import Category
from exchange.claims.services import claim_approve, claim_collect, claim_create
from exchange.claims.talk import claim_message_post
from exchange.impact.services.records import impact_record_for_claim
from exchange.matching.services.wanted import WantedInput, wanted_create
from exchange.organisations.models import MembershipRole
from tests.factories import LotFactory, OrganisationFactory, SiteFactory, UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.browser,
    pytest.mark.xdist_group("phones"),
]

PHONE, DESKTOP = 390, 1280
PASSWORD = "correct horse battery"
# A word that does not break by itself: a page that lets it push the layout scrolls.
LONG_TITLE = "Kantoorbureaustoelen-met-hoofdsteun-en-verstelbare-armleuningen (zwart)"

# Scrolling boxes whose content is wider than they are: a table in its own scroll box
# hides its columns just as a page that scrolls sideways does. Left alone: the code
# examples of the API documentation, and the admin site's lists of rows, which Django's
# admin scrolls in their own box by design (its pages themselves do not scroll).
SIDEWAYS_BOXES = """() => [...document.querySelectorAll('body *')].filter((element) => {
  const style = getComputedStyle(element);
  const left_alone = '.swagger-ui pre, .swagger-ui .highlight-code, #changelist .results';
  return ['auto', 'scroll'].includes(style.overflowX)
    && element.scrollWidth > element.clientWidth + 1
    && element.getClientRects().length && !element.closest(left_alone);
}).map((box) => `${box.tagName.toLowerCase()}.${box.className} ${box.scrollWidth}px`)"""


# Each label of a card (td[data-label]::before) against the widest word it holds, measured
# in the label's own font: a label narrower than one of its words breaks inside it.
BROKEN_LABEL_WORDS = """() => {
  const pen = document.createElement('canvas').getContext('2d');
  return [...document.querySelectorAll('main table.stack td[data-label]')].flatMap((cell) => {
    const label = getComputedStyle(cell, '::before');
    if (label.display === 'none' || !cell.getClientRects().length) return [];
    pen.font = `${label.fontWeight} ${label.fontSize} ${label.fontFamily}`;
    const room = parseFloat(label.width);
    return cell.dataset.label.split(/[\\s\\u00ad]+|(?<=-)/)  // soft and hard hyphens break too
      .filter((word) => pen.measureText(word).width > room + 0.5)
      .map((word) => `${word} (${Math.round(pen.measureText(word).width)}px in ${room}px)`);
  });
}"""


@pytest.fixture
def world(make_member, moderator, categories):
    """A federal service with lots and claims on them, a social-economy enterprise that
    claimed and says what it needs, an analyst, a moderator with work waiting, staff."""
    officer = make_member(MembershipRole.ADMIN, kind="federal", name="FPS Alpha")
    officer.phone = "+32 2 555 01 23"
    officer.save(update_fields=["phone"])
    site = SiteFactory(organisation=officer.organisation, name="Alpha HQ")
    published = LotFactory(
        site=site,
        published=True,
        published_at=timezone.now() - datetime.timedelta(days=12),
        title=LONG_TITLE,
        quantity=20,
    )
    LotFactory(site=site, published=True, title="Monitors 24 inch")
    laptops = LotFactory(
        site=site, category=Category.objects.get(code="laptop"), title="Laptops, erased"
    )
    enterprise = make_member(MembershipRole.ADMIN, social_economy=True, name="Kringwinkel Noord")
    enterprise_site = SiteFactory(organisation=enterprise.organisation, name="Workshop")
    claim = claim_create(actor=enterprise, lot=published, quantity=5, note="For our shop")
    claim_approve(actor=officer, claim=claim)
    claim_message_post(actor=enterprise, claim=claim, body="Can we come on Tuesday morning?")
    # a handover already recorded: the statistics have figures, in tables
    handed_over = claim_approve(
        actor=officer, claim=claim_create(actor=enterprise, lot=published, quantity=3)
    )
    claim_collect(actor=officer, claim=handed_over, quantity=3)
    impact_record_for_claim(claim_id=handed_over.pk)
    wanted_create(
        actor=enterprise,
        data=WantedInput(
            category=Category.objects.get(code="desk"),
            quantity=10,
            site=enterprise_site,
            max_distance_km=50,
            valid_until=timezone.localdate() + datetime.timedelta(days=60),
        ),
    )
    analyst = UserFactory(username="analyst")
    analyst.groups.add(Group.objects.get_or_create(name="analyst")[0])
    waiting = OrganisationFactory(unverified=True, name="Gemeente Voorbeeld", kind="public")
    staff = UserFactory(username="staff", is_staff=True, is_superuser=True)
    officer_org, enterprise_org = officer.organisation_id, enterprise.organisation_id
    public = [
        "/",
        "/lots/",
        f"/lots/{published.pk}/",
        "/open-data/",
        "/verify/",
        "/api/docs/",
        "/no-such-page/",  # the 404 page
        "/organisations/invitations/not-a-link/",
        "/verify/ABCDEFGHJKMN/",
    ]
    account = [
        "/accounts/",
        "/accounts/tokens/",
        "/accounts/email/",
        "/accounts/password/change/",
        "/accounts/2fa/",
        "/notifications/",
    ]
    return {
        "public": (
            None,
            [*public, "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"],
        ),
        "federal officer": (
            officer.user,
            [
                *public,
                *account,
                "/lots/mine/",
                "/lots/new/",
                "/lots/import/",
                f"/lots/{laptops.pk}/",
                f"/lots/{laptops.pk}/edit/",
                f"/lots/{laptops.pk}/photos/",
                f"/lots/{laptops.pk}/sanitisation/",
                "/claims/",
                "/claims/inbox/",
                f"/claims/{claim.pk}/",
                "/wanted/",
                "/wanted/new/",
                "/reuse-checks/",
                "/reuse-checks/new/",
                "/stats/",
                f"/organisations/{officer_org}/",
                f"/organisations/{officer_org}/edit/",
                "/organisations/register/",
            ],
        ),
        "social-economy enterprise": (
            enterprise.user,
            [
                *public,
                *account,
                "/lots/mine/",
                "/claims/",
                "/claims/inbox/",
                f"/claims/{claim.pk}/",
                f"/claims/new/{published.pk}/",
                "/wanted/",
                "/wanted/notifications/",
                f"/wanted/{enterprise.organisation.wanted_requests.get().pk}/matches/",
                "/stats/",
                f"/organisations/{enterprise_org}/",
            ],
        ),
        "analyst": (analyst, [*public, *account, "/stats/"]),
        "moderator": (
            moderator,
            [
                *public,
                "/organisations/verification/",
                f"/organisations/{waiting.pk}/",
                "/admin/",  # the 403 page: a moderator is not admin-site staff
            ],
        ),
        "admin site staff": (
            staff,
            ["/admin/", "/admin/claims/claim/", f"/admin/claims/claim/{claim.pk}/change/"],
        ),
    }


def _signed_in(browser, live_server, user, width, state=None):
    """A browser context at ``width`` and its page, signed in as ``user`` (nobody: None),
    or with the cookies of ``state`` (a signed-in context's storage_state)."""
    context = browser.new_context(
        base_url=live_server.url,
        locale="en",
        viewport={"width": width, "height": 844},
        storage_state=state,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    if user is not None and state is None:
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return context, page


def _screenshot(page, who, path, width):
    folder = os.environ.get("EXCHANGE_SCREENSHOT_DIR")
    if folder:
        name = f"{width}-{who.replace(' ', '-')}{path.replace('/', '_')}.png"
        page.screenshot(path=str(Path(folder) / name), full_page=True)


# The people who read pages of cards in the languages of long words (English has none
# longer than a label).
CARD_READERS = ("federal officer", "social-economy enterprise")
CARD_LANGUAGES = ("nl", "de", "fr")
CARD_CELLS = "main table.stack td[data-label]"


@dataclass
class Walk:
    """What one walk through every page found, for the tests to assert each their own
    part of: per width, the pages that answered a server error, scrolled sideways, or
    showed (phone) or hid (desktop) a table's header row; the pages of cards of each
    card reader, and their labels broken inside a word in any of the languages."""

    server_errors: dict = field(default_factory=lambda: {PHONE: [], DESKTOP: []})
    wide: dict = field(default_factory=lambda: {PHONE: [], DESKTOP: []})
    headers: dict = field(default_factory=lambda: {PHONE: [], DESKTOP: []})
    card_pages: dict = field(default_factory=dict)
    broken: list = field(default_factory=list)


def _read(page, walk, who, path, width):
    """One page at ``width``: its answer, its width and scrolling boxes, its tables."""
    answer = page.goto(path)
    if answer.status >= 500:
        walk.server_errors[width].append(f"{who} {path}: {answer.status}")
    if path == "/api/docs/":
        page.locator(".swagger-ui .info .title").wait_for()
    page_width = page.evaluate("document.documentElement.scrollWidth")
    boxes = page.evaluate(SIDEWAYS_BOXES)
    if page_width > width or boxes:
        walk.wide[width].append(f"{who} {path}: page {page_width}px, {boxes}")
    headers = page.locator("main table.stack thead")
    if headers.count():
        # on a phone the rows are cards (the header row hidden), on a desktop a table
        shown = headers.first.evaluate("head => head.getBoundingClientRect().height > 1")
        if shown != (width == DESKTOP):
            walk.headers[width].append(f"{who} {path}: header row {'shown' if shown else 'hidden'}")
    if width == PHONE and who in CARD_READERS and page.locator(CARD_CELLS).count():
        walk.card_pages.setdefault(who, []).append(path)
    _screenshot(page, who, path, width)


def _walk(browser, live_server, world) -> Walk:
    """Every page of every kind of person, in English on a phone and on a desktop (one
    sign-in, its cookies reused at the other width); then each card reader's pages of
    cards on a phone in each language of long words: a page shows cards or not whatever
    its language, so the pages without any are not read three times more."""
    walk = Walk()
    for who, (user, paths) in world.items():
        context, page = _signed_in(browser, live_server, user, PHONE)
        for path in paths:
            _read(page, walk, who, path, PHONE)
        state = context.storage_state() if user is not None else None
        desktop, desktop_page = _signed_in(browser, live_server, user, DESKTOP, state)
        for path in paths:
            _read(desktop_page, walk, who, path, DESKTOP)
        desktop.close()
        if who in CARD_READERS:
            for language in CARD_LANGUAGES:
                user.language = language
                user.save(update_fields=["language"])
                for path in walk.card_pages.get(who, []):
                    page.goto(path)
                    found = page.evaluate(BROKEN_LABEL_WORDS)
                    walk.broken += [f"{who} {language} {path}: {word}" for word in found]
        context.close()
    return walk


# One walk per test process: the tests of this module run on one worker (xdist_group),
# and each of the three that read every page asserts its own part of the same walk.
_WALKS: dict[str, Walk] = {}


@pytest.fixture
def walk(request) -> Walk:
    """The walk through every page: made by the first test that asks for it (in its own
    database and live server), read by the others."""
    if "walk" not in _WALKS:
        _WALKS["walk"] = _walk(
            request.getfixturevalue("browser"),
            request.getfixturevalue("live_server"),
            request.getfixturevalue("world"),
        )
    return _WALKS["walk"]


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_no_page_scrolls_sideways(walk, width):
    # every page of every kind of person answers, without a server error
    assert walk.server_errors[width] == []
    # no page is wider than the screen, nor hides a wide table in a scrolling box
    assert walk.wide[width] == []
    # tables of cards: on a phone the rows are cards (no header row), on a desktop a table
    assert walk.headers[width] == []


def test_the_menu_folds_behind_a_button_on_a_phone(browser, live_server, world):
    user, _paths = world["federal officer"]
    context, page = _signed_in(browser, live_server, user, PHONE)
    page.goto("/claims/")
    menu_button = page.get_by_role("button", name="Menu")
    my_lots = page.get_by_role("navigation", name="Main").get_by_role("link", name="My lots")

    # the header holds the brand and the button only: the page starts at once
    assert my_lots.is_hidden()
    assert page.get_by_label("Language").is_hidden()
    assert page.locator("main h1").bounding_box()["y"] < 150
    assert menu_button.get_attribute("aria-expanded") == "false"

    # opened with the keyboard, the menu shows every entry, the language and the account
    menu_button.focus()
    page.keyboard.press("Enter")
    assert menu_button.get_attribute("aria-expanded") == "true"
    assert my_lots.is_visible()
    assert page.get_by_label("Language").is_visible()
    assert page.get_by_role("button", name="Log out").is_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "language-select"

    # Escape closes it and gives the focus back to the button
    page.keyboard.press("Escape")
    assert my_lots.is_hidden()
    assert menu_button.get_attribute("aria-expanded") == "false"
    assert page.evaluate("document.activeElement.getAttribute('aria-controls')") == (
        "site-menu language-switch"
    )

    # following a link from the open menu
    menu_button.click()
    my_lots.click()
    page.wait_for_url("**/lots/mine/")
    context.close()

    # on a desktop the menu is simply there, without a button
    context, page = _signed_in(browser, live_server, user, DESKTOP)
    page.goto("/claims/")
    assert page.get_by_role("button", name="Menu").is_hidden()
    assert (
        page.get_by_role("navigation", name="Main").get_by_role("link", name="My lots").is_visible()
    )
    context.close()


def test_the_catalogue_shows_results_first_on_a_phone(browser, live_server, world):
    user, _paths = world["social-economy enterprise"]
    context, page = _signed_in(browser, live_server, user, PHONE)
    page.goto("/lots/")
    filters = page.get_by_role("search")
    first_lot = page.locator(".lot-card").first

    # the first lot starts on the first screen; the filters wait behind their button
    assert filters.is_hidden()
    assert first_lot.bounding_box()["y"] < 844
    toggle = page.get_by_role("button", name="Filters and sorting")
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    page.get_by_label("Search").fill("monitors")
    page.get_by_role("button", name="Show lots").click()

    # the answer shows the one lot found, and the button says a filter is in use
    page.wait_for_url("**/lots/?*q=monitors*")
    assert page.locator(".lot-card").count() == 1
    assert page.get_by_role("button", name="Filters (1 in use)").is_visible()
    assert filters.is_hidden()
    context.close()

    # on a desktop the filters stand beside the results, without a button
    context, page = _signed_in(browser, live_server, user, DESKTOP)
    page.goto("/lots/")
    assert page.get_by_role("search").is_visible()
    assert page.get_by_role("button", name="Filters and sorting").is_hidden()
    context.close()


def test_a_cards_labels_break_between_words_never_inside_one(walk):
    # given the officer and the enterprise, each reading their pages of cards on a phone in
    # the languages of long words (English has none longer than a label)
    assert set(walk.card_pages) == set(CARD_READERS)
    # then no label of a card is narrower than one of its words
    assert walk.broken == []
