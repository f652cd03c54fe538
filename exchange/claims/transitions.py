"""The claim lifecycle as one table: which action takes a claim from which status to
which, who may take it, whether the claim's units go back to the lot, and what the
other side is told.

pending -> approved -> collected; pending -> declined; pending/approved -> cancelled (by
the claimant); approved -> no_show (by the owner, once the pickup slot passed); either
side sets the pickup slot of an approved claim. Beside the lifecycle, the conversation
(``CLAIM_TALK``): either side writes messages while the claim is not declined or
cancelled, and proposes or accepts pickup slots while it is approved. The services
check every action here before they write (``transition_check``: 403 for the wrong
side, 409 for the wrong status), and the pages and the API offer the actions
``claim_actions`` allows.
"""

import datetime
from dataclasses import dataclass
from enum import StrEnum

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from exchange.claims.errors import ClaimError
from exchange.claims.models import Claim, ClaimStatus
from exchange.common.errors import ApplicationError, ErrorKind
from exchange.organisations.access import require_writer
from exchange.organisations.models import Membership


class Side(StrEnum):
    OWNER = "owner"  # the organisation that posted the lot
    CLAIMANT = "claimant"


class ClaimAction(StrEnum):
    APPROVE = "approve"
    DECLINE = "decline"
    CANCEL = "cancel"
    SCHEDULE = "schedule"
    COLLECT = "collect"
    NO_SHOW = "no_show"


@dataclass(frozen=True)
class Transition:
    sources: frozenset[ClaimStatus]  # the statuses it starts from
    target: ClaimStatus  # the status it ends in (a new pickup slot keeps it)
    by: frozenset[Side]  # who may take it
    notice: str  # what the other side is told (claims/notifications/<notice>.txt)
    gives_back: bool = False  # the claim's units go back to the lot
    after_pickup: bool = False  # only once the pickup slot has passed


_OWNER, _CLAIMANT, _EITHER = frozenset({Side.OWNER}), frozenset({Side.CLAIMANT}), frozenset(Side)
_PENDING, _APPROVED = frozenset({ClaimStatus.PENDING}), frozenset({ClaimStatus.APPROVED})
_LIVE = _PENDING | _APPROVED

# fmt: off
CLAIM_TRANSITIONS = {
    #                               from       to                     by         notice
    ClaimAction.APPROVE:  Transition(_PENDING,  ClaimStatus.APPROVED,  _OWNER,    "approved"),
    ClaimAction.DECLINE:  Transition(_PENDING,  ClaimStatus.DECLINED,  _OWNER,    "declined",
                                     gives_back=True),
    ClaimAction.CANCEL:   Transition(_LIVE,     ClaimStatus.CANCELLED, _CLAIMANT, "cancelled",
                                     gives_back=True),
    ClaimAction.SCHEDULE: Transition(_APPROVED, ClaimStatus.APPROVED,  _EITHER,   "scheduled"),
    # Units approved but not collected go back to the lot (claim_collect).
    ClaimAction.COLLECT:  Transition(_APPROVED, ClaimStatus.COLLECTED, _OWNER,    "collected"),
    ClaimAction.NO_SHOW:  Transition(_APPROVED, ClaimStatus.NO_SHOW,   _OWNER,    "no_show",
                                     gives_back=True, after_pickup=True),
}
# fmt: on

_NOT_YOURS = {
    _OWNER: gettext_lazy("Only the organisation that posted the lot may do this."),
    _CLAIMANT: gettext_lazy("Only the claiming organisation may do this."),
}


def claim_sides(claim: Claim, organisation_id: int) -> frozenset[Side]:
    """The sides of the claim an organisation stands on (none, one, or both)."""
    sides = set()
    if claim.lot.owner_id == organisation_id:
        sides.add(Side.OWNER)
    if claim.claimant_id == organisation_id:
        sides.add(Side.CLAIMANT)
    return frozenset(sides)


def _pickup_passed(claim: Claim, now: datetime.datetime) -> bool:
    return claim.pickup_at is not None and claim.pickup_at <= now


def claim_actions(
    *, claim: Claim, actor: Membership, now: datetime.datetime | None = None
) -> set[ClaimAction]:
    """What the actor may do with the claim now: what the pages and the API offer."""
    if not actor.can_write:
        return set()
    now = now or timezone.now()
    sides = claim_sides(claim, actor.organisation_id)
    return {
        action
        for action, transition in CLAIM_TRANSITIONS.items()
        if sides & transition.by
        and claim.status in transition.sources
        and (not transition.after_pickup or _pickup_passed(claim, now))
    }


def _sides_check(actor: Membership, claim: Claim, by: frozenset[Side]) -> None:
    require_writer(actor)
    if not claim_sides(claim, actor.organisation_id) & by:
        raise ApplicationError(
            code=ClaimError.NOT_YOURS,
            kind=ErrorKind.FORBIDDEN,
            message=str(_NOT_YOURS.get(by, _("This claim is not yours."))),
        )


def _status_check(claim: Claim, sources: frozenset[ClaimStatus]) -> None:
    if claim.status not in sources:
        raise ApplicationError(
            code=ClaimError.WRONG_STATUS,
            kind=ErrorKind.CONFLICT,
            message=_("This claim is %(status)s.") % {"status": claim.get_status_display()},
            extra={"status": claim.status},
        )


def transition_check(
    *, actor: Membership, claim: Claim, action: ClaimAction, now: datetime.datetime | None = None
) -> Transition:
    """Refuse the action unless the table allows it: 403 for a viewer or the wrong side,
    409 for a claim in another status (or, for a no-show, before the pickup slot)."""
    transition = CLAIM_TRANSITIONS[action]
    _sides_check(actor, claim, transition.by)
    _status_check(claim, transition.sources)
    if transition.after_pickup and not _pickup_passed(claim, now or timezone.now()):
        raise ApplicationError(
            code=ClaimError.BEFORE_PICKUP,
            kind=ErrorKind.CONFLICT,
            message=_("A no-show can be recorded only after the pickup slot has passed."),
        )
    return transition


# --- The conversation of a claim -------------------------------------------------


class ClaimTalk(StrEnum):
    MESSAGE = "message"
    PROPOSE_SLOT = "propose_slot"
    ACCEPT_SLOT = "accept_slot"


@dataclass(frozen=True)
class Talk:
    sources: frozenset[ClaimStatus]  # the statuses in which it may be done
    by: frozenset[Side]


# Both sides read the conversation in every status; they write while the claim is
# not declined or cancelled (after a handover or a missed pickup there is still
# something to settle), and agree on the pickup while it is approved. Accepting a slot
# is for the side that did not propose it (claims/services.py, claim_slot_accept).
CLAIM_TALK = {
    ClaimTalk.MESSAGE: Talk(
        _LIVE | frozenset({ClaimStatus.COLLECTED, ClaimStatus.NO_SHOW}), _EITHER
    ),
    ClaimTalk.PROPOSE_SLOT: Talk(_APPROVED, _EITHER),
    ClaimTalk.ACCEPT_SLOT: Talk(_APPROVED, _EITHER),
}


def talk_check(*, actor: Membership, claim: Claim, action: ClaimTalk) -> None:
    """Refuse a conversation action: 403 for a viewer or an outsider, 409 for a claim
    in a status that does not allow it."""
    talk = CLAIM_TALK[action]
    _sides_check(actor, claim, talk.by)
    _status_check(claim, talk.sources)


def claim_talk_actions(*, claim: Claim, actor: Membership) -> set[ClaimTalk]:
    """What the actor may do in the claim's conversation now (what the pages offer)."""
    if not actor.can_write:
        return set()
    sides = claim_sides(claim, actor.organisation_id)
    return {
        action
        for action, talk in CLAIM_TALK.items()
        if sides & talk.by and claim.status in talk.sources
    }
