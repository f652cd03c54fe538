"""The wanted-request pages, walked the way people use them: a federal service says
what it needs, corrects it, reads the lots that fit with the reasons in words, claims
one and dismisses another; the lot's owner sees how many requests the lot matched; a
person chooses how often match e-mails come. Tests have no worker: matches are made by
calling the matching job's service directly."""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from PIL import Image

from exchange.accounts.services import user_match_notifications_set
from exchange.categories.models import Category
from exchange.claims.models import Claim, ClaimStatus
from exchange.common.errors import ApplicationError, ErrorKind
from exchange.lots.models import LotPhoto
from exchange.lots.services.photos import lot_photo_add, lot_photo_process
from exchange.matching.models import Match, MatchStatus, WantedRequest, WantedStatus
from exchange.matching.services.engine import match_wanted
from exchange.matching.services.wanted import WantedInput, wanted_create
from exchange.organisations.models import MembershipRole
from tests.factories import LotFactory, MembershipFactory, SiteFactory

pytestmark = pytest.mark.django_db

BRUSSELS = (Decimal("50.846600"), Decimal("4.367600"))
HALLE = (Decimal("50.735000"), Decimal("4.237000"))  # about 15 km from Brussels


@pytest.fixture
def owner(fed_admin, categories):
    """An admin of a verified federal service that gives lots away, in Brussels."""
    fed_admin.site = SiteFactory(
        organisation=fed_admin.organisation,
        name="Headquarters",
        latitude=BRUSSELS[0],
        longitude=BRUSSELS[1],
    )
    return fed_admin


@pytest.fixture
def seeker(make_member, categories):
    """A member of another federal service (it may claim at once), with a site in Halle."""
    member = make_member(kind="federal", name="FPS Beta")
    member.site = SiteFactory(
        organisation=member.organisation,
        name="Halle depot",
        municipality="Halle",
        postcode="1500",
        region="VLG",
        latitude=HALLE[0],
        longitude=HALLE[1],
    )
    return member


@pytest.fixture
def stranger(make_member, categories):
    member = make_member(kind="federal", name="FPS Gamma")
    member.site = SiteFactory(organisation=member.organisation, name="Gamma tower")
    return member


@pytest.fixture
def desk():
    return Category.objects.get(code="desk")


def login(membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def text(response) -> str:
    """The page as people read it: tags dropped, white space collapsed."""
    return re.sub(r"\s+", " ", strip_tags(response.content.decode()))


def form_data(own_site, category, **overrides) -> dict:
    data = {
        "category": category.pk,
        "quantity": "10",
        "min_condition": "fair",
        "place": "site",
        "site": own_site.pk,
        "max_distance_km": "30",
        "region": "",
        "valid_until": (timezone.localdate() + datetime.timedelta(days=90)).isoformat(),
        "note": "For the new training room",
    }
    data.update(overrides)
    return data


def wanted_for(member, category, **overrides):
    values = {
        "category": category,
        "quantity": 10,
        "min_condition": "fair",
        "site": member.site,
        "max_distance_km": 30,
        "valid_until": timezone.localdate() + datetime.timedelta(days=90),
    }
    values.update(overrides)
    return wanted_create(actor=member, data=WantedInput(**values))


def jpeg() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (40, 90, 160)).save(out, format="JPEG")
    return SimpleUploadedFile("desk.jpg", out.getvalue(), content_type="image/jpeg")


# --- Saying what we need -------------------------------------------------------------


def test_a_member_says_what_they_need_through_the_form_and_corrects_it(seeker, stranger, desk):
    client = login(seeker)
    create_url = reverse("matching:create")

    # given: the form offers the organisation's own sites only
    page = client.get(create_url)
    assert page.status_code == 200
    assert "Halle depot" in text(page)
    assert "Gamma tower" not in text(page)
    assert "\u00a0\u00a0\u00a0\u00a0Desk" in page.content.decode()  # the tree, indented

    # when: the distance, the date or the site is wrong, nothing is saved
    for overrides, message in [
        ({"max_distance_km": "0"}, "Ensure this value is greater than or equal to 1."),
        ({"max_distance_km": "600"}, "Ensure this value is less than or equal to 500."),
        (
            {"valid_until": (timezone.localdate() - datetime.timedelta(days=1)).isoformat()},
            "This date lies in the past.",
        ),
        (
            {"site": stranger.site.pk},
            "Select a valid choice. That choice is not one of the available choices.",
        ),
        ({"place": "region", "region": ""}, "Choose a region."),
    ]:
        response = client.post(create_url, form_data(seeker.site, desk, **overrides))
        assert response.status_code == 200, overrides
        assert "Please correct the following" in text(response)
        assert message in text(response), overrides
    assert not WantedRequest.objects.exists()

    # when: the request is right (a distance typed for the option not chosen is ignored)
    response = client.post(create_url, form_data(seeker.site, desk))

    # then: it is saved and the page of its matches opens
    wanted = WantedRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("matching:matches", args=[wanted.pk])
    assert (wanted.organisation, wanted.category, wanted.quantity) == (
        seeker.organisation,
        desk,
        10,
    )
    assert (wanted.site, wanted.max_distance_km, wanted.region) == (seeker.site, 30, "")
    listing = text(client.get(reverse("matching:list")))
    assert "1 wanted request" in listing
    assert "Desk" in listing
    assert "within 30 km of Halle depot (Halle)" in listing
    assert "Open" in listing
    assert "Still searching…" in listing and "0 matches" not in listing  # the job is to run
    match_wanted(wanted_id=wanted.pk)
    assert "0 matches" in text(client.get(reverse("matching:list")))  # it ran: none fits

    # when: they edit it to anywhere in Flanders, 12 units in good condition or better
    edit_url = reverse("matching:edit", args=[wanted.pk])
    edit_page = client.get(edit_url).content.decode()
    assert 'value="10"' in edit_page
    assert 'value="site" id="id_place_0" required checked' in edit_page
    response = client.post(
        edit_url,
        form_data(
            seeker.site,
            desk,
            quantity="12",
            min_condition="good",
            place="region",
            region="VLG",
            max_distance_km="600",
        ),
    )

    # then the page of its matches opens, which follows the new search
    assert response.status_code == 302
    assert response["Location"] == reverse("matching:matches", args=[wanted.pk])
    wanted.refresh_from_db()
    assert (wanted.quantity, wanted.min_condition, wanted.region) == (12, "good", "VLG")
    assert (wanted.site, wanted.max_distance_km) == (None, None)
    listing = text(client.get(reverse("matching:list")))
    assert "anywhere in Flanders" in listing
    assert "Good" in listing


def test_a_request_is_withdrawn_and_can_no_longer_be_edited(seeker, desk):
    wanted = wanted_for(seeker, desk)
    client = login(seeker)

    response = client.post(reverse("matching:withdraw", args=[wanted.pk]))

    assert response.status_code == 302
    wanted.refresh_from_db()
    assert wanted.status == WantedStatus.WITHDRAWN
    listing = client.get(reverse("matching:list"), follow=True)
    assert "The request is withdrawn: it finds no more lots." in text(listing)
    assert "Withdrawn" in text(listing)
    assert reverse("matching:edit", args=[wanted.pk]) not in listing.content.decode()
    edit = client.get(reverse("matching:edit", args=[wanted.pk]))
    assert "only an open request can be changed" in text(edit)
    assert client.get(reverse("matching:withdraw", args=[wanted.pk])).status_code == 405


def test_a_viewer_reads_the_requests_but_cannot_change_them(seeker, desk):
    wanted = wanted_for(seeker, desk)
    viewer = MembershipFactory(organisation=seeker.organisation, role=MembershipRole.VIEWER)
    client = login(viewer)

    listing = client.get(reverse("matching:list")).content.decode()

    assert "Desk" in listing
    assert reverse("matching:create") not in listing
    assert reverse("matching:withdraw", args=[wanted.pk]) not in listing
    assert "not change them" in text(client.get(reverse("matching:create")))


# --- The matches of a request ----------------------------------------------------------


def test_the_matches_page_shows_the_lots_best_first_with_photos_and_reasons_in_words(
    owner, seeker, desk
):
    # given: two desks in Brussels, one with a photo, and a request near Halle
    with_photo = LotFactory(
        site=owner.site, category=desk, quantity=10, title="Oak desks", published=True
    )
    photo = lot_photo_add(actor=owner, lot=with_photo, upload=jpeg(), alt_text="Oak desk, front")
    lot_photo_process(photo_id=photo.pk)
    LotFactory(
        site=owner.site,
        category=desk,
        quantity=4,
        condition="fair",
        title="Grey desks",
        available_until=timezone.localdate() + datetime.timedelta(days=34),
        published=True,
    )
    wanted = wanted_for(seeker, desk, quantity=8)
    assert len(match_wanted(wanted_id=wanted.pk)) == 2

    # when
    response = login(seeker).get(reverse("matching:matches", args=[wanted.pk]))

    # then: the better one first, each with its photo or a placeholder, facts and reasons
    page, html = text(response), response.content.decode()
    assert response.status_code == 200
    assert page.index("Oak desks") < page.index("Grey desks")
    photo.refresh_from_db()
    assert photo.thumbnail_url in html
    assert 'alt="Oak desk, front"' in html
    assert "No photo" in page
    assert owner.organisation.name in page
    assert "Brussel" in page
    assert "10 of 10" in page and "4 of 4" in page
    assert "same category" in page
    assert re.search(r"1[0-9]\.[0-9] km away", page)
    assert "covers 100% of the quantity" in page
    assert "covers 50% of the quantity" in page
    assert "condition: 1 level above your minimum" in page
    assert "condition: just your minimum" in page
    assert "available for 60 more days" in page
    assert "available for 34 more days" in page
    best = Match.objects.filter(wanted=wanted).first()
    assert f"{round(best.score * 100)}% match" in page
    assert reverse("lots:detail", args=[with_photo.pk]) in html
    assert "Claim 8 units" in page and "Claim 4 units" in page
    assert page.count("Dismiss") == 2

    # and: the new matches showed a "new" badge once; they are seen now
    assert page.count("New") >= 2
    assert set(Match.objects.values_list("status", flat=True)) == {MatchStatus.SEEN}
    assert "New" not in text(login(seeker).get(reverse("matching:matches", args=[wanted.pk])))


def test_a_lot_of_a_subcategory_is_a_parent_category_match_and_the_list_counts_new_ones(
    owner, seeker, desk
):
    LotFactory(site=owner.site, category=desk, title="Standing desks", published=True)
    wanted = wanted_for(seeker, Category.objects.get(code="furniture"))
    match_wanted(wanted_id=wanted.pk)
    client = login(seeker)

    listing = text(client.get(reverse("matching:list")))
    matches = text(client.get(reverse("matching:matches", args=[wanted.pk])))

    assert "1 match 1 new" in listing
    assert "parent category" in matches
    assert "1 match 0 new" not in text(client.get(reverse("matching:list")))


def test_claiming_a_match_lands_on_the_claim_page_and_the_match_shows_as_claimed(
    owner, seeker, desk
):
    # given
    lot = LotFactory(site=owner.site, category=desk, quantity=10, title="Oak desks", published=True)
    wanted = wanted_for(seeker, desk, quantity=6)
    match_wanted(wanted_id=wanted.pk)
    match = Match.objects.get(wanted=wanted)
    client = login(seeker)

    # when
    response = client.post(reverse("matching:match_claim", args=[wanted.pk, match.pk]))

    # then: a claim of what was still wanted, and its page with a message
    claim = Claim.objects.get()
    assert (claim.lot, claim.claimant, claim.quantity) == (lot, seeker.organisation, 6)
    assert claim.status == ClaimStatus.PENDING
    assert response.status_code == 302
    assert response["Location"] == reverse("claims:detail", args=[claim.pk])
    claim_page = text(client.get(response["Location"]))
    assert "Your claim of 6 units is registered." in claim_page
    match.refresh_from_db()
    wanted.refresh_from_db()
    assert (match.status, match.claim) == (MatchStatus.CLAIMED, claim)
    assert wanted.status == WantedStatus.FULFILLED

    # and: the matches page shows it as claimed, with no more buttons
    page = client.get(reverse("matching:matches", args=[wanted.pk]))
    assert "Claimed" in text(page)
    assert f"See claim {claim.pk}" in text(page)
    assert reverse("claims:detail", args=[claim.pk]) in page.content.decode()
    assert "Dismiss" not in text(page)
    assert reverse("matching:match_claim", args=[wanted.pk, match.pk]) not in (
        page.content.decode()
    )

    # and: claiming twice is refused with a message, not an error page
    again = client.post(reverse("matching:match_claim", args=[wanted.pk, match.pk]), follow=True)
    assert "This match is Claimed." in text(again)
    assert Claim.objects.count() == 1


def test_a_dismissed_match_leaves_the_list_and_shows_among_the_dismissed(owner, seeker, desk):
    LotFactory(site=owner.site, category=desk, title="Oak desks", published=True)
    LotFactory(site=owner.site, category=desk, title="Wobbly desks", published=True)
    wanted = wanted_for(seeker, desk)
    match_wanted(wanted_id=wanted.pk)
    wobbly = Match.objects.get(lot__title="Wobbly desks")
    client = login(seeker)
    url = reverse("matching:matches", args=[wanted.pk])

    response = client.post(reverse("matching:match_dismiss", args=[wanted.pk, wobbly.pk]))

    assert response.status_code == 302
    assert response["Location"] == url
    wobbly.refresh_from_db()
    assert wobbly.status == MatchStatus.DISMISSED
    page = text(client.get(url))
    assert "“Wobbly desks” is dismissed" in page
    assert "Wobbly desks" not in page.replace("“Wobbly desks” is dismissed", "")
    assert "Oak desks" in page
    assert "1 dismissed" in page
    dismissed = text(client.get(url, {"show": "dismissed"}))
    assert "Wobbly desks" in dismissed and "Oak desks" not in dismissed
    assert "Claim" not in dismissed.replace("Claims on our lots", "").replace("My claims", "")


def test_another_organisations_request_and_matches_answer_404(owner, seeker, stranger, desk):
    LotFactory(site=owner.site, category=desk, published=True)
    wanted = wanted_for(seeker, desk)
    match_wanted(wanted_id=wanted.pk)
    match = Match.objects.get()
    client = login(stranger)

    for name in ("matches", "edit"):
        assert client.get(reverse(f"matching:{name}", args=[wanted.pk])).status_code == 404
    assert client.post(reverse("matching:edit", args=[wanted.pk])).status_code == 404
    assert client.post(reverse("matching:withdraw", args=[wanted.pk])).status_code == 404
    for name in ("match_claim", "match_dismiss"):
        url = reverse(f"matching:{name}", args=[wanted.pk, match.pk])
        assert client.post(url).status_code == 404, name
    # a match of another request of one's own is 404 too
    mine = wanted_for(stranger, desk)
    url = reverse("matching:match_dismiss", args=[mine.pk, match.pk])
    assert client.post(url).status_code == 404
    match.refresh_from_db()
    wanted.refresh_from_db()
    assert (match.status, wanted.status) == (MatchStatus.NEW, WantedStatus.OPEN)
    # and anonymous people are sent to log in
    response = Client().get(reverse("matching:matches", args=[wanted.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_matches_page_query_count_does_not_grow_with_the_number_of_matches(
    owner, seeker, desk, django_assert_max_num_queries
):
    # given: two matches, and the number of queries the page makes for them
    wanted = wanted_for(seeker, desk, quantity=5)
    client = login(seeker)
    url = reverse("matching:matches", args=[wanted.pk])

    def make_lots(count: int) -> None:
        for n in range(count):
            lot = LotFactory(
                site=SiteFactory(latitude=BRUSSELS[0], longitude=BRUSSELS[1]),
                category=desk,
                title=f"Desk lot {count}-{n}",
                published=True,
            )
            if n % 2:
                LotPhoto.objects.create(lot=lot, original="x.jpg", width=1, height=1)
        match_wanted(wanted_id=wanted.pk)
        Match.objects.update(status=MatchStatus.NEW)  # the page marks them seen each time

    make_lots(2)
    client.get(url)  # warm caches (content types, session)
    Match.objects.update(status=MatchStatus.NEW)
    with CaptureQueriesContext(connection) as few:
        client.get(url)

    # when: there are many more
    make_lots(13)

    # then
    with django_assert_max_num_queries(len(few)):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 15


# --- The lot page, the nav and the e-mail preference ---------------------------------------


def test_the_owners_lot_page_shows_how_many_requests_the_lot_matched(owner, seeker, stranger, desk):
    lot = LotFactory(site=owner.site, category=desk, title="Oak desks", published=True)
    for member in (seeker, stranger):
        match_wanted(wanted_id=wanted_for(member, desk).pk)
    url = reverse("lots:detail", args=[lot.pk])

    assert "This lot matched 2 wanted requests." in text(login(owner).get(url))
    assert "wanted request" not in text(login(seeker).get(url))
    assert "wanted request" not in text(Client().get(url))


def test_the_nav_shows_what_we_need_to_members(seeker):
    assert "What we need" in text(login(seeker).get(reverse("lots:catalogue")))
    assert "What we need" not in text(Client().get(reverse("lots:catalogue")))


def test_a_person_chooses_match_emails_at_once_or_in_the_daily_digest(seeker):
    client = login(seeker)
    url = reverse("matching:notifications")
    assert seeker.user.match_notifications == "daily"
    page = client.get(url).content.decode()
    assert 'value="daily" id="id_match_notifications_0" required checked' in page

    response = client.post(url, {"match_notifications": "immediate"}, follow=True)

    seeker.user.refresh_from_db()
    assert seeker.user.match_notifications == "immediate"
    assert "Your choice is saved." in text(response)
    assert "Match e-mails: at once" in text(client.get(reverse("matching:list")))

    # a value the form does not offer is refused, and nothing changes
    refused = client.post(url, {"match_notifications": "weekly"})
    assert "Select a valid choice." in text(refused)
    seeker.user.refresh_from_db()
    assert seeker.user.match_notifications == "immediate"


def test_the_match_notifications_service_refuses_unknown_values(seeker):
    with pytest.raises(ApplicationError) as refused:
        user_match_notifications_set(user=seeker.user, value="weekly")

    assert refused.value.kind == ErrorKind.INVALID
    assert refused.value.errors == {"match_notifications": ["Choose one of: daily, immediate."]}
    assert user_match_notifications_set(user=seeker.user, value="daily").match_notifications == (
        "daily"
    )


def test_a_request_asks_for_a_maximum_size_on_the_form(seeker, desk):
    client = login(seeker)
    page = text(client.get(reverse("matching:create")))
    assert "Maximum size of one unit (optional)" in page
    response = client.post(
        reverse("matching:create"),
        form_data(seeker.site, desk, max_width_cm="140", max_depth_cm="", max_height_cm="80"),
    )
    assert response.status_code == 302
    wanted = WantedRequest.objects.get()
    assert (wanted.max_width_cm, wanted.max_depth_cm, wanted.max_height_cm) == (140, None, 80)
    bad = client.post(reverse("matching:create"), form_data(seeker.site, desk, max_width_cm="0"))
    assert bad.status_code == 200 and WantedRequest.objects.count() == 1


def test_a_request_shows_its_maximum_size_in_the_list_and_on_its_matches(seeker, desk):
    # given a request for desks at most 160 cm wide and 75 cm high, and one without limit
    limited = wanted_for(seeker, desk, max_width_cm=160, max_height_cm=75)
    wanted_for(seeker, desk, quantity=3)
    client = login(seeker)

    # when its organisation reads the list of its requests, in English and in French
    html = client.get(reverse("matching:list")).content.decode()
    # then the limited one shows its maximum, the open dimension as "–", the other "—"
    cells = re.findall(r'data-label="Maximum size \(W × D × H\)">([^<]*)</td>', html)
    assert sorted(cells) == ["160 × – × 75 cm", "—"]
    seeker.user.language = "fr"
    seeker.user.save(update_fields=["language"])
    assert "Taille maximale (L × P × H)" in text(client.get(reverse("matching:list")))

    # and the request's matches page says it too
    matches = text(client.get(reverse("matching:matches", args=[limited.pk])))
    assert "au plus 160 × – × 75 cm (L × P × H)" in matches
