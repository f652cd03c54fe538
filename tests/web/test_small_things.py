"""Small things that cost trust: a status that screen readers hear once, French
punctuation, when the viewer's own claim window opens, forms an unverified organisation
cannot use, and the owner's claim filter."""

import re

import pytest
from django.test import Client
from django.utils.html import strip_tags

from tests.factories import LotFactory, SiteFactory

pytestmark = pytest.mark.django_db


def words(response) -> str:
    """The page's text as a screen reader reads it (hidden text included)."""
    return re.sub(r"[ \t\n]+", " ", strip_tags(response.content.decode()))


def signed_in(membership, language="en") -> Client:
    membership.user.language = language
    membership.user.save(update_fields=["language"])
    client = Client()
    client.force_login(membership.user)
    return client


def test_the_status_of_a_lot_is_read_once_in_french_with_its_space(fed_admin, categories):
    # given the draft of a federal service, whose admin reads French
    lot = LotFactory(site=SiteFactory(organisation=fed_admin.organisation), title="Bureaux")
    client = signed_in(fed_admin, "fr")

    # when they open the lot and their list of lots
    page = words(client.get(f"/lots/{lot.pk}/"))
    mine = words(client.get("/lots/mine/"))

    # then the status is said once, with a non-breaking space before the colon
    assert "Statut\u00a0: Brouillon" in page
    assert page.count("Statut") == 1
    assert "Statut : " not in page and "Statut: " not in page
    # and in the table the column header says it: the badge does not say it again
    assert "Statut\u00a0:" not in mine


def test_catalogue_cards_tell_the_viewer_when_its_own_window_opens(make_member, categories):
    # given a lot published today by a federal service (windows of 10 and 10 days)
    import datetime

    from django.utils import formats, timezone

    owner = make_member("admin", kind="federal", name="FPS Alpha")
    lot = LotFactory(site=SiteFactory(organisation=owner.organisation), published=True)
    federal = make_member(kind="federal")
    enterprise = make_member(social_economy=True)
    municipality = make_member(kind="public")
    lapsing = make_member(social_economy=True)
    lapsing.organisation.accreditation_valid_until = timezone.localdate() + datetime.timedelta(5)
    lapsing.organisation.save(update_fields=["accreditation_valid_until"])

    def card(member) -> str:
        page = words(signed_in(member).get("/lots/"))
        assert lot.title in page
        return page

    def day(days) -> str:
        return formats.date_format(
            timezone.localtime(lot.published_at + datetime.timedelta(days=days)),
            "MONTH_DAY_FORMAT",
        )

    # then a federal service may claim now, and is told nothing more
    assert "You can claim from" not in card(federal)
    # a social-economy enterprise can claim once the federal window has closed
    assert f"You can claim from {day(10)}" in card(enterprise)
    # another public body once the social-economy window has closed too
    assert f"You can claim from {day(20)}" in card(municipality)
    # an enterprise whose accreditation lapses before then counts as a non-profit by then
    assert f"You can claim from {day(20)}" in card(lapsing)
    # and the owner is not told when it can claim its own lot
    assert "You can claim from" not in card(owner)


def test_the_owners_claim_filter_names_each_lot_once_with_its_date(make_member, categories):
    # given two lots of the same title, published on different days, one with three claims
    import datetime

    from django.utils import formats, timezone

    from exchange.claims.services import claim_create

    owner = make_member("admin", kind="federal", name="FPS Alpha")
    site = SiteFactory(organisation=owner.organisation)
    earlier = timezone.now() - datetime.timedelta(days=3)
    old = LotFactory(site=site, title="Desks", published=True, published_at=earlier)
    new = LotFactory(site=site, title="Desks", published=True)
    LotFactory(site=site, title="Chairs", published=True)  # no claim: not in the filter
    for _ in range(3):
        claim_create(actor=make_member(kind="federal"), lot=old, quantity=1)
    claim_create(actor=make_member(kind="federal"), lot=new, quantity=1)

    # when the owner opens the claims on its lots
    html = signed_in(owner).get("/claims/inbox/").content.decode()

    # then the lot filter names each claimed lot once, told apart by its date
    options = re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', html)
    lots = [(int(pk), label) for pk, label in options if label.startswith(("Desks", "Chairs"))]

    def label(lot):
        date = formats.date_format(timezone.localtime(lot.published_at), "SHORT_DATE_FORMAT")
        return f"Desks, published on {date}"

    assert lots == [(new.pk, label(new)), (old.pk, label(old))]


@pytest.mark.parametrize(
    "path", ["/lots/new/", "/lots/import/", "/wanted/new/", "/reuse-checks/new/"]
)
def test_an_unverified_organisation_sees_why_instead_of_a_form_it_cannot_use(
    make_member, categories, path
):
    # given the admin of an organisation that waits for verification, with a site
    waiting = make_member("admin", kind="public", unverified=True, name="Gemeente Wachtend")
    SiteFactory(organisation=waiting.organisation)
    client = signed_in(waiting)

    # when they open a page whose form needs a verified organisation
    response = client.get(path)
    html = response.content.decode()

    # then it says why and what to do meanwhile, with no form but the header's
    assert "A moderator still has to verify Gemeente Wachtend" in words(response)
    main = html[html.index('<main id="main"') :]
    assert '<form method="post"' not in main.split("</main>")[0]
    # and a post anyway is refused, writing nothing
    assert client.post(path, {"title": "Desks"}).status_code == 403


def test_an_unverified_organisation_is_offered_no_form_that_would_fail(make_member, categories):
    waiting = make_member("admin", kind="public", unverified=True, name="Gemeente Wachtend")
    client = signed_in(waiting)

    # the menu, the lists and the organisation's page lead to no form it cannot use
    assert "Post a lot" not in words(client.get("/"))
    assert "Import a spreadsheet" not in words(client.get("/lots/mine/"))
    assert "Say what you need" not in words(client.get("/wanted/"))
    assert "New reuse check" not in words(client.get("/reuse-checks/"))
    assert "Invite a member" not in words(client.get(f"/organisations/{waiting.organisation_id}/"))


def test_the_members_table_shows_each_members_phone(fed_admin, make_member):
    # given a member who gave a phone number and one who did not
    from exchange.organisations.models import Membership

    fed_admin.phone = "+32 2 555 01 23"
    fed_admin.save(update_fields=["phone"])
    colleague = Membership.objects.create(
        user=make_member().user, organisation=fed_admin.organisation, role="member"
    )

    # when the admin opens the organisation's page
    html = signed_in(fed_admin).get(f"/organisations/{fed_admin.organisation_id}/").content
    page = words_of(html)

    # then each member's row says their phone, or that none was given
    assert '<a href="tel:+3225550123">+32 2 555 01 23</a>' in html.decode()
    name = colleague.user.get_full_name()
    assert re.search(rf"{name} {colleague.user.email} not given Member", page)


def words_of(html: bytes) -> str:
    """The text of the page, a space between each element's."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.decode()))


def test_labels_joined_by_code_follow_french_punctuation_too():
    # the charts' tooltips, and the transfer document, join a label to its value in code
    from django.utils import translation

    from exchange.common.punctuation import labelled
    from exchange.impact.presenters.charts import ChartPoint, column_chart

    points = [ChartPoint(label="janvier 2026", value=12.0, display="12 kg")]
    with translation.override("fr"):
        chart = column_chart(chart_id="c", title="Poids", desc="Poids par mois", points=points)
        assert labelled("Numéro d’entreprise") == "Numéro d’entreprise\u00a0:"
    with translation.override("nl"):
        assert labelled("Ondernemingsnummer") == "Ondernemingsnummer:"
    assert "<title>janvier 2026\u00a0: 12 kg</title>" in chart


@pytest.mark.parametrize("language", ["nl", "fr", "de", "en"])
def test_edit_forms_come_back_with_their_dates_in_every_language(fed_admin, categories, language):
    # given a draft IT lot with a sanitisation attestation, whose owner reads `language`
    import datetime

    from django.utils import timezone

    from exchange.categories.models import Category
    from exchange.lots.models import SanitisationAttestation

    until = timezone.localdate() + datetime.timedelta(days=45)
    lot = LotFactory(
        site=SiteFactory(organisation=fed_admin.organisation),
        category=Category.objects.get(code="laptop"),
        available_until=until,
    )
    done = timezone.localdate() - datetime.timedelta(days=3)
    SanitisationAttestation.objects.create(
        lot=lot, method="purge", performed_on=done, responsible_person="A. Peeters"
    )
    client = signed_in(fed_admin, language)

    # when they open the lot's edit form and its sanitisation page
    edit = client.get(f"/lots/{lot.pk}/edit/").content.decode()
    sanitisation = client.get(f"/lots/{lot.pk}/sanitisation/").content.decode()

    # then the date pickers hold the saved dates (ISO, the only value a picker shows)
    assert re.search(rf'type="date"[^>]*value="{until.isoformat()}"', edit)
    assert re.search(rf'type="date"[^>]*value="{done.isoformat()}"', sanitisation)


LANDMARK_ROLES = {"region", "navigation", "search", "form", "complementary", "main", "banner"}
LANDMARK_TAGS = {"section": "region", "form": "form", "nav": "navigation", "aside": "complementary"}


def landmark_names(content: str) -> list[tuple[str, str]]:
    """Each named landmark of a page as (role, name): sections, forms, navigation and
    anything with a landmark role that has an accessible name (aria-labelledby resolved
    to the text of the elements it names, or aria-label)."""
    from html.parser import HTMLParser

    class Landmarks(HTMLParser):
        def __init__(self):
            super().__init__()
            self.found = []  # (role, labelledby ids, aria-label)
            self.texts = {}  # id -> its text
            self.open = []  # ids whose text is being read

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            role = attrs.get("role") or LANDMARK_TAGS.get(tag)
            if role in LANDMARK_ROLES and (attrs.get("aria-labelledby") or attrs.get("aria-label")):
                self.found.append((role, attrs.get("aria-labelledby"), attrs.get("aria-label")))
            if attrs.get("id"):
                self.texts[attrs["id"]] = ""
                self.open.append((tag, attrs["id"]))

        def handle_endtag(self, tag):
            if self.open and self.open[-1][0] == tag:
                self.open.pop()

        def handle_data(self, data):
            for _tag, element_id in self.open:
                self.texts[element_id] += data

    parser = Landmarks()
    parser.feed(content)
    return [
        (role, " ".join(" ".join(parser.texts.get(i, "").split()) for i in ids.split()))
        if ids
        else (role, label)
        for role, ids, label in parser.found
    ]


def test_every_landmark_of_an_it_lots_pages_has_a_name_of_its_own(fed_admin, categories):
    # given a laptop lot with its devices, seen by the federal service that owns it
    from exchange.categories.models import Category
    from exchange.lots.services.lots import ItemInput

    lot = LotFactory(
        site=SiteFactory(organisation=fed_admin.organisation),
        category=Category.objects.get(code="laptop"),
        quantity=2,
        items=[ItemInput(serial_number="SN-1"), ItemInput(serial_number="SN-2")],
    )
    client = signed_in(fed_admin)

    # when a screen reader lists the landmarks of the lot's page, its erasure page and
    # the import page, every landmark is told apart by its name (axe's landmark-unique)
    for url in (f"/lots/{lot.pk}/", f"/lots/{lot.pk}/sanitisation/", "/lots/import/"):
        response = client.get(url)
        assert response.status_code == 200, url
        landmarks = landmark_names(response.content.decode())
        repeated = {landmark for landmark in landmarks if landmarks.count(landmark) > 1}
        assert not repeated, (url, repeated)
        if url == f"/lots/{lot.pk}/":
            assert ("region", "Devices") in landmarks  # the scrolling table keeps its name
