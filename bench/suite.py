"""The test suite against the clock: the README's test command (`make test`) on the
embedded default (SQLite, filesystem broker) and on PostgreSQL + Redis as CI runs it
(.ci/run), each in a clean environment, with the browser tests required as CI requires
them. Each run must pass, take less than four minutes of wall time, and skip nothing but
what CI skips on that backend too (a skip is listed with its reason).

The PostgreSQL run has a database and a Redis database of its own, neither the bench's
nor CI's: BENCH_SUITE_DATABASE_URL (default .../reuse_exchange_suite; the suite makes its
test databases next to it) and BENCH_SUITE_BROKER_URL (default redis://127.0.0.1:6379/9).
Each run keeps its SQLite files, screenshots and log under var/bench/suite/<backend>/."""

import os
import re
import resource
import shutil
import subprocess
import time

from common import BENCH_DIR, ROOT, Figure, load_average, reproduce, say

TARGET_S = 240.0
MAKE = shutil.which("make") or "/usr/bin/make"
SUITE_DIR = BENCH_DIR / "suite"
DATABASE_URL = os.environ.get(
    "BENCH_SUITE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/reuse_exchange_suite"
)
BROKER_URL = os.environ.get("BENCH_SUITE_BROKER_URL", "redis://127.0.0.1:6379/9")
# What a developer's shell passes on to the test command; nothing of the bench's own
# environment (its database, broker, var folder, DEBUG) nor of the developer's settings.
KEPT = ("PATH", "HOME", "USER", "LANG", "LC_ALL", "TMPDIR", "EXCHANGE_CHROMIUM")
SUMMARY = re.compile(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed|deselected)")
SKIP = re.compile(r"^SKIPPED \[(\d+)\] (.*)$", re.MULTILINE)


def run(backend: str, extra: dict[str, str]) -> tuple[float, float, int, str, str]:
    """`make test` in a clean environment: (wall s, CPU s of it and its children,
    exit status, log text, log path)."""
    folder = SUITE_DIR / backend
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    environment = {name: os.environ[name] for name in KEPT if name in os.environ}
    environment.update(
        {"EXCHANGE_REQUIRE_BROWSER": "1", "EXCHANGE_VAR_DIR": str(folder / "var"), **extra}
    )
    log_path = folder / "make-test.log"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    with open(log_path, "w") as log:
        status = subprocess.run(  # noqa: S603 - the README's command, fixed arguments
            [MAKE, "test"], cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT
        ).returncode
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, status, log_path.read_text(errors="replace"), str(log_path)


def figure(label: str, backend: str, extra: dict[str, str], command: str) -> Figure:
    say(f"Running the test suite, {label} (a few minutes) ...")
    load_before = load_average()
    wall, cpu, status, log, log_path = run(backend, extra)
    summary = next(
        (line for line in reversed(log.splitlines()) if SUMMARY.search(line) and " in " in line),
        "",
    )
    counts = {word.rstrip("s"): int(n) for n, word in SUMMARY.findall(summary)}
    skips = SKIP.findall(log)
    skipped = counts.get("skipped", 0)
    say(f"  {summary.strip('= ') or 'no pytest summary'}; log: {log_path}")
    for count, reason in skips:
        say(f"  skipped {count}: {reason}")
    failed = counts.get("failed", 0) + counts.get("error", 0)
    return Figure(
        f"make test, {label}: {counts.get('passed', 0)} passed, {skipped} skipped, "
        f"{failed} failed (browser tests required, as in CI)",
        f"{wall:.0f} s wall, {cpu:.0f} s CPU (user+sys of make and its children), "
        f"exit {status}; {load_before} before, {load_average()} after",
        f"< {TARGET_S:.0f} s, every test passed",
        status == 0 and failed == 0 and counts.get("passed", 0) > 0 and wall < TARGET_S,
        command,
    )


def measure(figures: list[Figure]) -> None:
    figures.append(
        figure(
            "embedded default (SQLite, filesystem broker)",
            "sqlite",
            {},
            "env -u DATABASE_URL -u CELERY_BROKER_URL EXCHANGE_REQUIRE_BROWSER=1 make test   "
            f"(or: {reproduce('suite')})",
        )
    )
    figures.append(
        figure(
            "PostgreSQL + Redis (as .ci/run)",
            "postgres",
            {"DATABASE_URL": DATABASE_URL, "CELERY_BROKER_URL": BROKER_URL},
            f"DATABASE_URL={DATABASE_URL} CELERY_BROKER_URL={BROKER_URL} "
            f"EXCHANGE_REQUIRE_BROWSER=1 make test   (or: {reproduce('suite')})",
        )
    )
