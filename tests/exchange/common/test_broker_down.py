"""With the broker down, every write answers as usual and keeps what it changed; once
the broker is back, the repair sweeps do what the tasks never sent would have done,
on a real worker, once."""

import datetime
import logging
import socket

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from kombu.exceptions import OperationalError

from exchange.categories.models import Category
from exchange.celery import app as celery_app
from exchange.claims.models import Claim
from exchange.common import tasks as common_tasks
from exchange.impact.models import ImpactRecord, ReportJob
from exchange.impact.services.records import impact_records_sweep
from exchange.impact.services.reports import report_jobs_sweep
from exchange.lots.models import LotPhoto, PhotoStatus
from exchange.lots.services.photos import lot_photos_sweep
from exchange.matching.models import Match
from exchange.matching.services.repair import matches_pending_sweep
from exchange.notifications.models import Notification
from exchange.notifications.services import notification_emails_sweep
from exchange.organisations.models import Organisation
from exchange.organisations.services import organisation_verified_notify_sweep
from tests.conftest import wait_for
from tests.exchange.lots.conftest import image_bytes
from tests.factories import MembershipFactory, OrganisationFactory, SiteFactory, UserFactory

SWEEPS = (
    "lots.lot_photos_sweep",
    "notifications.notification_emails_sweep",
    "matching.matches_pending_sweep",
    "impact.impact_records_sweep",
    "impact.report_jobs_sweep",
    "organisations.organisation_verified_notify_sweep",
)
SENT_ON_WRITES = (
    "lots.lot_photo_process",
    "matching.match_lot",
    "matching.match_wanted",
    "notifications.notification_email_send",
    "impact.impact_record_for_claim",
    "impact.report_job_run",
    "organisations.organisation_verified_notify",
)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again: nothing listens there


def _use_broker(url: str, options: dict) -> None:
    celery_app.conf.broker_url = url
    celery_app.conf.broker_transport_options = options
    # the app keeps its connections and producers: new ones for the new broker
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    common_tasks.broker_pause_reset()


@pytest.fixture
def broker_down(monkeypatch):
    """The Celery app sends to a Redis broker that refuses connections; ``back()`` gives
    it the test run's own broker again."""
    saved = (
        celery_app.conf.broker_url,
        dict(celery_app.conf.broker_transport_options or {}),
        django_settings.CELERY_BROKER_URL,
    )

    def back():
        monkeypatch.setenv("CELERY_BROKER_URL", saved[2])
        _use_broker(saved[0], saved[1])

    monkeypatch.setenv("CELERY_BROKER_URL", f"redis://127.0.0.1:{_closed_port()}/0")
    _use_broker(f"redis://127.0.0.1:{_closed_port()}/0", {"socket_connect_timeout": 1})
    yield back
    back()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_writes_answer_while_the_broker_is_down_and_the_sweeps_catch_up(
    broker_down, client_for, fed_admin, moderator, settings, caplog, request
):
    # given a federal service with a site, another one that needs desks, an organisation
    # waiting for verification, and a broker nobody answers at
    settings.EXCHANGE_REPORT_SYNC_LIMIT = -1  # every annual report is built by a job
    desk = Category.objects.get(code="desk")
    site = SiteFactory(organisation=fed_admin.organisation)
    fed_admin.user.email = "owner@fps-alpha.example"
    fed_admin.user.save()
    claimant = MembershipFactory(
        organisation=OrganisationFactory(kind="federal", name="FPS Beta"), role="member"
    )
    claimant.user.email = "claims@fps-beta.example"
    claimant.user.save()
    waiting = OrganisationFactory(unverified=True, name="Kringwinkel Zuid")
    waiting.memberships.create(
        user=UserFactory(email="admin@kringwinkel.example", language="nl"), role="admin"
    )
    owner, buyer = client_for(fed_admin.user), client_for(claimant.user)
    caplog.set_level(logging.WARNING, logger="exchange.common.tasks")

    # when the whole exchange goes through the API
    lot = owner.post(
        "/api/v1/lots/",
        {
            "site": site.pk,
            "category": desk.pk,
            "title": "Desks 160x80",
            "description": "Grey, from the 2nd floor",
            "quantity": 25,
            "condition": "good",
            "available_until": (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
        },
        format="json",
    )
    assert lot.status_code == 201, lot.content
    lot_url = f"/api/v1/lots/{lot.json()['id']}/"
    photo = owner.post(
        f"{lot_url}photos/",
        {"image": SimpleUploadedFile("desk.jpg", image_bytes(), "image/jpeg")},
        format="multipart",
    )
    published = owner.post(f"{lot_url}publish/")
    wanted = buyer.post(
        "/api/v1/wanted/",
        {
            "category": desk.pk,
            "quantity": 10,
            "min_condition": "fair",
            "region": site.region,
            "valid_until": (timezone.localdate() + datetime.timedelta(days=60)).isoformat(),
        },
        format="json",
    )
    claim = buyer.post("/api/v1/claims/", {"lot": lot.json()["id"], "quantity": 5})
    claim_url = f"/api/v1/claims/{claim.json()['id']}/"
    approved = owner.post(f"{claim_url}approve/")
    collected = owner.post(f"{claim_url}collect/", {"quantity": 5})
    report = owner.get(f"/api/v1/reports/annual/{timezone.localdate().year}/", {"format": "csv"})
    verified = client_for(moderator).post(f"/api/v1/organisations/{waiting.pk}/verify/")

    # then every write answered as usual and kept what it changed, once
    assert [
        r.status_code
        for r in (photo, published, wanted, claim, approved, collected, report, verified)
    ] == [201, 200, 201, 201, 200, 200, 202, 200]
    assert published.json()["status"] == "published"
    assert collected.json()["status"] == "collected"
    assert Claim.objects.count() == 1
    assert LotPhoto.objects.get().status == PhotoStatus.PROCESSING
    assert not Match.objects.exists()
    assert not ImpactRecord.objects.exists()
    assert ReportJob.objects.get().status == ReportJob.Status.PENDING
    assert Organisation.objects.get(pk=waiting.pk).verified_at is not None
    assert mail.outbox == []
    notices = Notification.objects.exclude(kind="match")
    assert notices.count() >= 2  # the owner is told of the claim, the claimant of the approval
    assert not notices.filter(emailed_at__isnull=False).exists()
    not_sent = [r.getMessage() for r in caplog.records if "repair sweep" in r.getMessage()]
    assert any("lot_photo_process" in message for message in not_sent)

    # when the broker is back and beat sends the sweeps (the work is older than
    # EXCHANGE_REPAIR_AFTER_SECONDS by then)
    broker_down()
    settings.EXCHANGE_REPAIR_AFTER_SECONDS = 0
    celery_app.control.purge()
    worker = request.getfixturevalue("celery_worker_thread")
    for name in SWEEPS:
        celery_app.send_task(name)
    assert wait_for(lambda: set(SWEEPS) <= set(worker.finished), timeout=120), worker.finished

    # then the sweeps did the work of the tasks never sent
    assert not set(SENT_ON_WRITES) & set(worker.finished)
    assert LotPhoto.objects.get().status == PhotoStatus.READY
    assert Match.objects.filter(wanted_id=wanted.json()["id"], lot_id=lot.json()["id"]).exists()
    assert ImpactRecord.objects.filter(claim_id=claim.json()["id"]).count() == 1
    assert ReportJob.objects.get().status == ReportJob.Status.READY
    assert not notices.filter(emailed_at__isnull=True).exists()
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == sorted(
        [
            *notices.values_list("user__email", flat=True),
            "admin@kringwinkel.example",
        ]
    )
    # and sweeping again does nothing more
    assert lot_photos_sweep() == 0
    assert notification_emails_sweep() == 0
    assert matches_pending_sweep() == {"requests": 0, "lots": 0}
    assert impact_records_sweep() == 0
    assert report_jobs_sweep() == 0
    assert organisation_verified_notify_sweep() == 0
    assert len(mail.outbox) == len(recipients)


class _Task:
    """A task whose sends fail as with a broker that refuses connections."""

    name = "tests.refused"

    def __init__(self):
        self.tries = 0

    def delay(self, *args):
        self.tries += 1
        raise OperationalError("Error 111 connecting to 127.0.0.1:1. Connection refused.")


@pytest.mark.django_db
def test_a_failed_send_is_logged_and_the_next_sends_do_not_wait_for_the_broker(
    caplog, django_capture_on_commit_callbacks
):
    # given a broker that refuses connections
    caplog.set_level(logging.WARNING, logger="exchange.common.tasks")
    task = _Task()
    common_tasks.broker_pause_reset()
    # when three tasks are sent after a commit
    with django_capture_on_commit_callbacks(execute=True):
        for pk in (1, 2, 3):
            common_tasks.task_send(task, pk)
    # then only the first tried the broker; each one is logged, none raised
    assert task.tries == 1
    messages = [r.getMessage() for r in caplog.records if r.name == "exchange.common.tasks"]
    assert len(messages) == 3
    assert all("tests.refused" in message for message in messages)
    # and once the pause is over, the broker is tried again
    common_tasks.broker_pause_reset()
    with django_capture_on_commit_callbacks(execute=True):
        common_tasks.task_send(task, 4)
    assert task.tries == 2


def test_every_sweep_runs_every_few_minutes():
    celery_app.loader.import_default_modules()  # the tasks of every app, as a worker has
    schedule = {
        entry["task"]: entry["schedule"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()
    }
    for name in SWEEPS:
        assert name in celery_app.tasks, name
        assert float(schedule[name]) <= 900, name
    # a photo left processing is taken up within minutes of the broker's return
    assert schedule["lots.lot_photos_sweep"] + django_settings.EXCHANGE_REPAIR_AFTER_SECONDS <= 300
    for name in schedule:
        assert name in celery_app.tasks, f"beat sends {name}, which no task is"
