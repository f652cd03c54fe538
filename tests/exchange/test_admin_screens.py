"""The admin site shows what the platform's staff look into when something goes wrong:
invitations, the conversations of claims and their pickup slots. Read only there: these
rows change through the services of the people involved."""

import datetime

import pytest
from django.utils import timezone

from exchange.claims.services import claim_approve, claim_create
from exchange.claims.talk import claim_message_post, claim_slot_accept, claim_slot_propose
from exchange.organisations.invitations import invitation_create, invitation_revoke
from tests.factories import (
    LotFactory,
    MembershipFactory,
    OrganisationFactory,
    SiteFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(username="staff", is_staff=True, is_superuser=True))
    return client


def test_the_admin_lists_invitations_with_what_became_of_them(staff_client, fed_admin):
    # given an invitation waiting and one withdrawn
    invitation_create(actor=fed_admin, email="waiting@example.org", role="member")
    withdrawn = invitation_create(actor=fed_admin, email="gone@example.org", role="viewer")
    invitation_revoke(actor=fed_admin, invitation=withdrawn)

    # when the staff open the invitations
    page = staff_client.get("/admin/organisations/invitation/").content.decode()

    # then both are there, with their state, and the link is nowhere
    assert "waiting@example.org" in page and "gone@example.org" in page
    assert "Waiting for an answer" in page and "Withdrawn" in page
    assert withdrawn.nonce not in page
    detail = staff_client.get(f"/admin/organisations/invitation/{withdrawn.pk}/change/")
    assert detail.status_code == 200
    assert withdrawn.nonce not in detail.content.decode()
    # and nobody edits or adds one there
    assert staff_client.get("/admin/organisations/invitation/add/").status_code == 403
    response = staff_client.post(
        f"/admin/organisations/invitation/{withdrawn.pk}/change/", {"email": "x@example.org"}
    )
    assert response.status_code == 403


def test_the_admin_shows_the_messages_and_pickup_slots_of_claims(staff_client):
    # given an approved claim whose two sides wrote and agreed a pickup slot
    owner = MembershipFactory(organisation=OrganisationFactory(name="FPS Owner"), role="admin")
    claimant = MembershipFactory(organisation=OrganisationFactory(name="FPS Taker"), role="admin")
    site = SiteFactory(organisation=owner.organisation)
    lot = LotFactory(site=site, title="Desks", published=True)
    claim = claim_approve(actor=owner, claim=claim_create(actor=claimant, lot=lot, quantity=2))
    claim_message_post(actor=claimant, claim=claim, body="Is the loading dock open on Friday?")
    starts_at = timezone.now() + datetime.timedelta(days=3)
    slot = claim_slot_propose(actor=claimant, claim=claim, starts_at=starts_at)
    claim_slot_accept(actor=owner, claim=claim, slot=slot)

    # when the staff open the messages and the pickup slots
    messages = staff_client.get("/admin/claims/claimmessage/").content.decode()
    slots = staff_client.get("/admin/claims/pickupslot/?status=accepted").content.decode()

    # then they see who wrote what on which claim, and the slot that was accepted
    assert "Is the loading dock open on Friday?" in messages and "FPS Taker" in messages
    assert f"claim {claim.pk}" in slots and "FPS Taker" in slots
    assert staff_client.get("/admin/claims/claimmessage/add/").status_code == 403
    assert staff_client.get("/admin/claims/pickupslot/add/").status_code == 403
