"""The platform's URLs plus views that fail on purpose, for the error page tests."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import OperationalError
from django.urls import path

from exchange.urls import handler400, handler403, handler404, handler500  # noqa: F401
from exchange.urls import urlpatterns as platform_urlpatterns


def refuse(request):
    raise PermissionDenied


def garble(request):
    raise SuspiciousOperation("a request the page cannot read")


def crash(request):
    raise OperationalError("the database went away")


urlpatterns = [
    path("boom/403/", refuse),
    path("boom/400/", garble),
    path("boom/500/", crash),
    path("api/v1/boom/", crash),
    *platform_urlpatterns,
]
