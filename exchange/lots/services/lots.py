"""A lot's lifecycle: draft -> published -> (reserved -> closed) | expired | withdrawn."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.postgres.search import SearchVector
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.categories.models import Category
from exchange.common.errors import ApplicationError, CommonError, ErrorKind
from exchange.common.limits import (
    DESCRIPTION_MAX,
    NOTE_MAX,
    REASON_MAX,
    TITLE_MAX,
    date_ahead_error,
    texts_check,
)
from exchange.common.services import audit_event_record
from exchange.common.storage import delete_files_on_commit
from exchange.lots.dimensions import SIZE_FIELDS, dimensions_check
from exchange.lots.eligibility import (
    platform_window_days,
    tier_to_announce_condition,
    window_dates,
    window_days,
)
from exchange.lots.errors import LotError
from exchange.lots.models import (
    CONDITION_RANK,
    MAX_QUANTITY,
    MAX_UNIT_WEIGHT_KG,
    Condition,
    Lot,
    LotItem,
    LotStatus,
    SanitisationAttestation,
    Tier,
)
from exchange.lots.search import SEARCH_CONFIG, lot_search_document
from exchange.lots.signals import lot_published, lot_tier_opened
from exchange.organisations.access import require_verified, require_writer
from exchange.organisations.models import Membership, Site


@dataclass
class ItemInput:
    serial_number: str = ""
    asset_tag: str = ""
    make_model: str = ""
    media_type: str = ""

    @classmethod
    def from_item(cls, item: LotItem) -> "ItemInput":
        return cls(
            serial_number=item.serial_number,
            asset_tag=item.asset_tag,
            make_model=item.make_model,
            media_type=item.media_type,
        )


@dataclass
class LotInput:
    """What a person fills in for a lot; every field is checked by ``lot_validate``."""

    site: Site | None = None
    category: Category | None = None
    title: str = ""
    description: str = ""
    quantity: int | None = None
    unit_weight_kg: Decimal | None = None
    unit_weight_measured: bool = False
    condition: str = ""
    available_until: datetime.date | None = None
    pickup_notes: str = ""
    width_cm: int | None = None
    depth_cm: int | None = None
    height_cm: int | None = None
    federal_window_days: int | None = None
    social_economy_window_days: int | None = None
    window_reason: str = ""
    items: list[ItemInput] | None = None  # None: leave the items as they are

    LOT_FIELDS = (
        "site",
        "category",
        "title",
        "description",
        "quantity",
        "unit_weight_kg",
        "unit_weight_measured",
        "condition",
        "available_until",
        "pickup_notes",
        "width_cm",
        "depth_cm",
        "height_cm",
        "federal_window_days",
        "social_economy_window_days",
        "window_reason",
    )

    @classmethod
    def from_lot(cls, lot: Lot, **changes) -> "LotInput":
        values = {name: getattr(lot, name) for name in cls.LOT_FIELDS}
        values.update(changes)
        return cls(**values)


def _error(errors: dict, name: str, message: str, code: str) -> None:
    errors.setdefault(name, []).append(ValidationError(message, code=code))


def lot_validate(*, actor: Membership, data: LotInput, lot: Lot | None = None) -> None:
    """Every rule on a lot's fields, all errors at once (400); writes nothing."""
    errors: dict[str, list[ValidationError]] = {}
    if not (data.title or "").strip():
        _error(errors, "title", _("Give the lot a title."), CommonError.REQUIRED)
    if data.site is None:
        _error(
            errors, "site", _("Choose the site where the lot is picked up."), CommonError.REQUIRED
        )
    elif data.site.organisation_id != actor.organisation_id:
        _error(
            errors,
            "site",
            _("This site is not one of your organisation's sites."),
            LotError.SITE_NOT_OWNED,
        )
    if data.category is None:
        _error(errors, "category", _("Choose a category."), LotError.UNKNOWN_CATEGORY)
    if data.quantity is None or not 1 <= data.quantity <= MAX_QUANTITY:
        _error(
            errors,
            "quantity",
            _("The quantity is a whole number from 1 to %(max)s.") % {"max": MAX_QUANTITY},
            CommonError.OUT_OF_RANGE,
        )
    if data.unit_weight_kg is not None and not 0 < data.unit_weight_kg <= MAX_UNIT_WEIGHT_KG:
        _error(
            errors,
            "unit_weight_kg",
            _("The unit weight is more than 0 and at most %(max)s kg.")
            % {"max": MAX_UNIT_WEIGHT_KG},
            CommonError.OUT_OF_RANGE,
        )
    if data.condition not in Condition.values:
        _error(
            errors,
            "condition",
            _("Choose one of: %(values)s.") % {"values": ", ".join(Condition.values)},
            CommonError.INVALID_CHOICE,
        )
    if data.available_until is None:
        _error(
            errors,
            "available_until",
            _("Say until when the lot can be picked up."),
            CommonError.REQUIRED,
        )
    elif (
        late := date_ahead_error(data.available_until, past_code=LotError.DATE_IN_PAST)
    ) is not None:
        errors.setdefault("available_until", []).append(late)
    texts_check(
        errors,
        {
            "title": (data.title, TITLE_MAX),
            "description": (data.description, DESCRIPTION_MAX),
            "pickup_notes": (data.pickup_notes, NOTE_MAX),
            "window_reason": (data.window_reason, REASON_MAX),
        },
    )
    dimensions_check(errors, {name: getattr(data, name) for name in SIZE_FIELDS})
    _validate_windows(errors, data)
    if data.items is not None:
        _validate_items(errors, actor=actor, data=data, lot=lot)
    if errors:
        raise ApplicationError.from_validation_error(ValidationError(errors))


def _validate_windows(errors: dict, data: LotInput) -> None:
    shortened = False
    for name, default in platform_window_days().items():
        value = getattr(data, name)
        if value is None:
            continue
        if value < 0 or value > default:
            _error(
                errors,
                name,
                _("A claim window lasts from 0 to %(days)s days.") % {"days": default},
                LotError.WINDOW_TOO_LONG,
            )
        elif value < default:
            shortened = True
    if shortened and not (data.window_reason or "").strip():
        _error(
            errors,
            "window_reason",
            _("Say why this lot shortens the claim windows."),
            LotError.WINDOW_REASON_REQUIRED,
        )


def _validate_items(errors: dict, *, actor: Membership, data: LotInput, lot: Lot | None) -> None:
    items = data.items or []
    if data.quantity is not None and len(items) > data.quantity:
        _error(
            errors,
            "items",
            _("The lot lists %(items)s items for a quantity of %(quantity)s.")
            % {"items": len(items), "quantity": data.quantity},
            LotError.TOO_MANY_ITEMS,
        )
    seen: dict[tuple[str, str], int] = {}
    for index, item in enumerate(items):
        if not (item.serial_number.strip() or item.asset_tag.strip()):
            _error(
                errors,
                f"items.{index}.serial_number",
                _("Give a serial number or an asset tag."),
                CommonError.REQUIRED,
            )
        for key in ("serial_number", "asset_tag"):
            value = getattr(item, key).strip()
            if not value:
                continue
            if (key, value) in seen:
                _error(
                    errors,
                    f"items.{index}.{key}",
                    _("%(value)s appears twice in this lot.") % {"value": value},
                    LotError.DUPLICATE_ITEM,
                )
            seen[(key, value)] = index
    existing = LotItem.objects.filter(owner_id=actor.organisation_id)
    if lot is not None and lot.pk:
        existing = existing.exclude(lot=lot)
    serials = [v for (k, v) in seen if k == "serial_number"]
    tags = [v for (k, v) in seen if k == "asset_tag"]
    clashes = existing.filter(Q(serial_number__in=serials) | Q(asset_tag__in=tags)).values_list(
        "serial_number", "asset_tag", "lot_id"
    )
    for serial, tag, other_lot in clashes:
        for key, value in (("serial_number", serial), ("asset_tag", tag)):
            if (key, value) in seen:
                _error(
                    errors,
                    f"items.{seen[(key, value)]}.{key}",
                    _("%(value)s is already listed in your lot %(lot)s.")
                    % {"value": value, "lot": other_lot},
                    LotError.DUPLICATE_ITEM,
                )


def lot_denormalised_values(*, site: Site, condition: str) -> dict[str, object]:
    """What a lot copies so that the catalogue filters on its own table: the rank of
    its condition, the region and coordinates of its site. Pure: nothing is read or
    written."""
    return {
        "condition_rank": CONDITION_RANK[Condition(condition)],
        "region": site.region,
        "latitude": site.latitude,
        "longitude": site.longitude,
    }


def _apply(lot: Lot, data: LotInput) -> None:
    for name in LotInput.LOT_FIELDS:
        setattr(lot, name, getattr(data, name))
    lot.title = lot.title.strip()
    for name, value in lot_denormalised_values(site=data.site, condition=lot.condition).items():
        setattr(lot, name, value)
    lot.search_document = lot_search_document(
        title=lot.title, description=lot.description, category=lot.category
    )


def _replace_items(lot: Lot, items: list[ItemInput] | None) -> None:
    if items is None:
        return
    lot.items.all().delete()
    LotItem.objects.bulk_create(
        LotItem(
            lot=lot,
            owner_id=lot.owner_id,
            serial_number=i.serial_number.strip(),
            asset_tag=i.asset_tag.strip(),
            make_model=i.make_model.strip(),
            media_type=i.media_type.strip(),
        )
        for i in items
    )


def lots_reindex(lot_ids=None) -> None:
    """Refresh the PostgreSQL full-text vector from the stored search document."""
    if connection.vendor != "postgresql":
        return
    queryset = Lot.objects.all() if lot_ids is None else Lot.objects.filter(pk__in=lot_ids)
    queryset.update(search_vector=SearchVector("search_document", config=SEARCH_CONFIG))


def require_owner(actor: Membership, lot: Lot) -> None:
    """Only members of the owner change a lot. (Lots the actor may not even see answer
    404 before this, in the selectors.)"""
    if lot.owner_id != actor.organisation_id:
        raise ApplicationError(
            code=LotError.NOT_OWNER,
            kind=ErrorKind.FORBIDDEN,
            message=_("Only members of the organisation that posted this lot may change it."),
        )


def require_draft(lot: Lot) -> None:
    if lot.status != LotStatus.DRAFT:
        raise ApplicationError(
            code=LotError.NOT_A_DRAFT,
            kind=ErrorKind.CONFLICT,
            message=_("Only a draft can be changed or deleted; this lot is %(status)s.")
            % {"status": lot.get_status_display()},
        )


def lock_lot(lot: Lot) -> Lot:
    return Lot.objects.select_for_update().select_related("category", "owner").get(pk=lot.pk)


@transaction.atomic
def lot_create(*, actor: Membership, data: LotInput) -> Lot:
    """A new draft lot of the actor's organisation."""
    require_writer(actor)
    require_verified(actor)
    lot_validate(actor=actor, data=data)
    lot = Lot(owner=actor.organisation, status=LotStatus.DRAFT)
    _apply(lot, data)
    lot.save()
    _replace_items(lot, data.items)
    lots_reindex([lot.pk])
    audit_event_record(
        actor=actor.user,
        organisation=actor.organisation,
        obj=lot,
        action="create",
        to_state=LotStatus.DRAFT,
    )
    return lot


@transaction.atomic
def lot_update(*, actor: Membership, lot: Lot, data: LotInput) -> Lot:
    require_writer(actor)
    require_owner(actor, lot)
    lot = lock_lot(lot)
    require_draft(lot)
    lot_validate(actor=actor, data=data, lot=lot)
    _apply(lot, data)
    lot.save()
    _replace_items(lot, data.items)
    lots_reindex([lot.pk])
    audit_event_record(actor=actor.user, organisation=actor.organisation, obj=lot, action="update")
    return lot


@transaction.atomic
def lot_delete(*, actor: Membership, lot: Lot) -> None:
    require_writer(actor)
    require_owner(actor, lot)
    lot = lock_lot(lot)
    require_draft(lot)
    files = [
        (field.storage, field.name)
        for photo in lot.photos.all()
        for field in (photo.original, photo.web, photo.thumbnail)
        if field
    ]
    attestation = SanitisationAttestation.objects.filter(lot=lot).first()
    if attestation and attestation.certificate:
        files.append((attestation.certificate.storage, attestation.certificate.name))
    delete_files_on_commit(files)
    audit_event_record(
        actor=actor.user,
        organisation=actor.organisation,
        obj=lot,
        action="delete",
        from_state=LotStatus.DRAFT,
    )
    lot.delete()


def lot_publication_gaps(lot: Lot) -> list[str]:
    """What still stands between a draft and its publication, in words for people."""
    from exchange.lots.services.sanitisation import sanitisation_gaps  # imports this module

    gaps = []
    if lot.available_until < timezone.localdate():
        gaps.append(_("The available-until date has passed: set a new one."))
    gaps.extend(sanitisation_gaps(lot))
    return gaps


@transaction.atomic
def lot_publish(*, actor: Membership, lot: Lot, now: datetime.datetime | None = None) -> Lot:
    """Open the lot to claims: the federal window starts now."""
    require_writer(actor)
    require_owner(actor, lot)
    require_verified(actor)
    lot = lock_lot(lot)
    if lot.status != LotStatus.DRAFT:
        raise ApplicationError(
            code=LotError.NOT_PUBLISHABLE,
            kind=ErrorKind.CONFLICT,
            message=_("Only a draft can be published; this lot is %(status)s.")
            % {"status": lot.get_status_display()},
        )
    gaps = lot_publication_gaps(lot)
    if gaps:
        raise ApplicationError(
            code=LotError.NOT_PUBLISHABLE,
            kind=ErrorKind.CONFLICT,
            message=_("The lot cannot be published yet: %(gaps)s") % {"gaps": " ".join(gaps)},
            extra={"missing": gaps},
        )
    now = now or timezone.now()
    lot.federal_window_days, lot.social_economy_window_days = window_days(lot)
    opens = window_dates(now, lot.federal_window_days, lot.social_economy_window_days)
    lot.published_at = opens[Tier.FEDERAL]
    lot.social_economy_opens_at = opens[Tier.SOCIAL_ECONOMY]
    lot.open_opens_at = opens[Tier.OPEN]
    lot.announced_tier = lot.tier_at(now)
    lot.status = LotStatus.PUBLISHED
    lot.status_changed_at = now
    lot.save(
        update_fields=[
            "federal_window_days",
            "social_economy_window_days",
            "published_at",
            "social_economy_opens_at",
            "open_opens_at",
            "announced_tier",
            "status",
            "status_changed_at",
            "updated_at",
        ]
    )
    audit_event_record(
        actor=actor.user,
        organisation=actor.organisation,
        obj=lot,
        action="publish",
        from_state=LotStatus.DRAFT,
        to_state=LotStatus.PUBLISHED,
        data={"tier": lot.announced_tier},
    )
    transaction.on_commit(lambda: lot_published.send(sender=Lot, lot=lot))
    return lot


PUBLISH_MANY_MAX = 100  # lots published in one step (a page of My lots holds 50)


@dataclass
class PublishManyResult:
    published: list[Lot]
    refused: list[tuple[int, Lot | None, ApplicationError]]  # (id, lot or None if unknown, why)


def lots_publish_many(*, actor: Membership, lot_ids: list[int]) -> PublishManyResult:
    """Publish the chosen drafts in one step: each one by ``lot_publish`` (its own
    transaction), so a lot that may not be published yet is refused with its own reason
    and the others are published all the same. An id that is not one of the
    organisation's lots is refused as not found."""
    require_writer(actor)
    require_verified(actor)
    ids = list(dict.fromkeys(lot_ids))
    if not ids or len(ids) > PUBLISH_MANY_MAX:
        raise ApplicationError(
            code=LotError.PUBLISH_SELECTION,
            field="lots",
            message=_("Choose from 1 to %(max)s lots to publish.") % {"max": PUBLISH_MANY_MAX},
        )
    lots = Lot.objects.filter(owner_id=actor.organisation_id, pk__in=ids).in_bulk()
    result = PublishManyResult(published=[], refused=[])
    for pk in ids:
        lot = lots.get(pk)
        if lot is None:
            result.refused.append(
                (
                    pk,
                    None,
                    ApplicationError(
                        code=LotError.NOT_FOUND,
                        kind=ErrorKind.NOT_FOUND,
                        message=_("Lot %(id)s is not one of your lots.") % {"id": pk},
                    ),
                )
            )
            continue
        try:
            result.published.append(lot_publish(actor=actor, lot=lot))
        except ApplicationError as exc:
            result.refused.append((pk, lot, exc))
    return result


@transaction.atomic
def lot_withdraw(*, actor: Membership, lot: Lot) -> Lot:
    require_writer(actor)
    require_owner(actor, lot)
    lot = lock_lot(lot)
    if lot.status not in (LotStatus.DRAFT, LotStatus.PUBLISHED):
        raise ApplicationError(
            code=LotError.NOT_WITHDRAWABLE,
            kind=ErrorKind.CONFLICT,
            message=_("Only a draft or published lot can be withdrawn; this lot is %(status)s.")
            % {"status": lot.get_status_display()},
        )
    if lot.quantity_reserved:
        raise ApplicationError(
            code=LotError.LIVE_CLAIMS,
            kind=ErrorKind.CONFLICT,
            message=_("%(count)s units are claimed: decline or settle those claims first.")
            % {"count": lot.quantity_reserved},
        )
    old = lot.status
    lot.status = LotStatus.WITHDRAWN
    lot.status_changed_at = timezone.now()
    lot.save(update_fields=["status", "status_changed_at", "updated_at"])
    audit_event_record(
        actor=actor.user,
        organisation=actor.organisation,
        obj=lot,
        action="withdraw",
        from_state=old,
        to_state=LotStatus.WITHDRAWN,
    )
    return lot


def lots_advance(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """The periodic job: expire lots past their date and announce tiers that opened.

    Each change is a conditional update on the state it starts from, so running the
    job twice (or on two workers at once) changes nothing more.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    counts = {"expired": 0, "tiers_opened": 0}
    for lot in Lot.objects.filter(status=LotStatus.PUBLISHED, available_until__lt=today):
        with transaction.atomic():
            if Lot.objects.filter(pk=lot.pk, status=LotStatus.PUBLISHED).update(
                status=LotStatus.EXPIRED, status_changed_at=now, updated_at=now
            ):
                audit_event_record(
                    actor=None,
                    obj=lot,
                    action="expire",
                    from_state=LotStatus.PUBLISHED,
                    to_state=LotStatus.EXPIRED,
                )
                counts["expired"] += 1
    opened = Lot.objects.filter(status__in=(LotStatus.PUBLISHED, LotStatus.RESERVED)).filter(
        tier_to_announce_condition(now)
    )
    for lot in opened:
        tier = lot.tier_at(now)
        with transaction.atomic():
            if Lot.objects.filter(pk=lot.pk, announced_tier=lot.announced_tier).update(
                announced_tier=tier
            ):
                audit_event_record(
                    actor=None,
                    obj=lot,
                    action="tier_opened",
                    from_state=lot.announced_tier,
                    to_state=tier,
                )
                lot.announced_tier = tier
                transaction.on_commit(
                    lambda lot=lot, tier=tier: lot_tier_opened.send(sender=Lot, lot=lot, tier=tier)
                )
                counts["tiers_opened"] += 1
    return counts
