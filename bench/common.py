"""What every part of the bench shares: the database URL, the environment, figures and
how they are reported, gunicorn on 127.0.0.1, HTTP and percentiles."""

import json
import math
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/reuse_exchange_bench"
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL
BENCH_DIR = ROOT / "var" / "bench"

# Everything the bench writes stays under var/bench: its media, its (file system)
# Celery broker, which seed_demo and the services enqueue into, and its static folder.
ENVIRONMENT = {
    "DATABASE_URL": DATABASE_URL,
    "DJANGO_SETTINGS_MODULE": "exchange.settings",
    "EXCHANGE_VAR_DIR": str(BENCH_DIR),
    "MEDIA_ROOT": str(BENCH_DIR / "media"),
    "CELERY_BROKER_URL": "filesystem://",
    "DEBUG": "false",
    "HTTPS": "false",
    "LOG_LEVEL": "WARNING",
    # The demo users sign in with a password alone, as with `make run`.
    "EXCHANGE_SECOND_FACTOR_REQUIRED": "false",
}


@dataclass
class Figure:
    name: str
    value: str
    target: str
    passed: bool
    command: str


def reproduce(*only: str) -> str:
    prefix = "" if DATABASE_URL == DEFAULT_DATABASE_URL else f"BENCH_DATABASE_URL={DATABASE_URL} "
    args = "".join(f" --only {name}" for name in only)
    return f"{prefix}{shlex.quote(os.path.relpath(PYTHON, ROOT))} bench/run.py{args}"


def manage_command(*args: str) -> str:
    """The manage.py command line, against the bench database, for a reader to rerun."""
    return f"DATABASE_URL={DATABASE_URL} {os.path.relpath(PYTHON, ROOT)} manage.py {' '.join(args)}"


def say(message: str) -> None:
    print(message, flush=True)


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    cpus = os.cpu_count()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} (1 / 5 / 15 min, {cpus} CPUs)"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn on a free port of 127.0.0.1, as the Dockerfile runs it; by default one
    sync worker (the list measurements send one request at a time)."""

    def __init__(self, environment: dict[str, str], *, workers: int = 1, threads: int = 0):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(BENCH_DIR / "gunicorn.log", "w")  # noqa: SIM115 - closed in stop()
        options = ["--workers", str(workers)]
        if threads:
            options += ["--worker-class", "gthread", "--threads", str(threads)]
        self.process = subprocess.Popen(  # noqa: S603 - the venv's gunicorn, fixed arguments
            [
                str(Path(PYTHON).parent / "gunicorn"),
                "exchange.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                *options,
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env={**os.environ, **environment},
            stdout=self.log,
            stderr=subprocess.STDOUT,
            # A process group of its own (stopped as one), in the bench's session: where
            # the kernel groups CPU time by session (autogroup), the server shares the
            # bench's share instead of competing with the machine's other sessions.
            process_group=0,
        )

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log.name}")
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # the group we started
                self.process.wait(timeout=5)
        self.log.close()


def http(method: str, url: str, *, token: str | None = None, body: dict | None = None):
    headers = {"Accept": "application/json"}
    data = None
    if token:
        headers["Authorization"] = f"Token {token}"
    if body is not None:
        headers["Content-Type"] = "application/json"
        data = json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - 127.0.0.1
        return response.status, json.loads(response.read())
