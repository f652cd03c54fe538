"""Closing an expired lot: claims may refuse it, impact records the remainder once.

Both take part through hooks registered at start-up (lots imports neither)."""

import pytest

from exchange.claims.services import claim_approve, claim_cancel, claim_create
from exchange.common.errors import ApplicationError
from exchange.impact import tasks as impact_tasks
from exchange.impact.models import ImpactRecord, ImpactSource
from exchange.impact.services.records import impact_record_for_lot_close, impact_records_sweep
from exchange.lots.models import Lot, LotStatus
from exchange.lots.services.closing import lot_close
from tests.conftest import wait_for
from tests.factories import LotFactory, SiteFactory


def expired_lot(owner, quantity=10):
    lot = LotFactory(
        site=SiteFactory(organisation=owner.organisation), quantity=quantity, published=True
    )
    Lot.objects.filter(pk=lot.pk).update(status=LotStatus.EXPIRED)
    lot.refresh_from_db()
    return lot


@pytest.mark.django_db
def test_live_claims_keep_the_lot_open_until_they_are_settled(fed_admin, make_member, categories):
    # given a lot that expired while a federal service's claim was still pending
    lot = LotFactory(site=SiteFactory(organisation=fed_admin.organisation), published=True)
    claimant = make_member(kind="federal")
    claim = claim_create(actor=claimant, lot=lot, quantity=4)
    Lot.objects.filter(pk=lot.pk).update(status=LotStatus.EXPIRED)
    # when the owner closes it, the claims' check refuses, and nothing is written
    with pytest.raises(ApplicationError) as refused:
        lot_close(actor=fed_admin, lot=lot, outcome="recycled")
    assert (refused.value.code, refused.value.kind) == ("lot_has_live_claims", "conflict")
    lot.refresh_from_db()
    assert (lot.status, lot.close_outcome) == (LotStatus.EXPIRED, "")
    # once the claim is cancelled, the lot closes with every unit left
    claim_cancel(actor=claimant, claim=claim)
    lot = lot_close(actor=fed_admin, lot=lot, outcome="recycled")
    assert (lot.status, lot.close_quantity) == (LotStatus.CLOSED, 10)


@pytest.mark.django_db
def test_closing_enqueues_the_impact_record_once_after_commit(
    fed_admin, categories, monkeypatch, django_capture_on_commit_callbacks
):
    # given the impact task's queue, watched
    sent = []
    monkeypatch.setattr(impact_tasks.impact_record_for_lot_close_task, "delay", sent.append)
    lot = expired_lot(fed_admin)
    # when the owner closes the expired lot
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        lot_close(actor=fed_admin, lot=lot, outcome="sold")
        assert sent == []  # nothing before the commit
    with django_capture_on_commit_callbacks(execute=True):  # the commit, and what follows
        for callback in callbacks:
            callback()
    # then impact (subscribed at start-up) enqueued one record for this lot
    assert sent == [lot.pk]


@pytest.mark.django_db
def test_a_closing_with_nothing_left_records_nothing(
    fed_admin, make_member, categories, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(impact_tasks.impact_record_for_lot_close_task, "delay", sent.append)
    lot = LotFactory(
        site=SiteFactory(organisation=fed_admin.organisation), quantity=3, published=True
    )
    claimant = make_member(kind="federal")
    claim_approve(actor=fed_admin, claim=claim_create(actor=claimant, lot=lot, quantity=3))
    Lot.objects.filter(pk=lot.pk).update(status=LotStatus.EXPIRED)
    claims = lot.claims.all()
    claims.update(status="collected", collected_quantity=3)
    with django_capture_on_commit_callbacks(execute=True):
        lot = lot_close(actor=fed_admin, lot=lot, outcome="disposed")
    assert lot.close_quantity == 0
    assert sent == []
    assert impact_record_for_lot_close(lot_id=lot.pk) is None


@pytest.mark.django_db
def test_the_sweep_records_a_closing_whose_message_was_lost(
    fed_admin, categories, django_capture_on_commit_callbacks
):
    lot = expired_lot(fed_admin)
    with django_capture_on_commit_callbacks(execute=False):  # the message is lost
        lot_close(actor=fed_admin, lot=lot, outcome="recycled")
    assert not ImpactRecord.objects.exists()
    assert impact_records_sweep() == 1
    assert impact_records_sweep() == 0
    record = ImpactRecord.objects.get(lot=lot, source=ImpactSource.LOT_CLOSE)
    assert (record.outcome, record.quantity, record.recipient) == ("recycled", 10, None)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_writes_the_record_of_a_closing_exactly_once(
    fed_admin, categories, celery_worker_thread
):
    # given an expired lot with 10 units nobody claimed
    lot = expired_lot(fed_admin)
    # when its owner closes it as sold, and a worker runs the task the hook enqueued
    lot_close(actor=fed_admin, lot=lot, outcome="sold")
    records = ImpactRecord.objects.filter(lot=lot, source=ImpactSource.LOT_CLOSE)
    assert wait_for(records.exists, timeout=60)
    # then the remainder is recorded as sold, once: a rerun and the sweep add nothing
    impact_tasks.impact_record_for_lot_close_task.delay(lot.pk).get(timeout=60)
    assert impact_records_sweep() == 0
    assert records.count() == 1
    assert (records.get().outcome, records.get().quantity) == ("sold", 10)
