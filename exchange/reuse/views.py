"""The reuse-check pages: a buyer's checks, a new check, one check (its results to claim
from, closing or cancelling it, its attestation), and the public verification page of
an attestation. Each view parses, calls one service or selector, and renders."""

import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from exchange.claims.models import ClaimStatus
from exchange.common.errors import ApplicationError
from exchange.common.forms import add_application_error
from exchange.lots.models import Lot
from exchange.organisations.models import Membership, Region
from exchange.organisations.web import member_required, verified_required
from exchange.reuse.forms import (
    ResultClaimForm,
    ReuseCheckForm,
    VerifyCodeForm,
    VerifyFingerprintForm,
)
from exchange.reuse.models import CheckStatus, ReuseCheck
from exchange.reuse.renderers import place_text
from exchange.reuse.selectors import reuse_check_claims, reuse_check_list, reuse_check_results
from exchange.reuse.services.attestations import (
    attestation_fingerprint_check,
    attestation_for_code,
    attestation_of,
    verification_url,
)
from exchange.reuse.services.checks import (
    reuse_check_cancel,
    reuse_check_claim,
    reuse_check_close,
    reuse_check_create,
)

WHY_MEMBER = gettext_lazy(
    "Register your organisation, or ask its administrator to add you, to check for reuse "
    "before buying."
)
PAGE_SIZE = 30


def _own_check(actor: Membership, pk: int) -> ReuseCheck:
    """One of the acting organisation's checks; any other is 404, like a missing one."""
    return get_object_or_404(reuse_check_list(actor=actor), pk=pk)


def _where(check: ReuseCheck) -> str:
    if check.site_id:
        return place_text({"max_distance_km": check.max_distance_km, "site": check.site.name})
    return place_text({"region": check.region})


@member_required(WHY_MEMBER)
@require_GET
def check_list_view(request, actor: Membership):
    page = Paginator(reuse_check_list(actor=actor), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "reuse/list.html", {"page": page, "actor": actor})


@member_required(WHY_MEMBER)
@verified_required
@require_http_methods(["GET", "POST"])
def check_create_view(request, actor: Membership):
    form = ReuseCheckForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        try:
            check = reuse_check_create(actor=actor, data=form.check_input())
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            return redirect("reuse:detail", pk=check.pk)
    return render(request, "reuse/form.html", {"form": form, "actor": actor})


@member_required(WHY_MEMBER)
@require_GET
def check_detail_view(request, actor: Membership, pk: int):
    check = _own_check(actor, pk)
    results = reuse_check_results(check) if check.status == CheckStatus.OPEN else []
    for result in results:
        distance = result.reasons.get("distance_km")
        result.where = (
            _("%(km)s km away") % {"km": distance}
            if distance is not None
            else Region(result.lot.region).label
        )
    attestation = getattr(check, "attestation", None)
    context = {
        "check": check,
        "actor": actor,
        "where": _where(check),
        "results": results,
        "claims": list(reuse_check_claims(check)),
        "still_needed": max(check.quantity - check.claimed, 0),
        "attestation": attestation,
        "verify_url": verification_url(attestation.code) if attestation else "",
        "lapsed": (ClaimStatus.DECLINED, ClaimStatus.CANCELLED, ClaimStatus.NO_SHOW),
    }
    return render(request, "reuse/detail.html", context)


@member_required(WHY_MEMBER)
@require_POST
def check_claim_view(request, actor: Membership, pk: int, lot_pk: int):
    check = _own_check(actor, pk)
    lot = get_object_or_404(Lot.objects.all(), pk=lot_pk)
    form = ResultClaimForm(request.POST)
    quantity = form.cleaned_data.get("quantity") if form.is_valid() else None
    if not form.is_valid():
        messages.error(request, _("Claim at least 1 unit."))
        return redirect("reuse:detail", pk=pk)
    try:
        claim = reuse_check_claim(actor=actor, check=check, lot=lot, quantity=quantity)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("You claimed %(quantity)s of “%(title)s” from this check.")
            % {"quantity": claim.quantity, "title": lot.title},
        )
    return redirect("reuse:detail", pk=pk)


@member_required(WHY_MEMBER)
@require_POST
def check_close_view(request, actor: Membership, pk: int):
    try:
        reuse_check_close(actor=actor, check=_own_check(actor, pk))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The check is closed and its attestation issued."))
    return redirect("reuse:detail", pk=pk)


@member_required(WHY_MEMBER)
@require_POST
def check_cancel_view(request, actor: Membership, pk: int):
    try:
        reuse_check_cancel(actor=actor, check=_own_check(actor, pk))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The check is cancelled: no attestation is issued."))
    return redirect("reuse:detail", pk=pk)


@member_required(WHY_MEMBER)
@require_GET
def attestation_download_view(request, actor: Membership, pk: int):
    try:
        attestation = attestation_of(_own_check(actor, pk))
    except ApplicationError as exc:
        raise Http404(exc.message) from exc
    response = HttpResponse(bytes(attestation.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="reuse-check-{attestation.number}.pdf"'
    return response


# --- Verification, for anyone -------------------------------------------------------


@require_GET
def verify_start_view(request):
    form = VerifyCodeForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return redirect("verify:attestation", code=form.cleaned_data["code"].strip())
    return render(request, "reuse/verify_start.html", {"form": form})


@require_http_methods(["GET", "POST"])
def verify_view(request, code: str):
    """Whether an attestation with this code exists, what it says (no personal data),
    and whether a PDF (or a SHA-256 fingerprint) is the one issued."""
    attestation = attestation_for_code(code)
    if attestation is None:
        return render(request, "reuse/verify_unknown.html", {"code": code[:40]}, status=404)
    form = VerifyFingerprintForm(request.POST or None, request.FILES or None)
    outcome = None
    if request.method == "POST" and form.is_valid():
        upload, sha256 = form.cleaned_data.get("pdf"), form.cleaned_data.get("sha256")
        if upload is None and not sha256:
            form.add_error(None, _("Choose the PDF, or paste its SHA-256 fingerprint."))
        else:
            try:
                same, fingerprint = attestation_fingerprint_check(
                    attestation=attestation, sha256=sha256 or "", upload=upload
                )
            except ApplicationError as exc:
                add_application_error(form, exc)
            else:
                outcome = {"same": same, "fingerprint": fingerprint}
    summary = attestation.summary
    context = {
        "attestation": attestation,
        "summary": summary,
        "category": summary["category"]["names"].get(request.LANGUAGE_CODE[:2])
        or summary["category"]["names"]["en"],
        "where": place_text(summary["place"]),
        "period_from": datetime.date.fromisoformat(summary["period"]["from"]),
        "period_to": datetime.date.fromisoformat(summary["period"]["to"]),
        "form": form,
        "outcome": outcome,
    }
    return render(
        request,
        "reuse/verify.html",
        context,
        status=400 if request.method == "POST" and form.errors else 200,
    )
