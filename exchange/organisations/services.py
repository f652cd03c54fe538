"""Writes on organisations, sites and memberships (invitations: ``invitations.py``).
Validate everything, then act."""

import copy
import datetime
from collections.abc import Collection
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _

from exchange.common.errors import ApplicationError, ErrorKind
from exchange.common.services import audit_event_record
from exchange.common.tasks import REPAIR_BATCH, repair_cutoff, task_send
from exchange.organisations.access import (
    require_moderator,
    require_role,
)
from exchange.organisations.errors import OrganisationError
from exchange.organisations.models import (
    Membership,
    MembershipRole,
    Organisation,
    OrganisationKind,
    Site,
)
from exchange.organisations.postcodes import postcode_place
from exchange.organisations.validators import (
    normalise_enterprise_number,
    organisation_name_key,
    phone_clean,
    region_for_postcode,
    validate_in_belgium,
)

User = get_user_model()

ORGANISATION_FIELDS = (
    "name",
    "kind",
    "enterprise_number",
    "region",
    "language",
    "email",
    "auto_approve_claims",
    "accreditation_scheme",
    "accreditation_number",
    "accreditation_valid_until",
)
# Facts a moderator checked: their owners change them only before verification.
VERIFIED_FACTS = (
    "kind",
    "enterprise_number",
    "accreditation_scheme",
    "accreditation_number",
    "accreditation_valid_until",
)
SITE_FIELDS = ("name", "street", "postcode", "municipality", "region", "latitude", "longitude")


def _organisation_name_check(name: str, *, exclude_pk: int | None = None) -> str:
    """The name's key, if no verified organisation (other than ``exclude_pk``) bears the
    same name, ignoring case and accents; else ApplicationError (400)."""
    key = organisation_name_key(name)
    taken = Organisation.objects.filter(verified_at__isnull=False, name_key=key)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if key and taken.exists():
        raise ApplicationError(
            code=OrganisationError.NAME_TAKEN,
            field="name",
            message=_("A verified organisation already bears this name: choose another."),
        )
    return key


def _errors_raise(errors: dict[str, list[ValidationError]], invalid: Collection[str] = ()) -> None:
    """Refuse (400) with every error, except those on fields that could not be parsed."""
    errors = {name: found for name, found in errors.items() if name not in invalid}
    if errors:
        raise ApplicationError.from_validation_error(ValidationError(errors))


def organisation_validate(
    *, fields: dict, organisation: Organisation | None = None, invalid: Collection[str] = ()
) -> None:
    """Every rule on an organisation's fields, all errors at once (400), the name among
    verified organisations included; writes nothing. ``fields`` change ``organisation``
    (None: a new one); ``invalid`` names fields that could not be parsed."""
    candidate = copy.copy(organisation) if organisation is not None else Organisation()
    for name, value in fields.items():
        if name in ORGANISATION_FIELDS:
            setattr(candidate, name, value)
    errors = _organisation_errors(candidate)
    if "name" not in errors and "name" not in invalid:
        try:
            _organisation_name_check(
                candidate.name, exclude_pk=organisation.pk if organisation is not None else None
            )
        except ApplicationError as exc:
            errors["name"] = [ValidationError(exc.message, code=exc.code)]
    _errors_raise(errors, invalid)


def _organisation_clean(organisation: Organisation) -> None:
    """Normalise and check an organisation in memory; raise ApplicationError (400)."""
    _errors_raise(_organisation_errors(organisation))


def _organisation_errors(organisation: Organisation) -> dict[str, list[ValidationError]]:
    """Normalise an organisation in memory and say what is wrong with it, by field."""
    organisation.name = " ".join((organisation.name or "").split())
    errors: dict[str, list[ValidationError]] = {}
    try:
        organisation.enterprise_number = normalise_enterprise_number(organisation.enterprise_number)
    except ValidationError as exc:
        errors["enterprise_number"] = [exc]
    accreditation = (
        organisation.accreditation_scheme,
        organisation.accreditation_number,
        organisation.accreditation_valid_until,
    )
    if any(accreditation):
        if organisation.kind != OrganisationKind.SOCIAL_ECONOMY:
            errors["accreditation_number"] = [
                ValidationError(
                    _("Only social-economy enterprises carry an accreditation."),
                    code=OrganisationError.ACCREDITATION_NOT_ALLOWED,
                )
            ]
        elif not all(accreditation):
            errors["accreditation_number"] = [
                ValidationError(
                    _("An accreditation needs its scheme, its number and its expiry date."),
                    code=OrganisationError.ACCREDITATION_INCOMPLETE,
                )
            ]
    try:
        exclude = ["verified_by", "enterprise_number"] if "enterprise_number" in errors else None
        organisation.full_clean(exclude=exclude or ["verified_by"])
    except ValidationError as exc:
        for field, field_errors in exc.error_dict.items():
            if field == "enterprise_number":
                field_errors = [
                    ValidationError(e.messages[0], code=OrganisationError.ENTERPRISE_NUMBER_TAKEN)
                    if e.code == "unique"
                    else e
                    for e in field_errors
                ]
            errors.setdefault(field, []).extend(field_errors)
    return errors


@transaction.atomic
def organisation_register(*, user, **fields) -> Organisation:
    """Register a new, unverified organisation with ``user`` as its admin."""
    unknown = set(fields) - set(ORGANISATION_FIELDS)
    if unknown:
        raise ValueError(f"unknown organisation fields: {sorted(unknown)}")
    organisation_validate(fields=fields)
    organisation = Organisation(**fields)
    _organisation_clean(organisation)
    organisation.name_key = _organisation_name_check(organisation.name)
    organisation.save()
    Membership.objects.create(user=user, organisation=organisation, role=MembershipRole.ADMIN)
    if user.current_organisation_id is None:
        user.current_organisation = organisation
        user.save(update_fields=["current_organisation"])
    audit_event_record(
        actor=user,
        organisation=organisation,
        obj=organisation,
        action="register",
        to_state="unverified",
    )
    return organisation


@transaction.atomic
def organisation_update(*, actor: Membership, organisation: Organisation, **fields) -> Organisation:
    require_role(actor, MembershipRole.ADMIN)
    if actor.organisation_id != organisation.pk:
        raise ApplicationError(
            code=OrganisationError.NOT_FOUND,
            kind=ErrorKind.NOT_FOUND,
            message=_("No such organisation."),
        )
    changed = {
        name: value for name, value in fields.items() if getattr(organisation, name) != value
    }
    unknown = set(changed) - set(ORGANISATION_FIELDS)
    if unknown:
        raise ValueError(f"unknown organisation fields: {sorted(unknown)}")
    if "enterprise_number" in changed:
        try:
            if normalise_enterprise_number(changed["enterprise_number"]) == (
                organisation.enterprise_number
            ):
                del changed["enterprise_number"]
        except ValidationError:
            pass  # reported by _organisation_clean below
    locked = sorted(set(changed) & set(VERIFIED_FACTS)) if organisation.is_verified else []
    if locked:
        raise ApplicationError(
            code=OrganisationError.VERIFIED_FACT_LOCKED,
            kind=ErrorKind.CONFLICT,
            field=locked[0],
            message=_(
                "The organisation is verified: ask a moderator to change its kind, "
                "enterprise number or accreditation."
            ),
        )
    if "name" in changed:
        changed["name"] = " ".join((changed["name"] or "").split())
        if changed["name"] == organisation.name:
            del changed["name"]
    rename = changed.pop("name", None) if organisation.is_verified else None
    for name, value in changed.items():
        setattr(organisation, name, value)
    _organisation_clean(organisation)
    if "name" in changed:
        organisation.name_key = _organisation_name_check(
            organisation.name, exclude_pk=organisation.pk
        )
        changed["name_key"] = organisation.name_key
    if rename is not None:
        # A verified organisation's new name waits for a moderator, like its kind and
        # enterprise number; it must be free now and again when approved.
        _organisation_name_check(rename, exclude_pk=organisation.pk)
        organisation.requested_name = rename
        changed["requested_name"] = rename
    if changed:
        organisation.save(update_fields=[*changed, "updated_at"])
        audit_event_record(
            actor=actor.user,
            organisation=organisation,
            obj=organisation,
            action="rename_request" if rename is not None and len(changed) == 1 else "update",
            data={"fields": sorted(changed)},
        )
    return organisation


@transaction.atomic
def organisation_rename_decide(*, user, organisation: Organisation, approve: bool) -> Organisation:
    """A moderator approves (or declines) a verified organisation's requested name."""
    require_moderator(user)
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if not organisation.requested_name:
        raise ApplicationError(
            code=OrganisationError.NO_RENAME_REQUESTED,
            kind=ErrorKind.CONFLICT,
            message=_("%(organisation)s asked for no new name.")
            % {"organisation": organisation.name},
        )
    old = organisation.name
    if approve:
        organisation.name_key = _organisation_name_check(
            organisation.requested_name, exclude_pk=organisation.pk
        )
        organisation.name = organisation.requested_name
    organisation.requested_name = ""
    organisation.save(update_fields=["name", "name_key", "requested_name", "updated_at"])
    audit_event_record(
        actor=user,
        organisation=organisation,
        obj=organisation,
        action="rename" if approve else "rename_decline",
        from_state=old,
        to_state=organisation.name,
    )
    return organisation


@transaction.atomic
def organisation_verify(*, user, organisation: Organisation) -> Organisation:
    """A moderator confirms the enterprise number (and accreditation) of an organisation."""
    from exchange.organisations.tasks import organisation_verified_notify_task

    require_moderator(user)
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if (
        Organisation.objects.filter(verified_at__isnull=False, name_key=organisation.name_key)
        .exclude(pk=organisation.pk)
        .exists()
    ):
        raise ApplicationError(
            code=OrganisationError.NAME_TAKEN,
            kind=ErrorKind.CONFLICT,
            message=_(
                "Another verified organisation already bears the name %(organisation)s: "
                "ask its people to tell the two apart before verifying."
            )
            % {"organisation": organisation.name},
        )
    if organisation.is_verified:
        raise ApplicationError(
            code=OrganisationError.ALREADY_VERIFIED,
            kind=ErrorKind.CONFLICT,
            message=_("%(organisation)s was already verified on %(date)s.")
            % {
                "organisation": organisation.name,
                "date": timezone.localtime(organisation.verified_at).date().isoformat(),
            },
        )
    organisation.verified_at = timezone.now()
    organisation.verified_by = user
    organisation.save(update_fields=["verified_at", "verified_by", "updated_at"])
    audit_event_record(
        actor=user,
        obj=organisation,
        action="verify",
        from_state="unverified",
        to_state="verified",
    )
    task_send(organisation_verified_notify_task, organisation.pk)
    return organisation


def organisation_verified_notify(*, organisation_id: int) -> int:
    """Tell the organisation's admins it was verified, once. Returns the e-mails sent."""
    from exchange.common.mail import mail_send_translated

    claimed = Organisation.objects.filter(
        pk=organisation_id, verified_at__isnull=False, verification_notified_at__isnull=True
    ).update(verification_notified_at=timezone.now())
    if not claimed:
        return 0
    organisation = Organisation.objects.get(pk=organisation_id)
    admins = organisation_admins(organisation)
    try:
        for user in admins:
            mail_send_translated(
                user=user,
                subject=gettext_noop("%(organisation)s is verified"),
                template="organisations/email/verified.txt",
                context={"organisation": organisation, "user": user},
                subject_params={"organisation": organisation.name},
            )
    except Exception:
        # Let the retry send it: the flag only stands once the mail went out.
        Organisation.objects.filter(pk=organisation_id).update(verification_notified_at=None)
        raise
    return len(admins)


def organisation_verified_notify_sweep(*, now=None) -> int:
    """The repair sweep of verification notices: each organisation a moderator verified
    EXCHANGE_REPAIR_AFTER_SECONDS ago or more (in the last week) whose admins were not
    told yet (the task never sent, or lost) is told now. Returns the e-mails sent."""
    now = now or timezone.now()
    pending = Organisation.objects.filter(
        verified_by__isnull=False,
        verified_at__lt=repair_cutoff(now),
        verified_at__gte=now - datetime.timedelta(days=7),
        verification_notified_at__isnull=True,
    ).order_by("pk")
    return sum(
        organisation_verified_notify(organisation_id=pk)
        for pk in pending.values_list("pk", flat=True)[:REPAIR_BATCH]
    )


def organisation_admins(organisation: Organisation) -> list:
    return [
        m.user
        for m in organisation.memberships.select_related("user").filter(
            role=MembershipRole.ADMIN, user__is_active=True
        )
    ]


# --- Sites ---------------------------------------------------------------------


def site_validate(*, fields: dict, site: Site | None = None, invalid: Collection[str] = ()) -> None:
    """Every rule on a site's fields, all errors at once (400); writes nothing.
    ``fields`` change ``site`` (None: a new one); ``invalid`` names fields that could
    not be parsed."""
    candidate = copy.copy(site) if site is not None else Site()
    for name, value in fields.items():
        if name in SITE_FIELDS:
            setattr(candidate, name, value)
    if site is not None:
        _site_postcode_changed(candidate, fields)
    _errors_raise(_site_errors(candidate, invalid=invalid), invalid)


def _site_postcode_changed(site: Site, fields: dict) -> None:
    """A new postcode without a new region, point or municipality: they are derived
    again from it."""
    if "postcode" not in fields:
        return
    if "region" not in fields:
        site.region = ""
    if "latitude" not in fields and "longitude" not in fields:
        site.latitude = site.longitude = None  # the new postcode's point
    if "municipality" not in fields:
        site.municipality = ""


def _site_place_derive(site: Site, errors: dict[str, list[ValidationError]]) -> None:
    """Fill what the person left empty from the postcode table: the point (both
    coordinates, unless both are given) and the municipality's name."""
    place = postcode_place(site.postcode)
    if not site.municipality and place is not None:
        site.municipality = place.municipality(
            region=site.region or region_for_postcode(site.postcode) or "",
            language=get_language() or "",
        )
    if site.latitude is not None and site.longitude is not None:
        return
    if place is None:
        message = _(
            "No point is known for postcode %(postcode)s: enter the latitude and longitude."
        ) % {"postcode": site.postcode}
        for name in ("latitude", "longitude"):
            if getattr(site, name) is None:
                errors.setdefault(name, []).append(
                    ValidationError(message, code=OrganisationError.POSTCODE_UNKNOWN)
                )
        return
    if site.latitude is None and site.longitude is None:
        site.latitude, site.longitude = place.latitude, place.longitude
    else:
        name = "longitude" if site.longitude is None else "latitude"
        errors.setdefault(name, []).append(
            ValidationError(
                _(
                    "Give both the latitude and the longitude, or neither to take the point "
                    "of the postcode."
                ),
                code=OrganisationError.POINT_INCOMPLETE,
            )
        )


def _site_clean(site: Site) -> None:
    _errors_raise(_site_errors(site))


def _site_errors(site: Site, *, invalid: Collection[str] = ()) -> dict[str, list[ValidationError]]:
    """Say what is wrong with a site in memory, by field (its region derived from the
    postcode when it has none)."""
    errors: dict[str, list[ValidationError]] = {}
    postcode_region = region_for_postcode(site.postcode)
    if postcode_region is None:
        errors["postcode"] = [
            ValidationError(
                _("A Belgian postcode has 4 digits, from 1000 to 9999."),
                code=OrganisationError.POSTCODE_INVALID,
            )
        ]
    elif not site.region:
        site.region = postcode_region
    elif site.region != postcode_region:
        errors["region"] = [
            ValidationError(
                _("Postcode %(postcode)s lies in region %(region)s.")
                % {"postcode": site.postcode, "region": postcode_region},
                code=OrganisationError.REGION_MISMATCH,
            )
        ]
    # The region comes from the postcode: without a valid one it is not checked.
    unchecked = {"region"} if {"postcode"} & ({*errors, *invalid}) else set()
    if postcode_region is not None and not {"latitude", "longitude"} & {*invalid}:
        _site_place_derive(site, errors)

    def decimal(value):
        return None if value is None else Decimal(str(value))

    for validate in (
        lambda: validate_in_belgium(decimal(site.latitude), decimal(site.longitude)),
        lambda: site.full_clean(
            exclude=[*errors.keys(), *invalid, *unchecked, "organisation"],
            validate_constraints=not errors and not invalid,
        ),
    ):
        try:
            validate()
        except ValidationError as exc:
            for field, field_errors in exc.error_dict.items():
                errors.setdefault(field, []).extend(field_errors)
    return errors


@transaction.atomic
def site_create(*, actor: Membership, **fields) -> Site:
    require_role(actor, MembershipRole.ADMIN)
    site = Site(organisation=actor.organisation, **fields)
    _site_clean(site)
    site.save()
    audit_event_record(actor=actor.user, organisation=actor.organisation, obj=site, action="create")
    return site


@transaction.atomic
def site_update(*, actor: Membership, site: Site, **fields) -> Site:
    require_role(actor, MembershipRole.ADMIN)
    for name, value in fields.items():
        if name not in SITE_FIELDS:
            raise ValueError(f"unknown site field: {name}")
        setattr(site, name, value)
    _site_postcode_changed(site, fields)
    _site_clean(site)
    site.save()
    audit_event_record(
        actor=actor.user,
        organisation=actor.organisation,
        obj=site,
        action="update",
        data={"fields": sorted(fields)},
    )
    return site


@transaction.atomic
def site_delete(*, actor: Membership, site: Site) -> None:
    """Delete a site nothing refers to any more; a site still named by lots or wanted
    requests stays (409 saying what holds it)."""
    require_role(actor, MembershipRole.ADMIN)
    audit_event_record(actor=actor.user, organisation=actor.organisation, obj=site, action="delete")
    try:
        with transaction.atomic():
            site.delete()
    except ProtectedError as exc:
        held_by: dict[str, int] = {}  # model name: count
        names: dict[str, str] = {}
        for obj in exc.protected_objects:
            model = obj._meta.model_name
            held_by[model] = held_by.get(model, 0) + 1
            names[model] = str(obj._meta.verbose_name_plural)
        raise ApplicationError(
            code=OrganisationError.SITE_IN_USE,
            kind=ErrorKind.CONFLICT,
            message=_(
                "This site cannot be deleted: it is still the site of %(what)s. Move them "
                "to another site, or delete them, first."
            )
            % {"what": ", ".join(f"{count} {names[model]}" for model, count in held_by.items())},
            extra={"held_by": held_by},
        ) from exc


# --- Members -------------------------------------------------------------------


def membership_phone_set(*, actor: Membership, phone: str) -> Membership:
    """A person sets (or clears) their own phone number at the organisation they act for:
    the number the other side of an approved claim sees."""
    try:
        phone = phone_clean(phone)
    except ValueError:
        raise ApplicationError(
            code=OrganisationError.PHONE_INVALID,
            field="phone",
            message=_("Write a phone number with 8 to 15 digits, for example +32 2 123 45 67."),
        ) from None
    actor.phone = phone
    actor.save(update_fields=["phone", "updated_at"])
    return actor


def _require_another_admin(membership: Membership) -> None:
    others = Membership.objects.filter(
        organisation_id=membership.organisation_id, role=MembershipRole.ADMIN
    ).exclude(pk=membership.pk)
    if membership.role == MembershipRole.ADMIN and not others.exists():
        raise ApplicationError(
            code=OrganisationError.LAST_ADMIN,
            kind=ErrorKind.CONFLICT,
            message=_("An organisation keeps at least one administrator."),
        )


@transaction.atomic
def membership_change_role(*, actor: Membership, membership: Membership, role: str) -> Membership:
    require_role(actor, MembershipRole.ADMIN)
    if role not in MembershipRole.values:
        raise ApplicationError(
            code=OrganisationError.INVALID_ROLE,
            field="role",
            message=_("Choose one of: %(roles)s.") % {"roles": ", ".join(MembershipRole.values)},
        )
    if role != MembershipRole.ADMIN:
        _require_another_admin(membership)
    old = membership.role
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    audit_event_record(
        actor=actor.user,
        organisation=actor.organisation,
        obj=membership,
        action="change_role",
        from_state=old,
        to_state=role,
    )
    return membership


@transaction.atomic
def membership_remove(*, actor: Membership, membership: Membership) -> None:
    require_role(actor, MembershipRole.ADMIN)
    _require_another_admin(membership)
    audit_event_record(
        actor=actor.user,
        organisation=actor.organisation,
        obj=membership,
        action="remove",
        from_state=membership.role,
    )
    user = membership.user
    membership.delete()
    if user.current_organisation_id == actor.organisation_id:
        user.current_organisation = None
        user.save(update_fields=["current_organisation"])


def user_switch_organisation(*, user, organisation_id: int) -> Membership:
    """Make ``organisation_id`` the one the user acts for by default."""
    from exchange.organisations.selectors import membership_for_user

    membership = membership_for_user(user=user, organisation_id=organisation_id)
    if user.current_organisation_id != membership.organisation_id:
        user.current_organisation = membership.organisation
        user.save(update_fields=["current_organisation"])
    return membership
