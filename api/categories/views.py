import django_filters
from rest_framework import mixins, viewsets
from rest_framework.permissions import AllowAny

from api.categories.serializers import CategoryOutputSerializer
from api.mixins import ScopedViewMixin
from exchange.categories.models import Category
from exchange.categories.selectors import category_list, subtree_condition


class CategoryFilter(django_filters.FilterSet):
    parent = django_filters.ModelChoiceFilter(queryset=Category.objects.all())
    root = django_filters.BooleanFilter(
        field_name="parent", lookup_expr="isnull", label="Top level only"
    )
    within = django_filters.CharFilter(
        method="filter_within", label="Code of a category: its subtree"
    )
    requires_data_sanitisation = django_filters.BooleanFilter()

    class Meta:
        model = Category
        fields = ["parent", "root", "within", "requires_data_sanitisation"]

    def filter_within(self, queryset, name, value):
        root = Category.objects.filter(code=value).first()
        if root is None:
            return queryset.none()
        return queryset.filter(subtree_condition(root.path))


class CategoryViewSet(
    ScopedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The category tree, with names in NL/FR/DE/EN, CPV codes and current impact factors.
    Public: no sign-in needed."""

    queryset_for_schema = Category.objects.none()
    serializer_class = CategoryOutputSerializer
    permission_classes = [AllowAny]
    filterset_class = CategoryFilter

    def scoped_queryset(self):
        return category_list()
