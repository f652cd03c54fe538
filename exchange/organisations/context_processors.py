from exchange.common.errors import ApplicationError
from exchange.organisations.selectors import membership_for_user, user_memberships


def acting_organisation(request) -> dict:
    """The membership the signed-in person acts through, and their others, for the header."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def memberships():
        return list(user_memberships(user=user))

    try:
        acting = membership_for_user(user=user)
    except ApplicationError:
        acting = None
    return {"acting_membership": acting, "my_memberships": memberships}
