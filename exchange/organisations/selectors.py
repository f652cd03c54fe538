from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from exchange.common.errors import ApplicationError, CommonError, ErrorKind
from exchange.organisations.models import Membership, Organisation, Site


def membership_for_user(*, user, organisation_id=None) -> Membership | None:
    """The membership a user acts through.

    ``organisation_id`` (the API's ``X-Organisation`` header, or a form field) must name
    one of the user's organisations (403 otherwise); without it, the user's current
    organisation, else their first one; None when they belong to none.
    """
    memberships = Membership.objects.select_related("organisation", "user").filter(user=user)
    if organisation_id not in (None, ""):
        try:
            wanted = int(organisation_id)
        except (TypeError, ValueError):
            wanted = None
        membership = memberships.filter(organisation_id=wanted).first() if wanted else None
        if membership is None:
            raise ApplicationError(
                code=CommonError.NOT_A_MEMBER,
                kind=ErrorKind.FORBIDDEN,
                field="X-Organisation",
                message=_("You are not a member of organisation %(id)s.") % {"id": organisation_id},
            )
        return membership
    if user.current_organisation_id:
        membership = memberships.filter(organisation_id=user.current_organisation_id).first()
        if membership:
            return membership
    return memberships.order_by("created_at", "id").first()


def organisation_list(*, user) -> QuerySet[Organisation]:
    """Verified organisations form the public directory; people also see their own,
    and moderators see every organisation."""
    queryset = Organisation.objects.select_related("verified_by")
    if getattr(user, "is_moderator", False):
        return queryset
    return queryset.filter(Q(verified_at__isnull=False) | Q(memberships__user=user)).distinct()


def organisation_verified_count() -> int:
    return Organisation.objects.filter(verified_at__isnull=False).count()


def organisation_verification_queue() -> QuerySet[Organisation]:
    return Organisation.objects.filter(verified_at__isnull=True).order_by("created_at", "id")


def organisation_rename_queue() -> QuerySet[Organisation]:
    """Verified organisations whose new name waits for a moderator."""
    return Organisation.objects.filter(verified_at__isnull=False).exclude(requested_name="")


def organisation_members(*, organisation: Organisation) -> QuerySet[Membership]:
    return Membership.objects.select_related("user").filter(organisation=organisation)


def organisation_visible_members(*, user, organisation: Organisation) -> QuerySet[Membership]:
    """Members are shown to the organisation's own people and to moderators only."""
    if getattr(user, "is_moderator", False) or organisation.memberships.filter(user=user).exists():
        return organisation_members(organisation=organisation)
    return Membership.objects.none()


def site_list(*, actor: Membership) -> QuerySet[Site]:
    return Site.objects.filter(organisation_id=actor.organisation_id).select_related("organisation")


def user_memberships(*, user) -> QuerySet[Membership]:
    return Membership.objects.select_related("organisation").filter(user=user)


def organisation_waiting_count() -> int:
    """Organisations a moderator still has to look at: to verify, or a new name."""
    return Organisation.objects.filter(
        Q(verified_at__isnull=True) | (Q(verified_at__isnull=False) & ~Q(requested_name=""))
    ).count()


def organisation_setup(*, organisation: Organisation) -> dict[str, bool]:
    """What an organisation has done of what it needs before taking part (one query):
    verified by a moderator, a site to hand over from, a contact e-mail address."""
    return {
        "verified": organisation.is_verified,
        "has_site": organisation.sites.exists(),
        "has_email": bool(organisation.email),
    }
