"""The dashboard's filters and the open-data page's year count exactly the records
they name, as the API does."""

import pytest
from django.template.defaultfilters import floatformat

from exchange.impact.models import ImpactRecord
from exchange.organisations.models import Organisation
from tests.support.impact_history import (
    CASES,
    PREV,
    YEAR,
    filter_cases,
    impact_history,
    records_sums,
)
from tests.web.test_stats_pages import Node, figure, page

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(categories):
    return impact_history()


def whole(value) -> str:
    """A figure as the page writes it in English: whole units, grouped by thousands."""
    return floatformat(value, "0g")


@pytest.mark.parametrize("case", CASES)
def test_each_dashboard_filter_counts_exactly_the_records_it_names(client, history, case):
    params, lookup = filter_cases(history)[case]
    records = ImpactRecord.objects.filter(**lookup)
    client.force_login(history.analyst)
    # the page shows the current year unless told otherwise: "all years" is an empty year
    document = page(client.get("/stats/", {"year": "", **params}))
    sums = records_sums(records)
    assert figure(document, "items") == whole(sums["items"])
    assert figure(document, "diverted") == whole(sums["reused_weight_kg"])
    assert figure(document, "co2e") == whole(sums["co2e_avoided_kg"])
    assert figure(document, "value") == whole(sums["replacement_value_eur"])


def test_a_member_sees_only_their_organisation_whatever_the_address_says(client, history):
    beta = history.members["beta"]
    client.force_login(beta.user)
    own = ImpactRecord.objects.filter(donor=beta.organisation) | ImpactRecord.objects.filter(
        recipient=beta.organisation
    )
    for params in ({"year": ""}, {"year": "", "donor": history.organisations["alpha"].pk}):
        document = page(client.get("/stats/", params))
        assert figure(document, "items") == whole(records_sums(own)["items"])
        assert document.find("select", name="donor") is None
    given = page(client.get("/stats/", {"year": "", "side": "given"}))
    assert figure(given, "items") == whole(
        records_sums(ImpactRecord.objects.filter(donor=beta.organisation))["items"]
    )


# --- The open-data page ---------------------------------------------------------------


def table_rows(document: Node, table_id: str) -> dict[str, list[str]]:
    table = document.find("table", id=table_id)
    return {
        row.find("th").text(): [cell.text() for cell in row.find_all("td")]
        for row in table.find("tbody").find_all("tr")
    }


def region_items(records) -> dict[str, str]:
    names = {"BRU": "Brussels-Capital", "VLG": "Flanders", "WAL": "Wallonia"}
    return {
        names[region]: whole(records_sums(records.filter(region=region))["items"])
        for region in set(records.values_list("region", flat=True))
    }


def test_the_open_data_page_follows_its_year(client, history):
    # all years
    everything = page(client.get("/open-data/"))
    assert {k: v[0] for k, v in table_rows(everything, "open-regions").items()} == region_items(
        ImpactRecord.objects.all()
    )
    years = table_rows(everything, "open-years")
    assert set(years) == {str(PREV), str(YEAR)}
    # one year: the region and category tables count that year only, the years table all
    for year in (PREV, YEAR):
        document = page(client.get("/open-data/", {"year": year}))
        records = ImpactRecord.objects.filter(occurred_on__year=year)
        regions = {k: v[0] for k, v in table_rows(document, "open-regions").items()}
        assert regions == region_items(records)
        categories = table_rows(document, "open-categories")
        assert sum(int(cells[0]) for cells in categories.values()) == records_sums(records)["items"]
        assert len(categories) == records.values("category").distinct().count()
        assert table_rows(document, "open-years") == years
        assert f"By region in {year}" in document.text()
    # a year without records, or nonsense, shows all years
    for year in ("2001", "nonsense"):
        document = page(client.get("/open-data/", {"year": year}))
        assert {k: v[0] for k, v in table_rows(document, "open-regions").items()} == region_items(
            ImpactRecord.objects.all()
        )


def test_the_open_data_page_names_no_organisation_and_groups_categories(client, history):
    document = page(client.get("/open-data/", {"year": PREV}))
    text = document.text()
    for name in Organisation.objects.values_list("name", flat=True):
        assert name not in text
    categories = table_rows(document, "open-categories")
    assert list(categories) == [  # in the order of the tree, each under its group
        "Furniture › Office chair",
        "IT equipment › Laptop",
        "IT equipment › Monitor",
        "IT equipment › Printer",
    ]
