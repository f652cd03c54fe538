"""Headers every page and API answer carries, besides Django's and the CSP."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


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
