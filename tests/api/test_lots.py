import datetime
import io
import json
import math
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIRequestFactory

from api.lots.serializers import LotOutputSerializer
from exchange.categories.models import Category
from exchange.common.geo import EARTH_RADIUS_KM, distance_km
from exchange.lots.models import Lot, LotPhoto
from exchange.lots.selectors import lot_list
from exchange.lots.services.lots import ItemInput
from tests.exchange.lots.conftest import image_bytes
from tests.factories import (
    LotFactory,
    MembershipFactory,
    OrganisationFactory,
    SiteFactory,
    UserFactory,
)
from tests.support.hostile_files import pdf_clean

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("categories")]

URL = "/api/v1/lots/"
IN_A_MONTH = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()


@pytest.fixture
def owner(fed_admin):
    fed_admin.site = SiteFactory(organisation=fed_admin.organisation, name="HQ")
    return fed_admin


def category(code):
    return Category.objects.get(code=code).pk


def lot_body(site, **overrides):
    body = {
        "site": site.pk,
        "category": category("office-chair"),
        "title": "Office chairs, black",
        "description": "Adjustable, from the 4th floor",
        "quantity": 20,
        "condition": "good",
        "available_until": IN_A_MONTH,
    }
    body.update(overrides)
    return body


def test_a_federal_service_posts_an_it_lot_attests_and_publishes_it(client_for, owner):
    client = client_for(owner.user)
    # a draft laptop lot with its devices
    body = lot_body(
        owner.site,
        category=category("laptop"),
        title="Laptops Latitude 5420",
        quantity=2,
        items=[{"serial_number": "SN-A"}, {"serial_number": "SN-B", "asset_tag": "FPS-0042"}],
    )
    response = client.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    lot = response.json()
    assert set(lot) >= {
        "id",
        "title",
        "description",
        "category",
        "quantity",
        "quantity_available",
        "unit_weight_kg",
        "condition",
        "site",
        "owner",
        "status",
        "tier",
        "published_at",
        "available_until",
        "photos",
        "items",
    }
    assert lot["status"] == "draft" and lot["tier"] is None
    assert lot["unit_weight_kg"] == "1.800"  # the category's typical weight
    lot_url = f"{URL}{lot['id']}/"
    # with a photo
    response = client.post(
        f"{lot_url}photos/",
        {"image": SimpleUploadedFile("laptop.jpg", image_bytes(), "image/jpeg")},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    # publishing is refused until the data sanitisation is attested
    response = client.post(f"{lot_url}publish/")
    assert response.status_code == 409
    assert response.json()["code"] == "lot_not_publishable"
    assert response.json()["missing"]
    pdf = SimpleUploadedFile("cert.pdf", pdf_clean(), "application/pdf")
    response = client.post(
        f"{lot_url}sanitisation/",
        {
            "method": "purge",
            "performed_on": timezone.localdate().isoformat(),
            "responsible_person": "Els Vermeulen",
            "certificate": pdf,
        },
        format="multipart",
    )
    assert response.status_code == 200, response.json()
    assert " ".join(response.json()["missing"]).count("SN-") == 2  # both devices still open
    records = [
        {
            "serial_number": s,
            "method": "purge",
            "verified": True,
            "date": timezone.localdate().isoformat(),
            "tool": "Eraser 7.2",
        }
        for s in ("SN-A", "SN-B")
    ]
    response = client.post(f"{lot_url}sanitisation/erasures/", {"records": records}, format="json")
    assert response.status_code == 200 and response.json()["missing"] == []
    response = client.post(f"{lot_url}publish/")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "published"
    assert response.json()["tier"] == "federal"
    assert response.json()["next_tier"]["tier"] == "social_economy"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"quantity": 0}, "quantity"),
        ({"quantity": -1}, "quantity"),
        ({"quantity": 10**9}, "quantity"),
        ({"quantity": "many"}, "quantity"),
        ({"unit_weight_kg": "0"}, "unit_weight_kg"),
        ({"unit_weight_kg": "-2"}, "unit_weight_kg"),
        ({"unit_weight_kg": "1e9"}, "unit_weight_kg"),
        ({"category": 999999}, "category"),
        ({"available_until": "2001-01-01"}, "available_until"),
        ({"available_until": "tomorrow"}, "available_until"),
        ({"condition": "mint"}, "condition"),
        ({"title": ""}, "title"),
        ({"items": [{"serial_number": ""}]}, "items.0.serial_number"),
    ],
)
def test_bad_input_gets_400_naming_the_field_and_nothing_is_written(
    client_for, owner, overrides, field
):
    response = client_for(owner.user).post(URL, lot_body(owner.site, **overrides), format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    assert not Lot.objects.exists()


def test_a_site_of_another_organisation_is_refused(client_for, owner):
    response = client_for(owner.user).post(URL, lot_body(SiteFactory()), format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "site_not_owned"


def test_others_see_published_lots_only_and_change_nothing(client_for, owner, make_member):
    draft = LotFactory(site=owner.site, title="Draft desks")
    published = LotFactory(site=owner.site, title="Published chairs", published=True)
    other = client_for(make_member("admin").user)
    assert [lot["id"] for lot in other.get(URL).json()["results"]] == [published.pk]
    assert other.get(f"{URL}{draft.pk}/").status_code == 404
    assert other.patch(f"{URL}{draft.pk}/", {"title": "x"}, format="json").status_code == 404
    assert other.delete(f"{URL}{draft.pk}/").status_code == 404
    assert other.post(f"{URL}{published.pk}/withdraw/").status_code == 403
    response = other.post(
        f"{URL}{published.pk}/photos/",
        {"image": SimpleUploadedFile("a.jpg", image_bytes())},
        format="multipart",
    )
    assert response.status_code == 403
    published.refresh_from_db()
    assert published.status == "published"
    mine = client_for(owner.user).get(URL).json()["results"]
    assert {lot["id"] for lot in mine} == {draft.pk, published.pk}


def test_drafts_change_and_delete_published_lots_do_not(client_for, owner):
    client = client_for(owner.user)
    lot = LotFactory(site=owner.site)
    response = client.patch(
        f"{URL}{lot.pk}/", {"quantity": 7, "items": [{"asset_tag": "T-1"}]}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["quantity"] == 7
    assert [i["asset_tag"] for i in response.json()["items"]] == ["T-1"]
    assert client.post(f"{URL}{lot.pk}/publish/").status_code == 200
    assert client.patch(f"{URL}{lot.pk}/", {"quantity": 3}, format="json").status_code == 409
    assert client.delete(f"{URL}{lot.pk}/").status_code == 409
    assert client.post(f"{URL}{lot.pk}/withdraw/").json()["status"] == "withdrawn"
    draft = LotFactory(site=owner.site)
    assert client.delete(f"{URL}{draft.pk}/").status_code == 204
    assert not Lot.objects.filter(pk=draft.pk).exists()


def test_photo_uploads_refuse_non_images_and_an_eleventh_photo(client_for, owner):
    client = client_for(owner.user)
    lot = LotFactory(site=owner.site)
    photos_url = f"{URL}{lot.pk}/photos/"
    response = client.post(
        photos_url,
        {"image": SimpleUploadedFile("x.png", b"\x89PNG\r\n\x1a\n<html>", "image/png")},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["errors"]["image"]
    assert client.post(photos_url, {}, format="multipart").status_code == 400
    small = image_bytes(size=(32, 32))
    for _ in range(10):
        assert (
            client.post(
                photos_url, {"image": SimpleUploadedFile("a.jpg", small)}, format="multipart"
            ).status_code
            == 201
        )
    response = client.post(
        photos_url, {"image": SimpleUploadedFile("a.jpg", small)}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "photo_limit"
    photo = LotPhoto.objects.filter(lot=lot).first()
    assert client.delete(f"{photos_url}{photo.pk}/").status_code == 204
    assert LotPhoto.objects.filter(lot=lot).count() == 9


@pytest.fixture
def catalogue(owner):
    """Published lots across regions and categories."""
    namur = SiteFactory(
        organisation=owner.organisation,
        name="Namur",
        postcode="5000",
        region="WAL",
        municipality="Namur",
        latitude="50.4669",
        longitude="4.8675",
    )
    ghent = SiteFactory(
        organisation=owner.organisation,
        name="Ghent",
        postcode="9000",
        region="VLG",
        municipality="Gent",
        latitude="51.0543",
        longitude="3.7174",
    )
    return {
        "chairs_bru": LotFactory(site=owner.site, title="Black office chairs", published=True),
        "chairs_wal": LotFactory(
            site=namur, title="Chaises de bureau", condition="fair", published=True
        ),
        "desk_vlg": LotFactory(
            site=ghent,
            title="Bureaus",
            category=Category.objects.get(code="desk"),
            condition="new",
            published=True,
        ),
        "monitors_bru": LotFactory(
            site=owner.site,
            title="Écrans 24 pouces",
            category=Category.objects.get(code="monitor"),
            published=True,
            available_until=timezone.localdate() + datetime.timedelta(days=3),
        ),
    }


def ids(response):
    assert response.status_code == 200, response.json()
    return [lot["id"] for lot in response.json()["results"]]


def test_search_by_text_in_any_language_region_category_and_condition(client_for, owner, catalogue):
    client = client_for(owner.user)
    c = catalogue
    assert set(ids(client.get(URL, {"q": "chair"}))) == {c["chairs_bru"].pk, c["chairs_wal"].pk}
    assert set(ids(client.get(URL, {"q": "bureaustoel"}))) == {
        c["chairs_bru"].pk,
        c["chairs_wal"].pk,
    }
    assert ids(client.get(URL, {"q": "chair", "region": "BRU"})) == [c["chairs_bru"].pk]
    assert ids(client.get(URL, {"q": "ecrans"})) == [c["monitors_bru"].pk]  # accents ignored
    furniture = Category.objects.get(code="furniture").pk
    assert set(ids(client.get(URL, {"category": furniture}))) == {
        c["chairs_bru"].pk,
        c["chairs_wal"].pk,
        c["desk_vlg"].pk,
    }
    assert set(ids(client.get(URL, {"min_condition": "good"}))) == {
        c["chairs_bru"].pk,
        c["desk_vlg"].pk,
        c["monitors_bru"].pk,
    }
    assert ids(client.get(URL, {"ordering": "closing_soon"}))[0] == c["monitors_bru"].pk
    assert client.get(URL, {"region": "XX"}).status_code == 400


def test_a_search_within_a_region_shows_our_own_lots_in_every_status(client_for, owner, catalogue):
    """A region's search reads the region's published lots (PostgreSQL: their own
    full-text index) and our own lots apart (the owner index); with sequential scans
    off, the indexes are what the database reads."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
    ours = LotFactory(site=owner.site, title="Stoelen, office chairs")  # our draft
    theirs_bru = SiteFactory(region="BRU", postcode="1050", municipality="Ixelles")
    published = LotFactory(site=theirs_bru, title="Chaises et chairs", published=True)
    LotFactory(site=theirs_bru, title="Chairs in a draft")  # their draft: never shown
    closed = LotFactory(site=theirs_bru, title="Closed chairs", published=True)
    Lot.objects.filter(pk=closed.pk).update(status="closed")
    search = {"q": "chair", "region": "BRU"}
    found = ids(client_for(owner.user).get(URL, search))
    assert sorted(found) == sorted([published.pk, catalogue["chairs_bru"].pk, ours.pk])
    assert [pk for pk in found if pk != ours.pk] == [published.pk, catalogue["chairs_bru"].pk]
    body = client_for(owner.user).get(URL, {**search, "page_size": 1}).json()
    assert body["count"] == 3
    other = MembershipFactory()
    assert ids(client_for(other.user).get(URL, search)) == [
        published.pk,
        catalogue["chairs_bru"].pk,
    ]


def test_distance_from_one_of_my_sites(client_for, owner, catalogue):
    client = client_for(owner.user)
    c = catalogue
    # Brussels to Namur is about 55 km, to Ghent about 50 km
    near = client.get(URL, {"near_site": owner.site.pk, "radius_km": 20}).json()["results"]
    assert {lot["id"] for lot in near} == {c["chairs_bru"].pk, c["monitors_bru"].pk}
    assert all(lot["distance_km"] < 1 for lot in near)
    wide = ids(
        client.get(URL, {"near_site": owner.site.pk, "radius_km": 80, "ordering": "nearest"})
    )
    assert set(wide[:2]) == {c["chairs_bru"].pk, c["monitors_bru"].pk}
    assert set(wide[2:]) == {c["chairs_wal"].pk, c["desk_vlg"].pk}
    foreign_site = SiteFactory()
    assert client.get(URL, {"near_site": foreign_site.pk}).status_code == 400
    assert client.get(URL, {"ordering": "nearest"}).status_code == 400


def test_lots_at_the_edge_of_the_radius_are_found(client_for, owner):
    # given lots 10 m inside and 20 m outside a 25 km radius, due north and due east
    origin_lat, origin_lon = float(owner.site.latitude), float(owner.site.longitude)

    def lot_at(km: float, bearing: str) -> Lot:
        angle = km / EARTH_RADIUS_KM
        if bearing == "north":
            lat, lon = origin_lat + math.degrees(angle), origin_lon
        else:
            lat = origin_lat
            spread = math.sin(angle / 2) / math.cos(math.radians(origin_lat))
            lon = origin_lon + math.degrees(2 * math.asin(spread))
        site = SiteFactory(
            organisation=owner.organisation,
            latitude=Decimal(f"{lat:.6f}"),
            longitude=Decimal(f"{lon:.6f}"),
        )
        return LotFactory(site=site, published=True, title=f"Desk {km} km {bearing}")

    inside = [lot_at(24.99, "north"), lot_at(24.99, "east")]
    outside = [lot_at(25.02, "north"), lot_at(25.02, "east")]

    # when
    response = client_for(owner.user).get(URL, {"near_site": owner.site.pk, "radius_km": 25})

    # then
    found = {lot["id"]: lot["distance_km"] for lot in response.json()["results"]}
    assert set(found) == {lot.pk for lot in inside}
    assert all(distance == 25.0 for distance in found.values())
    assert all(
        distance_km(origin_lat, origin_lon, float(lot.latitude), float(lot.longitude)) > 25
        for lot in outside
    )


def test_claimable_follows_the_claim_windows(client_for, owner, catalogue):
    federal = MembershipFactory(organisation=OrganisationFactory(kind="federal"), role="member")
    social = MembershipFactory(organisation=OrganisationFactory(social_economy=True), role="member")
    assert len(ids(client_for(federal.user).get(URL, {"claimable": "true"}))) == 4
    assert ids(client_for(social.user).get(URL, {"claimable": "true"})) == []
    assert ids(client_for(owner.user).get(URL, {"claimable": "true"})) == []  # own lots
    Lot.objects.filter(pk=catalogue["desk_vlg"].pk).update(
        social_economy_opens_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    assert ids(client_for(social.user).get(URL, {"claimable": "true"})) == [
        catalogue["desk_vlg"].pk
    ]


def test_the_list_costs_the_same_queries_whatever_the_page_size(
    client_for, owner, django_assert_max_num_queries
):
    for n in range(30):
        LotFactory(
            site=owner.site,
            title=f"Chairs {n}",
            published=True,
            items=[ItemInput(serial_number=f"S{n}-{i}") for i in range(3)],
        )
    client = client_for(owner.user)
    with django_assert_max_num_queries(6) as small:
        assert len(client.get(URL, {"page_size": 5}).json()["results"]) == 5
    with django_assert_max_num_queries(6) as large:
        assert len(client.get(URL, {"page_size": 30}).json()["results"]) == 30
    assert len(small.captured_queries) == len(large.captured_queries)


def _ready_and_waiting_photos(lot) -> None:
    """A lot's two photos: one with its sizes made and described, one still being made."""
    LotPhoto.objects.create(
        lot=lot,
        original="o.jpg",
        web="w.jpg",
        thumbnail="t.jpg",
        width=4,
        height=3,
        status="ready",
        alt_text="Front",
    )
    LotPhoto.objects.create(lot=lot, original="p.jpg", width=4, height=3, position=1)


def test_each_listed_lot_shows_what_its_declared_fields_give(client_for, owner):
    # given lots of every shape: a draft, a federal-tier lot with a weighed unit, devices
    # and photos (one ready, one processing), an open-tier lot of another organisation
    draft = LotFactory(site=owner.site, title="Draft desks", unit_weight_kg=Decimal("12.5"))
    devices = LotFactory(
        site=owner.site,
        category=Category.objects.get(code="monitor"),
        published=True,
        unit_weight_kg=Decimal("1.875"),
        items=[ItemInput(serial_number="SN-1", asset_tag="A-1"), ItemInput(serial_number="SN-2")],
    )
    _ready_and_waiting_photos(devices)
    devices.items.filter(serial_number="SN-1").update(
        erasure_method="purge",
        erasure_tool="Blancco 7.4",
        erasure_verified=True,
        erasure_date=datetime.date(2026, 3, 9),
    )
    other = LotFactory(published=True, published_at=timezone.now() - datetime.timedelta(days=25))
    client = client_for(owner.user)

    # when
    listed = client.get(URL, {"page_size": 50}).json()["results"]
    near = client.get(URL, {"near_site": owner.site.pk, "radius_km": 100}).json()["results"]

    # then: field by field, the generic way
    request = APIRequestFactory().get(URL)
    lots = lot_list(actor=owner).filter(pk__in=[draft.pk, devices.pk, other.pk])
    expected = {
        lot.pk: json.loads(
            JSONRenderer().render(
                serializers.ModelSerializer.to_representation(
                    LotOutputSerializer(context={"request": request}), lot
                )
            )
        )
        for lot in lots
    }
    assert {lot["id"]: lot for lot in listed} == expected
    assert expected[other.pk]["next_tier"] is None and expected[devices.pk]["next_tier"]
    assert len(expected[devices.pk]["photos"]) == 2
    assert {item["erasure_date"] for item in expected[devices.pk]["items"]} == {"2026-03-09", None}
    assert expected[draft.pk]["published_at"] is None
    assert {lot["id"]: lot["distance_km"] for lot in near} == {
        devices.pk: 0.0,
        draft.pk: 0.0,
        other.pk: 0.0,
    }


@pytest.fixture
def every_shape(owner):
    """Lots of every shape, ours and another organisation's: a draft and a closed lot of
    ours, a published IT lot with devices and photos (one still processing), lots in
    each claim window (one partly claimed), weighed and not, and another
    organisation's draft (hidden)."""
    theirs = SiteFactory(latitude="50.8500", longitude="4.3500")
    now = timezone.now()
    LotFactory(site=owner.site, title="Draft desks", unit_weight_kg=Decimal("12.5"))
    closed = LotFactory(site=owner.site, title="Old chairs", published=True)
    Lot.objects.filter(pk=closed.pk).update(status="closed")
    devices = LotFactory(
        site=owner.site,
        category=Category.objects.get(code="monitor"),
        title="Monitors",
        published=True,
        unit_weight_kg=Decimal("1.875"),
        items=[ItemInput(serial_number="SN-1", asset_tag="A-1"), ItemInput(serial_number="SN-2")],
    )
    devices.items.filter(serial_number="SN-1").update(
        erasure_method="purge", erasure_verified=True, erasure_date=datetime.date(2026, 3, 9)
    )
    _ready_and_waiting_photos(devices)
    for days in (1, 12, 25):
        claimed = LotFactory(
            site=theirs,
            title=f"Chairs published {days} days ago",
            published=True,
            published_at=now - datetime.timedelta(days=days),
            available_until=timezone.localdate() + datetime.timedelta(days=days),
        )
    Lot.objects.filter(pk=claimed.pk).update(quantity_reserved=1)  # one unit claimed
    LotFactory(site=theirs, title="Their draft chairs")
    return owner


LIST_SHAPES = [
    {},
    {"page_size": 2, "page": 2},
    {"page_size": 2, "page": "last"},
    {"ordering": "closing_soon", "page_size": 3},
    {"ordering": "closing_soon", "page_size": 3, "page": 2},
    {"near_site": "own", "radius_km": 100},
    {"near_site": "own", "radius_km": 100, "ordering": "nearest", "page_size": 2, "page": 2},
    {"q": "chairs"},
    {"status": "draft"},
    {"status": "closed"},
    {"claimable": "true"},
    {"min_condition": "good", "region": "BRU"},
    {"category": "monitor"},
    {"q": "nothing matches this"},
]


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the page in one statement is PostgreSQL's"
)
@pytest.mark.parametrize("language", ["en", "nl", "fr", "de"])
@pytest.mark.parametrize("shape", LIST_SHAPES)
def test_each_filter_and_ordering_lists_what_the_orm_and_the_declared_fields_give(
    client_for, every_shape, make_member, monkeypatch, shape, language
):
    """On PostgreSQL a page is one statement shaped straight from its rows: byte for
    byte what the ORM's page and the declared serializer fields give, for the owner (who
    sees their drafts and closed lots) and another organisation's member."""
    from exchange.lots import selectors

    owner = every_shape
    query = {
        name: owner.site.pk
        if value == "own"
        else Category.objects.get(code=value).pk
        if name == "category"
        else value
        for name, value in shape.items()
    }
    seen = []
    for member in (owner, make_member(kind="federal")):
        client = client_for(member.user)
        client.credentials(**client._credentials, HTTP_ACCEPT_LANGUAGE=language)
        if "near_site" in query and member is not owner:
            continue  # one of the owner's sites
        read = client.get(URL, query)
        with monkeypatch.context() as orm:
            orm.setattr(selectors, "lot_catalogue_in_one_statement", lambda: False)
            expected = client.get(URL, query)
        assert read.status_code == expected.status_code == 200
        assert read.content == expected.content  # fields, order, types, count and links
        seen += json.loads(read.content)["results"]
    assert bool(seen) == (shape != {"q": "nothing matches this"})


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the page in one statement is PostgreSQL's"
)
def test_the_plain_list_is_compiled_once_and_shows_each_reader_their_own_lots(
    client_for, every_shape, make_member, monkeypatch
):
    """Filtered by nothing, a page's statement is compiled by the ORM once per process;
    each reader still gets what the ORM's page gives them: the owner their drafts and
    closed lots, another organisation's member and a person of no organisation the
    published lots only."""
    from django.db.models.sql.compiler import SQLCompiler

    from exchange.lots import selectors

    readers = {
        "owner": client_for(every_shape.user),
        "other": client_for(make_member(kind="federal").user),
        "nobody": client_for(UserFactory()),
    }
    query = {"page_size": 3, "page": 2}
    for client in readers.values():
        client.get(URL, query)  # the page's shape, compiled once
    compiled = []
    as_sql = SQLCompiler.as_sql
    monkeypatch.setattr(
        SQLCompiler, "as_sql", lambda *args, **kwargs: compiled.append(1) or as_sql(*args, **kwargs)
    )
    read = {name: client.get(URL, query) for name, client in readers.items()}
    assert compiled == []
    monkeypatch.setattr(selectors, "lot_catalogue_in_one_statement", lambda: False)
    for name, client in readers.items():
        assert read[name].status_code == 200
        assert read[name].content == client.get(URL, query).content, name
    seen = {name: json.loads(answer.content)["count"] for name, answer in read.items()}
    assert seen["owner"] > seen["other"] == seen["nobody"] == 4  # the 4 published


@pytest.mark.parametrize(
    "zone", ["Europe/Brussels", "UTC", "Europe/London", "America/St_Johns", "Asia/Kathmandu"]
)
def test_a_page_writes_its_moments_as_the_declared_datetime_field_does(zone):
    """A catalogue page writes its moments itself (orjson, ~8 times faster than the
    field): the same text as DRF's DateTimeField in the page's zone, with or without
    microseconds, "Z" for UTC, and an offset of seconds (local mean time) as the field
    writes it."""
    from zoneinfo import ZoneInfo

    from api.lots.serializers import _moments_in

    page_zone = ZoneInfo(zone)
    field = serializers.DateTimeField(default_timezone=page_zone)
    utc = datetime.UTC
    moments = [
        datetime.datetime(2026, 12, 6, 4, 1, 56, 885321, tzinfo=utc),
        datetime.datetime(2026, 7, 1, 12, 0, tzinfo=utc),  # summer, no microseconds
        datetime.datetime(2026, 3, 29, 1, 0, 0, 250, tzinfo=utc),  # the hour clocks move
        datetime.datetime(1850, 1, 1, 12, 0, tzinfo=utc),  # local mean time
        datetime.datetime(2026, 1, 1, 9, 30, tzinfo=ZoneInfo("Europe/Brussels")),
        datetime.datetime(2026, 1, 1, 9, 30),  # naive
    ]
    moment = _moments_in(page_zone)
    assert [moment(value) for value in moments] == [
        field.to_representation(value) for value in moments
    ]
    assert moment(None) is None


def test_a_first_page_links_its_next_page_as_drf_does(client_for, owner, monkeypatch):
    from rest_framework.utils.urls import replace_query_param

    from api.pagination import PageNumberPagination

    monkeypatch.setattr(PageNumberPagination, "page_size", 2)
    for n in range(3):
        LotFactory(site=owner.site, title=f"Chairs {n}", published=True)
    client = client_for(owner.user)
    assert client.get(URL).json()["next"] == replace_query_param(
        "http://testserver/api/v1/lots/", "page", 2
    )
    assert client.get(URL, {"page_size": 1, "page": 2}).json()["next"] == (
        "http://testserver/api/v1/lots/?page=3&page_size=1"
    )


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_the_list_is_written_byte_for_byte_as_drfs_json_renderer_wrote_it(
    client_for, owner, language
):
    """The API writes its JSON with orjson (api/renderers.py): a page with text beyond
    ASCII, a line separator, quotes and backslashes, a weight and empty sizes is the same
    bytes DRF's renderer writes of the same data, text as UTF-8, weights as strings."""
    title = "Bureaustoelen – café «Ærø» ✓ 🪑"
    LotFactory(
        site=owner.site,
        title=title,
        description="Eerste regel\u2028tweede regel",
        pickup_notes='Dock "B", \\ trap 3',
        unit_weight_kg=Decimal("12.5"),
        published=True,
    )
    response = client_for(owner.user).get(URL, HTTP_ACCEPT_LANGUAGE=language)
    assert response.content == JSONRenderer().render(response.data)
    lot = json.loads(response.content)["results"][0]
    assert lot["title"] == title and title.encode() in response.content
    assert b"regel\\u2028tweede" in response.content
    assert lot["unit_weight_kg"] == "12.500"
    assert (lot["width_cm"], lot["photos"]) == (None, [])
    assert lot["next_tier"]["tier"] == "social_economy"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="one statement on PostgreSQL")
def test_a_page_of_the_list_is_two_queries_with_a_token(
    client_for, every_shape, django_assert_num_queries
):
    """The token with the acting membership, then the page with its count, photos and
    devices: whatever the page size, the filter or the order (closing soon reads the
    page's ids first)."""
    client = client_for(every_shape.user)
    for query in ({"page_size": 1}, {"page_size": 50}, {"q": "chairs", "region": "BRU"}):
        with django_assert_num_queries(2):
            assert client.get(URL, query).status_code == 200
    with django_assert_num_queries(4):
        assert client.get(URL, {"ordering": "closing_soon"}).status_code == 200


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared on PostgreSQL")
def test_the_token_and_the_page_are_prepared_once_on_the_connection(client_for, every_shape):
    """The token with its membership and a catalogue page are prepared statements on the
    connection: prepared at their first run, run again as they are, prepared again once
    a rollback made the connection forget them (psycopg's rule), the same answer."""
    from django.db import transaction

    def prepared() -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            return [statement for (statement,) in cursor.fetchall()]

    client = client_for(every_shape.user)
    first = client.get(URL, {"page_size": 3}).content
    for _ in range(3):
        assert client.get(URL, {"page_size": 3}).content == first
    statements = prepared()
    assert sum("counted.total" in statement for statement in statements) == 1
    assert sum("key_digest" in statement for statement in statements) == 1
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        Lot.objects.filter(pk=0).update(quantity=1)
        raise ZeroDivisionError  # rolled back to its savepoint: every statement forgotten
    assert client.get(URL, {"page_size": 3}).content == first
    assert sum("counted.total" in statement for statement in prepared()) == 1


def test_the_api_needs_a_signed_in_user(api_client):
    assert api_client.get(URL).status_code == 401


# --- Bulk import -------------------------------------------------------------------

HEADER = "title,category,quantity,condition,available_until,site,unit_weight_kg,serial_numbers"


def csv_file(*rows, header=HEADER, encoding="utf-8", name="lots.csv"):
    return SimpleUploadedFile(name, "\n".join([header, *rows]).encode(encoding), "text/csv")


def test_a_dry_run_lists_every_bad_row_and_writes_nothing(client_for, owner):
    upload = csv_file(
        f"Chairs,office-chair,10,good,{IN_A_MONTH},HQ,12,",
        f"Sofas,sofa-deluxe,2,good,{IN_A_MONTH},HQ,,",
        f"Desks,desk,0,good,{IN_A_MONTH},HQ,,",
        "Laptops,laptop,2,good,2001-01-01,HQ,,SN1;SN2",
        f"Screens,monitor,3,shiny,{IN_A_MONTH},Elsewhere,-1,",
    )
    response = client_for(owner.user).post(
        f"{URL}import/?dry_run=1", {"file": upload}, format="multipart"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    problems = {(p["row"], p["column"]) for p in body["problems"]}
    assert problems == {
        (3, "category"),
        (4, "quantity"),
        (5, "available_until"),
        (6, "site"),
        (6, "condition"),
        (6, "unit_weight_kg"),
    }
    assert body["rows"] == 5 and body["created"] == []
    assert not Lot.objects.exists()


def test_an_import_writes_all_rows_or_none(client_for, owner):
    client = client_for(owner.user)
    good = f"Chairs,office-chair,10,good,{IN_A_MONTH},HQ,12,"
    bad = f"Desks,desk,0,good,{IN_A_MONTH},HQ,,"
    response = client.post(f"{URL}import/", {"file": csv_file(good, bad)}, format="multipart")
    assert response.status_code == 400
    assert response.json()["problems"][0]["row"] == 3
    assert not Lot.objects.exists()
    laptops = f"Laptops,laptop,2,fair,{IN_A_MONTH},{owner.site.pk},,SN1;SN2"
    response = client.post(f"{URL}import/", {"file": csv_file(good, laptops)}, format="multipart")
    assert response.status_code == 201, response.json()
    assert len(response.json()["created"]) == 2
    lots = Lot.objects.order_by("pk")
    assert [lot.status for lot in lots] == ["draft", "draft"]
    assert list(lots[1].items.values_list("serial_number", flat=True)) == ["SN1", "SN2"]


def test_wrong_columns_and_encodings_are_refused(client_for, owner):
    client = client_for(owner.user)
    response = client.post(
        f"{URL}import/", {"file": csv_file("x,y", header="name,amount")}, format="multipart"
    )
    assert response.status_code == 400
    columns = {p["column"] for p in response.json()["problems"]}
    assert {"name", "amount", "title", "category"} <= columns
    utf16 = csv_file(f"Chairs,office-chair,10,good,{IN_A_MONTH},HQ,,", encoding="utf-16")
    response = client.post(f"{URL}import/", {"file": utf16}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()["errors"]
    # Windows-1252 (Excel's CSV on Belgian machines) is read
    latin = csv_file(f"Chaises abîmées,office-chair,10,fair,{IN_A_MONTH},HQ,,", encoding="cp1252")
    response = client.post(f"{URL}import/", {"file": latin}, format="multipart")
    assert response.status_code == 201
    assert Lot.objects.get().title == "Chaises abîmées"
    fake_xlsx = SimpleUploadedFile("lots.xlsx", b"not a spreadsheet")
    assert client.post(f"{URL}import/", {"file": fake_xlsx}, format="multipart").status_code == 400
    assert not Lot.objects.exclude(title="Chaises abîmées").exists()


def test_xlsx_imports_with_the_template(client_for, owner):
    client = client_for(owner.user)
    template = client.get(f"{URL}import/template/", {"type": "xlsx"})
    assert template.status_code == 200
    columns = next(load_workbook(io.BytesIO(template.content)).active.iter_rows(values_only=True))
    assert columns[:3] == ("title", "category", "quantity")
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["title", "category", "quantity", "condition", "available_until", "site"])
    sheet.append(
        [
            "Stoelen",
            "office-chair",
            5,
            "good",
            timezone.localdate() + datetime.timedelta(days=9),
            "HQ",
        ]
    )
    out = io.BytesIO()
    workbook.save(out)
    response = client.post(
        f"{URL}import/",
        {"file": SimpleUploadedFile("lots.xlsx", out.getvalue())},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    assert Lot.objects.get().title == "Stoelen"
    csv_template = client.get(f"{URL}import/template/")
    assert csv_template.content.decode().splitlines()[0].startswith("title,category,quantity")


def test_a_broad_search_counts_up_to_the_cap(client_for, owner, monkeypatch):
    from api.pagination import CappedCountPaginator

    monkeypatch.setattr(CappedCountPaginator, "cap", 3)
    for n in range(5):
        LotFactory(site=owner.site, title=f"Chairs {n}", published=True)
    body = client_for(owner.user).get(URL, {"page_size": 2}).json()
    assert (body["count"], body["count_capped"]) == (3, True)
    assert len(body["results"]) == 2 and body["next"]
    body = client_for(owner.user).get(URL, {"q": "chairs 4"}).json()
    assert (body["count"], body["count_capped"]) == (1, False)


def test_closing_soon_merges_the_published_lots_with_our_own_in_every_status(client_for, owner):
    """Closing soon reads the published lots and the acting organisation's other lots
    apart and merges them: our drafts and closed lots take their places among the
    published lots of everyone; another organisation's draft never shows."""
    today = timezone.localdate()
    ours = SiteFactory(organisation=owner.organisation)
    theirs = SiteFactory()

    def lot(site, days, **kwargs):
        until = today + datetime.timedelta(days=days)
        return LotFactory(site=site, available_until=until, **kwargs)

    shown = [
        lot(theirs, 3, published=True),
        lot(ours, 1),  # our draft
        lot(theirs, 2, published=True),
        lot(ours, 2, published=True),
        lot(ours, 5, published=True),  # closed below
        lot(theirs, 4, published=True),
    ]
    Lot.objects.filter(pk=shown[4].pk).update(status="closed")
    hidden = lot(theirs, 1)  # their draft
    expected = [x.pk for x in sorted(shown, key=lambda x: (x.available_until, -x.pk))]
    client = client_for(owner.user)
    soon = {"ordering": "closing_soon", "page_size": 4}
    pages = [ids(client.get(URL, {**soon, "page": page})) for page in (1, 2)]
    assert [pk for page in pages for pk in page] == expected
    assert hidden.pk not in expected


def test_sorted_pages_follow_the_whole_order(client_for, owner, monkeypatch):
    """Closing soon and nearest choose a page's ids first, then read its lots; nearest
    looks in the smallest radius that holds the capped count. Every page is the slice of
    the complete order, with a cap small enough to make the radius grow."""
    from api.pagination import CappedCountPaginator
    from exchange.lots import selectors

    monkeypatch.setattr(CappedCountPaginator, "cap", 5)
    monkeypatch.setattr(selectors, "NEAREST_FIRST_KM", 0.5)
    origin_lat, origin_lon = float(owner.site.latitude), float(owner.site.longitude)
    lots = []
    for n, km in enumerate([0.2, 0.4, 0.45, 0.7, 1.1, 1.5, 2.5, 3.0, 6.0, 9.0, 15.0]):
        site = SiteFactory(
            organisation=owner.organisation,
            latitude=Decimal(f"{origin_lat + math.degrees(km / EARTH_RADIUS_KM):.6f}"),
            longitude=Decimal(f"{origin_lon:.6f}"),
        )
        until = timezone.localdate() + datetime.timedelta(days=(n * 7) % 11 + 1)
        lots.append(LotFactory(site=site, published=True, available_until=until))
    client = client_for(owner.user)
    by_distance = [lot.pk for lot in lots]  # placed nearest first
    by_closing = [lot.pk for lot in sorted(lots, key=lambda lot: (lot.available_until, -lot.pk))]
    near = {"near_site": owner.site.pk, "radius_km": 20, "ordering": "nearest", "page_size": 2}
    pages = [ids(client.get(URL, {**near, "page": page})) for page in (1, 2, 3)]
    assert [pk for page in pages for pk in page] == by_distance[:6]
    body = client.get(URL, near).json()
    assert (body["count"], body["count_capped"]) == (5, True)
    soon = {"ordering": "closing_soon", "page_size": 4}
    pages = [ids(client.get(URL, {**soon, "page": page})) for page in (1, 2)]
    assert [pk for page in pages for pk in page] == by_closing[:6]  # the capped count
    # the first page of each, one lot at a time, names the same lots in the same order
    assert ids(client.get(URL, {**near, "page_size": 1}))[0] == by_distance[0]
    assert ids(client.get(URL, {**soon, "page_size": 1}))[0] == by_closing[0]


def test_an_import_suggests_the_right_code_for_an_unknown_value(client_for, owner):
    upload = csv_file(f"Chaises,chaise,10,god,{IN_A_MONTH},hq2,,")
    response = client_for(owner.user).post(
        f"{URL}import/?dry_run=1", {"file": upload}, format="multipart"
    )
    assert response.status_code == 200
    problems = {p["column"]: p for p in response.json()["problems"]}
    assert problems["category"]["suggestions"] == ["office-chair", "wooden-chair"]
    assert "Did you mean office-chair or wooden-chair?" in problems["category"]["reason"]
    assert problems["condition"]["suggestions"] == ["good"]
    assert problems["site"]["suggestions"] == ["HQ"]
    assert response.json()["file_token"] == ""


def test_a_dry_run_keeps_the_file_for_its_import_by_token(client_for, owner):
    client = client_for(owner.user)
    upload = csv_file(f"Chairs,office-chair,10,good,{IN_A_MONTH},HQ,12,")
    dry = client.post(f"{URL}import/?dry_run=1", {"file": upload}, format="multipart").json()
    assert dry["problems"] == [] and dry["file_token"] and dry["file_expires_at"]
    # another organisation's member cannot use it
    stranger = MembershipFactory(role="admin", organisation=OrganisationFactory(kind="federal"))
    refused = client_for(stranger.user).post(
        f"{URL}import/", {"file_token": dry["file_token"]}, format="json"
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "import_file_gone"
    # its own person imports it by token
    response = client.post(f"{URL}import/", {"file_token": dry["file_token"]}, format="json")
    assert response.status_code == 201, response.json()
    assert Lot.objects.get().title == "Chairs"
    assert (
        client.post(f"{URL}import/", {"file_token": dry["file_token"]}, format="json").status_code
        == 400
    )
    # neither a file nor a token, or both: 400 naming the file
    assert "file" in client.post(f"{URL}import/", {}, format="json").json()["errors"]


def test_the_category_codes_list_has_every_code_in_four_languages(client_for, owner):
    client = client_for(owner.user)
    answer = client.get(f"{URL}import/categories/")
    assert answer["Content-Type"].startswith("text/csv")
    lines = answer.content.decode().splitlines()
    assert lines[0] == "code,parent,name_nl,name_fr,name_de,name_en"
    assert "office-chair,furniture,Bureaustoel,Chaise de bureau,Bürostuhl,Office chair" in lines
    assert len(lines) == Category.objects.count() + 1
    sheet = load_workbook(
        io.BytesIO(client.get(f"{URL}import/categories/", {"type": "xlsx"}).content)
    ).active
    assert [c.value for c in sheet[1]] == [
        "code",
        "parent",
        "name_nl",
        "name_fr",
        "name_de",
        "name_en",
    ]
    assert sheet.max_row == Category.objects.count() + 1


def test_the_xlsx_template_has_typed_columns_and_lists(client_for, owner):
    SiteFactory(organisation=owner.organisation, name="Annex")
    content = client_for(owner.user).get(f"{URL}import/template/", {"type": "xlsx"}).content
    workbook = load_workbook(io.BytesIO(content))
    sheet = workbook["lots"]
    header = [c.value for c in sheet[1]]
    example = dict(zip(header, (c.value for c in sheet[2]), strict=True))
    # numbers as numbers, the date as a date
    assert isinstance(example["quantity"], int)
    assert isinstance(example["unit_weight_kg"], float)
    assert isinstance(example["available_until"], datetime.datetime)
    assert sheet.cell(3, header.index("available_until") + 1).number_format == "yyyy-mm-dd"
    # drop-down lists of category codes, conditions and the organisation's sites
    lists = {
        str(v.sqref).split(":")[0].rstrip("0123456789"): v
        for v in sheet.data_validations.dataValidation
    }

    def column(name):
        return chr(ord("A") + header.index(name))

    assert lists[column("condition")].formula1 == '"new,good,fair,parts"'
    assert lists[column("category")].type == "list"
    assert lists[column("quantity")].type == "whole"
    codes = workbook["codes"]
    listed = [row[0] for row in codes.iter_rows(min_row=2, values_only=True) if row[0]]
    assert sorted(listed) == sorted(Category.objects.values_list("code", flat=True))
    sites = [row[8] for row in codes.iter_rows(min_row=2, values_only=True) if row[8]]
    assert sites == ["Annex", "HQ"]
    assert lists[column("site")].formula1 == "'codes'!$I$2:$I$3"
    # and the template, filled in as it comes, imports
    out = io.BytesIO()
    workbook.save(out)
    response = client_for(owner.user).post(
        f"{URL}import/?dry_run=1",
        {"file": SimpleUploadedFile("lots.xlsx", out.getvalue())},
        format="multipart",
    )
    assert response.status_code == 200
    assert response.json()["problems"] == [], response.json()


def test_publish_selected_publishes_each_publishable_draft_and_says_why_not(client_for, owner):
    # given two ready drafts, a laptop lot without its attestation and a foreign lot
    chairs = LotFactory(owner=owner.organisation, site=owner.site, status="draft")
    desks = LotFactory(owner=owner.organisation, site=owner.site, status="draft")
    laptops = LotFactory(
        owner=owner.organisation,
        site=owner.site,
        status="draft",
        category=Category.objects.get(code="laptop"),
    )
    foreign = LotFactory(status="draft")
    # when they are published in one step
    response = client_for(owner.user).post(
        f"{URL}publish-selected/",
        {"lots": [chairs.pk, laptops.pk, desks.pk, foreign.pk]},
        format="json",
    )
    # then the ready ones are published, the others say why
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["published"] == [chairs.pk, desks.pk]
    refused = {r["id"]: r for r in body["refused"]}
    assert refused[laptops.pk]["code"] == "lot_not_publishable"
    assert refused[laptops.pk]["missing"]
    assert refused[foreign.pk]["code"] == "lot_not_found"
    statuses = dict(Lot.objects.values_list("pk", "status"))
    assert statuses == {
        chairs.pk: "published",
        desks.pk: "published",
        laptops.pk: "draft",
        foreign.pk: "draft",
    }
    assert (
        client_for(owner.user)
        .post(f"{URL}publish-selected/", {"lots": []}, format="json")
        .status_code
        == 400
    )


@pytest.mark.parametrize("token", ["x" * 65, "../../etc/passwd", "", "' OR 1=1 --"])
def test_a_made_up_file_token_is_a_400(client_for, owner, token):
    response = client_for(owner.user).post(f"{URL}import/", {"file_token": token}, format="json")
    assert response.status_code == 400
    assert not Lot.objects.exists()
