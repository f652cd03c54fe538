"""An open reuse check behaves as a wanted request: a lot published during its waiting
period reaches it through the background jobs on a real worker, exactly once."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from exchange.categories.models import Category
from exchange.matching.models import Match, WantedRequest
from exchange.matching.tasks import match_lot_task
from exchange.notifications.models import Notification
from exchange.reuse.selectors import reuse_check_results
from exchange.reuse.services.checks import CheckInput, reuse_check_close, reuse_check_create
from tests.conftest import wait_for
from tests.factories import LotFactory, MembershipFactory, OrganisationFactory, SiteFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_lot_published_during_the_period_reaches_the_open_check_once(
    celery_worker_thread, categories
):
    # given an open check for 20 desks, and nothing that fits yet
    buyer = MembershipFactory(
        organisation=OrganisationFactory(kind="federal", name="FPS Demo Logistics"), role="member"
    )
    site = SiteFactory(organisation=buyer.organisation)
    desk = Category.objects.get(code="desk")
    check = reuse_check_create(
        actor=buyer,
        data=CheckInput(
            category=desk,
            quantity=20,
            site=site,
            max_distance_km=50,
            needed_by=timezone.localdate() + datetime.timedelta(days=21),
            estimated_value_eur=Decimal("6000"),
            file_reference="FPS-DL/2026/041",
        ),
    )
    done = celery_worker_thread.finished
    wanted = WantedRequest.objects.filter(pk=check.wanted_id, matched_at__isnull=False)
    assert wait_for(wanted.exists)
    assert reuse_check_results(check) == []
    # when another federal service publishes 12 desks nearby
    owner = OrganisationFactory(kind="federal", name="FPS Alpha")
    lot = LotFactory(
        site=SiteFactory(organisation=owner, latitude=Decimal("50.84"), longitude=Decimal("4.37")),
        category=desk,
        quantity=12,
        published=True,
    )
    # then the background job matches it to the check's request and tells the buyer
    assert wait_for(lambda: Match.objects.filter(wanted=check.wanted, lot=lot).exists(), 60)
    assert wait_for(lambda: "matching.match_lot" in done, timeout=60)
    assert Match.objects.filter(wanted=check.wanted, lot=lot).count() == 1
    assert Notification.objects.filter(user=buyer.user, kind="match").count() == 1
    # and when the job runs again, nothing is matched or told twice
    runs = done.count("matching.match_lot")
    match_lot_task.delay(lot.pk)
    assert wait_for(lambda: done.count("matching.match_lot") == runs + 1, timeout=60)
    assert Match.objects.filter(wanted=check.wanted).count() == 1
    assert Notification.objects.filter(user=buyer.user, kind="match").count() == 1
    # and the check offers it, and its attestation lists it
    assert [r.lot.pk for r in reuse_check_results(check)] == [lot.pk]
    closed = reuse_check_close(actor=buyer, check=check)
    assert [o["lot"] for o in closed.attestation.summary["offered"]] == [lot.pk]
    assert closed.attestation.summary["lots_examined"] == 1
