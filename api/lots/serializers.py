from decimal import Decimal

import orjson
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from api.validation import AllErrorsInputSerializer, id_field
from exchange.categories.models import Category, name_in_active_language
from exchange.common.limits import DESCRIPTION_MAX, NOTE_MAX, REASON_MAX, TITLE_MAX
from exchange.lots.dimensions import DIMENSION_MAX_CM
from exchange.lots.eligibility import tier_and_next
from exchange.lots.models import (
    MAX_QUANTITY,
    MAX_UNIT_WEIGHT_KG,
    CloseOutcome,
    Condition,
    Lot,
    LotItem,
    LotPhoto,
    SanitisationAttestation,
    SanitisationMethod,
    effective_unit_weight_kg,
)
from exchange.lots.selectors import (
    CATALOGUE_RELATED_COLUMNS,
    ITEM_COLUMNS,
    CatalogueRow,
    lot_items,
    lot_photos,
)
from exchange.lots.services.lots import ItemInput, LotInput, lot_validate
from exchange.lots.services.sanitisation import sanitisation_attestation_validate
from exchange.organisations.models import Site


def centimetres_field(**kwargs) -> serializers.IntegerField:
    """A size in whole centimetres, optional, within what ``exchange.lots.dimensions``
    accepts (a lot's width, depth or height; a wanted request's maximum)."""
    return serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=DIMENSION_MAX_CM, **kwargs
    )


class LotCategoryOutputSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = Category
        fields = ["id", "code", "name", "requires_data_sanitisation"]


class LotSiteOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Site
        fields = list(CATALOGUE_RELATED_COLUMNS["site"])  # what the catalogue reads


class LotOwnerOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()


class LotPhotoOutputSerializer(serializers.ModelSerializer):
    thumbnail_url = serializers.SerializerMethodField()
    web_url = serializers.SerializerMethodField()

    class Meta:
        model = LotPhoto
        fields = ["id", "status", "thumbnail_url", "web_url", "width", "height", "alt_text"]

    def _url(self, photo: LotPhoto, size: str) -> str | None:
        if not getattr(photo, size):
            return None
        return _photo_url(photo.lot_id, photo.pk, size, self.context.get("request"))

    def get_thumbnail_url(self, photo: LotPhoto) -> str | None:
        return self._url(photo, "thumbnail")

    def get_web_url(self, photo: LotPhoto) -> str | None:
        return self._url(photo, "web")


def _photo_url(lot_id: int, photo_id: int, size: str, request) -> str:
    """The API address that serves this size to whoever may read the lot."""
    url = reverse("api:lot-photo-file", kwargs={"pk": lot_id, "photo_id": photo_id, "size": size})
    return request.build_absolute_uri(url) if request else url


class LotItemOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = LotItem
        fields = list(ITEM_COLUMNS)  # the catalogue query reads exactly these


class NextTierOutputSerializer(serializers.Serializer):
    tier = serializers.CharField()
    opens_at = serializers.DateTimeField()


class LotOutputSerializer(serializers.ModelSerializer):
    category = LotCategoryOutputSerializer()
    site = LotSiteOutputSerializer()
    owner = LotOwnerOutputSerializer()
    quantity_available = serializers.IntegerField()
    unit_weight_kg = serializers.DecimalField(
        source="effective_unit_weight_kg", max_digits=9, decimal_places=3
    )
    tier = serializers.CharField(allow_null=True)
    next_tier = serializers.SerializerMethodField()
    photos = LotPhotoOutputSerializer(many=True)
    items = LotItemOutputSerializer(many=True)
    distance_km = serializers.SerializerMethodField()

    class Meta:
        model = Lot
        fields = [
            "id",
            "title",
            "description",
            "category",
            "quantity",
            "quantity_available",
            "unit_weight_kg",
            "unit_weight_measured",
            "condition",
            "site",
            "owner",
            "status",
            "tier",
            "next_tier",
            "published_at",
            "available_until",
            "pickup_notes",
            "width_cm",
            "depth_cm",
            "height_cm",
            "federal_window_days",
            "social_economy_window_days",
            "window_reason",
            "photos",
            "items",
            "distance_km",
            "created_at",
        ]

    @extend_schema_field(NextTierOutputSerializer(allow_null=True))
    def get_next_tier(self, lot: Lot):
        upcoming = lot.next_tier_opens_at()
        return {"tier": upcoming[0], "opens_at": upcoming[1]} if upcoming else None

    def get_distance_km(self, lot: Lot) -> float | None:
        distance = getattr(lot, "distance_km", None)
        return None if distance is None else round(distance, 1)

    def to_representation(self, lot: Lot) -> dict:
        """What the declared fields give (they make the schema, and the test suite holds
        the two equal), without building and walking them: DRF makes every field of this
        serializer and its nested ones anew for each request, and walks them for each
        lot, which was a fifth of a catalogue page's time. The category, site and owner,
        shared by many lots of a page, are shaped once each."""
        shaped = self.__dict__.setdefault("_shaped", {})
        category, site, owner = lot.category, lot.site, lot.owner
        if ("category", category.pk) not in shaped:
            shaped["category", category.pk] = _category_output(category)
        if ("site", site.pk) not in shaped:
            shaped["site", site.pk] = _site_output(site)
        if ("owner", owner.pk) not in shaped:
            shaped["owner", owner.pk] = _owner_output(owner)
        weight = lot.effective_unit_weight_kg
        tier = lot.tier
        photos = lot_photos(lot)
        items = lot_items(lot)
        return {
            "id": lot.pk,
            "title": lot.title,
            "description": lot.description,
            "category": shaped["category", category.pk],
            "quantity": lot.quantity,
            "quantity_available": lot.quantity_available,
            "unit_weight_kg": None if weight is None else _WEIGHT.to_representation(weight),
            "unit_weight_measured": lot.unit_weight_measured,
            "condition": str(lot.condition),
            "site": shaped["site", site.pk],
            "owner": shaped["owner", owner.pk],
            "status": str(lot.status),
            "tier": None if tier is None else str(tier),
            "next_tier": self.get_next_tier(lot),
            "published_at": _moment(lot.published_at),
            "available_until": _day(lot.available_until),
            "pickup_notes": lot.pickup_notes,
            "width_cm": lot.width_cm,
            "depth_cm": lot.depth_cm,
            "height_cm": lot.height_cm,
            "federal_window_days": lot.federal_window_days,
            "social_economy_window_days": lot.social_economy_window_days,
            "window_reason": lot.window_reason,
            "photos": (
                LotPhotoOutputSerializer(photos, many=True, context=self.context).data
                if photos
                else []
            ),
            "items": LotItemOutputSerializer(items, many=True).data if items else [],
            "distance_km": self.get_distance_km(lot),
            "created_at": _moment(lot.created_at),
        }


def catalogue_rows_output(rows: list[CatalogueRow], *, request) -> list[dict]:
    """What ``LotOutputSerializer`` gives for each lot of a catalogue page, from the rows
    of ``CataloguePage`` (the lot's columns with its category, site, owner, photos
    and devices) instead of model instances: the same fields in the same order and
    types, for the same rules (tier, next tier, weight, category name in the active
    language). The test suite holds the two equal for every filter and ordering. The
    moment (of the tiers), the time zone and the language are the page's."""
    now = timezone.now()
    moment = _moments_in(timezone.get_current_timezone())
    language = translation.get_language()
    shaped: dict = {}
    weights: dict = {}  # a page's few weights (mostly its categories'), each written once
    output = []
    for row in rows:
        if (category := shaped.get(("category", row.category_id))) is None:
            category = shaped["category", row.category_id] = _category_row_output(row, language)
        if (site := shaped.get(("site", row.site_id))) is None:
            site = shaped["site", row.site_id] = _related_row_output(row, "site")
        if (owner := shaped.get(("owner", row.owner_id))) is None:
            owner = shaped["owner", row.owner_id] = _related_row_output(row, "owner")
        weight = effective_unit_weight_kg(row.unit_weight_kg, row.category_unit_weight_kg)
        if weight is not None and (weight_text := weights.get(weight)) is None:
            weight_text = weights[weight] = _WEIGHT.to_representation(weight)
        tier, upcoming = tier_and_next(row, now)
        distance = row.distance_km
        output.append(
            {
                "id": row.id,
                "title": row.title,
                "description": row.description,
                "category": category,
                "quantity": row.quantity,
                "quantity_available": row.quantity - row.quantity_reserved,
                "unit_weight_kg": None if weight is None else weight_text,
                "unit_weight_measured": row.unit_weight_measured,
                "condition": row.condition,
                "site": site,
                "owner": owner,
                "status": row.status,
                "tier": None if tier is None else str(tier),
                # as get_next_tier: the moment as the JSON renderer writes it (UTC)
                "next_tier": {"tier": upcoming[0], "opens_at": upcoming[1]} if upcoming else None,
                "published_at": moment(row.published_at),
                "available_until": _day(row.available_until),
                "pickup_notes": row.pickup_notes,
                "width_cm": row.width_cm,
                "depth_cm": row.depth_cm,
                "height_cm": row.height_cm,
                "federal_window_days": row.federal_window_days,
                "social_economy_window_days": row.social_economy_window_days,
                "window_reason": row.window_reason,
                "photos": [_photo_row_output(row.id, photo, request) for photo in row.photos],
                "items": row.items,  # json_build_object of ITEM_COLUMNS: the output itself
                "distance_km": None if distance is None else round(distance, 1),
                "created_at": moment(row.created_at),
            }
        )
    return output


def _category_row_output(row: CatalogueRow, language: str | None) -> dict:
    """``_category_output`` of a catalogue row's category, named in the page's
    ``language``."""

    def name_in(code: str) -> str | None:
        return getattr(row, f"category_name_{code}", None)

    return {
        "id": row.category_id,
        "code": row.category_code,
        "name": str(name_in_active_language(name_in, language)),
        "requires_data_sanitisation": row.category_requires_data_sanitisation,
    }


# Per relation, (output key, CatalogueRow field) of its columns.
_RELATED_ROW_FIELDS = {
    relation: [(column, f"{relation}_{column}") for column in columns]
    for relation, columns in CATALOGUE_RELATED_COLUMNS.items()
}


def _related_row_output(row: CatalogueRow, relation: str) -> dict:
    """A site's or owner's output from a catalogue row: its columns as read."""
    return {column: getattr(row, field) for column, field in _RELATED_ROW_FIELDS[relation]}


def _photo_row_output(lot_id: int, photo: dict, request) -> dict:
    return {
        "id": photo["id"],
        "status": photo["status"],
        "thumbnail_url": (
            _photo_url(lot_id, photo["id"], "thumbnail", request) if photo["thumbnail"] else None
        ),
        "web_url": _photo_url(lot_id, photo["id"], "web", request) if photo["web"] else None,
        "width": photo["width"],
        "height": photo["height"],
        "alt_text": photo["alt_text"],
    }


_WEIGHT = serializers.DecimalField(max_digits=9, decimal_places=3)
_DATETIME = serializers.DateTimeField()
_DATE = serializers.DateField()


def _moment(value) -> str | None:
    return None if value is None else _DATETIME.to_representation(value)


def _moments_in(zone):
    """``_moment`` for moments shown in ``zone`` (the current time zone, looked up once
    for a page instead of once a moment). An aware moment, in ISO 8601 (DRF's format
    unless the settings name another), is written as DateTimeField writes it (in the
    zone, "Z" for UTC) by orjson, which writes the same text ~8 times faster than
    ``isoformat``; a page has 40 to 60 moments. Anything else by the field: a naive
    moment, and an offset of the zone that is not whole minutes (local mean time before
    ~1900), which orjson rounds."""
    field = serializers.DateTimeField(default_timezone=zone)
    if str(api_settings.DATETIME_FORMAT).lower() != ISO_8601:
        return _moment_by(field)

    def moment(value):
        if value is None:
            return None
        if value.utcoffset() is None:
            return field.to_representation(value)
        try:
            local = value.astimezone(zone)
        except OverflowError:  # near the end of time: the field's error
            return field.to_representation(value)
        offset = local.utcoffset()
        if offset.seconds % 60 or offset.microseconds:
            return field.to_representation(value)
        return orjson.dumps(local, option=orjson.OPT_UTC_Z)[1:-1].decode()

    return moment


def _moment_by(field):
    return lambda value: None if value is None else field.to_representation(value)


def _day(value) -> str | None:
    return None if value is None else _DATE.to_representation(value)


def _category_output(category: Category) -> dict:
    return {
        "id": category.pk,
        "code": category.code,
        "name": str(category.name),
        "requires_data_sanitisation": category.requires_data_sanitisation,
    }


def _site_output(site: Site) -> dict:
    return {column: getattr(site, column) for column in CATALOGUE_RELATED_COLUMNS["site"]}


def _owner_output(owner) -> dict:
    return {column: getattr(owner, column) for column in CATALOGUE_RELATED_COLUMNS["owner"]}


class LotItemInputSerializer(serializers.Serializer):
    serial_number = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )
    asset_tag = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    make_model = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    media_type = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class LotInputSerializer(AllErrorsInputSerializer):
    """Field types and ranges; the domain rules (your site, dates, windows, devices) are
    the service's (``lot_validate``), run on every field that parsed: one 400 lists every
    error. The context holds the acting ``actor`` and, for a change, the ``lot``."""

    site = serializers.PrimaryKeyRelatedField(queryset=Site.objects.all())
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all())
    title = serializers.CharField(max_length=TITLE_MAX)
    description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=DESCRIPTION_MAX
    )
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)
    unit_weight_kg = serializers.DecimalField(
        max_digits=9,
        decimal_places=3,
        required=False,
        allow_null=True,
        min_value=Decimal("0.001"),
        max_value=MAX_UNIT_WEIGHT_KG,
    )
    unit_weight_measured = serializers.BooleanField(required=False, default=False)
    condition = serializers.ChoiceField(choices=Condition.choices)
    available_until = serializers.DateField()
    pickup_notes = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=NOTE_MAX
    )
    width_cm = centimetres_field(
        help_text="Width of one unit in cm; with depth_cm and height_cm, what a wanted "
        "request's maximum size is checked against."
    )
    depth_cm = centimetres_field()
    height_cm = centimetres_field()
    federal_window_days = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    social_economy_window_days = serializers.IntegerField(
        required=False, allow_null=True, min_value=0
    )
    window_reason = serializers.CharField(
        max_length=REASON_MAX, required=False, allow_blank=True, default=""
    )
    items = LotItemInputSerializer(many=True, required=False)

    def lot_input(self, values: dict) -> LotInput:
        """The service's input: what was sent, over the lot's values for a change."""
        values = dict(values)
        if "items" in values:
            values["items"] = [ItemInput(**item) for item in values["items"]]
        lot = self.context.get("lot")
        return LotInput(**values) if lot is None else LotInput.from_lot(lot, **values)

    def service_rules(self, values: dict, *, invalid: frozenset[str]) -> None:
        lot_validate(
            actor=self.context["actor"], data=self.lot_input(values), lot=self.context.get("lot")
        )


class SanitisationInputSerializer(AllErrorsInputSerializer):
    """Field types; ``sanitisation_attestation_validate``'s rules on every field that
    parsed (one 400, every error)."""

    method = serializers.ChoiceField(choices=SanitisationMethod.choices)
    performed_on = serializers.DateField()
    responsible_person = serializers.CharField(max_length=200)
    certificate = serializers.FileField(required=False, allow_null=True)

    def service_rules(self, values: dict, *, invalid: frozenset[str]) -> None:
        sanitisation_attestation_validate(
            method=values.get("method"),
            performed_on=values.get("performed_on"),
            responsible_person=values.get("responsible_person"),
            certificate=values.get("certificate"),
            invalid=invalid,
        )


class SanitisationAttestationOutputSerializer(serializers.ModelSerializer):
    certificate_url = serializers.SerializerMethodField()

    class Meta:
        model = SanitisationAttestation
        fields = ["method", "performed_on", "responsible_person", "certificate_url", "created_at"]

    def get_certificate_url(self, attestation) -> str | None:
        """The API address that serves the certificate to the lot's owner only."""
        if not attestation.certificate:
            return None
        url = reverse("api:lot-certificate", kwargs={"pk": attestation.lot_id})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class SanitisationOutputSerializer(serializers.Serializer):
    required = serializers.BooleanField()
    attestation = SanitisationAttestationOutputSerializer(allow_null=True)
    devices = LotItemOutputSerializer(many=True)
    missing = serializers.ListField(child=serializers.CharField())


class ErasureRecordInputSerializer(serializers.Serializer):
    serial_number = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )
    asset_tag = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    make_model = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    media_type = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    method = serializers.ChoiceField(choices=LotItem.ErasureMethod.choices)
    tool = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    verified = serializers.BooleanField(allow_null=True)
    performer = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    date = serializers.DateField()


class ErasuresInputSerializer(serializers.Serializer):
    records = ErasureRecordInputSerializer(many=True, required=False)
    file = serializers.FileField(
        required=False, help_text="An erasure report as CSV, as erasure tools export it."
    )

    def validate(self, attrs):
        if not attrs.get("records") and not attrs.get("file"):
            raise serializers.ValidationError({"records": ["Send records, or a CSV file."]})
        return attrs


class LotCloseInputSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=[(o, o) for o in CloseOutcome.values])


class PhotoInputSerializer(serializers.Serializer):
    image = serializers.FileField(help_text="JPEG, PNG or WebP, at most 15 MB.")
    alt_text = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class ImportInputSerializer(serializers.Serializer):
    file = serializers.FileField(
        required=False,
        help_text="CSV (UTF-8 or Windows-1252) or XLSX, one lot a row.",
    )
    file_token = serializers.CharField(
        required=False,
        max_length=64,
        help_text="Instead of the file: the file_token of a dry run without problems, to "
        "import the file it checked without sending it again (kept an hour, for you and "
        "the organisation you act for).",
    )

    def validate(self, attrs):
        if bool(attrs.get("file")) == bool(attrs.get("file_token")):
            raise serializers.ValidationError(
                {"file": [_("Send either a file or the file_token of its dry run.")]}
            )
        return attrs


class ImportProblemOutputSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    column = serializers.CharField()
    reason = serializers.CharField()
    suggestions = serializers.ListField(
        child=serializers.CharField(),
        help_text="For an unknown category, condition or site: the known values closest "
        "to it, best first.",
    )


class ImportOutputSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    rows = serializers.IntegerField()
    created = serializers.ListField(child=serializers.IntegerField())
    problems = ImportProblemOutputSerializer(many=True)
    file_token = serializers.CharField(
        help_text="A dry run without problems: the token to import the checked file "
        "(POST import/ with file_token); empty otherwise."
    )
    file_expires_at = serializers.DateTimeField(allow_null=True)


class PublishSelectedInputSerializer(serializers.Serializer):
    lots = serializers.ListField(
        child=id_field(),
        min_length=1,
        max_length=100,
        help_text="Ids of your organisation's drafts to publish.",
    )


class PublishRefusalOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    message = serializers.CharField()
    missing = serializers.ListField(child=serializers.CharField(), required=False)


class PublishSelectedOutputSerializer(serializers.Serializer):
    published = serializers.ListField(child=serializers.IntegerField())
    refused = PublishRefusalOutputSerializer(many=True)
