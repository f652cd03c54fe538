import contextlib
import copy
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from unittest import mock

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from celery.worker import state as worker_state
from django.contrib.auth.models import Group
from django.test import override_settings
from rest_framework.test import APIClient

from exchange.celery import app as celery_app
from exchange.organisations.models import MembershipRole
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

# The longest tests: a browser journey or page tour takes tens of seconds, a test that
# starts a Celery worker or the platform's processes several.
LONG_TESTS = ("browser", "worker")


def pytest_collection_modifyitems(config, items):
    """The longest tests run first, the others after them in their usual order: the
    workers of a parallel run take tests in this order, so a run ends on short tests and
    no worker waits at the end for another's long one (the wall time is the slowest
    worker's)."""
    items.sort(key=lambda item: not any(item.get_closest_marker(name) for name in LONG_TESTS))
    _xdist_groups_named(config, items)


def _xdist_groups_named(config, items):
    """``xdist_group`` puts its tests on one worker (``make test`` runs ``--dist
    loadgroup``): pytest-xdist's scheduler reads the group from the end of each test's
    node id (``…::test_x@name``), which pytest-xdist 3.8 writes into ``item._nodeid``,
    an attribute that pytest 9 no longer reads (it keeps the id in ``item._id``), so
    without this every group was silently spread over the workers. The suffix is
    written the way pytest 9 keeps the id, on the workers of a loadgroup run only."""
    if not getattr(config.option, "loadgroup", False):  # on the workers of a loadgroup run
        return
    for item in items:
        names = sorted(
            {
                str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
                for mark in item.iter_markers("xdist_group")
            }
        )
        if names and "@" not in item.nodeid:
            item._id = type(item._id).parse(f"{item.nodeid}@{'_'.join(names)}")


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
    elif str(celery_app.conf.broker_url).startswith(("redis://", "rediss://")):
        # A worker thread of a test (worker_thread below) waits for the next message with
        # a BRPOP of ``polling_interval`` seconds, and its stop waits for the one in
        # flight to end: 1 s by default, in the teardown of every test with a worker.
        celery_app.conf.broker_transport_options = {
            **(celery_app.conf.broker_transport_options or {}),
            "polling_interval": 0.1,
        }
    celery_app.conf.task_default_queue = queue
    yield


@pytest.fixture(autouse=True)
def _broker_tried_again():
    """A send that failed in one test (a broker made to refuse) does not pause the
    sends of the next (exchange/common/tasks.py task_send)."""
    from exchange.common.tasks import broker_pause_reset

    broker_pause_reset()
    yield
    broker_pause_reset()


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
def _cache(settings):
    """Each test starts with an empty cache of its own (sign-in throttling counts in
    it), whatever the platform's cache is."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"test-{uuid.uuid4().hex}",
        }
    }


@pytest.fixture(autouse=True)
def _language_reset():
    """Each test starts in the default language: a request of a person whose language
    is French leaves French active in the thread that served it (the test's own)."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _second_factor_optional(settings):
    """Most tests act as people without a second factor; the tests of that rule
    (tests/exchange/accounts/test_second_factor.py) switch it on."""
    settings.EXCHANGE_SECOND_FACTOR_REQUIRED = False


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploads and private files of each test land in folders of their own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT


@pytest.fixture(scope="session", autouse=True)
def _flush_by_delete():
    """On PostgreSQL a transactional test's database is emptied by DELETE rather than
    TRUNCATE: the same empty tables (foreign keys are checked at the commit of the flush,
    sequences go on as after TRUNCATE), in ~0.01 s instead of 1–2 s, for PostgreSQL
    rewrites the files of every truncated table and its indexes (~45 tables, a few
    rows each). A flush that resets sequences, or cascades to other tables, keeps
    TRUNCATE."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or allow_cascade:
            return truncate(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        return [
            f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(table))};"
            for table in tables
        ]

    with mock.patch.object(DatabaseOperations, "sql_flush", sql_flush):
        yield


@pytest.fixture(scope="session", autouse=True)
def _unlogged_tables():
    """On PostgreSQL the test databases' tables are created ``UNLOGGED``: the server writes
    no write-ahead log for their rows, and a checkpoint does not write their pages to disk.
    Queries, constraints, locks, transactions and indexes work as on any table; only a
    crash of the server would empty them, in a database that is thrown away. The
    checkpoint that mattered is the one PostgreSQL forces on every DROP DATABASE, at the
    end of each worker's run: it wrote the other worker's test rows (2.7–6.1 s a drop,
    now 0.2–1.6 s, the rest being other databases' pages on a shared server)."""
    from django.db.backends.postgresql.schema import DatabaseSchemaEditor

    create = DatabaseSchemaEditor.sql_create_table.replace("CREATE TABLE", "CREATE UNLOGGED TABLE")
    with mock.patch.object(DatabaseSchemaEditor, "sql_create_table", create):
        yield


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings):
    """PostgreSQL commits a test's writes without waiting for the server to flush its
    write-ahead log to disk (``synchronous_commit=off``): ~4 ms less per commit on this
    box, where transactional tests, live servers and workers commit thousands of times.
    The server still writes every commit, in order; only a crash of the server could
    lose the last ones, of a test database that is thrown away."""
    from django.db import connections

    for connection in connections.all():
        if connection.vendor == "postgresql":
            options = connection.settings_dict.setdefault("OPTIONS", {})
            options["options"] = f"{options.get('options', '')} -c synchronous_commit=off".strip()


def _categories_reload(sender, **kwargs):
    if sender.label == "categories":
        from exchange.categories.services import categories_load

        categories_load()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Every test database holds the category tree and its impact factors, like Django's
    content types: loaded once when the database is made, and again after a transactional
    test empties the tables (Django's flush sends ``post_migrate``). Tests only read it;
    what a test changes is rolled back or flushed and reloaded."""
    from django.db.models.signals import post_migrate

    from exchange.categories.services import categories_load

    with django_db_blocker.unblock():
        categories_load()
    post_migrate.connect(_categories_reload, dispatch_uid="tests.categories_reload")
    yield
    post_migrate.disconnect(dispatch_uid="tests.categories_reload")


@pytest.fixture
def categories(db):
    """The category tree and its impact factors, from the versioned data file (in every
    test database already: see ``django_db_setup``). Ask for it where a test reads it."""


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
    """client_for(user) -> an APIClient signed in with a new API token of the user's."""
    from exchange.accounts.services import api_token_create

    def make(user, organisation=None):
        client = APIClient()
        token, key = api_token_create(user=user, name=f"test client {uuid.uuid4().hex[:8]}")
        # As if just used: a token records its use at most once a minute, and that write
        # would make a test's first request cost one query more than the next ones.
        type(token).objects.filter(pk=token.pk).update(last_used_at=token.created_at)
        headers = {"HTTP_AUTHORIZATION": f"Token {key}"}
        if organisation is not None:
            headers["HTTP_X_ORGANISATION"] = str(organisation.pk)
        client.credentials(**headers)
        return client

    return make


OIDC_PROVIDER = Path(__file__).resolve().parent / "support" / "oidc_provider.py"


@pytest.fixture
def oidc_provider(settings):
    """oidc_provider(*options, issuer_host=None) -> the URL of a local OpenID Connect
    provider (tests/support/oidc_provider.py, a process of its own on a free port), with
    the platform's federal sign-in configured to use it (``issuer_host``: expect the
    issuer under another host name than the provider's own 127.0.0.1)."""
    from exchange.settings import federal_sign_in_providers

    processes = []

    def start(*options, issuer_host=None):
        process = subprocess.Popen(  # noqa: S603 (our own script)
            [sys.executable, str(OIDC_PROVIDER), *options],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        processes.append(process)
        line = process.stdout.readline()
        if not line.startswith("PORT "):
            process.kill()
            raise RuntimeError(f"the OIDC provider did not start: {process.stderr.read()}")
        port = int(line.split()[1])
        url = f"http://127.0.0.1:{port}"
        settings.OIDC_ISSUER = f"http://{issuer_host}:{port}" if issuer_host else url
        settings.SOCIALACCOUNT_PROVIDERS = federal_sign_in_providers(
            settings.OIDC_ISSUER, "reuse-exchange", "test-secret", ["openid", "email", "profile"]
        )
        # as exchange/settings.py does: the sign-in form may lead to the provider
        policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
        policy["DIRECTIVES"]["form-action"].append(url)
        settings.CONTENT_SECURITY_POLICY = policy
        return url

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)


def wait_for(condition, timeout: float = 30.0) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@contextlib.contextmanager
def worker_thread():
    """A real Celery worker, a thread of this process, on the configured broker, for the
    time of the ``with`` block. It stops at once when the block ends: a worker sees that
    it must stop only between two waits for the broker's next message (two seconds each
    on the file-system broker), and then waits once more; two control messages (a ping,
    answered to nobody) end both waits, which would otherwise cost ~3.5 s a test. On
    Redis the stop also waits for the BRPOP in flight to end, which ``_isolated_broker``
    keeps to 0.1 s (1 s by default)."""
    with start_worker(
        celery_app, pool="threads", concurrency=1, perform_ping_check=False, shutdown_timeout=10
    ) as worker:
        try:
            yield worker
        finally:
            worker_state.should_terminate = 0
            with contextlib.suppress(Exception):  # a broker made to refuse: the slow stop
                for _ in range(2):
                    celery_app.control.broadcast("ping", reply=False)


@pytest.fixture
def celery_worker_thread(transactional_db):
    """A real Celery worker (a thread of this process) consuming the configured broker.
    ``worker.finished`` lists the names of the tasks it has run to the end (an attempt
    that ends in a retry is not counted), in order, so that a test waits for a job to be
    done instead of sleeping."""
    finished: list[str] = []

    def record(sender=None, state=None, **kwargs):
        # An attempt that ends in a retry (a locked SQLite database, say) has not run
        # the job yet: only the attempt that ends it counts.
        if state != "RETRY":
            finished.append(sender.name)

    task_postrun.connect(record, weak=False)
    # Jobs that earlier tests queued after their commits (a published lot, a new
    # request) and no worker ran are not this test's: they go before it starts.
    celery_app.control.purge()
    try:
        with worker_thread() as worker:
            worker.finished = finished
            yield worker
    finally:
        task_postrun.disconnect(record)
