from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from exchange.common.models import TimeStampedModel
from exchange.lots.dimensions import size_text, wanted_size_limit
from exchange.lots.models import Condition

MAX_DISTANCE_KM = 500


class WantedStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("wanted request status", "Open")
    FULFILLED = "fulfilled", pgettext_lazy("wanted request status", "Fulfilled")
    EXPIRED = "expired", pgettext_lazy("wanted request status", "Expired")
    WITHDRAWN = "withdrawn", pgettext_lazy("wanted request status", "Withdrawn")


class WantedRequest(TimeStampedModel):
    """What an organisation needs: a category (its whole subtree), a quantity, a minimum
    condition, and where: within a distance of one of its sites, or anywhere in a region."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="wanted_requests"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    category = models.ForeignKey(
        "categories.Category", on_delete=models.PROTECT, related_name="wanted_requests"
    )
    category_path = models.CharField(max_length=255, editable=False, db_index=True)
    quantity = models.PositiveIntegerField(_("quantity"))
    min_condition = models.CharField(
        _("minimum condition"), max_length=8, choices=Condition.choices, default=Condition.FAIR
    )
    min_condition_rank = models.PositiveSmallIntegerField(editable=False)
    site = models.ForeignKey(
        "organisations.Site", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    max_distance_km = models.PositiveIntegerField(_("maximum distance (km)"), null=True, blank=True)
    # The largest unit that fits (exchange.lots.dimensions); empty: no limit.
    max_width_cm = models.PositiveIntegerField(_("maximum width (cm)"), null=True, blank=True)
    max_depth_cm = models.PositiveIntegerField(_("maximum depth (cm)"), null=True, blank=True)
    max_height_cm = models.PositiveIntegerField(_("maximum height (cm)"), null=True, blank=True)
    region = models.CharField(_("region"), max_length=3, blank=True)
    # The box around the site that the distance spans, for indexed candidate search.
    min_latitude = models.FloatField(null=True, editable=False)
    max_latitude = models.FloatField(null=True, editable=False)
    min_longitude = models.FloatField(null=True, editable=False)
    max_longitude = models.FloatField(null=True, editable=False)
    valid_until = models.DateField(_("valid until"))
    note = models.TextField(_("note"), blank=True)
    status = models.CharField(
        max_length=10, choices=WantedStatus.choices, default=WantedStatus.OPEN, editable=False
    )
    # When the request was last matched against every lot (None: never, or due again);
    # the nightly repair matches requests changed since. And the score and lot of its
    # K-th best match when it has K (EXCHANGE_MATCHES_PER_REQUEST): a new lot becomes a
    # match only if it ranks above them.
    matched_at = models.DateTimeField(null=True, blank=True, editable=False)
    match_floor = models.FloatField(null=True, blank=True, editable=False)
    match_floor_lot_id = models.BigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("wanted request")
        verbose_name_plural = _("wanted requests")
        indexes = [
            models.Index(fields=["status", "category_path"], name="wanted_status_category_idx"),
            models.Index(
                fields=["status", "min_latitude", "max_latitude"], name="wanted_status_box_idx"
            ),
            models.Index(fields=["status", "region"], name="wanted_status_region_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1), name="wanted_quantity_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    site__isnull=False, max_distance_km__gte=1, max_distance_km__lte=MAX_DISTANCE_KM
                )
                | ~models.Q(region=""),
                name="wanted_has_a_place",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.category} for {self.organisation}"

    @property
    def max_size_text(self) -> str:
        """ "120 × – × 75 cm" (– : that dimension is not limited); "" when none is."""
        return size_text(wanted_size_limit(self), unstated="–")


class MatchStatus(models.TextChoices):
    NEW = "new", pgettext_lazy("match status", "New")
    SEEN = "seen", pgettext_lazy("match status", "Seen")
    DISMISSED = "dismissed", pgettext_lazy("match status", "Dismissed")
    CLAIMED = "claimed", pgettext_lazy("match status", "Claimed")


class Match(TimeStampedModel):
    """A lot and a wanted request that fit, with a score in [0, 1] and why."""

    # No index of their own: the unique (lot, wanted) index serves lot_id, and
    # (wanted, status) serves wanted_id; nothing reads matches by creation time.
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    lot = models.ForeignKey(
        "lots.Lot", on_delete=models.CASCADE, related_name="matches", db_index=False
    )
    wanted = models.ForeignKey(
        WantedRequest, on_delete=models.CASCADE, related_name="matches", db_index=False
    )
    score = models.FloatField()
    reasons = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=MatchStatus.choices, default=MatchStatus.NEW)
    # Indexed where set only (match_claim_idx): nearly every match has no claim, and an
    # index entry for each would be written by every match made.
    claim = models.ForeignKey(
        "claims.Claim",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    notified_at = models.DateTimeField(null=True, blank=True)
    # One of the request's K best fitting lots. A match pushed out by better lots stays
    # (not ranked) only when its people were told of it or acted on it.
    ranked = models.BooleanField(default=True)

    class Meta:
        ordering = ["-score", "-id"]
        verbose_name_plural = _("matches")
        constraints = [
            models.UniqueConstraint(fields=["lot", "wanted"], name="match_once_per_pair"),
            models.CheckConstraint(
                condition=models.Q(score__gte=0, score__lte=1), name="match_score_range"
            ),
        ]
        indexes = [
            models.Index(fields=["wanted", "status"], name="match_wanted_status_idx"),
            models.Index(
                fields=["claim"], condition=models.Q(claim__isnull=False), name="match_claim_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"lot {self.lot_id} ~ wanted {self.wanted_id} ({self.score:.2f})"


class LotMatchState(models.Model):
    """When a lot was last matched against the open requests: the nightly repair
    matches published lots changed, or whose next claim window opened, since then
    (and those never matched, whose matching job was lost)."""

    lot = models.OneToOneField(
        "lots.Lot", on_delete=models.CASCADE, primary_key=True, related_name="match_state"
    )
    matched_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"lot {self.lot_id} matched {self.matched_at:%Y-%m-%d %H:%M}"
