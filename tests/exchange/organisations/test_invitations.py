"""Invitations: an admin adds a member by e-mail address; the person gets a link and
becomes a member by accepting it with an account that confirmed the address, or by
confirming the address after signing up with it; never before. Links expire, can be
withdrawn, and a newer invitation ends the older link."""

import datetime
import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from exchange.celery import app as celery_app
from exchange.common.errors import ApplicationError
from exchange.organisations.errors import OrganisationError
from exchange.organisations.invitations import (
    invitation_accept,
    invitation_create,
    invitation_from_token,
    invitation_revoke,
    invitation_send,
    invitations_send_sweep,
)
from exchange.organisations.models import Invitation, Membership
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()
PASSWORD = "correct horse battery"


@pytest.fixture
def tasks_at_once(django_capture_on_commit_callbacks):
    """``with tasks_at_once():`` runs, at its end, the tasks enqueued after commit inside
    it, in this process (Celery's eager mode)."""
    celery_app.conf.task_always_eager = True
    try:
        yield lambda: django_capture_on_commit_callbacks(execute=True)
    finally:
        celery_app.conf.task_always_eager = False


def _link_path(message) -> str:
    return re.search(r"https?://[^/\s]+(/organisations/invitations/\S+/)", message.body).group(1)


def _invite(fed_admin, email, role="member", tasks=None, **kwargs) -> Invitation:
    if tasks is None:
        return invitation_create(actor=fed_admin, email=email, role=role, **kwargs)
    with tasks():
        return invitation_create(actor=fed_admin, email=email, role=role, **kwargs)


def _sign_up(client, email, password="a long new passphrase"):
    return client.post(
        reverse("account_signup"),
        {"email": email, "password1": password, "first_name": "Ines", "language": "en"},
    )


def _confirm_last_link(client, address):
    message = [m for m in mail.outbox if m.to[0].lower() == address.lower()][-1]
    url = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", message.body).group(1)
    return client.post(url)


def test_a_new_person_becomes_a_member_only_once_they_confirm_the_invited_address(
    fed_admin, tasks_at_once
):
    # given an invitation to an address without an account
    _invite(fed_admin, "new.colleague@example.org", role="viewer", tasks=tasks_at_once)
    (invitation_mail,) = mail.outbox
    assert invitation_mail.to == ["new.colleague@example.org"]
    assert "FPS Alpha" in invitation_mail.subject
    link = _link_path(invitation_mail)
    # when they follow it and sign up with that address
    client = Client()
    page = client.get(link)
    assert page.status_code == 200
    assert "FPS Alpha" in page.content.decode()
    assert _sign_up(client, "New.Colleague@example.org").status_code == 302
    person = User.objects.get(email__iexact="new.colleague@example.org")
    # then they are not a member yet: the address is not confirmed
    assert not Membership.objects.filter(user=person).exists()
    assert Invitation.objects.get().accepted_at is None
    # when they confirm it
    _confirm_last_link(client, "New.Colleague@example.org")
    # then they are a viewer of the organisation, which is the one they act for
    membership = Membership.objects.get(user=person)
    assert membership.organisation == fed_admin.organisation
    assert membership.role == "viewer"
    person.refresh_from_db()
    assert person.current_organisation == fed_admin.organisation
    invitation = Invitation.objects.get()
    assert invitation.accepted_by == person and invitation.status == "accepted"
    # and the link is spent
    assert Client().get(link).status_code == 404


def test_someone_who_signs_up_with_the_address_but_cannot_confirm_it_gains_nothing(
    fed_admin, tasks_at_once
):
    _invite(fed_admin, "target@example.org", tasks=tasks_at_once)
    impostor = Client()
    _sign_up(impostor, "target@example.org")
    person = User.objects.get(email="target@example.org")
    assert not EmailAddress.objects.get(user=person).verified
    # signed in somehow (the address is not confirmed), accepting is refused too
    impostor.force_login(person)
    response = impostor.post(_link_path(mail.outbox[0]))
    assert response.status_code == 200
    assert not Membership.objects.filter(user=person).exists()
    with pytest.raises(ApplicationError) as excinfo:
        invitation_accept(user=person, invitation=Invitation.objects.get())
    assert excinfo.value.code == OrganisationError.INVITATION_OTHER_ADDRESS


def test_a_person_with_an_account_accepts_when_signed_in(fed_admin, tasks_at_once):
    # given a person whose account confirmed the address, and one whose did not
    person = UserFactory(username="known", email="known@example.org")
    stranger = UserFactory(username="stranger")
    _invite(fed_admin, "KNOWN@example.org", role="admin", tasks=tasks_at_once)
    link = _link_path(mail.outbox[-1])
    # anonymous: the page asks to sign in and comes back
    anonymous = Client().post(link)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("account_login"))
    # another account cannot accept it
    other = Client()
    other.force_login(stranger)
    page = other.post(link, follow=True)
    assert "known@example.org" in page.content.decode().lower()
    assert not Membership.objects.filter(user=stranger).exists()
    # the invited person accepts and becomes an admin
    client = Client()
    client.force_login(person)
    assert "Accept the invitation" in client.get(link).content.decode()
    response = client.post(link)
    assert response.status_code == 302
    assert response["Location"] == reverse("organisations:detail", args=[fed_admin.organisation_id])
    assert Membership.objects.get(user=person).role == "admin"


def test_an_expired_invitation_can_no_longer_be_accepted(fed_admin, tasks_at_once, settings):
    invitation = _invite(fed_admin, "late@example.org", tasks=tasks_at_once)
    link = _link_path(mail.outbox[-1])
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    # the link says so
    page = Client().get(link)
    assert page.status_code == 404
    assert "no longer valid" in page.content.decode()
    # an account that confirms the address later does not become a member
    client = Client()
    _sign_up(client, "late@example.org")
    _confirm_last_link(client, "late@example.org")
    person = User.objects.get(email="late@example.org")
    assert EmailAddress.objects.get(user=person).verified
    assert not Membership.objects.filter(user=person).exists()
    # nor one signed in already
    with pytest.raises(ApplicationError) as excinfo:
        invitation_accept(user=person, invitation=invitation)
    assert excinfo.value.code == OrganisationError.INVITATION_NOT_PENDING


def test_the_link_is_valid_for_the_configured_days(fed_admin, settings):
    settings.EXCHANGE_INVITATION_DAYS = 3
    before = timezone.now()
    invitation = _invite(fed_admin, "soon@example.org")
    assert (
        before + datetime.timedelta(days=3)
        <= invitation.expires_at
        <= timezone.now() + datetime.timedelta(days=3)
    )


def test_a_withdrawn_invitation_ends_its_link(fed_admin, tasks_at_once):
    person = UserFactory(username="withdrawn", email="withdrawn@example.org")
    invitation = _invite(fed_admin, person.email, tasks=tasks_at_once)
    link = _link_path(mail.outbox[-1])
    invitation_revoke(actor=fed_admin, invitation=invitation)
    client = Client()
    client.force_login(person)
    assert client.get(link).status_code == 404
    assert client.post(link).status_code == 404
    assert not Membership.objects.filter(user=person).exists()
    # withdrawing twice is a conflict
    with pytest.raises(ApplicationError) as excinfo:
        invitation_revoke(actor=fed_admin, invitation=invitation)
    assert excinfo.value.code == OrganisationError.INVITATION_NOT_PENDING


def test_inviting_again_sends_a_new_link_and_ends_the_old_one(fed_admin, tasks_at_once):
    first = _invite(fed_admin, "twice@example.org", role="viewer", tasks=tasks_at_once)
    old_link = _link_path(mail.outbox[-1])
    second = _invite(fed_admin, "Twice@example.org", role="member", tasks=tasks_at_once)
    new_link = _link_path(mail.outbox[-1])
    assert first.pk == second.pk and old_link != new_link
    assert Invitation.objects.count() == 1 and second.role == "member"
    assert Client().get(old_link).status_code == 404
    assert Client().get(new_link).status_code == 200


def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(fed_admin, tasks_at_once):
    UserFactory(username="exists", email="exists@example.org")
    client = Client()
    client.force_login(fed_admin.user)
    url = reverse("organisations:detail", args=[fed_admin.organisation_id])
    answers = []
    for email in ("exists@example.org", "nobody@example.org"):
        with tasks_at_once():
            response = client.post(
                url,
                {
                    "add_member": "1",
                    "member-email": email,
                    "member-role": "member",
                    "member-language": "en",
                },
                follow=True,
            )
        said = [str(m).replace(email, "ADDRESS") for m in response.context["messages"]]
        answers.append((response.redirect_chain, said))
        assert response.status_code == 200
    assert answers[0] == answers[1]
    assert sorted(m.to[0] for m in mail.outbox) == ["exists@example.org", "nobody@example.org"]


def test_the_email_is_in_the_language_of_the_account_else_of_the_invitation(
    fed_admin, tasks_at_once
):
    UserFactory(username="dutch", email="dutch@example.org", language="nl")
    _invite(fed_admin, "dutch@example.org", language="fr", tasks=tasks_at_once)
    _invite(fed_admin, "french@example.org", language="fr", tasks=tasks_at_once)
    by_address = {m.to[0]: m for m in mail.outbox}
    assert "Uitnodiging" in by_address["dutch@example.org"].subject
    assert "Invitation à rejoindre" in by_address["french@example.org"].subject
    assert "lien" in by_address["french@example.org"].body


def test_the_email_goes_out_once_and_not_for_an_outdated_invitation(fed_admin):
    invitation = _invite(fed_admin, "once@example.org")
    assert invitation_send(invitation_id=invitation.pk, nonce=invitation.nonce)
    assert not invitation_send(invitation_id=invitation.pk, nonce=invitation.nonce)
    assert len(mail.outbox) == 1
    renewed = _invite(fed_admin, "once@example.org")
    assert not invitation_send(invitation_id=invitation.pk, nonce=invitation.nonce)
    assert invitation_send(invitation_id=renewed.pk, nonce=renewed.nonce)
    assert len(mail.outbox) == 2


def test_only_admins_of_verified_organisations_invite(make_member):
    for role, unverified, code in (
        ("member", False, "role_required"),
        ("viewer", False, "role_required"),
        ("admin", True, "organisation_not_verified"),
    ):
        actor = make_member(role, unverified=unverified)
        with pytest.raises(ApplicationError) as excinfo:
            invitation_create(actor=actor, email="x@example.org", role="member")
        assert excinfo.value.code == code
    assert not Invitation.objects.exists()


def test_a_member_is_not_invited_again_and_bad_input_names_every_field(fed_admin):
    with pytest.raises(ApplicationError) as excinfo:
        invitation_create(actor=fed_admin, email=fed_admin.user.email, role="member")
    assert excinfo.value.code == OrganisationError.ALREADY_MEMBER
    with pytest.raises(ApplicationError) as excinfo:
        invitation_create(actor=fed_admin, email="not an address", role="boss", language="xx")
    assert set(excinfo.value.errors) == {"email", "role", "language"}
    assert not Invitation.objects.exists()


def test_a_made_up_or_altered_link_names_no_invitation(fed_admin):
    invitation = _invite(fed_admin, "real@example.org")
    from exchange.organisations.invitations import invitation_token

    token = invitation_token(invitation)
    assert invitation_from_token(token) == invitation
    assert invitation_from_token(token[:-2] + ("AA" if token[-2:] != "AA" else "BB")) is None
    assert invitation_from_token("nonsense") is None
    assert Client().get(reverse("organisations:invitation", args=["nonsense"])).status_code == 404


@pytest.mark.parametrize(
    "language, words",
    [
        ("nl", "Uitnodiging om lid te worden van"),
        ("fr", "Invitation à rejoindre"),
        ("de", "Einladung, Mitglied von"),
        ("en", "Invitation to join"),
    ],
)
def test_the_invitation_page_speaks_four_languages(fed_admin, language, words):
    invitation = _invite(fed_admin, "reader@example.org")
    from exchange.organisations.invitations import invitation_token

    client = Client(headers={"accept-language": language})
    page = client.get(reverse("organisations:invitation", args=[invitation_token(invitation)]))
    assert words in page.content.decode()


def test_the_sweep_sends_what_a_lost_task_never_sent(fed_admin):
    # given an invitation whose task was lost (nothing ran after commit)
    invitation = _invite(fed_admin, "lost@example.org")
    assert mail.outbox == []
    # a fresh one waits for its task
    assert invitations_send_sweep() == 0
    # when it is older than a minute, the sweep sends it, once
    Invitation.objects.filter(pk=invitation.pk).update(
        updated_at=timezone.now() - datetime.timedelta(minutes=2)
    )
    assert invitations_send_sweep() == 1
    assert invitations_send_sweep() == 0
    assert [m.to for m in mail.outbox] == [["lost@example.org"]]
