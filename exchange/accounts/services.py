from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from exchange.accounts.errors import AccountError
from exchange.common.errors import ApplicationError

User = get_user_model()


@transaction.atomic
def user_sign_up(
    *, email: str, password: str, first_name: str = "", last_name: str = "", language: str = "en"
) -> User:
    """Create a person's account; the e-mail address is the username."""
    email = User.objects.normalize_email(email.strip()).lower()
    if (
        User.objects.filter(email__iexact=email).exists()
        or User.objects.filter(username=email).exists()
    ):
        raise ApplicationError(
            code=AccountError.EMAIL_TAKEN,
            field="email",
            message=_("An account with this e-mail address already exists."),
        )
    candidate = User(username=email, email=email, first_name=first_name, last_name=last_name)
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise ApplicationError(
            code=AccountError.PASSWORD_INVALID, field="password", message=" ".join(exc.messages)
        ) from exc
    user_set_language_check(language)
    candidate.language = language
    candidate.set_password(password)
    candidate.save()
    return candidate


def user_set_language_check(language: str) -> None:
    if language not in dict(settings.LANGUAGES):
        raise ApplicationError(
            code=AccountError.UNKNOWN_LANGUAGE,
            field="language",
            message=_("Choose one of: %(codes)s.")
            % {"codes": ", ".join(code for code, _name in settings.LANGUAGES)},
        )


def user_profile_update(*, user: User, **fields) -> User:
    """Change a person's names and language."""
    allowed = {"first_name", "last_name", "language"}
    if set(fields) - allowed:
        raise ValueError(f"unknown profile fields: {sorted(set(fields) - allowed)}")
    if "language" in fields:
        user_set_language_check(fields["language"])
    changed = [name for name, value in fields.items() if getattr(user, name) != value]
    for name in changed:
        setattr(user, name, fields[name])
    if changed:
        user.save(update_fields=changed)
    return user


MATCH_NOTIFICATION_VALUES = ("daily", "immediate")


def user_match_notifications_set(*, user: User, value: str) -> User:
    """How a person hears of new matches by e-mail: ``daily`` (in the digest) or
    ``immediate`` (one e-mail per match); the in-app notice comes either way."""
    if value not in MATCH_NOTIFICATION_VALUES:
        raise ApplicationError(
            code=AccountError.UNKNOWN_MATCH_NOTIFICATIONS,
            field="match_notifications",
            message=_("Choose one of: %(values)s.")
            % {"values": ", ".join(MATCH_NOTIFICATION_VALUES)},
        )
    if user.match_notifications != value:
        user.match_notifications = value
        user.save(update_fields=["match_notifications"])
    return user
