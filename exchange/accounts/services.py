import datetime
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.accounts.errors import AccountError
from exchange.accounts.models import ApiToken
from exchange.common.errors import ApplicationError, ErrorKind

User = get_user_model()


@transaction.atomic
def user_password_set(*, user: User, password: str) -> User:
    """Set a person's password (change or reset). Their other sessions end (Django
    checks each session against the password hash) and their API tokens are revoked."""
    user.set_password(password)
    user.save(update_fields=["password"])
    api_tokens_revoke_all(user=user)
    return user


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


# --- API tokens ----------------------------------------------------------------


def api_token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _api_token_expiry(*, created_at: datetime.datetime, now: datetime.datetime):
    """The expiry after a use at ``now``: ``EXCHANGE_API_TOKEN_DAYS`` later, never past
    ``EXCHANGE_API_TOKEN_MAX_DAYS`` after the token was made."""
    return min(
        now + datetime.timedelta(days=settings.EXCHANGE_API_TOKEN_DAYS),
        created_at + datetime.timedelta(days=settings.EXCHANGE_API_TOKEN_MAX_DAYS),
    )


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Make a named API token for ``user``; returns it and its key (shown once)."""
    name = " ".join((name or "").split())
    if not name or len(name) > 100:
        raise ApplicationError(
            code=AccountError.TOKEN_NAME_INVALID,
            field="name",
            message=_("Give the token a name of 1 to 100 characters (the device or script)."),
        )
    if ApiToken.objects.filter(user=user, name__iexact=name).exists():
        raise ApplicationError(
            code=AccountError.TOKEN_NAME_TAKEN,
            field="name",
            message=_("You already have a token named %(name)s.") % {"name": name},
        )
    key = secrets.token_hex(20)
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        key_digest=api_token_digest(key),
        prefix=key[:8],
        created_at=now,
        expires_at=_api_token_expiry(created_at=now, now=now),
    )
    return token, key


def api_token_authenticate(*, key: str) -> ApiToken | None:
    """The live token with this key (``api_token_live``), renewed by the use
    (``api_token_used``); None if unknown or expired."""
    if not key:
        return None
    now = timezone.now()
    digest, after = api_token_live(key=key, now=now)
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_digest=digest, expires_at__gt=after)
        .first()
    )
    return None if token is None else api_token_used(token=token, now=now)


def api_token_live(*, key: str, now: datetime.datetime) -> tuple[str, datetime.datetime]:
    """A token is live when its ``key_digest`` is this digest and its ``expires_at`` is
    later than this moment: (digest, moment)."""
    return api_token_digest(key), now


def api_token_used(*, token: ApiToken, now: datetime.datetime) -> ApiToken:
    """Record the use of a live token (last use, expiry pushed back), at most once every
    ``EXCHANGE_API_TOKEN_TOUCH_SECONDS``, so that a busy script does not write on every
    request."""
    touch_after = now - datetime.timedelta(seconds=settings.EXCHANGE_API_TOKEN_TOUCH_SECONDS)
    if token.last_used_at is None or token.last_used_at < touch_after:
        token.last_used_at = now
        token.expires_at = _api_token_expiry(created_at=token.created_at, now=now)
        ApiToken.objects.filter(pk=token.pk).update(
            last_used_at=token.last_used_at, expires_at=token.expires_at
        )
    return token


@transaction.atomic
def api_token_revoke(*, user: User, token_id: int) -> None:
    """Revoke one of the person's tokens (another person's answers 404)."""
    deleted, _rows = ApiToken.objects.filter(user=user, pk=token_id).delete()
    if not deleted:
        raise ApplicationError(
            code=AccountError.TOKEN_NOT_FOUND,
            kind=ErrorKind.NOT_FOUND,
            message=_("No such token."),
        )


def api_tokens_revoke_all(*, user: User) -> int:
    """Revoke every token of the person (password changed or reset)."""
    deleted, _rows = ApiToken.objects.filter(user=user).delete()
    return deleted
