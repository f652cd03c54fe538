"""The claim pages: the claim box of a lot page, my claims, the inbox of claims on our
lots, a claim with its actions and history, and its transfer document. Each view parses,
calls one service or selector, and shows the answer; the rules live in the services."""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from exchange.claims.documents import claim_has_document, claim_transfer_document
from exchange.claims.forms import (
    ClaimForm,
    CollectForm,
    DeclineForm,
    InboxFilterForm,
    MessageForm,
    MyClaimsFilterForm,
    PhoneForm,
    ScheduleForm,
    SlotProposeForm,
)
from exchange.claims.models import Claim, ClaimStatus, PickupSlotStatus
from exchange.claims.selectors import (
    claim_contacts,
    claim_filter_role,
    claim_history,
    claim_inbox_list,
    claim_inbox_lots,
    claim_list,
    claim_lot_list,
    claim_message_list,
    claim_mine_list,
    claim_slot_list,
    claim_status_counts,
)
from exchange.claims.services import (
    claim_approve,
    claim_cancel,
    claim_collect,
    claim_create,
    claim_decline,
    claim_eligibility_check,
    claim_no_show,
    claim_schedule,
)
from exchange.claims.talk import claim_message_post, claim_slot_accept, claim_slot_propose
from exchange.claims.transitions import ClaimTalk, claim_actions, claim_talk_actions
from exchange.common.errors import ApplicationError
from exchange.common.forms import add_application_error
from exchange.lots.eligibility import claim_windows
from exchange.lots.models import Lot
from exchange.lots.selectors import lot_claim_target
from exchange.organisations.access import require_verified, require_writer
from exchange.organisations.models import Membership
from exchange.organisations.services import membership_phone_set
from exchange.organisations.web import member_required

CLAIMS_PAGE_SIZE = 50
# Claims that show a transfer document.

WHY_MEMBER = gettext_lazy(
    "Register your organisation, or ask its administrator to add you, to claim."
)


def _visible_claim(actor: Membership, pk: int) -> Claim:
    """A claim of the acting organisation or on its lots; any other is 404."""
    return get_object_or_404(claim_list(actor=actor), pk=pk)


def _action_forms(claim: Claim) -> dict:
    """Unbound action forms; ids carry the claim so that a list has unique labels."""
    auto_id = f"claim-{claim.pk}-%s"
    return {
        "decline": DeclineForm(auto_id=auto_id),
        "collect": CollectForm(auto_id=auto_id, initial={"quantity": claim.quantity}),
    }


def _prepare(claims, actor: Membership) -> None:
    now = timezone.now()
    for claim in claims:
        claim.actions = claim_actions(claim=claim, actor=actor, now=now)
        claim.slot_to_come = claim.pickup_at is not None and claim.pickup_at > now
        claim.forms = _action_forms(claim) if claim.actions else {}


def _back(request, claim: Claim):
    """Back where the action was taken (the inbox keeps its filters), else the claim."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("claims:detail", pk=claim.pk)


# --- The claim box of the lot page -----------------------------------------------


def claim_box_context(*, user, actor: Membership | None, lot: Lot, form=None) -> dict:
    """What the claim box of a lot page shows: the claim form or why not, the windows;
    to the owner, the lot's claims by status."""
    box = {
        "windows": claim_windows(lot),
        "is_owner": actor is not None and lot.owner_id == actor.organisation_id,
        "form": None,
        "refusal": "",
        "login_needed": actor is None and not user.is_authenticated,
        "no_organisation": actor is None and user.is_authenticated,
        "my_claims": [],
        "counts": [],
        "claims_total": 0,
    }
    if actor is None:
        return {"claim_box": box}
    claims = claim_lot_list(actor=actor, lot=lot)
    if box["is_owner"]:
        by_status = claim_status_counts(claims)
        box["counts"] = [
            {"status": status.value, "label": status.label, "count": by_status.get(status, 0)}
            for status in ClaimStatus
        ]
        box["claims_total"] = sum(by_status.values())
        return {"claim_box": box}
    box["my_claims"] = list(claim_filter_role(claims, actor=actor, role="claimant"))
    try:
        require_verified(actor)
        claim_eligibility_check(actor=actor, lot=lot)
        require_writer(actor)
    except ApplicationError as exc:
        box["refusal"] = exc.message
        return {"claim_box": box}
    if lot.quantity_available < 1:
        box["refusal"] = _(
            "Every unit of this lot is claimed. Units come back when a claim is declined "
            "or cancelled."
        )
    else:
        box["form"] = form or ClaimForm(lot=lot)
    return {"claim_box": box}


def lot_page_claim_box(*, request, actor: Membership | None, lot: Lot) -> dict:
    """The claim box as a section of the lot page (registered at start-up)."""
    return claim_box_context(user=request.user, actor=actor, lot=lot)


@member_required(WHY_MEMBER)
def create(request, actor: Membership, lot_pk: int):
    """Claim part of a lot; the lot page posts here, and errors are shown here."""
    lot = lot_claim_target(actor=actor, pk=lot_pk)
    if lot is None:
        raise Http404
    form = None
    if request.method == "POST":
        form = ClaimForm(request.POST, lot=lot)
        if form.is_valid():
            try:
                claim = claim_create(
                    actor=actor,
                    lot=lot,
                    quantity=form.cleaned_data["quantity"],
                    note=form.cleaned_data["note"],
                )
            except ApplicationError as exc:
                add_application_error(form, exc)
            else:
                if claim.status == ClaimStatus.APPROVED:
                    message = _(
                        "Your claim of %(quantity)s units is approved: agree on a pickup slot."
                    )
                else:
                    message = _(
                        "Your claim of %(quantity)s units is registered. The owner is "
                        "notified and will approve or decline it."
                    )
                messages.success(request, message % {"quantity": claim.quantity})
                return redirect("claims:detail", pk=claim.pk)
    context = {
        "lot": lot,
        "actor": actor,
        **claim_box_context(user=request.user, actor=actor, lot=lot, form=form),
    }
    return render(request, "claims/create.html", context)


# --- Lists -----------------------------------------------------------------------


@member_required(WHY_MEMBER)
@require_GET
def mine(request, actor: Membership):
    """Claims the acting organisation made."""
    form = MyClaimsFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    claims = claim_mine_list(actor=actor, status=status)
    page = Paginator(claims, CLAIMS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "claims/mine.html", {"form": form, "page": page, "actor": actor})


@member_required(WHY_MEMBER)
@require_GET
def inbox(request, actor: Membership):
    """Claims on the acting organisation's lots, those waiting for a decision first."""
    form = InboxFilterForm(request.GET or None, lots=claim_inbox_lots(actor=actor))
    filters = form.cleaned_data if form.is_valid() else {}
    claims = claim_inbox_list(actor=actor, status=filters.get("status", ""), lot=filters.get("lot"))
    page = Paginator(claims, CLAIMS_PAGE_SIZE).get_page(request.GET.get("page"))
    _prepare(page.object_list, actor)
    context = {"form": form, "page": page, "actor": actor, "next": request.get_full_path()}
    return render(request, "claims/inbox.html", context)


# --- One claim -------------------------------------------------------------------


def _render_detail(request, actor: Membership, claim: Claim, failed: tuple | None = None):
    _prepare([claim], actor)
    talk = claim_talk_actions(claim=claim, actor=actor)
    talk_forms = {
        "message": MessageForm(auto_id="message-%s"),
        "slot": SlotProposeForm(auto_id="slot-%s"),
        "phone": PhoneForm(auto_id="phone-%s", initial={"phone": actor.phone}),
    }
    failed_form = None
    if failed is not None:
        name, failed_form = failed
        (talk_forms if name in talk_forms else claim.forms)[name] = failed_form
    is_owner = claim.lot.owner_id == actor.organisation_id
    now = timezone.now()
    slots = list(claim_slot_list(claim=claim)) if claim.status == ClaimStatus.APPROVED else []
    for slot in slots:
        slot.can_accept = (
            ClaimTalk.ACCEPT_SLOT in talk
            and slot.status == PickupSlotStatus.PROPOSED
            and slot.starts_at > now
            and slot.proposed_by_organisation_id != actor.organisation_id
        )
        slot.passed = slot.starts_at <= now
    context = {
        "claim": claim,
        "lot": claim.lot,
        "actor": actor,
        "is_owner": is_owner,
        "is_claimant": claim.claimant_id == actor.organisation_id,
        "history": claim_history(claim),
        "has_document": claim_has_document(claim),
        "failed_form": failed_form,
        "next": "",
        "talk": talk,
        "talk_forms": talk_forms,
        "thread": claim_message_list(claim=claim),
        "slots": slots,
        "contacts": claim_contacts(claim=claim),
    }
    return render(request, "claims/detail.html", context)


@member_required(WHY_MEMBER)
@require_GET
def detail(request, actor: Membership, pk: int):
    return _render_detail(request, actor, _visible_claim(actor, pk))


@member_required(WHY_MEMBER)
@require_GET
def document(request, actor: Membership, pk: int):
    """The transfer document (PDF) of an approved or collected claim, for both sides."""
    claim = _visible_claim(actor, pk)
    if not claim_has_document(claim):
        raise Http404
    response = HttpResponse(claim_transfer_document(claim=claim), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="transfer-claim-{claim.pk}.pdf"'
    return response


# --- Actions ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Action:
    """A claim action of the pages: the service call (actor, claim, form data), the
    message on success, and the form when the action takes input."""

    act: Callable[[Membership, Claim, dict], Claim]
    success: str
    form_class: type[forms.Form] | None = None


ACTIONS = {
    "approve": _Action(
        lambda actor, claim, data: claim_approve(actor=actor, claim=claim),
        gettext_lazy("The claim is approved: the claimant is notified. Agree on a pickup slot."),
    ),
    "cancel": _Action(
        lambda actor, claim, data: claim_cancel(actor=actor, claim=claim),
        gettext_lazy("The claim is cancelled: its units go back to the lot."),
    ),
    "no_show": _Action(
        lambda actor, claim, data: claim_no_show(actor=actor, claim=claim),
        gettext_lazy("The missed pickup is recorded: the units go back to the lot."),
    ),
    "decline": _Action(
        lambda actor, claim, data: claim_decline(actor=actor, claim=claim, reason=data["reason"]),
        gettext_lazy(
            "The claim is declined: the claimant is notified and the units go back to the lot."
        ),
        DeclineForm,
    ),
    "schedule": _Action(
        lambda actor, claim, data: claim_schedule(
            actor=actor, claim=claim, pickup_at=data["pickup_at"]
        ),
        gettext_lazy("The pickup slot is set: the other side is notified."),
        ScheduleForm,
    ),
    "collect": _Action(
        lambda actor, claim, data: claim_collect(
            actor=actor,
            claim=claim,
            quantity=data["quantity"],
            weight_kg=data["weight_kg"],
            before_slot_confirmed=data["before_slot_confirmed"],
        ),
        gettext_lazy("The handover is confirmed: the reuse is recorded."),
        CollectForm,
    ),
}


@member_required(WHY_MEMBER)
@require_POST
def act(request, actor: Membership, pk: int, action: str):
    """One of ACTIONS on a claim. A refusal of an action without input becomes an error
    message where the action was taken; one with a form is shown on that form, on the
    claim page."""
    spec = ACTIONS[action]
    claim = _visible_claim(actor, pk)
    form = None
    if spec.form_class is not None:
        extra = {"claim": claim} if spec.form_class is CollectForm else {}
        form = spec.form_class(request.POST, auto_id=f"claim-{claim.pk}-%s", **extra)
        if not form.is_valid():
            return _render_detail(request, actor, claim, failed=(action, form))
    try:
        spec.act(actor, claim, form.cleaned_data if form is not None else {})
    except ApplicationError as exc:
        if form is None:
            messages.error(request, exc.message)
            return _back(request, claim)
        add_application_error(form, exc)
        return _render_detail(request, actor, claim, failed=(action, form))
    messages.success(request, spec.success)
    return _back(request, claim)


# --- The conversation --------------------------------------------------------------


def _talk_answer(request, actor, claim, name, form, call, success: str, anchor: str):
    """Run a conversation service with a valid form: back to the claim page at
    ``anchor`` on success, the page with the form's errors otherwise."""
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            messages.success(request, success)
            return redirect(f"{claim_detail_url(claim)}#{anchor}")
    return _render_detail(request, actor, claim, failed=(name, form))


def claim_detail_url(claim: Claim) -> str:
    return reverse("claims:detail", args=[claim.pk])


@member_required(WHY_MEMBER)
@require_POST
def message(request, actor: Membership, pk: int):
    """Write in the claim's conversation."""
    claim = _visible_claim(actor, pk)
    return _talk_answer(
        request,
        actor,
        claim,
        "message",
        MessageForm(request.POST, auto_id="message-%s"),
        lambda data: claim_message_post(actor=actor, claim=claim, body=data["body"]),
        _("Your message is sent: the other side is notified."),
        "conversation-heading",
    )


@member_required(WHY_MEMBER)
@require_POST
def slot_propose(request, actor: Membership, pk: int):
    """Propose a pickup slot to the other side."""
    claim = _visible_claim(actor, pk)
    return _talk_answer(
        request,
        actor,
        claim,
        "slot",
        SlotProposeForm(request.POST, auto_id="slot-%s"),
        lambda data: claim_slot_propose(actor=actor, claim=claim, starts_at=data["starts_at"]),
        _("The slot is proposed: the other side is notified and can accept it."),
        "pickup-heading",
    )


@member_required(WHY_MEMBER)
@require_POST
def slot_accept(request, actor: Membership, pk: int, slot_pk: int):
    """Accept the other side's proposed slot: it becomes the agreed pickup."""
    claim = _visible_claim(actor, pk)
    slot = get_object_or_404(claim_slot_list(claim=claim), pk=slot_pk)
    try:
        claim_slot_accept(actor=actor, claim=claim, slot=slot)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The slot is agreed: the other side is notified."))
    return redirect(f"{claim_detail_url(claim)}#pickup-heading")


@member_required(WHY_MEMBER)
@require_POST
def phone(request, actor: Membership, pk: int):
    """Set one's own phone number at the acting organisation, from a claim's page."""
    claim = _visible_claim(actor, pk)
    return _talk_answer(
        request,
        actor,
        claim,
        "phone",
        PhoneForm(request.POST, auto_id="phone-%s"),
        lambda data: membership_phone_set(actor=actor, phone=data["phone"]),
        _("Your phone number is saved."),
        "contacts-heading",
    )
