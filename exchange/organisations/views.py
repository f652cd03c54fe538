from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from exchange.accounts.selectors import user_has_verified_email
from exchange.common.errors import ApplicationError
from exchange.common.forms import add_application_error
from exchange.organisations import invitations, selectors, services
from exchange.organisations.access import require_moderator
from exchange.organisations.forms import InvitationForm, OrganisationForm, SiteForm
from exchange.organisations.models import Membership, MembershipRole
from exchange.organisations.postcodes import postcode_place
from exchange.organisations.validators import region_for_postcode


def _visible_organisation(request, pk: int):
    return get_object_or_404(selectors.organisation_list(user=request.user), pk=pk)


def _own_membership(request, organisation) -> Membership | None:
    return selectors.user_memberships(user=request.user).filter(organisation=organisation).first()


@login_required
def register(request):
    form = OrganisationForm(request.POST or None, initial={"language": request.LANGUAGE_CODE})
    if request.method == "POST" and form.is_valid():
        try:
            organisation = services.organisation_register(user=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            messages.success(
                request,
                _("%(name)s is registered. A moderator will verify it shortly.")
                % {"name": organisation.name},
            )
            return redirect("organisations:detail", pk=organisation.pk)
    return render(request, "organisations/register.html", {"form": form})


@login_required
def detail(request, pk: int):
    organisation = _visible_organisation(request, pk)
    membership = _own_membership(request, organisation)
    is_admin = bool(membership and membership.is_admin)
    member_form = InvitationForm(
        prefix="member", initial={"language": organisation.language, "role": MembershipRole.MEMBER}
    )
    site_form = SiteForm(prefix="site")
    if request.method == "POST":
        if not is_admin:
            raise Http404
        try:
            if "revoke_invitation" in request.POST:
                invitation = get_object_or_404(
                    invitations.invitation_list_open(actor=membership),
                    pk=request.POST.get("revoke_invitation"),
                )
                try:
                    invitations.invitation_revoke(actor=membership, invitation=invitation)
                except ApplicationError as exc:
                    messages.error(request, exc.message)
                else:
                    messages.success(
                        request,
                        _("The invitation of %(email)s is withdrawn: its link no longer works.")
                        % {"email": invitation.email},
                    )
                return redirect("organisations:detail", pk=pk)
            if "add_member" in request.POST:
                member_form = InvitationForm(request.POST, prefix="member")
                if member_form.is_valid():
                    invitation = invitations.invitation_create(
                        actor=membership, **member_form.cleaned_data
                    )
                    messages.success(
                        request,
                        _(
                            "An invitation is on its way to %(email)s. They become a member "
                            "once they accept it."
                        )
                        % {"email": invitation.email},
                    )
                    return redirect("organisations:detail", pk=pk)
            elif "add_site" in request.POST:
                site_form = SiteForm(request.POST, prefix="site")
                if site_form.is_valid():
                    services.site_create(actor=membership, **site_form.cleaned_data)
                    messages.success(request, _("Site added."))
                    return redirect("organisations:detail", pk=pk)
        except ApplicationError as exc:
            add_application_error(member_form if "add_member" in request.POST else site_form, exc)
    context = {
        "organisation": organisation,
        "membership": membership,
        "is_admin": is_admin,
        "members": selectors.organisation_visible_members(
            user=request.user, organisation=organisation
        ),
        "sites": organisation.sites.all() if membership or request.user.is_moderator else [],
        "member_form": member_form,
        "invitations": (
            invitations.invitation_list_open(actor=membership)
            if is_admin and organisation.is_verified
            else []
        ),
        "site_form": site_form,
    }
    return render(request, "organisations/detail.html", context)


@login_required
def edit(request, pk: int):
    organisation = _visible_organisation(request, pk)
    membership = _own_membership(request, organisation)
    if membership is None or not membership.is_admin:
        raise Http404
    fields = list(OrganisationForm.base_fields)
    initial = {name: getattr(organisation, name) for name in fields}
    form = OrganisationForm(request.POST or None, initial=initial, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            renamed = organisation.is_verified and form.cleaned_data["name"] != organisation.name
            organisation = services.organisation_update(
                actor=membership, organisation=organisation, **form.cleaned_data
            )
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            if renamed and organisation.requested_name:
                messages.info(
                    request,
                    _("The new name %(name)s waits for a moderator, who checks it.")
                    % {"name": organisation.requested_name},
                )
            return redirect("organisations:detail", pk=pk)
    return render(request, "organisations/edit.html", {"form": form, "organisation": organisation})


@login_required
def verification_queue(request):
    try:
        require_moderator(request.user)
    except ApplicationError as exc:
        raise Http404 from exc
    if request.method == "POST" and "rename" in request.POST:
        organisation = get_object_or_404(
            selectors.organisation_rename_queue(), pk=request.POST.get("organisation")
        )
        approve = request.POST["rename"] == "approve"
        try:
            services.organisation_rename_decide(
                user=request.user, organisation=organisation, approve=approve
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            done = (
                _("%(name)s is renamed.") if approve else _("The new name of %(name)s is declined.")
            )
            messages.success(request, done % {"name": organisation.name})
        return redirect("organisations:verification_queue")
    if request.method == "POST":
        organisation = get_object_or_404(
            selectors.organisation_verification_queue(), pk=request.POST.get("organisation")
        )
        try:
            services.organisation_verify(user=request.user, organisation=organisation)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(name)s is verified.") % {"name": organisation.name})
        return redirect("organisations:verification_queue")
    queue = selectors.organisation_verification_queue().prefetch_related("memberships__user")
    renames = selectors.organisation_rename_queue()
    return render(
        request, "organisations/verification_queue.html", {"queue": queue, "renames": renames}
    )


@login_required
@require_POST
def switch(request):
    try:
        membership = services.user_switch_organisation(
            user=request.user, organisation_id=request.POST.get("organisation")
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("You now act for %(name)s.") % {"name": membership.organisation.name}
        )
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "home"
    return redirect(next_url)


def invitation(request, token: str):
    """The page an invitation's link opens: who invites, to what; accept when signed in
    with the invited address. Says nothing about whether that address has an account."""
    found = invitations.invitation_from_token(token)
    if found is None or not found.is_pending():
        return render(
            request, "organisations/invitation_invalid.html", {"invitation": found}, status=404
        )
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('account_login')}?next={request.path}")
        try:
            membership = invitations.invitation_accept(user=request.user, invitation=found)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Welcome: you are now a member of %(organisation)s.")
                % {"organisation": membership.organisation.name},
            )
            return redirect("organisations:detail", pk=membership.organisation_id)
    return render(
        request,
        "organisations/invitation.html",
        {
            "invitation": found,
            "next": request.path,
            "address_is_mine": request.user.is_authenticated
            and user_has_verified_email(user=request.user, email=found.email),
        },
    )


@login_required
@require_GET
def postcode(request, code: str):
    """The place of a Belgian postcode (municipality, region and point) that the site form
    fills in while the person types; 404 for a postcode the table does not know."""
    place = postcode_place(code)
    region = region_for_postcode(code)
    if place is None or region is None:
        raise Http404
    return JsonResponse(
        {
            "postcode": place.postcode,
            "municipality": place.municipality(region=region, language=get_language() or ""),
            "region": region,
            "latitude": str(place.latitude),
            "longitude": str(place.longitude),
        }
    )
