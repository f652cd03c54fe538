"""Organisation scope in one place.

Every API view is one of two kinds (a test walks the URLs to hold it):

- ``ScopedViewMixin`` on a ``GenericAPIView``: it declares ``scoped_queryset()``, built
  on a selector, and may override neither ``get_queryset`` nor ``get_object``; lists
  read that queryset and every object the URL names is looked up in it, so another
  organisation's answers 404 like a missing one.
- ``AnonymousViewMixin``: answers anyone, without authentication, and reads nothing
  that belongs to an organisation (the token exchange, the open data, the API root).

The acting membership comes from the ``X-Organisation`` header (it must be one of the
user's organisations: 403 otherwise), else from the user's current organisation.
"""

import weakref

from django.db import DEFAULT_DB_ALIAS, connections
from django.http import Http404
from django.utils.functional import cached_property
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny

from api.authentication import ORGANISATION_HEADER
from exchange.common.compiled import CompiledQuery, NotCompilable
from exchange.common.errors import ApplicationError, CommonError, ErrorKind
from exchange.common.limits import ID_MAX
from exchange.organisations.models import Membership
from exchange.organisations.selectors import membership_for_user, membership_named

# Numbers no row has, in place of the acting organisation's id and the object's while the
# object's query is compiled (``ScopedViewMixin.object_query_compiled_once``).
ORGANISATION_STAND_IN = ID_MAX - 1
OBJECT_STAND_IN = ID_MAX - 2

# Per database connection (each thread has its own): (view, action, language) -> the
# object's query compiled, or None where it cannot be (the ORM builds it per request).
_object_queries: "weakref.WeakKeyDictionary[object, dict]" = weakref.WeakKeyDictionary()


class _ActorStandIn:
    """The acting membership while an object's query is compiled: only its organisation's
    id may be read. A selector that reads anything else of it (a role, a kind) depends on
    more than the id, and its view's objects are looked up by the ORM per request."""

    organisation_id = ORGANISATION_STAND_IN

    def __getattr__(self, name):
        raise NotCompilable(f"the query reads the acting membership's {name}")


def _no_queries(execute, sql, params, many, context):
    raise NotCompilable("building the query read the database")


class ScopedViewMixin:
    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in ("get_queryset", "get_object"):
            if name in cls.__dict__:
                raise TypeError(
                    f"{cls.__name__} overrides {name}: declare scoped_queryset() instead, "
                    "built on a selector; get_object() looks up in it."
                )
        if not issubclass(cls, GenericAPIView):
            raise TypeError(
                f"{cls.__name__} must be a GenericAPIView: its objects come from get_object()."
            )

    # True on a view whose objects' query (``scoped_queryset()`` and ``filter_queryset()``
    # of a request without a query string) depends on nothing but its action and the
    # acting organisation's id: the object a URL names is then read with that query
    # compiled once per connection (exchange/common/compiled.py), the same statement the
    # ORM would make, instead of building and compiling it on each request. What it
    # reads besides is refused when the query is made (see ``_ActorStandIn``).
    object_query_compiled_once = False

    def scoped_queryset(self):
        raise NotImplementedError

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset_for_schema
        return self.scoped_queryset()

    def get_object(self):
        """The object the URL names, looked up in the scoped queryset only (DRF's
        lookup, filters and object permissions): another organisation's is 404."""
        compiled, pk = self._compiled_object_query()
        if compiled is None:
            return super().get_object()
        found = compiled.get({"organisation": self.actor.organisation_id, "object": pk})
        if not found:
            raise Http404(f"No {compiled.model._meta.object_name} matches the given query.")
        if len(found) > 1:  # what QuerySet.get() says
            raise compiled.model.MultipleObjectsReturned(
                f"get() returned more than one {compiled.model._meta.object_name} "
                f"-- it returned {len(found)}!"
            )
        self.check_object_permissions(self.request, found[0])
        return found[0]

    def _compiled_object_query(self) -> tuple[CompiledQuery | None, int | None]:
        """The compiled query of this view's objects and the id the URL names, or None
        where the ORM builds the query (a query string, no acting membership, an id
        that is not a plain number a row can have: the ORM says 404 or 400 as before)."""
        if not self.object_query_compiled_once or self.request.query_params:
            return None, None
        value = self.kwargs.get(self.lookup_url_kwarg or self.lookup_field)
        if not (isinstance(value, str) and value.isascii() and value.isdigit()):
            return None, None
        pk = int(value)
        if pk >= OBJECT_STAND_IN or self.actor is None:
            return None, None
        connection = connections[DEFAULT_DB_ALIAS]
        queries = _object_queries.setdefault(connection, {})
        key = (type(self), self.action, get_language())
        if key not in queries:
            queries[key] = self._object_query_compiled(connection)
        return queries[key], pk

    def _object_query_compiled(self, connection) -> CompiledQuery | None:
        actor = self.actor
        self.__dict__["actor"] = _ActorStandIn()
        try:
            with connection.execute_wrapper(_no_queries):
                queryset = self.filter_queryset(self.get_queryset()).filter(
                    **{self.lookup_field: OBJECT_STAND_IN}
                )
                compiled = CompiledQuery(
                    queryset, {"organisation": ORGANISATION_STAND_IN, "object": OBJECT_STAND_IN}
                )
        except Exception:  # noqa: BLE001 - whatever it is, the ORM's way says it again
            return None
        finally:
            self.__dict__["actor"] = actor
        if compiled.alias != DEFAULT_DB_ALIAS or not any(
            name == "object" for name, _constant in compiled.slots
        ):
            return None
        return compiled

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.user.is_authenticated:
            _ = self.actor  # a bad X-Organisation header fails every request at once

    @cached_property
    def actor(self) -> Membership | None:
        user = self.request.user
        if not user.is_authenticated:
            return None
        named = self.request.META.get(ORGANISATION_HEADER)
        if hasattr(self.request.auth, "acting_membership"):  # read with the API token
            return membership_named(
                organisation_id=named, membership=self.request.auth.acting_membership
            )
        return membership_for_user(user=user, organisation_id=named)

    def require_actor(self) -> Membership:
        if self.actor is None:
            raise ApplicationError(
                code=CommonError.NO_ORGANISATION,
                kind=ErrorKind.FORBIDDEN,
                message=_("You act for no organisation yet: register one or ask to be added."),
            )
        return self.actor


class AnonymousViewMixin:
    """A view that answers anyone and reads nothing an organisation owns."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
