"""Who may act: the role checks every service calls before its first write."""

from django.utils.translation import gettext as _

from exchange.common.errors import ApplicationError, CommonError, ErrorKind
from exchange.organisations.models import Membership, MembershipRole


def require_role(actor: Membership, *roles: MembershipRole) -> None:
    if actor.role not in roles:
        raise ApplicationError(
            code=CommonError.ROLE_REQUIRED,
            kind=ErrorKind.FORBIDDEN,
            message=_("Your role in %(organisation)s does not allow this (needed: %(roles)s).")
            % {
                "organisation": actor.organisation.name,
                "roles": ", ".join(str(MembershipRole(role).label) for role in roles),
            },
        )


def require_writer(actor: Membership) -> None:
    require_role(actor, MembershipRole.ADMIN, MembershipRole.MEMBER)


def require_verified(actor: Membership) -> None:
    """Unverified organisations can neither post nor claim nor grow."""
    if not actor.organisation.is_verified:
        raise ApplicationError(
            code=CommonError.NOT_VERIFIED,
            kind=ErrorKind.FORBIDDEN,
            message=_(
                "%(organisation)s is not verified yet: a moderator checks its enterprise "
                "number before it can take part."
            )
            % {"organisation": actor.organisation.name},
        )


def require_moderator(user) -> None:
    if not getattr(user, "is_moderator", False):
        raise ApplicationError(
            code=CommonError.PLATFORM_ROLE_REQUIRED,
            kind=ErrorKind.FORBIDDEN,
            message=_("Only platform moderators may do this."),
        )
