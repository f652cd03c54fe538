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

from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny

from api.authentication import ORGANISATION_HEADER
from exchange.common.errors import ApplicationError, CommonError, ErrorKind
from exchange.organisations.models import Membership
from exchange.organisations.selectors import membership_for_user, membership_named


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

    def scoped_queryset(self):
        raise NotImplementedError

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset_for_schema
        return self.scoped_queryset()

    def get_object(self):
        """The object the URL names, looked up in the scoped queryset only (DRF's
        lookup, filters and object permissions): another organisation's is 404."""
        return super().get_object()

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
