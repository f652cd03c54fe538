import django_filters
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from api.pagination import CappedCountPaginator
from exchange.categories.models import Category
from exchange.lots import selectors
from exchange.lots.models import Condition, Lot, LotStatus
from exchange.organisations.models import Organisation, Region, Site


def my_sites(request):
    actor = getattr(request, "acting_membership", None)
    if actor is None:
        return Site.objects.none()
    return Site.objects.filter(organisation_id=actor.organisation_id)


class LotFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_q", label="Free text (title, description, category)"
    )
    category = django_filters.ModelChoiceFilter(
        queryset=Category.objects.all(),
        method="filter_category",
        label="Category id: the whole subtree matches",
    )
    region = django_filters.ChoiceFilter(choices=Region.choices)
    min_condition = django_filters.ChoiceFilter(
        choices=Condition.choices,
        method="filter_min_condition",
        label="At least this condition (new > good > fair > parts)",
    )
    claimable = django_filters.BooleanFilter(
        method="filter_claimable", label="Only lots my organisation may claim now"
    )
    near_site = django_filters.ModelChoiceFilter(
        queryset=my_sites, method="filter_noop", label="Id of one of my sites: distance from it"
    )
    radius_km = django_filters.NumberFilter(
        method="filter_noop", label="With near_site: at most this many km (default 25)"
    )
    status = django_filters.ChoiceFilter(choices=LotStatus.choices)
    owner = django_filters.ModelChoiceFilter(queryset=Organisation.objects.all())
    ordering = django_filters.ChoiceFilter(
        choices=[("newest", "newest"), ("closing_soon", "closing_soon"), ("nearest", "nearest")],
        method="filter_noop",
        label="newest (default), closing_soon or nearest (needs near_site)",
    )

    class Meta:
        model = Lot
        fields = [
            "q",
            "category",
            "region",
            "min_condition",
            "claimable",
            "near_site",
            "radius_km",
            "status",
            "owner",
            "ordering",
        ]

    def filter_noop(self, queryset, name, value: int):
        return queryset  # applied together in filter_queryset

    def filter_q(self, queryset, name, value):
        return selectors.lot_filter_text(queryset, value)

    def filter_category(self, queryset, name, value):
        return selectors.lot_filter_category(queryset, value)

    def filter_min_condition(self, queryset, name, value):
        return selectors.lot_filter_min_condition(queryset, value)

    def filter_claimable(self, queryset, name, value):
        if not value:
            return queryset
        return selectors.lot_filter_claimable(
            queryset, getattr(self.request, "acting_membership", None)
        )

    @classmethod
    def named(cls, data) -> bool:
        """Whether the query names any filter (else: the plain catalogue)."""
        return any(name in data for name in cls.base_filters)

    @classmethod
    def plain(cls, queryset):
        """The list when no filter is named: its order only. Without building a filter
        set (deep-copying its ten filters cost about as much as shaping the page)."""
        return cls._placed(queryset, {})

    def is_valid(self) -> bool:
        # No filter asked for (the plain catalogue): no form to build and check.
        return not self.named(self.data) or super().is_valid()

    @property
    def qs(self):
        if not self.named(self.data):
            return self.plain(self.queryset.all())
        return super().qs

    def filter_queryset(self, queryset):
        return self._placed(super().filter_queryset(queryset), self.form.cleaned_data)

    @staticmethod
    def _placed(queryset, data: dict):
        """The distance filter and the ordering, together (``data``: the cleaned filters)."""
        site, ordering = data.get("near_site"), data.get("ordering") or "newest"
        radius = data.get("radius_km")
        if radius is not None and not 0 < radius <= 500:
            raise ValidationError({"radius_km": [_("Give a radius from 1 to 500 km.")]})
        if ordering == "nearest":
            if site is None:
                raise ValidationError({"ordering": [_("Ordering by distance needs near_site.")]})
            # The list counts and shows at most cap + 1 lots: the nearest that many.
            bound = CappedCountPaginator.cap + 1
            origin = selectors.site_origin(site)
            return selectors.lot_nearest(queryset, origin, float(radius or 25), bound)
        if site is not None:
            queryset = selectors.lot_filter_near(
                queryset, selectors.site_origin(site), float(radius or 25)
            )
        if ordering == "closing_soon":
            return queryset.order_by(*selectors.CLOSING_SOON)
        return queryset.order_by(*selectors.NEWEST)
