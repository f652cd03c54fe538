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
