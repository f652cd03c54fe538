import logging

import pytest

from exchange.celery import app as celery_app
from tests.factories import UserFactory


@pytest.fixture
def broker(monkeypatch):
    """Point the Celery app at another broker for one test, then restore it. Celery
    reads CELERY_BROKER_URL from the environment before its own configuration."""
    saved = (celery_app.conf.broker_url, dict(celery_app.conf.broker_transport_options or {}))

    def use(url: str, options: dict | None = None):
        monkeypatch.setenv("CELERY_BROKER_URL", url)
        celery_app.conf.broker_url = url
        celery_app.conf.broker_transport_options = options or {}

    yield use
    celery_app.conf.broker_url, celery_app.conf.broker_transport_options = saved


def test_healthz_answers_while_the_process_runs(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.fixture
def staff_client(client, db):
    client.force_login(UserFactory(username="operator", is_staff=True))
    return client


@pytest.mark.django_db
def test_readyz_is_ok_with_database_and_broker(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json() == {"status": "ok"}


def test_readyz_tells_staff_what_it_checked(staff_client):
    response = staff_client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"] == {"database": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_readyz_tells_an_anonymous_caller_only_unavailable(client, broker, caplog):
    # given a broker nobody answers at
    broker("redis://127.0.0.1:1/0")  # nothing listens on port 1
    # when an anonymous caller asks
    with caplog.at_level(logging.WARNING, logger="exchange.common.views"):
        response = client.get("/readyz")
    # then it learns only that the platform is unavailable; the reason is in the log
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}
    assert "127.0.0.1" not in response.content.decode()
    assert any("broker is unavailable" in record.getMessage() for record in caplog.records)


def test_readyz_reports_a_stopped_redis_broker_to_staff(staff_client, broker):
    broker("redis://127.0.0.1:1/0")  # nothing listens on port 1
    response = staff_client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"] == {"database": "ok", "broker": "failing"}
    assert body["failing"]["broker"]


def test_readyz_reports_a_missing_filesystem_broker(staff_client, broker, tmp_path):
    missing = str(tmp_path / "gone")
    broker("filesystem://", {"data_folder_in": missing, "data_folder_out": missing})
    response = staff_client.get("/readyz")
    assert response.status_code == 503
    assert "gone" in response.json()["failing"]["broker"]
