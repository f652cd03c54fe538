from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person. Signs in with username or e-mail; acts for one organisation at a time."""

    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    match_notifications = models.CharField(
        _("e-mail about matches"),
        max_length=10,
        choices=[("daily", _("Once a day, in a digest")), ("immediate", _("At once"))],
        default="daily",
    )
    current_organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("current organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="user_email_unique_ci",
                violation_error_message=_("An account with this e-mail address already exists."),
            )
        ]

    @property
    def is_moderator(self) -> bool:
        return self.is_superuser or self._in_group("moderator")

    @property
    def is_analyst(self) -> bool:
        return self.is_superuser or self._in_group("analyst")

    def _in_group(self, name: str) -> bool:
        cache = getattr(self, "_group_names", None)
        if cache is None:
            cache = self._group_names = set(self.groups.values_list("name", flat=True))
        return name in cache


class ApiToken(models.Model):
    """A key for the API, one per device or script, named by its owner.

    Only a digest of the key is stored; the key is shown once, when it is made. It
    expires ``EXCHANGE_API_TOKEN_DAYS`` after its last use, and at the latest
    ``EXCHANGE_API_TOKEN_MAX_DAYS`` after it was made."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(_("name"), max_length=100)
    key_digest = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("starts with"), max_length=8, editable=False)
    created_at = models.DateTimeField(_("created at"), editable=False)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="api_token_name_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
