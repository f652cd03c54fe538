"""The open data for portals: a CSV distribution with stable column names, and a DCAT-AP
description at a stable URL that validates against the DCAT-AP shapes (SHACL, with
pyshacl) and whose CSV distribution downloads."""

import csv
import io
import json
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pyshacl import validate
from rdflib import Graph

from tests.support.impact_history import PREV, YEAR, impact_history

pytestmark = pytest.mark.django_db

SHAPES = Path(__file__).resolve().parent.parent / "support" / "dcat_ap_shapes.ttl"
# The CSV's header is a contract with whoever harvests it: these names never change.
COLUMNS = [
    "year",
    "region",
    "region_name",
    "category",
    "category_name",
    "outcome",
    "items",
    "weight_kg",
    "reused_weight_kg",
    "co2e_avoided_kg",
    "replacement_value_eur",
    "diversion_rate",
]


@pytest.fixture
def history(categories):
    return impact_history()


def test_the_open_data_csv_gives_the_apis_rows_under_stable_names(client, history):
    response = client.get("/open-data/reuse-exchange.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "public" in response["Cache-Control"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))
    assert list(rows[0]) == COLUMNS
    api = client.get("/api/v1/open-data/").json()["rows"]
    assert len(rows) == len(api)
    for row, expected in zip(rows, api, strict=True):
        assert (int(row["year"]), row["region"], row["category"], row["outcome"]) == (
            expected["year"],
            expected["region"],
            expected["category_code"],
            expected["outcome"],
        )
        # full precision, a decimal point
        assert Decimal(row["weight_kg"]) == Decimal(str(expected["weight_kg"]))
        assert Decimal(row["co2e_avoided_kg"]) == Decimal(str(expected["co2e_avoided_kg"]))
    names = {row["region"]: row["region_name"] for row in rows}
    assert names == {"BRU": "Brussels-Capital", "VLG": "Flanders", "WAL": "Wallonia"}
    # no organisation is named
    body = response.content.decode()
    assert not any(name in body for name in ("FPS Alpha", "Kringwinkel", "Gemeente Gent"))
    # one year
    one = client.get("/open-data/reuse-exchange.csv", {"year": PREV}).content.decode()
    assert {row["year"] for row in csv.DictReader(io.StringIO(one))} == {str(PREV)}


def test_the_dcat_ap_description_validates_and_its_csv_downloads(client, history):
    response = client.get("/open-data/dcat.jsonld")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/ld+json")
    description = response.content.decode()
    graph = Graph().parse(data=description, format="json-ld")
    conforms, _graph, report = validate(graph, shacl_graph=str(SHAPES), inference="none")
    assert conforms, report
    body = json.loads(description)
    dataset = body["dcat:dataset"][0]
    assert dataset["dct:license"]["@id"] == "http://creativecommons.org/publicdomain/zero/1.0/"
    assert {t["@language"] for t in dataset["dct:title"]} == {"nl", "fr", "de", "en"}
    assert dataset["dct:temporal"]["dcat:startDate"]["@value"] == f"{PREV}-01-01"
    assert dataset["dct:temporal"]["dcat:endDate"]["@value"] == f"{YEAR}-12-31"
    assert dataset["dct:spatial"]["@id"].endswith("/country/BEL")
    # the CSV distribution downloads
    distribution = next(
        d for d in dataset["dcat:distribution"] if d["dct:format"]["@id"].endswith("/CSV")
    )
    download = client.get(urlsplit(distribution["dcat:downloadURL"]["@id"]).path)
    assert download.status_code == 200
    assert download.content.decode().splitlines()[0] == ",".join(COLUMNS)


def test_the_shapes_refuse_a_distribution_without_a_format(client, history):
    body = json.loads(client.get("/open-data/dcat.jsonld").content)
    del body["dcat:dataset"][0]["dcat:distribution"][0]["dct:format"]
    graph = Graph().parse(data=json.dumps(body), format="json-ld")
    conforms, _graph, report = validate(graph, shacl_graph=str(SHAPES), inference="none")
    assert not conforms
    assert "format" in report


def test_the_open_data_page_links_the_csv_and_its_description(client, history):
    body = client.get("/open-data/").content.decode()
    assert 'href="/open-data/reuse-exchange.csv"' in body
    assert 'href="/open-data/dcat.jsonld"' in body
