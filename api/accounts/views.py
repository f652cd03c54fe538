import secrets

from allauth.account.adapter import get_adapter
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from api.accounts.serializers import (
    ApiTokenCreateInputSerializer,
    ApiTokenOutputSerializer,
    MeOutputSerializer,
    MeUpdateInputSerializer,
    TokenInputSerializer,
    TokenOutputSerializer,
)
from api.mixins import AnonymousViewMixin, ScopedViewMixin
from exchange.accounts.errors import AccountError
from exchange.accounts.models import ApiToken
from exchange.accounts.second_factor import second_factor_check
from exchange.accounts.selectors import api_token_list, user_email_is_verified
from exchange.accounts.services import api_token_create, api_token_revoke, user_profile_update
from exchange.accounts.throttle import LoginThrottled
from exchange.common.errors import ApplicationError, ErrorKind
from exchange.organisations.selectors import user_memberships
from exchange.organisations.services import user_switch_organisation


class TokenView(AnonymousViewMixin, APIView):
    """Exchange a username (or e-mail) and password for an API token.

    Failed attempts count with the web sign-in's, per address and per account: past the
    limit the answer is 429 with ``Retry-After`` (seconds)."""

    @extend_schema(
        request=TokenInputSerializer,
        responses={
            200: TokenOutputSerializer,
            400: OpenApiResponse(description="Unknown login or wrong password."),
            403: OpenApiResponse(
                description="The e-mail address is not verified yet, or the person's role "
                "needs two-factor authentication and it is not set up."
            ),
            429: OpenApiResponse(description="Too many failed attempts: see Retry-After."),
        },
    )
    def post(self, request):
        serializer = TokenInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        login = serializer.validated_data["username"].strip()
        credentials = {
            "email" if "@" in login else "username": login,
            "password": serializer.validated_data["password"],
        }
        try:
            user = get_adapter(request._request).authenticate(request._request, **credentials)
        except LoginThrottled as exc:
            raise exceptions.Throttled(
                wait=exc.retry_after,
                detail=_("Too many failed sign-ins: try again in %(seconds)s seconds.")
                % {"seconds": exc.retry_after},
            ) from exc
        if user is None:
            raise ApplicationError(
                code=AccountError.INVALID_CREDENTIALS,
                field="password",
                message=_("Unknown username or e-mail address, or wrong password."),
            )
        if not user_email_is_verified(user=user):
            raise ApplicationError(
                code=AccountError.EMAIL_NOT_VERIFIED,
                kind=ErrorKind.FORBIDDEN,
                message=_(
                    "Verify your e-mail address first: follow the link we sent you "
                    "(sign in on the web to have it sent again)."
                ),
            )
        second_factor_check(user=user, code=serializer.validated_data.get("code"))
        name = serializer.validated_data.get("name") or _token_name_from(request)
        token, key = api_token_create(user=user, name=name)
        return Response(
            {"id": token.pk, "token": key, "name": token.name, "expires_at": token.expires_at}
        )


def _token_name_from(request) -> str:
    """A default name: the client's User-Agent, the time and a few random characters
    (two sign-ins in the same second get two tokens)."""
    agent = (request.headers.get("User-Agent") or "API client").split(" ")[0][:60]
    return f"{agent} {timezone.localtime():%Y-%m-%d %H:%M} {secrets.token_hex(3)}"


def _token_body(token, request) -> dict:
    return {
        "id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "expires_at": token.expires_at,
        "expired": token.expires_at <= timezone.now(),
        "current": getattr(request.auth, "pk", None) == token.pk,
    }


class ApiTokenListView(ScopedViewMixin, GenericAPIView):
    """Your API tokens (one per device or script), newest first: list them, or make one.
    The key is shown once, in the answer that made it."""

    serializer_class = ApiTokenOutputSerializer
    queryset_for_schema = ApiToken.objects.none()

    def scoped_queryset(self):
        return api_token_list(user=self.request.user)

    @extend_schema(responses=ApiTokenOutputSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        body = [_token_body(token, request) for token in page]
        return self.get_paginated_response(ApiTokenOutputSerializer(body, many=True).data)

    @extend_schema(request=ApiTokenCreateInputSerializer, responses={201: TokenOutputSerializer})
    def post(self, request):
        serializer = ApiTokenCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, key = api_token_create(user=request.user, name=serializer.validated_data["name"])
        return Response(
            {"id": token.pk, "token": key, "name": token.name, "expires_at": token.expires_at},
            status=status.HTTP_201_CREATED,
        )


class ApiTokenDetailView(ScopedViewMixin, GenericAPIView):
    """Revoke one of your API tokens (also the one this request came with); another
    person's answers 404."""

    serializer_class = ApiTokenOutputSerializer
    queryset_for_schema = ApiToken.objects.none()

    def scoped_queryset(self):
        return api_token_list(user=self.request.user)

    @extend_schema(responses={204: None})
    def delete(self, request, pk: int):
        api_token_revoke(user=request.user, token_id=self.get_object().pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


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
