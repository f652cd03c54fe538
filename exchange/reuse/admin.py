from django.contrib import admin

from exchange.reuse.models import Attestation, ReuseCheck


@admin.register(ReuseCheck)
class ReuseCheckAdmin(admin.ModelAdmin):
    list_display = ["file_reference", "organisation", "category", "quantity", "status"]
    list_filter = ["status"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Attestation)
class AttestationAdmin(admin.ModelAdmin):
    list_display = ["number", "issued_at", "language"]
    exclude = ["pdf"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
