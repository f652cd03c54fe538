"""Two-factor authentication (django-allauth's TOTP and recovery codes): offered to
everyone, required of the people who hold power over others' data.

Required (when ``EXCHANGE_SECOND_FACTOR_REQUIRED``, the default outside the demo) for
staff of the admin site, platform moderators and analysts, and administrators of an
organisation. Until they have set it up, every page sends them to its setup and the
API refuses them; they cannot remove it. People who signed in through the federal
authentication service (eID, itsme: two factors already) are not asked for another.
"""

from allauth.account.authentication import get_authentication_records
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _

from exchange.accounts.errors import AccountError
from exchange.common.errors import ApplicationError, ErrorKind

# The organisation role whose holders need a second factor (MembershipRole.ADMIN of the
# organisations app, which sits above this one).
ORGANISATION_ADMIN_ROLE = "admin"


def second_factor_required(user) -> bool:
    """Whether this person must use a second factor."""
    if not settings.EXCHANGE_SECOND_FACTOR_REQUIRED or not user.is_authenticated:
        return False
    return bool(
        user.is_staff
        or user.is_superuser
        or user.is_moderator
        or user.is_analyst
        or user.memberships.filter(role=ORGANISATION_ADMIN_ROLE).exists()
    )


def second_factor_active(user) -> bool:
    return Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists()


def signed_in_through_federal_service(request: HttpRequest) -> bool:
    return any(
        record.get("method") == "socialaccount" for record in get_authentication_records(request)
    )


def second_factor_missing(request: HttpRequest) -> bool:
    """Whether the signed-in person must set up a second factor before going on."""
    user = request.user
    if not user.is_authenticated or not second_factor_required(user):
        return False
    return not second_factor_active(user) and not signed_in_through_federal_service(request)


class MFAAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        return not second_factor_required(authenticator.user)

    def get_totp_issuer(self) -> str:
        return "Reuse Exchange"


def second_factor_check(*, user, code: str | None) -> None:
    """For sign-ins outside the web pages (the API token endpoint): a person with a
    second factor gives a current code (or an unused recovery code); a person who must
    have one and has none is refused until they set it up on the web."""
    from allauth.mfa.base.forms import BaseAuthenticateForm

    if second_factor_active(user):
        if not code:
            raise ApplicationError(
                code=AccountError.SECOND_FACTOR_CODE_REQUIRED,
                field="code",
                message=_("Give the code of your authenticator app (or a recovery code)."),
            )
        form = BaseAuthenticateForm(user=user, data={"code": code})
        if not form.is_valid():
            raise ApplicationError(
                code=AccountError.SECOND_FACTOR_CODE_INVALID,
                field="code",
                message=_("This code is wrong or was used already."),
            )
    elif second_factor_required(user):
        raise ApplicationError(
            code=AccountError.SECOND_FACTOR_SETUP_REQUIRED,
            kind=ErrorKind.FORBIDDEN,
            message=_(
                "Your role needs two-factor authentication: set it up on the web "
                "(My account › Two-factor authentication) before asking for a token."
            ),
        )
