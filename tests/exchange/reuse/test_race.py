"""Claims from one reuse check at the same moment, each on its own connection: together
they never take more than the check needs."""

import datetime
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from exchange.categories.models import Category
from exchange.claims.models import Claim
from exchange.common.errors import ApplicationError
from exchange.reuse.models import Attestation, CheckStatus, ReuseCheck
from exchange.reuse.services.checks import CheckInput, reuse_check_claim, reuse_check_create
from tests.factories import LotFactory, MembershipFactory, OrganisationFactory, SiteFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_racing_claims_from_a_check_never_take_more_than_it_needs(categories):
    # given a check for 20 desks and four lots of 12 that fit it
    buyer = MembershipFactory(organisation=OrganisationFactory(kind="federal"), role="member")
    site = SiteFactory(organisation=buyer.organisation)
    desk = Category.objects.get(code="desk")
    owner = OrganisationFactory(kind="federal")
    lots = [
        LotFactory(site=SiteFactory(organisation=owner), category=desk, quantity=12, published=True)
        for _ in range(4)
    ]
    check = reuse_check_create(
        actor=buyer,
        data=CheckInput(
            category=desk,
            quantity=20,
            site=site,
            max_distance_km=50,
            needed_by=timezone.localdate() + datetime.timedelta(days=21),
            estimated_value_eur=Decimal("6000"),
            file_reference="RACE-1",
        ),
    )
    barrier = threading.Barrier(len(lots))

    def attempt(lot):
        try:
            barrier.wait(timeout=30)
            return ("claimed", reuse_check_claim(actor=buyer, check=check, lot=lot).quantity)
        except ApplicationError as exc:
            return (exc.kind, exc.code)
        finally:
            connection.close()

    # when four claims from it start at the same moment
    with ThreadPoolExecutor(max_workers=len(lots)) as pool:
        outcomes = list(pool.map(attempt, lots))

    # then they take exactly the 20 it needs: 12, then the 8 still needed, then refusals
    claimed = sorted(q for kind, q in outcomes if kind == "claimed")
    assert claimed == [8, 12]
    assert (
        sorted(o for o in outcomes if o[0] != "claimed") == [("conflict", "reuse_check_closed")] * 2
    )
    assert sum(Claim.objects.values_list("quantity", flat=True)) == 20
    check = ReuseCheck.objects.get(pk=check.pk)
    assert (check.status, check.close_reason) == (CheckStatus.CLOSED, "fully_claimed")
    assert Attestation.objects.get().summary["quantity_met"] == 20
