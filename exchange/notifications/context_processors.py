from functools import cache

from exchange.notifications.services import notification_unread_count


def unread_notifications(request) -> dict:
    """The signed-in person's unread count for the header, counted only when shown."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notifications_unread": cache(lambda: notification_unread_count(user=user))}
