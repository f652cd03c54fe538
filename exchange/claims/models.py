from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from exchange.common.models import TimeStampedModel
from exchange.lots.models import Tier


class ClaimStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    COLLECTED = "collected", _("Collected")
    DECLINED = "declined", _("Declined")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("No-show")


# Claims that hold their quantity on the lot.
LIVE_STATUSES = (ClaimStatus.PENDING, ClaimStatus.APPROVED)


class Claim(TimeStampedModel):
    lot = models.ForeignKey("lots.Lot", on_delete=models.PROTECT, related_name="claims")
    claimant = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="claims"
    )
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    note = models.TextField(_("note"), blank=True)
    status = models.CharField(
        max_length=10, choices=ClaimStatus.choices, default=ClaimStatus.PENDING, db_index=True
    )
    tier = models.CharField(max_length=16, choices=Tier.choices)
    decline_reason = models.TextField(_("reason"), blank=True)
    pickup_at = models.DateTimeField(_("pickup slot"), null=True, blank=True)
    collected_quantity = models.PositiveIntegerField(_("collected quantity"), null=True, blank=True)
    measured_weight_kg = models.DecimalField(
        _("measured weight (kg)"), max_digits=10, decimal_places=3, null=True, blank=True
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    collected_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        indexes = [
            models.Index(fields=["lot", "status"], name="claim_lot_status_idx"),
            models.Index(fields=["claimant", "status"], name="claim_claimant_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1), name="claim_quantity_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(collected_quantity__isnull=True)
                | models.Q(collected_quantity__lte=models.F("quantity")),
                name="claim_collected_within_quantity",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=ClaimStatus.values), name="claim_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"claim {self.pk}: {self.quantity} of lot {self.lot_id}"

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES
