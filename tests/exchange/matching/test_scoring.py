"""The match score (exchange/matching/scoring.py) and the distance it measures
(exchange/common/geo.py): exact values for known pairs, and the SQL forms, by which the
database ranks candidates, equal to the Python ones over many pairs."""

import datetime
import itertools
import math
from decimal import Decimal

import pytest
from django.db.models import F
from django.utils import timezone

from exchange.categories.models import Category
from exchange.common.geo import distance_km, distance_km_expression, distance_km_sql
from exchange.common.sql import SqlFormula
from exchange.lots.models import Lot
from exchange.matching.models import WantedRequest
from exchange.matching.scoring import match_score
from exchange.matching.services.engine import match_wanted
from exchange.matching.services.fits import (
    SCORE_SQL_SLACK,
    lot_score_expression,
    wanted_score_expression,
)
from exchange.organisations.models import Site
from tests.exchange.matching.test_services import wanted_for
from tests.factories import LotFactory, MembershipFactory, OrganisationFactory, SiteFactory

TODAY = datetime.date(2026, 3, 2)


def score(**overrides):
    """match_score of an exact-category desk next door, 20 of 20 units, one condition
    level above the minimum, 30 days left: each test changes one part."""
    values = {
        "lot_category_path": "furniture/desk",
        "wanted_category_path": "furniture/desk",
        "distance": 0.0,
        "max_distance_km": 30,
        "available": 20,
        "wanted_quantity": 20,
        "lot_condition_rank": 3,
        "min_condition_rank": 2,
        "available_until": TODAY + datetime.timedelta(days=30),
        "today": TODAY,
    }
    values.update(overrides)
    return match_score(**values)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        # 0.3 x 1 + 0.25 x 1 + 0.25 x 1 + 0.1 x (0.5 + 0.5 x 1/3) + 0.1 x 1
        ({}, 0.9667),
        # a desk for a request of the whole furniture subtree: 0.3 x 0.7
        ({"wanted_category_path": "furniture"}, 0.8767),
        # 15 km of 30: 0.25 x 0.5
        ({"distance": 15.0}, 0.8417),
        # beyond the distance the part is 0, never negative
        ({"distance": 45.0}, 0.7167),
        # anywhere in a region counts as next door
        ({"distance": None, "max_distance_km": None}, 0.9667),
        # 5 of the 20 units wanted: 0.25 x 0.25; more than wanted counts as all
        ({"available": 5}, 0.7792),
        ({"available": 80}, 0.9667),
        # "new" for "for parts" or better: 0.1 x 1; exactly the minimum: 0.1 x 0.5
        ({"lot_condition_rank": 4, "min_condition_rank": 1}, 1.0),
        ({"min_condition_rank": 3}, 0.95),
        # 12 days left: 0.1 x 12/30; a date passed: 0
        ({"available_until": TODAY + datetime.timedelta(days=12)}, 0.9067),
        ({"available_until": TODAY - datetime.timedelta(days=3)}, 0.8667),
        # all at once: 0.21 + 0.25 x (1 - 12/40) + 0.25 x 7/10 + 0.1 x 0.5 + 0.1 x 6/30
        (
            {
                "wanted_category_path": "furniture",
                "distance": 12.0,
                "max_distance_km": 40,
                "available": 7,
                "wanted_quantity": 10,
                "min_condition_rank": 3,
                "available_until": TODAY + datetime.timedelta(days=6),
            },
            0.63,
        ),
    ],
)
def test_the_score_of_known_pairs(overrides, expected):
    assert score(**overrides)[0] == expected


def test_the_reasons_say_what_the_score_counted():
    _score, reasons = score(
        wanted_category_path="furniture",
        distance=12.345,
        available=7,
        wanted_quantity=9,
        available_until=TODAY + datetime.timedelta(days=6),
    )
    assert reasons == {
        "category": "parent",
        "distance_km": 12.3,
        "quantity_coverage": 0.78,
        "condition_margin": 1,
        "days_left": 6,
    }


def test_the_great_circle_distance_of_known_places():
    # a degree of latitude on a sphere of 6371 km: 6371 x pi / 180
    assert distance_km(50.0, 4.0, 51.0, 4.0) == pytest.approx(111.19492664455873, abs=1e-9)
    # a degree of longitude at 60°: the chord's half-angle is asin(cos 60° x sin 0.5°)
    assert distance_km(60.0, 4.0, 60.0, 5.0) == pytest.approx(
        2 * 6371 * math.asin(0.5 * math.sin(math.radians(0.5))), abs=1e-9
    )
    # Brussels (Rue de la Loi) to Liège (Place Saint-Lambert)
    assert distance_km(50.8466, 4.3676, 50.6326, 5.5797) == pytest.approx(88.55, abs=0.01)
    assert distance_km(50.8466, 4.3676, 50.8466, 4.3676) == 0.0


# --- The same score, computed by the database ---------------------------------------

PLACES = [
    ("50.846600", "4.367600", "BRU"),  # Brussels
    ("50.735000", "4.237000", "VLG"),  # Halle, ~15 km
    ("50.632600", "5.579700", "WAL"),  # Liège, ~88 km
    ("51.219400", "4.402500", "VLG"),  # Antwerp, ~41 km
    ("50.855000", "4.380000", "BRU"),  # ~1 km
]


def place(organisation, index):
    latitude, longitude, region = PLACES[index]
    return SiteFactory(
        organisation=organisation,
        latitude=Decimal(latitude),
        longitude=Decimal(longitude),
        region=region,
    )


@pytest.fixture
def pairs(categories):
    """Lots of several categories, places, conditions, quantities (some claimed) and
    dates (one passed), and requests of a category or its parent, by distance from a
    site or anywhere in a region, of several quantities and minimum conditions."""
    owner = OrganisationFactory(kind="federal")
    today = timezone.localdate()
    desk, chair = Category.objects.get(code="desk"), Category.objects.get(code="office-chair")
    lots = []
    for i, (category, condition, quantity, days) in enumerate(
        itertools.product((desk, chair), ("new", "good", "parts"), (3, 25), (2, 17, 45, -4))
    ):
        lot = LotFactory(
            site=place(owner, i % len(PLACES)),
            category=category,
            condition=condition,
            quantity=quantity,
            available_until=today + datetime.timedelta(days=max(days, 1)),
            published=True,
        )
        changes = {"quantity_reserved": quantity // 3 if i % 5 == 0 else 0}
        if days < 0:  # its date passed last night; the nightly job has not expired it yet
            changes["available_until"] = today + datetime.timedelta(days=days)
        Lot.objects.filter(pk=lot.pk).update(**changes)
        lots.append(lot)
    requests = []
    asking = MembershipFactory(organisation=OrganisationFactory(kind="federal"), role="admin")
    for i, (category, condition, quantity, distance) in enumerate(
        itertools.product(
            (desk, Category.objects.get(code="furniture")),
            ("parts", "good"),
            (4, 20),
            (20, 60, None),
        )
    ):
        site = place(asking.organisation, (i * 2) % len(PLACES))
        requests.append(
            wanted_for(
                asking,
                site if distance else None,
                category,
                min_condition=condition,
                quantity=quantity,
                max_distance_km=distance,
                region="" if distance else site.region,
            )
        )
    return (
        list(Lot.objects.select_related("category").filter(pk__in=[lot.pk for lot in lots])),
        list(WantedRequest.objects.select_related("site").filter(pk__in=[r.pk for r in requests])),
    )


def python_score(lot: Lot, wanted: WantedRequest, today) -> float:
    distance = None
    if wanted.site_id is not None:
        distance = distance_km(
            float(wanted.site.latitude),
            float(wanted.site.longitude),
            float(lot.latitude),
            float(lot.longitude),
        )
    return match_score(
        lot_category_path=lot.category.path,
        wanted_category_path=wanted.category_path,
        distance=distance,
        max_distance_km=wanted.max_distance_km,
        available=lot.quantity - lot.quantity_reserved,
        wanted_quantity=wanted.quantity,
        lot_condition_rank=lot.condition_rank,
        min_condition_rank=wanted.min_condition_rank,
        available_until=lot.available_until,
        today=today,
    )[0]


# Python rounds its score to 4 places; the database's is not rounded. The engine reads
# SCORE_SQL_SLACK more than the database ranks, which must cover at least that.
HALF_LAST_PLACE = 0.5e-4 + 1e-9


def sql_scores(pairs, today) -> dict[tuple[int, int], float]:
    """(lot id, request id) -> the score in SQL, both ways: over lots for each request
    (ranking a request's candidates) and over requests for each lot (the requests a
    new lot may enter)."""
    lots, requests = pairs
    scores = {"over lots": {}, "over requests": {}}
    for wanted in requests:
        rows = Lot.objects.filter(pk__in=[lot.pk for lot in lots]).annotate(
            score=wanted_score_expression(wanted, today)
        )
        for pk, score in rows.values_list("pk", "score"):
            scores["over lots"][pk, wanted.pk] = score
    for lot in lots:
        rows = WantedRequest.objects.filter(pk__in=[w.pk for w in requests]).annotate(
            score=lot_score_expression(lot, today)
        )
        for pk, score in rows.values_list("pk", "score"):
            scores["over requests"][lot.pk, pk] = score
    return scores


def test_the_database_scores_every_pair_as_python_does(pairs):
    lots, requests = pairs
    today = timezone.localdate()
    assert HALF_LAST_PLACE < SCORE_SQL_SLACK
    expected = {
        (lot.pk, wanted.pk): python_score(lot, wanted, today) for lot in lots for wanted in requests
    }
    assert len(set(expected.values())) > 100  # many different scores, not a few repeated
    for way, scores in sql_scores(pairs, today).items():
        assert scores == {
            pair: pytest.approx(score, abs=HALF_LAST_PLACE) for pair, score in expected.items()
        }, way


def test_the_database_measures_the_same_distances(pairs):
    lots, _requests = pairs
    origin = (50.8466, 4.3676)
    measured = Lot.objects.filter(pk__in=[lot.pk for lot in lots]).annotate(
        km=distance_km_expression(*origin)
    )
    assert {pk: pytest.approx(km, abs=1e-9) for pk, km in measured.values_list("pk", "km")} == {
        lot.pk: distance_km(*origin, float(lot.latitude), float(lot.longitude)) for lot in lots
    }
    # the other way round, from the columns to a place
    sites = Site.objects.filter(pk__in={lot.site_id for lot in lots}).annotate(
        km=SqlFormula(
            distance_km_sql, lat1=F("latitude"), lon1=F("longitude"), lat2=origin[0], lon2=origin[1]
        )
    )
    for site in sites:
        expected = distance_km(float(site.latitude), float(site.longitude), *origin)
        assert site.km == pytest.approx(expected, abs=1e-9)


@pytest.mark.django_db
def test_a_stored_match_carries_the_score_of_its_pair(categories):
    # given a federal request next door for 20 desks of at least fair condition, and a
    # good desk lot of 10, available 15 more days
    asking = MembershipFactory(organisation=OrganisationFactory(kind="federal"), role="admin")
    wanted = wanted_for(
        asking, place(asking.organisation, 0), Category.objects.get(code="desk"), quantity=20
    )
    lot = LotFactory(
        site=place(OrganisationFactory(kind="federal"), 0),
        category=Category.objects.get(code="desk"),
        quantity=10,
        condition="good",
        available_until=timezone.localdate() + datetime.timedelta(days=15),
        published=True,
    )
    # when
    matches = match_wanted(wanted_id=wanted.pk)
    # then 0.3 x 1 + 0.25 x 1 + 0.25 x 10/20 + 0.1 x (0.5 + 0.5 x 1/3) + 0.1 x 15/30
    assert [(m.lot_id, m.score) for m in matches] == [(lot.pk, 0.7917)]
