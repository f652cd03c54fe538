"""The claim windows of a lot and the fields a lot copies, built without writing: what
publication and lot creation store (and what the demo and load generators build their
rows with)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from exchange.lots.eligibility import window_dates, window_days
from exchange.lots.models import Lot, Tier
from exchange.lots.services.lots import lot_create, lot_denormalised_values, lot_publish
from exchange.organisations.models import Site
from tests.exchange.lots.test_lifecycle import lot_input
from tests.factories import SiteFactory

NOON = datetime.datetime(2026, 5, 4, 10, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)


@pytest.fixture
def owner(fed_admin, categories):
    fed_admin.site = SiteFactory(organisation=fed_admin.organisation, region="WAL")
    return fed_admin


def test_windows_last_as_the_settings_say_unless_the_lot_shortened_them(settings):
    settings.EXCHANGE_FEDERAL_WINDOW_DAYS = 10
    settings.EXCHANGE_SOCIAL_ECONOMY_WINDOW_DAYS = 5
    assert window_days(Lot()) == (10, 5)
    assert window_days(Lot(federal_window_days=2, social_economy_window_days=0)) == (2, 0)


def test_each_window_opens_its_days_after_the_one_before():
    assert window_dates(NOON, 10, 5) == {
        Tier.FEDERAL: NOON,
        Tier.SOCIAL_ECONOMY: NOON + 10 * DAY,
        Tier.OPEN: NOON + 15 * DAY,
    }
    assert window_dates(NOON, 2, 0)[Tier.OPEN] == NOON + 2 * DAY  # 0 days: skipped


@pytest.mark.django_db
def test_publication_stores_the_windows(owner):
    data = lot_input(
        owner.site, federal_window_days=3, social_economy_window_days=4, window_reason="Move"
    )
    now = timezone.now()
    lot = lot_publish(actor=owner, lot=lot_create(actor=owner, data=data), now=now)
    lot = Lot.objects.get(pk=lot.pk)
    opens = window_dates(now, 3, 4)
    assert (lot.published_at, lot.social_economy_opens_at, lot.open_opens_at) == (
        opens[Tier.FEDERAL],
        opens[Tier.SOCIAL_ECONOMY],
        opens[Tier.OPEN],
    )
    assert lot.tier_at(now + 3 * DAY) == Tier.SOCIAL_ECONOMY
    assert lot.tier_at(now + 7 * DAY) == Tier.OPEN


def test_a_lot_copies_its_sites_place_and_the_rank_of_its_condition():
    site = Site(region="WAL", latitude=Decimal("50.466900"), longitude=Decimal("4.867500"))
    assert lot_denormalised_values(site=site, condition="fair") == {
        "condition_rank": 2,
        "region": "WAL",
        "latitude": Decimal("50.466900"),
        "longitude": Decimal("4.867500"),
    }
    assert lot_denormalised_values(site=site, condition="new")["condition_rank"] == 4


@pytest.mark.django_db
def test_a_new_lot_stores_what_it_copies(owner):
    draft = lot_create(actor=owner, data=lot_input(owner.site, condition="parts"))
    lot = Lot.objects.get(pk=draft.pk)
    expected = lot_denormalised_values(site=owner.site, condition="parts")
    assert {name: getattr(lot, name) for name in expected} == expected
