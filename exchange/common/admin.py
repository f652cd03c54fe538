from django.contrib import admin

from exchange.common.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "actor",
        "organisation",
        "object_type",
        "object_id",
        "action",
        "from_state",
        "to_state",
    )
    list_filter = ("action", "object_type")
    search_fields = ("object_id", "actor__username", "organisation__name")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
