"""Passwords are stored with the project's own hasher (PBKDF2), not the fast one that the
rest of the suite uses (tests/conftest.py)."""

import pytest
from django.contrib.auth import authenticate

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_password_is_stored_with_pbkdf2_and_signs_in(real_password_hasher):
    user = UserFactory(username="ines", password="a long passphrase")
    assert user.password.startswith("pbkdf2_sha256$")
    assert authenticate(username="ines", password="a long passphrase") == user
