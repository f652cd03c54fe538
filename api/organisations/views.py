from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView, get_object_or_404
from rest_framework.response import Response

from api.idempotency import idempotent
from api.mixins import ScopedViewMixin
from api.organisations.filters import OrganisationFilter
from api.organisations.serializers import (
    InvitationAcceptInputSerializer,
    InvitationCreateInputSerializer,
    InvitationOutputSerializer,
    MembershipOutputSerializer,
    MembershipUpdateInputSerializer,
    OrganisationInputSerializer,
    OrganisationOutputSerializer,
    RenameDecisionInputSerializer,
    SiteInputSerializer,
    SiteOutputSerializer,
    VerifyOutputSerializer,
)
from exchange.common.errors import ApplicationError, ErrorKind
from exchange.organisations import invitations, selectors, services
from exchange.organisations.errors import OrganisationError
from exchange.organisations.models import Invitation, Membership, Organisation, Site


class OrganisationViewSet(
    ScopedViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Organisations: the verified directory, your own, and (for moderators) all."""

    queryset_for_schema = Organisation.objects.none()
    serializer_class = OrganisationOutputSerializer
    filterset_class = OrganisationFilter

    def scoped_queryset(self):
        return selectors.organisation_list(user=self.request.user)

    @idempotent
    @extend_schema(
        request=OrganisationInputSerializer, responses={201: OrganisationOutputSerializer}
    )
    def create(self, request):
        """Register a new organisation (unverified) with you as its admin."""
        serializer = OrganisationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organisation = services.organisation_register(
            user=request.user, **serializer.validated_data
        )
        return Response(
            OrganisationOutputSerializer(organisation).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        request=OrganisationInputSerializer(partial=True), responses=OrganisationOutputSerializer
    )
    def partial_update(self, request, pk=None):
        """Change your organisation (admins). Kind, enterprise number and accreditation are
        locked once a moderator verified them (409); a verified organisation's new name
        becomes ``requested_name`` until a moderator approves it. Names are unique among
        verified organisations, ignoring case and accents (400 ``name_taken``)."""
        organisation = self.get_object()
        serializer = OrganisationInputSerializer(
            data=request.data, partial=True, context={"organisation": organisation}
        )
        serializer.is_valid(raise_exception=True)
        actor = selectors.membership_for_user(user=request.user, organisation_id=organisation.pk)
        organisation = services.organisation_update(
            actor=actor, organisation=organisation, **serializer.validated_data
        )
        return Response(OrganisationOutputSerializer(organisation).data)

    @extend_schema(request=None, responses=VerifyOutputSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        """Moderators: confirm the organisation's enterprise number and accreditation."""
        organisation = services.organisation_verify(
            user=request.user, organisation=self.get_object()
        )
        return Response(VerifyOutputSerializer(organisation).data)

    @extend_schema(request=RenameDecisionInputSerializer, responses=OrganisationOutputSerializer)
    @action(detail=True, methods=["post"])
    def rename(self, request, pk=None):
        """Moderators: approve or decline a verified organisation's requested name (409 if
        none is requested; 400 ``name_taken`` if another verified organisation took it)."""
        serializer = RenameDecisionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organisation = services.organisation_rename_decide(
            user=request.user,
            organisation=self.get_object(),
            approve=serializer.validated_data["approve"],
        )
        return Response(OrganisationOutputSerializer(organisation).data)

    @extend_schema(responses=MembershipOutputSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def members(self, request, pk=None):
        """The organisation's members (its own people and moderators see them). People are
        added by invitation: ``invitations/``."""
        organisation = self.get_object()
        members = selectors.organisation_visible_members(
            user=request.user, organisation=organisation
        )
        return Response(MembershipOutputSerializer(members, many=True).data)

    @idempotent
    @extend_schema(methods=["get"], responses=InvitationOutputSerializer(many=True), filters=False)
    @extend_schema(
        methods=["post"],
        request=InvitationCreateInputSerializer,
        responses={201: InvitationOutputSerializer},
    )
    @action(detail=True, methods=["get", "post"], filterset_class=None, pagination_class=None)
    def invitations(self, request, pk=None):
        """Admins of a verified organisation invite a person by e-mail address: the
        address gets a link, valid ``EXCHANGE_INVITATION_DAYS`` days; the person becomes a
        member once they accept it with an account that confirmed the address (a new
        account: once it confirms the address). Inviting an address again sends a new
        link and ends the old one. The answer is the same whether or not the address has
        an account. GET lists the invitations not yet accepted or withdrawn (admins)."""
        organisation = self.get_object()
        actor = selectors.membership_for_user(user=request.user, organisation_id=organisation.pk)
        if request.method == "POST":
            serializer = InvitationCreateInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            invitation = invitations.invitation_create(actor=actor, **serializer.validated_data)
            return Response(
                InvitationOutputSerializer(invitation).data, status=status.HTTP_201_CREATED
            )
        return Response(
            InvitationOutputSerializer(
                invitations.invitation_list_open(actor=actor), many=True
            ).data
        )

    @extend_schema(request=None, responses={204: None})
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"invitations/(?P<invitation_id>\d+)",
        filterset_class=None,
    )
    def invitation(self, request, pk=None, invitation_id=None):
        """Admins withdraw an invitation: its link stops working (409 if it was accepted
        or withdrawn already)."""
        organisation = self.get_object()
        actor = selectors.membership_for_user(user=request.user, organisation_id=organisation.pk)
        found = get_object_or_404(
            Invitation.objects.filter(organisation=organisation), pk=invitation_id
        )
        invitations.invitation_revoke(actor=actor, invitation=found)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        methods=["patch"],
        request=MembershipUpdateInputSerializer,
        responses=MembershipOutputSerializer,
    )
    @extend_schema(methods=["delete"], request=None, responses={204: None})
    @action(
        detail=True,
        methods=["patch", "delete"],
        url_path=r"members/(?P<membership_id>\d+)",
        filterset_class=None,
    )
    def member(self, request, pk=None, membership_id=None):
        """Admins change a member's role or remove them (an organisation keeps one admin)."""
        organisation = self.get_object()
        actor = selectors.membership_for_user(user=request.user, organisation_id=organisation.pk)
        membership = get_object_or_404(
            selectors.organisation_members(organisation=organisation), pk=membership_id
        )
        if request.method == "DELETE":
            services.membership_remove(actor=actor, membership=membership)
            return Response(status=status.HTTP_204_NO_CONTENT)
        serializer = MembershipUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = services.membership_change_role(
            actor=actor, membership=membership, **serializer.validated_data
        )
        return Response(MembershipOutputSerializer(membership).data)


class SiteViewSet(
    ScopedViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The sites (addresses) of the organisation you act for."""

    queryset_for_schema = Site.objects.none()
    serializer_class = SiteOutputSerializer

    def scoped_queryset(self):
        return selectors.site_list(actor=self.require_actor())

    @idempotent
    @extend_schema(request=SiteInputSerializer, responses={201: SiteOutputSerializer})
    def create(self, request):
        serializer = SiteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        site = services.site_create(actor=self.require_actor(), **serializer.validated_data)
        return Response(SiteOutputSerializer(site).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SiteInputSerializer(partial=True), responses=SiteOutputSerializer)
    def partial_update(self, request, pk=None):
        site = self.get_object()
        serializer = SiteInputSerializer(data=request.data, partial=True, context={"site": site})
        serializer.is_valid(raise_exception=True)
        site = services.site_update(
            actor=self.require_actor(), site=site, **serializer.validated_data
        )
        return Response(SiteOutputSerializer(site).data)

    def destroy(self, request, pk=None):
        services.site_delete(actor=self.require_actor(), site=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationAcceptView(ScopedViewMixin, GenericAPIView):
    """Accept an invitation, with the token of its link: you become a member if your
    account has confirmed the invited address (403 ``invitation_other_address``
    otherwise); 404 for an unknown or outdated link, 409 when it expired, was withdrawn
    or accepted already."""

    queryset_for_schema = Membership.objects.none()
    serializer_class = MembershipOutputSerializer

    def scoped_queryset(self):
        return selectors.user_memberships(user=self.request.user)

    @extend_schema(request=InvitationAcceptInputSerializer, responses=MembershipOutputSerializer)
    def post(self, request):
        serializer = InvitationAcceptInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        found = invitations.invitation_from_token(serializer.validated_data["token"])
        if found is None:
            raise ApplicationError(
                code=OrganisationError.INVITATION_INVALID,
                kind=ErrorKind.NOT_FOUND,
                field="token",
                message=_("No such invitation: the link is wrong or was replaced by a newer one."),
            )
        membership = invitations.invitation_accept(user=request.user, invitation=found)
        return Response(MembershipOutputSerializer(membership).data)
