"""The conversation of a claim through the API: messages, pickup slots and contacts,
their shape, the answers to bad input and to the wrong organisation, and a thread list
whose cost does not grow with its length."""

import datetime

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from exchange.claims.models import MESSAGE_MAX_LENGTH, ClaimMessage
from exchange.claims.services import claim_create
from exchange.claims.talk import claim_message_post
from exchange.organisations.services import membership_phone_set
from tests.factories import LotFactory, MembershipFactory, OrganisationFactory, SiteFactory

pytestmark = pytest.mark.django_db

CLAIMS = "/api/v1/claims/"


@pytest.fixture
def parties(db):
    owner = MembershipFactory(organisation=OrganisationFactory(name="FPS Owner"), role="admin")
    claimant = MembershipFactory(organisation=OrganisationFactory(name="FPS Taker"), role="member")
    lot = LotFactory(
        site=SiteFactory(organisation=owner.organisation), title="Desks", quantity=9, published=True
    )
    claim = claim_create(actor=claimant, lot=lot, quantity=2)
    return {"owner": owner, "claimant": claimant, "claim": claim}


def test_a_conversation_from_the_first_message_to_the_agreed_pickup(client_for, parties):
    owner = client_for(parties["owner"].user)
    claimant = client_for(parties["claimant"].user)
    url = f"{CLAIMS}{parties['claim'].pk}/"
    # the claimant writes; both sides read the thread
    response = claimant.post(f"{url}messages/", {"body": "We need them by Friday."})
    assert response.status_code == 201, response.json()
    assert response.json()["side"] == "claimant"
    assert response.json()["organisation"]["name"] == "FPS Taker"
    thread = owner.get(f"{url}messages/").json()["results"]
    assert [m["body"] for m in thread] == ["We need them by Friday."]
    # no contacts and no slots before the approval
    assert owner.get(f"{url}contacts/").json()["code"] == "no_contacts_yet"
    slot_at = (timezone.now() + datetime.timedelta(days=2)).replace(microsecond=0)
    assert claimant.post(f"{url}slots/", {"starts_at": slot_at.isoformat()}).status_code == 409
    # approved: the owner proposes, the claimant accepts
    membership_phone_set(actor=parties["owner"], phone="02 123 45 67")
    assert owner.post(f"{url}approve/").status_code == 200
    contacts = claimant.get(f"{url}contacts/").json()
    assert contacts["owner"]["phone"] == "02 123 45 67"
    assert contacts["owner"]["organisation"]["name"] == "FPS Owner"
    assert contacts["claimant"]["email"] == parties["claimant"].user.email
    response = owner.post(f"{url}slots/", {"starts_at": slot_at.isoformat()})
    assert response.status_code == 201, response.json()
    slot = response.json()
    assert slot["status"] == "proposed"
    assert owner.post(f"{url}slots/{slot['id']}/accept/").status_code == 403
    response = claimant.post(f"{url}slots/{slot['id']}/accept/")
    assert response.status_code == 200, response.json()
    assert datetime.datetime.fromisoformat(response.json()["pickup_at"]) == slot_at
    assert owner.get(f"{url}slots/").json()["results"][0]["status"] == "accepted"
    assert claimant.post(f"{url}slots/999999/accept/").status_code == 404


def test_bad_input_answers_400_with_the_field(client_for, parties):
    claimant = client_for(parties["claimant"].user)
    url = f"{CLAIMS}{parties['claim'].pk}/"
    for body in ({}, {"body": ""}, {"body": "x" * (MESSAGE_MAX_LENGTH + 1)}):
        response = claimant.post(f"{url}messages/", body, format="json")
        assert response.status_code == 400, response.json()
        assert "body" in response.json()["errors"]
    response = claimant.post(f"{url}messages/", {"body": "   "}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["body"]
    assert claimant.post(f"{url}slots/", {"starts_at": "not a date"}).status_code == 400
    assert not ClaimMessage.objects.exists()


def test_another_organisation_gets_404_everywhere(client_for, parties):
    stranger = client_for(MembershipFactory(role="admin").user)
    claim_message_post(actor=parties["claimant"], claim=parties["claim"], body="Private")
    url = f"{CLAIMS}{parties['claim'].pk}/"
    assert stranger.get(f"{url}messages/").status_code == 404
    assert stranger.post(f"{url}messages/", {"body": "Hi"}).status_code == 404
    assert stranger.get(f"{url}slots/").status_code == 404
    assert stranger.get(f"{url}contacts/").status_code == 404
    assert ClaimMessage.objects.count() == 1


def test_the_thread_costs_the_same_queries_however_long(
    client_for, parties, django_assert_max_num_queries
):
    owner = client_for(parties["owner"].user)
    url = f"{CLAIMS}{parties['claim'].pk}/messages/"
    for number in range(3):
        claim_message_post(actor=parties["claimant"], claim=parties["claim"], body=f"n{number}")
    with django_assert_max_num_queries(8) as few:
        assert len(owner.get(url).json()["results"]) == 3
    for number in range(17):
        actor = parties["owner"] if number % 2 else parties["claimant"]
        claim_message_post(actor=actor, claim=parties["claim"], body=f"m{number}")
    with django_assert_max_num_queries(8) as many:
        assert len(owner.get(url).json()["results"]) == 20
    assert len(few.captured_queries) == len(many.captured_queries)


def test_the_schema_documents_the_conversation():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/claims/{id}/messages/"])
    assert {"get", "post"} <= set(paths["/api/v1/claims/{id}/slots/"])
    assert "post" in paths["/api/v1/claims/{id}/slots/{slot_id}/accept/"]
    assert "get" in paths["/api/v1/claims/{id}/contacts/"]
