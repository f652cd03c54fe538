from allauth.account.internal.decorators import login_not_required
from allauth.socialaccount.helpers import render_authentication_error
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.conf import settings
from django.http import Http404, HttpRequest
from requests import RequestException


class FederalAdapter(OpenIDConnectOAuth2Adapter):
    expected_nonce: str | None = None

    @property
    def openid_config(self):
        config = super().openid_config
        if config.get("issuer", "").rstrip("/") != settings.OIDC_ISSUER:
            raise OAuth2Error("the provider's discovery document names another issuer")
        return config

    def complete_login(self, request: HttpRequest, app, token, **kwargs):
        id_token = kwargs["response"].get("id_token")
        if not id_token:
            raise OAuth2Error("no ID token")
        claims = jwtkit.verify_and_decode(
            credential=id_token,
            keys_url=self.openid_config["jwks_uri"],
            issuer=self.openid_config["issuer"],
            audience=app.client_id,
            lookup_kid=jwtkit.lookup_kid_jwk,
            verify_signature=True,
        )
        if not self.expected_nonce or claims.get("nonce") != self.expected_nonce:
            raise OAuth2Error("the ID token's nonce is not the one this sign-in sent")
        data = {"id_token": claims}
        if self.openid_config.get("userinfo_endpoint"):
            userinfo = self._fetch_user_info(token.token)
            if userinfo.get("sub") != claims.get("sub"):
                raise OAuth2Error("userinfo is about another person than the ID token")
            # The signed ID token's claims win over userinfo's.
            data["userinfo"] = {**userinfo, **claims}
        return self.get_provider().sociallogin_from_response(request, data)


class FederalCallbackView(OAuth2CallbackView):
    def _get_state(self, request: HttpRequest, provider):
        state, response = super()._get_state(request, provider)
        self.adapter.expected_nonce = (state or {}).get("nonce")
        return state, response


@login_not_required
def login(request: HttpRequest, provider_id):
    adapter = FederalAdapter(request, provider_id)
    try:
        return OAuth2LoginView.adapter_view(adapter)(request)
    except SocialApp.DoesNotExist as exc:
        raise Http404 from exc
    except (OAuth2Error, RequestException) as exc:
        # The provider is unreachable or its discovery document is not to be trusted.
        return render_authentication_error(request, adapter.get_provider(), exception=exc)


@login_not_required
def callback(request: HttpRequest, provider_id):
    try:
        return FederalCallbackView.adapter_view(FederalAdapter(request, provider_id))(request)
    except SocialApp.DoesNotExist as exc:
        raise Http404 from exc
