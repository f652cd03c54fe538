"""The claim lifecycle (exchange/claims/transitions.py): every action from every status,
allowed or refused (409) through the API, for the right and the wrong side, the actions
each side is offered; and who is told of every transition, in-app and by e-mail."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from exchange.claims import services
from exchange.claims.models import Claim, ClaimStatus
from exchange.notifications.models import Notification
from exchange.notifications.services import notification_email_send
from exchange.organisations.models import Organisation
from tests.factories import LotFactory, MembershipFactory, OrganisationFactory, SiteFactory

pytestmark = pytest.mark.django_db

CLAIMS = "/api/v1/claims/"

# The lifecycle, written out here and not read from the code: (action, from) -> to.
ALLOWED = {
    ("approve", "pending"): "approved",
    ("decline", "pending"): "declined",
    ("cancel", "pending"): "cancelled",
    ("cancel", "approved"): "cancelled",
    ("schedule", "approved"): "approved",
    ("collect", "approved"): "collected",
    ("no_show", "approved"): "no_show",
}
# Who may take each action.
BY = {
    "approve": "owner",
    "decline": "owner",
    "cancel": "claimant",
    "schedule": "owner",  # either side: the claimant's part is below
    "collect": "owner",
    "no_show": "owner",
}
ACTIONS = list(BY)


def later(**kwargs) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(**kwargs)


BODIES = {
    "decline": {"reason": "Already promised to another service"},
    "schedule": {"pickup_at": later(days=2).isoformat()},
    "collect": {"quantity": 3},
}


@pytest.fixture
def parties(db):
    owner = MembershipFactory(organisation=OrganisationFactory(name="FPS Owner"), role="admin")
    claimant = MembershipFactory(organisation=OrganisationFactory(name="FPS Taker"), role="member")
    lot = LotFactory(
        site=SiteFactory(organisation=owner.organisation),
        title="Desks",
        quantity=100,
        published=True,
    )
    return {"owner": owner, "claimant": claimant, "lot": lot}


def claim_in(parties, status: str) -> Claim:
    """A claim of 3 units in ``status``, its pickup slot an hour ago."""
    claim = services.claim_create(actor=parties["claimant"], lot=parties["lot"], quantity=3)
    Claim.objects.filter(pk=claim.pk).update(status=status, pickup_at=later(hours=-1))
    return Claim.objects.get(pk=claim.pk)


def url(claim: Claim, action: str) -> str:
    return f"{CLAIMS}{claim.pk}/{action.replace('_', '-')}/"


@pytest.mark.parametrize("status", ClaimStatus.values)
@pytest.mark.parametrize("action", ACTIONS)
def test_every_action_from_every_status(client_for, parties, action, status):
    # given a claim in this status, and the side that may take the action
    claim = claim_in(parties, status)
    side = parties[BY[action]]
    # when
    response = client_for(side.user).post(url(claim, action), BODIES.get(action, {}))
    # then it moves as the lifecycle says, or nothing changes and the answer is 409
    claim.refresh_from_db()
    if (action, status) in ALLOWED:
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == claim.status == ALLOWED[action, status]
    else:
        assert response.status_code == 409, response.json()
        assert response.json()["code"] == "claim_wrong_status"
        assert claim.status == status


@pytest.mark.parametrize("action", ACTIONS)
def test_the_wrong_side_is_refused_whatever_the_status(client_for, parties, action):
    other = {"owner": "claimant", "claimant": "owner"}[BY[action]]
    for status in ClaimStatus.values:
        claim = claim_in(parties, status)
        response = client_for(parties[other].user).post(url(claim, action), BODIES.get(action, {}))
        # the side is checked first, whatever the status; the claimant may schedule too
        expected = 403
        if action == "schedule":
            expected = 200 if status == "approved" else 409
        assert response.status_code == expected, (status, response.json())


def test_a_no_show_waits_for_the_pickup_slot(client_for, parties):
    claim = claim_in(parties, "approved")
    Claim.objects.filter(pk=claim.pk).update(pickup_at=later(hours=1))
    response = client_for(parties["owner"].user).post(url(claim, "no_show"))
    assert response.status_code == 409
    assert response.json()["code"] == "before_pickup_slot"
    assert client_for(parties["owner"].user).get(f"{CLAIMS}{claim.pk}/").json()["actions"] == [
        "collect",
        "schedule",
    ]


@pytest.mark.parametrize("status", ClaimStatus.values)
def test_each_side_is_offered_what_it_may_do(client_for, parties, status):
    claim = claim_in(parties, status)
    for side in ("owner", "claimant"):
        offered = client_for(parties[side].user).get(f"{CLAIMS}{claim.pk}/").json()["actions"]
        expected = {
            action
            for (action, from_status) in ALLOWED
            if from_status == status and (BY[action] == side or action == "schedule")
        }
        assert offered == sorted(expected), (side, status)
    # a viewer of the owner is offered nothing, and refused
    viewer = MembershipFactory(organisation=parties["owner"].organisation, role="viewer")
    client = client_for(viewer.user)
    assert client.get(f"{CLAIMS}{claim.pk}/").json()["actions"] == []
    assert client.post(url(claim, "approve")).status_code == 403


# --- Who is told ---------------------------------------------------------------------


@pytest.fixture
def people(parties):
    """Two people on each side, to see that a notice reaches every member."""
    for side in ("owner", "claimant"):
        MembershipFactory(organisation=parties[side].organisation, role="member")
    return parties


def told(since: int) -> set[tuple[str, str, str]]:
    """(organisation, kind, title) of each notice written after id ``since``, with its
    e-mail sent: the mail goes to the person, under the notice's title."""
    notices = Notification.objects.filter(pk__gt=since).select_related("user")
    found = set()
    for notice in notices:
        assert notification_email_send(notification_id=notice.pk)
        sent = mail.outbox[-1]
        assert (sent.to, sent.subject) == ([notice.user.email], notice.title)
        assert notice.url == f"/claims/{notice.key.split(':')[1]}/"
        organisation = Organisation.objects.get(memberships__user=notice.user)
        found.add((organisation.name, notice.kind, notice.title))
    return found


def each_member(parties, side: str, kind: str, title: str) -> set:
    return {(parties[side].organisation.name, kind, title)}


def last_notice() -> int:
    return Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def test_a_new_claim_tells_the_owner(people):
    services.claim_create(actor=people["claimant"], lot=people["lot"], quantity=2)
    assert told(0) == each_member(people, "owner", "claim_created", "New claim on your lot: Desks")
    assert Notification.objects.count() == 2  # both people of the owner


def test_an_approved_at_once_claim_tells_both_sides(people):
    Organisation.objects.filter(pk=people["owner"].organisation_id).update(auto_approve_claims=True)
    claim = services.claim_create(actor=people["claimant"], lot=people["lot"], quantity=2)
    assert claim.status == ClaimStatus.APPROVED
    assert told(0) == each_member(
        people, "owner", "claim_created", "New claim on your lot: Desks"
    ) | each_member(people, "claimant", "claim_approved", "Your claim was approved: Desks")
    assert Notification.objects.count() == 4


def transitions(people):
    owner, claimant = people["owner"], people["claimant"]
    return {
        "approve": (lambda c: services.claim_approve(actor=owner, claim=c), "pending"),
        "decline": (
            lambda c: services.claim_decline(actor=owner, claim=c, reason="Gone"),
            "pending",
        ),
        "cancel pending": (lambda c: services.claim_cancel(actor=claimant, claim=c), "pending"),
        "cancel approved": (lambda c: services.claim_cancel(actor=claimant, claim=c), "approved"),
        "schedule by the owner": (
            lambda c: services.claim_schedule(actor=owner, claim=c, pickup_at=later(days=1)),
            "approved",
        ),
        "schedule by the claimant": (
            lambda c: services.claim_schedule(actor=claimant, claim=c, pickup_at=later(days=1)),
            "approved",
        ),
        "collect": (lambda c: services.claim_collect(actor=owner, claim=c, quantity=2), "approved"),
        "no-show": (lambda c: services.claim_no_show(actor=owner, claim=c), "approved"),
    }


NOTICES = {
    "approve": ("claimant", "claim_approved", "Your claim was approved: Desks"),
    "decline": ("claimant", "claim_declined", "Your claim was declined: Desks"),
    "cancel pending": ("owner", "claim_cancelled", "A claim on your lot was cancelled: Desks"),
    "cancel approved": ("owner", "claim_cancelled", "A claim on your lot was cancelled: Desks"),
    "schedule by the owner": ("claimant", "claim_scheduled", "Pickup slot set: Desks"),
    "schedule by the claimant": ("owner", "claim_scheduled", "Pickup slot set: Desks"),
    "collect": ("claimant", "claim_collected", "Handover confirmed: Desks"),
    "no-show": ("claimant", "claim_no_show", "Missed pickup recorded: Desks"),
}


@pytest.mark.parametrize("name", NOTICES)
def test_every_transition_tells_the_other_side(people, name):
    # given a claim where the transition starts
    act, status = transitions(people)[name]
    claim = claim_in(people, status)
    since = last_notice()
    # when
    act(claim)
    # then every member of the other side is told, in-app and by e-mail; nobody else
    assert told(since) == each_member(people, *NOTICES[name])
    assert Notification.objects.filter(pk__gt=since).count() == 2
