import datetime

import pytest
from django.utils import timezone

from exchange.categories.models import Category
from exchange.common.errors import ApplicationError, ErrorKind
from exchange.common.models import AuditEvent
from exchange.lots.models import Lot, LotStatus, Tier
from exchange.lots.services.lots import (
    ItemInput,
    LotInput,
    lot_create,
    lot_delete,
    lot_publish,
    lot_update,
    lot_withdraw,
    lots_advance,
)
from exchange.lots.signals import lot_tier_opened
from tests.factories import LotFactory, SiteFactory

pytestmark = pytest.mark.django_db


def lot_input(site, **overrides) -> LotInput:
    values = {
        "site": site,
        "category": Category.objects.get(code="office-chair"),
        "title": "Office chairs",
        "quantity": 12,
        "condition": "good",
        "available_until": timezone.localdate() + datetime.timedelta(days=30),
    }
    values.update(overrides)
    return LotInput(**values)


@pytest.fixture
def owner(fed_admin, categories):
    fed_admin.site = SiteFactory(organisation=fed_admin.organisation)
    return fed_admin


def test_a_lot_is_created_as_a_draft_with_its_site_region_and_an_audit_event(owner):
    lot = lot_create(actor=owner, data=lot_input(owner.site))
    assert lot.status == LotStatus.DRAFT
    assert lot.region == "BRU"
    assert lot.tier is None
    assert lot.quantity_available == 12
    assert "bureaustoel" in lot.search_document  # category names in every language
    assert AuditEvent.objects.filter(object_id=str(lot.pk), action="create").exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"quantity": 0}, "quantity"),
        ({"quantity": -3}, "quantity"),
        ({"quantity": 10_000_000}, "quantity"),
        ({"unit_weight_kg": 0}, "unit_weight_kg"),
        ({"unit_weight_kg": 99_999}, "unit_weight_kg"),
        ({"condition": "broken"}, "condition"),
        ({"title": "  "}, "title"),
        ({"available_until": datetime.date(2020, 1, 1)}, "available_until"),
        ({"federal_window_days": 30}, "federal_window_days"),
        ({"federal_window_days": 3}, "window_reason"),
    ],
)
def test_bad_lots_are_refused_and_nothing_is_written(owner, overrides, field):
    with pytest.raises(ApplicationError) as excinfo:
        lot_create(actor=owner, data=lot_input(owner.site, **overrides))
    assert field in excinfo.value.errors
    assert not Lot.objects.exists()


def test_a_site_of_another_organisation_is_refused(owner):
    with pytest.raises(ApplicationError) as excinfo:
        lot_create(actor=owner, data=lot_input(SiteFactory()))
    assert excinfo.value.errors["site"]
    assert excinfo.value.code == "site_not_owned"


def test_unverified_organisations_cannot_post(make_member, categories):
    admin = make_member("admin", unverified=True)
    site = SiteFactory(organisation=admin.organisation)
    with pytest.raises(ApplicationError) as excinfo:
        lot_create(actor=admin, data=lot_input(site))
    assert excinfo.value.code == "organisation_not_verified"


def test_viewers_cannot_post(make_member, categories):
    viewer = make_member("viewer")
    with pytest.raises(ApplicationError) as excinfo:
        lot_create(actor=viewer, data=lot_input(SiteFactory(organisation=viewer.organisation)))
    assert excinfo.value.kind == ErrorKind.FORBIDDEN


def test_items_are_unique_per_owner(owner):
    items = [ItemInput(serial_number="SN1"), ItemInput(serial_number="SN2", asset_tag="A2")]
    lot_create(actor=owner, data=lot_input(owner.site, items=items))
    with pytest.raises(ApplicationError) as excinfo:
        lot_create(actor=owner, data=lot_input(owner.site, items=[ItemInput(serial_number="SN2")]))
    assert "items.0.serial_number" in excinfo.value.errors
    with pytest.raises(ApplicationError) as excinfo:
        lot_create(
            actor=owner,
            data=lot_input(owner.site, items=[ItemInput(asset_tag="X"), ItemInput(asset_tag="X")]),
        )
    assert "items.1.asset_tag" in excinfo.value.errors
    # another organisation may list the same serial number
    other = LotFactory(items=[ItemInput(serial_number="SN1")])
    assert other.items.count() == 1


def test_publishing_opens_the_federal_window_and_sets_when_the_next_ones_open(owner, settings):
    settings.EXCHANGE_FEDERAL_WINDOW_DAYS = 10
    settings.EXCHANGE_SOCIAL_ECONOMY_WINDOW_DAYS = 5
    lot = lot_create(actor=owner, data=lot_input(owner.site))
    now = timezone.now()
    lot = lot_publish(actor=owner, lot=lot, now=now)
    assert lot.status == LotStatus.PUBLISHED
    assert lot.tier_at(now) == Tier.FEDERAL
    assert lot.tier_at(now + datetime.timedelta(days=10)) == Tier.SOCIAL_ECONOMY
    assert lot.tier_at(now + datetime.timedelta(days=15)) == Tier.OPEN
    assert lot.next_tier_opens_at(now) == (Tier.SOCIAL_ECONOMY, now + datetime.timedelta(days=10))
    with pytest.raises(ApplicationError) as excinfo:
        lot_publish(actor=owner, lot=lot)
    assert excinfo.value.kind == ErrorKind.CONFLICT


def test_zero_day_windows_skip_straight_to_the_open_tier(owner, settings):
    settings.EXCHANGE_FEDERAL_WINDOW_DAYS = 0
    settings.EXCHANGE_SOCIAL_ECONOMY_WINDOW_DAYS = 0
    lot = lot_publish(actor=owner, lot=lot_create(actor=owner, data=lot_input(owner.site)))
    assert lot.tier == Tier.OPEN
    assert lot.next_tier_opens_at() is None


def test_a_lot_may_shorten_its_windows_with_a_reason(owner):
    data = lot_input(
        owner.site,
        federal_window_days=2,
        social_economy_window_days=0,
        window_reason="The floor is emptied on Friday",
    )
    now = timezone.now()
    lot = lot_publish(actor=owner, lot=lot_create(actor=owner, data=data), now=now)
    assert lot.open_opens_at == now + datetime.timedelta(days=2)


def test_only_drafts_change_and_delete(owner):
    lot = lot_create(actor=owner, data=lot_input(owner.site))
    lot = lot_update(actor=owner, lot=lot, data=LotInput.from_lot(lot, title="Desk chairs"))
    assert lot.title == "Desk chairs"
    lot_publish(actor=owner, lot=lot)
    for call in (
        lambda: lot_update(actor=owner, lot=lot, data=LotInput.from_lot(lot, title="X")),
        lambda: lot_delete(actor=owner, lot=lot),
    ):
        with pytest.raises(ApplicationError) as excinfo:
            call()
        assert excinfo.value.kind == ErrorKind.CONFLICT
    lot.refresh_from_db()
    assert lot.title == "Desk chairs"


def test_withdrawing_a_published_lot(owner):
    lot = lot_publish(actor=owner, lot=lot_create(actor=owner, data=lot_input(owner.site)))
    lot = lot_withdraw(actor=owner, lot=lot)
    assert lot.status == LotStatus.WITHDRAWN
    with pytest.raises(ApplicationError):
        lot_withdraw(actor=owner, lot=lot)


def test_another_organisation_cannot_touch_the_lot(owner, make_member):
    lot = lot_create(actor=owner, data=lot_input(owner.site))
    stranger = make_member("admin")
    for call in (
        lambda: lot_publish(actor=stranger, lot=lot),
        lambda: lot_withdraw(actor=stranger, lot=lot),
        lambda: lot_delete(actor=stranger, lot=lot),
    ):
        with pytest.raises(ApplicationError) as excinfo:
            call()
        assert excinfo.value.kind == ErrorKind.FORBIDDEN
    lot.refresh_from_db()
    assert lot.status == LotStatus.DRAFT


def test_the_periodic_job_expires_lots_and_announces_tiers_once(
    owner, settings, django_capture_on_commit_callbacks
):
    # given a lot published 11 days ago and one past its date
    settings.EXCHANGE_FEDERAL_WINDOW_DAYS = 10
    settings.EXCHANGE_SOCIAL_ECONOMY_WINDOW_DAYS = 10
    past = timezone.now() - datetime.timedelta(days=11)
    opened = lot_publish(
        actor=owner, lot=lot_create(actor=owner, data=lot_input(owner.site)), now=past
    )
    stale = lot_publish(actor=owner, lot=lot_create(actor=owner, data=lot_input(owner.site)))
    Lot.objects.filter(pk=stale.pk).update(
        available_until=timezone.localdate() - datetime.timedelta(days=1)
    )
    events = []
    lot_tier_opened.connect(
        lambda sender, lot, tier, **kw: events.append((lot.pk, tier)), weak=False
    )
    # when the job runs twice
    with django_capture_on_commit_callbacks(execute=True):
        first = lots_advance()
    with django_capture_on_commit_callbacks(execute=True):
        second = lots_advance()
    # then
    assert first == {"expired": 1, "tiers_opened": 1}
    assert second == {"expired": 0, "tiers_opened": 0}
    assert events == [(opened.pk, Tier.SOCIAL_ECONOMY)]
    assert Lot.objects.get(pk=stale.pk).status == LotStatus.EXPIRED
    assert AuditEvent.objects.filter(action="tier_opened", object_id=str(opened.pk)).count() == 1
    lot_tier_opened.disconnect(dispatch_uid="test-tier-opened")


def test_advance_lots_runs_from_the_command_line(owner):
    from io import StringIO

    from django.core.management import call_command

    lot = lot_publish(actor=owner, lot=lot_create(actor=owner, data=lot_input(owner.site)))
    Lot.objects.filter(pk=lot.pk).update(
        available_until=timezone.localdate() - datetime.timedelta(days=1)
    )
    out = StringIO()
    call_command("advance_lots", stdout=out)
    assert "1 lots expired" in out.getvalue()
    call_command("advance_lots", stdout=out)
    assert "0 lots expired" in out.getvalue()
    assert Lot.objects.get(pk=lot.pk).status == LotStatus.EXPIRED
