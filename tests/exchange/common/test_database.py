import pytest
from django.db import connection, connections

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL sessions")


@pytest.mark.django_db
def test_a_new_connection_starts_in_utc_so_nothing_is_sent_before_the_first_query():
    """With a new connection per request (DATABASE_CONN_MAX_AGE=0), the session starts
    in UTC, the zone Django works in: Django has no time zone to set, which would cost
    a round trip on every request."""
    wrapper = connections.create_connection("default")
    raw = wrapper.get_new_connection(wrapper.get_connection_params())  # as the server made it
    try:
        assert raw.info.parameter_status("TimeZone") == wrapper.timezone_name == "UTC"
    finally:
        raw.close()
