"""The signed-in home page says what to do: claims waiting for a decision, pickups this
week on both sides, lots ending soon or without photos, new matches, what an unverified
organisation still needs, the verification queue for moderators, headline figures for
analysts; the menu counts the waiting work in a fixed number of queries. Anonymous
visitors keep the public landing page."""

import datetime
import re

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone
from django.utils.html import strip_tags

from exchange.categories.models import Category
from exchange.claims.models import Claim
from exchange.claims.services import claim_approve, claim_create, claim_schedule
from exchange.claims.talk import claim_slot_propose
from exchange.home.summary import menu_counts
from exchange.matching.models import Match
from exchange.matching.services.wanted import WantedInput, wanted_create
from tests.factories import LotFactory, OrganisationFactory, SiteFactory, UserFactory

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return re.sub(r"\s+", " ", strip_tags(response.content.decode()))


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def later(**kwargs) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(**kwargs)


@pytest.fixture
def world(make_member, categories):
    owner = make_member("admin", kind="federal", name="FPS Owner")
    taker = make_member("admin", kind="federal", name="FPS Taker")
    owner_site = SiteFactory(organisation=owner.organisation)
    taker_site = SiteFactory(organisation=taker.organisation)
    return {"owner": owner, "taker": taker, "owner_site": owner_site, "taker_site": taker_site}


def pending_claims(world, count: int) -> list[Claim]:
    lot = LotFactory(site=world["owner_site"], quantity=50, published=True, title="Desks")
    return [claim_create(actor=world["taker"], lot=lot, quantity=1) for _ in range(count)]


def test_anonymous_visitors_keep_the_public_landing_page(client, world):
    page = text(client.get("/"))
    assert "What can be exchanged" in page
    assert "Claims waiting for your decision" not in page


def test_the_home_says_what_waits_on_both_sides(world):
    owner, taker = world["owner"], world["taker"]
    # given claims on the owner's lots: two pending, one approved with a pickup in 2 days
    first, second, third = pending_claims(world, 3)
    claim_approve(actor=owner, claim=third)
    claim_schedule(actor=owner, claim=third, pickup_at=later(days=2))
    # a claim of the owner's on the taker's lot, its pickup in 3 days; one in 10 days
    taker_lot = LotFactory(site=world["taker_site"], quantity=5, published=True, title="Lamps")
    mine = claim_create(actor=owner, lot=taker_lot, quantity=1)
    claim_approve(actor=taker, claim=mine)
    claim_schedule(actor=taker, claim=mine, pickup_at=later(days=3))
    far = claim_create(actor=owner, lot=taker_lot, quantity=1)
    claim_approve(actor=taker, claim=far)
    claim_schedule(actor=taker, claim=far, pickup_at=later(days=10))
    # a lot ending in 3 days (no photo either), and a new match of the owner's request
    LotFactory(
        site=world["owner_site"],
        published=True,
        title="Old cupboards",
        available_until=timezone.localdate() + datetime.timedelta(days=3),
    )
    desk = Category.objects.get(code="office-chair")
    wanted = wanted_create(
        actor=owner,
        data=WantedInput(
            category=desk,
            quantity=2,
            site=world["owner_site"],
            max_distance_km=50,
            valid_until=timezone.localdate() + datetime.timedelta(days=30),
        ),
    )
    Match.objects.create(lot=taker_lot, wanted=wanted, score=0.7, reasons={})
    # and the taker proposes another pickup slot for the claim on the owner's lot
    claim_slot_propose(actor=taker, claim=third, starts_at=later(days=5))
    # when the owner opens the home page
    page = text(login(owner.user).get("/"))
    # then each kind of waiting work is there
    assert "Claims waiting for your decision (2)" in page
    assert "FPS Taker, claimed on" in page
    assert "Pickups this week (2)" in page
    assert "collected by FPS Taker" in page  # the owner gives
    assert "to collect from FPS Taker" in page  # the owner collects
    assert page.count("1 × Lamps") == 1  # the pickup in 10 days is not this week
    assert "Old cupboards" in page and "no photo yet" in page
    assert "New matches for what we need (1)" in page
    assert "Pickup slots to answer (1)" in page
    assert "What can be exchanged" not in page
    # and the claimant's home shows its side of the same pickups
    page = text(login(taker.user).get("/"))
    assert "collected by FPS Owner" in page and "to collect from FPS Owner" in page
    assert "Claims waiting for your decision (0)" in page
    assert "Pickup slots to answer" not in page  # its own proposal waits for the owner


def test_an_unverified_organisation_reads_what_it_still_needs(make_member):
    member = make_member("admin", unverified=True, name="New Service")
    page = text(login(member.user).get("/"))
    assert "Before your organisation can take part" in page
    assert "A moderator checks your enterprise number" in page
    assert "Add a site" in page
    assert "Post a lot" not in page.split("Start from here")[-1]
    assert "Claims waiting for your decision" not in page  # nothing it could decide yet


def test_moderators_see_the_verification_queue_and_analysts_the_figures(db, categories):
    OrganisationFactory(unverified=True, name="Waiting One")
    OrganisationFactory(unverified=True, name="Waiting Two")
    moderator = UserFactory()
    moderator.groups.add(Group.objects.get_or_create(name="moderator")[0])
    page = text(login(moderator).get("/"))
    assert "Verification queue (2)" in page and "Waiting One" in page
    assert "Register an organisation" not in page.split("Good to see you")[-1]
    analyst = UserFactory()
    analyst.groups.add(Group.objects.get_or_create(name="analyst")[0])
    page = text(login(analyst).get("/"))
    assert f"Headline figures {timezone.localdate().year}" in page
    assert "Verification queue" not in page


def test_the_menu_counts_waiting_work(world):
    pending_claims(world, 3)
    page = text(login(world["owner"].user).get("/lots/"))
    assert "Claims on our lots (3" in page
    page = text(login(world["taker"].user).get("/lots/"))
    assert "Claims on our lots (" not in page


def test_the_menu_counts_cost_the_same_queries_however_much_waits(world, django_assert_num_queries):
    user = world["owner"].user
    pending_claims(world, 1)
    with django_assert_num_queries(4):  # claims, lots, matches, the person's groups
        few = menu_counts(user=user, actor=world["owner"])
    pending_claims(world, 6)
    LotFactory(site=world["owner_site"], title="Without photos")
    with django_assert_num_queries(3):  # the groups are known by now
        many = menu_counts(user=user, actor=world["owner"])
    assert (few["claims_inbox"], many["claims_inbox"]) == (1, 7)
    assert many["lots_mine"] > few["lots_mine"]


def test_the_home_page_costs_the_same_queries_however_much_waits(
    world, django_assert_max_num_queries
):
    client = login(world["owner"].user)
    pending_claims(world, 1)
    with django_assert_max_num_queries(40) as few:
        client.get("/")
    pending_claims(world, 8)
    for number in range(4):
        LotFactory(site=world["owner_site"], title=f"Lot {number}")
    with django_assert_max_num_queries(40) as many:
        client.get("/")
    assert len(few.captured_queries) == len(many.captured_queries)


def test_invitations_waiting_for_the_person_are_on_their_home_and_accepted_there(fed_admin):
    # given a person with an account, invited to FPS Alpha at their verified address,
    # and invitations to an address of someone else and to an address they never confirmed
    from exchange.organisations.invitations import invitation_create
    from exchange.organisations.models import Membership

    person = UserFactory(email="sam@example.org")
    invitation_create(actor=fed_admin, email="SAM@example.org", role="member")
    invitation_create(actor=fed_admin, email="someone.else@example.org", role="viewer")
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=person, email="sam.old@example.org", verified=False)
    invitation_create(actor=fed_admin, email="sam.old@example.org", role="admin")
    client = login(person)

    # when they open their home page
    page = text(client.get("/"))

    # then it lists the one invitation to their verified address, with its accept button
    assert "Invitations waiting for you" in page
    assert "FPS Alpha as Member, to SAM@example.org" in page
    assert "someone.else@example.org" not in page and "sam.old@example.org" not in page

    # when they accept it from there
    html = client.get("/").content.decode()
    action = re.search(r'<form method="post" action="(/organisations/invitations/[^"]+)"', html)
    response = client.post(action.group(1), follow=True)

    # then they are a member, welcomed, and the home page lists no invitation any more
    assert Membership.objects.get(user=person).organisation == fed_admin.organisation
    assert "you are now a member of FPS Alpha" in text(response)
    assert "Invitations waiting for you" not in text(client.get("/"))
