from django.contrib import admin

from exchange.impact.models import ImpactRecord


@admin.register(ImpactRecord)
class ImpactRecordAdmin(admin.ModelAdmin):
    """Impact records are append-only facts: read them here, correct them with a new
    compensating record, never edit."""

    list_display = (
        "occurred_on",
        "outcome",
        "quantity",
        "weight_kg",
        "co2e_avoided_kg",
        "replacement_value_eur",
        "factor_version",
        "donor",
        "recipient",
        "category",
        "region",
        "source",
    )
    list_filter = ("outcome", "source", "region", "factor_version")
    search_fields = ("donor__name", "recipient__name", "lot__title")
    date_hierarchy = "occurred_on"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
