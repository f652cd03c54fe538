"""``Authorization: Token <key>``: the person's named, expiring API tokens."""

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from exchange.organisations.selectors import api_token_with_membership


class ApiTokenAuthentication(TokenAuthentication):
    """The token, its user and the membership they act through when the request names
    no organisation, read together (``api_token_with_membership``): the token is
    ``request.auth``, the membership its ``acting_membership`` (api/mixins.py)."""

    keyword = "Token"

    def authenticate_credentials(self, key):
        found = api_token_with_membership(key=key)
        if found is None:
            raise exceptions.AuthenticationFailed(_("Unknown, revoked or expired token."))
        token, token.acting_membership = found
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("This account is disabled."))
        return (token.user, token)
