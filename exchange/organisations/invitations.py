"""Invitations: an admin adds a member by e-mail address; the person becomes a member
once an address of theirs that equals the invited one is verified.

- ``invitation_create``: the admin of a verified organisation invites an address, with a
  role; the same address invited again gets a fresh link (the old one ends). The answer
  is the same whether or not the address has an account.
- The e-mail (``invitation_send``, a task after commit) carries a link that is valid for
  ``EXCHANGE_INVITATION_DAYS``.
- ``invitation_accept``: a signed-in person whose account holds the invited address,
  verified, accepts through the link.
- ``invitations_accept_for_address``: someone who signs up with the invited address
  becomes a member when they confirm it (allauth's ``email_confirmed`` signal,
  subscribed in ``OrganisationsConfig.ready``); never before.
- ``invitation_revoke``: an admin withdraws an open invitation; its link ends.
- ``invitations_send_sweep`` (beat): sends what a lost task never sent.
"""

import datetime
import functools
import operator
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from exchange.accounts.selectors import user_has_verified_email, user_verified_emails
from exchange.common.errors import ApplicationError, ErrorKind
from exchange.common.services import audit_event_record
from exchange.common.tasks import task_send
from exchange.organisations.access import require_role, require_verified
from exchange.organisations.errors import OrganisationError
from exchange.organisations.models import Invitation, Membership, MembershipRole

SIGNING_SALT = "exchange.organisations.invitation"


# --- Links ---------------------------------------------------------------------


def invitation_token(invitation: Invitation) -> str:
    """The token in the invitation's link: its id and nonce, signed."""
    return signing.dumps([invitation.pk, invitation.nonce], salt=SIGNING_SALT, compress=False)


def invitation_url(invitation: Invitation) -> str:
    path = reverse("organisations:invitation", kwargs={"token": invitation_token(invitation)})
    return f"{settings.EXCHANGE_PUBLIC_URL}{path}"


def invitation_from_token(token: str) -> Invitation | None:
    """The invitation a link names, whatever its state; None for a made-up, altered or
    outdated link (the address was invited again since)."""
    try:
        pk, nonce = signing.loads(token or "", salt=SIGNING_SALT)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    invitation = (
        Invitation.objects.select_related("organisation", "invited_by").filter(pk=pk).first()
    )
    if invitation is None or not secrets.compare_digest(str(nonce), invitation.nonce):
        return None
    return invitation


# --- Reads ---------------------------------------------------------------------


def invitation_list_open(*, actor: Membership) -> QuerySet[Invitation]:
    """The open invitations of the actor's organisation (admins), newest first; expired
    ones too, until revoked or invited again."""
    require_role(actor, MembershipRole.ADMIN)
    return Invitation.objects.select_related("invited_by").filter(
        organisation_id=actor.organisation_id, accepted_at__isnull=True, revoked_at__isnull=True
    )


def invitation_list_for_user(*, user, now: datetime.datetime | None = None) -> list[Invitation]:
    """The invitations waiting for the signed-in person: to one of their verified
    addresses, still acceptable, into organisations they do not belong to yet; oldest
    first, each with the path of its page (``path``), where it is accepted."""
    addresses = user_verified_emails(user=user)
    if not addresses:
        return []
    to_them = functools.reduce(operator.or_, (Q(email__iexact=a) for a in addresses))
    found = list(
        Invitation.objects.select_related("organisation", "invited_by")
        .filter(to_them, accepted_at__isnull=True, revoked_at__isnull=True)
        .filter(expires_at__gt=now or timezone.now())
        .exclude(organisation__memberships__user=user)
        .order_by("created_at", "id")
    )
    for invitation in found:
        invitation.path = reverse(
            "organisations:invitation", kwargs={"token": invitation_token(invitation)}
        )
    return found


# --- Writes --------------------------------------------------------------------


def _normalised_email(email: str) -> str:
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ApplicationError(
            code=OrganisationError.EMAIL_INVALID,
            field="email",
            message=_("Enter a valid e-mail address."),
        ) from exc
    return email


def _open_invitation_locked(organisation_id: int, email: str) -> Invitation | None:
    return (
        Invitation.objects.select_for_update()
        .filter(
            organisation_id=organisation_id,
            email__iexact=email,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
        )
        .first()
    )


def _invitation_renew(invitation: Invitation, values: dict) -> None:
    """A new link, expiry and role for an open invitation: the old link ends."""
    for name, value in values.items():
        setattr(invitation, name, value)
    invitation.save(update_fields=[*values, "updated_at"])


@transaction.atomic
def invitation_create(
    *, actor: Membership, email: str, role: str, language: str | None = None
) -> Invitation:
    """Invite ``email`` into the actor's organisation with ``role``; the e-mail goes out
    after commit. Inviting an address with an open invitation renews it (new link, new
    expiry, the new role)."""
    require_role(actor, MembershipRole.ADMIN)
    require_verified(actor)
    errors: dict[str, list[str]] = {}
    try:
        email = _normalised_email(email)
    except ApplicationError as exc:
        errors.update(exc.errors)
    if role not in MembershipRole.values:
        errors["role"] = [
            _("Choose one of: %(roles)s.") % {"roles": ", ".join(MembershipRole.values)}
        ]
    language = language or actor.organisation.language
    if language not in dict(settings.LANGUAGES):
        errors["language"] = [
            _("Choose one of: %(codes)s.")
            % {"codes": ", ".join(code for code, _name in settings.LANGUAGES)}
        ]
    if errors:
        field, messages = next(iter(errors.items()))
        code = (
            OrganisationError.EMAIL_INVALID if field == "email" else OrganisationError.INVALID_ROLE
        )
        raise ApplicationError(code=code, field=field, message=messages[0], errors=errors)
    if Membership.objects.filter(
        organisation_id=actor.organisation_id, user__email__iexact=email
    ).exists():
        raise ApplicationError(
            code=OrganisationError.ALREADY_MEMBER,
            kind=ErrorKind.CONFLICT,
            field="email",
            message=_("%(email)s is already a member.") % {"email": email},
        )
    now = timezone.now()
    values = {
        "role": role,
        "language": language,
        "invited_by": actor.user,
        "nonce": secrets.token_urlsafe(24),
        "expires_at": now + datetime.timedelta(days=settings.EXCHANGE_INVITATION_DAYS),
        "sent_at": None,
    }
    invitation = _open_invitation_locked(actor.organisation_id, email)
    if invitation is None:
        try:
            # Another admin inviting the same address at this instant inserts first: the
            # open-invitation constraint refuses our row, and we renew theirs instead.
            with transaction.atomic():
                invitation = Invitation.objects.create(
                    organisation=actor.organisation, email=email, **values
                )
        except IntegrityError:
            invitation = _open_invitation_locked(actor.organisation_id, email)
            if invitation is None:  # theirs was withdrawn or accepted meanwhile
                invitation = Invitation.objects.create(
                    organisation=actor.organisation, email=email, **values
                )
            else:
                _invitation_renew(invitation, values)
    else:
        _invitation_renew(invitation, values)
    audit_event_record(
        actor=actor.user,
        organisation=actor.organisation,
        obj=invitation,
        action="invite",
        to_state=role,
        data={"email": email},
    )
    from exchange.organisations.tasks import invitation_send_task  # the task calls this module

    nonce = invitation.nonce
    task_send(invitation_send_task, invitation.pk, nonce)
    return invitation


def invitation_send(*, invitation_id: int, nonce: str) -> bool:
    """E-mail the invitation's link, if it is still the one made with ``nonce`` and can
    be accepted. In the language of the invited person's account when the address has
    one, else in the invitation's."""
    claimed = Invitation.objects.filter(
        pk=invitation_id,
        nonce=nonce,
        sent_at__isnull=True,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).update(sent_at=timezone.now())
    if not claimed:
        return False  # sent already, invited again since, accepted, withdrawn or expired
    try:
        _invitation_mail(
            Invitation.objects.select_related("organisation", "invited_by").get(pk=invitation_id)
        )
    except Exception:
        # Let the retry send it: the mark only stands once the mail went out.
        Invitation.objects.filter(pk=invitation_id, nonce=nonce).update(sent_at=None)
        raise
    return True


def invitations_send_sweep(*, older_than_seconds: int = 60) -> int:
    """Send the e-mails a lost task never sent (invitations that can be accepted, unsent,
    made or renewed more than ``older_than_seconds`` ago). Returns how many went out."""
    cutoff = timezone.now() - datetime.timedelta(seconds=older_than_seconds)
    unsent = Invitation.objects.filter(
        sent_at__isnull=True,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
        updated_at__lt=cutoff,
    ).values_list("pk", "nonce")
    return sum(invitation_send(invitation_id=pk, nonce=nonce) for pk, nonce in unsent)


def _invitation_mail(invitation: Invitation) -> None:
    person = get_user_model().objects.filter(email__iexact=invitation.email).first()
    language = person.language if person and person.language else invitation.language
    with translation.override(language):
        context = {
            "invitation": invitation,
            "organisation": invitation.organisation,
            "role": invitation.get_role_display(),
            "inviter": (
                invitation.invited_by.get_full_name() or invitation.invited_by.username
                if invitation.invited_by
                else ""
            ),
            "url": invitation_url(invitation),
            "days": settings.EXCHANGE_INVITATION_DAYS,
            "expires_at": invitation.expires_at,
        }
        body = render_to_string("organisations/email/invitation.txt", context)
        subject = _("Invitation to join %(organisation)s on Reuse Exchange") % {
            "organisation": invitation.organisation.name
        }
    send_mail(
        subject=subject,
        message=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[invitation.email],
        fail_silently=False,
    )


def _pending_check(invitation: Invitation) -> None:
    if not invitation.is_pending():
        raise ApplicationError(
            code=OrganisationError.INVITATION_NOT_PENDING,
            kind=ErrorKind.CONFLICT,
            message=_(
                "This invitation can no longer be accepted: it expired, was withdrawn or was "
                "accepted already. Ask an administrator of the organisation for a new one."
            ),
        )


def _membership_grant(*, invitation: Invitation, user) -> Membership:
    """Make the membership (or keep an existing one) and close the invitation."""
    membership, created = Membership.objects.get_or_create(
        user=user, organisation=invitation.organisation, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by", "updated_at"])
    if created:
        audit_event_record(
            actor=user,
            organisation=invitation.organisation,
            obj=membership,
            action="accept_invitation",
            to_state=invitation.role,
            data={"invitation": invitation.pk},
        )
    if user.current_organisation_id is None:
        user.current_organisation = invitation.organisation
        user.save(update_fields=["current_organisation"])
    return membership


@transaction.atomic
def invitation_accept(*, user, invitation: Invitation) -> Membership:
    """The signed-in ``user`` accepts: their account must hold the invited address,
    verified."""
    invitation = (
        Invitation.objects.select_for_update().select_related("organisation").get(pk=invitation.pk)
    )
    _pending_check(invitation)
    if not user_has_verified_email(user=user, email=invitation.email):
        raise ApplicationError(
            code=OrganisationError.INVITATION_OTHER_ADDRESS,
            kind=ErrorKind.FORBIDDEN,
            message=_(
                "This invitation was sent to %(email)s. Sign in with the account of that "
                "address, or add it to your account and confirm it, to accept."
            )
            % {"email": invitation.email},
        )
    if Membership.objects.filter(user=user, organisation=invitation.organisation).exists():
        raise ApplicationError(
            code=OrganisationError.ALREADY_MEMBER,
            kind=ErrorKind.CONFLICT,
            message=_("You are already a member of %(organisation)s.")
            % {"organisation": invitation.organisation.name},
        )
    return _membership_grant(invitation=invitation, user=user)


@transaction.atomic
def invitations_accept_for_address(*, user, email: str) -> list[Membership]:
    """``user`` just confirmed ``email``: every invitation to it that can still be
    accepted makes them a member."""
    if not user_has_verified_email(user=user, email=email):
        return []
    now = timezone.now()
    invitations = (
        Invitation.objects.select_for_update()
        .select_related("organisation")
        .filter(
            email__iexact=email,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=now,
        )
        .order_by("created_at", "id")
    )
    return [_membership_grant(invitation=invitation, user=user) for invitation in invitations]


@transaction.atomic
def invitation_revoke(*, actor: Membership, invitation: Invitation) -> Invitation:
    """An admin withdraws an open invitation of their organisation; its link ends."""
    require_role(actor, MembershipRole.ADMIN)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.organisation_id != actor.organisation_id:
        raise ApplicationError(
            code=OrganisationError.NOT_FOUND,
            kind=ErrorKind.NOT_FOUND,
            message=_("No such invitation."),
        )
    if not invitation.is_open:
        raise ApplicationError(
            code=OrganisationError.INVITATION_NOT_PENDING,
            kind=ErrorKind.CONFLICT,
            message=_("This invitation was accepted or withdrawn already."),
        )
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at", "updated_at"])
    audit_event_record(
        actor=actor.user,
        organisation=actor.organisation,
        obj=invitation,
        action="revoke",
        from_state=invitation.role,
        data={"email": invitation.email},
    )
    return invitation
