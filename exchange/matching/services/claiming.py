"""Acting on a match: dismiss it, mark it seen, or claim its lot for the request."""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.common.errors import ApplicationError, ErrorKind
from exchange.matching.errors import MatchingError
from exchange.matching.models import Match, MatchStatus, WantedRequest, WantedStatus
from exchange.matching.services.wanted import wanted_claimed_quantity
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


def match_claim(*, actor: Membership, match: Match, note: str = ""):
    """Open a claim for min(still wanted, available) and mark the match claimed; the
    request is fulfilled once its claims cover its quantity."""
    from exchange.claims.services import claim_create

    match = Match.objects.select_related("wanted__organisation", "lot").get(pk=match.pk)
    _own_match(actor, match)
    wanted = match.wanted
    if wanted.status != WantedStatus.OPEN:
        raise ApplicationError(
            code=MatchingError.WANTED_NOT_OPEN,
            kind=ErrorKind.CONFLICT,
            message=_("This request is %(status)s.") % {"status": wanted.get_status_display()},
        )
    lot = match.lot
    lot.refresh_from_db()
    still_wanted = max(wanted.quantity - wanted_claimed_quantity(wanted), 1)
    quantity = max(min(still_wanted, lot.quantity_available), 1)
    with transaction.atomic():
        claim = claim_create(
            actor=actor,
            lot=lot,
            quantity=quantity,
            note=note or _("Claimed from a match with our wanted request."),
        )
        updated = Match.objects.filter(
            pk=match.pk, status__in=(MatchStatus.NEW, MatchStatus.SEEN)
        ).update(status=MatchStatus.CLAIMED, claim=claim, updated_at=timezone.now())
        if not updated:
            raise ApplicationError(
                code=MatchingError.MATCH_CLOSED,
                kind=ErrorKind.CONFLICT,
                message=_("This match was already acted on."),
            )
        if wanted_claimed_quantity(wanted) >= wanted.quantity:
            WantedRequest.objects.filter(pk=wanted.pk, status=WantedStatus.OPEN).update(
                status=WantedStatus.FULFILLED, updated_at=timezone.now()
            )
    return claim
