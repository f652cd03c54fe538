"""Reuse checks (docs/design.md §8): a buyer describes a planned purchase; the check
answers at once with the lots that fit (``exchange.reuse.selectors``), the buyer claims
from it, and it closes (by the buyer, at the end of its waiting period, or once its
quantity is claimed) with an attestation, or is cancelled without one.

While open, a check searches as a wanted request of its organisation: the matching
engine matches new lots to it and notifies them, once each, like any other request."""

import datetime
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.categories.models import Category
from exchange.claims.models import Claim
from exchange.claims.services import claim_create, claim_eligibility_check
from exchange.common.errors import ApplicationError, CommonError, ErrorKind
from exchange.common.services import audit_event_record
from exchange.lots.models import Condition, Lot
from exchange.matching.models import Match, WantedStatus
from exchange.matching.services.claiming import match_claim_quantity
from exchange.matching.services.fits import wanted_fits
from exchange.matching.services.wanted import (
    WantedInput,
    wanted_create,
    wanted_validate,
    wanted_withdraw,
)
from exchange.organisations.access import require_verified, require_writer
from exchange.organisations.models import Membership, Site
from exchange.reuse.errors import ReuseError
from exchange.reuse.models import CheckStatus, CloseReason, ReuseCheck, ReuseCheckClaim
from exchange.reuse.selectors import reuse_check_claimed_quantity
from exchange.reuse.services.attestations import attestation_issue

MAX_VALUE_EUR = Decimal("1000000000")
MAX_WAITING_DAYS = 365


@dataclass
class CheckInput:
    category: Category | None = None
    quantity: int | None = None
    min_condition: str = Condition.FAIR
    site: Site | None = None
    max_distance_km: int | None = None
    region: str = ""
    needed_by: datetime.date | None = None
    estimated_value_eur: Decimal | None = None
    file_reference: str = ""
    # How many days the check stays open; None: EXCHANGE_REUSE_CHECK_DAYS, never past
    # the needed-by date.
    waiting_days: int | None = None


def waiting_until(data: CheckInput, today: datetime.date) -> datetime.date | None:
    """The last day the check stays open."""
    if data.needed_by is None:
        return None
    if data.waiting_days is None:
        default = today + datetime.timedelta(days=settings.EXCHANGE_REUSE_CHECK_DAYS)
        return min(default, data.needed_by)
    return today + datetime.timedelta(days=data.waiting_days)


def reuse_check_validate(
    *, actor: Membership, data: CheckInput, invalid: Collection[str] = ()
) -> None:
    """Every rule of a new check, each broken one named by its field, all at once (400);
    the rules of what it searches are the wanted request's (``wanted_validate``).
    ``invalid`` names fields that could not be parsed: rules that combine them with
    others do not guess at them."""
    errors: dict[str, list[ValidationError]] = {}

    def error(name, message, code):
        errors.setdefault(name, []).append(ValidationError(message, code=code))

    today = timezone.localdate()
    try:
        wanted_validate(actor=actor, data=_wanted_input(data, valid_until=today), invalid=invalid)
    except ApplicationError as exc:
        for name, messages in exc.errors.items():
            for index, message in enumerate(messages):
                error(name, message, exc.code_of(name, index))
    if data.needed_by is None:
        error("needed_by", _("Say by when you need it."), CommonError.REQUIRED)
    elif data.needed_by < today:
        error("needed_by", _("This date lies in the past."), ReuseError.NEEDED_BY_IN_PAST)
    value = data.estimated_value_eur
    if value is None or not Decimal(0) <= value <= MAX_VALUE_EUR:
        error(
            "estimated_value_eur",
            _("The estimated purchase value is an amount in euros from 0 to 1 000 000 000."),
            CommonError.OUT_OF_RANGE,
        )
    if not (data.file_reference or "").strip():
        error(
            "file_reference", _("Give the reference of the procurement file."), CommonError.REQUIRED
        )
    elif len(data.file_reference.strip()) > 100:
        error("file_reference", _("The reference has at most 100 characters."), CommonError.INVALID)
    if data.waiting_days is not None:
        if not 0 <= data.waiting_days <= MAX_WAITING_DAYS:
            error(
                "waiting_days",
                _("The waiting period is from 0 to %(max)s days.") % {"max": MAX_WAITING_DAYS},
                CommonError.OUT_OF_RANGE,
            )
        elif (
            data.needed_by is not None
            and "needed_by" not in invalid
            and waiting_until(data, today) > data.needed_by
        ):
            error(
                "waiting_days",
                _("The waiting period ends after the date you need it by (%(date)s).")
                % {"date": data.needed_by.isoformat()},
                ReuseError.WAITING_PAST_NEEDED_BY,
            )
    if errors:
        raise ApplicationError.from_validation_error(ValidationError(errors))


def _wanted_input(data: CheckInput, *, valid_until: datetime.date) -> WantedInput:
    return WantedInput(
        category=data.category,
        quantity=data.quantity,
        min_condition=data.min_condition,
        site=data.site,
        max_distance_km=data.max_distance_km,
        region=data.region,
        valid_until=valid_until,
        note=_("Reuse check for procurement file %(reference)s")
        % {"reference": (data.file_reference or "").strip()},
    )


@transaction.atomic
def reuse_check_create(*, actor: Membership, data: CheckInput) -> ReuseCheck:
    """Open a check: its wanted request is matched at once and whenever a lot that fits
    is published or opens to the buyer, until the check's last open day."""
    require_writer(actor)
    require_verified(actor)
    reuse_check_validate(actor=actor, data=data)
    open_until = waiting_until(data, timezone.localdate())
    wanted = wanted_create(actor=actor, data=_wanted_input(data, valid_until=open_until))
    check = ReuseCheck.objects.create(
        organisation=actor.organisation,
        created_by=actor.user,
        wanted=wanted,
        category=data.category,
        quantity=data.quantity,
        min_condition=data.min_condition,
        site=wanted.site,
        max_distance_km=wanted.max_distance_km,
        region=wanted.region,
        needed_by=data.needed_by,
        estimated_value_eur=data.estimated_value_eur,
        file_reference=data.file_reference.strip(),
        open_until=open_until,
    )
    audit_event_record(
        actor=actor.user,
        organisation=actor.organisation,
        obj=check,
        action="create",
        to_state=CheckStatus.OPEN,
    )
    return check


def _locked_own(actor: Membership, check: ReuseCheck) -> ReuseCheck:
    """The actor's check, locked, still open: 404 for another organisation's, 409 once
    it closed or was cancelled."""
    require_writer(actor)
    if check.organisation_id != actor.organisation_id:
        raise ApplicationError(
            code=ReuseError.NOT_YOURS, kind=ErrorKind.NOT_FOUND, message=_("No such reuse check.")
        )
    check = (
        ReuseCheck.objects.select_for_update(of=("self",))
        .select_related("organisation", "wanted")
        .get(pk=check.pk)
    )
    if check.status != CheckStatus.OPEN:
        raise ApplicationError(
            code=ReuseError.CHECK_CLOSED,
            kind=ErrorKind.CONFLICT,
            message=_("This reuse check is %(status)s: it no longer changes.")
            % {"status": check.get_status_display()},
        )
    return check


@transaction.atomic
def reuse_check_update(
    *, actor: Membership, check: ReuseCheck, file_reference=None, estimated_value_eur=None
) -> ReuseCheck:
    """Correct the file reference or the estimated value of an open check (409 once its
    attestation is issued)."""
    check = _locked_own(actor, check)
    data = CheckInput(
        category=check.category,
        quantity=check.quantity,
        min_condition=check.min_condition,
        site=check.site,
        max_distance_km=check.max_distance_km,
        region=check.region,
        needed_by=max(check.needed_by, timezone.localdate()),
        estimated_value_eur=(
            check.estimated_value_eur if estimated_value_eur is None else estimated_value_eur
        ),
        file_reference=check.file_reference if file_reference is None else file_reference,
    )
    reuse_check_validate(actor=actor, data=data)
    check.file_reference = data.file_reference.strip()
    check.estimated_value_eur = data.estimated_value_eur
    check.save(update_fields=["file_reference", "estimated_value_eur", "updated_at"])
    audit_event_record(
        actor=actor.user, organisation=actor.organisation, obj=check, action="update"
    )
    return check


@transaction.atomic
def reuse_check_claim(
    *, actor: Membership, check: ReuseCheck, lot: Lot, quantity: int | None = None
) -> Claim:
    """Claim a lot the check offers, in one step: by default what the check still needs,
    at most what the lot has left (the rule of claiming from a match). The check is
    locked meanwhile, so that claims from it never add up past its quantity; it closes,
    with its attestation, once they cover it."""
    check = _locked_own(actor, check)
    _match_claims_adopt(check)
    still_needed = check.quantity - reuse_check_claimed_quantity(check)
    lot = Lot.objects.select_related("owner").get(pk=lot.pk)
    claim_eligibility_check(actor=actor, lot=lot)
    if not wanted_fits(check.wanted, lot_ids=[lot.pk]):
        raise ApplicationError(
            code=ReuseError.LOT_NOT_OFFERED,
            kind=ErrorKind.CONFLICT,
            field="lot",
            message=_("This lot does not fit this reuse check (any more)."),
        )
    if quantity is None:
        quantity = match_claim_quantity(still_wanted=still_needed, lot=lot)
    elif not 1 <= quantity <= still_needed:
        raise ApplicationError(
            code=ReuseError.QUANTITY_BEYOND_NEED,
            field="quantity",
            message=_("Claim from 1 to %(count)s units: what the check still needs.")
            % {"count": still_needed},
        )
    claim = claim_create(
        actor=actor,
        lot=lot,
        quantity=quantity,
        note=_("Claimed from the reuse check for procurement file %(reference)s.")
        % {"reference": check.file_reference},
    )
    ReuseCheckClaim.objects.create(check_ref=check, claim=claim)
    if reuse_check_claimed_quantity(check) >= check.quantity:
        _close(check, reason=CloseReason.FULLY_CLAIMED, actor=actor)
    return claim


def _match_claims_adopt(check: ReuseCheck) -> None:
    """The claims made from the matches of the check's wanted request (a buyer told of
    a new lot claims it from the match) are claims from the check too: recorded once
    each, before the check counts what it met."""
    ReuseCheckClaim.objects.bulk_create(
        [
            ReuseCheckClaim(check_ref=check, claim_id=claim_id)
            for claim_id in Match.objects.filter(wanted_id=check.wanted_id, claim__isnull=False)
            .exclude(claim__reuse_check_claim__isnull=False)
            .values_list("claim_id", flat=True)
        ],
        ignore_conflicts=True,
    )


@transaction.atomic
def reuse_check_match_claimed(*, actor: Membership, wanted_id: int) -> ReuseCheck | None:
    """A claim made from a match of a check's wanted request counts for the check at
    once: recorded as one of its claims, and the check closes, with its attestation,
    once its claims cover it. Nothing for a request that is no check's, or for a check
    closed meanwhile. Returns the check, or None."""
    check = (
        ReuseCheck.objects.select_for_update(of=("self",))
        .filter(wanted_id=wanted_id, status=CheckStatus.OPEN)
        .select_related("wanted")
        .first()
    )
    if check is None:
        return None
    _match_claims_adopt(check)
    if reuse_check_claimed_quantity(check) >= check.quantity:
        _close(check, reason=CloseReason.FULLY_CLAIMED, actor=actor)
    return check


def _close(check: ReuseCheck, *, reason: str, actor: Membership | None) -> ReuseCheck:
    _match_claims_adopt(check)
    now = timezone.now()
    check.status, check.close_reason, check.closed_at = CheckStatus.CLOSED, reason, now
    check.save(update_fields=["status", "close_reason", "closed_at", "updated_at"])
    _wanted_stop(check, actor)
    audit_event_record(
        actor=actor.user if actor else None,
        organisation=check.organisation,
        obj=check,
        action="close",
        from_state=CheckStatus.OPEN,
        to_state=CheckStatus.CLOSED,
        data={"reason": reason},
    )
    buyer = actor.user if actor else check.created_by
    attestation_issue(check=check, language=getattr(buyer, "language", None), buyer=buyer)
    return check


def _wanted_stop(check: ReuseCheck, actor: Membership | None) -> None:
    """The check's wanted request stops searching. Without an acting member (the end
    of the waiting period) it ends by itself: its last day was the check's."""
    if actor is not None and check.wanted.status == WantedStatus.OPEN:
        wanted_withdraw(actor=actor, wanted=check.wanted)


@transaction.atomic
def reuse_check_close(*, actor: Membership, check: ReuseCheck) -> ReuseCheck:
    """Close an open check now and issue its attestation (409 if it is not open)."""
    return _close(_locked_own(actor, check), reason=CloseReason.BY_BUYER, actor=actor)


@transaction.atomic
def reuse_check_cancel(*, actor: Membership, check: ReuseCheck) -> ReuseCheck:
    """Cancel an open check: it stays on record as cancelled, with no attestation; the
    claims made from it stay what they are."""
    check = _locked_own(actor, check)
    check.status, check.closed_at = CheckStatus.CANCELLED, timezone.now()
    check.save(update_fields=["status", "closed_at", "updated_at"])
    _wanted_stop(check, actor)
    audit_event_record(
        actor=actor.user,
        organisation=actor.organisation,
        obj=check,
        action="cancel",
        from_state=CheckStatus.OPEN,
        to_state=CheckStatus.CANCELLED,
    )
    return check


def reuse_checks_close_due(*, now=None) -> int:
    """The periodic job: close, with their attestations, the open checks whose waiting
    period ended, and those whose wanted request the claims from its matches fulfilled.
    One transaction per check; a check closed meanwhile is left alone. Returns how many
    it closed."""
    today = timezone.localdate(now or timezone.now())
    closed = 0
    due = ReuseCheck.objects.filter(status=CheckStatus.OPEN).filter(
        Q(open_until__lt=today) | Q(wanted__status=WantedStatus.FULFILLED)
    )
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            check = (
                ReuseCheck.objects.select_for_update(of=("self",))
                .select_related("organisation", "wanted", "created_by")
                .filter(pk=pk, status=CheckStatus.OPEN)
                .first()
            )
            if check is not None:
                _match_claims_adopt(check)
                fully = reuse_check_claimed_quantity(check) >= check.quantity
                reason = CloseReason.FULLY_CLAIMED if fully else CloseReason.PERIOD_ENDED
                _close(check, reason=reason, actor=None)
                closed += 1
    return closed
