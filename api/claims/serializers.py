from decimal import Decimal

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from exchange.claims.models import Claim
from exchange.claims.transitions import ClaimAction, claim_actions


class ClaimLotOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.CharField()
    owner = serializers.IntegerField(source="owner_id")
    owner_name = serializers.CharField(source="owner.name")


class ClaimOrganisationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()


class ClaimOutputSerializer(serializers.ModelSerializer):
    lot = ClaimLotOutputSerializer()
    claimant = ClaimOrganisationOutputSerializer()
    document_url = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField(
        help_text="What the organisation you act for may do with the claim now: the "
        "lifecycle actions below (no_show is POST no-show/)."
    )

    class Meta:
        model = Claim
        fields = [
            "id",
            "lot",
            "claimant",
            "quantity",
            "note",
            "status",
            "tier",
            "decline_reason",
            "pickup_at",
            "collected_quantity",
            "measured_weight_kg",
            "created_at",
            "decided_at",
            "collected_at",
            "document_url",
            "actions",
        ]

    def get_document_url(self, claim: Claim) -> str | None:
        if claim.status not in ("approved", "collected"):
            return None
        return reverse("api:claim-document", args=[claim.pk])

    @extend_schema_field(
        serializers.ListField(
            child=serializers.ChoiceField(choices=[(a.value, a.name) for a in ClaimAction])
        )
    )
    def get_actions(self, claim: Claim) -> list[str]:
        actor = self.context.get("actor")
        if actor is None:
            return []
        return sorted(claim_actions(claim=claim, actor=actor, now=self.context.get("now")))


class ClaimCreateInputSerializer(serializers.Serializer):
    lot = serializers.IntegerField()
    quantity = serializers.IntegerField()
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ClaimDeclineInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, allow_blank=True)


class ClaimScheduleInputSerializer(serializers.Serializer):
    pickup_at = serializers.DateTimeField()


class ClaimCollectInputSerializer(serializers.Serializer):
    quantity = serializers.IntegerField()
    weight_kg = serializers.DecimalField(
        max_digits=10,
        decimal_places=3,
        required=False,
        allow_null=True,
        min_value=Decimal("0.001"),
    )
