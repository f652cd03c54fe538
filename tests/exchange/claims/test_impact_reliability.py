"""An impact record exists exactly once per handover, whatever happens to the task."""

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import OperationalError, connection

from exchange.celery import app as celery_app
from exchange.claims.services import claim_approve, claim_collect, claim_create
from exchange.impact import tasks as impact_tasks
from exchange.impact.models import ImpactRecord
from exchange.impact.services.records import impact_records_sweep
from tests.conftest import wait_for
from tests.factories import LotFactory, MembershipFactory, OrganisationFactory, SiteFactory

ROOT = Path(__file__).resolve().parents[3]


def approved_claim(owner):
    lot = LotFactory(site=SiteFactory(organisation=owner.organisation), quantity=5, published=True)
    claimant = MembershipFactory(organisation=OrganisationFactory(kind="federal"), role="member")
    claim = claim_create(actor=claimant, lot=lot, quantity=3)
    return claim_approve(actor=owner, claim=claim)


@pytest.mark.django_db
def test_the_sweep_writes_what_a_lost_message_never_wrote(
    fed_admin, categories, django_capture_on_commit_callbacks
):
    claim = approved_claim(fed_admin)
    with django_capture_on_commit_callbacks(execute=False):  # the message is lost
        claim_collect(actor=fed_admin, claim=claim, quantity=3)
    assert not ImpactRecord.objects.exists()
    assert impact_records_sweep() == 1
    assert impact_records_sweep() == 0
    assert ImpactRecord.objects.filter(claim=claim).count() == 1


@pytest.mark.django_db
def test_a_handover_enqueues_its_impact_record_once_after_commit(
    fed_admin, categories, monkeypatch, django_capture_on_commit_callbacks
):
    # given the impact task's queue, watched
    sent = []
    monkeypatch.setattr(impact_tasks.impact_record_for_claim_task, "delay", sent.append)
    claim = approved_claim(fed_admin)
    # when the handover is confirmed
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        claim_collect(actor=fed_admin, claim=claim, quantity=3)
        assert sent == []  # nothing before the commit
    with django_capture_on_commit_callbacks(execute=True):  # the commit, and what follows
        for callback in callbacks:
            callback()
    # then impact (subscribed to the claims' event at start-up) enqueued one record
    assert sent == [claim.pk]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_task_that_fails_after_its_work_is_retried_without_a_second_record(
    fed_admin, categories, celery_worker_thread, monkeypatch
):
    # given a task that writes the record, then fails (a lost connection, say)
    calls = []
    real = impact_tasks.impact_record_for_claim

    def write_then_fail(*, claim_id):
        record = real(claim_id=claim_id)
        calls.append(record.pk)
        if len(calls) == 1:
            raise OperationalError("connection lost after the write")
        return record

    monkeypatch.setattr(impact_tasks, "impact_record_for_claim", write_then_fail)
    claim = approved_claim(fed_admin)
    # when the handover is confirmed
    claim_collect(actor=fed_admin, claim=claim, quantity=2)
    # then the worker retries, and the retry finds the record instead of adding one
    assert wait_for(lambda: len(calls) >= 2, timeout=60), calls
    assert calls[0] == calls[1]
    assert ImpactRecord.objects.filter(claim=claim).count() == 1


def _database_url() -> str:
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{database['NAME']}"
    user = database.get("USER") or "postgres"
    host = database.get("HOST") or "127.0.0.1"
    port = database.get("PORT") or 5432
    password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{database['NAME']}"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_writing_the_record_loses_nothing_and_doubles_nothing(
    fed_admin, categories, tmp_path
):
    # given a handover whose impact task waits on the broker
    claim = approved_claim(fed_admin)
    claim_collect(actor=fed_admin, claim=claim, quantity=3)
    connection.close()
    marker = tmp_path / "crashed"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "EXCHANGE_CRASH_MARKER": str(marker),
        "DJANGO_SETTINGS_MODULE": "exchange.settings",
    }
    # when a worker process takes it and dies in the middle of the INSERT
    worker = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tests.support.crash_once",
            "worker",
            "--pool",
            "prefork",
            "--concurrency",
            "1",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        written = wait_for(lambda: ImpactRecord.objects.filter(claim=claim).exists(), timeout=90)
    finally:
        worker.terminate()
        # it sees the stop between two waits for the broker's next message (two seconds
        # each on the file-system broker): two control messages end both waits, as
        # worker_thread() does for a worker thread
        with contextlib.suppress(Exception):
            for _ in range(2):
                celery_app.control.broadcast("ping", reply=False)
        try:
            output, _ = worker.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            output, _ = worker.communicate()
    # then the message came back to a fresh process, which wrote the record once
    assert marker.exists(), output
    assert written, output
    assert "WorkerLostError" in output or "exited prematurely" in output, output
    assert impact_records_sweep() == 0
    assert ImpactRecord.objects.filter(claim=claim).count() == 1
