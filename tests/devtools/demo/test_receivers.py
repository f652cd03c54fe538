"""``make run`` (``manage.py run_platform``) prints the demo logins under its address."""

import pytest

from exchange.common.signals import platform_started
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def printed_lines() -> list[str]:
    return [
        line
        for _receiver, lines in platform_started.send(sender=None, url="http://127.0.0.1:8400/")
        for line in lines
    ]


def test_the_platform_prints_the_demo_logins_that_exist(settings):
    settings.DEMO_PASSWORD = "letmein"
    assert printed_lines() == []  # before seed_demo: nothing to sign in with
    UserFactory(username="analyst")
    UserFactory(username="fed.admin")
    assert printed_lines() == [
        "Demo logins (password: letmein):",
        "  fed.admin          admin of fed",
        "  analyst            platform analyst",
    ]
