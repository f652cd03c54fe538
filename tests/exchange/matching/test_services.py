import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from exchange.categories.models import Category
from exchange.common.errors import ApplicationError, ErrorKind
from exchange.common.geo import distance_km
from exchange.lots.models import Lot
from exchange.matching.models import Match, MatchStatus, WantedRequest, WantedStatus
from exchange.matching.services.claiming import match_claim, match_dismiss
from exchange.matching.services.engine import match_lot, match_wanted, matches_rematch_all
from exchange.matching.services.fits import lot_fits
from exchange.matching.services.notices import matches_digest_send
from exchange.matching.services.wanted import WantedInput, wanted_create, wanted_update
from exchange.notifications.models import Notification
from exchange.notifications.services import notification_email_send
from tests.factories import LotFactory, MembershipFactory, OrganisationFactory, SiteFactory

pytestmark = pytest.mark.django_db

BRUSSELS = (Decimal("50.846600"), Decimal("4.367600"))
HALLE = (Decimal("50.735000"), Decimal("4.237000"))  # about 15 km away
LIEGE = (Decimal("50.632600"), Decimal("5.579700"))  # about 88 km away


def site(organisation, where, postcode="1000", region="BRU"):
    return SiteFactory(
        organisation=organisation,
        latitude=where[0],
        longitude=where[1],
        postcode=postcode,
        region=region,
    )


@pytest.fixture
def world(fed_admin, categories):
    social = MembershipFactory(organisation=OrganisationFactory(social_economy=True), role="member")
    federal = MembershipFactory(organisation=OrganisationFactory(kind="federal"), role="member")
    return {
        "owner": fed_admin,
        "owner_site": site(fed_admin.organisation, BRUSSELS),
        "social": social,
        "social_site": site(social.organisation, HALLE, postcode="1500", region="VLG"),
        "federal": federal,
        "federal_site": site(federal.organisation, LIEGE, postcode="4000", region="WAL"),
        "desk": Category.objects.get(code="desk"),
        "furniture": Category.objects.get(code="furniture"),
    }


def wanted_for(actor, site_, category, **overrides):
    values = {
        "category": category,
        "quantity": 20,
        "min_condition": "fair",
        "site": site_,
        "max_distance_km": 30,
        "valid_until": timezone.localdate() + datetime.timedelta(days=60),
    }
    values.update(overrides)
    return wanted_create(actor=actor, data=WantedInput(**values))


def open_social_window(lot):
    Lot.objects.filter(pk=lot.pk).update(
        social_economy_opens_at=timezone.now() - datetime.timedelta(minutes=1)
    )


def test_a_lot_reaches_a_social_enterprise_only_once_its_window_opens(world):
    wanted = wanted_for(world["social"], world["social_site"], world["desk"])
    lot = LotFactory(site=world["owner_site"], category=world["desk"], quantity=25, published=True)
    assert match_lot(lot_id=lot.pk) == []  # federal window: not for them yet
    assert match_wanted(wanted_id=wanted.pk) == []
    open_social_window(lot)
    matches = match_lot(lot_id=lot.pk)
    assert len(matches) == 1
    match = matches[0]
    assert match.reasons["category"] == "exact"
    assert match.reasons["distance_km"] == pytest.approx(15.1, abs=0.5)
    assert match.reasons["quantity_coverage"] == 1.0
    assert 0.5 < match.score <= 1
    # rerunning any job changes nothing
    assert match_lot(lot_id=lot.pk) == []
    assert match_wanted(wanted_id=wanted.pk) == []
    assert matches_rematch_all()["created"] == 0
    assert Match.objects.count() == 1
    assert Notification.objects.filter(user=world["social"].user, kind="match").count() == 1


def test_candidates_follow_category_subtree_condition_and_distance(world):
    wanted = wanted_for(
        world["federal"],
        world["federal_site"],
        world["furniture"],
        min_condition="good",
        max_distance_km=100,
    )
    near_desk = LotFactory(site=world["owner_site"], category=world["desk"], published=True)
    far_ok = distance_km(*map(float, LIEGE), *map(float, BRUSSELS)) < 100
    worn = LotFactory(
        site=world["owner_site"], category=world["desk"], condition="fair", published=True
    )
    laptop = LotFactory(
        site=world["owner_site"], category=Category.objects.get(code="monitor"), published=True
    )
    matches = match_wanted(wanted_id=wanted.pk)
    assert far_ok
    assert [m.lot_id for m in matches] == [near_desk.pk]
    assert matches[0].reasons["category"] == "parent"
    assert worn.pk and laptop.pk
    narrow = wanted_for(world["federal"], world["federal_site"], world["desk"], max_distance_km=50)
    assert match_wanted(wanted_id=narrow.pk) == []  # Brussels is ~88 km from Liège


def test_anywhere_in_a_region(world):
    wanted = wanted_for(world["federal"], None, world["desk"], max_distance_km=None, region="BRU")
    lot = LotFactory(site=world["owner_site"], category=world["desk"], published=True)
    assert [m.lot_id for m in match_wanted(wanted_id=wanted.pk)] == [lot.pk]
    assert match_wanted(wanted_id=wanted.pk) == []


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"quantity": 0}, "quantity"),
        ({"max_distance_km": 0}, "max_distance_km"),
        ({"max_distance_km": 501}, "max_distance_km"),
        ({"valid_until": datetime.date(2020, 1, 1)}, "valid_until"),
        ({"category": None}, "category"),
        ({"site": None, "max_distance_km": None}, "site"),
        ({"min_condition": "mint"}, "min_condition"),
    ],
)
def test_bad_requests_are_refused_and_nothing_is_written(world, overrides, field):
    category = overrides.pop("category", world["desk"])
    with pytest.raises(ApplicationError) as excinfo:
        wanted_for(world["social"], world["social_site"], category, **overrides)
    assert field in excinfo.value.errors
    assert not Match.objects.exists()


def test_a_site_of_another_organisation_is_refused(world):
    with pytest.raises(ApplicationError) as excinfo:
        wanted_for(world["social"], world["owner_site"], world["desk"])
    assert excinfo.value.errors["site"]


def test_claiming_from_a_match_takes_what_is_still_wanted_and_fulfils_the_request(world):
    wanted = wanted_for(
        world["federal"], world["federal_site"], world["desk"], quantity=8, max_distance_km=120
    )
    big = LotFactory(site=world["owner_site"], category=world["desk"], quantity=5, published=True)
    other = LotFactory(
        site=world["owner_site"], category=world["desk"], quantity=30, published=True
    )
    matches = {m.lot_id: m for m in match_wanted(wanted_id=wanted.pk)}
    first = match_claim(actor=world["federal"], match=matches[big.pk])
    assert first.quantity == 5  # all that was available
    second = match_claim(actor=world["federal"], match=matches[other.pk])
    assert second.quantity == 3  # what was still wanted
    wanted.refresh_from_db()
    assert wanted.status == WantedStatus.FULFILLED
    assert Match.objects.get(pk=matches[big.pk].pk).status == MatchStatus.CLAIMED
    with pytest.raises(ApplicationError) as excinfo:
        match_claim(actor=world["federal"], match=matches[big.pk])
    assert excinfo.value.kind == ErrorKind.CONFLICT


def test_only_the_requesting_organisation_acts_on_its_matches(world):
    wanted = wanted_for(world["federal"], world["federal_site"], world["desk"], max_distance_km=120)
    LotFactory(site=world["owner_site"], category=world["desk"], published=True)
    match = match_wanted(wanted_id=wanted.pk)[0]
    for action in (match_dismiss, match_claim):
        with pytest.raises(ApplicationError) as excinfo:
            action(actor=world["social"], match=match)
        assert excinfo.value.kind == ErrorKind.NOT_FOUND
    assert match_dismiss(actor=world["federal"], match=match).status == MatchStatus.DISMISSED


def test_changing_a_request_rematches_it(world, django_capture_on_commit_callbacks):
    wanted = wanted_for(world["federal"], world["federal_site"], world["desk"], max_distance_km=50)
    LotFactory(site=world["owner_site"], category=world["desk"], published=True)
    assert match_wanted(wanted_id=wanted.pk) == []
    with django_capture_on_commit_callbacks() as callbacks:
        wanted_update(
            actor=world["federal"],
            wanted=wanted,
            data=WantedInput.from_wanted(wanted, max_distance_km=120),
        )
    assert len(callbacks) == 1  # the rematch is enqueued after commit
    assert len(match_wanted(wanted_id=wanted.pk)) == 1


def test_the_daily_digest_sends_each_person_their_matches_once(world):
    world["federal"].user.language = "fr"
    world["federal"].user.save()
    wanted = wanted_for(world["federal"], world["federal_site"], world["desk"], max_distance_km=120)
    LotFactory(site=world["owner_site"], category=world["desk"], published=True, title="Bureaux A")
    LotFactory(site=world["owner_site"], category=world["desk"], published=True, title="Bureaux B")
    match_wanted(wanted_id=wanted.pk)
    assert mail.outbox == []  # daily by default: no e-mail at once
    assert matches_digest_send() == 1
    assert matches_digest_send() == 0
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [world["federal"].user.email]
    assert "Bureaux A" in mail.outbox[0].body and "Bureaux B" in mail.outbox[0].body


def test_people_who_ask_get_matches_at_once(world, django_capture_on_commit_callbacks):
    world["federal"].user.match_notifications = "immediate"
    world["federal"].user.save()
    wanted = wanted_for(world["federal"], world["federal_site"], world["desk"], max_distance_km=120)
    LotFactory(site=world["owner_site"], category=world["desk"], published=True)
    with django_capture_on_commit_callbacks() as callbacks:
        match_wanted(wanted_id=wanted.pk)
    assert len(callbacks) == 1  # the e-mail task, enqueued after commit
    notification = Notification.objects.get(user=world["federal"].user, kind="match")
    assert notification_email_send(notification_id=notification.pk) is True  # the task's work
    assert notification_email_send(notification_id=notification.pk) is False  # once
    assert len(mail.outbox) == 1
    assert matches_digest_send() == 0


def test_the_nightly_sweep_expires_old_requests(world):
    wanted = wanted_for(world["federal"], world["federal_site"], world["desk"])
    from exchange.matching.models import WantedRequest

    WantedRequest.objects.filter(pk=wanted.pk).update(
        valid_until=timezone.localdate() - datetime.timedelta(days=1)
    )
    assert matches_rematch_all()["expired"] == 1
    wanted.refresh_from_db()
    assert wanted.status == WantedStatus.EXPIRED


def test_editing_a_request_keeps_the_matches_that_still_fit(world):
    # given a request with three matches: two seen, one dismissed
    wanted = wanted_for(world["federal"], world["federal_site"], world["desk"], max_distance_km=120)
    good = LotFactory(site=world["owner_site"], category=world["desk"], published=True)
    dismissed_lot = LotFactory(site=world["owner_site"], category=world["desk"], published=True)
    fair = LotFactory(
        site=world["owner_site"], category=world["desk"], condition="fair", published=True
    )
    match_wanted(wanted_id=wanted.pk)
    by_lot = {m.lot_id: m for m in Match.objects.filter(wanted=wanted)}
    assert set(by_lot) == {good.pk, dismissed_lot.pk, fair.pk}
    Match.objects.filter(pk__in=[by_lot[good.pk].pk, by_lot[fair.pk].pk]).update(
        status=MatchStatus.SEEN
    )
    match_dismiss(actor=world["federal"], match=by_lot[dismissed_lot.pk])
    before = dict(Match.objects.filter(wanted=wanted).values_list("pk", "status"))
    notices = set(
        Notification.objects.filter(kind="match", user=world["federal"].user).values_list(
            "pk", flat=True
        )
    )

    # when only its note changes (and the rematch after it runs)
    wanted_update(
        actor=world["federal"],
        wanted=wanted,
        data=WantedInput.from_wanted(wanted, note="For the new office in Namur"),
    )
    match_wanted(wanted_id=wanted.pk)

    # then every match keeps its id and state, and the notices their links
    assert dict(Match.objects.filter(wanted=wanted).values_list("pk", "status")) == before
    assert (
        set(
            Notification.objects.filter(kind="match", user=world["federal"].user).values_list(
                "pk", flat=True
            )
        )
        == notices
    )

    # when it asks for good condition at least, of any furniture (a cabinet fits now)
    cabinet = LotFactory(
        site=world["owner_site"], category=Category.objects.get(code="cabinet"), published=True
    )
    wanted.refresh_from_db()
    wanted_update(
        actor=world["federal"],
        wanted=wanted,
        data=WantedInput.from_wanted(wanted, min_condition="good", category=world["furniture"]),
    )
    match_wanted(wanted_id=wanted.pk)

    # then the fair lot's match goes, the others stay as they were, the cabinet is matched
    after = dict(Match.objects.filter(wanted=wanted).values_list("lot_id", "pk"))
    assert fair.pk not in after
    assert after[good.pk] == by_lot[good.pk].pk
    assert after[dismissed_lot.pk] == by_lot[dismissed_lot.pk].pk
    assert Match.objects.get(pk=after[dismissed_lot.pk]).status == MatchStatus.DISMISSED
    assert Match.objects.get(pk=after[good.pk]).status == MatchStatus.SEEN
    assert cabinet.pk in after


def test_match_wanted_reads_the_request_its_site_and_organisation_as_the_orm_does(world):
    # given a request within a distance of a site, one anywhere in a region, one withdrawn
    from exchange.matching.services.engine import _row, _wanted_to_match

    near = wanted_for(world["federal"], world["federal_site"], world["desk"], max_width_cm=90)
    region = wanted_for(
        world["social"], None, world["furniture"], max_distance_km=None, region="VLG"
    )
    closed = wanted_for(world["federal"], world["federal_site"], world["furniture"])
    WantedRequest.objects.filter(pk=closed.pk).update(status=WantedStatus.WITHDRAWN)
    for wanted in (near, region):
        # when match_wanted reads it (on PostgreSQL: from the statement made once)
        read = _row(_wanted_to_match, wanted.pk)
        # then every field, its site (or none) and its organisation are the queryset's
        expected = _wanted_to_match().get(pk=wanted.pk)
        for field in WantedRequest._meta.concrete_fields:
            assert getattr(read, field.attname) == getattr(expected, field.attname), field
        assert read.get_deferred_fields() == expected.get_deferred_fields() == set()
        assert (read.site is None) is (expected.site is None) is (wanted is region)
        if read.site is not None:
            assert (read.site.latitude, read.site.longitude) == (
                expected.site.latitude,
                expected.site.longitude,
            )
        assert read.organisation.pk == expected.organisation.pk
        assert read.organisation.accreditation_valid_until == (
            expected.organisation.accreditation_valid_until
        )
        assert read.organisation.kind == expected.organisation.kind
    # a withdrawn request, or none, is not read
    assert _row(_wanted_to_match, closed.pk) is None
    assert _row(_wanted_to_match, closed.pk + 1000) is None


def test_match_lot_reads_the_lot_its_category_and_whether_it_has_matches_as_the_orm_does(world):
    # given a published lot with a match, and one without
    from exchange.matching.services.engine import _LOT_TEXTS, _lot_to_match, _lots_to_match

    wanted_for(world["federal"], world["federal_site"], world["furniture"], max_distance_km=200)
    matched = LotFactory(site=world["owner_site"], category=world["desk"], published=True)
    alone = LotFactory(
        site=world["owner_site"],
        category=Category.objects.get(code="monitor"),
        published=True,
        width_cm=40,
    )
    assert match_lot(lot_id=matched.pk)
    for lot_id in (matched.pk, alone.pk):
        # when match_lot reads it (on PostgreSQL: from the statement made once)
        lot = _lot_to_match(lot_id)
        # then every field, its category and the flag are the queryset's
        expected = _lots_to_match().get(pk=lot_id)
        for field in Lot._meta.concrete_fields:
            if field.attname not in _LOT_TEXTS:
                assert getattr(lot, field.attname) == getattr(expected, field.attname), field
        assert lot.get_deferred_fields() == expected.get_deferred_fields()
        assert lot.category.path == expected.category.path
        assert lot.category.name == expected.category.name
        assert lot.has_matches is expected.has_matches is (lot_id == matched.pk)
        assert lot.tier_at() == expected.tier_at() and lot.size == expected.size
    assert _lot_to_match(alone.pk + 1000) is None


def test_a_lot_reaches_each_request_whose_region_or_distance_holds_it_once(world):
    federal, liege = world["federal"], world["federal_site"]
    anywhere_here = wanted_for(federal, None, world["desk"], max_distance_km=None, region="BRU")
    _anywhere_else = wanted_for(federal, None, world["desk"], max_distance_km=None, region="WAL")
    near = wanted_for(federal, liege, world["furniture"], max_distance_km=100)
    near_naming_the_region = wanted_for(
        federal, liege, world["desk"], max_distance_km=100, region="BRU"
    )
    _too_far = wanted_for(federal, liege, world["desk"], max_distance_km=50)
    lot = LotFactory(site=world["owner_site"], category=world["desk"], published=True)
    reached = sorted([anywhere_here.pk, near.pk, near_naming_the_region.pk])
    fits, _organisations, _floors = lot_fits(Lot.objects.get(pk=lot.pk))
    assert sorted(fit[1] for fit in fits) == reached  # each once
    assert sorted(m.wanted_id for m in match_lot(lot_id=lot.pk)) == reached
