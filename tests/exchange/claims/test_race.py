"""Concurrency is real: many claimants at once, each on its own database connection."""

import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from exchange.claims.models import LIVE_STATUSES, Claim
from exchange.claims.services import claim_create
from exchange.common.errors import ApplicationError
from exchange.lots.models import Lot, LotStatus
from tests.factories import LotFactory, MembershipFactory, OrganisationFactory, SiteFactory

pytestmark = pytest.mark.django_db(transaction=True)


def race(lot, claimants, quantities):
    """Every claimant claims at the same moment; returns their outcomes."""
    barrier = threading.Barrier(len(claimants))

    def attempt(args):
        actor, quantity = args
        try:
            barrier.wait(timeout=30)
            claim = claim_create(actor=actor, lot=lot, quantity=quantity)
            return ("claimed", claim.quantity)
        except ApplicationError as exc:
            return (exc.kind, exc.code)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(claimants)) as pool:
        return list(pool.map(attempt, zip(claimants, quantities, strict=True)))


@pytest.fixture
def lot_of_ten(fed_admin, categories):
    return LotFactory(
        site=SiteFactory(organisation=fed_admin.organisation), quantity=10, published=True
    )


def federal_claimants(n):
    return [
        MembershipFactory(organisation=OrganisationFactory(kind="federal"), role="member")
        for _ in range(n)
    ]


def test_twenty_four_claimants_for_ten_units_get_exactly_ten(lot_of_ten):
    outcomes = race(lot_of_ten, federal_claimants(24), [1] * 24)
    claimed = [o for o in outcomes if o[0] == "claimed"]
    refused = [o for o in outcomes if o[0] != "claimed"]
    assert len(claimed) == 10
    assert refused == [("conflict", "not_enough_left")] * 14
    lot = Lot.objects.get(pk=lot_of_ten.pk)
    assert lot.quantity_reserved == 10
    assert lot.status == LotStatus.RESERVED
    assert Claim.objects.filter(lot=lot, status__in=LIVE_STATUSES).count() == 10


def test_uneven_claims_never_over_allocate(lot_of_ten):
    rng = random.Random(7)
    quantities = [rng.randint(1, 4) for _ in range(20)]
    outcomes = race(lot_of_ten, federal_claimants(20), quantities)
    granted = sum(q for kind, q in outcomes if kind == "claimed")
    lot = Lot.objects.get(pk=lot_of_ten.pk)
    live = sum(
        Claim.objects.filter(lot=lot, status__in=LIVE_STATUSES).values_list("quantity", flat=True)
    )
    assert granted == live == lot.quantity_reserved <= 10
    assert all(kind in ("claimed", "conflict") for kind, _ in outcomes)
    # whatever is left is less than every refused request
    refused = [q for (kind, _), q in zip(outcomes, quantities, strict=True) if kind != "claimed"]
    assert all(q > lot.quantity - lot.quantity_reserved for q in refused)
