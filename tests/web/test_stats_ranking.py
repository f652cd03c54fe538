"""The dashboard's ranking of donors and recipients, and each headline figure's change
against the year before."""

import io

import pytest
from openpyxl import load_workbook

from tests.support.impact_history import PREV, YEAR, impact_history
from tests.web.test_stats_pages import page

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(categories):
    return impact_history()


def rows(document, table_id: str) -> list[list[str]]:
    table = document.find("table", id=table_id)
    return [
        [cell.text() for cell in row.children if getattr(cell, "tag", None) in ("td", "th")]
        for row in table.find("tbody").find_all("tr")
    ]


def test_analysts_see_the_donors_and_recipients_ranked_by_weight(client, history):
    client.force_login(history.analyst)
    document = page(client.get("/stats/", {"year": YEAR}))
    # FPS Alpha gave 348.6 kg this year, FPS Gamma 9 kg
    assert rows(document, "chart-donors-table") == [
        ["1", "FPS Alpha", "13", "349", "360", "2,480"],
        ["2", "FPS Gamma", "5", "9", "275", "4,500"],
    ]
    recipients = rows(document, "chart-recipients-table")
    assert [row[:2] for row in recipients] == [
        ["1", "Gemeente Gent"],
        ["2", "Kringwinkel"],
        ["3", "FPS Beta"],
    ]
    # each ranking has its chart, every name whole
    chart = document.find("svg", id="chart-donors")
    assert "FPS Alpha" in chart.text() and "FPS Gamma" in chart.text()


def test_members_see_their_own_organisation_and_no_other(client, history):
    alpha = history.members["alpha"]
    client.force_login(alpha.user)
    document = page(client.get("/stats/", {"year": YEAR}))
    assert rows(document, "chart-donors-table") == [["FPS Alpha", "13", "349", "360", "2,480"]]
    assert rows(document, "chart-recipients-table") == [["No records."]]
    ranking = document.find("section", **{"aria-labelledby": "ranking-heading"}).text()
    for other in ("Gemeente Gent", "Kringwinkel", "FPS Beta", "FPS Gamma"):
        assert other not in ranking
    assert document.find("svg", id="chart-donors") is None


def test_each_headline_figure_shows_its_change_against_the_year_before(client, history):
    client.force_login(history.analyst)
    document = page(client.get("/stats/", {"year": YEAR}))
    # items: 18 this year, 25 the year before; the rate: 60.9 % against 81.1 %
    items = document.find(id="figure-items").parent.text()
    assert f"-28.0% against {PREV}" in items
    rate = document.find(id="figure-rate").parent.text()
    assert f"-20.2 points against {PREV}" in rate
    # a year without a year before says nothing of a change
    first = page(client.get("/stats/", {"year": PREV}))
    assert "against" not in first.find(id="figure-items").parent.text()


def test_an_analyst_looking_at_one_organisation_gets_its_report(client, history):
    alpha = history.organisations["alpha"]
    client.force_login(history.analyst)
    document = page(client.get("/stats/", {"year": YEAR, "donor": alpha.pk}))
    links = [
        a.attrs["href"]
        for a in document.find_all("a")
        if "organisation=" in a.attrs.get("href", "")
    ]
    assert links == [
        f"/stats/report/{YEAR}.{f}?organisation={alpha.pk}" for f in ("pdf", "xlsx", "csv")
    ]
    response = client.get(links[1])
    assert response.status_code == 200
    assert "FPS Alpha" in load_workbook(io.BytesIO(response.content)).worksheets[0]["A1"].value
