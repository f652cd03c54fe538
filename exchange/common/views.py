import datetime
import logging

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from exchange.common.health import check_broker, check_database

logger = logging.getLogger(__name__)


@never_cache
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    """``ok`` (200) or ``unavailable`` (503). What fails, and why, goes to the log and to
    staff only: an anonymous caller learns nothing about the database or the broker."""
    checks = {"database": check_database(), "broker": check_broker()}
    failing = {name: reason for name, reason in checks.items() if reason}
    for name, reason in failing.items():
        logger.warning("readyz: %s is unavailable: %s", name, reason)
    body = {"status": "unavailable" if failing else "ok"}
    if request.user.is_authenticated and request.user.is_staff:
        body["checks"] = {
            name: ("ok" if reason is None else "failing") for name, reason in checks.items()
        }
        if failing:
            body["failing"] = failing
    return JsonResponse(body, status=503 if failing else 200)


def security_txt(request):
    """Where to report a vulnerability (RFC 9116), from EXCHANGE_SECURITY_CONTACT."""
    expires = timezone.now().replace(microsecond=0) + datetime.timedelta(days=365)
    lines = [
        f"Contact: mailto:{settings.EXCHANGE_SECURITY_CONTACT}",
        f"Expires: {expires.astimezone(datetime.UTC).isoformat().replace('+00:00', 'Z')}",
        "Preferred-Languages: nl, fr, de, en",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
