"""The wanted-request pages: what we need, a request's form, its matches (claim or
dismiss one), and how a person hears of matches by e-mail. Each view parses, calls one
service or selector, and shows the answer; the rules live in the services."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from exchange.accounts.services import user_match_notifications_set
from exchange.claims.models import ClaimStatus
from exchange.common.errors import ApplicationError
from exchange.common.forms import add_application_error
from exchange.common.live import (
    LivePace,
    live_late_text,
    live_pace,
    live_pace_kept,
    live_part_asked,
    live_still_running,
)
from exchange.lots.models import Lot, LotStatus
from exchange.matching.forms import MatchNotificationsForm, WantedForm
from exchange.matching.models import Match, MatchStatus, WantedRequest, WantedStatus
from exchange.matching.selectors import (
    LIVE_MATCH_STATUSES,
    lot_match_count,
    wanted_list,
    wanted_match_list,
    wanted_page_list,
    wanted_searching,
)
from exchange.matching.services.claiming import (
    match_claim,
    match_claim_quantity,
    match_dismiss,
    match_mark_seen,
    wanted_still_wanted,
)
from exchange.matching.services.wanted import (
    wanted_create,
    wanted_update,
    wanted_withdraw,
)
from exchange.organisations.models import Membership, Region
from exchange.organisations.web import member_required, verified_required

WANTED_PAGE_SIZE = 50
MATCHES_PAGE_SIZE = 30


WHY_MEMBER = gettext_lazy(
    "Register your organisation, or ask its administrator to add you, to say what you need."
)


def _own_wanted(actor: Membership, pk: int) -> WantedRequest:
    """One of the acting organisation's requests; any other is 404, like a missing one."""
    return _describe(get_object_or_404(wanted_list(actor=actor), pk=pk))


def _own_match(actor: Membership, wanted_pk: int, pk: int) -> Match:
    matches, _counts = wanted_match_list(actor=actor, wanted_id=wanted_pk)
    return get_object_or_404(matches, pk=pk)


def _describe(wanted: WantedRequest) -> WantedRequest:
    """What the templates need besides the model: the region's name."""
    wanted.region_label = Region(wanted.region).label if wanted.region in Region.values else ""
    return wanted


# --- What we need ----------------------------------------------------------------


@member_required(WHY_MEMBER)
@require_GET
def wanted_list_view(request, actor: Membership):
    wanted = wanted_page_list(actor=actor)
    page = Paginator(wanted, WANTED_PAGE_SIZE).get_page(request.GET.get("page"))
    for item in page.object_list:
        _describe(item)
        item.searching = wanted_searching(item)  # its matching job has not run yet
    context = {"page": page, "actor": actor}
    return render(request, "matching/wanted_list.html", context)


@member_required(WHY_MEMBER)
@verified_required
def wanted_create_view(request, actor: Membership):
    form = WantedForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        try:
            wanted = wanted_create(actor=actor, data=form.wanted_input())
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            messages.success(
                request,
                _(
                    "Your request is saved. We look for lots that fit it now, and whenever "
                    "a lot is published: you will be notified of the lots that fit best."
                ),
            )
            return redirect("matching:matches", pk=wanted.pk)
    return render(
        request, "matching/wanted_form.html", {"form": form, "wanted": None, "actor": actor}
    )


@member_required(WHY_MEMBER)
def wanted_edit_view(request, actor: Membership, pk: int):
    wanted = _own_wanted(actor, pk)
    form = WantedForm(request.POST or None, actor=actor, wanted=wanted)
    if request.method == "POST" and form.is_valid():
        try:
            wanted = wanted_update(actor=actor, wanted=wanted, data=form.wanted_input())
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            messages.success(
                request,
                _(
                    "Your request is saved. Matches you had not acted on are looked for "
                    "again with the new criteria."
                ),
            )
            return redirect("matching:matches", pk=wanted.pk)
    return render(
        request, "matching/wanted_form.html", {"form": form, "wanted": wanted, "actor": actor}
    )


@member_required(WHY_MEMBER)
@require_POST
def wanted_withdraw_view(request, actor: Membership, pk: int):
    wanted = _own_wanted(actor, pk)
    try:
        wanted_withdraw(actor=actor, wanted=wanted)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The request is withdrawn: it finds no more lots."))
    return redirect("matching:list")


# --- Matches -----------------------------------------------------------------------


def match_reasons(match: Match, today: datetime.date) -> list[str]:
    """Why a lot fits, in words, as it was scored; only the days left count from today
    (the lot's figures beside them say what is available now)."""
    reasons, lot = match.reasons or {}, match.lot
    lines = []
    if reasons.get("category") == "exact":
        lines.append(_("same category"))
    elif reasons.get("category") == "parent":
        lines.append(_("parent category"))
    if reasons.get("distance_km") is not None:
        lines.append(
            _("%(km)s km away") % {"km": number_format(reasons["distance_km"], 1, use_l10n=True)}
        )
    elif lot.region in Region.values:
        lines.append(
            _("in %(region)s, the region you chose") % {"region": Region(lot.region).label}
        )
    if reasons.get("quantity_coverage") is not None:
        percent = round(reasons["quantity_coverage"] * 100)
        lines.append(_("covers %(percent)s%% of the quantity") % {"percent": percent})
    margin = reasons.get("condition_margin")
    if margin == 0:
        lines.append(_("condition: just your minimum"))
    elif margin is not None:
        lines.append(
            ngettext(
                "condition: %(count)s level above your minimum",
                "condition: %(count)s levels above your minimum",
                margin,
            )
            % {"count": margin}
        )
    days_left = (lot.available_until - today).days
    if days_left > 0:
        lines.append(
            ngettext(
                "available for %(count)s more day",
                "available for %(count)s more days",
                days_left,
            )
            % {"count": days_left}
        )
    elif days_left == 0:
        lines.append(_("available until today"))
    return lines


def _prepare_matches(matches, actor: Membership, wanted: WantedRequest) -> None:
    """What each card shows: reasons in words, the score, and which buttons."""
    today = timezone.localdate()
    still_wanted = wanted_still_wanted(wanted)
    can_act = actor.can_write
    for match in matches:
        lot = match.lot
        match.wanted = wanted  # the same request for all: no query per card
        match.reason_lines = match_reasons(match, today)
        match.percent = round(match.score * 100)
        match.lot_open = lot.status == LotStatus.PUBLISHED and lot.available_until >= today
        match.live = match.status in LIVE_MATCH_STATUSES
        match.can_dismiss = can_act and match.live
        match.can_claim = (
            match.can_dismiss
            and wanted.status == WantedStatus.OPEN
            and match.lot_open
            and lot.quantity_available > 0
        )
        match.claim_quantity = match_claim_quantity(still_wanted=still_wanted, lot=lot)
        match.photo = next(iter(lot.photos.all()), None)


@member_required(WHY_MEMBER)
@require_GET
def matches_view(request, actor: Membership, pk: int):
    """The lots that fit one request, best first; opening the page marks the new ones
    that it shows as seen (their "new" badge shows this once)."""
    wanted = _own_wanted(actor, pk)
    searching = wanted_searching(wanted)
    pace = live_pace(wanted.updated_at)  # saved or changed then: its job was sent then
    polled = live_part_asked(request, "matches")
    if polled and searching and live_pace_kept(request, pace):
        return live_still_running()
    show_dismissed = request.GET.get("show") == "dismissed"
    page, counts = None, None
    if not searching:
        # While the job runs the page shows no match (the earlier ones of a changed
        # request may no longer fit): none is read, and none loses its "new" badge unseen.
        matches, counts = wanted_match_list(
            actor=actor, wanted_id=wanted.pk, dismissed=show_dismissed
        )
        paginator = Paginator(matches, MATCHES_PAGE_SIZE)
        # The counts above are the paginator's too: no second COUNT query.
        paginator.count = counts["dismissed"] if show_dismissed else counts["shown"]
        page = paginator.get_page(request.GET.get("page"))
        _prepare_matches(page.object_list, actor, wanted)
        new_ids = [m.pk for m in page.object_list if m.status == MatchStatus.NEW]
        if new_ids:
            match_mark_seen(actor=actor, match_ids=new_ids)
    context = {
        "wanted": wanted,
        "page": page,
        "actor": actor,
        "show_dismissed": show_dismissed,
        "counts": counts,
        "searching": searching,
        "pace": pace,
        "status_text": _matches_status(wanted, counts, searching, pace),
    }
    if polled:  # the matches (or the wait at its new pace), and the status region's sentence
        return render(
            request,
            "matching/_matches_part.html",
            {**context, "oob": True, "still_running": searching},
        )
    if not searching:
        context["status_text"] = ""  # said by the page itself; the region stays for updates
    return render(request, "matching/matches.html", context)


def _matches_status(
    wanted: WantedRequest, counts: dict | None, searching: bool, pace: LivePace
) -> str:
    """The page's status sentence: still searching, or what the search found."""
    if searching:
        if pace.late:
            return live_late_text()
        return _("Still searching for lots that fit this request…")
    if wanted.status != WantedStatus.OPEN:
        return ""
    return ngettext(
        "The search is done: %(count)s lot fits this request.",
        "The search is done: %(count)s lots fit this request.",
        counts["shown"],
    ) % {"count": counts["shown"]}


@member_required(WHY_MEMBER)
@require_POST
def match_claim_view(request, actor: Membership, pk: int, match_pk: int):
    match = _own_match(actor, pk, match_pk)
    try:
        claim = match_claim(actor=actor, match=match)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("matching:matches", pk=pk)
    if claim.status == ClaimStatus.APPROVED:
        message = _("Your claim of %(quantity)s units is approved: agree on a pickup slot.")
    else:
        message = _(
            "Your claim of %(quantity)s units is registered. The owner is "
            "notified and will approve or decline it."
        )
    messages.success(request, message % {"quantity": claim.quantity})
    return redirect("claims:detail", pk=claim.pk)


@member_required(WHY_MEMBER)
@require_POST
def match_dismiss_view(request, actor: Membership, pk: int, match_pk: int):
    match = _own_match(actor, pk, match_pk)
    try:
        match_dismiss(actor=actor, match=match)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("“%(title)s” is dismissed: it is no longer shown among the matches.")
            % {"title": match.lot.title},
        )
    return redirect("matching:matches", pk=pk)


# --- The lot page ------------------------------------------------------------------


def lot_page_match_count(*, request, actor: Membership | None, lot: Lot) -> dict:
    """To the lot's owner, how many wanted requests it matched (a section of the lot
    page, registered at start-up)."""
    is_owner = actor is not None and lot.owner_id == actor.organisation_id
    return {"match_count": lot_match_count(lot_id=lot.pk) if is_owner else None}


# --- E-mail preference ---------------------------------------------------------------


@login_required
def notification_settings_view(request):
    form = MatchNotificationsForm(
        request.POST or None, initial={"match_notifications": request.user.match_notifications}
    )
    if request.method == "POST" and form.is_valid():
        try:
            user_match_notifications_set(
                user=request.user, value=form.cleaned_data["match_notifications"]
            )
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            messages.success(request, _("Your choice is saved."))
            return redirect("matching:notifications")
    return render(request, "matching/notification_settings.html", {"form": form})
