from django.conf import settings
from rest_framework import serializers

from api.validation import id_field
from exchange.organisations.models import Membership


class TokenInputSerializer(serializers.Serializer):
    username = serializers.CharField(help_text="Username or e-mail address.")
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
    name = serializers.CharField(
        required=False,
        max_length=100,
        help_text="The device or script this token is for (default: the User-Agent).",
    )
    code = serializers.CharField(
        required=False,
        max_length=64,
        help_text="With two-factor authentication: the authenticator app's current code "
        "or an unused recovery code.",
    )


class TokenOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    token = serializers.CharField(help_text="The key: shown this once, keep it secret.")
    name = serializers.CharField()
    expires_at = serializers.DateTimeField()


class ApiTokenCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, help_text="The device or script it is for.")


class ApiTokenOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="The key's first characters, to tell tokens apart.")
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField()
    expired = serializers.BooleanField()
    current = serializers.BooleanField(help_text="The token this request came with.")


class MeMembershipOrganisationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    region = serializers.CharField()
    verified = serializers.BooleanField(source="is_verified")


class MeMembershipOutputSerializer(serializers.ModelSerializer):
    organisation = MeMembershipOrganisationOutputSerializer()

    class Meta:
        model = Membership
        fields = ["id", "organisation", "role"]


class MeOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    language = serializers.CharField()
    is_moderator = serializers.BooleanField()
    is_analyst = serializers.BooleanField()
    acting_organisation = serializers.IntegerField(allow_null=True)
    memberships = MeMembershipOutputSerializer(many=True)


class MeUpdateInputSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    language = serializers.ChoiceField(choices=settings.LANGUAGES, required=False)
    current_organisation = id_field(
        required=False, help_text="One of your organisations: the one you act for by default."
    )
