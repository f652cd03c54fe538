from django.shortcuts import render

from exchange.categories.selectors import category_list
from exchange.organisations.models import Organisation


def home(request):
    context = {
        "categories": category_list().filter(parent__isnull=True).prefetch_related("children"),
        "verified_count": Organisation.objects.filter(verified_at__isnull=False).count(),
    }
    return render(request, "home.html", context)
