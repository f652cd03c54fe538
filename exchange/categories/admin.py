from django.contrib import admin

from exchange.categories.models import Category, CategoryFactor, FactorVersion


class CategoryFactorInline(admin.TabularInline):
    model = CategoryFactor
    extra = 0


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
    inlines = [CategoryFactorInline]


@admin.register(FactorVersion)
class FactorVersionAdmin(admin.ModelAdmin):
    list_display = ("version", "published_on", "is_current", "weight_based_co2e_per_kg")
