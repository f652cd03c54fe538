"""The reuse check (docs/design.md §8): a planned purchase checked against the surplus
on the platform before buying, and the attestation issued when it closes."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from exchange.common.models import TimeStampedModel
from exchange.lots.models import Condition


class CheckStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("reuse check status", "Open")
    CLOSED = "closed", pgettext_lazy("reuse check status", "Closed")
    CANCELLED = "cancelled", pgettext_lazy("reuse check status", "Cancelled")


class CloseReason(models.TextChoices):
    BY_BUYER = "buyer", _("closed by the buyer")
    PERIOD_ENDED = "period_ended", _("the waiting period ended")
    FULLY_CLAIMED = "fully_claimed", _("the whole quantity was claimed")


class ReuseCheck(TimeStampedModel):
    """What a buyer means to purchase, and what the platform offered instead. While open
    it searches as its wanted request (``wanted``), which the matching engine matches
    against new lots like any other."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="reuse_checks"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    wanted = models.OneToOneField(
        "matching.WantedRequest", on_delete=models.PROTECT, related_name="reuse_check"
    )
    category = models.ForeignKey(
        "categories.Category", on_delete=models.PROTECT, related_name="reuse_checks"
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    min_condition = models.CharField(
        _("minimum condition"), max_length=8, choices=Condition.choices, default=Condition.FAIR
    )
    site = models.ForeignKey(
        "organisations.Site", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    max_distance_km = models.PositiveIntegerField(_("maximum distance (km)"), null=True, blank=True)
    region = models.CharField(_("region"), max_length=3, blank=True)
    needed_by = models.DateField(_("needed by"))
    estimated_value_eur = models.DecimalField(
        _("estimated purchase value (EUR)"), max_digits=12, decimal_places=2
    )
    file_reference = models.CharField(_("procurement file reference"), max_length=100)
    open_until = models.DateField(_("open until"))
    status = models.CharField(
        max_length=10, choices=CheckStatus.choices, default=CheckStatus.OPEN, db_index=True
    )
    close_reason = models.CharField(max_length=16, choices=CloseReason.choices, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("reuse check")
        verbose_name_plural = _("reuse checks")
        indexes = [models.Index(fields=["status", "open_until"], name="reuse_check_due_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1), name="reuse_check_quantity_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(open_until__lte=models.F("needed_by")),
                name="reuse_check_open_until_needed_by",
            ),
            models.CheckConstraint(
                condition=models.Q(estimated_value_eur__gte=0), name="reuse_check_value_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_reference}: {self.quantity} x {self.category}"


class ReuseCheckClaim(models.Model):
    """A claim made from a check: the units it met by reuse, while the claim lives."""

    check_ref = models.ForeignKey(ReuseCheck, on_delete=models.PROTECT, related_name="claims")
    claim = models.OneToOneField(
        "claims.Claim", on_delete=models.PROTECT, related_name="reuse_check_claim"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"claim {self.claim_id} from check {self.check_ref_id}"


class Attestation(models.Model):
    """The record a check leaves when it closes, never changed after: its number, the
    code of its verification address, what it says (``summary``, in no language) and
    the PDF issued, with the SHA-256 of those bytes."""

    check_ref = models.OneToOneField(
        ReuseCheck, on_delete=models.PROTECT, related_name="attestation"
    )
    number = models.CharField(max_length=20, unique=True)
    code = models.CharField(max_length=16, unique=True)
    issued_at = models.DateTimeField()
    language = models.CharField(max_length=2)
    summary = models.JSONField()
    pdf = models.BinaryField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("reuse check attestation")

    def __str__(self) -> str:
        return self.number
