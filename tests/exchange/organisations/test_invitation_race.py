"""Two admins invite the same address at the same instant, each on its own connection:
one open invitation comes out, renewed by the later one, and neither gets an error."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from exchange.organisations import invitations
from exchange.organisations.models import Invitation, MembershipRole
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_admins_inviting_one_address_at_once_make_one_open_invitation(fed_admin, monkeypatch):
    # given two admins of one organisation
    other_admin = MembershipFactory(organisation=fed_admin.organisation, role=MembershipRole.ADMIN)
    first_written = threading.Event()
    record = invitations.audit_event_record

    def record_slowly(**kwargs):
        # The first admin's invitation is inserted but not committed while the second
        # admin looks for an open one (finds none) and inserts too.
        if kwargs["actor"] == fed_admin.user:
            first_written.set()
            time.sleep(1.5)
        return record(**kwargs)

    monkeypatch.setattr(invitations, "audit_event_record", record_slowly)

    def invite(actor):
        try:
            if actor != fed_admin:
                assert first_written.wait(timeout=30)
            invitation = invitations.invitation_create(
                actor=actor, email="New.Colleague@example.org", role=MembershipRole.MEMBER
            )
            return ("invited", invitation.pk, invitation.nonce)
        except Exception as exc:  # noqa: BLE001 - the test reports what went wrong
            return ("error", type(exc).__name__, str(exc))
        finally:
            connection.close()

    # when both invite the same address (in another case) at the same instant
    with ThreadPoolExecutor(max_workers=2) as pool:
        first, second = pool.map(invite, [fed_admin, other_admin])

    # then neither failed, and one open invitation holds the later admin's link
    assert first[0] == "invited", first
    assert second[0] == "invited", second
    invitation = Invitation.objects.get(accepted_at__isnull=True, revoked_at__isnull=True)
    assert first[1] == second[1] == invitation.pk
    assert invitation.nonce == second[2]
    assert invitation.invited_by == other_admin.user
