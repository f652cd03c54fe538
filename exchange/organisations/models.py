import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from exchange.common.models import TimeStampedModel
from exchange.organisations.validators import format_enterprise_number, organisation_name_key


class Region(models.TextChoices):
    BRUSSELS = "BRU", _("Brussels-Capital")
    FLANDERS = "VLG", _("Flanders")
    WALLONIA = "WAL", _("Wallonia")


class OrganisationKind(models.TextChoices):
    FEDERAL = "federal", _("Federal service")
    PUBLIC = "public", _("Other public body")
    SOCIAL_ECONOMY = "social_economy", _("Social-economy enterprise")
    NONPROFIT = "nonprofit", _("Non-profit organisation")


class AccreditationScheme(models.TextChoices):
    FLANDERS = "VLG", _("Flemish Region")
    WALLONIA = "WAL", _("Walloon Region")
    BRUSSELS = "BRU", _("Brussels-Capital Region")
    GERMAN_COMMUNITY = "DG", _("German-speaking Community")
    FEDERAL = "FED", _("Federal")


class Organisation(TimeStampedModel):
    name = models.CharField(_("name"), max_length=200)
    # The name without accents, case or repeated spaces: unique among verified ones.
    name_key = models.CharField(max_length=200, editable=False, default="")
    # A verified organisation's new name, until a moderator approves it.
    requested_name = models.CharField(_("requested name"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=OrganisationKind.choices)
    enterprise_number = models.CharField(
        _("enterprise number"),
        max_length=10,
        unique=True,
        help_text=_("KBO/BCE number, 10 digits, for example 0123.456.749."),
    )
    region = models.CharField(_("region"), max_length=3, choices=Region.choices)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    email = models.EmailField(_("contact e-mail"), blank=True)
    auto_approve_claims = models.BooleanField(_("approve claims automatically"), default=False)
    accreditation_scheme = models.CharField(
        _("accreditation scheme"), max_length=3, choices=AccreditationScheme.choices, blank=True
    )
    accreditation_number = models.CharField(_("accreditation number"), max_length=64, blank=True)
    accreditation_valid_until = models.DateField(
        _("accreditation valid until"), null=True, blank=True
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    verification_notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=OrganisationKind.values), name="organisation_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(region__in=Region.values), name="organisation_region_valid"
            ),
            models.UniqueConstraint(
                fields=["name_key"],
                condition=models.Q(verified_at__isnull=False) & ~models.Q(name_key=""),
                name="organisation_verified_name_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # The key follows the name wherever an organisation is saved (a derived value;
        # the rule that it is unique is the services' and the constraint's).
        self.name_key = organisation_name_key(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_key"}
        super().save(*args, **kwargs)

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def enterprise_number_display(self) -> str:
        return format_enterprise_number(self.enterprise_number)

    def has_valid_accreditation(self, on: datetime.date | None = None) -> bool:
        """A social-economy enterprise whose accreditation runs on ``on`` (today);
        ``valid_accreditation_condition`` is the same for a query. What it means for
        claiming: ``exchange.lots.eligibility``."""
        on = on or timezone.localdate()
        return bool(
            self.kind == OrganisationKind.SOCIAL_ECONOMY
            and self.accreditation_number
            and self.accreditation_valid_until
            and self.accreditation_valid_until >= on
        )

    @staticmethod
    def valid_accreditation_condition(on: datetime.date, prefix: str = "") -> models.Q:
        """``has_valid_accreditation`` as a query filter (``prefix``: the path to the
        organisation, e.g. ``"organisation__"``)."""
        return (
            models.Q(**{f"{prefix}kind": OrganisationKind.SOCIAL_ECONOMY})
            & ~models.Q(**{f"{prefix}accreditation_number": ""})
            & models.Q(**{f"{prefix}accreditation_valid_until__gte": on})
        )


class Site(TimeStampedModel):
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="sites"
    )
    name = models.CharField(_("name"), max_length=200)
    street = models.CharField(_("street and number"), max_length=200)
    postcode = models.CharField(_("postcode"), max_length=4)
    municipality = models.CharField(_("municipality"), max_length=100)
    region = models.CharField(_("region"), max_length=3, choices=Region.choices)
    latitude = models.DecimalField(_("latitude"), max_digits=8, decimal_places=6)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)

    class Meta:
        ordering = ["organisation_id", "name", "id"]
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        indexes = [models.Index(fields=["latitude", "longitude"], name="site_lat_lon_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(latitude__gte=49.49, latitude__lte=51.51)
                & models.Q(longitude__gte=2.54, longitude__lte=6.41),
                name="site_in_belgium",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.postcode} {self.municipality}"


class MembershipRole(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    MEMBER = "member", _("Member")
    VIEWER = "viewer", _("Viewer")


class Membership(TimeStampedModel):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=10, choices=MembershipRole.choices)
    # A person's phone is their work phone at this organisation: a person who acts for
    # two organisations has two. Shown to the other side of an approved claim.
    phone = models.CharField(_("phone number"), max_length=32, blank=True)

    class Meta:
        ordering = ["organisation__name", "user__username"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=MembershipRole.values), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.role})"

    @property
    def can_write(self) -> bool:
        return self.role in (MembershipRole.ADMIN, MembershipRole.MEMBER)

    @property
    def is_admin(self) -> bool:
        return self.role == MembershipRole.ADMIN


class Invitation(TimeStampedModel):
    """An admin's invitation of a person, by e-mail address, to become a member.

    The link in the e-mail carries the invitation's id and ``nonce``, signed with the
    project's secret (``exchange.organisations.invitations``): the database alone cannot
    make a link, and a new nonce (invited again) ends the old link. A person becomes a
    member once an address of theirs that equals ``email`` is verified: by accepting
    while signed in, or by confirming that address after signing up with it."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="invitations",
    )
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=10, choices=MembershipRole.choices)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    nonce = models.CharField(max_length=64, editable=False)
    expires_at = models.DateTimeField(_("expires at"))
    # When the e-mail with the current link went out (empty again when invited again).
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True, editable=False)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accepted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(
                "organisation",
                models.functions.Lower("email"),
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_open_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=MembershipRole.values), name="invitation_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation} ({self.role})"

    @property
    def is_open(self) -> bool:
        """Neither accepted nor revoked (it may have expired)."""
        return self.accepted_at is None and self.revoked_at is None

    def is_pending(self, now: datetime.datetime | None = None) -> bool:
        """Open and not expired: it can still be accepted."""
        return self.is_open and self.expires_at > (now or timezone.now())

    @property
    def status(self) -> str:
        if self.accepted_at is not None:
            return "accepted"
        if self.revoked_at is not None:
            return "revoked"
        return "pending" if self.is_pending() else "expired"
