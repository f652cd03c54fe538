from django.contrib import admin

from exchange.organisations.models import Membership, Organisation, Site


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
