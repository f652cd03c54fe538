"""Load-test data for matching: many open wanted requests of the generated organisations
(``devtools.load.lots``), written with bulk_create in batches of 2 000.

No service runs per row, but every request's values come from ``wanted_values``, so its
denormalised fields (category path, condition rank, the latitude/longitude box around
its site) are exactly what ``wanted_create`` would store. Not for production databases:
``wanted_generated_load_delete`` removes the generated requests (and every match of a
generated request or lot) again.
"""

import datetime
import itertools
import random
import time

from django.db import connection, models, transaction
from django.utils import timezone

from devtools.load.bulk import historical_timestamps
from devtools.load.lots import BATCH_SIZE, category_titles, generated_organisations
from exchange.categories.models import Category
from exchange.categories.services import categories_load
from exchange.common.collector import gc_paused
from exchange.lots.models import Condition, Lot
from exchange.matching.models import Match, WantedRequest, WantedStatus
from exchange.matching.services.wanted import WantedInput, wanted_values
from exchange.organisations.models import Region, Site

# Who asks for what, and where (see bench/README.md).
ROOT_CATEGORY_SHARE = 0.1  # "any furniture", "any IT"; the rest name a leaf category
MIN_CONDITIONS = [
    (Condition.PARTS, 5),
    (Condition.FAIR, 50),
    (Condition.GOOD, 38),
    (Condition.NEW, 7),
]
DISTANCES_KM = [(5, 15), (10, 30), (25, 30), (50, 18), (100, 7)]
REGION_SHARE = 0.2  # "anywhere in Flanders" instead of a distance from a site
OWN_REGION_SHARE = 0.85
CREATED_WITHIN_DAYS = 90
VALID_FOR_DAYS = (14, 180)


def generated_wanted() -> models.QuerySet[WantedRequest]:
    return WantedRequest.objects.filter(organisation__in=generated_organisations())


def generated_wanted_count(*, status: str = WantedStatus.OPEN) -> int:
    return generated_wanted().filter(status=status).count()


@transaction.atomic
def wanted_generated_load_delete() -> dict[str, int]:
    """Remove the generated wanted requests, their matches, and every match of a
    generated lot (so that the generated lots can be deleted in turn)."""
    requests = generated_wanted()
    generated_lots = Lot.objects.filter(owner__in=generated_organisations())
    matches = Match._base_manager.filter(
        models.Q(wanted__in=requests) | models.Q(lot__in=generated_lots)
    )
    # Matches of generated requests notify nobody (generated organisations have no
    # members), and no claim or notification refers to a match: one DELETE each.
    deleted_matches = matches._raw_delete(matches.db)
    deleted_requests = requests._raw_delete(requests.db)
    return {"wanted": deleted_requests, "matches": deleted_matches}


def _choose(rng: random.Random, weighted: list[tuple]) -> object:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


def wanted_generate_load(*, wanted: int, seed: int = 1) -> dict:
    """Generate ``wanted`` open requests of the generated organisations.

    Each names a category (a leaf, or now and then a whole group), a quantity, a
    minimum condition and a place (a distance from one of the organisation's own sites,
    or anywhere in a region), was made within the last 90 days and is valid for a while
    yet. Deterministic for a given seed (except that dates count back from now).
    """
    if wanted < 0:
        raise ValueError("wanted must be >= 0")
    started = time.monotonic()
    rng = random.Random(seed)
    now = timezone.now()
    today = timezone.localdate(now)
    categories_load()
    leaves = list(Category.objects.filter(children__isnull=True).order_by("path"))
    roots = list(Category.objects.filter(parent__isnull=True).order_by("path"))
    leaf_weights = list(itertools.accumulate(category_titles(c)[0] for c in leaves))
    organisations = list(generated_organisations().order_by("pk"))
    if wanted and not organisations:
        raise ValueError("No generated organisations: run generate_load --lots first.")
    sites: dict[int, list[Site]] = {}
    for site in Site.objects.filter(organisation__in=organisations).order_by("pk"):
        sites.setdefault(site.organisation_id, []).append(site)
    owner_weights = list(itertools.accumulate(rng.lognormvariate(0, 1) for _ in organisations))
    regions = list(Region.values)
    created = 0
    with gc_paused(), transaction.atomic(), historical_timestamps(WantedRequest):
        while created < wanted:
            batch = []
            for _index in range(min(BATCH_SIZE, wanted - created)):
                organisation = rng.choices(organisations, cum_weights=owner_weights)[0]
                if rng.random() < ROOT_CATEGORY_SHARE:
                    category = rng.choice(roots)
                else:
                    category = rng.choices(leaves, cum_weights=leaf_weights)[0]
                roll = rng.random()
                quantity = (
                    1 + int(rng.random() * 10)
                    if roll < 0.6
                    else 11 + int(rng.random() * 40)
                    if roll < 0.95
                    else 51 + int(rng.random() * 150)
                )
                data = WantedInput(
                    category=category,
                    quantity=quantity,
                    min_condition=_choose(rng, MIN_CONDITIONS),
                    valid_until=today + datetime.timedelta(days=rng.randint(*VALID_FOR_DAYS)),
                )
                if rng.random() < REGION_SHARE:
                    own = rng.random() < OWN_REGION_SHARE
                    data.region = organisation.region if own else rng.choice(regions)
                else:
                    data.site = rng.choice(sites[organisation.pk])
                    data.max_distance_km = _choose(rng, DISTANCES_KM)
                made = now - datetime.timedelta(seconds=rng.random() * CREATED_WITHIN_DAYS * 86400)
                batch.append(
                    WantedRequest(
                        organisation=organisation,
                        status=WantedStatus.OPEN,
                        created_at=made,
                        updated_at=made,
                        **wanted_values(data),
                    )
                )
            WantedRequest.objects.bulk_create(batch)
            created += len(batch)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {WantedRequest._meta.db_table}")
    return {
        "wanted": created,
        "organisations": len({o.pk for o in organisations}),
        "seconds": round(time.monotonic() - started, 1),
    }
