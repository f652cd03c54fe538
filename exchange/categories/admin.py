from django.contrib import admin, messages
from django.utils import timezone

from exchange.categories.models import Category, CategoryFactor, FactorVersion
from exchange.categories.services import factor_version_copy, factor_version_publish
from exchange.common.errors import ApplicationError


class CategoryFactorInline(admin.TabularInline):
    model = CategoryFactor
    extra = 0

    def has_change_permission(self, request, obj=None):
        # The factors of the current version are what records were computed with.
        return obj is None or not obj.is_current


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = (
        "path",
        "name_en",
        "cpv_code",
        "unit_weight_kg",
        "replacement_value_eur",
        "requires_data_sanitisation",
    )
    search_fields = ("code", "name_nl", "name_fr", "name_de", "name_en", "cpv_code")
    readonly_fields = ("code", "parent")


@admin.register(FactorVersion)
class FactorVersionAdmin(admin.ModelAdmin):
    """Moderators copy the current version, edit the copy's factors (each with its
    source), then publish it: new impact records use it, old ones keep theirs."""

    list_display = ("version", "published_on", "is_current", "weight_based_co2e_per_kg")
    readonly_fields = ("is_current",)
    inlines = [CategoryFactorInline]
    actions = ["copy_as_new_version", "publish"]

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or not obj.is_current)

    @admin.action(description="Copy as a new draft version")
    def copy_as_new_version(self, request, queryset):
        for source in queryset:
            name = f"{timezone.localdate().year}.draft-{source.pk}"
            try:
                factor_version_copy(user=request.user, source=source, version=name)
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, f"{name} created: edit it, then publish it.")

    @admin.action(description="Publish as the current version")
    def publish(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Publish one version at a time.", messages.ERROR)
            return
        try:
            version = factor_version_publish(user=request.user, version=queryset.get())
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, f"{version.version} is now the current version.")
