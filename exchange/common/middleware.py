"""Headers every page and API answer carries, besides Django's and the CSP."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from exchange.common.errors import CommonError


class SecurityHeadersMiddleware:
    """Permissions-Policy on every answer, and no ``Server`` header naming software
    and version (gunicorn adds only its bare name after us)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        if "Server" in response.headers:
            del response.headers["Server"]
        return response


class RequestSizeLimitMiddleware:
    """Refuse a body announced larger than EXCHANGE_MAX_REQUEST_BYTES with 413 before
    anything reads it: in the API's JSON error shape under /api/, as text elsewhere."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.EXCHANGE_MAX_REQUEST_BYTES
        if length > limit:
            message = _("The request is larger than %(max)s MB.") % {"max": limit // (1024 * 1024)}
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"code": CommonError.REQUEST_TOO_LARGE, "detail": message, "errors": {}},
                    status=413,
                )
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
