"""The statistics pages: the dashboard (figures within what the reader may see, filters,
charts each with its data table), the annual report downloads and the open-data page."""

import csv
import datetime
import io
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.template.defaultfilters import floatformat
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from openpyxl import load_workbook

from exchange.categories.models import Category
from exchange.claims.services import claim_approve, claim_collect, claim_create
from exchange.impact.models import REUSE_OUTCOMES, ImpactRecord
from exchange.impact.services.records import impact_record_for_claim, impact_record_for_lot_close
from exchange.impact.services.totals import impact_totals_rebuild
from exchange.lots.models import Lot
from exchange.lots.services.closing import lot_close
from exchange.organisations.models import Organisation
from tests.factories import (
    LotFactory,
    MembershipFactory,
    OrganisationFactory,
    SiteFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year


# --- A small HTML reader (the standard library's parser, as a tree) ----------------

VOID = {"input", "br", "meta", "link", "img", "hr", "source", "col", "wbr", "area"}


class Node:
    def __init__(self, tag: str, attrs: dict, parent=None):
        self.tag, self.attrs, self.parent, self.children = tag, attrs, parent, []

    def find_all(self, tag: str | None = None, **attrs) -> list["Node"]:
        found = []
        for child in self.children:
            if isinstance(child, Node):
                if (tag is None or child.tag == tag) and all(
                    child.attrs.get(k.rstrip("_")) == v for k, v in attrs.items()
                ):
                    found.append(child)
                found.extend(child.find_all(tag, **attrs))
        return found

    def find(self, tag: str | None = None, **attrs) -> "Node | None":
        nodes = self.find_all(tag, **attrs)
        return nodes[0] if nodes else None

    def text(self) -> str:
        return " ".join(
            " ".join((c.text() if isinstance(c, Node) else c).split()) for c in self.children
        ).strip()


class TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.current = Node("document", {})

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs), self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Node(tag, dict(attrs), self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        if data.strip():
            self.current.children.append(data)


def page(response) -> Node:
    assert response.status_code == 200, response.status_code
    builder = TreeBuilder()
    builder.feed(response.content.decode())
    return builder.root


def figure(document: Node, name: str) -> str:
    return document.find(id=f"figure-{name}").text()


# --- Data, written through the services ----------------------------------------


@pytest.fixture
def analyst(db):
    user = UserFactory(username="analyst-anna")
    user.groups.add(Group.objects.get_or_create(name="analyst")[0])
    return user


def handover(owner, claimant, lot, quantity, weight_kg=None):
    claim = claim_approve(
        actor=owner, claim=claim_create(actor=claimant, lot=lot, quantity=quantity)
    )
    claim_collect(actor=owner, claim=claim, quantity=quantity, weight_kg=weight_kg)
    return impact_record_for_claim(claim_id=claim.pk)


@pytest.fixture
def history(fed_admin, categories):
    """FPS Alpha gives chairs to FPS Beta and desks to Kringwinkel, and recycles the rest
    of the desks; FPS Gamma, elsewhere, gives chairs to FPS Beta."""
    site = SiteFactory(organisation=fed_admin.organisation)
    federal = MembershipFactory(
        organisation=OrganisationFactory(kind="federal", name="FPS Beta"), role="member"
    )
    social = MembershipFactory(
        organisation=OrganisationFactory(social_economy=True, name="Kringwinkel Noord"),
        role="member",
    )
    chairs = LotFactory(site=site, quantity=10, published=True)
    desks = LotFactory(
        site=site, quantity=6, published=True, category=Category.objects.get(code="desk")
    )
    handover(fed_admin, federal, chairs, 4)
    Lot.objects.filter(pk=desks.pk).update(social_economy_opens_at=desks.published_at)
    desks.refresh_from_db()
    handover(fed_admin, social, desks, 2, weight_kg=Decimal("71"))
    Lot.objects.filter(pk=desks.pk).update(status="expired")
    lot_close(actor=fed_admin, lot=desks, outcome="recycled")
    impact_record_for_lot_close(lot_id=desks.pk)
    # elsewhere: another donor in Wallonia
    other = MembershipFactory(
        organisation=OrganisationFactory(kind="federal", name="FPS Gamma", region="WAL"),
        role="admin",
    )
    namur = SiteFactory(organisation=other.organisation, region="WAL", municipality="Namur")
    handover(other, federal, LotFactory(site=namur, quantity=5, published=True), 5)
    return {"owner": fed_admin, "federal": federal, "social": social, "other": other}


def signed_in(client, user):
    client.force_login(user)
    return client


def expected(records) -> dict:
    """The headline figures, computed here from the records, as the page shows them."""
    records = list(records)
    weight = sum((r.weight_kg for r in records), Decimal(0))
    reused = sum((r.weight_kg for r in records if r.outcome in REUSE_OUTCOMES), Decimal(0))
    return {
        "items": floatformat(sum(r.quantity for r in records), "0g"),
        "diverted": floatformat(reused, "0g"),
        "co2e": floatformat(sum(r.co2e_avoided_kg for r in records), "0g"),
        "value": floatformat(sum(r.replacement_value_eur for r in records), "0g"),
        "rate": f"{floatformat(float(reused / weight) * 100, 1)}%" if weight else "–",
    }


def headline(document: Node) -> dict:
    return {name: figure(document, name) for name in ("items", "diverted", "co2e", "value", "rate")}


# --- Who sees what ---------------------------------------------------------------


def test_an_analyst_sees_the_totals_of_every_organisation(client, analyst, history):
    document = page(signed_in(client, analyst).get("/stats/"))
    records = ImpactRecord.objects.all()
    assert records.count() == 4
    assert headline(document) == expected(records)
    assert figure(document, "items") == "15"  # 4 + 2 + 4 recycled + 5
    # 4 chairs x 11.9 + 71 kg measured + 5 x 11.9 reused of 4 x 35 recycled more
    assert figure(document, "diverted") == floatformat(Decimal("178.1"), "0g") == "178"
    assert document.find("select", name="donor") is not None
    assert document.find("select", name="recipient") is not None


def test_a_member_sees_only_their_own_organisation(client, history):
    owner = history["owner"]
    document = page(signed_in(client, owner.user).get("/stats/"))
    own = ImpactRecord.objects.filter(donor=owner.organisation)
    assert headline(document) == expected(own)
    assert figure(document, "items") == "10"
    assert document.find("select", name="donor") is None  # no other organisation to pick
    # a donor in the address changes nothing: the page reads one's own figures only
    sneaky = page(client.get("/stats/", {"donor": history["other"].organisation_id}))
    assert figure(sneaky, "items") == "10"
    assert "FPS Gamma" not in sneaky.text()
    # the recipient sees what it received
    client.force_login(history["federal"].user)
    received = page(client.get("/stats/"))
    assert headline(received) == expected(
        ImpactRecord.objects.filter(recipient=history["federal"].organisation)
    )
    assert figure(received, "items") == "9"  # 4 chairs from Alpha, 5 from Gamma


def test_people_without_an_organisation_get_a_clear_refusal(client, history):
    assert client.get("/stats/").status_code == 302  # to the login page
    loner = UserFactory()
    response = signed_in(client, loner).get("/stats/")
    assert response.status_code == 403
    assert b"Statistics are for members of an organisation and for analysts" in response.content
    refused = client.get(f"/stats/report/{YEAR}.pdf")  # as the API: 403
    assert refused.status_code == 403
    assert b"Statistics are for members of an organisation and for analysts" in refused.content


def test_the_statistics_link_shows_for_members_and_analysts(client, analyst, history):
    assert b'href="/stats/"' not in client.get("/").content
    assert b'href="/stats/"' in signed_in(client, analyst).get("/").content
    assert b'href="/stats/"' in signed_in(client, history["social"].user).get("/").content


# --- Filters ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "lookup"),
    [
        ({"outcome": "recycled"}, {"outcome": "recycled"}),
        ({"category": "desk"}, {"category__code": "desk"}),
        ({"category": "office-chair"}, {"category__code": "office-chair"}),
        ({"region": "WAL"}, {"region": "WAL"}),
        ({"organisation_kind": "social_economy"}, {"recipient__kind": "social_economy"}),
        (
            {"organisation_kind": "federal", "region": "BRU"},
            {"recipient__kind": "federal", "region": "BRU"},
        ),
    ],
)
def test_the_filters_narrow_the_figures(client, analyst, history, params, lookup):
    document = page(signed_in(client, analyst).get("/stats/", {"year": YEAR, **params}))
    records = ImpactRecord.objects.filter(**lookup)
    assert 0 < records.count() < ImpactRecord.objects.count()
    assert headline(document) == expected(records)


def test_analysts_filter_by_donor_and_recipient(client, analyst, history):
    client = signed_in(client, analyst)
    other = history["other"].organisation
    document = page(client.get("/stats/", {"donor": other.pk}))
    assert headline(document) == expected(ImpactRecord.objects.filter(donor=other))
    assert figure(document, "items") == "5"
    social = history["social"].organisation
    document = page(client.get("/stats/", {"recipient": social.pk}))
    assert figure(document, "items") == "2"


def test_members_choose_what_they_gave_or_received(client, history):
    client = signed_in(client, history["federal"].user)
    assert figure(page(client.get("/stats/", {"side": "received"})), "items") == "9"
    assert figure(page(client.get("/stats/", {"side": "given"})), "items") == "0"


def test_periods_a_year_or_a_date_range(client, analyst, history):
    client = signed_in(client, analyst)
    # FPS Gamma's handover happened last year
    ImpactRecord.objects.filter(donor=history["other"].organisation).update(
        occurred_on=datetime.date(YEAR - 1, 6, 15)
    )
    impact_totals_rebuild()  # records changed behind the services' back
    assert figure(page(client.get("/stats/")), "items") == "10"  # this year, unless chosen
    assert figure(page(client.get("/stats/", {"year": YEAR - 1})), "items") == "5"
    assert figure(page(client.get("/stats/", {"year": ""})), "items") == "15"  # all years
    # a date range replaces the year
    ranged = page(
        client.get(
            "/stats/",
            {"year": YEAR, "date_from": f"{YEAR - 1}-06-01", "date_to": f"{YEAR - 1}-06-30"},
        )
    )
    assert figure(ranged, "items") == "5"
    assert document_has_link(ranged, f"/stats/report/{YEAR - 1}.pdf")
    # a period without records says so
    empty = page(client.get("/stats/", {"date_from": "2001-01-01", "date_to": "2001-12-31"}))
    assert figure(empty, "items") == "0"
    assert "No figures yet" in empty.text()
    assert empty.find("svg", id="chart-months") is None
    # a range that ends before it starts is refused with a message, not a crash
    backwards = page(client.get("/stats/", {"date_from": f"{YEAR}-05-01", "date_to": "2001-01-01"}))
    assert "The end date lies before the start date." in backwards.text()


def document_has_link(document: Node, href: str) -> bool:
    return document.find("a", href=href) is not None


# --- Charts and their tables ------------------------------------------------------


def test_each_chart_is_named_and_has_its_data_table(client, analyst, history):
    document = page(signed_in(client, analyst).get("/stats/", {"year": YEAR}))
    charts = document.find_all("svg")
    chart_ids = [svg.attrs.get("id") for svg in charts if "chart" in svg.attrs.get("class", "")]
    assert chart_ids == [
        "chart-months",
        "chart-diversion",
        "chart-groups",
        "chart-outcomes",
        "chart-regions",
        "chart-donors",
        "chart-recipients",
    ]
    for chart_id in chart_ids:
        svg = document.find("svg", id=chart_id)
        assert svg.attrs["role"] == "img"
        title_id, desc_id = svg.attrs["aria-labelledby"], svg.attrs["aria-describedby"]
        assert svg.find("title", id=title_id).text()
        assert svg.find("desc", id=desc_id).text()
        table = document.find("table", id=f"{chart_id}-table")
        assert table is not None, chart_id
        assert table.find("caption").text()
        assert table.find_all("th", scope="col")
        assert table.find_all("th", scope="row")
    # the numbers in the tables are the records' numbers
    outcomes = document.find("table", id="chart-outcomes-table")
    rows = {
        row.find("th").text(): [cell.text() for cell in row.find_all("td")]
        for row in outcomes.find("tbody").find_all("tr")
    }
    assert rows["Recycled"][:2] == ["4", "140"]  # whole kilograms, as in the documents
    assert rows["Reused by a federal service"][0] == "9"
    months = document.find("table", id="chart-months-table").find("tbody").find_all("tr")
    this_month = timezone.localdate().replace(day=1)
    assert len(months) == this_month.month  # January to this month
    assert [cell.text() for cell in months[-1].find_all("td")][0] == "15"
    regions = document.find("table", id="chart-regions-table")
    assert {row.find("th").text() for row in regions.find("tbody").find_all("tr")} == {
        "Brussels-Capital",
        "Wallonia",
    }


def test_numbers_are_written_in_the_readers_language(client, analyst, history):
    analyst.language = "fr"
    analyst.save(update_fields=["language"])
    document = page(signed_in(client, analyst).get("/stats/"))
    translation.activate("en")  # the request left French active in this thread
    value = sum(r.replacement_value_eur for r in ImpactRecord.objects.all())
    assert value >= 1000
    assert figure(document, "value") != floatformat(value, "0g")  # not the English way
    assert figure(document, "value").replace("\u202f", " ").replace("\xa0", " ") in (
        f"{int(value):,}".replace(",", " "),
        f"{int(value):,}".replace(",", "."),
    )
    assert "," in figure(document, "rate")  # a decimal comma


def test_the_dashboard_reads_the_same_number_of_queries_for_3_or_30_records(
    client, analyst, history
):
    client = signed_in(client, analyst)
    ImpactRecord.objects.order_by("-pk")[0].delete()
    impact_totals_rebuild()
    assert ImpactRecord.objects.count() == 3
    client.get("/stats/", {"year": ""})  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as few:
        page(client.get("/stats/", {"year": ""}))
    # 27 more, over other months, categories, regions and outcomes
    template = ImpactRecord.objects.first()
    categories = list(Category.objects.all())
    outcomes = ["reused_federal", "reused_social_economy", "reused_other", "sold", "recycled"]
    more = []
    for n in range(27):
        record = ImpactRecord.objects.get(pk=template.pk)
        record.pk = None
        record.claim = None
        record.source = "correction"
        record.occurred_on = timezone.localdate() - datetime.timedelta(days=31 * n)
        record.category = categories[n % len(categories)]
        record.region = ["BRU", "VLG", "WAL"][n % 3]
        record.outcome = outcomes[n % len(outcomes)]
        more.append(record)
    ImpactRecord.objects.bulk_create(more)
    impact_totals_rebuild()
    with CaptureQueriesContext(connection) as many:
        document = page(client.get("/stats/", {"year": ""}))
    assert figure(document, "items") == floatformat(
        sum(r.quantity for r in ImpactRecord.objects.all()), "0g"
    )
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


# --- The annual report ------------------------------------------------------------


@pytest.mark.parametrize(
    ("file_format", "content_type"),
    [
        ("csv", "text/csv; charset=utf-8"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("pdf", "application/pdf"),
    ],
)
def test_the_annual_report_downloads(client, history, file_format, content_type):
    client = signed_in(client, history["owner"].user)
    document = page(client.get("/stats/", {"year": YEAR}))
    link = document.find("a", href=f"/stats/report/{YEAR}.{file_format}")
    assert link is not None and str(YEAR) in link.text()
    response = client.get(f"/stats/report/{YEAR}.{file_format}")
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert f'filename="reuse-exchange-{YEAR}-en.{file_format}"' in response["Content-Disposition"]
    if file_format == "csv":
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows[1][:3] == ["Total", str(YEAR), "10"]  # FPS Alpha's own items only
        assert "FPS Gamma" not in response.content.decode("utf-8-sig")
    elif file_format == "xlsx":
        sheet = load_workbook(io.BytesIO(response.content))["Headline figures"]
        assert sheet["B2"].value == 10
    else:
        assert response.content.startswith(b"%PDF")


def test_the_report_follows_the_chosen_year_and_analysts_read_everything(client, analyst, history):
    client = signed_in(client, analyst)
    document = page(client.get("/stats/", {"date_from": f"{YEAR - 1}-03-01"}))
    assert document_has_link(document, f"/stats/report/{YEAR - 1}.pdf")
    rows = list(
        csv.reader(io.StringIO(client.get(f"/stats/report/{YEAR}.csv").content.decode("utf-8-sig")))
    )
    assert rows[1][2] == "15"
    # what the API refuses with 400, the page refuses with 400 and says why
    too_early = client.get("/stats/report/1999.csv")
    assert too_early.status_code == 400
    assert "Give a year from 2000 to 2100." in too_early.content.decode()
    word = client.get(f"/stats/report/{YEAR}.docx")
    assert word.status_code == 400
    assert "Choose csv, xlsx or pdf." in word.content.decode()


# --- Open data --------------------------------------------------------------------


def test_the_open_data_page_names_no_organisation(client, history):
    document = page(client.get("/open-data/"))
    text = document.text()
    for name in Organisation.objects.values_list("name", flat=True):
        assert name not in text
    years = document.find("table", id="open-years")
    assert years.find("caption").text()
    total = years.find("tfoot").find_all("td")
    assert total[0].text() == "15"
    assert "CC0" in text
    assert "Diversion rate" in text  # the method
    assert document.find("a", href="/api/v1/open-data/") is not None
    regions = document.find("table", id="open-regions")
    assert {row.find("th").text() for row in regions.find("tbody").find_all("tr")} == {
        "Brussels-Capital",
        "Wallonia",
    }


def test_the_open_data_page_for_one_year(client, history):
    document = page(client.get("/open-data/", {"year": YEAR}))
    assert f"By region in {YEAR}" in document.text()
    assert page(client.get("/open-data/", {"year": "nonsense"})).find(id="open-regions")
