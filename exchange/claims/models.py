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
    # The donor's contact person for this claim: whoever approved it (the claimant's
    # is the person who claimed). Empty for a claim approved automatically.
    owner_contact = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
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


# Longest message on a claim's conversation, in characters.
MESSAGE_MAX_LENGTH = 4000


class ClaimMessage(TimeStampedModel):
    """A message in the conversation of a claim, written by a member of either side."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The side the author wrote for (the lot's owner or the claimant).
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField(_("message"), max_length=MESSAGE_MAX_LENGTH)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [models.Index(fields=["claim", "created_at"], name="claim_message_claim_idx")]

    def __str__(self) -> str:
        return f"message {self.pk} on claim {self.claim_id}"


class PickupSlotStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACCEPTED = "accepted", _("Accepted")
    SUPERSEDED = "superseded", _("Replaced")


class PickupSlot(TimeStampedModel):
    """A pickup time one side proposes and the other accepts; the accepted one is the
    agreed pickup (``Claim.pickup_at``)."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField(_("pickup slot"))
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_by_organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=PickupSlotStatus.choices, default=PickupSlotStatus.PROPOSED
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("pickup slot")
        verbose_name_plural = _("pickup slots")
        constraints = [
            models.UniqueConstraint(
                fields=["claim"],
                condition=models.Q(status="accepted"),
                name="pickup_slot_one_accepted",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=PickupSlotStatus.values),
                name="pickup_slot_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"pickup slot {self.pk} of claim {self.claim_id}"
