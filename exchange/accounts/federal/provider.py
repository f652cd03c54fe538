import secrets

from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from django.http import HttpRequest

from exchange.accounts.federal.views import FederalAdapter

PROVIDER_ID = "fas"


class FederalProvider(OpenIDConnectProvider):
    oauth2_adapter_class = FederalAdapter
    pkce_enabled_default = True

    def redirect(self, request: HttpRequest, process, next_url=None, data=None, **kwargs):
        """Send the person to the provider with a fresh nonce, kept in the state that
        only this browser's session holds."""
        nonce = secrets.token_urlsafe(32)
        auth_params = kwargs.pop("auth_params", None)
        if auth_params is None:
            auth_params = self.get_auth_params()
        auth_params = {**auth_params, "nonce": nonce}
        return super().redirect(
            request, process, next_url, data, auth_params=auth_params, nonce=nonce, **kwargs
        )

    def extract_common_fields(self, data):
        fields = super().extract_common_fields(data)
        claims = data.get("userinfo") or data.get("id_token") or data
        fields["language"] = (claims.get("locale") or "")[:2].lower()
        return fields


provider_classes = [FederalProvider]
