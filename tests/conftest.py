import os
import time
import uuid

import pytest
from celery.contrib.testing.worker import start_worker
from django.contrib.auth.models import Group
from django.test import override_settings
from rest_framework.test import APIClient

from exchange.celery import app as celery_app
from exchange.organisations.models import MembershipRole
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory


@pytest.fixture(scope="session", autouse=True)
def _isolated_broker(tmp_path_factory):
    """Tests never share a queue with a running platform: the filesystem broker gets a
    folder of its own, any other broker a queue of its own. The environment carries
    both to worker processes that tests start."""
    queue = f"exchange-test-{uuid.uuid4().hex[:10]}"
    os.environ["CELERY_TASK_DEFAULT_QUEUE"] = queue
    if str(celery_app.conf.broker_url).startswith("filesystem://"):
        folder = tmp_path_factory.mktemp("broker")
        os.environ["EXCHANGE_BROKER_DIR"] = str(folder)
        (folder / "queue").mkdir()
        (folder / "control").mkdir()
        celery_app.conf.broker_transport_options = {
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "control_folder": str(folder / "control"),
            "store_processed": False,
            "polling_interval": 0.05,
        }
    celery_app.conf.task_default_queue = queue
    yield


FAST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hasher():
    """Passwords are hashed with salted MD5 in tests: the project's PBKDF2 costs about a
    second of CPU on this machine for every factory user, demo login and sign-in page.
    A test of hashing itself asks for ``real_password_hasher``."""
    from django.conf import settings

    real = list(settings.PASSWORD_HASHERS)
    with override_settings(PASSWORD_HASHERS=FAST_PASSWORD_HASHERS):
        yield real


@pytest.fixture
def real_password_hasher(_fast_password_hasher):
    """The project's own password hashers, for the tests of hashing itself."""
    with override_settings(PASSWORD_HASHERS=_fast_password_hasher):
        yield


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploads of each test land in a folder of their own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def categories(db):
    """The category tree and its impact factors, from the versioned data file."""
    from exchange.categories.services import categories_load

    categories_load()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def _member(role: str, **organisation_kwargs):
    membership = MembershipFactory(
        role=role, organisation=OrganisationFactory(**organisation_kwargs)
    )
    membership.user.current_organisation = membership.organisation
    membership.user.save(update_fields=["current_organisation"])
    return membership


@pytest.fixture
def make_member(db):
    """make_member(role="admin", kind="federal", unverified=False, ...) -> Membership."""

    def make(role: str = MembershipRole.MEMBER, **organisation_kwargs):
        return _member(role, **organisation_kwargs)

    return make


@pytest.fixture
def fed_admin(make_member):
    return make_member(MembershipRole.ADMIN, kind="federal", name="FPS Alpha")


@pytest.fixture
def moderator(db):
    user = UserFactory(username="mod")
    user.groups.add(Group.objects.get_or_create(name="moderator")[0])
    return user


@pytest.fixture
def client_for(api_client):
    """client_for(user) -> an APIClient signed in with the user's token."""
    from rest_framework.authtoken.models import Token

    def make(user, organisation=None):
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=user)
        headers = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
        if organisation is not None:
            headers["HTTP_X_ORGANISATION"] = str(organisation.pk)
        client.credentials(**headers)
        return client

    return make


def wait_for(condition, timeout: float = 30.0) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.fixture
def celery_worker_thread(transactional_db):
    """A real Celery worker (a thread of this process) consuming the configured broker."""
    with start_worker(
        celery_app, pool="threads", concurrency=1, perform_ping_check=False, shutdown_timeout=10
    ) as worker:
        yield worker
