from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.validation import AllErrorsInputSerializer
from exchange.lots.eligibility import eligibility_kind
from exchange.organisations.models import (
    AccreditationScheme,
    Invitation,
    Membership,
    MembershipRole,
    Organisation,
    OrganisationKind,
    Region,
    Site,
)
from exchange.organisations.services import organisation_validate, site_validate


class AccreditationOutputSerializer(serializers.Serializer):
    scheme = serializers.CharField(source="accreditation_scheme")
    number = serializers.CharField(source="accreditation_number")
    valid_until = serializers.DateField(source="accreditation_valid_until")
    valid = serializers.SerializerMethodField()

    def get_valid(self, organisation: Organisation) -> bool:
        return organisation.has_valid_accreditation()


class OrganisationOutputSerializer(serializers.ModelSerializer):
    enterprise_number = serializers.CharField(source="enterprise_number_display")
    verified = serializers.BooleanField(source="is_verified")
    accreditation = serializers.SerializerMethodField()
    eligibility_kind = serializers.SerializerMethodField()

    class Meta:
        model = Organisation
        fields = [
            "id",
            "name",
            "kind",
            "eligibility_kind",
            "enterprise_number",
            "region",
            "language",
            "email",
            "auto_approve_claims",
            "accreditation",
            "verified",
            "verified_at",
            "requested_name",
            "created_at",
        ]

    @extend_schema_field(AccreditationOutputSerializer(allow_null=True))
    def get_accreditation(self, organisation: Organisation):
        if not organisation.accreditation_number:
            return None
        return AccreditationOutputSerializer(organisation).data

    def get_eligibility_kind(self, organisation: Organisation) -> str:
        return eligibility_kind(organisation)


class OrganisationInputSerializer(AllErrorsInputSerializer):
    """Field types only: the domain rules (KBO check digits, duplicates) live in the
    service (``organisation_validate``), run on every field that parsed: one 400 lists
    every error. The context's ``organisation`` is the one changed (none: a new one)."""

    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=OrganisationKind.choices)
    enterprise_number = serializers.CharField(max_length=20)
    region = serializers.ChoiceField(choices=Region.choices)
    language = serializers.ChoiceField(choices=settings.LANGUAGES, required=False)
    email = serializers.EmailField(required=False, allow_blank=True)
    auto_approve_claims = serializers.BooleanField(required=False)
    accreditation_scheme = serializers.ChoiceField(
        choices=AccreditationScheme.choices, required=False, allow_blank=True
    )
    accreditation_number = serializers.CharField(max_length=64, required=False, allow_blank=True)
    accreditation_valid_until = serializers.DateField(required=False, allow_null=True)

    def service_rules(self, values: dict, *, invalid: frozenset[str]) -> None:
        organisation_validate(
            fields=values, organisation=self.context.get("organisation"), invalid=invalid
        )


class MemberUserOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()


class MembershipOutputSerializer(serializers.ModelSerializer):
    user = MemberUserOutputSerializer()

    class Meta:
        model = Membership
        fields = ["id", "user", "role", "created_at"]


class InvitationCreateInputSerializer(serializers.Serializer):
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=MembershipRole.choices)
    language = serializers.ChoiceField(
        choices=settings.LANGUAGES,
        required=False,
        help_text="The language of the e-mail when the address has no account (default: the "
        "organisation's); an account's own language wins.",
    )


class InvitationOutputSerializer(serializers.ModelSerializer):
    invited_by = serializers.CharField(source="invited_by.username", allow_null=True)
    status = serializers.ChoiceField(choices=["pending", "expired", "accepted", "revoked"])

    class Meta:
        model = Invitation
        fields = [
            "id",
            "email",
            "role",
            "language",
            "invited_by",
            "created_at",
            "expires_at",
            "status",
        ]


class InvitationAcceptInputSerializer(serializers.Serializer):
    token = serializers.CharField(
        max_length=500, help_text="The last part of the invitation link's path."
    )


class MembershipUpdateInputSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=MembershipRole.choices)


class VerifyOutputSerializer(OrganisationOutputSerializer):
    class Meta(OrganisationOutputSerializer.Meta):
        fields = [*OrganisationOutputSerializer.Meta.fields, "verified_by"]

    verified_by = serializers.CharField(source="verified_by.username", allow_null=True)


class SiteOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Site
        fields = [
            "id",
            "organisation",
            "name",
            "street",
            "postcode",
            "municipality",
            "region",
            "latitude",
            "longitude",
        ]


class SiteInputSerializer(AllErrorsInputSerializer):
    """Field types; ``site_validate``'s rules on every field that parsed (one 400). The
    context's ``site`` is the one changed (none: a new one)."""

    name = serializers.CharField(max_length=200)
    street = serializers.CharField(max_length=200)
    postcode = serializers.CharField(max_length=4)
    municipality = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="Omitted or empty: the municipality of the postcode.",
    )
    region = serializers.ChoiceField(choices=Region.choices, required=False)
    latitude = serializers.DecimalField(
        max_digits=8,
        decimal_places=6,
        required=False,
        allow_null=True,
        help_text="Omitted or null (with longitude): the point of the postcode, from the "
        "table of Belgian postcodes the platform ships.",
    )
    longitude = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        required=False,
        allow_null=True,
        help_text="Omitted or null (with latitude): the point of the postcode.",
    )

    def service_rules(self, values: dict, *, invalid: frozenset[str]) -> None:
        site_validate(fields=values, site=self.context.get("site"), invalid=invalid)


class RenameDecisionInputSerializer(serializers.Serializer):
    approve = serializers.BooleanField(help_text="true: the requested name becomes the name.")
