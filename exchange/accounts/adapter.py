"""How django-allauth treats Reuse Exchange's people: sign-in throttling shared by
the web, the admin and the API, and one place where a password is set (which ends
the person's other sessions and revokes their API tokens)."""

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from allauth.core import context
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django import forms
from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import render
from django.utils.translation import gettext as _

from exchange.accounts.throttle import LoginThrottled, login_account_key, login_retry_after


class AccountAdapter(DefaultAccountAdapter):
    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        # Failures count per account (username and e-mail address are one account) and,
        # through allauth's per-IP rate, per address.
        login = credentials.get("email") or credentials.get("username") or ""
        return login_account_key(login)

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        try:
            super().pre_authenticate(request, **credentials)
        except forms.ValidationError as exc:
            key = self._get_login_attempts_cache_key(request, **credentials)
            raise LoginThrottled(request, login_retry_after(request, key=key)) from exc

    def set_password(self, user, password: str) -> None:
        """Password change and reset: Django ends every other session of the person
        (their session hash changes); their API tokens are revoked here."""
        from exchange.accounts.services import user_password_set

        user_password_set(user=user, password=password)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Federal sign-in: a new person is made only from a verified e-mail address, and an
    existing account is joined only when both sides verified the address."""

    def is_auto_signup_allowed(self, request: HttpRequest, sociallogin) -> bool:
        return True

    def pre_social_login(self, request: HttpRequest, sociallogin) -> None:
        if sociallogin.is_existing:
            return
        if not any(address.verified for address in sociallogin.email_addresses):
            raise ImmediateHttpResponse(
                _refused(
                    request,
                    _(
                        "The federal authentication service did not confirm your e-mail "
                        "address, so no account can be made with it. Confirm it there, or "
                        "sign up with a password."
                    ),
                )
            )

    def authenticate_by_email(self, sociallogin):
        found = super().authenticate_by_email(sociallogin)
        if found is None:
            return None
        user, email = found
        if not EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists():
            raise ImmediateHttpResponse(
                _refused(
                    context.request,
                    _(
                        "An account uses this e-mail address but has not verified it yet. "
                        "Sign in with its password and verify the address first; then the "
                        "federal sign-in joins it."
                    ),
                )
            )
        return found

    def populate_user(self, request: HttpRequest, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        if data.get("language") in dict(settings.LANGUAGES):
            user.language = data["language"]
        return user


def _refused(request: HttpRequest, message: str):
    return render(request, "accounts/federal_refused.html", {"message": message}, status=403)
