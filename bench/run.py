"""`make bench`: the platform's speed on a full database, through the whole stack.

Prepares a PostgreSQL database of its own (created if missing, migrated, demo data,
100 000 generated lots, 50 000 open wanted requests, 1 000 000 impact records over five
years, VACUUM ANALYZE: each only when a measurement needs it), then measures:

  search    GET /api/v1/lots/?q=chair&region=BRU through gunicorn (median, p95)
  near      GET /api/v1/lots/?near_site=<site>&radius_km=25 through gunicorn
  order     the same list ordered closing_soon, and nearest within 25 km of Brussels
  queries   SQL queries of the list for page_size=5 and page_size=50 (must be equal)
  photo     photo_derivatives() on a 6000x4000 JPEG: time, tracemalloc peak, RSS growth
  claims    200 concurrent claims of one lot of 50 through gunicorn (bench/claims.py)
  matching  match_lot, match_wanted, the nightly rematch, a naive matcher (bench/matching.py)
  stats     summary, time series, annual report XLSX and PDF (bench/stats.py)
  serving   200 simultaneous requests to make run's server (bench/serving.py)
  hostile   hostile spreadsheets and a zip bomb against the lots import (bench/hostile.py)
  suite     `make test` on SQLite and on PostgreSQL + Redis, as CI runs it (bench/suite.py)

Every figure is printed with its target, PASS or FAIL, and the command that
reproduces it. The exit status is 1 when a target is missed. Only 127.0.0.1 is
contacted, every loop is bounded, and the server started here is always stopped.
"""

import argparse
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
import urllib.parse
from pathlib import Path

import claims
import hostile
import matching
import serving
import stats
import suite
from common import (
    BENCH_DIR,
    DATABASE_URL,
    ENVIRONMENT,
    PYTHON,
    ROOT,
    Figure,
    Server,
    http,
    load_average,
    manage_command,
    percentile,
    reproduce,
    say,
)

PHOTO_PATH = BENCH_DIR / "photo-6000x4000.jpg"
LOTS = 100_000
WANTED = 50_000
IMPACT_RECORDS = 1_000_000
DEMO_USER = "fed.admin"
MEASUREMENTS = (
    "search",
    "near",
    "order",
    "queries",
    "photo",
    "claims",
    "matching",
    "stats",
    "serving",
    "hostile",
    "suite",
)

TARGET_LIST_MS = 50.0
# Issue 16: "search 35 ms, near 31 ms, photo 150 ms ... stay as they are or get better"
# (what make bench measured when the issue was written, connections kept between
# requests). The same lists with a new connection per request, and the orderings,
# keep TARGET_LIST_MS.
TARGET_KEPT_MS = {"search": 35.0, "near": 31.0}
PART = {"closing_soon": "order", "nearest": "order"}  # lists measured by a part of that name
TARGET_PHOTO_MS = 150.0  # issue 16, as above
TARGET_PHOTO_MB = 150.0
TARGET_GENERATE_S = 60.0
TARGET_GENERATE_IMPACT_S = 120.0
# The tables each generator writes (and its reset deletes from).
LOT_TABLES = ("lots_lot", "lots_sanitisationattestation", "organisations_organisation")
WANTED_TABLES = ("matching_wantedrequest", "matching_match")
IMPACT_TABLES = ("impact_impactrecord", "claims_claim", "lots_lot", "lots_sanitisationattestation")


# --- The database ----------------------------------------------------------------------


def ensure_database() -> None:
    """Create the bench database on its server when it does not exist yet."""
    import psycopg
    from psycopg import sql

    url = urllib.parse.urlsplit(DATABASE_URL)
    if url.scheme not in ("postgres", "postgresql", "pgsql"):
        sys.exit(f"bench: BENCH_DATABASE_URL must be a PostgreSQL URL, got {url.scheme}://")
    name = url.path.lstrip("/")
    params = {
        "host": url.hostname or "127.0.0.1",
        "port": url.port or 5432,
        "user": urllib.parse.unquote(url.username or "postgres"),
        "dbname": "postgres",
        "connect_timeout": 5,
        "autocommit": True,
    }
    if url.password:
        params["password"] = urllib.parse.unquote(url.password)
    with psycopg.connect(**params) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            say(f"Created database {name}.")


def manage(*args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [PYTHON, "manage.py", *args], cwd=ROOT, text=True, capture_output=True
    )
    if result.returncode != 0:
        sys.exit(f"bench: manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result


def prepare(figures: list[Figure], only: set[str]) -> None:
    """Migrate, seed the demo users, generate what the measurements need unless it is
    there already: the lots always, the wanted requests for matching, five years of
    impact records for the statistics."""
    ensure_database()
    manage("migrate", "--noinput")
    from django.contrib.auth import get_user_model

    from devtools.load.impact import generated_impact_count, impact_generated_load_delete
    from devtools.load.lots import generated_organisations, lots_generated_load_delete
    from devtools.load.wanted import generated_wanted_count, wanted_generated_load_delete
    from exchange.lots.models import Lot, LotStatus

    if not get_user_model().objects.filter(username=DEMO_USER).exists():
        say("Seeding the demo organisations and users ...")
        manage("seed_demo")
    rewritten: set[str] = set()  # tables whose rows were deleted and written again
    present = Lot.objects.filter(
        owner__in=generated_organisations(), status=LotStatus.PUBLISHED
    ).count()
    if present >= LOTS and os.environ.get("BENCH_RESET") != "1":
        say(f"{present} generated lots present: not regenerated (BENCH_RESET=1 does).")
    else:
        # Requests, matches and the impact history refer to the generated lots and
        # organisations: they go first, and come back below.
        started = time.monotonic()
        deleted = {**impact_generated_load_delete(), **wanted_generated_load_delete()}
        deleted["lots"] = lots_generated_load_delete()["lots"]
        say(
            "Deleted {lots} generated lots, {wanted} wanted requests, {records} impact "
            "records in {seconds:.1f} s.".format(**deleted, seconds=time.monotonic() - started)
        )
        say(f"Generating {LOTS} lots (this takes a minute or two) ...")
        figures.append(generate("--lots", LOTS, TARGET_GENERATE_S))
        rewritten |= {*LOT_TABLES, *WANTED_TABLES, *IMPACT_TABLES}
    if "matching" in only:
        present = generated_wanted_count()
        if present >= WANTED:
            say(f"{present} generated open wanted requests present: not regenerated.")
        else:
            wanted_generated_load_delete()
            say(f"Generating {WANTED} wanted requests ...")
            figures.append(generate("--wanted", WANTED, None))
            rewritten |= set(WANTED_TABLES)
    if "stats" in only:
        present = generated_impact_count()
        if present >= IMPACT_RECORDS:
            say(f"{present} generated impact records present: not regenerated.")
        else:
            impact_generated_load_delete()
            say(f"Generating {IMPACT_RECORDS} impact records (about two minutes) ...")
            figures.append(generate("--impact", IMPACT_RECORDS, TARGET_GENERATE_IMPACT_S))
            rewritten |= set(IMPACT_TABLES)
        from exchange.impact.models import ImpactMonthlyTotal, ImpactRecord

        if ImpactRecord.objects.exists() and not ImpactMonthlyTotal.objects.exists():
            # records loaded by an older generator, or by hand: the totals the statistics read
            say("Building the monthly impact totals ...")
            say(manage("impact_totals_rebuild").stdout.strip())
    vacuum(full=rewritten)


def generate(option: str, count: int, target_s: float | None) -> Figure:
    started = time.monotonic()
    result = manage("generate_load", option, str(count))
    seconds = time.monotonic() - started
    say(result.stdout.strip())
    return Figure(
        f"generate_load {option} {count} (wall time of the command, process start included)",
        f"{seconds:.1f} s",
        f"< {target_s:.0f} s" if target_s else "none (information)",
        target_s is None or seconds < target_s,
        manage_command("generate_load", option, str(count), "--reset")
        + "   (or: BENCH_RESET=1 make bench)",
    )


def vacuum(*, full: set[str]) -> None:
    """Autovacuum may be off (it is on the shared development server): clean up the
    dead rows of the search-vector update and refresh the planner's statistics, as
    autovacuum would on a production server. Tables whose generated rows were deleted
    and written again are rewritten (VACUUM FULL): a million deleted rows would
    otherwise stay in every scan of the table's file."""
    from django.db import connection

    started = time.monotonic()
    with connection.cursor() as cursor:
        for table in sorted(full):
            cursor.execute(f"VACUUM (FULL, ANALYZE) {connection.ops.quote_name(table)}")
        cursor.execute("VACUUM (ANALYZE)")
    rewritten = f" (rewritten: {', '.join(sorted(full))})" if full else ""
    say(f"VACUUM (ANALYZE): {time.monotonic() - started:.1f} s{rewritten}")


# --- a, b: the list through gunicorn ---------------------------------------------------


def time_requests(url: str, token: str, *, warmup: int, requests: int) -> tuple[list[float], int]:
    for _ in range(warmup):
        http("GET", url, token=token)
    timings = []
    count = 0
    for _ in range(requests):
        started = time.perf_counter()
        status, body = http("GET", url, token=token)
        timings.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise RuntimeError(f"{url} answered {status}")
        count = body["count"]
    return timings, count


BRUSSELS_DEPOT = "Bench Brussels depot"


def demo_site_id() -> int:
    """fed.admin's first site by name (the demo's Charleroi office), never the bench's
    Brussels depot: once part ``order`` had made it, the depot came first by name, and
    ``near`` measured the densest area instead."""
    from exchange.organisations.models import Site

    sites = Site.objects.filter(organisation__memberships__user__username=DEMO_USER)
    return sites.exclude(name=BRUSSELS_DEPOT).first().pk


def brussels_site_id() -> int:
    """A site of the demo user's organisation in the centre of Brussels (made once): the
    densest part of the generated catalogue, for the nearest-first ordering."""
    from exchange.organisations.models import Site

    organisation = Site.objects.get(pk=demo_site_id()).organisation
    site, _created = Site.objects.get_or_create(
        organisation=organisation,
        name=BRUSSELS_DEPOT,
        defaults={
            "street": "Wetstraat 16",
            "postcode": "1000",
            "municipality": "Brussel",
            "region": "BRU",
            "latitude": "50.846600",
            "longitude": "4.367600",
        },
    )
    return site.pk


def measure_lists(figures: list[Figure], only: set[str], warmup: int, requests: int) -> None:
    paths = {}
    if "search" in only:
        paths["search"] = "/api/v1/lots/?q=chair&region=BRU"
    if "near" in only:
        paths["near"] = f"/api/v1/lots/?near_site={demo_site_id()}&radius_km=25"
    if "order" in only:
        paths["closing_soon"] = "/api/v1/lots/?ordering=closing_soon"
        paths["nearest"] = (
            f"/api/v1/lots/?near_site={brussels_site_id()}&radius_km=25&ordering=nearest"
        )
    if not paths:
        return
    # As configured (settings keep server connections for 60 s on PostgreSQL unless
    # DATABASE_CONN_MAX_AGE says otherwise), then with a new PostgreSQL connection for
    # every request, which shows what connections cost.
    configured = os.environ.get("DATABASE_CONN_MAX_AGE") or "60 (the default)"
    variants = [(f"DATABASE_CONN_MAX_AGE={configured}", {}, "")]
    if configured != "0":
        variants.append(
            (
                "DATABASE_CONN_MAX_AGE=0",
                {"DATABASE_CONN_MAX_AGE": "0"},
                "DATABASE_CONN_MAX_AGE=0 ",
            )
        )
    for label, environment, prefix in variants:
        kept = not environment and configured != "0"  # connections kept between requests
        server = Server(environment)
        try:
            server.wait_ready()
            _status, body = http(
                "POST",
                f"{server.base}/api/v1/auth/token/",
                body={"username": DEMO_USER, "password": os.environ.get("DEMO_PASSWORD", "demo")},
            )
            token = body["token"]
            for name, path in paths.items():
                timings, count = time_requests(
                    server.base + path, token, warmup=warmup, requests=requests
                )
                median, p95 = statistics.median(timings), percentile(timings, 0.95)
                if kept and name in TARGET_KEPT_MS:
                    target = TARGET_KEPT_MS[name]
                    wording, passed = f"median <= {target:.0f} ms (issue 16)", median <= target
                else:
                    wording, passed = f"median < {TARGET_LIST_MS:.0f} ms", median < TARGET_LIST_MS
                figures.append(
                    Figure(
                        f"GET {path} via gunicorn, {label} "
                        f"({count} lots; {requests} requests after {warmup} warm-up)",
                        f"median {median:.1f} ms, p95 {p95:.1f} ms",
                        wording,
                        passed,
                        prefix + reproduce(PART.get(name, name)),
                    )
                )
        finally:
            server.stop()


# --- c: queries per page -------------------------------------------------------------


def measure_queries(figures: list[Figure]) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from exchange.accounts.services import api_token_create, api_tokens_revoke_all

    user = get_user_model().objects.get(username=DEMO_USER)
    api_tokens_revoke_all(user=user)
    _token, key = api_token_create(user=user, name="bench")
    client = Client(headers={"authorization": f"Token {key}"})
    lists = {
        "list": {},
        "search": {"q": "chair", "region": "BRU"},
        "near": {"near_site": demo_site_id(), "radius_km": 25},
    }
    client.get("/api/v1/lots/", {"page_size": 5})  # first-request work is not per page
    counts = {}
    for name, params in lists.items():
        for size in (5, 50):
            with CaptureQueriesContext(connection) as queries:
                response = client.get("/api/v1/lots/", {**params, "page_size": size})
            if response.status_code != 200:
                raise RuntimeError(f"{name} answered {response.status_code}")
            counts[(name, size)] = len(queries)
    value = ", ".join(f"{name} {counts[(name, 5)]} vs {counts[(name, 50)]}" for name in lists)
    figures.append(
        Figure(
            "SQL queries for page_size=5 vs page_size=50 (Django test client, real URLconf)",
            value,
            "equal",
            all(counts[(name, 5)] == counts[(name, 50)] for name in lists),
            reproduce("queries"),
        )
    )


# --- d: photo derivatives ------------------------------------------------------------


def photo_make() -> None:
    """A 6000x4000 JPEG with gradients and sensor-like noise (about 5 MB), made once."""
    if PHOTO_PATH.exists():
        return
    from PIL import Image, ImageChops

    size = (6000, 4000)
    horizontal = Image.linear_gradient("L").transpose(Image.Transpose.ROTATE_90).resize(size)
    vertical = Image.linear_gradient("L").resize(size)
    noise = Image.effect_noise(size, 12)
    channels = (
        ImageChops.add(horizontal, noise, scale=2.0),
        ImageChops.add(vertical, noise.transpose(Image.Transpose.FLIP_LEFT_RIGHT), scale=2.0),
        ImageChops.add(
            ImageChops.invert(horizontal),
            noise.transpose(Image.Transpose.FLIP_TOP_BOTTOM),
            scale=2.0,
        ),
    )
    out = io.BytesIO()
    Image.merge("RGB", channels).save(out, format="JPEG", quality=90)
    PHOTO_PATH.write_bytes(out.getvalue())


def run_self(command: str) -> str:
    """This script in a fresh process: photo-make, photo-rss, report-rss-xlsx|pdf."""
    return subprocess.run(  # noqa: S603 - this script, fixed arguments
        [PYTHON, str(Path(__file__).resolve()), command],
        cwd=ROOT,
        check=True,
        text=True,
        capture_output=True,
    ).stdout


def photo_rss() -> None:
    """Run in a fresh process: peak resident memory before and after one derivation.

    Linux carries ru_maxrss over fork and exec, so the process that starts this one
    must be small at that moment: main() starts it before it imports Django."""
    from exchange.lots.services.photos import photo_derivatives

    content = PHOTO_PATH.read_bytes()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    photo_derivatives(content)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"before_kb": before, "after_kb": after}))


def measure_photo(figures: list[Figure], runs: int, rss: dict) -> None:
    from exchange.lots.services.photos import photo_derivatives

    content = PHOTO_PATH.read_bytes()
    label = f"photo_derivatives(6000x4000 JPEG, {len(content) / 1e6:.1f} MB)"
    photo_derivatives(content)  # warm-up: imports and decoder set-up
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        photo_derivatives(content)
        timings.append((time.perf_counter() - started) * 1000)
    median = statistics.median(timings)
    figures.append(
        Figure(
            f"{label}: time over {runs} runs",
            f"median {median:.0f} ms (min {min(timings):.0f}, max {max(timings):.0f})",
            f"median <= {TARGET_PHOTO_MS:.0f} ms (issue 16)",
            median <= TARGET_PHOTO_MS,
            reproduce("photo"),
        )
    )
    tracemalloc.start()
    photo_derivatives(content)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    figures.append(
        Figure(
            f"{label}: tracemalloc peak (Python allocations only)",
            f"{peak / 2**20:.1f} MB",
            f"< {TARGET_PHOTO_MB:.0f} MB",
            peak / 2**20 < TARGET_PHOTO_MB,
            reproduce("photo"),
        )
    )
    growth = (rss["after_kb"] - rss["before_kb"]) / 1024  # Linux: ru_maxrss is in KiB
    figures.append(
        Figure(
            f"{label}: peak RSS growth in a fresh process (ru_maxrss, Pillow's buffers too)",
            f"{growth:.1f} MB (peak RSS {rss['before_kb'] / 1024:.0f} -> "
            f"{rss['after_kb'] / 1024:.0f} MB)",
            f"< {TARGET_PHOTO_MB:.0f} MB",
            growth < TARGET_PHOTO_MB,
            reproduce("photo"),
        )
    )


# --- Report --------------------------------------------------------------------------


def report(figures: list[Figure], started_load: str) -> bool:
    say("\n=== Reuse Exchange bench " + "=" * 56)
    say(f"Machine: {started_load} at the start; {load_average()} at the end.")
    for figure in figures:
        say(f"{'PASS' if figure.passed else 'FAIL'}  {figure.name}")
        say(f"      {figure.value}   (target: {figure.target})")
        say(f"      reproduce: {figure.command}")
    failed = [figure for figure in figures if not figure.passed]
    say(f"=== {len(figures) - len(failed)} passed, {len(failed)} failed " + "=" * 50)
    return not failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "command",
        nargs="?",
        choices=["photo-make", "photo-rss", "report-rss-xlsx", "report-rss-pdf"],
        help=argparse.SUPPRESS,
    )
    parser.add_argument("--only", action="append", choices=MEASUREMENTS)
    parser.add_argument("--requests", type=int, default=60, help="measured requests (>= 50)")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--photo-runs", type=int, default=12, help="timed runs (>= 10)")
    parser.add_argument("--claimants", type=int, default=200, help="concurrent claims (<= 400)")
    parser.add_argument("--matching-runs", type=int, default=30, help="timed runs (>= 10)")
    parser.add_argument("--stats-runs", type=int, default=10, help="timed runs (>= 5)")
    args = parser.parse_args()
    if args.requests < 50 or args.photo_runs < 10 or args.warmup < 1:
        parser.error("--requests >= 50, --photo-runs >= 10 and --warmup >= 1")
    if not 2 <= args.claimants <= 400 or args.matching_runs < 10 or args.stats_runs < 5:
        parser.error("2 <= --claimants <= 400, --matching-runs >= 10, --stats-runs >= 5")

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    os.environ.update(ENVIRONMENT)
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    if args.command == "photo-make":
        photo_make()
        return
    only = set(args.only or MEASUREMENTS)
    rss = {}
    if args.command is None and "photo" in only:
        run_self("photo-make")
        rss = json.loads(run_self("photo-rss").strip().splitlines()[-1])

    import django

    django.setup()
    if args.command == "photo-rss":
        photo_rss()
        return
    if args.command in ("report-rss-xlsx", "report-rss-pdf"):
        stats.report_rss(args.command.rsplit("-", 1)[1])
        return

    figures: list[Figure] = []
    started_load = load_average()
    say(f"Bench database: {DATABASE_URL}; {started_load}")
    if only - {"suite"}:  # the suite makes databases of its own
        prepare(figures, only)
    measure_lists(figures, only, args.warmup, args.requests)
    if "queries" in only:
        measure_queries(figures)
    if "photo" in only:
        measure_photo(figures, args.photo_runs, rss)
    if "claims" in only:
        claims.measure(figures, claimants=args.claimants)
    if "matching" in only:
        matching.measure(figures, runs=args.matching_runs)
    if "stats" in only:
        stats.measure(figures, runs=args.stats_runs, run_self=run_self)
    if "serving" in only:
        serving.measure(figures)
    if "hostile" in only:
        hostile.measure(figures)
    if "suite" in only:
        suite.measure(figures)
    sys.exit(0 if report(figures, started_load) else 1)


if __name__ == "__main__":
    main()
