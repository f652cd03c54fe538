from django.db import models
from django.utils.translation import gettext_lazy as _

from exchange.common.storage import private_storage


class Outcome(models.TextChoices):
    REUSED_FEDERAL = "reused_federal", _("Reused by a federal service")
    REUSED_SOCIAL_ECONOMY = "reused_social_economy", _("Reused by the social economy")
    REUSED_OTHER = "reused_other", _("Reused by another body")
    SOLD = "sold", _("Sold through the federal sales service")
    RECYCLED = "recycled", _("Recycled")
    DISPOSED = "disposed", _("Disposed of")


REUSE_OUTCOMES = (
    Outcome.REUSED_FEDERAL,
    Outcome.REUSED_SOCIAL_ECONOMY,
    Outcome.REUSED_OTHER,
    Outcome.SOLD,
)


class ImpactSource(models.TextChoices):
    HANDOVER = "handover", _("Handover of a claim")
    LOT_CLOSE = "lot_close", _("Closing of an expired lot")
    CORRECTION = "correction", _("Correction")


class ImpactRecord(models.Model):
    """An append-only fact: what happened to a quantity of a lot. A correction is a new,
    compensating record; a record is never edited."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    occurred_on = models.DateField(db_index=True)
    source = models.CharField(max_length=12, choices=ImpactSource.choices)
    outcome = models.CharField(max_length=24, choices=Outcome.choices)
    lot = models.ForeignKey("lots.Lot", on_delete=models.PROTECT, related_name="impact_records")
    claim = models.ForeignKey(
        "claims.Claim",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="impact_records",
    )
    corrects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )
    quantity = models.IntegerField()
    weight_kg = models.DecimalField(max_digits=12, decimal_places=3)
    co2e_avoided_kg = models.DecimalField(max_digits=12, decimal_places=3)
    replacement_value_eur = models.DecimalField(max_digits=12, decimal_places=2)
    factor_version = models.ForeignKey(
        "categories.FactorVersion", on_delete=models.PROTECT, related_name="+"
    )
    donor = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="impact_given"
    )
    recipient = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="impact_received",
    )
    category = models.ForeignKey("categories.Category", on_delete=models.PROTECT, related_name="+")
    region = models.CharField(max_length=3)

    class Meta:
        ordering = ["-occurred_on", "-id"]
        indexes = [
            models.Index(fields=["occurred_on", "outcome"], name="impact_date_outcome_idx"),
            models.Index(fields=["donor", "occurred_on"], name="impact_donor_date_idx"),
            models.Index(fields=["recipient", "occurred_on"], name="impact_recipient_date_idx"),
        ]
        constraints = [
            # Exactly one original record per handover and per closing of a lot, however
            # often the job runs.
            models.UniqueConstraint(
                fields=["claim"],
                condition=models.Q(source="handover"),
                name="impact_one_record_per_handover",
            ),
            models.UniqueConstraint(
                fields=["lot"],
                condition=models.Q(source="lot_close"),
                name="impact_one_record_per_lot_close",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.outcome}: {self.quantity} of lot {self.lot_id}"


class ImpactTotalRole(models.TextChoices):
    DONOR = "donor", _("Donor")
    RECIPIENT = "recipient", _("Recipient")


class _MonthlySums(models.Model):
    """The sums of a group of impact records: how many, and their items, weight, CO2e
    avoided and replacement value."""

    month = models.DateField()  # the first day of the month the records occurred in
    outcome = models.CharField(max_length=24, choices=Outcome.choices)
    record_count = models.IntegerField()
    items = models.BigIntegerField()
    weight_kg = models.DecimalField(max_digits=18, decimal_places=3)
    co2e_avoided_kg = models.DecimalField(max_digits=18, decimal_places=3)
    replacement_value_eur = models.DecimalField(max_digits=18, decimal_places=2)

    class Meta:
        abstract = True


class ImpactMonthlyTotal(_MonthlySums):
    """The impact records of a month summed per outcome, category, region and factor
    version: what the statistics read instead of the records when a question is about
    whole months and every organisation. Written in the transaction that writes the
    records (``impact_totals_add``); ``impact_totals_rebuild`` recomputes them."""

    category = models.ForeignKey("categories.Category", on_delete=models.PROTECT, related_name="+")
    region = models.CharField(max_length=3)
    factor_version = models.ForeignKey(
        "categories.FactorVersion", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "outcome", "category", "region", "factor_version"],
                name="impact_monthly_total_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.outcome} {self.category_id} {self.region}"


class ImpactOrganisationMonthlyTotal(_MonthlySums):
    """The impact records of a month summed per organisation, as donor and as recipient,
    and per outcome: the statistics' breakdowns by donor and by recipient."""

    role = models.CharField(max_length=9, choices=ImpactTotalRole.choices)
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["role", "month", "organisation", "outcome"],
                name="impact_organisation_monthly_total_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.role} {self.organisation_id} {self.outcome}"


class ImpactOrganisationCategoryMonthlyTotal(_MonthlySums):
    """The same per organisation, as donor and as recipient, and per outcome, category
    and region: the donor and recipient breakdowns of statistics filtered by a category
    or a region (the table above, without those, stays small for the rest)."""

    role = models.CharField(max_length=9, choices=ImpactTotalRole.choices)
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    category = models.ForeignKey("categories.Category", on_delete=models.PROTECT, related_name="+")
    region = models.CharField(max_length=3)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["role", "month", "organisation", "outcome", "category", "region"],
                name="impact_organisation_category_monthly_total_key",
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.month:%Y-%m} {self.role} {self.organisation_id} {self.outcome} "
            f"{self.category_id} {self.region}"
        )


class ReportJob(models.Model):
    """An annual report built by a Celery task (large years), downloadable when ready."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Being prepared")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    created_at = models.DateTimeField(auto_now_add=True)
    requested_by = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="report_jobs"
    )
    # The reader's scope when asked: an organisation, or None for all (analysts).
    organisation = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    year = models.PositiveSmallIntegerField()
    file_format = models.CharField(max_length=4)
    language = models.CharField(max_length=8)
    factor_version = models.ForeignKey(
        "categories.FactorVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The CSV variant asked for (semicolon, comma); empty: the language's.
    csv_separator = models.CharField(max_length=9, blank=True, default="")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    # Private: under a name nobody can guess, served only by the job's download views.
    file = models.FileField(
        upload_to="reports/", storage=private_storage, blank=True, max_length=300
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"report {self.year}.{self.file_format} ({self.status})"
