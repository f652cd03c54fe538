from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from exchange.organisations.models import Invitation, Membership, Organisation, Site


class SiteInline(admin.TabularInline):
    model = Site
    extra = 0


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "enterprise_number", "region", "verified_at")
    list_filter = ("kind", "region", ("verified_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "enterprise_number")
    readonly_fields = ("verified_at", "verified_by")
    inlines = [SiteInline, MembershipInline]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Who was invited into which organisation, by whom, and what became of it. Read
    only: invitations are made, renewed and withdrawn by the organisation's admins (their
    page, or the API), whose services send the link; the link itself is never shown."""

    list_display = (
        "email",
        "organisation",
        "role",
        "state",
        "invited_by",
        "created_at",
        "expires_at",
        "sent_at",
        "accepted_at",
        "revoked_at",
    )
    list_select_related = ("organisation", "invited_by")
    list_filter = (
        "role",
        ("accepted_at", admin.EmptyFieldListFilter),
        ("revoked_at", admin.EmptyFieldListFilter),
    )
    search_fields = ("email", "organisation__name")
    date_hierarchy = "created_at"
    fields = (
        "organisation",
        "email",
        "role",
        "language",
        "state",
        "invited_by",
        "created_at",
        "expires_at",
        "sent_at",
        "accepted_at",
        "accepted_by",
        "revoked_at",
    )
    readonly_fields = fields

    STATES = {
        "pending": pgettext_lazy("invitation status", "Waiting for an answer"),
        "expired": pgettext_lazy("invitation status", "Expired"),
        "accepted": pgettext_lazy("invitation status", "Accepted"),
        "revoked": pgettext_lazy("invitation status", "Withdrawn"),
    }

    @admin.display(description=_("Status"))
    def state(self, invitation: Invitation) -> str:
        return self.STATES[invitation.status]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
