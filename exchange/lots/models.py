import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from exchange.common.models import TimeStampedModel
from exchange.common.storage import private_storage, unguessable_name

MAX_QUANTITY = 100_000
MAX_UNIT_WEIGHT_KG = 5_000


def effective_unit_weight_kg(
    unit_weight_kg: Decimal | None, category_unit_weight_kg: Decimal | None
) -> Decimal | None:
    """What one unit of a lot weighs: the lot's own weight (estimated or measured), else
    its category's default (``Lot.effective_unit_weight_kg``, and the catalogue's rows)."""
    return unit_weight_kg or category_unit_weight_kg


class LotStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RESERVED = "reserved", _("Reserved")
    CLOSED = "closed", _("Closed")
    EXPIRED = "expired", _("Expired")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class CloseOutcome(models.TextChoices):
    """What became of the units of an expired lot that nobody claimed (impact records
    them with the outcome of the same name)."""

    SOLD = "sold", _("Sold through the federal sales service")
    RECYCLED = "recycled", _("Recycled")
    DISPOSED = "disposed", _("Disposed of")


class Condition(models.TextChoices):
    NEW = "new", _("New")
    GOOD = "good", _("Good")
    FAIR = "fair", _("Fair")
    PARTS = "parts", _("For parts")


CONDITION_RANK = {Condition.NEW: 4, Condition.GOOD: 3, Condition.FAIR: 2, Condition.PARTS: 1}


class Tier(models.TextChoices):
    FEDERAL = "federal", _("Federal services")
    SOCIAL_ECONOMY = "social_economy", _("Social-economy enterprises")
    OPEN = "open", _("Everyone")


class Lot(TimeStampedModel):
    owner = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="lots"
    )
    site = models.ForeignKey("organisations.Site", on_delete=models.PROTECT, related_name="lots")
    category = models.ForeignKey(
        "categories.Category", on_delete=models.PROTECT, related_name="lots"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    quantity = models.PositiveIntegerField(_("quantity"))
    # Units held by live claims (pending or approved), kept by the claims services with
    # conditional updates; the CHECK constraint below makes over-allocation impossible.
    quantity_reserved = models.PositiveIntegerField(default=0, editable=False)
    unit_weight_kg = models.DecimalField(
        _("unit weight (kg)"),
        max_digits=9,
        decimal_places=3,
        null=True,
        blank=True,
        help_text=_("Leave empty to use the category's typical weight."),
    )
    unit_weight_measured = models.BooleanField(_("weighed"), default=False)
    condition = models.CharField(_("condition"), max_length=8, choices=Condition.choices)
    condition_rank = models.PositiveSmallIntegerField(editable=False)
    # The size of one unit, in whole cm (exchange.lots.dimensions); empty: not stated.
    width_cm = models.PositiveIntegerField(_("width (cm)"), null=True, blank=True)
    depth_cm = models.PositiveIntegerField(_("depth (cm)"), null=True, blank=True)
    height_cm = models.PositiveIntegerField(_("height (cm)"), null=True, blank=True)
    available_until = models.DateField(_("available until"))
    pickup_notes = models.TextField(_("pickup notes"), blank=True)
    status = models.CharField(
        max_length=10, choices=LotStatus.choices, default=LotStatus.DRAFT, editable=False
    )
    federal_window_days = models.PositiveSmallIntegerField(null=True, blank=True)
    social_economy_window_days = models.PositiveSmallIntegerField(null=True, blank=True)
    window_reason = models.CharField(
        _("reason for shorter claim windows"), max_length=300, blank=True
    )
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    social_economy_opens_at = models.DateTimeField(null=True, blank=True, editable=False)
    open_opens_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The last tier announced by the periodic job: a change is a "tier opened" event.
    announced_tier = models.CharField(
        max_length=16, choices=Tier.choices, blank=True, editable=False
    )
    status_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # How the owner closed an expired lot's remainder: sold, recycled or disposed.
    close_outcome = models.CharField(max_length=12, blank=True, editable=False)
    close_quantity = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # Copied from the site so that search filters on one indexed table.
    region = models.CharField(max_length=3, editable=False)
    latitude = models.DecimalField(max_digits=8, decimal_places=6, editable=False)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, editable=False)
    search_document = models.TextField(blank=True, editable=False)
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        indexes = [
            models.Index(
                fields=["status", "region", "-published_at"], name="lot_status_region_idx"
            ),
            models.Index(fields=["status", "-published_at"], name="lot_status_published_idx"),
            # The near-site filter's box; status, owner and id ride along so that
            # counting the lots in a radius and reading the nearest page's ids are
            # index-only scans (the distance needs only the coordinates, the visibility
            # test only status and owner).
            models.Index(
                fields=["latitude", "longitude"],
                include=["status", "owner", "id"],
                name="lot_near_idx",
            ),
            models.Index(fields=["status", "available_until"], name="lot_status_until_idx"),
            # The catalogue's "closing soon" order, walked with what visibility needs
            # (PostgreSQL: an index-only scan that stops at the page).
            models.Index(
                fields=["available_until", "-id"],
                include=["status", "owner"],
                name="lot_closing_soon_idx",
            ),
            # Closing soon among the published lots alone: the closed lots of the
            # history (tens of thousands, with the earliest dates) are not in it.
            models.Index(
                fields=["available_until", "-id"],
                condition=models.Q(status="published"),
                name="lot_published_closing_idx",
            ),
            models.Index(fields=["owner", "status"], name="lot_owner_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1, quantity__lte=MAX_QUANTITY),
                name="lot_quantity_range",
            ),
            models.CheckConstraint(
                condition=models.Q(quantity_reserved__lte=models.F("quantity")),
                name="lot_reserved_within_quantity",
            ),
            models.CheckConstraint(
                condition=models.Q(unit_weight_kg__isnull=True)
                | models.Q(unit_weight_kg__gt=0, unit_weight_kg__lte=MAX_UNIT_WEIGHT_KG),
                name="lot_unit_weight_range",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=LotStatus.values), name="lot_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def quantity_available(self) -> int:
        return self.quantity - self.quantity_reserved

    @property
    def effective_unit_weight_kg(self):
        return effective_unit_weight_kg(self.unit_weight_kg, self.category.unit_weight_kg)

    @property
    def size(self) -> tuple[int | None, int | None, int | None]:
        """(width, depth, height) of one unit in cm, None where not stated."""
        return (self.width_cm, self.depth_cm, self.height_cm)

    @property
    def size_text(self) -> str:
        """ "120 × 60 × 75 cm" (``exchange.lots.dimensions.size_text``)."""
        from exchange.lots.dimensions import size_text

        return size_text(self.size)

    def tier_at(self, moment: datetime.datetime | None = None) -> str | None:
        """The claim window open at ``moment`` (None before publication)."""
        from exchange.lots.eligibility import tier_at

        return tier_at(self, moment)

    @property
    def tier(self) -> str | None:
        return self.tier_at()

    @property
    def tier_badge(self) -> str:
        """Who may claim now, in a badge's few words ("" before publication)."""
        from exchange.lots.eligibility import TIER_BADGE

        tier = self.tier
        return TIER_BADGE[tier] if tier else ""

    def next_tier_opens_at(self, moment: datetime.datetime | None = None):
        """(tier, when) of the next window to open, or None once everyone may claim."""
        from exchange.lots.eligibility import next_tier

        return next_tier(self, moment)


class LotItem(models.Model):
    """One device or piece of a lot, with its erasure record where it holds data."""

    class ErasureMethod(models.TextChoices):
        CLEAR = "clear", _("Clear")
        PURGE = "purge", _("Purge")
        DESTROY = "destroy", _("Destroy")

    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="items")
    owner = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="+", editable=False
    )
    serial_number = models.CharField(_("serial number"), max_length=100, blank=True)
    asset_tag = models.CharField(_("inventory or asset tag"), max_length=100, blank=True)
    make_model = models.CharField(_("make and model"), max_length=200, blank=True)
    media_type = models.CharField(_("media type"), max_length=100, blank=True)
    erasure_method = models.CharField(
        _("erasure method"), max_length=10, choices=ErasureMethod.choices, blank=True
    )
    erasure_tool = models.CharField(_("erasure tool and version"), max_length=200, blank=True)
    erasure_verified = models.BooleanField(_("erasure verified"), null=True, blank=True)
    erasure_performer = models.CharField(_("erased by"), max_length=200, blank=True)
    erasure_date = models.DateField(_("erasure date"), null=True, blank=True)

    class Meta:
        ordering = ["lot_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "serial_number"],
                condition=~models.Q(serial_number=""),
                name="lot_item_serial_unique_per_owner",
            ),
            models.UniqueConstraint(
                fields=["owner", "asset_tag"],
                condition=~models.Q(asset_tag=""),
                name="lot_item_asset_tag_unique_per_owner",
            ),
            models.CheckConstraint(
                condition=~models.Q(serial_number="", asset_tag=""),
                name="lot_item_identified",
            ),
        ]

    def __str__(self) -> str:
        return self.serial_number or self.asset_tag

    @property
    def label(self) -> str:
        return self.serial_number or self.asset_tag

    @property
    def has_erasure_record(self) -> bool:
        return bool(self.erasure_method and self.erasure_date)


class SanitisationMethod(models.TextChoices):
    CLEAR = "clear", _("Clear (NIST SP 800-88)")
    PURGE = "purge", _("Purge (NIST SP 800-88)")
    DESTROY = "destroy", _("Destroy (NIST SP 800-88)")
    NO_STORAGE_MEDIA = "no_storage_media", _("No storage media")


def certificate_upload_to(instance, filename: str) -> str:
    """Private, under a folder nobody can guess (served by a view that checks who asks)."""
    return f"lots/certificates/{unguessable_name('certificate.pdf')}"


class SanitisationAttestation(TimeStampedModel):
    """The owner's statement that the lot's data-bearing media were sanitised."""

    lot = models.OneToOneField(Lot, on_delete=models.CASCADE, related_name="sanitisation")
    method = models.CharField(_("method"), max_length=20, choices=SanitisationMethod.choices)
    performed_on = models.DateField(_("date"))
    responsible_person = models.CharField(_("person responsible"), max_length=200)
    certificate = models.FileField(
        _("certificate (PDF)"),
        upload_to=certificate_upload_to,
        storage=private_storage,
        blank=True,
        max_length=300,
    )
    attested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.lot_id}: {self.method}"


def photo_upload_to(instance, filename: str) -> str:
    """Private, under a folder nobody can guess: a view serves a photo to whoever may
    read its lot (everyone once the lot is published; see ``lot_photo_file``)."""
    return f"lots/photos/{unguessable_name(filename)}"


PHOTO_SIZES = ("web", "thumbnail", "original")


class PhotoStatus(models.TextChoices):
    PROCESSING = "processing", _("Processing")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class LotPhoto(TimeStampedModel):
    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="photos")
    position = models.PositiveSmallIntegerField(default=0)
    # The upload, decoded, turned upright and re-encoded without any metadata.
    original = models.FileField(upload_to=photo_upload_to, storage=private_storage, max_length=300)
    web = models.FileField(
        upload_to=photo_upload_to, storage=private_storage, max_length=300, blank=True
    )
    thumbnail = models.FileField(
        upload_to=photo_upload_to, storage=private_storage, max_length=300, blank=True
    )
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    status = models.CharField(
        max_length=12, choices=PhotoStatus.choices, default=PhotoStatus.PROCESSING
    )
    alt_text = models.CharField(_("description of the photo"), max_length=300, blank=True)

    class Meta:
        ordering = ["lot_id", "position", "id"]

    def __str__(self) -> str:
        return f"photo {self.pk} of lot {self.lot_id}"

    def file_url(self, size: str) -> str:
        """The page address of one of its sizes (``PHOTO_SIZES``): a view that checks
        who asks serves it."""
        return reverse("lots:photo_file", args=[self.lot_id, self.pk, size])

    @property
    def web_url(self) -> str:
        return self.file_url("web")

    @property
    def thumbnail_url(self) -> str:
        return self.file_url("thumbnail")


def import_file_upload_to(instance: "LotImportFile", filename: str) -> str:
    return f"imports/{unguessable_name(filename)}"


class LotImportFile(models.Model):
    """A spreadsheet that passed its dry run, kept a short while so that the person
    imports it without choosing it again: private, found by an unguessable token, and only
    by the person who checked it, acting for the same organisation."""

    token = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(max_length=255)
    file = models.FileField(
        upload_to=import_file_upload_to, storage=private_storage, max_length=400
    )
    rows = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"import file {self.name} of user {self.user_id}"
