from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from exchange.accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Reuse Exchange", {"fields": ("language", "current_organisation")}),
    )
    list_display = ("username", "email", "first_name", "last_name", "language", "is_staff")
