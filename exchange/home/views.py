from django.shortcuts import render
from django.views.decorators.http import require_GET

from exchange.categories.selectors import category_roots
from exchange.organisations.selectors import organisation_verified_count


@require_GET
def home(request):
    context = {
        "categories": category_roots(),
        "verified_count": organisation_verified_count(),
    }
    return render(request, "home.html", context)
