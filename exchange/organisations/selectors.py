import functools

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.accounts.models import ApiToken
from exchange.accounts.services import api_token_live, api_token_used
from exchange.common.errors import ApplicationError, CommonError, ErrorKind
from exchange.common.limits import ID_MAX
from exchange.common.prepared import prepared_cursor
from exchange.common.rows import ModelColumns
from exchange.organisations.models import Membership, Organisation, Site


def membership_for_user(*, user, organisation_id=None) -> Membership | None:
    """The membership a user acts through.

    ``organisation_id`` (the API's ``X-Organisation`` header, or a form field) must name
    one of the user's organisations (403 otherwise); without it, the user's current
    organisation, else their first one; None when they belong to none.
    """
    memberships = Membership.objects.select_related("organisation", "user").filter(user=user)
    wanted = organisation_named(organisation_id)
    if wanted is not None:
        found = memberships.filter(organisation_id=wanted).first() if wanted else None
        return membership_named(organisation_id=organisation_id, membership=found)
    if user.current_organisation_id:
        membership = memberships.filter(organisation_id=user.current_organisation_id).first()
        if membership:
            return membership
    return memberships.order_by("created_at", "id").first()


def organisation_named(organisation_id) -> int | None:
    """The organisation that ``organisation_id`` (a header's or a form's text) names:
    None when it names none (absent or empty), 0 when it names one nobody can belong to
    (not a whole number, or beyond the ids a row can have)."""
    if organisation_id in (None, ""):
        return None
    try:
        wanted = int(organisation_id)
    except (TypeError, ValueError):
        return 0
    return wanted if 0 < wanted <= ID_MAX else 0


def membership_named(*, organisation_id, membership: Membership | None) -> Membership | None:
    """``membership_for_user``'s answer from ``membership``, the user's membership read
    for ``organisation_id`` (that organisation's first, else their choice without it):
    with an organisation named, that organisation's membership or 403."""
    wanted = organisation_named(organisation_id)
    if wanted is None:
        return membership
    if not wanted or membership is None or membership.organisation_id != wanted:
        raise ApplicationError(
            code=CommonError.NOT_A_MEMBER,
            kind=ErrorKind.FORBIDDEN,
            field="X-Organisation",
            message=_("You are not a member of organisation %(id)s.") % {"id": organisation_id},
        )
    return membership


def api_token_with_membership(
    *, key: str, organisation_id=None
) -> tuple[ApiToken, Membership | None] | None:
    """The live token with this key (``api_token_live``, renewed by the use:
    ``api_token_used``), its user, and the membership they act through
    (``membership_for_user``: the one of ``organisation_id`` when it names one of theirs,
    else their current organisation's, else their first), in one statement made once
    per process (on PostgreSQL prepared once per connection). Whether the organisation
    named is theirs is for ``membership_named`` to say. None: no live token with this key.
    """
    if not key:
        return None
    now = timezone.now()
    statement, parts = _token_and_membership()
    digest, moment = api_token_live(key=key, now=now)
    parameters = (organisation_named(organisation_id), digest)
    parameters += (connection.ops.adapt_datetimefield_value(moment),)
    with prepared_cursor() as cursor:  # prepared once per connection
        cursor.execute(statement, parameters)
        row = cursor.fetchone()
    if row is None:
        return None
    start, instances = 0, []
    for part in parts:
        instances.append(part.instance(row[start : start + part.width]))
        start += part.width
    token, user, membership, organisation = instances
    token.user = user
    if membership is not None:
        membership.user, membership.organisation = user, organisation
    return api_token_used(token=token, now=now), membership


@functools.cache
def _token_and_membership() -> tuple[str, tuple[ModelColumns, ...]]:
    """The statement of ``api_token_with_membership`` (made once per process): the token
    live by ``api_token_live`` (its digest and the moment as parameters), its user, and
    ``membership_for_user``'s choice: the membership of the organisation named (the
    first parameter, NULL for none), else of the user's current organisation, else the
    first. PostgreSQL reads it with a lateral join, SQLite (which has none) by the id
    the same ordered subquery finds."""
    user_model = get_user_model()
    parts = (
        ModelColumns(ApiToken, "token"),
        ModelColumns(user_model, "person"),
        ModelColumns(Membership, "membership"),
        ModelColumns(Organisation, "organisation"),
    )

    def chosen(person: str, join: str = "") -> str:
        return f"""FROM {Membership._meta.db_table} AS choice {join}
  WHERE choice.user_id = person.id
  ORDER BY (choice.organisation_id = %s) IS TRUE DESC,
    (choice.organisation_id = {person}.current_organisation_id) IS TRUE DESC,
    choice.created_at, choice.id
  LIMIT 1"""  # noqa: S608 - names of the models

    if connection.vendor == "postgresql":
        membership = f"LATERAL (SELECT * {chosen('person')}) AS membership ON true"
    else:  # SQLite: a subquery's ORDER BY cannot name the outer person, so its own
        own = f"JOIN {user_model._meta.db_table} AS chooser ON chooser.id = choice.user_id"
        membership = (
            f"{Membership._meta.db_table} AS membership "
            f"ON membership.id = (SELECT choice.id {chosen('chooser', own)})"
        )
    statement = f"""
SELECT {", ".join(part.columns for part in parts)}
FROM {ApiToken._meta.db_table} AS token
JOIN {user_model._meta.db_table} AS person ON person.id = token.user_id
LEFT JOIN {membership}
LEFT JOIN {Organisation._meta.db_table} AS organisation
  ON organisation.id = membership.organisation_id
WHERE token.key_digest = %s AND token.expires_at > %s"""  # noqa: S608 - names of the models
    return statement, parts


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
