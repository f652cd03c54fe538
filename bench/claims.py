"""Claims under contention: many organisations claim one unit each of one lot at the
same moment, over HTTP, through gunicorn and PostgreSQL.

The issue: "200 concurrent HTTP claim attempts on one lot against gunicorn + PostgreSQL:
zero over-allocation, zero 5xx, claims per second printed". The owner and the claimant
organisations (federal, verified, one member with an API token each) are made once and
kept; the lot is a fresh one each run, made and published through the lot services,
and deleted again with its claims afterwards.
"""

import datetime
import json
import statistics
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from common import Figure, Server, percentile, reproduce, say

OWNER = "Bench claims owner"
CLAIMANT = "Bench claimant"
USERNAME = "bench.claims"
UNITS = 50
WORKERS, THREADS = 4, 4  # gunicorn: 4 processes x 4 threads on the 2 CPUs
# The same gunicorn also serves the bench's bare endpoints (bench/bare_urls.py).
BARE_ENVIRONMENT = {
    "DJANGO_SETTINGS_MODULE": "bare_settings",
    "PYTHONPATH": str(Path(__file__).resolve().parent),
}
TARGET_RATIO = 0.5
LIST_CLIENTS, LIST_REQUESTS, LIST_ROUNDS = 8, 120, 3
# The bursts: one of each kind on lots of their own to warm the workers (connections,
# URL table, first-request costs), then CLAIM_ROUNDS of each, taken in turn.
CLAIM_ROUNDS = 3
ENTERPRISE_NUMBERS_FROM = 29_000_000  # clear of the demo data and generate_load


def _enterprise_numbers(count: int):
    from exchange.organisations.models import Organisation

    taken = set(Organisation.objects.values_list("enterprise_number", flat=True))
    first_eight = ENTERPRISE_NUMBERS_FROM
    while count:
        number = f"{first_eight:08d}{97 - first_eight % 97:02d}"
        first_eight += 1
        if number not in taken:
            count -= 1
            yield number


def _organisations(claimants: int):
    """The owner (with a site and an admin) and ``claimants`` claimant organisations,
    each with a member and an API token; made once, found again on later runs."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from exchange.accounts.services import api_token_create, api_tokens_revoke_all
    from exchange.organisations.models import Membership, MembershipRole, Organisation, Site

    user_model = get_user_model()
    now = timezone.now()
    with transaction.atomic():
        owner = Organisation.objects.filter(name=OWNER).first()
        if owner is None:
            owner = Organisation.objects.create(
                name=OWNER,
                kind="federal",
                enterprise_number=next(_enterprise_numbers(1)),
                region="BRU",
                language="en",
                email="owner@bench.example",
                verified_at=now,
            )
            Site.objects.create(
                organisation=owner,
                name="Bench depot",
                street="Wetstraat 16",
                postcode="1000",
                municipality="Brussel",
                region="BRU",
                latitude="50.846600",
                longitude="4.367600",
            )
            user = user_model.objects.create_user(
                username=f"{USERNAME}.owner", email="owner@bench.example", language="en"
            )
            Membership.objects.create(user=user, organisation=owner, role=MembershipRole.ADMIN)
        present = Organisation.objects.filter(name__startswith=CLAIMANT).count()
        numbers = _enterprise_numbers(max(claimants - present, 0))
        for index in range(present, claimants):
            organisation = Organisation.objects.create(
                name=f"{CLAIMANT} {index + 1:03d}",
                kind="federal",
                enterprise_number=next(numbers),
                region="BRU",
                language="en",
                email=f"claimant{index + 1}@bench.example",
                verified_at=now,
            )
            user = user_model(
                username=f"{USERNAME}.{index + 1:03d}",
                email=f"claimant{index + 1}@bench.example",
                language="en",
                current_organisation=organisation,
            )
            user.set_unusable_password()
            user.save()
            Membership.objects.create(
                user=user, organisation=organisation, role=MembershipRole.MEMBER
            )
    actor = Membership.objects.select_related("organisation", "user").get(
        organisation=owner, user__username=f"{USERNAME}.owner"
    )
    # Keys are kept only as digests: each run makes the claimants fresh tokens.
    claimant_users = (
        user_model.objects.filter(username__startswith=f"{USERNAME}.")
        .exclude(username=f"{USERNAME}.owner")
        .order_by("username")[:claimants]
    )
    tokens = []
    with transaction.atomic():
        for user in claimant_users:
            api_tokens_revoke_all(user=user)
            tokens.append(api_token_create(user=user, name="bench")[1])
    return actor, tokens


def _clean_up(owner_id: int) -> None:
    """Delete the bench lots with their claims, matches and the owner's notices."""
    from exchange.claims.models import Claim
    from exchange.lots.models import Lot
    from exchange.matching.models import Match
    from exchange.notifications.models import Notification

    lots = Lot.objects.filter(owner_id=owner_id)
    Match.objects.filter(lot__in=lots).delete()
    Claim.objects.filter(lot__in=lots).delete()
    Notification.objects.filter(user__memberships__organisation_id=owner_id).delete()
    for lot in lots:
        lot.delete()


def _lot(actor):
    from django.utils import timezone

    from exchange.categories.models import Category
    from exchange.lots.services.lots import LotInput, lot_create, lot_publish

    data = LotInput(
        site=actor.organisation.sites.first(),
        category=Category.objects.get(code="office-chair"),
        title="Office chairs (bench)",
        description="Claimed by many at once.",
        quantity=UNITS,
        condition="good",
        available_until=timezone.localdate() + datetime.timedelta(days=30),
    )
    return lot_publish(actor=actor, lot=lot_create(actor=actor, data=data))


def _claim(url: str, token: str, lot_id: int, barrier: threading.Barrier):
    body = json.dumps({"lot": lot_id, "quantity": 1}).encode()
    request = urllib.request.Request(  # noqa: S310 - 127.0.0.1
        url,
        data=body,
        method="POST",
        headers={
            "Authorization": f"Token {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        },
    )
    barrier.wait(timeout=60)
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            status, answer = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, answer = error.code, error.read()
    except OSError as error:  # refused, reset, timed out: no HTTP answer at all
        return 0, str(error), started, time.perf_counter()
    try:
        code = json.loads(answer).get("code", "")
    except (ValueError, AttributeError):
        code = answer[:80].decode(errors="replace")
    return status, code, started, time.perf_counter()


def _burst(url: str, tokens: list[str], lot_id: int) -> tuple[list, float]:
    """Every token's claim of one unit, released together: (answers, wall time)."""
    barrier = threading.Barrier(len(tokens) + 1)
    with ThreadPoolExecutor(max_workers=len(tokens)) as pool:
        futures = [pool.submit(_claim, url, token, lot_id, barrier) for token in tokens]
        barrier.wait(timeout=60)  # all released together
        released = time.perf_counter()
        answers = [future.result(timeout=300) for future in futures]
    return answers, max(finished for *_rest, finished in answers) - released


def _get_many(url: str, token: str, count: int) -> int:
    """``count`` GETs one after another; how many did not answer 200."""
    failed = 0
    for _ in range(count):
        request = urllib.request.Request(  # noqa: S310 - 127.0.0.1
            url, headers={"Authorization": f"Token {token}", "Accept": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                response.read()
                failed += response.status != 200
        except OSError:
            failed += 1
    return failed


def _throughput(url: str, tokens: list[str]) -> tuple[float, int]:
    """Requests a second of LIST_CLIENTS clients each sending LIST_REQUESTS GETs; and
    how many failed."""
    with ThreadPoolExecutor(max_workers=LIST_CLIENTS) as pool:
        started = time.perf_counter()
        failed = sum(
            pool.map(lambda token: _get_many(url, token, LIST_REQUESTS), tokens[:LIST_CLIENTS])
        )
        seconds = time.perf_counter() - started
    return LIST_CLIENTS * LIST_REQUESTS / seconds, failed


def _lists(figures: list[Figure], server: Server, tokens: list[str], label: str) -> None:
    """The lot list against the bare list on the same gunicorn: rounds taken in turn
    (so that the machine's other load falls on both alike), after a warm-up."""
    paths = {"list": "/api/v1/lots/", "bare": "/bench/bare/lots/"}
    for path in paths.values():
        _get_many(server.base + path, tokens[0], 10)
    rates: dict[str, list[float]] = {name: [] for name in paths}
    failed = 0
    for _ in range(LIST_ROUNDS):
        for name, path in paths.items():
            rate, errors = _throughput(server.base + path, tokens)
            rates[name].append(rate)
            failed += errors
    listed, bare = statistics.median(rates["list"]), statistics.median(rates["bare"])
    figures.append(
        Figure(
            f"GET /api/v1/lots/ (20 lots, the serializer's fields) vs GET /bench/bare/lots/ "
            f"(the same token authentication, one query, no serializer): {LIST_CLIENTS} "
            f"clients x {LIST_REQUESTS} requests, {LIST_ROUNDS} rounds each in turn, {label}",
            f"lot list {listed:.0f} requests/s, bare {bare:.0f} requests/s: ratio "
            f"{listed / bare:.2f} ({failed} not 200)",
            f"ratio >= {TARGET_RATIO}",
            listed / bare >= TARGET_RATIO and failed == 0,
            reproduce("claims"),
        )
    )


def measure(figures: list[Figure], *, claimants: int) -> None:
    from django.db.models import Sum

    from exchange.claims.models import LIVE_STATUSES, Claim

    actor, tokens = _organisations(claimants)
    _clean_up(actor.organisation_id)
    server = Server(BARE_ENVIRONMENT, workers=WORKERS, threads=THREADS)
    shape = f"gunicorn {WORKERS} gthread workers x {THREADS} threads"
    label = (
        f"{claimants} concurrent POST /api/v1/claims/ {{lot, quantity: 1}} on one lot of "
        f"{UNITS}, {claimants} federal organisations, {shape}"
    )
    claim_url, bare_url = f"{server.base}/api/v1/claims/", f"{server.base}/bench/bare/lots/"
    rounds, bare_rounds = [], []  # (answers, wall time, lot) of each measured burst
    try:
        server.wait_ready()
        for measured in (False, *[True] * CLAIM_ROUNDS):
            lot, bare_lot = _lot(actor), _lot(actor)
            answers, wall = _burst(claim_url, tokens, lot.pk)
            bare_answers, bare_wall = _burst(f"{bare_url}{bare_lot.pk}/claim/", tokens, bare_lot.pk)
            if measured:
                rounds.append((answers, wall, lot))
                bare_rounds.append((bare_answers, bare_wall, bare_lot))
        _lists(figures, server, tokens, shape)
        counts: dict[str, int] = {}
        created = live_claims = held = errors = mismatched = 0
        others = []
        for answers, _wall, lot in rounds:
            lot.refresh_from_db()
            live = Claim.objects.filter(lot=lot, status__in=LIVE_STATUSES)
            round_created = sum(1 for status, *_rest in answers if status == 201)
            round_held = live.aggregate(units=Sum("quantity"))["units"] or 0
            if not round_created == live.count() == round_held == lot.quantity_reserved:
                mismatched += 1  # a round whose allocation does not add up
            created += round_created
            live_claims += live.count()
            held += round_held
            for status, code, *_times in answers:
                key = f"{status} {code}".strip() if status != 201 else "201"
                counts[key] = counts.get(key, 0) + 1
            errors += sum(1 for status, *_rest in answers if status >= 500 or status == 0)
            others += [status for status, *_rest in answers if status != 201]
        bare_ok = True
        for _answers, _wall, bare_lot in bare_rounds:
            bare_lot.refresh_from_db()
            bare_created = sum(1 for status, *_rest in _answers if status == 201)
            bare_ok &= bare_created == bare_lot.quantity_reserved <= bare_lot.quantity
        say(f"Claims: answers {counts}; see {server.log.name} for the server's log.")
    finally:
        server.stop()
        _clean_up(actor.organisation_id)
    latencies = [
        (finished - started) * 1000
        for answers, _wall, _lot in rounds
        for _s, _c, started, finished in answers
    ]
    bare_latencies = [
        (end - start) * 1000
        for answers, _wall, _lot in bare_rounds
        for _s, _c, start, end in answers
    ]
    rates = [claimants / wall for _answers, wall, _lot in rounds]
    bare_rates = [claimants / wall for _answers, wall, _lot in bare_rounds]
    rate, bare_rate = statistics.median(rates), statistics.median(bare_rates)
    units = UNITS * len(rounds)
    answers_text = ", ".join(f"{key}: {count}" for key, count in sorted(counts.items()))
    figures += [
        Figure(
            f"{label}: allocation, {len(rounds)} bursts on a lot each",
            f"{created} answered 201; {live_claims} live claims holding {held} units; "
            f"quantity_reserved {sum(lot.quantity_reserved for *_r, lot in rounds)} of "
            f"{units}; {mismatched} bursts whose figures differ",
            "in each burst: 201s == claims == units held == quantity_reserved <= quantity",
            mismatched == 0 and created == live_claims == held <= units,
            reproduce("claims"),
        ),
        Figure(
            f"{label}: server errors",
            f"{errors} 5xx or unanswered ({answers_text})",
            "0",
            errors == 0,
            reproduce("claims"),
        ),
        Figure(
            f"{label}: the refused attempts",
            f"{sum(1 for s in others if s == 409)} of {len(others)} answered 409 ({answers_text})",
            "every attempt without 201 answers 409",
            all(status == 409 for status in others),
            reproduce("claims"),
        ),
        Figure(
            f"{label}: throughput against the bare claim (POST /bench/bare/lots/<id>/claim/: "
            "the same token authentication, one conditional UPDATE) on the same gunicorn, "
            f"{claimants} at once on a lot of {UNITS}; after one burst of each to warm the "
            f"workers, {len(rounds)} of each in turn, the medians compared",
            f"claims {rate:.0f} attempts/s (rounds: {', '.join(f'{r:.0f}' for r in rates)}; "
            f"from the release to the last answer; latency median "
            f"{statistics.median(latencies):.0f} ms, p95 {percentile(latencies, 0.95):.0f} ms); "
            f"bare {bare_rate:.0f} attempts/s (rounds: {', '.join(f'{r:.0f}' for r in bare_rates)}"
            f"; median {statistics.median(bare_latencies):.0f} ms; every bare lot holds its "
            f"201s: {'yes' if bare_ok else 'NO'}): ratio {rate / bare_rate:.2f}",
            f"ratio >= {TARGET_RATIO}",
            rate / bare_rate >= TARGET_RATIO and bare_ok,
            reproduce("claims"),
        ),
    ]
