from django.utils.functional import SimpleLazyObject

from exchange.home.summary import menu_counts as _menu_counts
from exchange.organisations.web import web_actor


def menu_counts(request) -> dict:
    """The counts of waiting work beside the menu entries (and their sum, on the menu
    button of a phone), read only when a page's menu shows them."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def counts() -> dict:
        return _menu_counts(user=user, actor=web_actor(request))

    lazy_counts = SimpleLazyObject(counts)
    return {
        "menu_counts": lazy_counts,
        "menu_waiting": SimpleLazyObject(lambda: sum(lazy_counts.values())),
    }
