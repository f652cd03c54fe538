from django.conf import settings
from rest_framework import serializers

from exchange.organisations.models import Membership


class TokenInputSerializer(serializers.Serializer):
    username = serializers.CharField(help_text="Username or e-mail address.")
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenOutputSerializer(serializers.Serializer):
    token = serializers.CharField()


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
    current_organisation = serializers.IntegerField(
        required=False, help_text="One of your organisations: the one you act for by default."
    )
