"""The API keeps its contract: schemathesis sends requests generated from the OpenAPI
schema to every operation, as an organisation admin and as a member acting for their
own organisation (X-Organisation), and every answer must be no server error, of a
documented content type, and match the schema of its documented status.

Bounded in time: ``CONTRACT_EXAMPLES`` requests per operation and role (derandomized,
so a run repeats the last one). Undocumented error statuses are not failures: the
errors' one shape is documented once (README "API"), not on every operation."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, settings

from exchange.accounts.services import api_token_create
from exchange.organisations.models import MembershipRole
from exchange.wsgi import application
from tests.factories import MembershipFactory, OrganisationFactory, SiteFactory

CONTRACT_EXAMPLES = 5

schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = application

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.specs.openapi.checks.content_type_conformance,
    schemathesis.specs.openapi.checks.response_schema_conformance,
]


@pytest.fixture
def wsgi_keeps_the_test_connection():
    """Django closes the database connection after each request it serves; the test's
    connection holds the test's transaction (Django's test client does the same)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(params=[MembershipRole.ADMIN, MembershipRole.MEMBER])
def caller(request, db, categories, wsgi_keeps_the_test_connection):
    """A person of a verified federal service with a site, and the headers of their
    requests."""
    membership = MembershipFactory(
        role=request.param, organisation=OrganisationFactory(kind="federal")
    )
    SiteFactory(organisation=membership.organisation)
    _token, key = api_token_create(user=membership.user, name="contract")
    return {
        "Authorization": f"Token {key}",
        "X-Organisation": str(membership.organisation_id),
    }


@schema.parametrize()
@settings(
    max_examples=CONTRACT_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_its_contract(case, caller):
    case.headers = {**(case.headers or {}), **caller}
    case.call_and_validate(checks=CHECKS)
