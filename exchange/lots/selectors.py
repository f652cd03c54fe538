"""Reads on lots: what a person may see, and the catalogue's search and filters."""

import math
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import F, FloatField, Prefetch, Q, QuerySet
from django.db.models.functions import ASin, Cos, Power, Radians, Sin, Sqrt

from exchange.categories.models import Category
from exchange.categories.selectors import subtree_condition
from exchange.common.geo import EARTH_RADIUS_KM, distance_box
from exchange.lots.eligibility import claimable_condition
from exchange.lots.models import CONDITION_RANK, Condition, Lot, LotPhoto, LotStatus
from exchange.lots.search import search_terms
from exchange.organisations.models import Membership, Site


def lot_list(*, actor: Membership | None) -> QuerySet[Lot]:
    """Published lots for everyone; the acting organisation's own lots in every status."""
    visible = Q(status=LotStatus.PUBLISHED)
    if actor is not None:
        visible |= Q(owner_id=actor.organisation_id)
    return (
        Lot.objects.filter(visible)
        .select_related("category", "site", "owner")
        .prefetch_related(
            Prefetch("photos", queryset=LotPhoto.objects.order_by("position", "id")), "items"
        )
    )


def lot_claim_target(*, actor: Membership, pk: int) -> Lot | None:
    """The lot a claim names: any lot that was ever published (a reserved, withdrawn or
    closed lot answers 409 from the claim service, saying why) or one of the actor's
    own. Another organisation's draft stays invisible."""
    return (
        Lot.objects.filter(Q(owner_id=actor.organisation_id) | ~Q(status=LotStatus.DRAFT))
        .filter(pk=pk)
        .first()
    )


def lot_own_list(*, actor: Membership) -> QuerySet[Lot]:
    return lot_list(actor=actor).filter(owner_id=actor.organisation_id)


def lot_filter_text(queryset: QuerySet[Lot], query: str) -> QuerySet[Lot]:
    """Every word must match the start of a word of the title, description or category
    names (any language, accents ignored). Full-text with a GIN index on PostgreSQL."""
    terms = search_terms(query)
    if not terms:
        return queryset
    if connection.vendor == "postgresql":
        raw = " & ".join(f"{term}:*" for term in terms)
        return queryset.filter(search_vector=SearchQuery(raw, search_type="raw", config="simple"))
    for term in terms:
        queryset = queryset.filter(search_document__contains=term)
    return queryset


def lot_filter_category(queryset: QuerySet[Lot], category: Category) -> QuerySet[Lot]:
    return queryset.filter(subtree_condition(category.path, field="category__path"))


def lot_filter_min_condition(queryset: QuerySet[Lot], condition: str) -> QuerySet[Lot]:
    return queryset.filter(condition_rank__gte=CONDITION_RANK[Condition(condition)])


def lot_filter_claimable(queryset: QuerySet[Lot], actor: Membership | None) -> QuerySet[Lot]:
    if actor is None:
        return queryset.none()
    return queryset.filter(claimable_condition(actor.organisation))


@dataclass(frozen=True)
class Origin:
    latitude: float
    longitude: float


def site_origin(site: Site) -> Origin:
    return Origin(float(site.latitude), float(site.longitude))


def lot_filter_near(queryset: QuerySet[Lot], origin: Origin, radius_km: float) -> QuerySet[Lot]:
    """Lots within ``radius_km`` of ``origin``: an indexed latitude/longitude box first
    (the exact box of the spherical cap, rounded outwards to the columns' 6 decimals),
    then the exact great-circle distance, annotated as ``distance_km``."""
    min_lat, max_lat, min_lon, max_lon = distance_box(origin.latitude, origin.longitude, radius_km)
    box = Q(
        latitude__gte=_degrees(min_lat, ROUND_FLOOR),
        latitude__lte=_degrees(max_lat, ROUND_CEILING),
        longitude__gte=_degrees(min_lon, ROUND_FLOOR),
        longitude__lte=_degrees(max_lon, ROUND_CEILING),
    )
    return lot_annotate_distance(queryset.filter(box), origin).filter(distance_km__lte=radius_km)


def _degrees(value: float, rounding: str) -> Decimal:
    return Decimal(repr(value)).quantize(Decimal("0.000001"), rounding=rounding)


def lot_annotate_distance(queryset: QuerySet[Lot], origin: Origin) -> QuerySet[Lot]:
    lat1 = math.radians(origin.latitude)
    lat2 = Radians(F("latitude"), output_field=FloatField())
    half_dlat = (lat2 - lat1) / 2
    half_dlon = (
        Radians(F("longitude"), output_field=FloatField()) - math.radians(origin.longitude)
    ) / 2
    haversine = Power(Sin(half_dlat), 2) + math.cos(lat1) * Cos(lat2) * Power(Sin(half_dlon), 2)
    return queryset.annotate(
        distance_km=2 * EARTH_RADIUS_KM * ASin(Sqrt(haversine), output_field=FloatField())
    )
