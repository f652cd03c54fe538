"""The object an address names (``/lots/{id}/``, ``/claims/{id}/``, ...) is read with its
query compiled once per connection (api/mixins.py, exchange/common/compiled.py): only
the statement is kept, never an answer. Each request reads with its own acting
organisation and id, sees what the database holds at that moment, and sends the same
statements as the ORM built per request."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.lots.views import LotViewSet
from exchange.claims.services import claim_create
from exchange.lots.services.lots import lot_withdraw
from exchange.organisations.models import Membership
from tests.factories import LotFactory, MembershipFactory, OrganisationFactory, SiteFactory


@pytest.fixture
def two_services(categories):
    """Two verified federal services, each with a member, a site and a draft lot; the
    second claimed a published lot of the first."""
    first, second = (
        MembershipFactory(role="member", organisation=OrganisationFactory(kind="federal"))
        for _ in range(2)
    )
    for member in (first, second):
        member.site = SiteFactory(organisation=member.organisation)
        member.draft = LotFactory(owner=member.organisation, site=member.site)
    published = LotFactory(owner=first.organisation, site=first.site, published=True)
    claim = claim_create(actor=second, lot=published, quantity=1)
    return first, second, published, claim


def _status(client, url: str) -> int:
    return client.get(url).status_code


def test_each_organisation_reads_with_its_own_id_whoever_asked_first(client_for, two_services):
    # given two services taking turns on the same addresses, in one process
    first, second, published, claim = two_services
    clients = {member: client_for(member.user, member.organisation) for member in (first, second)}
    for _turn in range(2):
        for member, other in ((first, second), (second, first)):
            client = clients[member]
            # then its own draft, site and the shared claim, never the other's draft or site
            assert _status(client, f"/api/v1/lots/{member.draft.pk}/") == 200
            assert _status(client, f"/api/v1/lots/{other.draft.pk}/") == 404
            assert _status(client, f"/api/v1/sites/{member.site.pk}/") == 200
            assert _status(client, f"/api/v1/sites/{other.site.pk}/") == 404
            assert _status(client, f"/api/v1/claims/{claim.pk}/") == 200
            assert client.patch(f"/api/v1/lots/{other.draft.pk}/", {}).status_code == 404
            assert client.post(f"/api/v1/lots/{other.draft.pk}/publish/").status_code == 404


def test_a_revoked_membership_is_refused_at_the_next_request(client_for, two_services):
    first, _second, _published, _claim = two_services
    client = client_for(first.user, first.organisation)
    assert _status(client, f"/api/v1/sites/{first.site.pk}/") == 200
    assert _status(client, f"/api/v1/lots/{first.draft.pk}/") == 200

    Membership.objects.filter(pk=first.pk).delete()

    assert _status(client, f"/api/v1/sites/{first.site.pk}/") == 403
    assert _status(client, f"/api/v1/lots/{first.draft.pk}/") == 403


def test_a_change_to_the_object_shows_at_the_next_request(client_for, two_services):
    first, second, _published, _claim = two_services
    lot = LotFactory(owner=first.organisation, site=first.site, published=True)
    reader = client_for(second.user, second.organisation)
    assert reader.get(f"/api/v1/lots/{lot.pk}/").json()["status"] == "published"

    lot_withdraw(actor=first, lot=lot)

    assert _status(reader, f"/api/v1/lots/{lot.pk}/") == 404
    assert (
        client_for(first.user, first.organisation).get(f"/api/v1/lots/{lot.pk}/").json()["status"]
        == "withdrawn"
    )


@pytest.mark.parametrize("resource", ["lots", "claims", "sites", "wanted", "matches"])
def test_the_compiled_lookup_sends_what_the_orm_builds(client_for, two_services, resource):
    """A query string (one no filter names) makes the view build its query with the ORM,
    as every request did before: the same answer from the same statements (after the
    token's, which names the moment of each request)."""
    first, second, published, claim = two_services
    ids = {"lots": published.pk, "claims": claim.pk, "sites": second.site.pk}
    client = client_for(second.user, second.organisation)
    url = f"/api/v1/{resource}/{ids.get(resource, 0)}/"
    answers = []
    for query in ("", "?unnamed=1"):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url + query)
        statements = [query["sql"] for query in queries]
        answers.append((response.status_code, response.content, len(statements), statements[1:]))
    assert answers[0] == answers[1]
    assert answers[0][0] == (404 if resource in ("wanted", "matches") else 200)


def test_the_query_of_an_object_is_built_once_per_connection(client_for, two_services, monkeypatch):
    first, _second, published, _claim = two_services
    built = []
    scoped_queryset = LotViewSet.scoped_queryset
    monkeypatch.setattr(
        LotViewSet,
        "scoped_queryset",
        lambda view: built.append(view.action) or scoped_queryset(view),
    )
    client = client_for(first.user, first.organisation)
    for lot in (published, first.draft, published):
        assert _status(client, f"/api/v1/lots/{lot.pk}/") == 200
    assert len(built) <= 1  # none where an earlier test of this process compiled it
    assert _status(client, f"/api/v1/lots/{published.pk}/?unnamed=1") == 200
    assert built[-1:] == ["retrieve"]
