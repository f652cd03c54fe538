"""A small, varied history of impact records for the statistics tests: two years, three
regions, furniture and IT, every outcome, donors and recipients of every kind. The
records are facts as the services leave them (the statistics only add them up), written
in one go with their monthly totals; the oracle of the tests is ``records_sums``, the
records summed one by one in Python."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import Group
from django.db.models import Q
from django.utils import timezone

from exchange.categories.models import Category, FactorVersion
from exchange.impact.models import REUSE_OUTCOMES, ImpactRecord, ImpactSource
from exchange.impact.services.totals import impact_totals_rebuild
from exchange.organisations.models import Organisation
from tests.factories import (
    LotFactory,
    MembershipFactory,
    OrganisationFactory,
    SiteFactory,
    UserFactory,
)

YEAR = timezone.localdate().year
PREV = YEAR - 1

# day, donor, recipient, outcome, category, region, items, kg, CO2e kg, EUR
RECORDS = [
    ((YEAR, 1, 1), "alpha", "public", "reused_other", "cabinet", "VLG", 3, "90", "150", "660"),
    (
        (YEAR, 3, 10),
        "alpha",
        "beta",
        "reused_federal",
        "office-chair",
        "BRU",
        4,
        "47.6",
        "140",
        "1120",
    ),
    (
        (YEAR, 3, 20),
        "alpha",
        "social",
        "reused_social_economy",
        "desk",
        "BRU",
        2,
        "71",
        "70",
        "700",
    ),
    ((YEAR, 6, 15), "alpha", None, "recycled", "desk", "BRU", 4, "140", "0", "0"),
    ((YEAR, 7, 1), "gamma", "beta", "reused_federal", "laptop", "WAL", 5, "9", "274.5", "4500"),
    ((PREV, 6, 15), "alpha", None, "sold", "office-chair", "VLG", 6, "71.4", "210", "1680"),
    (
        (PREV, 11, 30),
        "gamma",
        "public",
        "reused_other",
        "monitor",
        "WAL",
        10,
        "45",
        "22.95",
        "1800",
    ),
    ((PREV, 12, 31), "gamma", None, "disposed", "printer", "WAL", 2, "30", "0", "0"),
    (
        (PREV, 12, 1),
        "beta",
        "social",
        "reused_social_economy",
        "laptop",
        "BRU",
        7,
        "12.6",
        "384.3",
        "6300",
    ),
]


@dataclass
class History:
    organisations: dict[str, Organisation]
    members: dict[str, object]  # Membership by organisation key
    analyst: object


def impact_history() -> History:
    """The organisations (each with a member), an analyst, and RECORDS with their
    monthly totals. Needs the category tree (the ``categories`` fixture)."""
    organisations = {
        "alpha": OrganisationFactory(kind="federal", name="FPS Alpha", region="BRU"),
        "beta": OrganisationFactory(kind="federal", name="FPS Beta", region="BRU"),
        "gamma": OrganisationFactory(kind="federal", name="FPS Gamma", region="WAL"),
        "social": OrganisationFactory(social_economy=True, name="Kringwinkel", region="VLG"),
        "public": OrganisationFactory(kind="public", name="Gemeente Gent", region="VLG"),
    }
    members = {}
    for key, organisation in organisations.items():
        member = MembershipFactory(organisation=organisation, role="member")
        member.user.current_organisation = organisation
        member.user.save(update_fields=["current_organisation"])
        members[key] = member
    lots = {
        key: LotFactory(site=SiteFactory(organisation=organisations[key]))
        for key in ("alpha", "beta", "gamma")
    }
    version = FactorVersion.objects.get(is_current=True)
    categories = {c.code: c for c in Category.objects.all()}
    ImpactRecord.objects.bulk_create(
        ImpactRecord(
            occurred_on=datetime.date(*day),
            source=ImpactSource.CORRECTION,
            outcome=outcome,
            lot=lots[donor],
            quantity=items,
            weight_kg=Decimal(kg),
            co2e_avoided_kg=Decimal(co2e),
            replacement_value_eur=Decimal(eur),
            factor_version=version,
            donor=organisations[donor],
            recipient=organisations[recipient] if recipient else None,
            category=categories[category],
            region=region,
        )
        for day, donor, recipient, outcome, category, region, items, kg, co2e, eur in RECORDS
    )
    impact_totals_rebuild()
    analyst = UserFactory(username="analyst-history")
    analyst.groups.add(Group.objects.get_or_create(name="analyst")[0])
    return History(organisations=organisations, members=members, analyst=analyst)


def of_organisation(organisation: Organisation) -> Q:
    return Q(donor=organisation) | Q(recipient=organisation)


def records_sums(records) -> dict:
    """The totals of ``records``, summed one by one: items, weight, reused weight, CO2e
    and value (to the cent, as the statistics give them)."""
    records = list(records)
    cent = Decimal("0.01")
    return {
        "items": sum(r.quantity for r in records),
        "weight_kg": sum((r.weight_kg for r in records), Decimal(0)).quantize(cent),
        "reused_weight_kg": sum(
            (r.weight_kg for r in records if r.outcome in REUSE_OUTCOMES), Decimal(0)
        ).quantize(cent),
        "co2e_avoided_kg": sum((r.co2e_avoided_kg for r in records), Decimal(0)).quantize(cent),
        "replacement_value_eur": sum(
            (r.replacement_value_eur for r in records), Decimal(0)
        ).quantize(cent),
    }


def figures(row: dict) -> dict:
    """The sums of a statistics row (API JSON or Python), comparable with records_sums."""
    return {
        "items": row["items"],
        **{
            key: Decimal(str(row[key])).quantize(Decimal("0.01"))
            for key in ("weight_kg", "reused_weight_kg", "co2e_avoided_kg", "replacement_value_eur")
        },
    }


def filter_cases(history) -> dict[str, tuple[dict, dict]]:
    """name: (query parameters, the records they must select, as ORM lookups)."""
    o = history.organisations
    return {
        "year": ({"year": YEAR}, {"occurred_on__year": YEAR}),
        "the year before": ({"year": PREV}, {"occurred_on__year": PREV}),
        "date_from, mid-month": (
            {"date_from": f"{YEAR}-03-15"},
            {"occurred_on__gte": f"{YEAR}-03-15"},
        ),
        "date_to, mid-month": ({"date_to": f"{PREV}-12-30"}, {"occurred_on__lte": f"{PREV}-12-30"}),
        "date_from and date_to, whole months": (
            {"date_from": f"{PREV}-12-01", "date_to": f"{YEAR}-03-31"},
            {"occurred_on__gte": f"{PREV}-12-01", "occurred_on__lte": f"{YEAR}-03-31"},
        ),
        "donor": ({"donor": o["gamma"].pk}, {"donor": o["gamma"]}),
        "recipient": ({"recipient": o["beta"].pk}, {"recipient": o["beta"]}),
        "organisation_kind": (
            {"organisation_kind": "social_economy"},
            {"recipient__kind": "social_economy"},
        ),
        "organisation_kind public, in a year": (
            {"organisation_kind": "public", "year": PREV},
            {"recipient__kind": "public", "occurred_on__year": PREV},
        ),
        "category, a whole group": (
            {"category": "furniture"},
            {"category__path__startswith": "furniture/"},
        ),
        "category, a leaf": ({"category": "desk"}, {"category__code": "desk"}),
        "category and region": (
            {"category": "it", "region": "WAL"},
            {"category__path__startswith": "it/", "region": "WAL"},
        ),
        "region": ({"region": "VLG"}, {"region": "VLG"}),
        "region, mid-month": (
            {"region": "BRU", "date_from": f"{YEAR}-03-15"},
            {"region": "BRU", "occurred_on__gte": f"{YEAR}-03-15"},
        ),
        "outcome": ({"outcome": "recycled"}, {"outcome": "recycled"}),
        "outcome, mid-month": (
            {"outcome": "recycled", "date_from": f"{YEAR}-03-15"},
            {"outcome": "recycled", "occurred_on__gte": f"{YEAR}-03-15"},
        ),
        "category group, mid-month": (
            {"category": "furniture", "date_to": f"{YEAR}-03-15"},
            {"category__path__startswith": "furniture/", "occurred_on__lte": f"{YEAR}-03-15"},
        ),
        "outcome in a year": (
            {"outcome": "sold", "year": PREV},
            {"outcome": "sold", "occurred_on__year": PREV},
        ),
    }


CASES = [
    "year",
    "the year before",
    "date_from, mid-month",
    "date_to, mid-month",
    "date_from and date_to, whole months",
    "donor",
    "recipient",
    "organisation_kind",
    "organisation_kind public, in a year",
    "category, a whole group",
    "category, a leaf",
    "category and region",
    "region",
    "region, mid-month",
    "outcome",
    "outcome, mid-month",
    "category group, mid-month",
    "outcome in a year",
]
