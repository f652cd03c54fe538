import datetime
import math

import pytest
from django.core.management import call_command
from django.utils import timezone

from devtools.load.lots import generated_lots_count, lots_generate_load
from devtools.load.wanted import (
    generated_wanted,
    generated_wanted_count,
    wanted_generate_load,
    wanted_generated_load_delete,
)
from exchange.common.geo import EARTH_RADIUS_KM, distance_km
from exchange.lots.models import CONDITION_RANK
from exchange.matching.models import Match, WantedRequest, WantedStatus
from exchange.matching.services.engine import match_wanted
from exchange.matching.services.wanted import WantedInput, wanted_values
from exchange.organisations.models import Region
from tests.factories import MembershipFactory, SiteFactory

pytestmark = pytest.mark.django_db

WANTED = 300


@pytest.fixture
def generated():
    lots_generate_load(lots=60, organisations=8, seed=3)
    result = wanted_generate_load(wanted=WANTED, seed=3)
    requests = list(generated_wanted().select_related("organisation", "site", "category"))
    return result, requests


def test_the_requested_number_of_open_requests_of_generated_organisations(generated):
    result, requests = generated
    assert result["wanted"] == len(requests) == generated_wanted_count() == WANTED
    assert {w.status for w in requests} == {WantedStatus.OPEN}
    assert all(w.organisation.name.startswith("Load test org") for w in requests)
    assert len({w.organisation_id for w in requests}) > 3
    assert all(w.created_by_id is None for w in requests)  # generated organisations: no people


def test_the_denormalised_fields_are_what_wanted_create_stores(generated):
    _, requests = generated
    for wanted in requests:
        expected = wanted_values(WantedInput.from_wanted(wanted))
        for name in (
            "category_path",
            "min_condition_rank",
            "region",
            "max_distance_km",
            "min_latitude",
            "max_latitude",
            "min_longitude",
            "max_longitude",
        ):
            assert getattr(wanted, name) == expected[name], name
        assert wanted.category_path == wanted.category.path
        assert wanted.min_condition_rank == CONDITION_RANK[wanted.min_condition]


def test_places_categories_and_dates_are_consistent(generated):
    # given
    _, requests = generated
    today = timezone.localdate()
    # then every request names one of its own sites and a distance, or a region
    with_site = [w for w in requests if w.site_id]
    in_region = [w for w in requests if not w.site_id]
    assert with_site and in_region
    for wanted in with_site:
        assert wanted.site.organisation_id == wanted.organisation_id
        assert 1 <= wanted.max_distance_km <= 500
        assert wanted.region == ""
        assert wanted.min_latitude < float(wanted.site.latitude) < wanted.max_latitude
    for wanted in in_region:
        assert wanted.region in Region.values and wanted.max_distance_km is None
    # and leaf categories mostly, whole groups now and then
    assert {w.category.parent_id is None for w in requests} == {True, False}
    for wanted in requests:
        assert 1 <= wanted.quantity <= 200
        assert wanted.valid_until > today
        assert timezone.now() - datetime.timedelta(days=91) < wanted.created_at <= timezone.now()


def _destination(lat: float, lon: float, km: float, bearing: float) -> tuple[float, float]:
    """The point ``km`` from (lat, lon) in direction ``bearing`` (degrees), on the sphere
    distance_km measures on."""
    phi, lam, theta = math.radians(lat), math.radians(lon), math.radians(bearing)
    delta = km / EARTH_RADIUS_KM
    phi2 = math.asin(
        math.sin(phi) * math.cos(delta) + math.cos(phi) * math.sin(delta) * math.cos(theta)
    )
    lam2 = lam + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(phi),
        math.cos(delta) - math.sin(phi) * math.sin(phi2),
    )
    return math.degrees(phi2), math.degrees(lam2)


def test_the_box_holds_every_point_within_the_distance(generated):
    # the engine selects candidates by the box, then by the exact distance: every point
    # at the distance, in every direction, must lie inside the box (a box made with
    # 111.32 km per degree was 0.1 % too small and lost lots near its edges)
    _, requests = generated
    for wanted in [w for w in requests if w.site_id][:50]:
        lat, lon = float(wanted.site.latitude), float(wanted.site.longitude)
        for bearing in range(0, 360, 5):
            point = _destination(lat, lon, wanted.max_distance_km, bearing)
            assert distance_km(lat, lon, *point) == pytest.approx(wanted.max_distance_km)
            assert wanted.min_latitude <= point[0] <= wanted.max_latitude
            assert wanted.min_longitude <= point[1] <= wanted.max_longitude


def test_generated_requests_match_generated_lots_of_other_organisations(generated):
    _, requests = generated
    matches = [m for wanted in requests[:60] for m in match_wanted(wanted_id=wanted.pk)]
    assert matches
    assert all(m.lot.owner_id != m.wanted.organisation_id for m in matches)


def test_delete_removes_generated_requests_and_their_matches_only(generated):
    # given: matches of generated requests, and a request of somebody else
    _, requests = generated
    for wanted in requests[:30]:
        match_wanted(wanted_id=wanted.pk)
    member = MembershipFactory(role="member")
    other = WantedRequest(
        organisation=member.organisation,
        status=WantedStatus.OPEN,
        **wanted_values(
            WantedInput(
                category=requests[0].category,
                quantity=2,
                site=SiteFactory(organisation=member.organisation),
                max_distance_km=20,
                valid_until=timezone.localdate() + datetime.timedelta(days=10),
            )
        ),
    )
    other.save()
    # when
    deleted = wanted_generated_load_delete()
    # then
    assert deleted["wanted"] == WANTED
    assert list(WantedRequest.objects.all()) == [other]
    assert not Match.objects.exists()


def test_the_command_generates_requests_only_and_a_lots_reset_clears_them(generated, capsys):
    # when
    call_command("generate_load", "--wanted", "25")
    # then
    assert generated_wanted_count() == WANTED + 25
    assert generated_lots_count() == 60  # --wanted alone generates no lots
    assert "Generated 25 open wanted requests" in capsys.readouterr().out
    # and regenerating the lots first removes the requests that refer to them
    call_command("generate_load", "--lots", "20", "--organisations", "3", "--reset")
    assert generated_wanted_count() == 0
    assert generated_lots_count() == 20
