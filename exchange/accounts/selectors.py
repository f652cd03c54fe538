"""Reads on people."""

from django.contrib.auth import get_user_model

User = get_user_model()


def user_email_is_verified(*, user: User) -> bool:
    """Whether the person's (primary) e-mail address is verified."""
    from allauth.account.models import EmailAddress

    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()


def user_has_verified_email(*, user: User, email: str) -> bool:
    """Whether ``email`` is one of the person's addresses, and verified."""
    from allauth.account.models import EmailAddress

    return EmailAddress.objects.filter(
        user=user, email__iexact=(email or "").strip(), verified=True
    ).exists()


def user_verified_emails(*, user: User) -> list[str]:
    """The person's verified addresses."""
    from allauth.account.models import EmailAddress

    return list(
        EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
    )


def api_token_list(*, user: User):
    """The person's API tokens, newest first (expired ones too, until revoked)."""
    from exchange.accounts.models import ApiToken

    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")
