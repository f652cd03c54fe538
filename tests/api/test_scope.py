"""Organisation scope in one place: every API view reads through the scoping mixin, or
answers anyone and reads nothing an organisation owns."""

import pytest
from django.urls import URLResolver, get_resolver
from rest_framework.generics import GenericAPIView
from rest_framework.views import APIView

from api.mixins import AnonymousViewMixin, ScopedViewMixin


def _view_classes(patterns, prefix=""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _view_classes(pattern.url_patterns, route)
        else:
            yield route, getattr(pattern.callback, "cls", None)


def test_every_api_view_is_scoped_or_anonymous():
    views = list(_view_classes(get_resolver("api.urls").url_patterns))
    assert len(views) > 20
    loose = [
        route
        for route, cls in views
        if cls is None or not issubclass(cls, (ScopedViewMixin, AnonymousViewMixin))
    ]
    assert loose == []
    anonymous = {cls.__name__ for _route, cls in views if issubclass(cls, AnonymousViewMixin)}
    assert anonymous == {"TokenView", "OpenDataView", "ApiRootView"}


@pytest.mark.parametrize("method", ["get_queryset", "get_object"])
def test_a_scoped_view_cannot_fetch_its_objects_its_own_way(method):
    with pytest.raises(TypeError, match=method):
        type("Sneaky", (ScopedViewMixin, GenericAPIView), {method: lambda self: None})


def test_a_scoped_view_looks_its_objects_up_through_the_mixin():
    with pytest.raises(TypeError, match="GenericAPIView"):
        type("Plain", (ScopedViewMixin, APIView), {})
