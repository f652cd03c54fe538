"""Small things that cost trust: a status that screen readers hear once, French
punctuation, when the viewer's own claim window opens, forms an unverified organisation
cannot use, and the owner's claim filter."""

import re

import pytest
from django.test import Client
from django.utils.html import strip_tags

from tests.factories import LotFactory, SiteFactory

pytestmark = pytest.mark.django_db


def words(response) -> str:
    """The page's text as a screen reader reads it (hidden text included)."""
    return re.sub(r"[ \t\n]+", " ", strip_tags(response.content.decode()))


def signed_in(membership, language="en") -> Client:
    membership.user.language = language
    membership.user.save(update_fields=["language"])
    client = Client()
    client.force_login(membership.user)
    return client


def test_the_status_of_a_lot_is_read_once_in_french_with_its_space(fed_admin, categories):
    # given the draft of a federal service, whose admin reads French
    lot = LotFactory(site=SiteFactory(organisation=fed_admin.organisation), title="Bureaux")
    client = signed_in(fed_admin, "fr")

    # when they open the lot and their list of lots
    page = words(client.get(f"/lots/{lot.pk}/"))
    mine = words(client.get("/lots/mine/"))

    # then the status is said once, with a non-breaking space before the colon
    assert "Statut\u00a0: Brouillon" in page
    assert page.count("Statut") == 1
    assert "Statut : " not in page and "Statut: " not in page
    # and in the table the column header says it: the badge does not say it again
    assert "Statut\u00a0:" not in mine
