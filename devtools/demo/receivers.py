"""``make run`` prints the demo logins under the platform's address."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.dispatch import receiver

from devtools.demo.seed import DEMO_USERS
from exchange.common.signals import platform_started


@receiver(platform_started, dispatch_uid="devtools.demo.logins")
def demo_logins(sender, **kwargs) -> list[str]:
    """The demo users that exist, with who each is (none before ``seed_demo``)."""
    existing = set(
        get_user_model()
        .objects.filter(username__in=[u[0] for u in DEMO_USERS])
        .values_list("username", flat=True)
    )
    lines = [
        f"  {username:<18} {f'{role} of {key}' if key else 'platform ' + username}"
        for username, key, role, *_ in DEMO_USERS
        if username in existing
    ]
    if not lines:
        return []
    return [f"Demo logins (password: {settings.DEMO_PASSWORD}):", *lines]
