from decimal import Decimal

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.validation import AllErrorsInputSerializer
from exchange.claims.models import MESSAGE_MAX_LENGTH, Claim, PickupSlotStatus
from exchange.claims.services import approved_quantity, claim_collect_validate, claim_validate
from exchange.claims.transitions import ClaimAction, claim_actions
from exchange.common.limits import NOTE_MAX


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


class ClaimCreateInputSerializer(AllErrorsInputSerializer):
    """Field types; ``claim_validate``'s rules on every field that parsed (one 400)."""

    lot = serializers.IntegerField()
    quantity = serializers.IntegerField()
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=NOTE_MAX)

    def service_rules(self, values: dict, *, invalid: frozenset[str]) -> None:
        claim_validate(
            quantity=values.get("quantity"), note=values.get("note") or "", invalid=invalid
        )


class ClaimDeclineInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=NOTE_MAX, allow_blank=True)


class ClaimScheduleInputSerializer(serializers.Serializer):
    pickup_at = serializers.DateTimeField()


class ClaimCollectInputSerializer(AllErrorsInputSerializer):
    """Field types; ``claim_collect_validate``'s rules on every field that parsed (one
    400); the context's ``claim`` gives the approved quantity."""

    quantity = serializers.IntegerField()
    weight_kg = serializers.DecimalField(
        max_digits=10,
        decimal_places=3,
        required=False,
        allow_null=True,
        min_value=Decimal("0.001"),
    )
    before_slot_confirmed = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Confirms a handover before the agreed pickup slot: without it such a "
        "handover answers 409 handover_before_slot (nothing is recorded).",
    )

    def service_rules(self, values: dict, *, invalid: frozenset[str]) -> None:
        claim_collect_validate(
            quantity=values.get("quantity"),
            weight_kg=values.get("weight_kg"),
            approved=approved_quantity(self.context.get("claim")),
            invalid=invalid,
        )


class ClaimMessageOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    body = serializers.CharField()
    author_name = serializers.SerializerMethodField()
    organisation = ClaimOrganisationOutputSerializer()
    side = serializers.SerializerMethodField(help_text="owner: the lot's donor; claimant")
    created_at = serializers.DateTimeField()

    def get_author_name(self, message) -> str:
        author = message.author
        return (author.get_full_name() or author.username) if author else ""

    def get_side(self, message) -> str:
        return "claimant" if message.organisation_id == message.claim.claimant_id else "owner"


class ClaimMessageInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=MESSAGE_MAX_LENGTH)


class PickupSlotOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=PickupSlotStatus.choices)
    proposed_by_organisation = ClaimOrganisationOutputSerializer()
    created_at = serializers.DateTimeField()
    accepted_at = serializers.DateTimeField(allow_null=True)


class PickupSlotInputSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()


class ClaimContactOutputSerializer(serializers.Serializer):
    organisation = ClaimOrganisationOutputSerializer()
    name = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField()


class ClaimContactsOutputSerializer(serializers.Serializer):
    owner = ClaimContactOutputSerializer()
    claimant = ClaimContactOutputSerializer()
