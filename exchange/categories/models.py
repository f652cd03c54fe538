from collections.abc import Callable

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from exchange.common.models import TimeStampedModel


def name_in_active_language(name_in: Callable[[str], str | None], active: str | None = None) -> str:
    """A category's name in the active language (``active``, else the one active now),
    English where the language is unknown (``Category.name``; a catalogue page's rows):
    ``name_in(language)`` is the name in a language, None for a language it has no
    name in."""
    return name_in((active or translation.get_language() or "en")[:2]) or name_in("en")


class Category(TimeStampedModel):
    """A node of the category tree (Furniture › Office chair; IT › Laptop ...).

    ``path`` is the materialised path of codes (``furniture/office-chair``) so that a
    whole subtree is one indexed prefix query.
    """

    code = models.SlugField(_("code"), max_length=64, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    position = models.PositiveSmallIntegerField(default=0)
    name_nl = models.CharField(_("name (Dutch)"), max_length=120)
    name_fr = models.CharField(_("name (French)"), max_length=120)
    name_de = models.CharField(_("name (German)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    cpv_code = models.CharField(_("CPV code"), max_length=12, blank=True)
    unit_weight_kg = models.DecimalField(
        _("default unit weight (kg)"), max_digits=9, decimal_places=3
    )
    replacement_value_eur = models.DecimalField(
        _("default replacement value (EUR)"), max_digits=10, decimal_places=2
    )
    replacement_value_indicative = models.BooleanField(default=True)
    requires_data_sanitisation = models.BooleanField(_("requires data sanitisation"), default=False)

    class Meta:
        ordering = ["path"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(unit_weight_kg__gt=0), name="category_weight_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(replacement_value_eur__gte=0), name="category_value_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The name in the active language (English where the language is unknown)."""
        return name_in_active_language(lambda language: getattr(self, f"name_{language}", None))

    def names(self) -> dict[str, str]:
        return {"nl": self.name_nl, "fr": self.name_fr, "de": self.name_de, "en": self.name_en}


class FactorVersion(models.Model):
    """A published set of impact factors; impact records name the version they used."""

    version = models.CharField(max_length=16, unique=True)
    published_on = models.DateField()
    is_current = models.BooleanField(default=False)
    weight_based_co2e_per_kg = models.DecimalField(
        _("CO2e avoided per kg reused (weight-based)"), max_digits=8, decimal_places=4
    )
    weight_based_source = models.CharField(max_length=300)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-published_on", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"],
                condition=models.Q(is_current=True),
                name="one_current_factor_version",
            )
        ]

    def __str__(self) -> str:
        return self.version


class CategoryFactor(models.Model):
    """Impact factors of one category in one version, each with its source."""

    version = models.ForeignKey(FactorVersion, on_delete=models.PROTECT, related_name="factors")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="factors")
    unit_weight_kg = models.DecimalField(max_digits=9, decimal_places=3)
    unit_weight_indicative = models.BooleanField(default=False)
    co2e_new_unit_kg = models.DecimalField(max_digits=9, decimal_places=3, null=True, blank=True)
    co2e_avoided_per_unit_kg = models.DecimalField(
        max_digits=9,
        decimal_places=3,
        null=True,
        blank=True,
        help_text="Empty: use the version's weight-based factor.",
    )
    recycling_co2e_per_kg = models.DecimalField(
        max_digits=8, decimal_places=4, null=True, blank=True
    )
    source = models.CharField(max_length=500)

    class Meta:
        ordering = ["version", "category__path"]
        constraints = [
            models.UniqueConstraint(fields=["version", "category"], name="category_factor_unique")
        ]

    def __str__(self) -> str:
        return f"{self.category.code} @ {self.version.version}"
