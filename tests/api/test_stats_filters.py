"""Every filter of the statistics API narrows the figures to exactly the records it
names, whichever source answers (monthly totals for whole months of every
organisation, the records otherwise); who may read what; the open data's year."""

import pytest

from exchange.impact.models import ImpactRecord
from tests.support.impact_history import (
    CASES,
    PREV,
    YEAR,
    figures,
    filter_cases,
    impact_history,
    of_organisation,
    records_sums,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(categories):
    return impact_history()


@pytest.mark.parametrize("case", CASES)
def test_each_filter_counts_exactly_the_records_it_names(client_for, history, case):
    # given a filter and the records it names
    params, lookup = filter_cases(history)[case]
    records = ImpactRecord.objects.filter(**lookup)
    assert 0 < records.count() < ImpactRecord.objects.count()  # it narrows, to something
    client = client_for(history.analyst)
    # when an analyst asks for the summary and the series
    summary = client.get("/api/v1/stats/summary/", params)
    series = client.get("/api/v1/stats/timeseries/", {**params, "interval": "year"})
    # then both count those records and nothing else
    assert summary.status_code == 200, summary.json()
    assert figures(summary.json()["totals"]) == records_sums(records)
    outcomes = summary.json()["breakdowns"]["outcome"]
    assert {row["key"] for row in outcomes} == set(records.values_list("outcome", flat=True))
    by_year = {row["period"][:4]: row for row in series.json()["series"]}
    for year in {r.occurred_on.year for r in records}:
        assert figures(by_year[str(year)]) == records_sums(records.filter(occurred_on__year=year))


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"colour": "red"}, "colour"),
        ({"organisation": 1}, "organisation"),
        ({"year": "next"}, "year"),
        ({"year": 1999}, "year"),
        ({"date_from": "31/12/2025"}, "date_from"),
        ({"date_from": f"{YEAR}-05-01", "date_to": f"{YEAR}-04-30"}, "date_to"),
        ({"donor": 999999}, "donor"),
        ({"organisation_kind": "company"}, "organisation_kind"),
        ({"category": "spaceships"}, "category"),
        ({"region": "PAR"}, "region"),
        ({"outcome": "burnt"}, "outcome"),
    ],
)
def test_unknown_filters_and_bad_values_get_400_naming_the_field(
    client_for, history, params, field
):
    response = client_for(history.analyst).get("/api/v1/stats/summary/", params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_the_summary_refuses_the_interval_that_only_the_series_takes(client_for, history):
    client = client_for(history.analyst)
    assert client.get("/api/v1/stats/summary/", {"interval": "year"}).status_code == 400
    assert client.get("/api/v1/stats/timeseries/", {"interval": "year"}).status_code == 200


# --- Who reads what -----------------------------------------------------------------


def test_a_member_reads_their_organisation_as_donor_and_recipient(client_for, history):
    beta = history.members["beta"]
    body = client_for(beta.user).get("/api/v1/stats/summary/").json()
    own = ImpactRecord.objects.filter(of_organisation(beta.organisation))
    assert {r.donor_id for r in own} > {beta.organisation_id}  # given and received
    assert figures(body["totals"]) == records_sums(own)
    assert {row["key"] for row in body["breakdowns"]["donor"]} == {
        "FPS Alpha",
        "FPS Beta",
        "FPS Gamma",
    }
    # naming oneself narrows to one side
    given = client_for(beta.user).get("/api/v1/stats/summary/", {"donor": beta.organisation_id})
    assert figures(given.json()["totals"]) == records_sums(own.filter(donor=beta.organisation))


@pytest.mark.parametrize("side", ["donor", "recipient"])
def test_a_member_naming_another_organisation_gets_403(client_for, history, side):
    beta = history.members["beta"]
    other = history.organisations["alpha"]
    for path in ("/api/v1/stats/summary/", "/api/v1/stats/timeseries/"):
        response = client_for(beta.user).get(path, {side: other.pk})
        assert response.status_code == 403
        assert response.json()["code"] == "not_your_organisation"
        assert side in response.json()["errors"]


def test_an_analyst_reads_every_organisation_and_names_any(client_for, history):
    client = client_for(history.analyst)
    body = client.get("/api/v1/stats/summary/").json()
    assert figures(body["totals"]) == records_sums(ImpactRecord.objects.all())
    alpha = history.organisations["alpha"]
    named = client.get("/api/v1/stats/summary/", {"donor": alpha.pk}).json()
    assert figures(named["totals"]) == records_sums(ImpactRecord.objects.filter(donor=alpha))


def test_people_of_no_organisation_and_strangers_get_403(client_for, history):
    from tests.factories import UserFactory

    loner = client_for(UserFactory())
    response = loner.get("/api/v1/stats/summary/")
    assert (response.status_code, response.json()["code"]) == (403, "no_organisation")
    assert loner.get("/api/v1/stats/timeseries/").status_code == 403
    # acting for an organisation one is not a member of
    beta = history.members["beta"]
    stranger = client_for(beta.user, organisation=history.organisations["gamma"])
    assert stranger.get("/api/v1/stats/summary/").status_code == 403


# --- Open data ----------------------------------------------------------------------


def test_the_open_data_of_one_year_or_all(api_client, history):
    every = api_client.get("/api/v1/open-data/").json()["rows"]
    assert {row["year"] for row in every} == {PREV, YEAR}
    assert sum(row["items"] for row in every) == records_sums(ImpactRecord.objects.all())["items"]
    one = api_client.get("/api/v1/open-data/", {"year": PREV}).json()["rows"]
    assert one == [row for row in every if row["year"] == PREV]
    records = ImpactRecord.objects.filter(occurred_on__year=PREV)
    assert sum(row["items"] for row in one) == records_sums(records)["items"]
    assert api_client.get("/api/v1/open-data/", {"year": "last"}).status_code == 400
    response = api_client.get("/api/v1/open-data/", {"region": "BRU"})
    assert (response.status_code, response.json()["code"]) == (400, "unknown_filter")
