from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView, get_object_or_404
from rest_framework.response import Response

from api.claims.serializers import ClaimOutputSerializer
from api.idempotency import idempotent
from api.mixins import ScopedViewMixin
from api.reuse.serializers import (
    ReuseCheckClaimInputSerializer,
    ReuseCheckDetailOutputSerializer,
    ReuseCheckInputSerializer,
    ReuseCheckOutputSerializer,
    ReuseCheckUpdateInputSerializer,
)
from api.stats.views import StatsQuerySerializer
from exchange.impact.selectors.records import impact_reads_all
from exchange.impact.selectors.statistics import stats_scope
from exchange.lots.models import Lot
from exchange.reuse.figures import reuse_figures
from exchange.reuse.models import CheckStatus, ReuseCheck
from exchange.reuse.selectors import reuse_check_claims, reuse_check_list, reuse_check_results
from exchange.reuse.services.attestations import attestation_of
from exchange.reuse.services.checks import (
    CheckInput,
    reuse_check_cancel,
    reuse_check_claim,
    reuse_check_close,
    reuse_check_create,
    reuse_check_update,
)


class ReuseCheckViewSet(
    ScopedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Reuse checks: before buying, what the platform's surplus offers for a planned
    purchase. A check answers at once with the lots that fit (ranked as matches are),
    stays open for new lots for its waiting period, and closes with an attestation."""

    queryset_for_schema = ReuseCheck.objects.none()
    serializer_class = ReuseCheckOutputSerializer

    def scoped_queryset(self):
        if self.actor is None:
            return ReuseCheck.objects.none()
        return reuse_check_list(actor=self.actor)

    def _answer(self, check: ReuseCheck, code=status.HTTP_200_OK) -> Response:
        check = self.scoped_queryset().get(pk=check.pk)
        check.results = reuse_check_results(check) if check.status == CheckStatus.OPEN else []
        check.claim_list = list(reuse_check_claims(check))
        return Response(ReuseCheckDetailOutputSerializer(check).data, status=code)

    @extend_schema(responses=ReuseCheckDetailOutputSerializer)
    def retrieve(self, request, pk=None):
        return self._answer(self.get_object())

    @idempotent
    @extend_schema(
        request=ReuseCheckInputSerializer, responses={201: ReuseCheckDetailOutputSerializer}
    )
    def create(self, request):
        actor = self.require_actor()
        serializer = ReuseCheckInputSerializer(data=request.data, context={"actor": actor})
        serializer.is_valid(raise_exception=True)
        check = reuse_check_create(actor=actor, data=CheckInput(**serializer.validated_data))
        return self._answer(check, status.HTTP_201_CREATED)

    @extend_schema(
        request=ReuseCheckUpdateInputSerializer, responses=ReuseCheckDetailOutputSerializer
    )
    def partial_update(self, request, pk=None):
        """Correct the file reference or the estimated value while the check is open
        (409 once it closed or was cancelled)."""
        check = self.get_object()
        serializer = ReuseCheckUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        check = reuse_check_update(
            actor=self.require_actor(), check=check, **serializer.validated_data
        )
        return self._answer(check)

    @extend_schema(request=None, responses=ReuseCheckDetailOutputSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close the check now: its attestation is issued (409 if it is not open)."""
        return self._answer(reuse_check_close(actor=self.require_actor(), check=self.get_object()))

    @extend_schema(request=None, responses=ReuseCheckDetailOutputSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel the check: it stays on record as cancelled, with no attestation."""
        return self._answer(reuse_check_cancel(actor=self.require_actor(), check=self.get_object()))

    @idempotent
    @extend_schema(request=ReuseCheckClaimInputSerializer, responses={201: ClaimOutputSerializer})
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        """Claim a lot among the check's results in one step: by default what the check
        still needs, at most what the lot has left. The check closes once claims cover
        its quantity."""
        check = self.get_object()
        serializer = ReuseCheckClaimInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lot = get_object_or_404(Lot.objects.all(), pk=serializer.validated_data["lot"])
        claim = reuse_check_claim(
            actor=self.require_actor(),
            check=check,
            lot=lot,
            quantity=serializer.validated_data.get("quantity"),
        )
        return Response(ClaimOutputSerializer(claim).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def attestation(self, request, pk=None):
        """The attestation PDF of a closed check, as issued (409 while open or once
        cancelled)."""
        attestation = attestation_of(self.get_object())
        response = HttpResponse(bytes(attestation.pdf), content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="reuse-check-{attestation.number}.pdf"'
        )
        return response


class ReuseStatsView(ScopedViewMixin, GenericAPIView):
    """Reuse before buying: checks made (cancelled ones not), how many were met fully,
    partly or not by reuse (units collected from claims made from them), the purchase
    value avoided and the CO2e of the units claimed; by organisation, category and year.
    Members see their own organisation's checks; analysts and moderators every one."""

    queryset_for_schema = ReuseCheck.objects.none()

    def scoped_queryset(self):
        return stats_scope(user=self.request.user, actor=self.actor)

    @extend_schema(
        parameters=[
            OpenApiParameter("year", int),
            OpenApiParameter("category", str, description="Category code (subtree)"),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        self.scoped_queryset()  # 403 for a reader with no organisation who is no analyst
        serializer = StatsQuerySerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        organisation_id = None if impact_reads_all(request.user) else self.actor.organisation_id
        figures = reuse_figures(
            organisation_id=organisation_id,
            year=values.get("year"),
            category=values.get("category"),
        )
        return Response(figures)
