from django.conf import settings
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from exchange.accounts.errors import AccountError
from exchange.accounts.second_factor import second_factor_missing


class UserLanguageMiddleware:
    """A signed-in person sees their own language unless they just picked another
    with the switcher (which sets the language cookie and saves it on them)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
            and user.language
        ):
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


# Pages a person who still has to set up a second factor may open: its setup, the
# sign-in and sign-out, e-mail and password pages, the language switcher, static files.
SECOND_FACTOR_SETUP_PATHS = (
    "/accounts/2fa/",
    "/accounts/login/",
    "/accounts/logout/",
    "/accounts/reauthenticate/",
    "/accounts/email/",
    "/accounts/confirm-email/",
    "/accounts/password/",
    "/accounts/language/",
    "/accounts/inactive/",
    "/static/",
    "/healthz",
    "/readyz",
)


class SecondFactorRequiredMiddleware:
    """Sends people who must use a second factor and have none to its setup; the API
    answers them 403 ``second_factor_required``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(SECOND_FACTOR_SETUP_PATHS) or not second_factor_missing(request):
            return self.get_response(request)
        message = _(
            "Your role needs two-factor authentication: set it up with an authenticator "
            "app to go on."
        )
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"code": AccountError.SECOND_FACTOR_REQUIRED, "detail": message, "errors": {}},
                status=403,
            )
        messages.warning(request, message)
        return redirect(reverse("mfa_activate_totp"))
