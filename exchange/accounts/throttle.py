"""Failed sign-ins, counted per address (IP) and per account.

django-allauth's rate limits count them (action ``login_failed``, configured by
``ACCOUNT_RATE_LIMITS``); this module names the account a login belongs to, so that
"alex" and "alex@example.org" count as one, and says how long a refused caller waits.
The web login, the admin (which signs in through the same page) and the API token
endpoint all go through ``AccountAdapter.authenticate`` and so share the counters.
"""

import math
import time

from allauth.core.exceptions import ImmediateHttpResponse
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

ACTION = "login_failed"


def throttled_response(request: HttpRequest, retry_after: int | None = None) -> HttpResponse:
    """The page that refuses a throttled request: 429, with Retry-After when known."""
    minutes = math.ceil(retry_after / 60) if retry_after else None
    response = render(request, "429.html", {"minutes": minutes}, status=429)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


class LoginThrottled(ImmediateHttpResponse):
    """Too many failed sign-ins from this address or for this account. Web pages answer
    with the 429 page (allauth's middleware returns ``response``); the API turns it into
    its own 429."""

    def __init__(self, request: HttpRequest, retry_after: int) -> None:
        super().__init__(throttled_response(request, retry_after))
        self.retry_after = retry_after


def login_account_key(login: str) -> str:
    """The key failures are counted under: the account's id when the login (username or
    e-mail address) names one, else the login itself, lower-cased."""
    login = (login or "").strip().lower()
    user_model = get_user_model()
    user_id = (
        user_model._default_manager.filter(Q(username__iexact=login) | Q(email__iexact=login))
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    return f"account:{user_id}" if user_id is not None else f"login:{login}"


def login_retry_after(request: HttpRequest, *, key: str) -> int:
    """Seconds until a refused sign-in may be tried again (at least 1)."""
    from allauth.core.internal.ratelimit import get_cache_key, get_rates

    now = time.time()
    wait = 0.0
    for rate in get_rates(app="allauth.account", action=ACTION):
        cache_key = get_cache_key(request, app="allauth.account", action=ACTION, rate=rate, key=key)
        recent = [t for t in cache.get(cache_key, []) if t > now - rate.duration]
        if len(recent) >= rate.amount:
            # Newest first: once the amount-th newest ages out, one more try is allowed.
            wait = max(wait, recent[rate.amount - 1] + rate.duration - now)
    return max(1, math.ceil(wait))
