"""Organisation scope in one place.

Every API view takes its queryset from a selector through ``ScopedViewMixin``: it
declares ``scoped_queryset()`` and may not override ``get_queryset``. The acting
membership comes from the ``X-Organisation`` header (it must be one of the user's
organisations: 403 otherwise), else from the user's current organisation.
"""

from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from exchange.common.errors import ApplicationError, CommonError, ErrorKind
from exchange.organisations.models import Membership
from exchange.organisations.selectors import membership_for_user

ORGANISATION_HEADER = "HTTP_X_ORGANISATION"


class ScopedViewMixin:
    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__:
            raise TypeError(
                f"{cls.__name__} overrides get_queryset: declare scoped_queryset() instead, "
                "built on a selector."
            )

    def scoped_queryset(self):
        raise NotImplementedError

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset_for_schema
        return self.scoped_queryset()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.user.is_authenticated:
            _ = self.actor  # a bad X-Organisation header fails every request at once

    @cached_property
    def actor(self) -> Membership | None:
        user = self.request.user
        if not user.is_authenticated:
            return None
        return membership_for_user(
            user=user, organisation_id=self.request.META.get(ORGANISATION_HEADER)
        )

    def require_actor(self) -> Membership:
        if self.actor is None:
            raise ApplicationError(
                code=CommonError.NO_ORGANISATION,
                kind=ErrorKind.FORBIDDEN,
                message=_("You act for no organisation yet: register one or ask to be added."),
            )
        return self.actor
