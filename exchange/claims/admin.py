from django.contrib import admin

from exchange.claims.models import Claim


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    """Read-only: claims change state through their services (web pages and API)."""

    list_display = (
        "id",
        "lot",
        "claimant",
        "quantity",
        "status",
        "tier",
        "pickup_at",
        "collected_quantity",
        "created_at",
    )
    list_filter = ("status", "tier")
    search_fields = ("lot__title", "claimant__name")

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
