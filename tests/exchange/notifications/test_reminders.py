import datetime

import pytest
from django.core import mail
from django.utils import timezone

from exchange.categories.models import Category
from exchange.claims.services import claim_approve, claim_create, claim_schedule
from exchange.matching.services.wanted import WantedInput, wanted_create
from exchange.notifications.models import Notification
from exchange.notifications.reminders import deadline_reminders_send
from exchange.notifications.services import notification_email_send
from tests.factories import LotFactory, SiteFactory

pytestmark = pytest.mark.django_db


def in_days(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


@pytest.fixture
def owner(fed_admin, categories):
    fed_admin.user.language = "nl"
    fed_admin.user.save(update_fields=["language"])
    return fed_admin


def test_each_approaching_deadline_is_recalled_once_to_the_right_people(owner, make_member):
    # given a lot ending in two days with units left, one ending later, one fully claimed
    site = SiteFactory(organisation=owner.organisation)
    ending = LotFactory(
        site=site, title="Bureaustoelen", available_until=in_days(2), published=True
    )
    LotFactory(site=site, title="Later", available_until=in_days(20), published=True)
    taken = LotFactory(
        site=site, title="Taken", quantity=2, available_until=in_days(1), published=True
    )
    claimant = make_member(kind="federal", name="FPS Beta")
    claim_create(actor=claimant, lot=taken, quantity=2)
    # and an approved claim picked up in five hours, another in three days
    soon = claim_create(actor=claimant, lot=ending, quantity=1)
    claim_approve(actor=owner, claim=soon)
    claim_schedule(actor=owner, claim=soon, pickup_at=timezone.now() + datetime.timedelta(hours=5))
    later = claim_create(actor=claimant, lot=ending, quantity=1)
    claim_approve(actor=owner, claim=later)
    claim_schedule(actor=owner, claim=later, pickup_at=timezone.now() + datetime.timedelta(days=3))
    # and a wanted request that ends tomorrow
    wanted = wanted_create(
        actor=claimant,
        data=WantedInput(
            category=Category.objects.get(code="desk"),
            quantity=5,
            min_condition="fair",
            site=SiteFactory(organisation=claimant.organisation),
            max_distance_km=30,
            valid_until=in_days(1),
        ),
    )
    Notification.objects.all().delete()
    # when the daily job runs (twice: a rerun sends nothing more)
    assert deadline_reminders_send() == {"lot_expiring": 1, "pickup_soon": 2, "wanted_expiring": 1}
    assert deadline_reminders_send() == {"lot_expiring": 0, "pickup_soon": 0, "wanted_expiring": 0}
    # then the owner read about its lot and the pickup, in Dutch
    owner_notes = Notification.objects.filter(user=owner.user).order_by("kind")
    assert [n.kind for n in owner_notes] == ["lot_expiring", "pickup_soon"]
    expiring = owner_notes[0]
    assert expiring.url == f"/lots/{ending.pk}/"
    assert expiring.title == "Laatste dagen om uw lot aan te vragen: Bureaustoelen"  # Dutch
    assert "nog niet aangevraagd" in expiring.body
    # and the claimant about the same pickup and its request
    claimant_notes = Notification.objects.filter(user=claimant.user)
    assert {(n.kind, n.url) for n in claimant_notes} == {
        ("pickup_soon", f"/claims/{soon.pk}/"),
        ("wanted_expiring", f"/wanted/{wanted.pk}/edit/"),
    }
    # and the e-mail says it too
    assert notification_email_send(notification_id=expiring.pk)
    assert mail.outbox[-1].subject == expiring.title


def test_a_new_pickup_slot_is_recalled_again(owner, make_member):
    lot = LotFactory(site=SiteFactory(organisation=owner.organisation), published=True)
    claimant = make_member(kind="federal")
    claim = claim_create(actor=claimant, lot=lot, quantity=1)
    claim_approve(actor=owner, claim=claim)
    claim_schedule(actor=owner, claim=claim, pickup_at=timezone.now() + datetime.timedelta(hours=3))
    assert deadline_reminders_send()["pickup_soon"] == 2
    claim_schedule(actor=owner, claim=claim, pickup_at=timezone.now() + datetime.timedelta(hours=9))
    assert deadline_reminders_send()["pickup_soon"] == 2
    assert deadline_reminders_send()["pickup_soon"] == 0
