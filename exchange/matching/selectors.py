from django.db.models import QuerySet

from exchange.matching.models import Match, WantedRequest
from exchange.organisations.models import Membership


def wanted_list(*, actor: Membership | None) -> QuerySet[WantedRequest]:
    if actor is None:
        return WantedRequest.objects.none()
    return WantedRequest.objects.filter(organisation_id=actor.organisation_id).select_related(
        "category", "site"
    )


def match_list(*, actor: Membership | None) -> QuerySet[Match]:
    """Matches of the actor's wanted requests, best first."""
    if actor is None:
        return Match.objects.none()
    return (
        Match.objects.filter(wanted__organisation_id=actor.organisation_id)
        .select_related("lot__category", "lot__site", "lot__owner", "wanted__category")
        .prefetch_related("lot__photos")
        .order_by("-score", "-id")
    )


def lot_match_count(*, lot_id: int) -> int:
    return Match.objects.filter(lot_id=lot_id).count()
