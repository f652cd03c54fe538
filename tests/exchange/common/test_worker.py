"""A real Celery worker (a thread in this process) on the configured broker: the
filesystem transport by default, Redis in CI."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail

from exchange.celery import app as celery_app
from exchange.organisations import services
from exchange.organisations.models import Organisation
from tests.factories import OrganisationFactory, UserFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_for(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.fixture
def worker():
    with start_worker(
        celery_app, pool="threads", concurrency=1, perform_ping_check=False, shutdown_timeout=10
    ) as running:
        yield running


def test_a_worker_runs_the_verification_notice_end_to_end(worker, moderator):
    # given an unverified organisation with an admin
    admin = UserFactory(email="admin@fps.example", language="en")
    organisation = OrganisationFactory(unverified=True)
    organisation.memberships.create(user=admin, role="admin")
    # when a moderator verifies it (the task is enqueued after commit)
    services.organisation_verify(user=moderator, organisation=organisation)
    # then the worker picks the message from the broker and e-mails the admin, once
    assert wait_for(lambda: len(mail.outbox) == 1), "the worker sent no e-mail"
    assert mail.outbox[0].to == ["admin@fps.example"]
    assert "is verified" in mail.outbox[0].subject
    assert Organisation.objects.get(pk=organisation.pk).verification_notified_at is not None
