"""Who may claim in which window (exchange/lots/eligibility.py): for every kind of
organisation and every window, the Python check and the query filter give the same
answer, and it is the one of the claim windows table."""

import datetime

import pytest
from django.utils import timezone

from exchange.lots.eligibility import (
    OPENS_AT_FIELD,
    TIERS,
    accreditation_lapsed_condition,
    claim_window_from,
    claim_window_index,
    claim_windows,
    claimable_lots,
    eligibility_kind,
    eligibility_kind_condition,
    organisation_admitted,
    organisation_may_claim,
    organisations_admitted,
)
from exchange.lots.models import Lot, LotStatus, Tier
from exchange.organisations.models import Organisation, OrganisationKind, Site
from tests.factories import LotFactory, OrganisationFactory, SiteFactory

pytestmark = pytest.mark.django_db


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


@pytest.fixture
def organisations(categories):
    """One organisation of each kind, and the accreditations that decide in between."""
    today = timezone.localdate()
    social = {"social_economy": True}
    return {
        "federal": OrganisationFactory(kind="federal"),
        "accredited": OrganisationFactory(**social),
        "accredited until today": OrganisationFactory(**social, accreditation_valid_until=today),
        "accreditation expired": OrganisationFactory(
            **social, accreditation_valid_until=today - days(1)
        ),
        "no accreditation": OrganisationFactory(kind="social_economy"),
        "public": OrganisationFactory(kind="public"),
        "nonprofit": OrganisationFactory(kind="nonprofit"),
        "unverified federal": OrganisationFactory(kind="federal", unverified=True),
    }


ADMITTED = {
    Tier.FEDERAL: {"federal"},
    Tier.SOCIAL_ECONOMY: {"federal", "accredited", "accredited until today"},
    Tier.OPEN: {
        "federal",
        "accredited",
        "accredited until today",
        "accreditation expired",
        "no accreditation",
        "public",
        "nonprofit",
    },
}


def names(organisations: dict, ids) -> set[str]:
    return {name for name, organisation in organisations.items() if organisation.pk in set(ids)}


def test_an_expired_accreditation_counts_as_nonprofit(organisations):
    today = timezone.localdate()
    kinds = {name: eligibility_kind(o, today) for name, o in organisations.items()}
    assert kinds == {
        "federal": "federal",
        "accredited": "social_economy",
        "accredited until today": "social_economy",
        "accreditation expired": "nonprofit",
        "no accreditation": "nonprofit",
        "public": "public",
        "nonprofit": "nonprofit",
        "unverified federal": "federal",
    }
    # the same by query
    for kind in OrganisationKind:
        found = Organisation.objects.filter(eligibility_kind_condition(kind, today))
        assert names(organisations, found.values_list("pk", flat=True)) == {
            name for name, found_kind in kinds.items() if found_kind == kind
        }
    # tomorrow the accreditation that ran until today has lapsed
    assert eligibility_kind(organisations["accredited until today"], today + days(1)) == (
        "nonprofit"
    )


@pytest.mark.parametrize("since", [2, 1, 0])
def test_whose_accreditation_lapsed_since_a_day_by_query_as_by_check(organisations, since):
    # given the eligibility kinds a few days ago and tomorrow
    today = timezone.localdate()
    then, tomorrow = today - days(since), today + days(1)
    lapsed = {
        name
        for name, o in organisations.items()
        if eligibility_kind(o, then) == "social_economy"
        and eligibility_kind(o, tomorrow) == "nonprofit"
    }
    # when the query asks whose accreditation ran then and no longer runs tomorrow
    found = Organisation.objects.filter(accreditation_lapsed_condition(then, tomorrow))
    # then it finds those: the expired one only if it still ran then
    assert names(organisations, found.values_list("pk", flat=True)) == lapsed
    assert "accredited until today" in lapsed
    assert ("accreditation expired" in lapsed) == (since >= 1)


@pytest.mark.parametrize("tier", TIERS)
def test_who_may_claim_in_each_window_by_check_and_by_query(organisations, tier):
    today = timezone.localdate()
    by_check = {name for name, o in organisations.items() if organisation_admitted(o, tier, today)}
    by_query = names(
        organisations,
        Organisation.objects.filter(organisations_admitted(tier, today)).values_list(
            "pk", flat=True
        ),
    )
    # the way matching asks: through a relation (each organisation's site)
    sites = {o.pk: SiteFactory(organisation=o).pk for o in organisations.values()}
    through = Site.objects.filter(organisations_admitted(tier, today, prefix="organisation__"))
    by_relation = names(
        organisations,
        [pk for pk, site in sites.items() if site in set(through.values_list("pk", flat=True))],
    )
    assert by_check == by_query == by_relation == ADMITTED[tier]


@pytest.mark.parametrize("on", [0, 1])
def test_from_which_window_each_may_claim_by_check_and_by_query(organisations, on):
    # given today, and tomorrow (the accreditation that runs until today has lapsed)
    now = timezone.now() + days(on)
    # when the matching engine asks for many requests at once (through each one's
    # organisation) and the check asks for each organisation
    sites = {SiteFactory(organisation=o).pk: name for name, o in organisations.items()}
    by_query = dict(
        Site.objects.filter(pk__in=sites)
        .annotate(window=claim_window_index(timezone.localdate(now), prefix="organisation__"))
        .values_list("pk", "window")
    )
    fields = ["", *(OPENS_AT_FIELD[tier] for tier in TIERS[1:])]
    by_check = {name: claim_window_from(o, now) for name, o in organisations.items()}
    # then both name the same window: the first that admits the organisation
    assert {sites[pk]: None if i < 0 else fields[i] for pk, i in by_query.items()} == by_check
    assert by_check["federal"] == ""  # from publication on
    assert by_check["accredited"] == "social_economy_opens_at"
    assert by_check["accredited until today"] == (
        "social_economy_opens_at" if on == 0 else "open_opens_at"
    )
    assert by_check["public"] == by_check["nonprofit"] == "open_opens_at"
    assert by_check["unverified federal"] is None


@pytest.fixture
def lots(organisations):
    """A lot in each window, a draft, a reserved lot and a lot of the federal service."""
    now = timezone.now()
    owner = OrganisationFactory(kind="federal")

    def published(ago: int, **kwargs) -> Lot:
        return LotFactory(owner=owner, published=True, published_at=now - days(ago), **kwargs)

    lots = {
        "federal window": published(1),
        "social-economy window": published(12),
        "open window": published(25),
        "draft": LotFactory(owner=owner),
        "reserved": published(25),
        "the federal service's own": LotFactory(
            site=SiteFactory(organisation=organisations["federal"]),
            published=True,
            published_at=now - days(25),
        ),
    }
    Lot.objects.filter(pk=lots["reserved"].pk).update(
        status=LotStatus.RESERVED, quantity_reserved=10
    )
    return {name: Lot.objects.get(pk=lot.pk) for name, lot in lots.items()}


OPEN = {"open window", "the federal service's own"}  # published 25 days ago
CLAIMABLE = {
    "federal": {"federal window", "social-economy window", "open window"},
    "accredited": {"social-economy window", *OPEN},
    "accredited until today": {"social-economy window", *OPEN},
    "accreditation expired": OPEN,
    "no accreditation": OPEN,
    "public": OPEN,
    "nonprofit": OPEN,
    "unverified federal": set(),
}


@pytest.mark.parametrize("name", CLAIMABLE)
def test_which_lots_an_organisation_may_claim_now_by_check_and_by_query(organisations, lots, name):
    organisation = organisations[name]
    now = timezone.now()
    by_check = {
        lot_name for lot_name, lot in lots.items() if organisation_may_claim(organisation, lot, now)
    }
    ids = set(Lot.objects.filter(claimable_lots(organisation, now)).values_list("pk", flat=True))
    by_query = {lot_name for lot_name, lot in lots.items() if lot.pk in ids}
    assert by_check == by_query == CLAIMABLE[name]


def test_the_windows_open_one_after_the_other(lots, settings):
    lot = lots["social-economy window"]
    published = lot.published_at
    assert lot.social_economy_opens_at == published + days(settings.EXCHANGE_FEDERAL_WINDOW_DAYS)
    assert lot.open_opens_at == lot.social_economy_opens_at + days(
        settings.EXCHANGE_SOCIAL_ECONOMY_WINDOW_DAYS
    )
    second = datetime.timedelta(seconds=1)
    assert lot.tier_at(lot.social_economy_opens_at - second) == Tier.FEDERAL
    assert lot.tier_at(lot.social_economy_opens_at) == Tier.SOCIAL_ECONOMY
    assert lot.tier_at(lot.open_opens_at) == Tier.OPEN
    windows = claim_windows(lot)
    assert [(w["tier"], w["opens"], w["current"]) for w in windows] == [
        (Tier.FEDERAL, published, False),
        (Tier.SOCIAL_ECONOMY, lot.social_economy_opens_at, True),
        (Tier.OPEN, lot.open_opens_at, False),
    ]
    assert [str(w["who"]) for w in windows] == [
        "verified federal services",
        "federal services and social-economy enterprises with a valid accreditation",
        "every verified organisation",
    ]
    assert claim_windows(lots["draft"]) == []
