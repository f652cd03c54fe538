import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.claims.serializers import ClaimOutputSerializer
from api.idempotency import idempotent
from api.lots.serializers import LotPhotoOutputSerializer, centimetres_field
from api.mixins import ScopedViewMixin
from api.validation import AllErrorsInputSerializer
from exchange.categories.models import Category
from exchange.common.limits import NOTE_MAX
from exchange.lots.models import Condition
from exchange.matching import selectors
from exchange.matching.models import (
    MAX_DISTANCE_KM,
    Match,
    MatchStatus,
    WantedRequest,
    WantedStatus,
)
from exchange.matching.services.claiming import match_claim, match_dismiss
from exchange.matching.services.wanted import (
    WantedInput,
    wanted_create,
    wanted_update,
    wanted_validate,
    wanted_withdraw,
)
from exchange.organisations.models import Region, Site


class WantedOutputSerializer(serializers.ModelSerializer):
    category_name = serializers.CharField(source="category.name")
    matches_new = serializers.IntegerField(
        source="new_matches", read_only=True, help_text="Matches not seen yet."
    )

    class Meta:
        model = WantedRequest
        fields = [
            "id",
            "category",
            "category_name",
            "quantity",
            "min_condition",
            "site",
            "max_distance_km",
            "region",
            "valid_until",
            "note",
            "max_width_cm",
            "max_depth_cm",
            "max_height_cm",
            "status",
            "created_at",
            "matches_new",
        ]


class WantedInputSerializer(AllErrorsInputSerializer):
    """Field types; the rules are ``wanted_validate``'s, run on every field that parsed
    (one 400, every error). The context holds the ``actor`` and, for a change, the
    ``wanted`` request."""

    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all())
    quantity = serializers.IntegerField(min_value=1, max_value=100_000)
    min_condition = serializers.ChoiceField(
        choices=Condition.choices, required=False, default="fair"
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
    valid_until = serializers.DateField()
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=NOTE_MAX)
    max_width_cm = centimetres_field(
        help_text="The largest unit that fits, in cm: a lot whose stated width (depth, "
        "height) is larger is no match; a lot that states no size is not left out."
    )
    max_depth_cm = centimetres_field()
    max_height_cm = centimetres_field()

    def wanted_input(self, values: dict) -> WantedInput:
        wanted = self.context.get("wanted")
        return (
            WantedInput(**values) if wanted is None else WantedInput.from_wanted(wanted, **values)
        )

    def service_rules(self, values: dict, *, invalid: frozenset[str]) -> None:
        wanted_validate(
            actor=self.context["actor"], data=self.wanted_input(values), invalid=invalid
        )


class MatchLotOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    quantity_available = serializers.IntegerField()
    condition = serializers.CharField()
    municipality = serializers.CharField(source="site.municipality")
    owner_name = serializers.CharField(source="owner.name")
    available_until = serializers.DateField()
    photos = LotPhotoOutputSerializer(many=True)


class MatchOutputSerializer(serializers.ModelSerializer):
    lot = MatchLotOutputSerializer()

    class Meta:
        model = Match
        fields = ["id", "lot", "wanted", "score", "reasons", "status", "claim", "created_at"]


class MatchFilter(django_filters.FilterSet):
    wanted = django_filters.NumberFilter(field_name="wanted_id")
    lot = django_filters.NumberFilter(field_name="lot_id")
    status = django_filters.ChoiceFilter(choices=MatchStatus.choices)

    class Meta:
        model = Match
        fields = ["wanted", "lot", "status"]


class WantedFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=WantedStatus.choices)

    class Meta:
        model = WantedRequest
        fields = ["status"]


class WantedViewSet(
    ScopedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """What your organisation needs. Matching runs in the background on every change."""

    queryset_for_schema = WantedRequest.objects.none()
    serializer_class = WantedOutputSerializer
    filterset_class = WantedFilter

    def scoped_queryset(self):
        return selectors.wanted_list_counted(actor=self.actor)

    def _answer(self, wanted: WantedRequest, code=status.HTTP_200_OK) -> Response:
        wanted = self.scoped_queryset().get(pk=wanted.pk)  # with its match counts
        return Response(WantedOutputSerializer(wanted).data, status=code)

    @idempotent
    @extend_schema(request=WantedInputSerializer, responses={201: WantedOutputSerializer})
    def create(self, request):
        actor = self.require_actor()
        serializer = WantedInputSerializer(data=request.data, context={"actor": actor})
        serializer.is_valid(raise_exception=True)
        wanted = wanted_create(actor=actor, data=serializer.wanted_input(serializer.validated_data))
        return self._answer(wanted, status.HTTP_201_CREATED)

    @extend_schema(request=WantedInputSerializer(partial=True), responses=WantedOutputSerializer)
    def partial_update(self, request, pk=None):
        wanted = self.get_object()
        actor = self.require_actor()
        serializer = WantedInputSerializer(
            data=request.data, partial=True, context={"actor": actor, "wanted": wanted}
        )
        serializer.is_valid(raise_exception=True)
        wanted = wanted_update(
            actor=actor, wanted=wanted, data=serializer.wanted_input(serializer.validated_data)
        )
        return self._answer(wanted)

    def destroy(self, request, pk=None):
        """Withdraw the request (its matches stay for the record)."""
        wanted_withdraw(actor=self.require_actor(), wanted=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class MatchViewSet(
    ScopedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Lots that fit your organisation's wanted requests, best score first."""

    queryset_for_schema = Match.objects.none()
    serializer_class = MatchOutputSerializer
    filterset_class = MatchFilter

    def scoped_queryset(self):
        return selectors.match_list(actor=self.actor)

    @extend_schema(request=None, responses=MatchOutputSerializer)
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        match = match_dismiss(actor=self.require_actor(), match=self.get_object())
        return Response(MatchOutputSerializer(self.scoped_queryset().get(pk=match.pk)).data)

    @idempotent
    @extend_schema(request=None, responses={201: ClaimOutputSerializer})
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        """Claim min(still wanted, available) of the lot; the match becomes claimed."""
        claim = match_claim(actor=self.require_actor(), match=self.get_object())
        return Response(ClaimOutputSerializer(claim).data, status=status.HTTP_201_CREATED)
