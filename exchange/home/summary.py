"""What the home page and the menu show a signed-in person: the work waiting for them,
read through the selectors of each app (home sits above them all, docs/design.md §2)."""

import datetime
from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from exchange.claims.selectors import (
    claim_pickups_between,
    claim_slot_to_answer_list,
    claim_to_decide_list,
    claim_waiting_counts,
)
from exchange.impact.selectors.open_data import open_data_summary
from exchange.lots.selectors import lot_attention_counts, lot_attention_list
from exchange.matching.selectors import match_new_count, match_new_list
from exchange.organisations.invitations import invitation_list_for_user
from exchange.organisations.models import Membership
from exchange.organisations.selectors import (
    organisation_setup,
    organisation_verification_queue,
    organisation_waiting_count,
)

# How many of each kind of waiting work the home page lists (the menu counts them all).
HOME_LIST_SIZE = 5
PICKUP_DAYS = 7


def menu_counts(*, user, actor: Membership | None) -> dict[str, int]:
    """The waiting work beside the menu entries, a fixed number of queries whatever
    there is: one for claims, one for lots, one for matches, one for moderators."""
    counts = {}
    if actor is not None:
        claims = claim_waiting_counts(actor=actor)
        counts["claims_inbox"] = claims["to_decide"]
        counts["claims_mine"] = claims["to_collect"]
        counts["lots_mine"] = lot_attention_counts(actor=actor, today=timezone.localdate())["total"]
        counts["matches"] = match_new_count(actor=actor)
    if user.is_moderator:
        counts["verification"] = organisation_waiting_count()
    return counts


@dataclass(frozen=True)
class Shortcut:
    label: str
    url: str


def member_shortcuts(actor: Membership) -> list[Shortcut]:
    """The links a member starts from. Other parts of the platform add theirs here."""
    shortcuts = [Shortcut(_("Browse the catalogue"), reverse("lots:catalogue"))]
    if actor.can_write and actor.organisation.is_verified:
        shortcuts.insert(0, Shortcut(_("Post a lot"), reverse("lots:create")))
        shortcuts.append(Shortcut(_("Say what we need"), reverse("matching:list")))
    # Here other parts add their links for members (reuse checks are in the menu).
    return shortcuts


def person_home(*, user, actor: Membership | None, now: datetime.datetime | None = None) -> dict:
    """Everything the signed-in home page shows this person, section by section; a
    section the person has no business with is None."""
    now = now or timezone.now()
    home = {
        "organisation": None,
        "setup": None,
        "to_decide": None,
        "pickups": None,
        "slots_to_answer": None,
        "lots": None,
        "matches": None,
        "shortcuts": [],
        "verification": None,
        "figures": None,
        "counts": {},
        "invitations": invitation_list_for_user(user=user, now=now),
    }
    if actor is not None:
        organisation = actor.organisation
        home["organisation"] = organisation
        setup = organisation_setup(organisation=organisation)
        home["setup"] = setup if not all(setup.values()) else None
        home["shortcuts"] = member_shortcuts(actor)
    if actor is not None and actor.organisation.is_verified:
        # an organisation not verified yet has neither lots nor claims nor requests
        claims = claim_waiting_counts(actor=actor)
        lots = lot_attention_counts(actor=actor, today=timezone.localdate(now))
        home["counts"] = {**claims, "lots": lots["total"], "matches": match_new_count(actor=actor)}
        home["slots_to_answer"] = list(claim_slot_to_answer_list(actor=actor)[:HOME_LIST_SIZE])
        home["to_decide"] = list(claim_to_decide_list(actor=actor)[:HOME_LIST_SIZE])
        home["pickups"] = list(
            claim_pickups_between(
                actor=actor, start=now, end=now + datetime.timedelta(days=PICKUP_DAYS)
            )
        )
        for claim in home["pickups"]:
            claim.ours_to_give = claim.lot.owner_id == actor.organisation_id
        home["lots"] = list(
            lot_attention_list(actor=actor, today=timezone.localdate(now))[: HOME_LIST_SIZE * 2]
        )
        home["matches"] = list(match_new_list(actor=actor)[:HOME_LIST_SIZE])
    if user.is_moderator:
        home["verification"] = {
            "count": organisation_waiting_count(),
            "first": list(organisation_verification_queue()[:HOME_LIST_SIZE]),
        }
    if user.is_analyst:
        year = timezone.localdate(now).year
        home["figures"] = {"year": year, **open_data_summary(year=year, breakdowns=())["totals"]}
    return home
