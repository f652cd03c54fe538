"""Wanted requests: what an organisation needs, of what condition, where and until
when. Each write checks every rule first, then stores the request with its denormalised
fields (category path, condition rank, the latitude/longitude box around its site) and
queues it for matching."""

import datetime
from collections.abc import Collection
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from exchange.categories.models import Category
from exchange.common.errors import ApplicationError, CommonError, ErrorKind
from exchange.common.geo import distance_box
from exchange.common.limits import NOTE_MAX, date_ahead_error, texts_check
from exchange.common.services import audit_event_record
from exchange.common.tasks import task_send
from exchange.lots.dimensions import MAX_SIZE_FIELDS, dimensions_check
from exchange.lots.models import CONDITION_RANK, Condition
from exchange.matching.errors import MatchingError
from exchange.matching.models import MAX_DISTANCE_KM, MatchStatus, WantedRequest, WantedStatus
from exchange.organisations.access import require_verified, require_writer
from exchange.organisations.models import Membership, Region, Site


@dataclass
class WantedInput:
    category: Category | None = None
    quantity: int | None = None
    min_condition: str = Condition.FAIR
    site: Site | None = None
    max_distance_km: int | None = None
    region: str = ""
    valid_until: datetime.date | None = None
    note: str = ""
    max_width_cm: int | None = None
    max_depth_cm: int | None = None
    max_height_cm: int | None = None

    FIELDS = (
        "category",
        "quantity",
        "min_condition",
        "site",
        "max_distance_km",
        "region",
        "valid_until",
        "note",
        "max_width_cm",
        "max_depth_cm",
        "max_height_cm",
    )

    @classmethod
    def from_wanted(cls, wanted: WantedRequest, **changes) -> "WantedInput":
        values = {name: getattr(wanted, name) for name in cls.FIELDS}
        values.update(changes)
        return cls(**values)


def wanted_validate(*, actor: Membership, data: WantedInput, invalid: Collection[str] = ()) -> None:
    """Every rule on a request's fields, all errors at once (400); writes nothing.
    ``invalid`` names fields that could not even be parsed (a form's or serializer's
    errors): the rules that combine them with others do not guess at them."""
    errors: dict[str, list[ValidationError]] = {}

    def error(name, message, code):
        errors.setdefault(name, []).append(ValidationError(message, code=code))

    if data.category is None:
        error("category", _("Choose a category."), CommonError.REQUIRED)
    if data.quantity is None or not 1 <= data.quantity <= 100_000:
        error(
            "quantity",
            _("The quantity is a whole number from 1 to 100000."),
            CommonError.OUT_OF_RANGE,
        )
    if data.min_condition not in Condition.values:
        error(
            "min_condition",
            _("Choose one of: %(values)s.") % {"values": ", ".join(Condition.values)},
            CommonError.INVALID_CHOICE,
        )
    if data.site is None and not data.region and not {"site", "region"} & set(invalid):
        error(
            "site", _("Choose one of your sites and a distance, or a region."), CommonError.REQUIRED
        )
    if data.site is not None:
        if data.site.organisation_id != actor.organisation_id:
            error(
                "site",
                _("This site is not one of your organisation's sites."),
                MatchingError.SITE_NOT_OWNED,
            )
        if data.max_distance_km is None or not 1 <= data.max_distance_km <= MAX_DISTANCE_KM:
            error(
                "max_distance_km",
                _("The distance is from 1 to %(max)s km.") % {"max": MAX_DISTANCE_KM},
                CommonError.OUT_OF_RANGE,
            )
    elif data.max_distance_km is not None and "site" not in invalid:
        error(
            "max_distance_km", _("A distance needs one of your sites."), MatchingError.SITE_REQUIRED
        )
    if data.region and data.region not in Region.values:
        error(
            "region",
            _("Choose one of: %(values)s.") % {"values": ", ".join(Region.values)},
            CommonError.INVALID_CHOICE,
        )
    if data.valid_until is None:
        error("valid_until", _("Say until when you need it."), CommonError.REQUIRED)
    elif (
        late := date_ahead_error(data.valid_until, past_code=MatchingError.DATE_IN_PAST)
    ) is not None:
        errors.setdefault("valid_until", []).append(late)
    texts_check(errors, {"note": (data.note, NOTE_MAX)})
    dimensions_check(errors, {name: getattr(data, name) for name in MAX_SIZE_FIELDS})
    if errors:
        raise ApplicationError.from_validation_error(ValidationError(errors))


def wanted_values(data: WantedInput) -> dict[str, object]:
    """A request's field values as ``wanted_create`` and ``wanted_update`` store them:
    the input's, with what the matching filters on copied into the row (category path,
    condition rank, the latitude/longitude box around the site). Pure: nothing is read
    or written."""
    values = {name: getattr(data, name) for name in WantedInput.FIELDS}
    values["note"] = (values["note"] or "").strip()
    values["category_path"] = data.category.path
    values["min_condition_rank"] = CONDITION_RANK[Condition(data.min_condition)]
    if data.site is not None:
        if not data.region:
            values["region"] = ""
        (
            values["min_latitude"],
            values["max_latitude"],
            values["min_longitude"],
            values["max_longitude"],
        ) = distance_box(
            float(data.site.latitude), float(data.site.longitude), data.max_distance_km
        )
    else:
        values["max_distance_km"] = None
        values["min_latitude"] = values["max_latitude"] = None
        values["min_longitude"] = values["max_longitude"] = None
    return values


def _apply(wanted: WantedRequest, data: WantedInput) -> None:
    for name, value in wanted_values(data).items():
        setattr(wanted, name, value)


def _enqueue_wanted(wanted_id: int) -> None:
    from exchange.matching.tasks import match_wanted_task

    task_send(match_wanted_task, wanted_id)


@transaction.atomic
def wanted_create(*, actor: Membership, data: WantedInput) -> WantedRequest:
    require_writer(actor)
    require_verified(actor)
    wanted_validate(actor=actor, data=data)
    wanted = WantedRequest(organisation=actor.organisation, created_by=actor.user)
    _apply(wanted, data)
    wanted.save()
    audit_event_record(
        actor=actor.user,
        organisation=actor.organisation,
        obj=wanted,
        action="create",
        to_state=WantedStatus.OPEN,
    )
    _enqueue_wanted(wanted.pk)
    return wanted


def _require_own_open(actor: Membership, wanted: WantedRequest) -> WantedRequest:
    require_writer(actor)
    if wanted.organisation_id != actor.organisation_id:
        raise ApplicationError(
            code=MatchingError.NOT_YOURS,
            kind=ErrorKind.NOT_FOUND,
            message=_("No such wanted request."),
        )
    wanted = WantedRequest.objects.select_for_update().get(pk=wanted.pk)
    if wanted.status != WantedStatus.OPEN:
        raise ApplicationError(
            code=MatchingError.WANTED_NOT_OPEN,
            kind=ErrorKind.CONFLICT,
            message=_("This request is %(status)s.") % {"status": wanted.get_status_display()},
        )
    return wanted


def _matches_unfit_delete(wanted: WantedRequest) -> None:
    """After an edit, the request's matches that no longer fit it and were not acted on
    (new or seen) go, with their notices. The others keep their id and state (a dismissed
    match stays dismissed, a link in a notice keeps working); the rematch queued after
    commit ranks them again and adds the lots that fit now (engine.match_wanted)."""
    from exchange.matching.services.fits import wanted_fits
    from exchange.matching.services.notices import _people
    from exchange.notifications.models import Notification

    open_matches = dict(
        wanted.matches.filter(status__in=(MatchStatus.NEW, MatchStatus.SEEN)).values_list(
            "lot_id", "pk"
        )
    )
    if not open_matches:
        return
    still = {fit[0] for fit in wanted_fits(wanted, lot_ids=list(open_matches))}
    gone = [pk for lot_id, pk in open_matches.items() if lot_id not in still]
    if gone:
        people = _people({wanted.organisation_id}).get(wanted.organisation_id, [])
        Notification.objects.filter(
            user__in=people, key__in=[f"match:{pk}" for pk in gone]
        ).delete()
        wanted.matches.filter(pk__in=gone).delete()


@transaction.atomic
def wanted_update(*, actor: Membership, wanted: WantedRequest, data: WantedInput) -> WantedRequest:
    wanted = _require_own_open(actor, wanted)
    wanted_validate(actor=actor, data=data)
    _apply(wanted, data)
    wanted.save()
    _matches_unfit_delete(wanted)
    audit_event_record(
        actor=actor.user, organisation=actor.organisation, obj=wanted, action="update"
    )
    _enqueue_wanted(wanted.pk)
    return wanted


@transaction.atomic
def wanted_withdraw(*, actor: Membership, wanted: WantedRequest) -> WantedRequest:
    wanted = _require_own_open(actor, wanted)
    wanted.status = WantedStatus.WITHDRAWN
    wanted.save(update_fields=["status", "updated_at"])
    audit_event_record(
        actor=actor.user,
        organisation=actor.organisation,
        obj=wanted,
        action="withdraw",
        from_state=WantedStatus.OPEN,
        to_state=WantedStatus.WITHDRAWN,
    )
    return wanted


def wanted_claimed_quantity(wanted: WantedRequest) -> int:
    from exchange.claims.models import Claim, ClaimStatus

    claim_ids = wanted.matches.exclude(claim=None).values_list("claim_id", flat=True)
    return (
        Claim.objects.filter(pk__in=claim_ids)
        .exclude(status__in=(ClaimStatus.DECLINED, ClaimStatus.CANCELLED, ClaimStatus.NO_SHOW))
        .aggregate(total=Sum("quantity"))["total"]
        or 0
    )
