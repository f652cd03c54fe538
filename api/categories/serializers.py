from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from exchange.categories.models import Category, CategoryFactor


class CategoryNamesOutputSerializer(serializers.Serializer):
    nl = serializers.CharField()
    fr = serializers.CharField()
    de = serializers.CharField()
    en = serializers.CharField()


class CategoryFactorOutputSerializer(serializers.ModelSerializer):
    version = serializers.CharField(source="version.version")
    weight_based_co2e_per_kg = serializers.DecimalField(
        source="version.weight_based_co2e_per_kg", max_digits=8, decimal_places=4
    )

    class Meta:
        model = CategoryFactor
        fields = [
            "version",
            "unit_weight_kg",
            "unit_weight_indicative",
            "co2e_new_unit_kg",
            "co2e_avoided_per_unit_kg",
            "recycling_co2e_per_kg",
            "weight_based_co2e_per_kg",
            "source",
        ]


class CategoryOutputSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    names = serializers.SerializerMethodField()
    factor = serializers.SerializerMethodField()

    class Meta:
        model = Category
        fields = [
            "id",
            "code",
            "parent",
            "path",
            "depth",
            "name",
            "names",
            "cpv_code",
            "unit_weight_kg",
            "replacement_value_eur",
            "requires_data_sanitisation",
            "factor",
        ]

    @extend_schema_field(CategoryNamesOutputSerializer)
    def get_names(self, category: Category) -> dict:
        return category.names()

    @extend_schema_field(CategoryFactorOutputSerializer(allow_null=True))
    def get_factor(self, category: Category):
        factors = getattr(category, "current_factors", None)
        if not factors:
            return None
        return CategoryFactorOutputSerializer(factors[0]).data
