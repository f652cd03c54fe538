"""Notices to an organisation: each of its active members hears of it, through the
notifications infrastructure (which knows people, not organisations)."""

from exchange.notifications.models import Notification
from exchange.notifications.services import notify_users
from exchange.organisations.models import Organisation


def organisation_people(*, organisation: Organisation) -> list:
    """The people who hear of what concerns an organisation: its active members."""
    return [
        membership.user
        for membership in organisation.memberships.select_related("user").filter(
            user__is_active=True
        )
    ]


def notify_organisation(*, organisation: Organisation, **kwargs) -> list[Notification]:
    """Notify every active member of an organisation (``notify_users`` arguments)."""
    return notify_users(users=organisation_people(organisation=organisation), **kwargs)
