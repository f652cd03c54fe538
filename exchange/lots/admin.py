from django.contrib import admin

from exchange.lots.models import Lot


@admin.register(Lot)
class LotAdmin(admin.ModelAdmin):
    """Read-only: lots change state through their services (web pages and API)."""

    list_display = (
        "id",
        "title",
        "owner",
        "category",
        "quantity",
        "quantity_reserved",
        "status",
        "region",
        "published_at",
        "available_until",
    )
    list_filter = ("status", "region", "condition")
    search_fields = ("title", "owner__name")

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
