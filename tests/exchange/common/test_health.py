import pytest

from exchange.celery import app as celery_app


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


@pytest.mark.django_db
def test_readyz_is_ok_with_database_and_broker(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"] == {"database": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_readyz_reports_a_stopped_redis_broker(client, broker):
    broker("redis://127.0.0.1:1/0")  # nothing listens on port 1
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"] == {"database": "ok", "broker": "failing"}
    assert body["failing"]["broker"]


@pytest.mark.django_db
def test_readyz_reports_a_missing_filesystem_broker(client, broker, tmp_path):
    missing = str(tmp_path / "gone")
    broker("filesystem://", {"data_folder_in": missing, "data_folder_out": missing})
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "gone" in response.json()["failing"]["broker"]
