"""Claiming a lot from a match checks everything before it writes anything."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from exchange.categories.models import Category
from exchange.claims.models import Claim
from exchange.common.errors import ApplicationError
from exchange.lots.models import Lot
from exchange.matching.models import Match, MatchStatus
from exchange.matching.services.claiming import match_claim
from exchange.matching.services.engine import match_wanted
from exchange.matching.services.wanted import wanted_withdraw
from exchange.notifications.models import Notification
from tests.exchange.matching.test_services import BRUSSELS, site, wanted_for
from tests.factories import LotFactory, MembershipFactory, OrganisationFactory


def a_match(quantity=12):
    """A federal request for 20 desks and its match with a lot of ``quantity``."""
    owner = OrganisationFactory(kind="federal")
    asking = MembershipFactory(organisation=OrganisationFactory(kind="federal"), role="admin")
    desk = Category.objects.get(code="desk")
    wanted = wanted_for(asking, site(asking.organisation, BRUSSELS), desk)
    lot = LotFactory(site=site(owner, BRUSSELS), category=desk, quantity=quantity, published=True)
    (match,) = match_wanted(wanted_id=wanted.pk)
    return asking, wanted, lot, match


def nothing_written(lot: Lot) -> None:
    assert not Claim.objects.exists()
    assert Lot.objects.get(pk=lot.pk).quantity_reserved == 0
    assert not Notification.objects.filter(kind="claim_created").exists()


@pytest.mark.django_db
def test_a_request_no_longer_open_claims_nothing(categories):
    asking, wanted, lot, match = a_match()
    wanted_withdraw(actor=asking, wanted=wanted)
    with pytest.raises(ApplicationError) as excinfo:
        match_claim(actor=asking, match=match)
    assert (excinfo.value.kind, excinfo.value.code) == ("conflict", "wanted_not_open")
    nothing_written(lot)
    assert Match.objects.get(pk=match.pk).status == MatchStatus.NEW


@pytest.mark.django_db(transaction=True)
def test_two_people_claiming_one_match_at_once_make_one_claim(categories):
    # given a match, and two people of the requesting organisation
    asking, wanted, lot, match = a_match()
    colleague = MembershipFactory(organisation=asking.organisation, role="member")
    barrier = threading.Barrier(2)

    def attempt(actor):
        try:
            barrier.wait(timeout=30)
            return match_claim(actor=actor, match=match).quantity
        except ApplicationError as exc:
            return exc.code
        finally:
            connection.close()

    # when both claim at the same moment
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(map(str, pool.map(attempt, [asking, colleague])))
    # then one claim of the 12 units there are, and the other is told the match is taken
    assert outcomes == ["12", "match_closed"]
    assert Claim.objects.get().quantity == Lot.objects.get(pk=lot.pk).quantity_reserved == 12
    assert Match.objects.get(pk=match.pk).status == MatchStatus.CLAIMED
    assert Notification.objects.filter(kind="claim_created").count() == 1
