"""`make run` serves through gunicorn with threads: many connections at once are
answered, none reset; static files come from WhiteNoise; Ctrl-C stops web, worker and
beat. And every page and API answer carries the security headers."""

import concurrent.futures
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import wait_for

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url() -> str:
    """The test database, for a server process of our own."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )


def get(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def wait_until_up(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "run_platform exited before it served"
        try:
            if get(port, "/healthz")[0] == 200:
                return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"nothing answered on port {port} within {timeout} s")


def process_group_alive(group: int) -> bool:
    """Whether any process of the group is left (the web server's and the worker's own
    children leave a moment after their parents on a busy machine)."""
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_make_run_serves_many_connections_and_stops_on_ctrl_c(tmp_path):
    # given the platform started as `make run` starts it, in a session of its own
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "EXCHANGE_VAR_DIR": str(tmp_path / "var"),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PRIVATE_MEDIA_ROOT": str(settings.PRIVATE_MEDIA_ROOT),
        "PORT": str(port),
        "WEB_WORKERS": "1",
        "WEB_THREADS": "4",
    }
    output = tmp_path / "run.log"
    with output.open("w") as log:
        process = subprocess.Popen(  # noqa: S603 - our own manage.py
            [sys.executable, "manage.py", "run_platform"],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until_up(port, process)

        # when 80 clients ask at once for pages, an API answer and a static file
        paths = ["/", "/lots/", "/api/v1/categories/", "/static/css/site.css"] * 20
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(paths)) as pool:
            answers = list(pool.map(lambda path: get(port, path), paths))

        # then every one is answered (a reset raises), none with a server error
        statuses = [status for status, _headers, _body in answers]
        assert all(status < 500 for status in statuses), statuses
        assert statuses.count(200) == len(paths), statuses
        for _status, headers, _body in answers:
            assert "Content-Security-Policy" in headers
            assert "Permissions-Policy" in headers
            assert not re.search(r"\d", headers.get("Server", "")), headers["Server"]
        css = next(body for _status, _headers, body in answers if b"--" in body[:2000])
        assert css == (ROOT / "static/css/site.css").read_bytes()  # WhiteNoise, in full

        # and the worker and the beat start beside the web server (on a busy machine
        # the beat's first line may come after the answers)
        def started() -> bool:
            text = output.read_text()
            return "celery@" in text and "beat: Starting" in text

        assert wait_for(started, timeout=60), output.read_text()[-3000:]

        # when Ctrl-C reaches the terminal's process group
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=40)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    # then web, worker and beat are all gone, and the log showed the requests
    assert process.returncode == 0, output.read_text()[-3000:]
    assert wait_for(lambda: not process_group_alive(process.pid), timeout=30)
    log_text = output.read_text()
    assert '"GET /static/css/site.css HTTP/1.1" 200' in log_text
