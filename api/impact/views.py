import django_filters
from rest_framework import mixins, serializers, viewsets

from api.mixins import ScopedViewMixin
from exchange.impact.models import ImpactRecord, Outcome
from exchange.impact.selectors.records import impact_record_list


class ImpactRecordOutputSerializer(serializers.ModelSerializer):
    factor_version = serializers.CharField(source="factor_version.version")
    category = serializers.CharField(source="category.code")
    donor_name = serializers.CharField(source="donor.name")
    recipient_name = serializers.CharField(source="recipient.name", allow_null=True)

    class Meta:
        model = ImpactRecord
        fields = [
            "id",
            "occurred_on",
            "source",
            "outcome",
            "lot",
            "claim",
            "corrects",
            "quantity",
            "weight_kg",
            "co2e_avoided_kg",
            "replacement_value_eur",
            "factor_version",
            "donor",
            "donor_name",
            "recipient",
            "recipient_name",
            "category",
            "region",
            "created_at",
        ]


class ImpactRecordFilter(django_filters.FilterSet):
    lot = django_filters.NumberFilter(field_name="lot_id")
    claim = django_filters.NumberFilter(field_name="claim_id")
    outcome = django_filters.ChoiceFilter(choices=Outcome.choices)
    year = django_filters.NumberFilter(
        field_name="occurred_on__year", min_value=2000, max_value=2100
    )

    class Meta:
        model = ImpactRecord
        fields = ["lot", "claim", "outcome", "year"]


class ImpactRecordViewSet(
    ScopedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Impact records (append-only): your organisation's as donor and recipient;
    analysts and moderators see all."""

    queryset_for_schema = ImpactRecord.objects.none()
    serializer_class = ImpactRecordOutputSerializer
    filterset_class = ImpactRecordFilter

    def scoped_queryset(self):
        return impact_record_list(user=self.request.user, actor=self.actor)
