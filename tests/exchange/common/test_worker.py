"""A real Celery worker (a thread in this process) on the configured broker: the
filesystem transport by default, Redis in CI."""

import pytest
from django.core import mail

from exchange.organisations import services
from exchange.organisations.models import Organisation
from tests.conftest import wait_for
from tests.factories import OrganisationFactory, UserFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_worker_runs_the_verification_notice_end_to_end(celery_worker_thread, moderator):
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
