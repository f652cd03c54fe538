from django.shortcuts import render
from django.views.decorators.http import require_GET

from exchange.categories.selectors import category_roots
from exchange.home.summary import person_home
from exchange.organisations.selectors import organisation_verified_count
from exchange.organisations.web import web_actor


@require_GET
def home(request):
    """Signed in: the work waiting for this person. Anyone else: the public landing page."""
    if request.user.is_authenticated:
        actor = web_actor(request)
        return render(
            request, "home/person.html", {"home": person_home(user=request.user, actor=actor)}
        )
    context = {
        "categories": category_roots(),
        "verified_count": organisation_verified_count(),
    }
    return render(request, "home.html", context)
