from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.validation import AllErrorsInputSerializer, id_field
from exchange.categories.models import Category
from exchange.lots.models import Condition
from exchange.matching.models import MAX_DISTANCE_KM
from exchange.organisations.models import Region, Site
from exchange.reuse.models import ReuseCheck
from exchange.reuse.services.checks import MAX_WAITING_DAYS, CheckInput, reuse_check_validate


class ReuseCheckInputSerializer(AllErrorsInputSerializer):
    """Field types; the rules are ``reuse_check_validate``'s, run on every field that
    parsed (one 400, every error). The context holds the ``actor``."""

    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(), help_text="Any level of the category tree."
    )
    quantity = serializers.IntegerField(min_value=1, max_value=100_000)
    min_condition = serializers.ChoiceField(
        choices=Condition.choices, required=False, default=Condition.FAIR
    )
    site = serializers.PrimaryKeyRelatedField(
        queryset=Site.objects.all(), required=False, allow_null=True
    )
    max_distance_km = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_DISTANCE_KM
    )
    region = serializers.ChoiceField(
        choices=Region.choices, required=False, allow_blank=True, default=""
    )
    needed_by = serializers.DateField()
    estimated_value_eur = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, help_text="The whole purchase, in euros."
    )
    file_reference = serializers.CharField(max_length=100)
    waiting_days = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=MAX_WAITING_DAYS,
        help_text="How many days the check stays open for new lots (default "
        "EXCHANGE_REUSE_CHECK_DAYS, never past needed_by).",
    )

    def service_rules(self, values: dict, *, invalid: frozenset[str]) -> None:
        reuse_check_validate(
            actor=self.context["actor"], data=CheckInput(**values), invalid=invalid
        )


class ReuseCheckUpdateInputSerializer(serializers.Serializer):
    file_reference = serializers.CharField(max_length=100, required=False)
    estimated_value_eur = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False
    )


class ReuseCheckClaimInputSerializer(serializers.Serializer):
    lot = id_field(help_text="A lot among the check's results.")
    quantity = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="Default: what the check still needs, at most what the lot has left.",
    )


class ReuseResultLotOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    owner_name = serializers.CharField(source="owner.name")
    municipality = serializers.CharField(source="site.municipality")
    quantity_available = serializers.IntegerField()
    condition = serializers.CharField()
    available_until = serializers.DateField()


class ReuseResultOutputSerializer(serializers.Serializer):
    lot = ReuseResultLotOutputSerializer()
    score = serializers.FloatField()
    reasons = serializers.DictField()
    claimable_now = serializers.BooleanField()
    opens_at = serializers.DateTimeField(
        allow_null=True, help_text="When the lot's claim window opens for you, if not yet."
    )


class ReuseCheckClaimOutputSerializer(serializers.Serializer):
    claim = serializers.IntegerField(source="claim_id")
    lot = serializers.IntegerField(source="claim.lot_id")
    lot_title = serializers.CharField(source="claim.lot.title")
    quantity = serializers.IntegerField(source="claim.quantity")
    status = serializers.CharField(source="claim.status")


class AttestationOutputSerializer(serializers.Serializer):
    number = serializers.CharField()
    issued_at = serializers.DateTimeField()
    language = serializers.CharField()
    sha256 = serializers.CharField()
    verify_url = serializers.CharField()
    quantity_met = serializers.IntegerField(source="summary.quantity_met")
    quantity_to_buy = serializers.IntegerField(source="summary.quantity_to_buy")


class ReuseCheckOutputSerializer(serializers.ModelSerializer):
    category_name = serializers.CharField(source="category.name")
    claimed = serializers.IntegerField(help_text="Units claimed from the check (live claims).")
    attestation = serializers.SerializerMethodField()

    class Meta:
        model = ReuseCheck
        fields = [
            "id",
            "category",
            "category_name",
            "quantity",
            "min_condition",
            "site",
            "max_distance_km",
            "region",
            "needed_by",
            "estimated_value_eur",
            "file_reference",
            "open_until",
            "status",
            "close_reason",
            "created_at",
            "closed_at",
            "claimed",
            "attestation",
        ]

    @extend_schema_field(AttestationOutputSerializer(allow_null=True))
    def get_attestation(self, check: ReuseCheck):
        attestation = getattr(check, "attestation", None)
        if attestation is None:
            return None
        from exchange.reuse.services.attestations import verification_url

        attestation.verify_url = verification_url(attestation.code)
        return AttestationOutputSerializer(attestation).data


class ReuseCheckDetailOutputSerializer(ReuseCheckOutputSerializer):
    results = ReuseResultOutputSerializer(
        many=True, help_text="While open: the lots that fit, best first."
    )
    claims = ReuseCheckClaimOutputSerializer(many=True, source="claim_list")

    class Meta(ReuseCheckOutputSerializer.Meta):
        fields = [*ReuseCheckOutputSerializer.Meta.fields, "results", "claims"]
