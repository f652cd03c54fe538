"""What every page view shares: who is acting, and the gate for pages that need an
organisation."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from exchange.organisations.models import Membership
from exchange.organisations.selectors import membership_for_user


def web_actor(request) -> Membership | None:
    """The membership the signed-in user acts through, or None: read once a request
    (the view, the header's context and the menu's counts all ask), again only when
    the request changed the user's current organisation."""
    user = request.user
    if not user.is_authenticated:
        return None
    read_for = (user.pk, user.current_organisation_id)
    known = getattr(request, "_web_actor", None)
    if known is None or known[0] != read_for:
        known = request._web_actor = (read_for, membership_for_user(user=user))
    return known[1]


def member_required(why):
    """Signed in and acting for an organisation; the view receives the membership as
    its second argument. Anyone else is sent to register an organisation, with ``why``
    (a lazily translated sentence: "…, to claim.") as the message."""

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            actor = web_actor(request)
            if actor is None:
                messages.info(request, why)
                return redirect("organisations:register")
            return view(request, actor, *args, **kwargs)

        return wrapper

    return decorate


def verified_required(view):
    """For a page whose form only a verified organisation can use (under
    ``member_required``): an organisation that waits for verification sees why and what
    it can do meanwhile, instead of a form that would then fail."""

    @wraps(view)
    def wrapper(request, actor: Membership, *args, **kwargs):
        if not actor.organisation.is_verified:
            return render(
                request,
                "organisations/not_verified.html",
                {"organisation": actor.organisation},
                status=200 if request.method in ("GET", "HEAD") else 403,
            )
        return view(request, actor, *args, **kwargs)

    return wrapper
