"""Notices to an organisation: each of its active members hears of it, through the
notifications infrastructure (which knows people, not organisations)."""

import functools

from django.contrib.auth import get_user_model
from django.db import connection

from exchange.common.prepared import prepared_cursor
from exchange.common.rows import ModelColumns
from exchange.notifications.models import Notification
from exchange.notifications.services import notify_users
from exchange.organisations.models import Membership, Organisation


def organisation_people(*, organisation: Organisation) -> list:
    """The people who hear of what concerns an organisation: its active members, by
    username (the memberships' order). On PostgreSQL one prepared statement (every
    claim renders its owner's notices before it writes)."""
    if connection.vendor != "postgresql":
        return [
            membership.user
            for membership in organisation.memberships.select_related("user").filter(
                user__is_active=True
            )
        ]
    statement, people = _people_statement()
    with prepared_cursor() as cursor:  # prepared once per connection
        cursor.execute(statement, (organisation.pk,))
        return [people.instance(row) for row in cursor.fetchall()]


@functools.cache
def _people_statement() -> tuple[str, ModelColumns]:
    """``organisation_people``'s statement (made once per process)."""
    user_model = get_user_model()
    people = ModelColumns(user_model, "person")
    statement = (
        f"SELECT {people.columns} FROM {Membership._meta.db_table} AS membership "  # noqa: S608
        f"JOIN {user_model._meta.db_table} AS person ON person.id = membership.user_id "
        "WHERE membership.organisation_id = %s AND person.is_active "
        "ORDER BY person.username"
    )
    return statement, people


def notify_organisation(*, organisation: Organisation, **kwargs) -> list[Notification]:
    """Notify every active member of an organisation (``notify_users`` arguments)."""
    return notify_users(users=organisation_people(organisation=organisation), **kwargs)
