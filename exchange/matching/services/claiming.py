"""Acting on a match: dismiss it, mark it seen, or claim its lot for the request."""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.common.errors import ApplicationError, ErrorKind
from exchange.lots.models import Lot
from exchange.matching.errors import MatchingError
from exchange.matching.models import Match, MatchStatus, WantedRequest, WantedStatus
from exchange.matching.services.wanted import wanted_claimed_quantity
from exchange.matching.signals import match_claimed
from exchange.organisations.access import require_writer
from exchange.organisations.models import Membership


def _own_match(actor: Membership, match: Match) -> Match:
    require_writer(actor)
    if match.wanted.organisation_id != actor.organisation_id:
        raise ApplicationError(
            code=MatchingError.NOT_YOURS, kind=ErrorKind.NOT_FOUND, message=_("No such match.")
        )
    if match.status in (MatchStatus.DISMISSED, MatchStatus.CLAIMED):
        raise ApplicationError(
            code=MatchingError.MATCH_CLOSED,
            kind=ErrorKind.CONFLICT,
            message=_("This match is %(status)s.") % {"status": match.get_status_display()},
        )
    return match


@transaction.atomic
def match_dismiss(*, actor: Membership, match: Match) -> Match:
    match = _own_match(
        actor, Match.objects.select_for_update().select_related("wanted").get(pk=match.pk)
    )
    match.status = MatchStatus.DISMISSED
    match.save(update_fields=["status", "updated_at"])
    return match


def match_mark_seen(*, actor: Membership, match_ids: Iterable[int]) -> int:
    """Mark the actor's new matches among ``match_ids`` seen; returns how many changed."""
    return Match.objects.filter(
        pk__in=list(match_ids),
        wanted__organisation_id=actor.organisation_id,
        status=MatchStatus.NEW,
    ).update(status=MatchStatus.SEEN)


def wanted_still_wanted(wanted: WantedRequest) -> int:
    """How many units the request still wants: its quantity less its live claims (at
    least 1: a claim from a match is never of nothing)."""
    return max(wanted.quantity - wanted_claimed_quantity(wanted), 1)


def match_claim_quantity(*, still_wanted: int, lot: Lot) -> int:
    """A claim from a match takes what the request still wants, at most what the lot
    has left (and at least 1: claiming an empty lot is refused as such)."""
    return max(min(still_wanted, lot.quantity_available), 1)


@transaction.atomic
def match_claim(*, actor: Membership, match: Match, note: str = ""):
    """Open a claim for ``match_claim_quantity`` and mark the match claimed; the request
    is fulfilled once its claims cover its quantity. Every condition is checked first,
    the match locked so that nobody acts on it meanwhile: then the claim, then the match."""
    from exchange.claims.services import claim_create

    match = (
        Match.objects.select_for_update(of=("self",))
        .select_related("wanted__organisation", "lot")
        .get(pk=match.pk)
    )
    _own_match(actor, match)
    wanted = match.wanted
    if wanted.status != WantedStatus.OPEN:
        raise ApplicationError(
            code=MatchingError.WANTED_NOT_OPEN,
            kind=ErrorKind.CONFLICT,
            message=_("This request is %(status)s.") % {"status": wanted.get_status_display()},
        )
    quantity = match_claim_quantity(still_wanted=wanted_still_wanted(wanted), lot=match.lot)
    claim = claim_create(
        actor=actor,
        lot=match.lot,
        quantity=quantity,
        note=note or _("Claimed from a match with our wanted request."),
    )
    match.status, match.claim = MatchStatus.CLAIMED, claim
    match.save(update_fields=["status", "claim", "updated_at"])
    # A reuse check whose request this is counts the claim at once (robust: a listener's
    # failure is logged, never undoes a committed claim; the check's periodic job adopts it)
    transaction.on_commit(
        lambda: match_claimed.send(sender=Match, match=match, claim=claim, actor=actor),
        robust=True,
    )
    if wanted_claimed_quantity(wanted) >= wanted.quantity:
        WantedRequest.objects.filter(pk=wanted.pk, status=WantedStatus.OPEN).update(
            status=WantedStatus.FULFILLED, updated_at=timezone.now()
        )
    return claim
