"""The claim pages, walked the way people use them: a federal service posts a lot,
another federal service claims part of it in the federal window, a social-economy
enterprise waits for its window and claims the rest; the owner approves, schedules
and confirms both handovers; both sides download the transfer document and read the
notifications of the other side."""

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.html import strip_tags

from exchange.claims.models import Claim, ClaimStatus
from exchange.claims.services import claim_approve, claim_create, claim_schedule
from exchange.lots.models import Lot, LotStatus
from exchange.notifications.models import Notification
from exchange.organisations.models import MembershipRole
from tests.factories import LotFactory, SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(fed_admin, categories):
    """An admin of a verified federal service with a site in Brussels."""
    fed_admin.site = SiteFactory(organisation=fed_admin.organisation, name="Headquarters")
    return fed_admin


@pytest.fixture
def lot(owner):
    return LotFactory(site=owner.site, quantity=10, published=True, title="Office chairs")


@pytest.fixture
def federal(make_member):
    return make_member(kind="federal", name="FPS Beta")


@pytest.fixture
def social(make_member):
    return make_member(social_economy=True, name="Kringwinkel Test")


@pytest.fixture
def stranger(make_member):
    return make_member(kind="public", name="City of Elsewhere")


def login(membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def text(response) -> str:
    """The page as people read it: tags dropped, white space collapsed."""
    return re.sub(r"\s+", " ", strip_tags(response.content.decode()))


def when(moment: datetime.datetime) -> str:
    with translation.override("en"):
        return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def slot(days: int = 1) -> str:
    """A pickup slot as a datetime-local input sends it."""
    return (timezone.localtime() + datetime.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


# --- The whole journey ------------------------------------------------------------


def test_two_claimants_share_a_lot_across_the_windows_and_the_owner_hands_it_over(
    owner, lot, federal, social, stranger
):
    lot_url = reverse("lots:detail", args=[lot.pk])
    create_url = reverse("claims:create", args=[lot.pk])
    federal_client, social_client, owner_client = login(federal), login(social), login(owner)

    # given: in the federal window, another federal service sees the claim form
    page = federal_client.get(lot_url)
    assert page.status_code == 200
    assert f'action="{create_url}"' in page.content.decode()
    assert "Claim windows" in text(page)
    assert when(lot.social_economy_opens_at) in text(page)  # the tier rules, with dates

    # when: it claims 4 of the 10 chairs through the lot page form
    response = federal_client.post(create_url, {"quantity": "4", "note": "For our Ghent office"})
    federal_claim = Claim.objects.get(claimant=federal.organisation)
    assert response.status_code == 302
    assert response["Location"] == reverse("claims:detail", args=[federal_claim.pk])
    page = federal_client.get(response["Location"])
    assert "Your claim of 4 units is registered" in text(page)
    assert (federal_claim.quantity, federal_claim.status, federal_claim.tier) == (
        4,
        ClaimStatus.PENDING,
        "federal",
    )

    # then: the social-economy enterprise is told when its window opens, and cannot claim
    page = social_client.get(lot_url)
    assert f'action="{create_url}"' not in page.content.decode()
    assert (
        "Claims are now open to: Federal services. Your organisation may claim from "
        f"{when(lot.social_economy_opens_at)}." in text(page)
    )
    refused = social_client.post(create_url, {"quantity": "6"})
    assert refused.status_code == 200
    assert "Your organisation may claim from" in text(refused)
    assert not Claim.objects.filter(claimant=social.organisation).exists()

    # when: its window opens, it claims the rest
    Lot.objects.filter(pk=lot.pk).update(
        social_economy_opens_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    page = social_client.get(lot_url)
    assert f'action="{create_url}"' in page.content.decode()
    assert "6 of 10 units are still available" in text(page)
    response = social_client.post(create_url, {"quantity": "6", "note": ""})
    social_claim = Claim.objects.get(claimant=social.organisation)
    assert response["Location"] == reverse("claims:detail", args=[social_claim.pk])
    assert social_claim.tier == "social_economy"
    assert Lot.objects.get(pk=lot.pk).status == LotStatus.RESERVED

    # then: the owner sees both claims on the lot page and in the inbox
    page = owner_client.get(lot_url)
    assert "Claims on this lot" in text(page)
    assert f"{reverse('claims:inbox')}?lot={lot.pk}" in page.content.decode()
    inbox_url = f"{reverse('claims:inbox')}?lot={lot.pk}"
    inbox = owner_client.get(inbox_url)
    assert "2 claims" in text(inbox)
    assert "FPS Beta" in text(inbox) and "Kringwinkel Test" in text(inbox)

    # when: the owner approves both from the inbox, which it returns to
    for claim in (federal_claim, social_claim):
        response = owner_client.post(
            reverse("claims:approve", args=[claim.pk]), {"next": inbox_url}
        )
        assert response.status_code == 302
        assert response["Location"] == inbox_url
    # ... sets the pickup slots ...
    for claim in (federal_claim, social_claim):
        response = owner_client.post(
            reverse("claims:schedule", args=[claim.pk]), {"pickup_at": slot(), "next": inbox_url}
        )
        assert response["Location"] == inbox_url
    # ... and confirms both handovers, one short of a unit, one weighed: the slots are
    # still to come, so the page first asks to confirm an early handover
    page = owner_client.post(
        reverse("claims:collect", args=[federal_claim.pk]), {"quantity": "4", "weight_kg": "52.5"}
    )
    assert page.status_code == 200
    assert "The agreed pickup slot is" in text(page) and "Confirm that the handover" in text(page)
    assert Claim.objects.get(pk=federal_claim.pk).status == ClaimStatus.APPROVED
    owner_client.post(
        reverse("claims:collect", args=[federal_claim.pk]),
        {"quantity": "4", "weight_kg": "52.5", "before_slot_confirmed": "on"},
    )
    owner_client.post(
        reverse("claims:collect", args=[social_claim.pk]),
        {"quantity": "5", "weight_kg": "", "before_slot_confirmed": "on"},
    )

    # then: the claims are collected, the unit left over is back on the lot
    federal_claim.refresh_from_db()
    social_claim.refresh_from_db()
    assert federal_claim.status == social_claim.status == ClaimStatus.COLLECTED
    assert str(federal_claim.measured_weight_kg) == "52.500"
    assert social_claim.collected_quantity == 5
    assert Lot.objects.get(pk=lot.pk).quantity_available == 1

    # and the claim pages of both sides show it, with the history newest first
    for client in (federal_client, owner_client):
        page = client.get(reverse("claims:detail", args=[federal_claim.pk]))
        assert page.status_code == 200
        body = text(page)
        assert "Collected" in body
        assert body.index("Handover confirmed") < body.index("Pickup slot set")
        assert body.index("Pickup slot set") < body.index("Approved")
        assert body.index("Approved") < body.index("Claimed")
        assert "For our Ghent office" in body
        assert "Download the transfer document (PDF)" in body

    # the transfer document downloads for both sides, and for nobody else
    document_url = reverse("claims:document", args=[social_claim.pk])
    for client in (social_client, owner_client):
        response = client.get(document_url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
    assert login(stranger).get(document_url).status_code == 404

    # the claimants read the owner's notices: approved, scheduled, collected
    page = federal_client.get(reverse("claims:mine"))
    assert "Notifications (3 unread)" in text(page)
    assert "Collected" in text(page) and "Office chairs" in text(page)
    notices = federal_client.get(reverse("notifications:list"))
    assert "Your claim was approved: Office chairs" in text(notices)
    assert "Handover confirmed: Office chairs" in text(notices)
    newest = Notification.objects.filter(user=federal.user).first()
    response = federal_client.get(reverse("notifications:open", args=[newest.pk]))
    assert response["Location"] == f"/claims/{federal_claim.pk}/"
    newest.refresh_from_db()
    assert newest.read_at is not None
    assert "Notifications (2 unread)" in text(federal_client.get(reverse("claims:mine")))

    # and the owner was told of both claims
    assert "Notifications (2 unread)" in text(owner_client.get(reverse("claims:inbox")))
    titles = set(Notification.objects.filter(user=owner.user).values_list("title", flat=True))
    assert titles == {"New claim on your lot: Office chairs"}


# --- The lot page's claim box ------------------------------------------------------


def test_the_claim_box_says_why_an_organisation_may_not_claim(lot, make_member, client):
    unverified = make_member(kind="federal", unverified=True)
    viewer = make_member(MembershipRole.VIEWER, kind="federal")
    lot_url = reverse("lots:detail", args=[lot.pk])

    assert "is not verified yet" in text(login(unverified).get(lot_url))
    assert "Your role in" in text(login(viewer).get(lot_url))
    anonymous = client.get(lot_url)
    assert "to claim this lot for your organisation" in text(anonymous)
    assert reverse("claims:create", args=[lot.pk]) not in anonymous.content.decode()


def test_claiming_more_than_is_left_shows_the_refusal_on_the_form(lot, federal):
    client = login(federal)
    response = client.post(reverse("claims:create", args=[lot.pk]), {"quantity": "11"})
    assert response.status_code == 200
    assert "Only 10 of 10 units are left." in text(response)
    assert 'class="error-summary"' in response.content.decode()
    assert not Claim.objects.exists()


def test_a_claimant_who_lost_the_race_reads_why_instead_of_a_missing_page(
    lot, federal, make_member
):
    first = make_member(kind="federal")
    assert login(first).post(reverse("claims:create", args=[lot.pk]), {"quantity": "10"})
    lot.refresh_from_db()
    assert lot.status == "reserved"
    response = login(federal).post(reverse("claims:create", args=[lot.pk]), {"quantity": "1"})
    assert response.status_code == 200
    assert "Every unit of this lot is claimed." in text(response)
    assert Claim.objects.filter(lot=lot).count() == 1


def test_a_claimant_still_sees_its_lot_once_reserved_and_others_do_not(lot, federal, stranger):
    client = login(federal)
    client.post(reverse("claims:create", args=[lot.pk]), {"quantity": "10"})
    lot.refresh_from_db()
    assert lot.status == "reserved"
    claim = Claim.objects.get(lot=lot)
    page = client.get(reverse("claims:detail", args=[claim.pk]))
    assert f'href="{reverse("lots:detail", args=[lot.pk])}"' in page.content.decode()
    response = client.get(reverse("lots:detail", args=[lot.pk]))
    assert response.status_code == 200
    assert f"Claim {claim.pk}: 10 units" in text(response)
    assert login(stranger).get(reverse("lots:detail", args=[lot.pk])).status_code == 404


def test_the_owner_closes_an_expired_lot_from_the_lot_page(owner, lot):
    Lot.objects.filter(pk=lot.pk).update(status=LotStatus.EXPIRED)
    client = login(owner)
    page = client.get(reverse("lots:detail", args=[lot.pk]))
    close_url = reverse("lots:close", args=[lot.pk])
    assert "Close this lot" in text(page)
    assert f'action="{close_url}"' in page.content.decode()

    response = client.post(close_url, {"outcome": "recycled"})

    assert response["Location"] == reverse("lots:detail", args=[lot.pk])
    lot.refresh_from_db()
    assert (lot.status, lot.close_outcome, lot.close_quantity) == (LotStatus.CLOSED, "recycled", 10)


# --- Actions and refusals --------------------------------------------------------


def test_declining_without_a_reason_shows_the_form_error_and_keeps_the_claim(owner, lot, federal):
    claim = claim_create(actor=federal, lot=lot, quantity=2)
    client = login(owner)
    url = reverse("claims:decline", args=[claim.pk])

    response = client.post(url, {"reason": "  "})

    assert response.status_code == 200
    assert "Say why you decline the claim." in text(response)
    assert 'class="field-error"' in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PENDING

    response = client.post(url, {"reason": "Already promised to the Ghent office"})
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.DECLINED
    page = login(federal).get(response["Location"])
    assert "Already promised to the Ghent office" in text(page)
    assert "Declined" in text(page)


def test_the_claimant_cancels_and_a_pickup_slot_in_the_past_is_refused(owner, lot, federal):
    claim = claim_create(actor=federal, lot=lot, quantity=3)
    claim_approve(actor=owner, claim=claim)
    client = login(federal)
    page = client.get(reverse("claims:detail", args=[claim.pk]))
    assert "Cancel the claim" in text(page)
    assert "Confirm the handover" not in text(page)  # the owner's action

    past = (timezone.localtime() - datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("claims:schedule", args=[claim.pk]), {"pickup_at": past})
    assert "The pickup slot must lie in the future." in text(response)

    response = client.post(reverse("claims:cancel", args=[claim.pk]))
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.CANCELLED
    assert Lot.objects.get(pk=lot.pk).quantity_available == 10
    assert "The claim is cancelled" in text(client.get(response["Location"]))


def test_a_no_show_is_offered_once_the_pickup_slot_passed(owner, lot, federal):
    claim = claim_create(actor=federal, lot=lot, quantity=3)
    claim_approve(actor=owner, claim=claim)
    claim_schedule(actor=owner, claim=claim, pickup_at=timezone.now() + datetime.timedelta(hours=1))
    client = login(owner)
    assert "Record a no-show" not in text(client.get(reverse("claims:detail", args=[claim.pk])))

    Claim.objects.filter(pk=claim.pk).update(pickup_at=timezone.now() - datetime.timedelta(hours=1))
    assert "Record a no-show" in text(client.get(reverse("claims:detail", args=[claim.pk])))
    client.post(reverse("claims:no_show", args=[claim.pk]))
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.NO_SHOW


def test_collecting_more_than_approved_is_refused_on_the_handover_form(owner, lot, federal):
    claim = claim_create(actor=federal, lot=lot, quantity=3)
    claim_approve(actor=owner, claim=claim)
    response = login(owner).post(
        reverse("claims:collect", args=[claim.pk]), {"quantity": "4", "weight_kg": ""}
    )
    assert "At most 3 units were approved." in text(response)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED


def test_a_stranger_gets_404_on_a_claim_and_on_every_action(owner, lot, federal, stranger):
    claim = claim_create(actor=federal, lot=lot, quantity=2)
    client = login(stranger)
    assert client.get(reverse("claims:detail", args=[claim.pk])).status_code == 404
    for name in ("approve", "decline", "cancel", "schedule", "collect", "no_show"):
        data = {"reason": "no", "pickup_at": slot(), "quantity": "1"}
        response = client.post(reverse(f"claims:{name}", args=[claim.pk]), data)
        assert response.status_code == 404, name
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PENDING
    # nor the owner's own side: the claimant cannot approve its claim
    login(federal).post(reverse("claims:approve", args=[claim.pk]))
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PENDING


def test_a_pending_claim_has_no_document_and_visitors_go_to_the_login(lot, federal, client):
    claim = claim_create(actor=federal, lot=lot, quantity=2)
    assert login(federal).get(reverse("claims:document", args=[claim.pk])).status_code == 404
    response = client.get(reverse("claims:detail", args=[claim.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_inbox_filters_on_status_and_lot(owner, lot, federal, social):
    other = LotFactory(site=owner.site, quantity=5, published=True, title="Desks")
    first = claim_create(actor=federal, lot=lot, quantity=1)
    claim_create(actor=federal, lot=other, quantity=1)
    claim_approve(actor=owner, claim=first)
    client = login(owner)

    by_lot = text(client.get(reverse("claims:inbox"), {"lot": other.pk}))
    assert "1 claim" in by_lot and "× Desks" in by_lot and "× Office chairs" not in by_lot
    by_status = text(client.get(reverse("claims:inbox"), {"status": "approved"}))
    assert "1 claim" in by_status and "Office chairs" in by_status and "× Desks" not in by_status
    # the claimant's own inbox is empty: it owns no lot
    assert "0 claims" in text(login(federal).get(reverse("claims:inbox")))


# --- Notifications -----------------------------------------------------------------


def test_notifications_are_per_person_and_marked_read_all_at_once(owner, lot, federal, stranger):
    claim_create(actor=federal, lot=lot, quantity=2)
    claim_create(actor=federal, lot=lot, quantity=1)
    client = login(owner)
    page = client.get(reverse("notifications:list"))
    assert "Notifications (2 unread)" in text(page)
    assert page.content.decode().count('class="notification unread"') == 2
    notification = Notification.objects.filter(user=owner.user).first()

    assert (
        login(stranger).get(reverse("notifications:open", args=[notification.pk])).status_code
        == 404
    )

    response = client.post(reverse("notifications:mark_all_read"))
    assert response["Location"] == reverse("notifications:list")
    page = client.get(reverse("notifications:list"))
    assert "unread)" not in text(page)
    assert 'class="notification unread"' not in page.content.decode()
    assert not Notification.objects.filter(user=owner.user, read_at__isnull=True).exists()


# --- Query counts ----------------------------------------------------------------


def _claims(owner, claimants, number: int) -> None:
    for index in range(number):
        lot = LotFactory(site=owner.site, quantity=5, published=True, title=f"Lot {index}")
        claim = claim_create(actor=claimants[index % len(claimants)], lot=lot, quantity=2)
        if index % 2:
            claim_approve(actor=owner, claim=claim)


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("page", ["claims:inbox", "claims:mine"])
def test_the_claim_lists_take_as_many_queries_for_many_claims_as_for_few(
    owner, federal, make_member, django_assert_max_num_queries, page
):
    claimants = [federal, make_member(kind="federal")]
    _claims(owner, claimants, 2)
    client = login(owner if page == "claims:inbox" else federal)
    few = _queries(client, reverse(page))

    _claims(owner, claimants, 20)

    with django_assert_max_num_queries(few):
        response = client.get(reverse(page))
    expected = "22 claims" if page == "claims:inbox" else "11 claims"  # every other is ours
    assert expected in text(response)
