"""The answers to 400, 403, 404 and 500 outside the API's own views, and to a refused
form (CSRF): the site's page in the reader's language with a way back (the page they
came from when it is on this site, else the home page); under ``/api/`` the API's JSON
error shape instead (``{"code", "detail", "errors"}``).

The 500 page is rendered without the request's context: no context processor runs, so
it makes no database query (the database may be what failed)."""

import logging
from urllib.parse import urlsplit

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.template import loader
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from rest_framework import exceptions as api_exceptions

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"


def back_link(request: HttpRequest) -> tuple[str, bool]:
    """Where the way back leads: ``(url, True)`` for the page the person came from
    (the Referer, when it is on this site and is not this page), else the home page."""
    home = reverse("home")
    referer = request.META.get("HTTP_REFERER", "")
    if not referer:
        return home, False
    try:
        host = request.get_host()
    except DisallowedHost:
        return home, False
    if not url_has_allowed_host_and_scheme(
        referer, allowed_hosts={host}, require_https=request.is_secure()
    ):
        return home, False
    parts = urlsplit(referer)
    came_from = parts.path + (f"?{parts.query}" if parts.query else "")
    if not parts.path or came_from == request.get_full_path():
        return home, False
    return referer, True


def _api_error(exception_class: type[api_exceptions.APIException], status: int) -> JsonResponse:
    return JsonResponse(
        {
            "code": exception_class.default_code,
            "detail": str(exception_class.default_detail),
            "errors": {},
        },
        status=status,
    )


def _page(request: HttpRequest, template: str, status: int, **context) -> HttpResponse:
    back_url, back_is_previous = back_link(request)
    body = loader.render_to_string(
        template,
        {"back_url": back_url, "back_is_previous": back_is_previous, **context},
        request=request,
    )
    return HttpResponse(body, status=status)


def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return _api_error(api_exceptions.ParseError, 400)
    return _page(request, "400.html", 400)


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return _api_error(api_exceptions.PermissionDenied, 403)
    return _page(request, "403.html", 403)


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return _api_error(api_exceptions.NotFound, 404)
    return _page(request, "404.html", 404)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent without its valid token (expired page, cookies off, another site)."""
    return _page(request, "403_csrf.html", 403)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return _api_error(api_exceptions.APIException, 500)
    try:
        back_url, back_is_previous = back_link(request)
        body = loader.get_template("500.html").render(
            {"back_url": back_url, "back_is_previous": back_is_previous}
        )
    except Exception:  # the page itself must never fail: fall back to plain text
        logger.exception("the 500 page could not be rendered")
        return HttpResponseServerError("Server Error (500)", content_type="text/plain")
    return HttpResponseServerError(body)
