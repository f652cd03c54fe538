import django_filters
from django.db.models import Q

from exchange.organisations.models import Organisation, OrganisationKind, Region


class OrganisationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Name or enterprise number contains")
    kind = django_filters.ChoiceFilter(choices=OrganisationKind.choices)
    region = django_filters.ChoiceFilter(choices=Region.choices)
    verified = django_filters.BooleanFilter(
        field_name="verified_at", lookup_expr="isnull", exclude=True
    )

    class Meta:
        model = Organisation
        fields = ["q", "kind", "region", "verified"]

    def filter_q(self, queryset, name, value):
        digits = "".join(ch for ch in value if ch.isdigit())
        condition = Q(name__icontains=value)
        if digits:
            condition |= Q(enterprise_number__contains=digits)
        return queryset.filter(condition)
