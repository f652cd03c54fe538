"""The conversation on the claim page: both sides write and read, agree on a pickup
slot, see each other's contacts once approved, and the page's wording follows the
claim's state; another organisation gets 404, and the page's cost does not grow with
the thread."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from exchange.claims.models import MESSAGE_MAX_LENGTH, Claim, ClaimMessage, PickupSlot
from exchange.claims.services import claim_approve, claim_collect, claim_create
from exchange.claims.talk import claim_message_post, claim_slot_propose
from exchange.notifications.models import Notification
from tests.factories import LotFactory, SiteFactory

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return re.sub(r"\s+", " ", strip_tags(response.content.decode()))


def login(membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


@pytest.fixture
def parties(make_member):
    owner = make_member("admin", kind="federal", name="FPS Owner")
    claimant = make_member("member", kind="federal", name="FPS Taker")
    lot = LotFactory(
        site=SiteFactory(organisation=owner.organisation),
        title="Cupboards",
        quantity=5,
        published=True,
    )
    claim = claim_create(actor=claimant, lot=lot, quantity=2)
    return {"owner": owner, "claimant": claimant, "claim": claim}


def local(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_both_sides_talk_and_agree_on_a_pickup_on_the_page(parties):
    claim = parties["claim"]
    detail = reverse("claims:detail", args=[claim.pk])
    owner, claimant = login(parties["owner"]), login(parties["claimant"])
    # the claimant writes on the page
    response = claimant.post(
        reverse("claims:message", args=[claim.pk]), {"body": "Is there a lift at your site?"}
    )
    assert response["Location"] == f"{detail}#conversation-heading"
    # the owner reads it on the page and in the notifications, and answers
    assert "Is there a lift at your site?" in text(owner.get(detail))
    assert "Is there a lift at your site?" in text(owner.get(reverse("notifications:list")))
    owner.post(reverse("claims:message", args=[claim.pk]), {"body": "Yes, a goods lift."})
    assert "Yes, a goods lift." in text(claimant.get(detail))
    # no contacts, no pickup while pending
    page = text(claimant.get(detail))
    assert "Contacts" not in page and "Propose this slot" not in page
    # approved: the owner proposes a slot from the page
    owner.post(reverse("claims:phone", args=[claim.pk]), {"phone": "+32 2 555 12 34"})
    claim_approve(actor=parties["owner"], claim=claim)
    page = text(claimant.get(detail))
    assert "Contacts" in page and "+32 2 555 12 34" in page
    assert parties["owner"].user.email in page
    slot_at = timezone.now() + datetime.timedelta(days=2)
    response = owner.post(
        reverse("claims:slot_propose", args=[claim.pk]), {"starts_at": local(slot_at)}
    )
    assert response.status_code == 302
    slot = PickupSlot.objects.get(claim=claim)
    # the owner waits; the claimant is offered to accept, and accepts
    assert "Accept this slot" not in text(owner.get(detail))
    assert "Accept this slot" in text(claimant.get(detail))
    claimant.post(reverse("claims:slot_accept", args=[claim.pk, slot.pk]))
    assert Claim.objects.get(pk=claim.pk).pickup_at == slot.starts_at
    assert "Agreed pickup:" in text(owner.get(detail))


def test_an_overlong_message_is_shown_back_with_its_error(parties):
    claim = parties["claim"]
    response = login(parties["claimant"]).post(
        reverse("claims:message", args=[claim.pk]), {"body": "x" * (MESSAGE_MAX_LENGTH + 1)}
    )
    assert response.status_code == 200
    assert "at most 4000 characters" in text(response)
    assert not ClaimMessage.objects.exists()
    assert not Notification.objects.filter(kind="claim_message").exists()


def test_another_organisation_gets_404(parties, make_member):
    claim = parties["claim"]
    stranger = login(make_member("admin", name="Elsewhere"))
    assert stranger.get(reverse("claims:detail", args=[claim.pk])).status_code == 404
    assert (
        stranger.post(reverse("claims:message", args=[claim.pk]), {"body": "Hi"}).status_code == 404
    )
    assert (
        stranger.post(
            reverse("claims:slot_propose", args=[claim.pk]), {"starts_at": "2030-01-01T10:00"}
        )
    ).status_code == 404
    assert not ClaimMessage.objects.exists()


def test_after_collection_the_claimant_is_not_told_to_bring_the_document(parties):
    claim = parties["claim"]
    detail = reverse("claims:detail", args=[claim.pk])
    claim_approve(actor=parties["owner"], claim=claim)
    assert "bring it to the pickup" in text(login(parties["claimant"]).get(detail))
    claim_collect(actor=parties["owner"], claim=claim, quantity=2)
    page = text(login(parties["claimant"]).get(detail))
    assert "bring it to the pickup" not in page
    assert "keep it with the record of the handover" in page


def test_an_early_handover_asks_for_a_confirmation_on_the_page(parties):
    claim = parties["claim"]
    claim_approve(actor=parties["owner"], claim=claim)
    Claim.objects.filter(pk=claim.pk).update(pickup_at=timezone.now() + datetime.timedelta(days=1))
    owner = login(parties["owner"])
    page = text(owner.get(reverse("claims:detail", args=[claim.pk])))
    assert "it has not come yet" in page
    response = owner.post(reverse("claims:collect", args=[claim.pk]), {"quantity": "2"})
    assert response.status_code == 200
    assert "Confirm that the handover took place before it" in text(response)
    assert Claim.objects.get(pk=claim.pk).status == "approved"
    owner.post(
        reverse("claims:collect", args=[claim.pk]), {"quantity": "2", "before_slot_confirmed": "on"}
    )
    assert Claim.objects.get(pk=claim.pk).status == "collected"


def test_the_claim_page_costs_the_same_queries_however_long_the_thread(
    parties, django_assert_max_num_queries
):
    claim = parties["claim"]
    claim_approve(actor=parties["owner"], claim=claim)
    owner = login(parties["owner"])
    detail = reverse("claims:detail", args=[claim.pk])

    def talk(count: int) -> None:
        for number in range(count):
            actor = parties["owner"] if number % 2 else parties["claimant"]
            claim_message_post(actor=actor, claim=claim, body=f"message {number}")
            claim_slot_propose(
                actor=actor,
                claim=claim,
                starts_at=timezone.now() + datetime.timedelta(days=number + 1),
            )

    talk(2)
    with django_assert_max_num_queries(40) as few:
        assert owner.get(detail).status_code == 200
    talk(8)
    with django_assert_max_num_queries(40) as many:
        assert "message 7" in text(owner.get(detail))
    assert len(few.captured_queries) == len(many.captured_queries)
