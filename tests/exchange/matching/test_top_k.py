"""The top-K rule (a request's matches are its K best fitting lots) and the nightly
repair sweep (it matches what changed, and what a lost job never matched)."""

import datetime

import pytest
from django.utils import timezone

from exchange.claims.services import claim_create
from exchange.lots.models import Lot
from exchange.matching.models import LotMatchState, Match, MatchStatus, WantedRequest
from exchange.matching.services.engine import match_lot, match_wanted, matches_rematch_all
from exchange.notifications.models import Notification
from tests.exchange.matching.test_services import (
    open_social_window,
    wanted_for,
    world,  # noqa: F401 (fixture)
)
from tests.factories import LotFactory, MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_best(settings):
    settings.EXCHANGE_MATCHES_PER_REQUEST = 2


def desks(world, *quantities):  # noqa: F811
    """Published desks in Brussels; for a request of 20, more units score higher."""
    return [
        LotFactory(site=world["owner_site"], category=world["desk"], quantity=q, published=True)
        for q in quantities
    ]


def federal_request(world):  # noqa: F811
    return wanted_for(world["federal"], world["federal_site"], world["desk"], max_distance_km=120)


def notices(world):  # noqa: F811
    return Notification.objects.filter(user=world["federal"].user, kind="match")


def test_a_request_is_matched_with_its_k_best_lots_only(world, two_best):  # noqa: F811
    # given three desks, the first two of ten units (equal scores), one of two
    ten_a, ten_b, two = desks(world, 10, 10, 2)
    wanted = federal_request(world)
    # when
    matches = match_wanted(wanted_id=wanted.pk)
    # then the two best (of equal scores here, the lots published first)
    assert {m.lot_id for m in matches} == {ten_a.pk, ten_b.pk}
    assert matches[0].score == matches[1].score
    assert notices(world).count() == 2
    wanted.refresh_from_db()
    assert (wanted.match_floor, wanted.match_floor_lot_id) == (matches[1].score, ten_b.pk)
    # a lot that would rank below them is no match
    worse = desks(world, 1)[0]
    assert match_lot(lot_id=worse.pk) == []
    assert match_wanted(wanted_id=wanted.pk) == []
    assert Match.objects.filter(wanted=wanted).count() == 2


def test_a_better_lot_takes_the_place_of_a_match_nobody_looked_at(world, two_best):  # noqa: F811
    # given a request matched with two lots, told in-app, not yet read or e-mailed
    five, two = desks(world, 5, 2)
    wanted = federal_request(world)
    match_wanted(wanted_id=wanted.pk)
    # when a better lot is published
    twenty = desks(world, 20)[0]
    entered = match_lot(lot_id=twenty.pk)
    # then it is a match (notified once), and the weakest match and its notice are gone
    assert [m.lot_id for m in entered] == [twenty.pk]
    assert set(Match.objects.filter(wanted=wanted).values_list("lot_id", flat=True)) == {
        twenty.pk,
        five.pk,
    }
    keys = {f"match:{m.pk}" for m in Match.objects.filter(wanted=wanted)}
    assert set(notices(world).values_list("key", flat=True)) == keys
    # rerunning changes nothing
    assert match_lot(lot_id=twenty.pk) == []
    assert match_wanted(wanted_id=wanted.pk) == []
    assert notices(world).count() == 2


@pytest.mark.parametrize("how", ["seen", "read", "emailed", "dismissed"])
def test_a_match_people_saw_or_acted_on_stays_when_pushed_out(world, two_best, how):  # noqa: F811
    five, two = desks(world, 5, 2)
    wanted = federal_request(world)
    weakest = {m.lot_id: m for m in match_wanted(wanted_id=wanted.pk)}[two.pk]
    notice = notices(world).get(key=f"match:{weakest.pk}")
    if how in ("seen", "dismissed"):
        Match.objects.filter(pk=weakest.pk).update(status=how)
    else:
        Notification.objects.filter(pk=notice.pk).update(**{f"{how}_at": timezone.now()})
    twenty = desks(world, 20)[0]
    assert len(match_lot(lot_id=twenty.pk)) == 1
    weakest.refresh_from_db()
    assert weakest.ranked is False  # no longer among the two best, still listed
    assert Notification.objects.filter(pk=notice.pk).exists()
    ranked = Match.objects.filter(wanted=wanted, ranked=True).values_list("lot_id", flat=True)
    assert set(ranked) == {twenty.pk, five.pk}
    # and a next better lot pushes out the next weakest, not this one again
    thirty = desks(world, 30)[0]
    assert len(match_lot(lot_id=thirty.pk)) == 1
    assert Match.objects.filter(wanted=wanted).count() == 3  # 30, 20 and the one people saw
    assert not Match.objects.filter(wanted=wanted, lot=five).exists()


def test_the_nightly_repair_matches_a_lot_whose_job_was_lost(world):  # noqa: F811
    # given a request matched before a lot was published, and that lot's job lost
    wanted = federal_request(world)
    assert match_wanted(wanted_id=wanted.pk) == []
    lot = desks(world, 10)[0]  # published; its post-commit job never ran
    assert not Match.objects.exists()
    # when the nightly sweep runs
    result = matches_rematch_all()
    # then the lot has its match, notified once
    assert result["lots"] == 1 and result["requests"] == 0 and result["created"] == 1
    assert Match.objects.get().lot_id == lot.pk
    assert notices(world).count() == 1
    # and the next night there is nothing to repair
    again = matches_rematch_all()
    assert again["lots"] == 0 and again["requests"] == 0 and again["created"] == 0
    assert notices(world).count() == 1


def test_the_nightly_repair_matches_a_request_whose_job_was_lost(world):  # noqa: F811
    lot = desks(world, 10)[0]
    assert match_lot(lot_id=lot.pk) == []
    wanted = federal_request(world)  # its post-commit job never ran
    result = matches_rematch_all()
    assert result["requests"] == 1 and result["created"] == 1
    assert Match.objects.get().wanted_id == wanted.pk
    assert matches_rematch_all()["created"] == 0


def test_the_nightly_repair_matches_lots_whose_window_opened(world):  # noqa: F811
    # given a social enterprise's request and a lot still in its federal window
    wanted = wanted_for(world["social"], world["social_site"], world["desk"])
    lot = desks(world, 25)[0]
    match_lot(lot_id=lot.pk)
    match_wanted(wanted_id=wanted.pk)
    assert not Match.objects.exists()
    yesterday = timezone.now() - datetime.timedelta(days=1)
    LotMatchState.objects.filter(lot=lot).update(matched_at=yesterday)
    WantedRequest.objects.filter(pk=wanted.pk).update(matched_at=yesterday)
    # when the social-economy window opens and the tier job's matching is lost
    open_social_window(lot)
    matches_rematch_all()
    # then the sweep matched it
    assert Match.objects.get().wanted_id == wanted.pk


def test_the_nightly_repair_refills_a_request_whose_lot_was_taken(world, two_best):  # noqa: F811
    # given a request matched with its two best lots
    twenty, five, two = desks(world, 20, 5, 2)
    wanted = federal_request(world)
    match_wanted(wanted_id=wanted.pk)
    # when another organisation takes all of the best lot
    taker = MembershipFactory(organisation=OrganisationFactory(kind="federal"), role="member")
    claim_create(actor=taker, lot=Lot.objects.get(pk=twenty.pk), quantity=20)
    result = matches_rematch_all()
    # then its match (never looked at) is gone and the next best lot takes its place
    assert result["expired_matches"] == 1
    lots = set(Match.objects.filter(wanted=wanted).values_list("lot_id", flat=True))
    assert lots == {five.pk, two.pk}


def test_a_full_rematch_recomputes_every_request(world, two_best):  # noqa: F811
    twenty, five, two = desks(world, 20, 5, 2)
    wanted = federal_request(world)
    matches_rematch_all()
    Match.objects.all().delete()  # say, a restore lost them
    assert matches_rematch_all()["created"] == 0  # nothing changed that the repair sees
    result = matches_rematch_all(full=True)
    assert result["requests"] == 1 and result["created"] == 2
    assert LotMatchState.objects.filter(lot__in=[twenty, five, two]).count() == 3
    assert WantedRequest.objects.get(pk=wanted.pk).matched_at is not None


def test_matches_of_closed_requests_nobody_looked_at_expire(world):  # noqa: F811
    desks(world, 10)
    wanted = federal_request(world)
    match = match_wanted(wanted_id=wanted.pk)[0]
    WantedRequest.objects.filter(pk=wanted.pk).update(
        valid_until=timezone.localdate() - datetime.timedelta(days=1)
    )
    result = matches_rematch_all()
    assert result["expired"] == 1 and result["deleted_matches"] == 1
    assert not Match.objects.filter(pk=match.pk).exists()
    assert not notices(world).exists()
    assert MatchStatus.NEW  # the status people had not changed


def test_the_nightly_repair_withdraws_matches_once_an_accreditation_lapses(world):  # noqa: F811
    # given a social enterprise matched with a lot in the social-economy window
    wanted = wanted_for(world["social"], world["social_site"], world["desk"])
    lot = desks(world, 25)[0]
    open_social_window(lot)
    match = match_wanted(wanted_id=wanted.pk)[0]
    two_days_ago = timezone.now() - datetime.timedelta(days=2)
    WantedRequest.objects.filter(pk=wanted.pk).update(
        matched_at=two_days_ago, updated_at=two_days_ago - datetime.timedelta(days=1)
    )
    Lot.objects.filter(pk=lot.pk).update(updated_at=two_days_ago - datetime.timedelta(days=1))
    LotMatchState.objects.filter(lot=lot).update(matched_at=two_days_ago)
    organisations = type(world["social"].organisation).objects.filter(
        pk=world["social"].organisation_id
    )
    organisations.update(updated_at=two_days_ago - datetime.timedelta(days=1))
    assert matches_rematch_all()["requests"] == 0  # nothing changed yet
    # when its accreditation lapsed yesterday (time passed: nobody edited anything)
    organisations.update(
        accreditation_valid_until=timezone.localdate() - datetime.timedelta(days=1)
    )
    result = matches_rematch_all()
    # then the sweep matched the request again, and the match nobody looked at is gone:
    # until the open window, the enterprise counts as a non-profit
    assert result["requests"] == 1
    assert not Match.objects.filter(pk=match.pk).exists()
    # and the sweep after it has nothing more to do for that request
    assert matches_rematch_all()["requests"] == 0


def test_the_nightly_repair_rematches_requests_of_an_organisation_a_moderator_changed(
    world,  # noqa: F811
):
    federal_request(world)
    matches_rematch_all()
    assert matches_rematch_all()["requests"] == 0
    organisation = world["federal"].organisation
    organisation.save()  # e.g. verified again, or its kind changed, in the admin
    assert matches_rematch_all()["requests"] == 1
