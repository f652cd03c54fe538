from django.contrib import admin
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from exchange.claims.models import Claim, ClaimMessage, PickupSlot


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


class _ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by the claim services only: the admin shows them, never edits them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ClaimMessage)
class ClaimMessageAdmin(_ReadOnlyAdmin):
    """The claims' conversations, to look into a dispute."""

    list_display = ("id", "claim", "organisation", "author", "excerpt", "created_at")
    list_select_related = ("claim", "organisation", "author")
    list_filter = (("created_at", admin.DateFieldListFilter),)
    search_fields = ("body", "claim__lot__title", "organisation__name")
    date_hierarchy = "created_at"
    fields = ("claim", "organisation", "author", "body", "created_at")
    readonly_fields = fields

    @admin.display(description=_("message"))
    def excerpt(self, message: ClaimMessage) -> str:
        return Truncator(message.body).chars(80)


@admin.register(PickupSlot)
class PickupSlotAdmin(_ReadOnlyAdmin):
    """The pickup times proposed on each claim, and which one was accepted."""

    list_display = (
        "id",
        "claim",
        "starts_at",
        "status",
        "proposed_by_organisation",
        "proposed_by",
        "accepted_by",
        "accepted_at",
    )
    list_select_related = ("claim", "proposed_by_organisation", "proposed_by", "accepted_by")
    list_filter = ("status",)
    search_fields = ("claim__lot__title", "proposed_by_organisation__name")
    date_hierarchy = "starts_at"
    fields = list_display[1:]
    readonly_fields = fields
