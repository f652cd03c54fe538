"""What every page view shares: who is acting, and the gate for pages that need an
organisation."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect

from exchange.organisations.models import Membership
from exchange.organisations.selectors import membership_for_user


def web_actor(request) -> Membership | None:
    """The membership the signed-in user acts through, or None."""
    if not request.user.is_authenticated:
        return None
    return membership_for_user(user=request.user)


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
