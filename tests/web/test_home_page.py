import pytest
from django.utils import translation

from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def test_the_home_page_shows_what_can_be_exchanged_and_who_takes_part(client, categories):
    # given two verified organisations and one awaiting verification
    OrganisationFactory()
    OrganisationFactory()
    OrganisationFactory(unverified=True)
    # when anyone opens the home page
    with translation.override("en"):
        response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    # then it lists the top categories with their children, and counts the verified
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="cat-furniture"' in page and 'id="cat-it"' in page
    assert "Office chair" in page and "Laptop" in page
    assert "2 verified organisations take part." in page
