from django.db.models import Q, QuerySet

from exchange.claims.models import Claim
from exchange.organisations.models import Membership


def claim_list(*, actor: Membership | None) -> QuerySet[Claim]:
    """Claims the actor's organisation made, and claims on its lots."""
    if actor is None:
        return Claim.objects.none()
    organisation_id = actor.organisation_id
    return Claim.objects.filter(
        Q(claimant_id=organisation_id) | Q(lot__owner_id=organisation_id)
    ).select_related("lot__owner", "lot__category", "lot__site", "claimant", "claimed_by")


def claim_filter_role(
    queryset: QuerySet[Claim], *, actor: Membership, role: str
) -> QuerySet[Claim]:
    if role == "claimant":
        return queryset.filter(claimant_id=actor.organisation_id)
    if role == "owner":
        return queryset.filter(lot__owner_id=actor.organisation_id)
    return queryset
