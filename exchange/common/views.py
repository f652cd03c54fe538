from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from exchange.common.health import check_broker, check_database


@never_cache
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    checks = {"database": check_database(), "broker": check_broker()}
    failing = {name: reason for name, reason in checks.items() if reason}
    body = {
        "status": "unavailable" if failing else "ok",
        "checks": {
            name: ("ok" if reason is None else "failing") for name, reason in checks.items()
        },
    }
    if failing:
        body["failing"] = failing
    return JsonResponse(body, status=503 if failing else 200)
