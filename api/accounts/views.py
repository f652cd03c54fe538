from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authtoken.models import Token
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from api.accounts.serializers import (
    MeOutputSerializer,
    MeUpdateInputSerializer,
    TokenInputSerializer,
    TokenOutputSerializer,
)
from api.mixins import AnonymousViewMixin, ScopedViewMixin
from exchange.accounts.errors import AccountError
from exchange.accounts.services import user_profile_update
from exchange.common.errors import ApplicationError
from exchange.organisations.selectors import user_memberships
from exchange.organisations.services import user_switch_organisation


class TokenView(AnonymousViewMixin, APIView):
    """Exchange a username (or e-mail) and password for an API token."""

    @extend_schema(request=TokenInputSerializer, responses=TokenOutputSerializer)
    def post(self, request):
        serializer = TokenInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(request, **serializer.validated_data)
        if user is None:
            raise ApplicationError(
                code=AccountError.INVALID_CREDENTIALS,
                field="password",
                message=_("Unknown username or e-mail address, or wrong password."),
            )
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class MeView(ScopedViewMixin, GenericAPIView):
    """You: your profile, your memberships and the organisation you act for."""

    def scoped_queryset(self):
        return user_memberships(user=self.request.user)

    def _body(self):
        user = self.request.user
        return MeOutputSerializer(
            {
                "id": user.pk,
                "username": user.username,
                "email": user.email,
                "first_name": user.first_name,
                "last_name": user.last_name,
                "language": user.language,
                "is_moderator": user.is_moderator,
                "is_analyst": user.is_analyst,
                "acting_organisation": self.actor.organisation_id if self.actor else None,
                "memberships": self.get_queryset(),
            }
        ).data

    @extend_schema(responses=MeOutputSerializer)
    def get(self, request):
        return Response(self._body())

    @extend_schema(request=MeUpdateInputSerializer, responses=MeOutputSerializer)
    def patch(self, request):
        serializer = MeUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        organisation_id = data.pop("current_organisation", None)
        if organisation_id is not None:
            membership = user_switch_organisation(
                user=request.user, organisation_id=organisation_id
            )
            self.__dict__["actor"] = membership
        user_profile_update(user=request.user, **data)
        return Response(self._body(), status=status.HTTP_200_OK)
