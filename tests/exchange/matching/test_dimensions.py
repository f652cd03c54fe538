"""A wanted request's maximum size: a lot that does not fit is no match, on every path
of the engine (per request, per lot, set-based) and in the benchmark's naive matcher."""

import random

import pytest
from django.utils import timezone

from devtools.load.lots import lots_generate_load
from devtools.load.wanted import generated_wanted, wanted_generate_load
from exchange.lots.dimensions import size_fits
from exchange.lots.models import Lot
from exchange.matching.models import WantedRequest
from exchange.matching.services.fits import lot_fits, wanted_best, wanted_best_many

pytestmark = pytest.mark.django_db


def test_a_unit_fits_when_no_stated_dimension_is_larger():
    assert size_fits((120, 60, 75), (160, 80, 80))
    assert not size_fits((180, 60, 75), (160, 80, 80))  # too wide
    assert not size_fits((120, 60, 75), (None, None, 70))  # too high
    assert size_fits((None, None, None), (100, 100, 100))  # size unknown: not left out
    assert size_fits((120, 60, 75), (None, None, None))  # no limit


@pytest.fixture
def sized(categories, settings):
    """Generated lots and requests, about half with sizes."""
    settings.EXCHANGE_MATCHES_PER_REQUEST = 50
    lots_generate_load(lots=300, organisations=10, seed=11)
    wanted_generate_load(wanted=120, seed=11)
    rng = random.Random(11)
    for lot in Lot.objects.order_by("pk"):
        if rng.random() < 0.6:
            Lot.objects.filter(pk=lot.pk).update(
                width_cm=rng.randint(40, 200), depth_cm=rng.randint(40, 100), height_cm=None
            )
    for wanted in generated_wanted().order_by("pk"):
        if rng.random() < 0.6:
            WantedRequest.objects.filter(pk=wanted.pk).update(
                max_width_cm=rng.randint(60, 180), max_depth_cm=rng.choice([None, 70])
            )
    return list(generated_wanted().select_related("site", "organisation"))


def _limit(wanted):
    return (wanted.max_width_cm, wanted.max_depth_cm, wanted.max_height_cm)


def test_every_path_leaves_out_the_lots_that_do_not_fit(sized):
    now = timezone.now()
    sizes = {lot.pk: lot.size for lot in Lot.objects.all()}
    alone = {wanted.pk: wanted_best(wanted, now=now) for wanted in sized}
    limited = [w for w in sized if any(v is not None for v in _limit(w))]
    # the per-request path keeps only lots that fit, and some were left out for size
    left_out = 0
    for wanted in limited:
        for lot_id, _wanted_id, _score, _why in alone[wanted.pk]:
            assert size_fits(sizes[lot_id], _limit(wanted))
        left_out += sum(not size_fits(size, _limit(wanted)) for size in sizes.values())
    assert left_out and sum(len(alone[w.pk]) for w in limited) > 20
    # the set-based path finds the very same
    together = {pk: fits for pk, _organisation, fits in wanted_best_many(list(alone), now=now)}
    assert together == alone
    # the per-lot path: no request whose maximum the lot exceeds
    for lot in Lot.objects.filter(width_cm__isnull=False).order_by("pk")[:60]:
        fits, _floors, _has = lot_fits(lot, now=now)
        for _lot_id, wanted_id, _score, _why in fits:
            wanted = WantedRequest.objects.get(pk=wanted_id)
            assert size_fits(lot.size, _limit(wanted))
