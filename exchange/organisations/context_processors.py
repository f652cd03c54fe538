from exchange.organisations.selectors import user_memberships
from exchange.organisations.web import web_actor


def acting_organisation(request) -> dict:
    """The membership the signed-in person acts through, and their others, for the header."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def memberships():
        return list(user_memberships(user=user))

    return {"acting_membership": web_actor(request), "my_memberships": memberships}
