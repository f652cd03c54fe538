"""Claims: who gets what, never more than there is (docs/design.md §3).

The quantity a claim holds is reserved at once with a conditional UPDATE on the lot's
``quantity_reserved`` counter (guarded by a CHECK constraint), in a short transaction,
so that concurrent claimants can never over-allocate a lot.
"""

import datetime
from collections.abc import Collection
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Case, F, Sum, Value, When
from django.db.models.sql import InsertQuery
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from exchange.claims.errors import ClaimError
from exchange.claims.models import (
    LIVE_STATUSES,
    Claim,
    ClaimStatus,
    PickupSlot,
    PickupSlotStatus,
)
from exchange.claims.signals import claim_collected
from exchange.claims.transitions import CLAIM_TRANSITIONS, ClaimAction, transition_check
from exchange.common.errors import ApplicationError, CommonError, ErrorKind
from exchange.common.limits import NOTE_MAX, texts_check, texts_require
from exchange.common.models import AuditEvent
from exchange.common.services import audit_event_build, audit_event_record
from exchange.lots.eligibility import (
    eligibility_kind,
    first_tier,
    tier_allows,
    tier_at,
    window_opens_at,
)
from exchange.lots.errors import LotError
from exchange.lots.models import Lot, LotStatus, Tier
from exchange.lots.selectors import lot_claim_target
from exchange.notifications.models import Notification
from exchange.notifications.services import notices_email, notices_render
from exchange.organisations.access import require_verified, require_writer
from exchange.organisations.models import Membership
from exchange.organisations.notices import notify_organisation, organisation_people

MAX_MEASURED_WEIGHT_KG = Decimal("1000000")


def _conflict(code: str, message: str, **extra) -> ApplicationError:
    return ApplicationError(code=code, kind=ErrorKind.CONFLICT, message=message, extra=extra)


def _forbidden(code: str, message: str, **extra) -> ApplicationError:
    return ApplicationError(code=code, kind=ErrorKind.FORBIDDEN, message=message, extra=extra)


def _when(moment: datetime.datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def claim_eligibility_check(*, actor: Membership, lot: Lot, now=None) -> None:
    """Refuse (403/409) unless the actor's organisation may claim this lot now."""
    organisation = actor.organisation
    if lot.owner_id == organisation.pk:
        raise _forbidden(ClaimError.OWN_LOT, _("You cannot claim your own organisation's lot."))
    if lot.status not in (LotStatus.PUBLISHED, LotStatus.RESERVED):
        raise _conflict(
            ClaimError.LOT_NOT_OPEN,
            _("This lot is %(status)s: it takes no claims.") % {"status": lot.get_status_display()},
        )
    now = now or timezone.now()
    tier = tier_at(lot, now)
    kind = eligibility_kind(organisation, timezone.localdate(now))
    if not tier_allows(tier, kind):
        opens = window_opens_at(lot, first_tier(kind))
        raise _forbidden(
            ClaimError.NOT_ELIGIBLE_YET,
            _("Claims are now open to: %(tier)s. Your organisation may claim from %(opens)s.")
            % {"tier": Tier(tier).label, "opens": _when(opens)},
            tier=tier,
            opens_at=opens.isoformat(),
        )


def _reserve(lot: Lot, quantity: int) -> bool:
    """Take ``quantity`` units of a published lot, all or nothing; the lot becomes
    reserved when nothing is left. One UPDATE: the database arbitrates concurrency, and
    the lot's row stays locked until the transaction ends. On success ``lot`` holds what
    the UPDATE wrote (its reserved units and status)."""
    sql, params = _reserve_sql(lot, quantity)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    lot.quantity_reserved, lot.status, lot.updated_at = row
    return True


def _reserve_sql(lot: Lot, quantity: int) -> tuple[str, list]:
    table = connection.ops.quote_name(Lot._meta.db_table)
    return (
        f"UPDATE {table} SET quantity_reserved = quantity_reserved + %s, "  # noqa: S608
        "status = CASE WHEN quantity = quantity_reserved + %s THEN %s ELSE status END, "
        "updated_at = %s "
        "WHERE id = %s AND status = %s AND quantity_reserved <= quantity - %s "
        "RETURNING quantity_reserved, status, updated_at",
        [
            quantity,
            quantity,
            LotStatus.RESERVED,
            timezone.now(),
            lot.pk,
            LotStatus.PUBLISHED,
            quantity,
        ],
    )


def _release(lot_id: int, quantity: int) -> None:
    """Give ``quantity`` units back; a reserved lot is published again."""
    if quantity <= 0:
        return
    Lot.objects.filter(pk=lot_id).update(
        quantity_reserved=F("quantity_reserved") - quantity,
        status=Case(
            When(status=LotStatus.RESERVED, then=Value(LotStatus.PUBLISHED)),
            default=F("status"),
        ),
        updated_at=timezone.now(),
    )


def claim_validate(*, quantity: int | None, note: str = "", invalid: Collection[str] = ()) -> None:
    """Every rule on what a claim asks for, all errors at once (400); what is left of
    the lot is a state, answered by ``claim_create`` (409)."""
    errors: dict[str, list[ValidationError]] = {}
    if "quantity" not in invalid and (not isinstance(quantity, int) or quantity < 1):
        errors["quantity"] = [
            ValidationError(_("Claim at least 1 unit."), code=ClaimError.INVALID_QUANTITY)
        ]
    texts_check(errors, {"note": (note, NOTE_MAX)})
    if errors:
        raise ApplicationError.from_validation_error(ValidationError(errors))


def claim_create(*, actor: Membership, lot: Lot | int, quantity: int, note: str = "") -> Claim:
    """Claim ``quantity`` units of a lot for the actor's organisation.

    A claim of more than the lot had left when read is refused at once (409), without
    touching the lot's row. Otherwise everything the claim writes is made ready first
    (the claim, its audit event, its notices rendered for their people), then written
    together with the reservation, the one conditional UPDATE of the lot's counter, which
    decides: when the units went meanwhile (or the lot closed), nothing is written and
    the answer says why. Concurrent claimants of a lot wait on its row only while that
    write runs: on PostgreSQL it is one statement (``_claim_write``). ``lot`` is read
    again with its owner; given by its id (the API), it is looked up as
    ``lot_claim_target`` says (400 ``lot_not_found`` for a lot the actor cannot name)."""
    read = isinstance(lot, int)
    if read:  # the API's lot id: its one read
        lot = _claim_target(actor, lot)
    require_writer(actor)
    require_verified(actor)
    claim_validate(quantity=quantity, note=note)
    if not read:
        lot = Lot.objects.select_related("owner").get(pk=lot.pk)
    claim_eligibility_check(actor=actor, lot=lot)
    if lot.quantity_available < quantity:
        raise _not_enough_left(lot)
    auto = lot.owner.auto_approve_claims
    now = timezone.now()
    claim = Claim(
        lot=lot,
        claimant=actor.organisation,
        claimed_by=actor.user,
        quantity=quantity,
        note=(note or "").strip(),
        tier=lot.tier_at(now),
        status=ClaimStatus.APPROVED if auto else ClaimStatus.PENDING,
        decided_at=now if auto else None,
        status_changed_at=now,
    )
    notices = [_notices_render(claim, "created", to_owner=True)]
    if auto:  # approved at once: the claimant hears what an approval tells
        notices.append(
            _notices_render(claim, CLAIM_TRANSITIONS[ClaimAction.APPROVE].notice, to_owner=False)
        )
    if not _claim_write(actor, lot, claim, notices):
        lot.refresh_from_db(fields=["quantity", "quantity_reserved", "status"])
        if lot.status not in (LotStatus.PUBLISHED, LotStatus.RESERVED):
            raise _conflict(ClaimError.LOT_NOT_OPEN, _("This lot takes no claims any more."))
        raise _not_enough_left(lot)
    return claim


def _claim_target(actor: Membership, lot_id: int) -> Lot:
    """The lot a claim names by its id, with its owner (``lot_claim_target``)."""
    lot = lot_claim_target(actor=actor, pk=lot_id)
    if lot is None:
        raise ApplicationError(
            code=LotError.NOT_FOUND,
            field="lot",
            kind=ErrorKind.INVALID,
            message=_("No published lot with this id."),
        )
    return lot


def _claim_write(actor: Membership, lot: Lot, claim: Claim, notices: list) -> bool:
    """Take the claim's units (``_reserve``) and write the claim, its audit event and
    its notices (``_notices_render``'s), all or nothing; False (nothing written) when the
    units are not there. The notices are e-mailed after commit."""
    if connection.vendor == "postgresql":
        return _claim_write_one_statement(actor, lot, claim, notices)
    with transaction.atomic():
        if not _reserve(lot, claim.quantity):
            return False
        claim.save(force_insert=True)
        _claim_audit_event(actor, claim).save(force_insert=True)
        for event, rendered in notices:
            _notices_prepare(claim, event, rendered)
            Notification.objects.bulk_create(rendered)
            notices_email(rendered)
    return True


def _claim_audit_event(actor: Membership, claim: Claim) -> AuditEvent:
    return audit_event_build(
        actor=actor.user,
        organisation=actor.organisation,
        obj=claim,
        action="create",
        to_state=claim.status,
        data={"lot": claim.lot_id, "quantity": claim.quantity},
    )


def _claim_write_one_statement(actor: Membership, lot: Lot, claim: Claim, notices: list) -> bool:
    """``_claim_write`` on PostgreSQL: the reservation and every row in one statement,
    each INSERT reading from the UPDATE (no row when the UPDATE took nothing). Outside a
    transaction the statement commits by itself, so the lot's row is locked only while
    PostgreSQL runs it, as for a bare UPDATE; inside one (a match claimed, an
    Idempotency-Key) until that commits. The claim's id is drawn first (an id drawn for
    a refused claim is never used)."""
    claim_table = connection.ops.quote_name(Claim._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [claim_table])
        claim.pk = cursor.fetchone()[0]
        rows = [claim, _claim_audit_event(actor, claim)]
        for event, rendered in notices:
            rows += _notices_prepare(claim, event, rendered)
        reserve, params = _reserve_sql(lot, claim.quantity)
        ctes = [f"taken AS ({reserve})"]
        for index, row in enumerate(rows):
            sql, row_params = _insert_from_taken(row)
            ctes.append(f"row{index} AS ({sql})")
            params += row_params
        notice_ids = ", ".join(
            f"(SELECT id FROM row{index})"  # noqa: S608
            for index, row in enumerate(rows)
            if isinstance(row, Notification)
        )
        cursor.execute(
            f"WITH {', '.join(ctes)} SELECT quantity_reserved, status, updated_at, "  # noqa: S608
            f"ARRAY[{notice_ids}]::bigint[] FROM taken",
            params,
        )
        taken = cursor.fetchone()
    if taken is None:
        claim.pk = None
        return False
    lot.quantity_reserved, lot.status, lot.updated_at, ids = taken
    claim._state.adding, claim._state.db = False, connection.alias
    written = [row for row in rows if isinstance(row, Notification)]
    for notification, pk in zip(written, ids, strict=True):
        notification.pk = pk
        notification._state.adding, notification._state.db = False, connection.alias
    notices_email(written)
    return True


def _insert_from_taken(row) -> tuple[str, list]:
    """``INSERT INTO <row's table> (<columns>) SELECT <values> FROM taken`` for a model
    instance, with the values Django itself would insert (``auto_now_add`` filled)."""
    fields = [
        field
        for field in row._meta.local_concrete_fields
        if not (field.primary_key and row.pk is None)
    ]
    query = InsertQuery(type(row))
    query.insert_values(fields, [row])
    compiler = query.get_compiler(connection=connection)
    compiler.returning_fields = [row._meta.pk] if row.pk is None else None
    ((sql, params),) = compiler.as_sql()
    head, rest = sql.split(" VALUES (", 1)
    values, returning = rest.rsplit(")", 1)
    return f"{head} SELECT {values} FROM taken{returning}", list(params)  # noqa: S608


def _not_enough_left(lot: Lot) -> ApplicationError:
    return _conflict(
        ClaimError.NOT_ENOUGH_LEFT,
        _("Only %(left)s of %(quantity)s units are left.")
        % {"left": lot.quantity_available, "quantity": lot.quantity},
        quantity_available=lot.quantity_available,
    )


def _locked_claim(claim: Claim) -> Claim:
    return (
        Claim.objects.select_for_update().select_related("lot__owner", "claimant").get(pk=claim.pk)
    )


def _act(
    actor: Membership,
    claim: Claim,
    action: ClaimAction,
    *,
    fields: dict | None = None,
    data: dict | None = None,
    event: str | None = None,
) -> Claim:
    """Take an action whose ``transition_check`` passed, as the table says: the claim's
    new status and ``fields``, the audit event, the units back to the lot, and the
    notice to the other side (its key ``event``, where one claim may see it again)."""
    transition = CLAIM_TRANSITIONS[action]
    old = claim.status
    fields = dict(fields or {})
    if transition.target != old:
        fields.update(status=transition.target, status_changed_at=timezone.now())
    for name, value in fields.items():
        setattr(claim, name, value)
    claim.save(update_fields=[*fields, "updated_at"])
    moved = transition.target != old
    audit_event_record(
        actor=actor.user,
        organisation=actor.organisation,
        obj=claim,
        action=action,
        from_state=old if moved else "",
        to_state=transition.target if moved else "",
        data=data,
    )
    if transition.gives_back:
        _release(claim.lot_id, claim.quantity)
    to_owner = actor.organisation_id == claim.claimant_id
    _notify(claim, event or transition.notice, to_owner=to_owner, template=transition.notice)
    return claim


@transaction.atomic
def claim_approve(*, actor: Membership, claim: Claim) -> Claim:
    claim = _locked_claim(claim)
    transition_check(actor=actor, claim=claim, action=ClaimAction.APPROVE)
    fields = {"decided_at": timezone.now(), "owner_contact": actor.user}
    return _act(actor, claim, ClaimAction.APPROVE, fields=fields)


@transaction.atomic
def claim_decline(*, actor: Membership, claim: Claim, reason: str) -> Claim:
    if not (reason or "").strip():
        raise ApplicationError(
            code=ClaimError.REASON_REQUIRED,
            field="reason",
            message=_("Say why you decline the claim."),
        )
    texts_require({"reason": (reason, NOTE_MAX)})
    claim = _locked_claim(claim)
    transition_check(actor=actor, claim=claim, action=ClaimAction.DECLINE)
    fields = {"decline_reason": reason.strip(), "decided_at": timezone.now()}
    return _act(actor, claim, ClaimAction.DECLINE, fields=fields)


@transaction.atomic
def claim_cancel(*, actor: Membership, claim: Claim) -> Claim:
    claim = _locked_claim(claim)
    transition_check(actor=actor, claim=claim, action=ClaimAction.CANCEL)
    return _act(actor, claim, ClaimAction.CANCEL)


@transaction.atomic
def claim_schedule(*, actor: Membership, claim: Claim, pickup_at: datetime.datetime) -> Claim:
    """The owner or the claimant sets the pickup slot of an approved claim."""
    if pickup_at is None or pickup_at <= timezone.now():
        raise ApplicationError(
            code=ClaimError.PICKUP_IN_PAST,
            field="pickup_at",
            message=_("The pickup slot must lie in the future."),
        )
    claim = _locked_claim(claim)
    transition_check(actor=actor, claim=claim, action=ClaimAction.SCHEDULE)
    return _pickup_set(actor, claim, pickup_at)


def _pickup_set(
    actor: Membership, claim: Claim, pickup_at: datetime.datetime, *, keep: int | None = None
) -> Claim:
    """The agreed pickup becomes ``pickup_at``: the slot accepted before and the other
    proposals are replaced (all but the slot ``keep``, the one being accepted)."""
    PickupSlot.objects.filter(
        claim=claim, status__in=(PickupSlotStatus.ACCEPTED, PickupSlotStatus.PROPOSED)
    ).exclude(pk=keep).update(status=PickupSlotStatus.SUPERSEDED, updated_at=timezone.now())
    previous = claim.pickup_at
    return _act(
        actor,
        claim,
        ClaimAction.SCHEDULE,
        fields={"pickup_at": pickup_at},
        data={
            "pickup_at": pickup_at.isoformat(),
            "previous": previous.isoformat() if previous else None,
        },
        event=f"scheduled:{pickup_at.isoformat()}",
    )


@transaction.atomic
def claim_no_show(
    *, actor: Membership, claim: Claim, now: datetime.datetime | None = None
) -> Claim:
    claim = _locked_claim(claim)
    transition_check(actor=actor, claim=claim, action=ClaimAction.NO_SHOW, now=now)
    return _act(actor, claim, ClaimAction.NO_SHOW)


def approved_quantity(claim: Claim | None) -> int | None:
    """The quantity a handover of ``claim`` may record at most, when it is approved."""
    if claim is None or claim.status != ClaimStatus.APPROVED:
        return None
    return claim.quantity


def claim_collect_validate(
    *,
    quantity: int | None,
    weight_kg: Decimal | None = None,
    approved: int | None = None,
    invalid: Collection[str] = (),
) -> None:
    """Every rule on what a handover records, all errors at once (400): at least one
    unit, at most the ``approved`` quantity (when known), a positive measured weight."""
    errors: dict[str, list[ValidationError]] = {}
    if "quantity" not in invalid:
        if not isinstance(quantity, int) or quantity < 1:
            errors["quantity"] = [
                ValidationError(_("Confirm at least 1 collected unit."), code=CommonError.INVALID)
            ]
        elif approved is not None and quantity > approved:
            errors["quantity"] = [
                ValidationError(
                    _("At most %(quantity)s units were approved.") % {"quantity": approved},
                    code=ClaimError.MORE_THAN_APPROVED,
                )
            ]
    if (
        "weight_kg" not in invalid
        and weight_kg is not None
        and not Decimal(0) < Decimal(weight_kg) <= MAX_MEASURED_WEIGHT_KG
    ):
        errors["weight_kg"] = [
            ValidationError(_("The measured weight is more than 0 kg."), code=CommonError.INVALID)
        ]
    if errors:
        raise ApplicationError.from_validation_error(ValidationError(errors))


def claim_collect(
    *,
    actor: Membership,
    claim: Claim,
    quantity: int,
    weight_kg: Decimal | None = None,
    before_slot_confirmed: bool = False,
    now: datetime.datetime | None = None,
) -> Claim:
    """The handover: the owner confirms what was collected; the impact record follows in
    a task. Units approved but not collected go back to the lot. A handover before the
    agreed pickup slot is recorded only once the owner confirms it (409 until then)."""
    claim_collect_validate(quantity=quantity, weight_kg=weight_kg)
    with transaction.atomic():
        claim = _locked_claim(claim)
        transition_check(actor=actor, claim=claim, action=ClaimAction.COLLECT)
        claim_collect_validate(quantity=quantity, weight_kg=weight_kg, approved=claim.quantity)
        now = now or timezone.now()
        if claim.pickup_at is not None and now < claim.pickup_at and not before_slot_confirmed:
            raise ApplicationError(
                code=ClaimError.HANDOVER_BEFORE_SLOT,
                kind=ErrorKind.CONFLICT,
                field="before_slot_confirmed",
                message=_(
                    "The agreed pickup slot is %(slot)s, still to come. Confirm that the "
                    "handover took place before it."
                )
                % {"slot": _when(claim.pickup_at)},
                extra={"pickup_at": claim.pickup_at.isoformat()},
            )
        fields = {
            "collected_quantity": quantity,
            "measured_weight_kg": weight_kg,
            "collected_at": now,
        }
        claim = _act(actor, claim, ClaimAction.COLLECT, fields=fields)
        _release(claim.lot_id, claim.quantity - quantity)
        _lot_close_if_all_collected(claim.lot_id, actor)
        transaction.on_commit(lambda: claim_collected.send(sender=Claim, claim=claim))
    return claim


def _lot_close_if_all_collected(lot_id: int, actor: Membership) -> None:
    """A lot whose every unit was collected is closed."""
    collected = (
        Claim.objects.filter(lot_id=lot_id, status=ClaimStatus.COLLECTED).aggregate(
            total=Sum("collected_quantity")
        )["total"]
        or 0
    )
    lot = Lot.objects.get(pk=lot_id)
    if collected >= lot.quantity and lot.status != LotStatus.CLOSED:
        old = lot.status
        Lot.objects.filter(pk=lot_id).update(
            status=LotStatus.CLOSED, status_changed_at=timezone.now()
        )
        audit_event_record(
            actor=actor.user,
            organisation=actor.organisation,
            obj=lot,
            action="close",
            from_state=old,
            to_state=LotStatus.CLOSED,
        )


def _notify(claim: Claim, event: str, *, to_owner: bool, template: str | None = None) -> None:
    """Tell the other side of a claim what happened (in-app and e-mail)."""
    template = template or event
    organisation = claim.lot.owner if to_owner else claim.claimant
    notify_organisation(
        organisation=organisation,
        kind=f"claim_{template}",
        key=f"claim:{claim.pk}:{event}",
        title=CLAIM_TITLES[template],
        title_params={"lot": claim.lot.title},
        template=f"claims/notifications/{template}.txt",
        context={"claim": claim, "lot": claim.lot},
        url=reverse("claims:detail", args=[claim.pk]),
    )


def _notices_render(claim: Claim, event: str, *, to_owner: bool) -> tuple[str, list]:
    """The notices of ``_notify`` for a claim not written yet: rendered for their
    people, without their key and link (``_notices_prepare`` adds them)."""
    organisation = claim.lot.owner if to_owner else claim.claimant
    return event, notices_render(
        users=organisation_people(organisation=organisation),
        title=CLAIM_TITLES[event],
        title_params={"lot": claim.lot.title},
        template=f"claims/notifications/{event}.txt",
        context={"claim": claim, "lot": claim.lot},
    )


def _notices_prepare(claim: Claim, event: str, notices: list) -> list:
    """The rendered notices with the kind, key and link ``_notify`` gives them, now that
    the claim has its id; a new claim's keys are new, so nobody has them yet."""
    url = reverse("claims:detail", args=[claim.pk])
    for notice in notices:
        notice.kind, notice.key, notice.url = f"claim_{event}", f"claim:{claim.pk}:{event}", url
    return notices


CLAIM_TITLES = {
    "created": gettext_noop("New claim on your lot: %(lot)s"),
    "approved": gettext_noop("Your claim was approved: %(lot)s"),
    "declined": gettext_noop("Your claim was declined: %(lot)s"),
    "cancelled": gettext_noop("A claim on your lot was cancelled: %(lot)s"),
    "scheduled": gettext_noop("Pickup slot set: %(lot)s"),
    "no_show": gettext_noop("Missed pickup recorded: %(lot)s"),
    "collected": gettext_noop("Handover confirmed: %(lot)s"),
    "message": gettext_noop("New message about your claim on %(lot)s"),
    "slot_proposed": gettext_noop("A pickup slot is proposed: %(lot)s"),
}


def claims_settled_check(lot: Lot) -> None:
    """Refuse (409) to close a lot while pending or approved claims hold its units
    (registered with the lots' closing at start-up)."""
    if Claim.objects.filter(lot=lot, status__in=LIVE_STATUSES).exists():
        raise _conflict(
            ClaimError.LIVE_CLAIMS,
            _("Some claims are still pending or approved: settle them first."),
        )
