"""`make run`'s web server under 200 simultaneous connections: started exactly as
`run_platform` starts it (exchange/common/serving.py), on the bench database; every
connection must be answered (0 resets) and none with a server error (0 5xx)."""

import http.client
import os
import statistics
import subprocess
import threading
import time
import urllib.request

from common import BENCH_DIR, PYTHON, ROOT, Figure, free_port, percentile, reproduce

PATHS = ("/", "/lots/", "/api/v1/categories/", "/static/css/site.css", "/healthz")
TIMEOUT_S = 120


class RunServer:
    """The web server of `make run`, as `run_platform` starts it."""

    def __init__(self) -> None:
        from exchange.common.serving import web_command

        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.command = web_command(host="127.0.0.1", port=self.port, python=PYTHON)
        self.log = open(BENCH_DIR / "run-server.log", "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
            self.command,
            cwd=ROOT,
            env=dict(os.environ),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            # A process group of its own (stopped as one), in the bench's session: where
            # the kernel groups CPU time by session (autogroup), the server shares the
            # bench's share instead of competing with the machine's other sessions.
            process_group=0,
        )

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited; see {self.log.name}")
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"the server did not answer within {timeout:.0f} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # what run_platform sends on Ctrl-C
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)  # the group we started
                self.process.wait(timeout=5)
        self.log.close()


def one_request(port: int, path: str, start: threading.Barrier, results: list, index: int) -> None:
    start.wait()
    began = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
    try:
        connection.request("GET", path, headers={"Accept-Language": "en"})
        response = connection.getresponse()
        response.read()
        results[index] = ("status", response.status, time.perf_counter() - began)
    except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError) as exc:
        results[index] = ("reset", type(exc).__name__, time.perf_counter() - began)
    except http.client.RemoteDisconnected as exc:  # closed without an answer
        results[index] = ("reset", type(exc).__name__, time.perf_counter() - began)
    except OSError as exc:
        results[index] = ("error", type(exc).__name__, time.perf_counter() - began)
    finally:
        connection.close()


def measure(figures: list[Figure], *, connections: int = 200) -> None:
    server = RunServer()
    try:
        server.wait_ready()
        for path in PATHS:  # first-request work (imports, WhiteNoise's file index)
            urllib.request.urlopen(server.base + path, timeout=30).read()  # noqa: S310
        results: list = [None] * connections
        start = threading.Barrier(connections)
        threads = [
            threading.Thread(
                target=one_request,
                args=(server.port, PATHS[index % len(PATHS)], start, results, index),
            )
            for index in range(connections)
        ]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(TIMEOUT_S + 10)
        wall = time.monotonic() - began
    finally:
        server.stop()
    resets = [r for r in results if r and r[0] == "reset"]
    errors = [r for r in results if r is None or r[0] == "error"]
    statuses = [r[1] for r in results if r and r[0] == "status"]
    server_errors = [status for status in statuses if status >= 500]
    timings = [r[2] * 1000 for r in results if r and r[0] == "status"]
    workers = next(
        server.command[i + 1] for i, arg in enumerate(server.command) if arg == "--workers"
    )
    threads_each = next(
        server.command[i + 1] for i, arg in enumerate(server.command) if arg == "--threads"
    )
    figures.append(
        Figure(
            f"{connections} simultaneous GETs ({', '.join(PATHS)}) to make run's server "
            f"(gunicorn gthread, {workers} workers x {threads_each} threads, as run_platform "
            "starts it)",
            f"{len(resets)} resets, {len(server_errors)} 5xx, {len(errors)} other errors, "
            f"{statuses.count(200)} x 200; latency median "
            f"{statistics.median(timings) if timings else 0:.0f} ms, p95 "
            f"{percentile(timings, 0.95) if timings else 0:.0f} ms, all in {wall:.1f} s",
            "0 resets, 0 5xx, every request answered",
            not resets and not server_errors and not errors and len(statuses) == connections,
            reproduce("serving"),
        )
    )
