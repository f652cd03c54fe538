"""Organisation names are unique among verified organisations, ignoring case and
accents; a verified organisation's new name waits for a moderator."""

import pytest
from django.db import IntegrityError, transaction

from exchange.common.errors import ApplicationError
from exchange.organisations import services
from exchange.organisations.models import Organisation
from tests.factories import OrganisationFactory, UserFactory, valid_enterprise_number

pytestmark = pytest.mark.django_db


def _register(name):
    return services.organisation_register(
        user=UserFactory(),
        name=name,
        kind="federal",
        enterprise_number=valid_enterprise_number(),
        region="BRU",
        language="nl",
    )


def test_a_name_of_a_verified_organisation_is_refused_whatever_its_case_and_accents():
    OrganisationFactory(name="FPS Démo Logistics")
    for name in ("FPS Demo Logistics", "fps  DÉMO logistics"):
        with pytest.raises(ApplicationError) as refusal:
            _register(name)
        assert refusal.value.code == "name_taken"
        assert refusal.value.errors["name"]
    assert Organisation.objects.count() == 1
    assert _register("FPS Demo Logistics North").name == "FPS Demo Logistics North"


def test_two_unverified_namesakes_wait_but_only_one_is_verified(moderator):
    first, second = _register("Kringloop Oost"), _register("Kringloop  Oost")
    services.organisation_verify(user=moderator, organisation=first)
    with pytest.raises(ApplicationError) as refusal:
        services.organisation_verify(user=moderator, organisation=second)
    assert refusal.value.code == "name_taken" and refusal.value.kind == "conflict"
    second.refresh_from_db()
    assert not second.is_verified


def test_the_database_holds_the_rule_too():
    OrganisationFactory(name="FPS Alpha")
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganisationFactory(name="fps ALPHA")


def test_a_verified_organisation_is_renamed_only_by_a_moderator(fed_admin, moderator):
    organisation = fed_admin.organisation
    # the admin asks for a new name: it waits, the directory keeps the old one
    services.organisation_update(actor=fed_admin, organisation=organisation, name="FPS Bêta")
    organisation.refresh_from_db()
    assert organisation.name == "FPS Alpha" and organisation.requested_name == "FPS Bêta"
    # the moderator approves: the name changes
    services.organisation_rename_decide(user=moderator, organisation=organisation, approve=True)
    organisation.refresh_from_db()
    assert (organisation.name, organisation.requested_name) == ("FPS Bêta", "")
    # an admin cannot approve their own
    services.organisation_update(actor=fed_admin, organisation=organisation, name="FPS Gamma")
    with pytest.raises(ApplicationError):
        services.organisation_rename_decide(
            user=fed_admin.user, organisation=organisation, approve=True
        )
    services.organisation_rename_decide(user=moderator, organisation=organisation, approve=False)
    organisation.refresh_from_db()
    assert (organisation.name, organisation.requested_name) == ("FPS Bêta", "")


def test_a_rename_to_another_verified_name_is_refused_at_once_and_when_approved(
    fed_admin, moderator
):
    OrganisationFactory(name="FPS Demo Logistics")
    with pytest.raises(ApplicationError) as refusal:
        services.organisation_update(
            actor=fed_admin, organisation=fed_admin.organisation, name="FPS DEMO Logistics"
        )
    assert refusal.value.code == "name_taken"
    # a name free when asked but taken before the approval
    services.organisation_update(
        actor=fed_admin, organisation=fed_admin.organisation, name="FPS Omega"
    )
    OrganisationFactory(name="FPS Omega")
    with pytest.raises(ApplicationError) as refusal:
        services.organisation_rename_decide(
            user=moderator, organisation=fed_admin.organisation, approve=True
        )
    assert refusal.value.code == "name_taken"
    fed_admin.organisation.refresh_from_db()
    assert fed_admin.organisation.name == "FPS Alpha"


def test_the_api_shows_the_requested_name_and_moderators_decide(fed_admin, moderator, client_for):
    admin_client = client_for(fed_admin.user)
    url = f"/api/v1/organisations/{fed_admin.organisation_id}/"
    response = admin_client.patch(url, {"name": "FPS Bêta"})
    assert response.status_code == 200
    assert response.json()["name"] == "FPS Alpha"
    assert response.json()["requested_name"] == "FPS Bêta"
    assert admin_client.post(f"{url}rename/", {"approve": True}).status_code == 403
    response = client_for(moderator).post(f"{url}rename/", {"approve": True})
    assert response.status_code == 200
    assert response.json()["name"] == "FPS Bêta"
    assert client_for(moderator).post(f"{url}rename/", {"approve": True}).status_code == 409
