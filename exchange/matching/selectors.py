from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from exchange.matching.models import Match, MatchStatus, WantedRequest, WantedStatus
from exchange.organisations.models import Membership


def wanted_list(*, actor: Membership | None) -> QuerySet[WantedRequest]:
    if actor is None:
        return WantedRequest.objects.none()
    return WantedRequest.objects.filter(organisation_id=actor.organisation_id).select_related(
        "category", "site"
    )


def wanted_searching(wanted: WantedRequest) -> bool:
    """Is the request still waiting for its matching job (just saved or changed, the job
    not yet run)? The same test as the repair sweep's (``matches_pending_sweep``)."""
    return (
        wanted.status == WantedStatus.OPEN
        and wanted.valid_until >= timezone.localdate()
        and (wanted.matched_at is None or wanted.updated_at > wanted.matched_at)
    )


# Matches still to act on (shown with their buttons).
LIVE_MATCH_STATUSES = (MatchStatus.NEW, MatchStatus.SEEN)


def wanted_list_counted(*, actor: Membership | None) -> QuerySet[WantedRequest]:
    """The actor's wanted requests, newest first, each with ``new_matches`` (not seen
    yet) and ``shown_matches`` (new, seen or claimed), counted in the same query."""
    return (
        wanted_list(actor=actor)
        .annotate(
            new_matches=Count("matches", filter=Q(matches__status=MatchStatus.NEW)),
            shown_matches=Count(
                "matches",
                filter=Q(matches__status__in=(*LIVE_MATCH_STATUSES, MatchStatus.CLAIMED)),
            ),
        )
        .order_by("-created_at", "-id")
    )


def wanted_page_list(*, actor: Membership) -> QuerySet[WantedRequest]:
    """The wanted-requests page: counted, the open ones first, the newest first."""
    return wanted_list_counted(actor=actor).order_by(
        Case(
            When(status=WantedStatus.OPEN, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        ),
        "-created_at",
        "-id",
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


def wanted_match_list(
    *, actor: Membership, wanted_id: int, dismissed: bool = False
) -> tuple[QuerySet[Match], dict[str, int]]:
    """The matches of one of the actor's requests, best first: the dismissed ones or
    the others, and how many there are of each (``shown``, ``dismissed``)."""
    matches = match_list(actor=actor).filter(wanted_id=wanted_id)
    counts = matches.order_by().aggregate(
        shown=Count("id", filter=~Q(status=MatchStatus.DISMISSED)),
        dismissed=Count("id", filter=Q(status=MatchStatus.DISMISSED)),
    )
    if dismissed:
        return matches.filter(status=MatchStatus.DISMISSED), counts
    return matches.exclude(status=MatchStatus.DISMISSED), counts


def match_new_count(*, actor: Membership | None) -> int:
    """Matches of the actor's requests nobody has looked at yet."""
    if actor is None:
        return 0
    return Match.objects.filter(
        wanted__organisation_id=actor.organisation_id, status=MatchStatus.NEW
    ).count()


def match_new_list(*, actor: Membership) -> QuerySet[Match]:
    """The matches of the actor's requests not looked at yet, best first."""
    return match_list(actor=actor).filter(status=MatchStatus.NEW)
