"""The matching journey (docs/design.md §4) on a real worker and broker."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from exchange.categories.models import Category
from exchange.claims.models import Claim
from exchange.lots.models import Lot
from exchange.lots.services.lots import lots_advance
from exchange.matching.models import Match, MatchStatus, WantedStatus
from exchange.matching.services.claiming import match_claim
from exchange.matching.services.wanted import WantedInput, wanted_create
from exchange.notifications.models import Notification
from tests.conftest import wait_for
from tests.factories import LotFactory, MembershipFactory, OrganisationFactory, SiteFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_request_for_desks_meets_a_lot_only_when_its_window_opens(
    celery_worker_thread, fed_admin, categories
):
    # given a social-economy enterprise that needs 20 desks within 30 km of Halle
    social = MembershipFactory(organisation=OrganisationFactory(social_economy=True), role="member")
    halle = SiteFactory(
        organisation=social.organisation,
        postcode="1500",
        region="VLG",
        latitude=Decimal("50.7350"),
        longitude=Decimal("4.2370"),
    )
    desk = Category.objects.get(code="desk")
    wanted = wanted_create(
        actor=social,
        data=WantedInput(
            category=desk,
            quantity=20,
            min_condition="fair",
            site=halle,
            max_distance_km=30,
            valid_until=timezone.localdate() + datetime.timedelta(days=90),
        ),
    )
    # when a federal service publishes 25 desks about 12 km away, in the federal window
    uccle = SiteFactory(
        organisation=fed_admin.organisation,
        postcode="1180",
        region="BRU",
        latitude=Decimal("50.8000"),
        longitude=Decimal("4.3700"),
    )
    lot = LotFactory(site=uccle, category=desk, quantity=25, published=True)
    # then no match reaches the enterprise while only federal services may claim
    done = celery_worker_thread.finished
    assert wait_for(lambda: "matching.match_wanted" in done and "matching.match_lot" in done)
    assert not Match.objects.exists()
    assert not Notification.objects.filter(user=social.user).exists()
    # when the social-economy window opens and the periodic job announces it
    Lot.objects.filter(pk=lot.pk).update(
        social_economy_opens_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert lots_advance()["tiers_opened"] == 1
    # then exactly one match and one notification reach the enterprise
    assert wait_for(lambda: Match.objects.filter(wanted=wanted).exists(), timeout=60)
    assert lots_advance()["tiers_opened"] == 0
    assert wait_for(lambda: done.count("matching.match_lot") == 2)  # both jobs ran
    match = Match.objects.get(wanted=wanted)
    assert match.reasons["distance_km"] == pytest.approx(11.8, abs=0.2)
    assert Notification.objects.filter(user=social.user, kind="match").count() == 1
    # and the enterprise claims from the match: 20 of the 25 desks
    claim = match_claim(actor=social, match=match)
    assert claim.quantity == 20
    assert Claim.objects.get(pk=claim.pk).tier == "social_economy"
    match.refresh_from_db()
    wanted.refresh_from_db()
    assert match.status == MatchStatus.CLAIMED
    assert wanted.status == WantedStatus.FULFILLED


def test_the_nightly_repair_runs_in_chunks_on_the_workers(
    celery_worker_thread, categories, settings, monkeypatch
):
    """The beat's task plans the sweep and sends its chunks to the workers as a group:
    every request gets its K best, every lot due is matched, and running a chunk again
    changes nothing."""
    from devtools.load.lots import lots_generate_load
    from devtools.load.wanted import generated_wanted, wanted_generate_load
    from exchange.matching.services import engine
    from exchange.matching.services.fits import wanted_best
    from exchange.matching.tasks import matches_rematch_all_task, matches_rematch_task

    settings.EXCHANGE_MATCHES_PER_REQUEST = 4
    monkeypatch.setattr(engine, "REQUESTS_PER_CHUNK", 15)
    monkeypatch.setattr(engine, "LOTS_PER_CHUNK", 40)
    lots_generate_load(lots=120, organisations=6, seed=9)
    wanted_generate_load(wanted=40, seed=9)
    # when the beat starts the sweep (requests never matched: a sweep of requests;
    # lots never matched: stamped, as every open request is matched)
    matches_rematch_all_task.delay()
    done = celery_worker_thread.finished
    assert wait_for(lambda: done.count("matching.matches_rematch") == 3, timeout=120)
    # then each request holds its K best lots, as the engine computes them for it alone
    now = timezone.now()
    requests = list(generated_wanted().select_related("site", "organisation"))
    for wanted in requests:
        stored = list(
            Match.objects.filter(wanted=wanted, ranked=True)
            .order_by("-score", "lot_id")
            .values_list("lot_id", "score")
        )
        assert stored == [(fit[0], fit[2]) for fit in wanted_best(wanted, now=now)]
    assert Match.objects.count() > 20
    # and a chunk run again makes nothing new
    before = set(Match.objects.values_list("pk", "lot_id", "wanted_id"))
    assert matches_rematch_task([w.pk for w in requests], now.isoformat()) == 0
    assert set(Match.objects.values_list("pk", "lot_id", "wanted_id")) == before
