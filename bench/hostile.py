"""Hostile spreadsheets against the lots import through gunicorn: the files the issue saw
(a 390 KB XLSX whose one shared string inflates to 400 MB; an XLSX of 16 000 x 1 000
cells) and a zip bomb (1 GB of zeros in one member). Each must be refused with 400
within 2 s, and the worker that refuses it must stay under 200 MB of resident memory.

The server is gunicorn with one sync worker (the request's process is known): before
each upload the worker's peak-RSS counter is reset (``/proc/<pid>/clear_refs``, 5) and
after the answer its ``VmHWM`` is the peak of that request alone."""

import http.client
import json
import time
import uuid
from pathlib import Path

from common import BENCH_DIR, Figure, Server, reproduce, say

TARGET_S = 2.0
TARGET_MB = 200.0
SHARED_STRING_BYTES = 400 * 1024 * 1024
CELLS = (16_000, 1_000)
BOMB_BYTES = 1024 * 1024 * 1024
DEMO_USER = "fed.admin"


def hostile_files() -> dict[str, Path]:
    """The three files, made once into var/bench (the cells take a minute)."""
    from tests.support.hostile_files import (
        xlsx_with_many_cells,
        xlsx_with_one_huge_shared_string,
        zip_bomb,
    )

    makers = {
        "xlsx-shared-string-400MB.xlsx": lambda: xlsx_with_one_huge_shared_string(
            SHARED_STRING_BYTES
        ),
        "xlsx-16000x1000-cells.xlsx": lambda: xlsx_with_many_cells(*CELLS, compact=True),
        "zip-bomb-1GB.xlsx": lambda: zip_bomb(BOMB_BYTES),
    }
    paths = {}
    for name, make in makers.items():
        path = BENCH_DIR / name
        if not path.exists():
            say(f"Making {name} ...")
            path.write_bytes(make())
        paths[name] = path
    return paths


def _worker_pid(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    if len(children) != 1:
        raise RuntimeError(f"expected one gunicorn worker, found {children}")
    return int(children[0])


def _peak_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM")


def _reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def upload(port: int, token: str, path: Path) -> tuple[int, dict, float]:
    """POST the file to /api/v1/lots/import/ (multipart); (status, body, seconds)."""
    boundary = uuid.uuid4().hex
    content = path.read_bytes()
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"'
            "\r\nContent-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            "\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    connection.request(
        "POST",
        "/api/v1/lots/import/",
        body=body,
        headers={
            "Authorization": f"Token {token}",
            "Accept": "application/json",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    response = connection.getresponse()
    raw = response.read()
    seconds = time.perf_counter() - started
    connection.close()
    try:
        answer = json.loads(raw)
    except ValueError:
        answer = {"body": raw[:200].decode(errors="replace")}
    return response.status, answer, seconds


def bench_token() -> str:
    """An API token of the demo user, made in-process (an admin's sign-in through the
    API asks for a second factor)."""
    from django.contrib.auth import get_user_model

    from exchange.accounts.services import api_token_create

    user = get_user_model().objects.get(username=DEMO_USER)
    _token, key = api_token_create(user=user, name="bench hostile files")
    return key


def measure(figures: list[Figure]) -> None:
    files = hostile_files()
    server = Server({})
    try:
        server.wait_ready()
        token = bench_token()
        worker = _worker_pid(server.process.pid)
        for name, path in files.items():
            upload(server.port, token, files["zip-bomb-1GB.xlsx"])  # warm: imports, caches
            _reset_peak(worker)
            baseline = _peak_kb(worker)
            status, answer, seconds = upload(server.port, token, path)
            peak_mb = _peak_kb(worker) / 1024
            reason = answer.get("detail") or answer.get("code") or answer
            say(f"{name}: {status} in {seconds:.2f} s, worker peak {peak_mb:.0f} MB: {reason}")
            figures.append(
                Figure(
                    f"POST /api/v1/lots/import/ with {name} ({path.stat().st_size / 1e3:.0f} KB) "
                    "through gunicorn (1 sync worker)",
                    f"{status} in {seconds:.2f} s; worker peak RSS {peak_mb:.0f} MB "
                    f"(idle {baseline / 1024:.0f} MB); answer {len(json.dumps(answer))} bytes",
                    f"400 within {TARGET_S:.0f} s, peak < {TARGET_MB:.0f} MB",
                    status == 400 and seconds < TARGET_S and peak_mb < TARGET_MB,
                    reproduce("hostile"),
                )
            )
    finally:
        server.stop()
