"""Idempotency-Key on the creating POSTs of the API (api/idempotency.py)."""

import datetime
import threading
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from exchange.categories.models import Category
from exchange.claims import services as claim_services
from exchange.claims.models import Claim
from exchange.common.errors import CommonError
from exchange.common.models import IdempotentRequest
from exchange.common.services import idempotent_requests_sweep
from exchange.lots.models import LotPhoto
from exchange.matching.models import WantedRequest
from tests.exchange.lots.conftest import image_bytes
from tests.factories import LotFactory, MembershipFactory, OrganisationFactory, SiteFactory

CLAIMS = "/api/v1/claims/"


@pytest.fixture
def parties(fed_admin, categories):
    federal = MembershipFactory(
        organisation=OrganisationFactory(kind="federal", name="FPS Beta"), role="member"
    )
    lot = LotFactory(
        site=SiteFactory(organisation=fed_admin.organisation),
        quantity=25,
        published=True,
        category=Category.objects.get(code="desk"),
    )
    return {"owner": fed_admin, "federal": federal, "lot": lot}


@pytest.mark.django_db
def test_a_repeated_claim_answers_the_first_answer_and_claims_once(client_for, parties):
    client = client_for(parties["federal"].user)
    body = {"lot": parties["lot"].pk, "quantity": 5, "note": "Ghent office"}
    # when the claim is sent twice with one key (the first answer was lost on the way)
    first = client.post(CLAIMS, body, format="json", HTTP_IDEMPOTENCY_KEY="claim-desks-1")
    again = client.post(CLAIMS, body, format="json", HTTP_IDEMPOTENCY_KEY="claim-desks-1")
    # then one claim, and the second answer is the first one
    assert first.status_code == 201, first.json()
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Claim.objects.count() == 1
    assert parties["lot"].__class__.objects.get(pk=parties["lot"].pk).quantity_reserved == 5
    # and without a key, a second claim is a second claim
    assert client.post(CLAIMS, body, format="json").status_code == 201
    assert Claim.objects.count() == 2


@pytest.mark.django_db
def test_a_key_used_for_another_request_is_422_and_creates_nothing(client_for, parties):
    client = client_for(parties["federal"].user)
    key = {"HTTP_IDEMPOTENCY_KEY": "b7d9e0c4-1f7a-4c55-9d7e-3a8f0e7c2b11"}
    lot = parties["lot"].pk
    assert client.post(CLAIMS, {"lot": lot, "quantity": 5}, format="json", **key).status_code == 201
    # when the same key comes with another quantity
    response = client.post(CLAIMS, {"lot": lot, "quantity": 6}, format="json", **key)
    # then it is refused, saying why, and nothing more is claimed
    assert response.status_code == 422
    assert response.json()["code"] == CommonError.IDEMPOTENCY_KEY_REUSED
    assert "Idempotency-Key" in response.json()["detail"]
    assert Claim.objects.count() == 1
    # and so is the same key on another operation
    response = client.post(
        "/api/v1/wanted/",
        {
            "category": Category.objects.get(code="desk").pk,
            "quantity": 5,
            "region": "BRU",
            "valid_until": (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
        },
        format="json",
        **key,
    )
    assert response.status_code == 422
    assert not WantedRequest.objects.exists()


@pytest.mark.django_db
def test_keys_are_per_person_and_organisation(client_for, parties):
    # given two people of different organisations using the same key
    other = MembershipFactory(organisation=OrganisationFactory(kind="federal"), role="member")
    body = {"lot": parties["lot"].pk, "quantity": 2}
    for membership in (parties["federal"], other):
        client = client_for(membership.user)
        response = client.post(CLAIMS, body, format="json", HTTP_IDEMPOTENCY_KEY="order-1")
        assert response.status_code == 201
        assert response.get("Idempotent-Replayed") is None
    # then each made its own claim
    assert Claim.objects.count() == 2


@pytest.mark.django_db
def test_a_refusal_is_not_kept_and_a_bad_key_is_400(client_for, parties):
    client = client_for(parties["federal"].user)
    body = {"lot": parties["lot"].pk, "quantity": 26}  # more than the lot holds
    for _ in range(2):
        response = client.post(CLAIMS, body, format="json", HTTP_IDEMPOTENCY_KEY="too-many")
        assert response.status_code == 409
        assert response.get("Idempotent-Replayed") is None
    assert not IdempotentRequest.objects.exists()
    # the key is free for the corrected request
    body["quantity"] = 25
    response = client.post(CLAIMS, body, format="json", HTTP_IDEMPOTENCY_KEY="too-many")
    assert response.status_code == 201
    # a key of more than 255 characters is refused before anything is done
    response = client.post(CLAIMS, body, format="json", HTTP_IDEMPOTENCY_KEY="k" * 256)
    assert response.status_code == 400
    assert response.json()["code"] == CommonError.IDEMPOTENCY_KEY_INVALID
    assert Claim.objects.count() == 1


@pytest.mark.django_db
def test_a_repeated_photo_upload_adds_one_photo(client_for, fed_admin, categories):
    lot = LotFactory(site=SiteFactory(organisation=fed_admin.organisation))
    client = client_for(fed_admin.user)
    content = image_bytes()
    answers = [
        client.post(
            f"/api/v1/lots/{lot.pk}/photos/",
            {"image": SimpleUploadedFile("desk.jpg", content, "image/jpeg"), "alt_text": "Desk"},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY="photo-1",
        )
        for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json() == answers[1].json()
    assert LotPhoto.objects.filter(lot=lot).count() == 1
    # another picture with the same key is another request
    response = client.post(
        f"/api/v1/lots/{lot.pk}/photos/",
        {
            "image": SimpleUploadedFile("desk.jpg", image_bytes(color=(1, 2, 3)), "image/jpeg"),
            "alt_text": "Desk",
        },
        format="multipart",
        HTTP_IDEMPOTENCY_KEY="photo-1",
    )
    assert response.status_code == 422


@pytest.mark.django_db
def test_keys_expire_after_a_day(client_for, parties):
    client = client_for(parties["federal"].user)
    body = {"lot": parties["lot"].pk, "quantity": 1}
    assert client.post(CLAIMS, body, format="json", HTTP_IDEMPOTENCY_KEY="k1").status_code == 201
    IdempotentRequest.objects.update(created_at=timezone.now() - datetime.timedelta(hours=25))
    # a day later the key is a new one
    again = client.post(CLAIMS, body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert again.status_code == 201 and again.get("Idempotent-Replayed") is None
    assert Claim.objects.count() == 2
    # and the sweep forgets the old keys only
    IdempotentRequest.objects.create(
        user=parties["federal"].user, key="old", fingerprint="x", status_code=201
    )
    IdempotentRequest.objects.filter(key="old").update(
        created_at=timezone.now() - datetime.timedelta(hours=25)
    )
    assert idempotent_requests_sweep() == 1
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["k1"]


# Creating POSTs that take no key: the answer holds a secret that is never stored.
NOT_IDEMPOTENT = {"/api/v1/auth/tokens/"}


def test_every_creating_post_documents_the_header():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    creating = {
        path
        for path, operations in schema["paths"].items()
        if "201" in operations.get("post", {}).get("responses", {})
    }
    assert creating >= {"/api/v1/claims/", "/api/v1/lots/", "/api/v1/wanted/"}
    for path in creating - NOT_IDEMPOTENT:
        operation = schema["paths"][path]["post"]
        names = {parameter["name"] for parameter in operation.get("parameters", [])}
        assert "Idempotency-Key" in names, path
        assert "422" in operation["responses"], path


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers")
@pytest.mark.django_db(transaction=True)
def test_two_claims_racing_with_one_key_claim_once(client_for, parties, monkeypatch):
    # given a claim service slow enough for a second request to arrive meanwhile
    real = claim_services.claim_create

    def slow_claim_create(**kwargs):
        time.sleep(1.0)
        return real(**kwargs)

    monkeypatch.setattr(claim_services, "claim_create", slow_claim_create)
    client = client_for(parties["federal"].user)
    body = {"lot": parties["lot"].pk, "quantity": 5}
    answers = [None, None]

    def send(index: int, delay: float) -> None:
        time.sleep(delay)
        try:
            answers[index] = client.post(CLAIMS, body, format="json", HTTP_IDEMPOTENCY_KEY="race")
        finally:
            connections.close_all()

    # when the same claim is sent twice at once with one key
    threads = [threading.Thread(target=send, args=(i, 0.3 * i)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # then both answer the one claim made
    assert [a.status_code for a in answers] == [201, 201], [a.content for a in answers]
    assert answers[0].json()["id"] == answers[1].json()["id"]
    assert Claim.objects.count() == 1
