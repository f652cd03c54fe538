"""``Authorization: Token <key>``: the person's named, expiring API tokens."""

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from exchange.organisations.selectors import api_token_with_membership

# The organisation a request acts for (``X-Organisation: <id>``), as Django names it.
ORGANISATION_HEADER = "HTTP_X_ORGANISATION"


class ApiTokenAuthentication(TokenAuthentication):
    """The token, its user and the membership they act through for the organisation the
    request names (or for none), read together (``api_token_with_membership``): the
    token is ``request.auth``, the membership its ``acting_membership``, which
    api/mixins.py checks against the organisation named."""

    keyword = "Token"
    organisation_named = None  # the request's X-Organisation, read by ``authenticate``

    def authenticate(self, request):
        self.organisation_named = request.META.get(ORGANISATION_HEADER)
        return super().authenticate(request)

    def authenticate_credentials(self, key):
        found = api_token_with_membership(key=key, organisation_id=self.organisation_named)
        if found is None:
            raise exceptions.AuthenticationFailed(_("Unknown, revoked or expired token."))
        token, token.acting_membership = found
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("This account is disabled."))
        return (token.user, token)
