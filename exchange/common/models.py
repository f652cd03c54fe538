from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class AuditEvent(models.Model):
    """Who changed what state of which object, when, from what to what. Append-only."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The organisation the actor acted for.",
    )
    object_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)
    action = models.CharField(max_length=64)
    from_state = models.CharField(max_length=64, blank=True)
    to_state = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "created_at"])]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type.model}#{self.object_id}"


class IdempotentRequest(models.Model):
    """A creating API request sent with an ``Idempotency-Key`` header, and its answer:
    the same key (of the same person acting for the same organisation) with the same
    request within 24 hours gets this answer again instead of creating anything
    (api/idempotency.py). Only successful answers are kept."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The organisation the person acted for (0: none); not a foreign key: a record of
    # a request, gone after a day.
    organisation_id = models.BigIntegerField(default=0)
    key = models.CharField(max_length=255)
    # SHA-256 of the method, the path with its query and the request's content.
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(default=0)
    body = models.JSONField(null=True, blank=True)

    KEY_HOURS = 24  # how long a key holds

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation_id", "key"], name="idempotent_request_once_per_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status_code})"
