"""Every form answers all its errors at once (#12): each field is parsed, then the
service's rules run on what parsed, and the page lists every field that is wrong."""

import pytest
from django.urls import reverse

from exchange.lots.models import Lot
from tests.web.test_lots_pages import lot_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(fed_admin, categories):
    from tests.factories import SiteFactory

    fed_admin.site = SiteFactory(organisation=fed_admin.organisation, name="Headquarters")
    return fed_admin


def field_errors(response) -> dict[str, list[str]]:
    form = response.context["form"]
    return {name: list(messages) for name, messages in form.errors.items()}


def test_a_new_lot_with_four_mistakes_shows_the_four_in_one_answer(client, owner):
    # given the combination of the issue: a negative quantity, a negative weight, a date
    # in 2020 and a 30-day federal window (no reason given)
    client.force_login(owner.user)
    data = lot_form(
        owner,
        quantity="-3",
        unit_weight_kg="-2",
        available_until="2020-03-01",
        federal_window_days="30",
        window_reason="",
        items="",
    )
    # when it is sent once
    response = client.post(reverse("lots:create"), data)
    # then the page answers every mistake at once, each on its field, and saves nothing
    assert response.status_code == 200
    errors = field_errors(response)
    assert set(errors) == {"quantity", "unit_weight_kg", "available_until", "federal_window_days"}
    assert "past" in errors["available_until"][0]
    assert "0 to 10 days" in errors["federal_window_days"][0]
    page = response.content.decode()
    for name in errors:  # in the summary at the top, and beside the field
        assert f'<li><a href="#id_{name}">' in page
        assert f'id="id_{name}_error"' in page
    assert not Lot.objects.exists()


def test_a_shorter_window_without_a_reason_is_said_beside_the_other_mistakes(client, owner):
    client.force_login(owner.user)
    response = client.post(
        reverse("lots:create"),
        lot_form(owner, quantity="0", social_economy_window_days="3", window_reason="", items=""),
    )
    assert set(field_errors(response)) == {"quantity", "window_reason"}


# --- Wanted requests -----------------------------------------------------------------


@pytest.fixture
def seeker(make_member, categories):
    from tests.factories import SiteFactory

    member = make_member(kind="federal", name="FPS Beta")
    member.site = SiteFactory(organisation=member.organisation, name="Halle depot")
    return member


def test_a_wanted_request_with_three_mistakes_shows_the_three_in_one_answer(client, seeker):
    from exchange.categories.models import Category
    from exchange.matching.models import WantedRequest

    # given a quantity of -1, a date in 2020 and "anywhere in a region" without a region:
    # before, the form's errors came first and the date's only in a second round
    client.force_login(seeker.user)
    response = client.post(
        reverse("matching:create"),
        {
            "category": Category.objects.get(code="desk").pk,
            "quantity": "-1",
            "min_condition": "fair",
            "place": "region",
            "region": "",
            "valid_until": "2020-06-30",
            "note": "",
        },
    )
    assert response.status_code == 200
    assert set(field_errors(response)) == {"quantity", "region", "valid_until"}
    assert not WantedRequest.objects.exists()


# --- Reuse checks ---------------------------------------------------------------------


def test_a_reuse_check_with_mistakes_everywhere_shows_them_all_at_once(client, seeker):
    from exchange.categories.models import Category
    from exchange.reuse.models import ReuseCheck

    client.force_login(seeker.user)
    response = client.post(
        "/reuse-checks/new/",
        {
            "category": Category.objects.get(code="desk").pk,
            "quantity": "0",
            "min_condition": "fair",
            "place": "site",
            "site": seeker.site.pk,
            "max_distance_km": "30",
            "needed_by": "2020-01-15",
            "estimated_value_eur": "-5",
            "file_reference": "",
            "waiting_days": "",
        },
    )
    assert response.status_code == 200
    errors = field_errors(response)
    assert set(errors) == {"quantity", "needed_by", "estimated_value_eur", "file_reference"}
    assert "past" in errors["needed_by"][0]
    assert not ReuseCheck.objects.exists()


# --- Claims ---------------------------------------------------------------------------


def test_a_handover_with_two_mistakes_shows_both_on_the_form(client, owner, make_member):
    from exchange.claims.models import Claim, ClaimStatus
    from exchange.claims.services import claim_approve, claim_create
    from tests.factories import LotFactory

    lot = LotFactory(site=owner.site, quantity=10, published=True)
    claimant = make_member(kind="federal", name="FPS Beta")
    claim = claim_approve(actor=owner, claim=claim_create(actor=claimant, lot=lot, quantity=3))
    client.force_login(owner.user)
    # a collected quantity above the approved one and a negative weight
    response = client.post(
        reverse("claims:collect", args=[claim.pk]), {"quantity": "5", "weight_kg": "-4"}
    )
    page = response.content.decode()
    assert "At most 3 units were approved." in page
    assert "The measured weight is more than 0 kg." in page
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.APPROVED


# --- Organisations and sites --------------------------------------------------------------


def test_registering_shows_the_taken_name_beside_the_other_mistakes(client, owner):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    response = client.post(
        reverse("organisations:register"),
        {
            "name": owner.organisation.name,
            "kind": "public",
            "enterprise_number": "12345",
            "region": "WAL",
            "language": "en",
            "email": "nobody",
        },
    )
    assert response.status_code == 200
    assert set(field_errors(response)) == {"name", "enterprise_number", "email"}


def test_adding_a_site_shows_every_mistake_at_once(client, owner):
    client.force_login(owner.user)
    response = client.post(
        reverse("organisations:detail", args=[owner.organisation.pk]),
        {
            "add_site": "1",
            "site-name": "Depot",
            "site-street": "Rue 1",
            "site-postcode": "99",
            "site-municipality": "Nowhere",
            "site-latitude": "48.1",
            "site-longitude": "east",
        },
    )
    assert response.status_code == 200
    errors = dict(response.context["site_form"].errors)
    assert set(errors) == {"postcode", "latitude", "longitude"}


# --- Sanitisation attestations ----------------------------------------------------------


def test_an_attestation_shows_a_future_date_beside_a_missing_person_and_a_bad_certificate(
    client, owner
):
    import datetime

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from exchange.categories.models import Category
    from exchange.lots.models import SanitisationAttestation
    from tests.factories import LotFactory

    lot = LotFactory(site=owner.site, category=Category.objects.get(code="laptop"))
    client.force_login(owner.user)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client.post(
        reverse("lots:sanitisation", args=[lot.pk]),
        {
            "attest": "1",
            "attest-method": "purge",
            "attest-performed_on": tomorrow.isoformat(),
            "attest-responsible_person": "",
            "attest-certificate": SimpleUploadedFile("c.pdf", b"not a pdf"),
        },
    )
    errors = dict(response.context["attest_form"].errors)
    assert set(errors) == {"performed_on", "responsible_person", "certificate"}
    assert not SanitisationAttestation.objects.exists()
