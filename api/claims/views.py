import django_filters
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAcceptable
from rest_framework.response import Response

from api.claims.serializers import (
    ClaimCollectInputSerializer,
    ClaimContactsOutputSerializer,
    ClaimCreateInputSerializer,
    ClaimDeclineInputSerializer,
    ClaimMessageInputSerializer,
    ClaimMessageOutputSerializer,
    ClaimOutputSerializer,
    ClaimScheduleInputSerializer,
    PickupSlotInputSerializer,
    PickupSlotOutputSerializer,
)
from api.idempotency import idempotent
from api.mixins import ScopedViewMixin
from api.renderers import FileAnswersMixin, JSONRenderer, PDFRenderer
from exchange.claims import selectors, services, talk
from exchange.claims.documents import claim_has_document, claim_transfer_document
from exchange.claims.errors import ClaimError
from exchange.claims.models import Claim, ClaimStatus
from exchange.common.errors import ApplicationError, ErrorKind


class ClaimFilter(django_filters.FilterSet):
    lot = django_filters.NumberFilter(field_name="lot_id")
    status = django_filters.ChoiceFilter(choices=ClaimStatus.choices)
    role = django_filters.ChoiceFilter(
        choices=[("claimant", "claimant"), ("owner", "owner")],
        method="filter_role",
        label="claimant: claims we made; owner: claims on our lots",
    )

    class Meta:
        model = Claim
        fields = ["lot", "status", "role"]

    def filter_role(self, queryset, name, value: str):
        return selectors.claim_filter_role(
            queryset, actor=self.request.acting_membership, role=value
        )


class ClaimViewSet(
    FileAnswersMixin,
    ScopedViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Claims your organisation made and claims on its lots. A claim on another
    organisation's business answers 404."""

    queryset_for_schema = Claim.objects.none()
    serializer_class = ClaimOutputSerializer
    filterset_class = ClaimFilter

    def scoped_queryset(self):
        return selectors.claim_list(actor=self.actor)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        request.acting_membership = self.actor

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "actor": self.actor, "now": timezone.now()}

    def _answer(
        self, claim: Claim, code=status.HTTP_200_OK, *, read_again: bool = True
    ) -> Response:
        """The claim as the scoped list shows it; ``read_again=False``: ``claim`` was just
        written, with its lot, owner, claimant and claimed_by in hand, and is shown as is."""
        if read_again:
            claim = self.scoped_queryset().get(pk=claim.pk)
        serializer = ClaimOutputSerializer(claim, context=self.get_serializer_context())
        return Response(serializer.data, status=code)

    @idempotent
    @extend_schema(request=ClaimCreateInputSerializer, responses={201: ClaimOutputSerializer})
    def create(self, request):
        """Claim units of a published lot: 403 outside your claim window (the answer says
        when it opens), 409 when not enough is left (the answer says what remains) or
        the lot takes no claims any more (withdrawn, expired, closed), 400 for a lot
        that does not exist or is another organisation's draft."""
        serializer = ClaimCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        claim = services.claim_create(
            actor=self.require_actor(),
            lot=serializer.validated_data["lot"],
            quantity=serializer.validated_data["quantity"],
            note=serializer.validated_data["note"],
        )
        return self._answer(claim, status.HTTP_201_CREATED, read_again=False)

    @extend_schema(request=None, responses=ClaimOutputSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._answer(
            services.claim_approve(actor=self.require_actor(), claim=self.get_object())
        )

    @extend_schema(request=ClaimDeclineInputSerializer, responses=ClaimOutputSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        serializer = ClaimDeclineInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        claim = services.claim_decline(
            actor=self.require_actor(), claim=self.get_object(), **serializer.validated_data
        )
        return self._answer(claim)

    @extend_schema(request=None, responses=ClaimOutputSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._answer(
            services.claim_cancel(actor=self.require_actor(), claim=self.get_object())
        )

    @extend_schema(request=ClaimScheduleInputSerializer, responses=ClaimOutputSerializer)
    @action(detail=True, methods=["post"])
    def schedule(self, request, pk=None):
        serializer = ClaimScheduleInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        claim = services.claim_schedule(
            actor=self.require_actor(), claim=self.get_object(), **serializer.validated_data
        )
        return self._answer(claim)

    @extend_schema(request=ClaimCollectInputSerializer, responses=ClaimOutputSerializer)
    @action(detail=True, methods=["post"])
    def collect(self, request, pk=None):
        """The handover: the owner confirms the collected quantity (at most the approved
        one) and, where known, the measured total weight. Before the agreed pickup slot
        the answer is 409 handover_before_slot unless before_slot_confirmed is true."""
        claim = self.get_object()
        serializer = ClaimCollectInputSerializer(data=request.data, context={"claim": claim})
        serializer.is_valid(raise_exception=True)
        claim = services.claim_collect(
            actor=self.require_actor(),
            claim=claim,
            quantity=serializer.validated_data["quantity"],
            weight_kg=serializer.validated_data.get("weight_kg"),
            before_slot_confirmed=serializer.validated_data["before_slot_confirmed"],
        )
        return self._answer(claim)

    @extend_schema(request=None, responses=ClaimOutputSerializer)
    @action(detail=True, methods=["post"], url_path="no-show")
    def no_show(self, request, pk=None):
        return self._answer(
            services.claim_no_show(actor=self.require_actor(), claim=self.get_object())
        )

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            (404, "application/json"): OpenApiResponse(description="No such claim of yours."),
            (406, "application/json"): OpenApiResponse(
                description="The document is a PDF only: ask for `application/pdf` (or `*/*`)."
            ),
            (409, "application/json"): OpenApiResponse(
                description="The claim is not approved (nor collected): no document yet."
            ),
        }
    )
    @action(
        detail=True,
        methods=["get"],
        filterset_class=None,
        renderer_classes=[PDFRenderer, JSONRenderer],
    )
    def document(self, request, pk=None):
        """The transfer document (PDF) of an approved or collected claim, for both sides.
        Content negotiation: `Accept: application/pdf` (or `*/*`, or none) gets the PDF;
        a client that accepts only JSON gets 406, errors are JSON."""
        if not isinstance(request.accepted_renderer, PDFRenderer):
            raise NotAcceptable(_("The transfer document is a PDF: ask for application/pdf."))
        claim = self.get_object()
        if not claim_has_document(claim):
            raise ApplicationError(
                code=ClaimError.NO_DOCUMENT,
                kind=ErrorKind.CONFLICT,
                message=_("A transfer document exists once the claim is approved."),
            )
        response = HttpResponse(
            claim_transfer_document(claim=claim), content_type="application/pdf"
        )
        response["Content-Disposition"] = f'attachment; filename="transfer-{claim.pk}.pdf"'
        return response

    # --- The conversation ----------------------------------------------------------

    @idempotent
    @extend_schema(
        methods=["GET"],
        responses=ClaimMessageOutputSerializer(many=True),
        description="The claim's conversation, oldest first (both sides read it).",
    )
    @extend_schema(
        methods=["POST"],
        request=ClaimMessageInputSerializer,
        responses={201: ClaimMessageOutputSerializer},
        description="Write in the claim's conversation (at most 4000 characters); the "
        "other side's members are notified. 409 once the claim is declined or cancelled.",
    )
    @action(detail=True, methods=["get", "post"], filterset_class=None)
    def messages(self, request, pk=None):
        claim = self.get_object()
        if request.method == "POST":
            serializer = ClaimMessageInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            message = talk.claim_message_post(
                actor=self.require_actor(), claim=claim, body=serializer.validated_data["body"]
            )
            message = selectors.claim_message_list(claim=claim).get(pk=message.pk)
            return Response(
                ClaimMessageOutputSerializer(message).data, status=status.HTTP_201_CREATED
            )
        thread = selectors.claim_message_list(claim=claim).select_related("claim")
        page = self.paginate_queryset(thread)
        return self.get_paginated_response(ClaimMessageOutputSerializer(page, many=True).data)

    @idempotent
    @extend_schema(
        methods=["GET"],
        responses=PickupSlotOutputSerializer(many=True),
        description="The claim's pickup slots, proposed and agreed, earliest first.",
    )
    @extend_schema(
        methods=["POST"],
        request=PickupSlotInputSerializer,
        responses={201: PickupSlotOutputSerializer},
        description="Propose a pickup slot of an approved claim (in the future, at most a "
        "year ahead); the other side is notified and accepts it.",
    )
    @action(detail=True, methods=["get", "post"], filterset_class=None)
    def slots(self, request, pk=None):
        claim = self.get_object()
        if request.method == "POST":
            serializer = PickupSlotInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            slot = talk.claim_slot_propose(
                actor=self.require_actor(),
                claim=claim,
                starts_at=serializer.validated_data["starts_at"],
            )
            slot = selectors.claim_slot_list(claim=claim).get(pk=slot.pk)
            return Response(PickupSlotOutputSerializer(slot).data, status=status.HTTP_201_CREATED)
        slots = selectors.claim_slot_list(claim=claim)
        page = self.paginate_queryset(slots)
        return self.get_paginated_response(PickupSlotOutputSerializer(page, many=True).data)

    @extend_schema(request=None, responses=ClaimOutputSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path=r"slots/(?P<slot_id>[0-9]+)/accept",
        filterset_class=None,
    )
    def accept_slot(self, request, pk=None, slot_id=None):
        """Accept the other side's proposed slot: it becomes the agreed pickup
        (pickup_at). 403 for your own side's proposal, 409 for a slot no longer open."""
        claim = self.get_object()
        slot = selectors.claim_slot_list(claim=claim).filter(pk=slot_id).first()
        if slot is None:
            raise ApplicationError(
                code=ClaimError.SLOT_NOT_FOUND,
                kind=ErrorKind.NOT_FOUND,
                message=_("No pickup slot with this id on this claim."),
            )
        return self._answer(
            talk.claim_slot_accept(actor=self.require_actor(), claim=claim, slot=slot)
        )

    @extend_schema(responses=ClaimContactsOutputSerializer)
    @action(detail=True, methods=["get"], filterset_class=None)
    def contacts(self, request, pk=None):
        """Each side's contact person (name, phone, e-mail), once the claim is approved:
        409 before."""
        contacts = selectors.claim_contacts(claim=self.get_object())
        if contacts is None:
            raise ApplicationError(
                code=ClaimError.NO_CONTACTS,
                kind=ErrorKind.CONFLICT,
                message=_("The contacts are shown once the claim is approved."),
            )
        return Response(ClaimContactsOutputSerializer(contacts).data)
