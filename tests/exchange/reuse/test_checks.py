"""Closing a reuse check by itself: at the end of its waiting period, or once the
claims from its matches cover its quantity."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from exchange.categories.models import Category
from exchange.matching.models import Match, WantedStatus
from exchange.matching.services.claiming import match_claim
from exchange.matching.services.engine import match_wanted
from exchange.reuse.models import CheckStatus, CloseReason, ReuseCheck
from exchange.reuse.selectors import reuse_check_claims, reuse_check_list
from exchange.reuse.services.checks import CheckInput, reuse_check_create, reuse_checks_close_due
from tests.factories import LotFactory, SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(categories, make_member):
    buyer = make_member("member", kind="federal", name="FPS Demo Logistics")
    buyer.user.language = "fr"
    buyer.user.save(update_fields=["language"])
    owner = make_member("admin", kind="federal", name="FPS Alpha")
    desk = Category.objects.get(code="desk")
    lot = LotFactory(
        site=SiteFactory(organisation=owner.organisation),
        category=desk,
        quantity=12,
        published=True,
    )
    return {"buyer": buyer, "site": SiteFactory(organisation=buyer.organisation), "lot": lot}


def _check(world, **changes):
    data = {
        "category": Category.objects.get(code="desk"),
        "quantity": 12,
        "site": world["site"],
        "max_distance_km": 30,
        "needed_by": timezone.localdate() + datetime.timedelta(days=21),
        "estimated_value_eur": Decimal("3600"),
        "file_reference": "FR-1",
    }
    data.update(changes)
    return reuse_check_create(actor=world["buyer"], data=CheckInput(**data))


def test_the_check_closes_at_the_end_of_its_period_in_the_buyers_language(world):
    check = _check(world, waiting_days=2)
    assert check.open_until == timezone.localdate() + datetime.timedelta(days=2)
    # not before its last day has passed
    assert reuse_checks_close_due(now=timezone.now() + datetime.timedelta(days=2)) == 0
    assert reuse_checks_close_due(now=timezone.now() + datetime.timedelta(days=3)) == 1
    check = ReuseCheck.objects.get(pk=check.pk)
    assert (check.status, check.close_reason) == (CheckStatus.CLOSED, CloseReason.PERIOD_ENDED)
    assert check.attestation.language == "fr"
    assert check.attestation.summary["quantity_to_buy"] == 12
    # and once only
    assert reuse_checks_close_due(now=timezone.now() + datetime.timedelta(days=4)) == 0


def test_claims_from_the_matches_of_an_open_check_count_and_close_it_at_once(
    world, django_capture_on_commit_callbacks
):
    # given an open check whose request the engine matched with the 12 desks
    check = _check(world)
    match_wanted(wanted_id=check.wanted_id)
    match = Match.objects.get(wanted_id=check.wanted_id)
    # when the buyer, told of the match, claims it from the matches page
    with django_capture_on_commit_callbacks(execute=True):
        claim = match_claim(actor=world["buyer"], match=match)
    assert claim.quantity == 12
    assert check.wanted.__class__.objects.get(pk=check.wanted_id).status == WantedStatus.FULFILLED
    # then the check is closed as fully claimed at once, the claim counted, in French
    check = ReuseCheck.objects.get(pk=check.pk)
    assert (check.status, check.close_reason) == (CheckStatus.CLOSED, CloseReason.FULLY_CLAIMED)
    assert check.attestation.language == "fr"
    assert check.attestation.summary["quantity_met"] == 12
    assert [c["lot"] for c in check.attestation.summary["claimed"]] == [world["lot"].pk]
    # and the periodic job finds nothing left to do
    assert reuse_checks_close_due() == 0


def test_a_claim_from_a_match_that_covers_part_of_the_check_counts_at_once(
    world, django_capture_on_commit_callbacks
):
    # given an open check for 20 desks whose request the engine matched with the 12 desks
    check = _check(world, quantity=20)
    match_wanted(wanted_id=check.wanted_id)
    match = Match.objects.get(wanted_id=check.wanted_id)
    # when the buyer claims the match
    with django_capture_on_commit_callbacks(execute=True):
        match_claim(actor=world["buyer"], match=match)
    # then the check, still open, says 12 of its 20 are met by reuse, in its list and its
    # claims, without waiting for the buyer to claim again or close it
    listed = reuse_check_list(actor=world["buyer"]).get(pk=check.pk)
    assert (listed.status, listed.claimed) == (CheckStatus.OPEN, 12)
    assert [c.claim.lot_id for c in reuse_check_claims(check)] == [world["lot"].pk]


def test_a_claim_from_a_match_whose_notice_was_lost_is_counted_by_the_periodic_job(world):
    # given an open check whose request the engine matched with the 12 desks, claimed
    # from the match by a process that stopped before the check heard of it
    check = _check(world)
    match_wanted(wanted_id=check.wanted_id)
    match_claim(actor=world["buyer"], match=Match.objects.get(wanted_id=check.wanted_id))
    assert ReuseCheck.objects.get(pk=check.pk).status == CheckStatus.OPEN
    # then the periodic job closes the check as fully claimed, the claim counted
    assert reuse_checks_close_due() == 1
    check = ReuseCheck.objects.get(pk=check.pk)
    assert (check.status, check.close_reason) == (CheckStatus.CLOSED, CloseReason.FULLY_CLAIMED)
    assert check.attestation.summary["quantity_met"] == 12
