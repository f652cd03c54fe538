import pytest

from exchange.common.models import AuditEvent
from exchange.organisations.invitations import invitation_token
from exchange.organisations.models import Invitation, Membership, Organisation
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
    valid_enterprise_number,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/organisations/"


def payload(**overrides):
    body = {
        "name": "Kringwinkel Noord",
        "kind": "social_economy",
        "enterprise_number": valid_enterprise_number(),
        "region": "VLG",
        "accreditation_scheme": "VLG",
        "accreditation_number": "SE-VLG-1",
        "accreditation_valid_until": "2030-01-01",
    }
    body.update(overrides)
    return body


def test_any_signed_in_user_registers_an_unverified_organisation(client_for):
    user = UserFactory()
    response = client_for(user).post(URL, payload(enterprise_number="0308.357.159"), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["verified"] is False
    assert body["enterprise_number"] == "0308.357.159"
    assert body["accreditation"]["valid"] is True
    assert body["eligibility_kind"] == "social_economy"
    assert Membership.objects.get(user=user, organisation_id=body["id"]).role == "admin"


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"enterprise_number": "0308.357.158"}, "enterprise_number", "enterprise_number_checksum"),
        ({"enterprise_number": "12345"}, "enterprise_number", "enterprise_number_format"),
        ({"region": "PAR"}, "region", "invalid_choice"),
        ({"kind": "company"}, "kind", "invalid_choice"),
        ({"name": ""}, "name", "blank"),
        ({"accreditation_valid_until": "soon"}, "accreditation_valid_until", "invalid"),
    ],
)
def test_bad_input_gets_400_with_field_and_reason_and_nothing_is_written(
    client_for, overrides, field, code
):
    response = client_for(UserFactory()).post(URL, payload(**overrides), format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == code
    assert body["errors"][field][0]
    assert body["detail"]
    assert not Organisation.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_duplicate_enterprise_number_gets_400(client_for):
    OrganisationFactory(enterprise_number="0308357159")
    response = client_for(UserFactory()).post(
        URL, payload(enterprise_number="BE0308357159"), format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "enterprise_number_taken"
    assert Organisation.objects.count() == 1


def test_the_directory_shows_verified_organisations_and_my_own(client_for):
    verified = OrganisationFactory()
    hidden = OrganisationFactory(unverified=True)
    mine = MembershipFactory(organisation=OrganisationFactory(unverified=True), role="admin")
    client = client_for(mine.user)
    body = client.get(URL).json()
    assert set(body) == {"count", "next", "previous", "results"}
    ids = {o["id"] for o in body["results"]}
    assert ids == {verified.pk, mine.organisation_id}
    assert client.get(f"{URL}{hidden.pk}/").status_code == 404
    assert client.get(f"{URL}?verified=false").json()["count"] == 1


def test_moderators_see_the_queue_and_verify(client_for, moderator):
    waiting = OrganisationFactory(unverified=True)
    client = client_for(moderator)
    body = client.get(f"{URL}?verified=false").json()
    assert [o["id"] for o in body["results"]] == [waiting.pk]
    response = client.post(f"{URL}{waiting.pk}/verify/")
    assert response.status_code == 200
    assert response.json()["verified"] is True
    assert response.json()["verified_by"] == moderator.username
    assert client.post(f"{URL}{waiting.pk}/verify/").status_code == 409


def test_others_cannot_verify(client_for, fed_admin):
    waiting = OrganisationFactory(unverified=True)
    # invisible to them: 404; their own: 403
    assert client_for(fed_admin.user).post(f"{URL}{waiting.pk}/verify/").status_code == 404
    mine = MembershipFactory(organisation=OrganisationFactory(unverified=True), role="admin")
    response = client_for(mine.user).post(f"{URL}{mine.organisation_id}/verify/")
    assert response.status_code == 403
    mine.organisation.refresh_from_db()
    assert not mine.organisation.is_verified


def test_a_member_of_one_organisation_cannot_change_another(client_for, fed_admin):
    other = OrganisationFactory(name="FPS Other")
    client = client_for(fed_admin.user)
    response = client.patch(f"{URL}{other.pk}/", {"name": "Hijacked"}, format="json")
    assert response.status_code == 403
    other.refresh_from_db()
    assert other.name == "FPS Other"
    assert (
        client.post(
            f"{URL}{other.pk}/invitations/", {"email": fed_admin.user.email, "role": "admin"}
        ).status_code
        == 403
    )
    assert client.get(f"{URL}{other.pk}/members/").json() == []


def test_admins_manage_members(client_for, fed_admin):
    colleague = MembershipFactory(organisation=fed_admin.organisation, role="member")
    client = client_for(fed_admin.user)
    members_url = f"{URL}{fed_admin.organisation_id}/members/"
    assert {m["user"]["email"] for m in client.get(members_url).json()} == {
        fed_admin.user.email,
        colleague.user.email,
    }
    # people join by invitation only
    assert client.post(members_url, {"email": "x@example.org", "role": "member"}).status_code == 405
    response = client.patch(f"{members_url}{colleague.pk}/", {"role": "viewer"})
    assert response.status_code == 200 and response.json()["role"] == "viewer"
    response = client.patch(f"{members_url}{fed_admin.pk}/", {"role": "member"})
    assert response.status_code == 409
    assert client.delete(f"{members_url}{colleague.pk}/").status_code == 204


def test_admins_invite_list_and_withdraw(client_for, fed_admin):
    # given
    person = UserFactory(username="invitee", email="invitee@example.org")
    client = client_for(fed_admin.user)
    url = f"{URL}{fed_admin.organisation_id}/invitations/"
    # when an admin invites an address
    response = client.post(url, {"email": "invitee@example.org", "role": "viewer"})
    # then
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "invitee@example.org" and body["role"] == "viewer"
    assert body["status"] == "pending" and body["invited_by"] == fed_admin.user.username
    assert body["language"] == fed_admin.organisation.language
    assert [i["id"] for i in client.get(url).json()] == [body["id"]]
    # the invited person accepts it through the API with the link's token
    invitation = Invitation.objects.get(pk=body["id"])
    accept = client_for(person).post(
        "/api/v1/invitations/accept/", {"token": invitation_token(invitation)}
    )
    assert accept.status_code == 200
    assert accept.json()["role"] == "viewer"
    assert Membership.objects.get(user=person).organisation == fed_admin.organisation
    # accepted: no longer listed, and cannot be withdrawn
    assert client.get(url).json() == []
    assert client.delete(f"{url}{body['id']}/").status_code == 409
    # another one is withdrawn, then its token is refused
    other = client.post(url, {"email": "late@example.org", "role": "member"}).json()
    assert client.delete(f"{url}{other['id']}/").status_code == 204
    token = invitation_token(Invitation.objects.get(pk=other["id"]))
    late = client_for(UserFactory(username="late", email="late@example.org"))
    response = late.post("/api/v1/invitations/accept/", {"token": token})
    assert response.status_code == 409
    assert response.json()["code"] == "invitation_not_pending"
    assert late.post("/api/v1/invitations/accept/", {"token": "made-up"}).status_code == 404


def test_bad_invitations_name_every_field(client_for, fed_admin):
    url = f"{URL}{fed_admin.organisation_id}/invitations/"
    response = client_for(fed_admin.user).post(
        url, {"email": "not an address", "role": "boss", "language": "xx"}
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"email", "role", "language"}
    assert not Invitation.objects.exists()


def test_only_the_invited_address_accepts(client_for, fed_admin):
    url = f"{URL}{fed_admin.organisation_id}/invitations/"
    body = client_for(fed_admin.user).post(url, {"email": "right@example.org", "role": "admin"})
    token = invitation_token(Invitation.objects.get(pk=body.json()["id"]))
    wrong = UserFactory(username="wrong", email="wrong@example.org")
    response = client_for(wrong).post("/api/v1/invitations/accept/", {"token": token})
    assert response.status_code == 403
    assert response.json()["code"] == "invitation_other_address"
    assert not Membership.objects.filter(user=wrong).exists()
    # an unconfirmed account of the right address cannot either
    unconfirmed = UserFactory(username="right", email="right@example.org", email_verified=False)
    response = client_for(unconfirmed).post("/api/v1/invitations/accept/", {"token": token})
    assert response.status_code == 403
    assert not Membership.objects.filter(user=unconfirmed).exists()


def test_a_plain_member_cannot_invite_nor_read_invitations(client_for, make_member):
    member = make_member("member")
    client = client_for(member.user)
    url = f"{URL}{member.organisation_id}/invitations/"
    response = client.post(url, {"email": "x@example.org", "role": "admin"})
    assert response.status_code == 403
    assert response.json()["code"] == "role_required"
    assert client.get(url).status_code == 403


def test_an_unverified_organisation_cannot_act(client_for, make_member):
    admin = make_member("admin", unverified=True)
    response = client_for(admin.user).post(
        f"{URL}{admin.organisation_id}/invitations/", {"email": "x@example.org", "role": "member"}
    )
    assert response.status_code == 403
    assert response.json()["code"] == "organisation_not_verified"


def test_the_list_costs_the_same_queries_whatever_the_page_size(
    client_for, fed_admin, django_assert_max_num_queries
):
    OrganisationFactory.create_batch(30)
    client = client_for(fed_admin.user)
    with django_assert_max_num_queries(6):
        assert len(client.get(f"{URL}?page_size=5").json()["results"]) == 5
    with django_assert_max_num_queries(6):
        assert len(client.get(f"{URL}?page_size=30").json()["results"]) == 30
