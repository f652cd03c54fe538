import datetime
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from openpyxl import load_workbook

from exchange.categories.models import Category
from exchange.claims.services import claim_approve, claim_collect, claim_create
from exchange.impact.models import ImpactRecord
from exchange.impact.services.records import impact_record_for_claim, impact_record_for_lot_close
from exchange.lots.models import Lot
from exchange.lots.services.closing import lot_close
from tests.factories import LotFactory, MembershipFactory, OrganisationFactory, SiteFactory

pytestmark = pytest.mark.django_db

YEAR = datetime.date.today().year


@pytest.fixture
def history(fed_admin, categories):
    """Two handovers and a recycled remainder, written through the services."""
    site = SiteFactory(organisation=fed_admin.organisation)
    federal = MembershipFactory(
        organisation=OrganisationFactory(kind="federal", name="FPS Beta"), role="member"
    )
    social = MembershipFactory(
        organisation=OrganisationFactory(social_economy=True, name="Kringwinkel"), role="member"
    )
    chairs = LotFactory(site=site, quantity=10, published=True)  # office chairs
    desks = LotFactory(
        site=site, quantity=6, published=True, category=Category.objects.get(code="desk")
    )
    first = claim_approve(
        actor=fed_admin, claim=claim_create(actor=federal, lot=chairs, quantity=4)
    )
    claim_collect(actor=fed_admin, claim=first, quantity=4)
    Lot.objects.filter(pk=desks.pk).update(social_economy_opens_at=desks.published_at)
    desks.refresh_from_db()
    second = claim_approve(actor=fed_admin, claim=claim_create(actor=social, lot=desks, quantity=2))
    claim_collect(actor=fed_admin, claim=second, quantity=2, weight_kg=Decimal("71"))
    for claim in (first, second):
        impact_record_for_claim(claim_id=claim.pk)
    Lot.objects.filter(pk=desks.pk).update(status="expired")
    lot_close(actor=fed_admin, lot=desks, outcome="recycled")
    impact_record_for_lot_close(lot_id=desks.pk)
    return {"owner": fed_admin, "federal": federal, "social": social}


def independent_totals(records) -> dict:
    reused = {"reused_federal", "reused_social_economy", "reused_other", "sold"}
    weight = sum(r.weight_kg for r in records)
    return {
        "items": sum(r.quantity for r in records),
        "weight_kg": weight,
        "co2e_avoided_kg": sum(r.co2e_avoided_kg for r in records),
        "replacement_value_eur": sum(r.replacement_value_eur for r in records),
        "diversion_rate": round(
            float(sum(r.weight_kg for r in records if r.outcome in reused) / weight), 4
        ),
    }


def test_the_summary_matches_the_records_and_the_factor_file(client_for, history):
    analyst = history["federal"].user
    analyst.groups.add(Group.objects.get_or_create(name="analyst")[0])
    body = client_for(analyst).get("/api/v1/stats/summary/", {"year": YEAR}).json()
    totals = body["totals"]
    expected = independent_totals(list(ImpactRecord.objects.all()))
    assert totals["items"] == expected["items"] == 4 + 2 + 4
    # chairs: 4 x 11.9 kg; desks: 71 kg measured; recycled desks: 4 x 35 kg
    assert Decimal(str(totals["weight_kg"])) == expected["weight_kg"] == Decimal("258.6")
    # chairs 4 x 35; desks 2 x 35; recycling: no factor yet
    assert Decimal(str(totals["co2e_avoided_kg"])) == expected["co2e_avoided_kg"] == Decimal("210")
    assert (
        Decimal(str(totals["replacement_value_eur"]))
        == expected["replacement_value_eur"]
        == Decimal("1820")
    )
    assert totals["diversion_rate"] == expected["diversion_rate"] == round(118.6 / 258.6, 4)
    outcomes = {row["key"]: row for row in body["breakdowns"]["outcome"]}
    assert set(outcomes) == {"reused_federal", "reused_social_economy", "recycled"}
    assert outcomes["recycled"]["diversion_rate"] == 0
    kinds = {row["key"] for row in body["breakdowns"]["recipient_kind"]}
    # every outcome without a recipient is its own row: recycling is not a kind of recipient
    assert kinds == {"federal", "social_economy", "recycled"}
    roots = {row["key"]: row["items"] for row in body["breakdowns"]["root_category"]}
    assert roots == {"furniture": 10}


def test_members_see_their_own_organisation_only(client_for, history):
    social = client_for(history["social"].user)
    body = social.get("/api/v1/stats/summary/").json()
    assert body["totals"]["items"] == 2  # what it received
    owner = client_for(history["owner"].user).get("/api/v1/stats/summary/").json()
    assert owner["totals"]["items"] == 10  # everything it gave
    response = social.get("/api/v1/stats/summary/", {"donor": history["owner"].organisation_id})
    assert response.status_code == 403
    assert (
        client_for(history["owner"].user)
        .get("/api/v1/stats/summary/", {"donor": history["owner"].organisation_id})
        .json()["totals"]["items"]
        == 10
    )


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"colour": "red"}, "colour"),
        ({"year": 1800}, "year"),
        ({"region": "PAR"}, "region"),
        ({"interval": "week"}, "interval"),
        ({"category": "spaceships"}, "category"),
    ],
)
def test_bad_filters_get_400(client_for, history, params, field):
    response = client_for(history["owner"].user).get("/api/v1/stats/timeseries/", params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_anonymous_readers_get_open_data_only(api_client, history):
    assert api_client.get("/api/v1/stats/summary/").status_code == 401
    assert api_client.get(f"/api/v1/reports/annual/{YEAR}/").status_code == 401
    response = api_client.get("/api/v1/open-data/")
    assert response.status_code == 200
    assert "public" in response["Cache-Control"]
    rows = response.json()["rows"]
    assert sum(row["items"] for row in rows) == 10
    text = response.content.decode()
    assert "FPS" not in text and "Kringwinkel" not in text
    assert set(rows[0]) >= {"year", "region", "category_code", "outcome", "items", "weight_kg"}


def test_the_timeseries_by_month(client_for, history):
    body = (
        client_for(history["owner"].user)
        .get("/api/v1/stats/timeseries/", {"interval": "month"})
        .json()
    )
    assert len(body["series"]) == 1
    assert body["series"][0]["items"] == 10


def test_the_annual_report_in_three_formats_and_the_reader_language(client_for, history):
    client = client_for(history["owner"].user)
    csv_response = client.get(
        f"/api/v1/reports/annual/{YEAR}/", {"format": "csv", "language": "nl"}
    )
    assert csv_response.status_code == 200
    lines = csv_response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Uitsplitsing") or "Gewicht" in lines[0]
    assert lines[1].split(";")[2] == "10"  # Dutch: the semicolon variant
    xlsx = client.get(f"/api/v1/reports/annual/{YEAR}/", {"format": "xlsx", "language": "fr"})
    workbook = load_workbook(io.BytesIO(xlsx.content))
    summary = workbook.worksheets[1]
    assert isinstance(summary["B2"].value, int | float)
    assert len(workbook.sheetnames) >= 8
    pdf = client.get(f"/api/v1/reports/annual/{YEAR}/", {"format": "pdf", "language": "de"})
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert client.get(f"/api/v1/reports/annual/{YEAR}/", {"format": "doc"}).status_code == 400
    assert client.get("/api/v1/reports/annual/1700/").status_code == 400
    # a member's report counts its own organisation only
    social = client_for(history["social"].user)
    lines = (
        social.get(f"/api/v1/reports/annual/{YEAR}/", {"format": "csv"})
        .content.decode("utf-8-sig")
        .splitlines()
    )
    assert lines[1].split(",")[2] == "2"


def test_a_new_factor_version_changes_new_records_not_old_reports(client_for, history, moderator):
    from exchange.categories.models import CategoryFactor, FactorVersion
    from exchange.categories.services import factor_version_copy, factor_version_publish

    client = client_for(history["owner"].user)
    before = client.get(f"/api/v1/reports/annual/{YEAR}/", {"format": "csv"}).content
    current = FactorVersion.objects.get(is_current=True)
    draft = factor_version_copy(user=moderator, source=current, version="2027.1")
    CategoryFactor.objects.filter(version=draft, category__code="office-chair").update(
        co2e_avoided_per_unit_kg=Decimal("50")
    )
    factor_version_publish(user=moderator, version=draft)
    # old records keep their version: the report is unchanged
    assert client.get(f"/api/v1/reports/annual/{YEAR}/", {"format": "csv"}).content == before
    assert set(ImpactRecord.objects.values_list("factor_version__version", flat=True)) == {"2026.1"}
    # on request, the figures recomputed with the new version: 4 chairs x 50 + 2 desks x 35
    response = client.get(f"/api/v1/reports/annual/{YEAR}/", {"format": "csv", "factors": "2027.1"})
    total = response.content.decode("utf-8-sig").splitlines()[1].split(",")
    assert Decimal(total[4]) == Decimal("270.00")
    assert client.get(f"/api/v1/reports/annual/{YEAR}/", {"factors": "1999.9"}).status_code == 400


def test_a_large_year_is_built_by_a_task_with_a_link_when_ready(
    client_for, history, settings, django_capture_on_commit_callbacks
):
    from exchange.impact.services.reports import report_job_run

    settings.EXCHANGE_REPORT_SYNC_LIMIT = 0  # every year counts as large here
    client = client_for(history["social"].user)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.get(f"/api/v1/reports/annual/{YEAR}/", {"format": "xlsx"})
    assert response.status_code == 202
    job = response.json()
    assert response["Location"] == job["url"]
    assert (job["status"], job["download_url"]) == ("pending", None)
    assert len(callbacks) == 1  # the task is enqueued after commit
    assert client.get(f"/api/v1/reports/jobs/{job['id']}/download/").status_code == 404
    assert report_job_run(job_id=job["id"]) is True  # what the worker does
    assert report_job_run(job_id=job["id"]) is False  # once
    ready = client.get(job["url"]).json()
    assert ready["status"] == "ready"
    download = client.get(ready["download_url"])
    workbook = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert workbook["Headline figures"]["B2"].value == 2  # the member's own scope: 2 received
    other = client_for(history["owner"].user)
    assert other.get(job["url"]).status_code == 404
    assert other.get(ready["download_url"]).status_code == 404
