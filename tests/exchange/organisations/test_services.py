import datetime
from decimal import Decimal

import pytest
from django.core import mail

from exchange.common.errors import ApplicationError, ErrorKind
from exchange.common.models import AuditEvent
from exchange.organisations import services
from exchange.organisations.models import Membership, MembershipRole, Organisation, Site
from tests.factories import OrganisationFactory, UserFactory, valid_enterprise_number

pytestmark = pytest.mark.django_db


def register(user, **overrides):
    fields = {
        "name": "FPS Beta",
        "kind": "federal",
        "enterprise_number": valid_enterprise_number(),
        "region": "BRU",
    }
    fields.update(overrides)
    return services.organisation_register(user=user, **fields)


def test_registering_creates_an_unverified_organisation_with_the_user_as_admin():
    # given
    user = UserFactory()
    # when
    organisation = register(user, enterprise_number="BE 0308.357.159")
    # then
    assert organisation.enterprise_number == "0308357159"
    assert not organisation.is_verified
    membership = Membership.objects.get(user=user, organisation=organisation)
    assert membership.role == MembershipRole.ADMIN
    user.refresh_from_db()
    assert user.current_organisation == organisation
    assert AuditEvent.objects.filter(action="register", object_id=str(organisation.pk)).exists()


def test_a_bad_enterprise_number_is_refused_and_nothing_is_written():
    user = UserFactory()
    with pytest.raises(ApplicationError) as excinfo:
        register(user, enterprise_number="0308.357.158")
    assert excinfo.value.kind == ErrorKind.INVALID
    assert "enterprise_number" in excinfo.value.errors
    assert not Organisation.objects.exists()
    assert not Membership.objects.exists()


def test_a_duplicate_enterprise_number_is_refused_whatever_its_spelling():
    register(UserFactory(), enterprise_number="0308357159")
    with pytest.raises(ApplicationError) as excinfo:
        register(UserFactory(), enterprise_number="BE0308.357.159", name="Someone else")
    assert excinfo.value.code == "enterprise_number_taken"
    assert excinfo.value.errors["enterprise_number"]
    assert Organisation.objects.count() == 1


def test_only_social_economy_enterprises_carry_an_accreditation():
    with pytest.raises(ApplicationError) as excinfo:
        register(
            UserFactory(),
            kind="federal",
            accreditation_scheme="VLG",
            accreditation_number="X",
            accreditation_valid_until=datetime.date(2030, 1, 1),
        )
    assert "accreditation_number" in excinfo.value.errors


def test_an_incomplete_accreditation_is_refused():
    with pytest.raises(ApplicationError) as excinfo:
        register(UserFactory(), kind="social_economy", accreditation_number="SE-1")
    assert "accreditation_number" in excinfo.value.errors


def test_only_moderators_verify(fed_admin):
    organisation = OrganisationFactory(unverified=True)
    with pytest.raises(ApplicationError) as excinfo:
        services.organisation_verify(user=fed_admin.user, organisation=organisation)
    assert excinfo.value.kind == ErrorKind.FORBIDDEN
    organisation.refresh_from_db()
    assert not organisation.is_verified


def test_a_moderator_verifies_once_and_the_admins_are_told(
    moderator, django_capture_on_commit_callbacks
):
    # given
    admin = UserFactory(language="fr")
    organisation = register(admin)
    # when
    with django_capture_on_commit_callbacks() as callbacks:
        services.organisation_verify(user=moderator, organisation=organisation)
    # then
    organisation.refresh_from_db()
    assert organisation.verified_by == moderator and organisation.verified_at
    assert len(callbacks) == 1  # the notification is enqueued after commit
    assert services.organisation_verified_notify(organisation_id=organisation.pk) == 1
    assert services.organisation_verified_notify(organisation_id=organisation.pk) == 0  # once
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [admin.email]
    assert "vérifié" in mail.outbox[0].subject  # in the admin's language
    with pytest.raises(ApplicationError) as excinfo:
        services.organisation_verify(user=moderator, organisation=organisation)
    assert excinfo.value.kind == ErrorKind.CONFLICT


def test_verified_facts_are_locked_for_the_owner(fed_admin):
    with pytest.raises(ApplicationError) as excinfo:
        services.organisation_update(
            actor=fed_admin, organisation=fed_admin.organisation, kind="public"
        )
    assert excinfo.value.kind == ErrorKind.CONFLICT
    updated = services.organisation_update(
        actor=fed_admin,
        organisation=fed_admin.organisation,
        name="FPS Alpha (renamed)",
        enterprise_number=fed_admin.organisation.enterprise_number_display,
    )
    # a verified organisation's new name waits for a moderator (test_names.py)
    assert updated.name == "FPS Alpha"
    assert updated.requested_name == "FPS Alpha (renamed)"


def test_a_member_cannot_change_the_organisation(make_member):
    member = make_member(MembershipRole.MEMBER)
    with pytest.raises(ApplicationError) as excinfo:
        services.organisation_update(actor=member, organisation=member.organisation, name="X")
    assert excinfo.value.kind == ErrorKind.FORBIDDEN


def test_admins_keep_one_admin(fed_admin):
    with pytest.raises(ApplicationError) as excinfo:
        services.membership_change_role(actor=fed_admin, membership=fed_admin, role="member")
    assert excinfo.value.code == "last_admin"
    with pytest.raises(ApplicationError):
        services.membership_remove(actor=fed_admin, membership=fed_admin)


def test_a_site_gets_its_region_from_the_postcode(fed_admin):
    site = services.site_create(
        actor=fed_admin,
        name="Ghent",
        street="Kouter 1",
        postcode="9000",
        municipality="Gent",
        latitude=Decimal("51.05"),
        longitude=Decimal("3.72"),
    )
    assert site.region == "VLG"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"latitude": Decimal("48.85"), "longitude": Decimal("2.35")}, "latitude"),  # Paris
        ({"longitude": Decimal("7.10")}, "longitude"),
        ({"postcode": "999"}, "postcode"),
        ({"postcode": "9000", "region": "WAL"}, "region"),
    ],
)
def test_a_site_outside_belgium_or_with_a_wrong_region_is_refused(fed_admin, overrides, field):
    fields = {
        "name": "HQ",
        "street": "Wetstraat 16",
        "postcode": "1000",
        "municipality": "Brussel",
        "latitude": Decimal("50.8466"),
        "longitude": Decimal("4.3676"),
    }
    fields.update(overrides)
    with pytest.raises(ApplicationError) as excinfo:
        services.site_create(actor=fed_admin, **fields)
    assert field in excinfo.value.errors
    assert not Site.objects.exists()
