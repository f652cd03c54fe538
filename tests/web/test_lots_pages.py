"""The lot pages, walked the way people use them: post a lot through the form, add
photos, attest the sanitisation, publish, and find it in the catalogue."""

import datetime
import html
import io
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from PIL import Image

from exchange.categories.models import Category
from exchange.lots.models import Lot, LotImportFile, LotItem, LotPhoto, LotStatus
from exchange.lots.services.imports import lot_import_files_sweep
from exchange.lots.services.lots import ItemInput
from exchange.lots.services.photos import lot_photo_add, lot_photo_process
from exchange.lots.views import CATALOGUE_PAGE_SIZE
from exchange.organisations.models import MembershipRole
from tests.exchange.lots.conftest import image_bytes
from tests.factories import LotFactory, MembershipFactory, SiteFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
IN_A_MONTH = TODAY + datetime.timedelta(days=30)


def jpeg(size=(640, 480), color=(40, 90, 160)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="JPEG")
    return out.getvalue()


def photo_upload(name="laptop.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg(), content_type="image/jpeg")


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def owner(fed_admin, categories):
    """An admin of a verified federal service with a site in Brussels."""
    fed_admin.site = SiteFactory(organisation=fed_admin.organisation, name="Headquarters")
    return fed_admin


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner.user)
    return client


@pytest.fixture
def namur_site():
    return SiteFactory(
        region="WAL",
        postcode="5000",
        municipality="Namur",
        latitude=Decimal("50.466900"),
        longitude=Decimal("4.867500"),
    )


def lot_form(owner, **overrides) -> dict:
    data = {
        "title": "Laptops Dell Latitude 7420",
        "category": Category.objects.get(code="laptop").pk,
        "quantity": "3",
        "condition": "good",
        "description": "14 inch, chargers included",
        "unit_weight_kg": "",
        "site": owner.site.pk,
        "available_until": IN_A_MONTH.isoformat(),
        "pickup_notes": "Loading dock B",
        "items": "SN-1\r\nSN-2;INV-0002\r\n",
        "federal_window_days": "",
        "social_economy_window_days": "",
        "window_reason": "",
    }
    data.update(overrides)
    return data


def erasure_csv(rows) -> SimpleUploadedFile:
    lines = ["Serial Number;Erasure Method;Software;Result;Operator;Date", *rows]
    return SimpleUploadedFile("report.csv", "\n".join(lines).encode(), content_type="text/csv")


# --- The whole journey ------------------------------------------------------------


def test_a_member_posts_an_it_lot_adds_a_photo_sanitises_it_and_publishes_it(owner_client, owner):
    # given: a member fills in the lot form
    response = owner_client.post(reverse("lots:create"), lot_form(owner))
    lot = Lot.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("lots:detail", args=[lot.pk])
    assert lot.status == LotStatus.DRAFT
    assert lot.owner == owner.organisation
    assert [(i.serial_number, i.asset_tag) for i in lot.items.all()] == [
        ("SN-1", ""),
        ("SN-2", "INV-0002"),
    ]

    # when: they upload a photo without JavaScript (a plain multipart form) ...
    response = owner_client.post(
        reverse("lots:photos", args=[lot.pk]),
        {"images": [photo_upload("front.jpg")], "alt_text": "Closed laptop, seen from above"},
        follow=True,
    )
    assert "1 photo added." in response.content.decode()
    # ... and another through the upload script's endpoint
    response = owner_client.post(
        reverse("lots:photo_upload", args=[lot.pk]),
        {"image": photo_upload("side.jpg"), "alt_text": "Ports on the left side"},
    )
    assert response.status_code == 201
    assert "Ports on the left side" in response.json()["html"]
    assert list(lot.photos.values_list("alt_text", flat=True)) == [
        "Closed laptop, seen from above",
        "Ports on the left side",
    ]

    # then: publishing an IT lot without attestation is refused, saying what is missing
    response = owner_client.post(reverse("lots:publish", args=[lot.pk]), follow=True)
    page = response.content.decode()
    assert "cannot be published yet" in page
    assert "attest how the storage media were sanitised" in page
    assert "No verified erasure record for device(s): SN-1, SN-2." in page  # from the start
    lot.refresh_from_db()
    assert lot.status == LotStatus.DRAFT

    # when: they attest the sanitisation
    response = owner_client.post(
        reverse("lots:sanitisation", args=[lot.pk]),
        {
            "attest": "1",
            "attest-method": "purge",
            "attest-performed_on": TODAY.isoformat(),
            "attest-responsible_person": "Els Vermeulen",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "The sanitisation attestation is saved." in page
    # then: the devices still lack their erasure records, and the page says which
    assert "No verified erasure record for device(s): SN-1, SN-2." in page

    # when: they upload the erasure tool's report
    report = erasure_csv(
        [
            f"SN-1;NIST 800-88 Purge;Eraser 7.2;Passed;IT desk;{TODAY.isoformat()}",
            f"SN-2;NIST 800-88 Purge;Eraser 7.2;Passed;IT desk;{TODAY.isoformat()}",
        ]
    )
    response = owner_client.post(
        reverse("lots:sanitisation", args=[lot.pk]),
        {"erasures": "1", "erasures-report": report},
        follow=True,
    )
    assert "The erasure records of 2 devices are saved." in response.content.decode()
    assert "Nothing: the sanitisation is complete." in response.content.decode()

    # and publish
    response = owner_client.post(reverse("lots:publish", args=[lot.pk]), follow=True)
    assert "The lot is published" in response.content.decode()
    lot.refresh_from_db()
    assert lot.status == LotStatus.PUBLISHED

    # then: anyone finds it in the catalogue by text and region
    visitor = Client()
    response = visitor.get(reverse("lots:catalogue"), {"q": "latitude", "region": "BRU"})
    assert response.status_code == 200
    assert "Laptops Dell Latitude 7420" in response.content.decode()
    response = visitor.get(reverse("lots:catalogue"), {"q": "latitude", "region": "WAL"})
    assert "Laptops Dell Latitude 7420" not in response.content.decode()
    response = visitor.get(reverse("lots:catalogue"), {"q": "chair"})
    assert "Laptops Dell Latitude 7420" not in response.content.decode()
    # and its page shows the claim window, the pickup address and the devices
    page = visitor.get(reverse("lots:detail", args=[lot.pk])).content.decode()
    assert "<strong>Now:</strong> verified federal services." in page
    assert "federal services and social-economy enterprises with a valid accreditation." in page
    assert "Wetstraat 16" in page
    assert "INV-0002" in page
    assert "Publish" not in page  # no owner actions for visitors


def test_the_refusal_of_a_bad_form_keeps_what_was_typed_and_names_the_device_line(
    owner_client, owner
):
    response = owner_client.post(
        reverse("lots:create"),
        lot_form(owner, quantity="1", items="SN-1\nSN-1\n", available_until="2020-01-01"),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "This date lies in the past." in page
    assert "The lot lists 2 items for a quantity of 1." in page
    assert "Line 2: SN-1 appears twice in this lot." in page
    assert "Laptops Dell Latitude 7420" in page  # the title stays in the form
    assert not Lot.objects.exists()


def test_editing_a_draft_keeps_the_devices_erasure_records_when_the_list_is_unchanged(
    owner_client, owner
):
    # given: a laptop lot whose device has an erasure record
    lot = LotFactory(
        site=owner.site,
        category=Category.objects.get(code="laptop"),
        items=[ItemInput(serial_number="SN-9", asset_tag="INV-9")],
    )
    LotItem.objects.filter(lot=lot).update(erasure_method="purge", erasure_date=TODAY)
    page = owner_client.get(reverse("lots:edit", args=[lot.pk])).content.decode()
    assert "SN-9;INV-9" in page

    # when: the title changes, the device list is posted back as browsers do (CRLF)
    response = owner_client.post(
        reverse("lots:edit", args=[lot.pk]),
        lot_form(owner, title="Laptops, 14 inch", quantity="10", items="SN-9;INV-9\r\n"),
    )

    # then
    assert response.status_code == 302
    lot.refresh_from_db()
    assert lot.title == "Laptops, 14 inch"
    item = lot.items.get()
    assert (item.serial_number, item.erasure_method) == ("SN-9", "purge")


def test_a_draft_is_withdrawn_or_deleted_with_buttons(owner_client, owner):
    first, second = LotFactory(site=owner.site), LotFactory(site=owner.site)

    response = owner_client.post(reverse("lots:withdraw", args=[first.pk]))
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.status == LotStatus.WITHDRAWN

    confirm = owner_client.get(reverse("lots:delete", args=[second.pk])).content.decode()
    assert "cannot be undone" in confirm
    response = owner_client.post(reverse("lots:delete", args=[second.pk]))
    assert response["Location"] == reverse("lots:mine")
    assert not Lot.objects.filter(pk=second.pk).exists()

    # actions are POST only
    assert owner_client.get(reverse("lots:publish", args=[first.pk])).status_code == 405


def test_every_form_that_posts_carries_a_csrf_token(owner_client, owner):
    lot = LotFactory(site=owner.site, category=Category.objects.get(code="laptop"))
    photo = lot_photo_add(actor=owner, lot=lot, upload=photo_upload())
    lot_photo_process(photo_id=photo.pk)
    names = ["detail", "edit", "delete", "photos", "sanitisation"]
    pages = [reverse(f"lots:{name}", args=[lot.pk]) for name in names]
    pages += [reverse("lots:create"), reverse("lots:import")]
    for url in pages:
        page = owner_client.get(url).content.decode()
        forms = page.split("<form")[1:]
        posting = [form.split("</form>")[0] for form in forms if 'method="post"' in form]
        assert posting, url
        assert all("csrfmiddlewaretoken" in form for form in posting), url


# --- Photos ----------------------------------------------------------------------


def test_the_upload_endpoint_answers_json_and_refuses_what_is_not_an_image(owner_client, owner):
    lot = LotFactory(site=owner.site)
    url = reverse("lots:photo_upload", args=[lot.pk])

    response = owner_client.post(
        url, {"image": SimpleUploadedFile("notes.jpg", b"not an image", "image/jpeg")}
    )

    assert response.status_code == 400
    assert response.json()["error"] == "This is not a JPEG, PNG or WebP image."
    assert owner_client.post(url, {}).json()["error"] == "Choose a photo."
    assert not LotPhoto.objects.exists()


def test_the_photo_page_lists_photos_with_a_delete_button_and_the_progress_script(
    owner_client, owner
):
    lot = LotFactory(site=owner.site)
    photo = lot_photo_add(actor=owner, lot=lot, upload=photo_upload(), alt_text="Front")
    lot_photo_process(photo_id=photo.pk)

    page = owner_client.get(reverse("lots:photos", args=[lot.pk])).content.decode()

    assert 'enctype="multipart/form-data"' in page
    assert "multiple" in page
    assert 'aria-live="polite"' in page
    assert "js/photo-upload.js" in page
    assert reverse("lots:photo_delete", args=[lot.pk, photo.pk]) in page

    response = owner_client.post(reverse("lots:photo_delete", args=[lot.pk, photo.pk]))
    assert response.status_code == 302
    assert not LotPhoto.objects.exists()


# --- Sanitisation ----------------------------------------------------------------


def test_an_erasure_report_with_problems_lists_every_bad_row_and_records_nothing(
    owner_client, owner
):
    lot = LotFactory(
        site=owner.site,
        category=Category.objects.get(code="laptop"),
        items=[ItemInput(serial_number="SN-1")],
    )
    report = erasure_csv(
        [
            f"SN-1;wiped;Eraser 7.2;Passed;IT desk;{TODAY.isoformat()}",
            f";purge;Eraser 7.2;Passed;IT desk;{TODAY.isoformat()}",
            "SN-3;purge;Eraser 7.2;Passed;IT desk;yesterday",
        ]
    )

    response = owner_client.post(
        reverse("lots:sanitisation", args=[lot.pk]), {"erasures": "1", "erasures-report": report}
    )

    page = html.unescape(response.content.decode())
    assert response.status_code == 400
    # every problem at the top of the page, before the attestation and the devices
    top = page.split('id="missing-heading"')[0]
    assert "4 problems in the erasure report: nothing was recorded." in top
    assert "Row 2 (method): The method must be clear, purge or destroy." in strip_tags(top)
    assert "Row 3 (serial_number): No serial number or asset tag." in strip_tags(top)
    assert "Row 4 (date): Not a date: yesterday" in strip_tags(top)
    assert "Row 4 (serial_number): SN-3 is not one of the lot's devices" in strip_tags(top)
    assert not LotItem.objects.exclude(erasure_method="").exists()


def test_an_erasure_report_names_the_row_of_a_failed_verification(owner_client, owner):
    lot = LotFactory(
        site=owner.site,
        category=Category.objects.get(code="laptop"),
        items=[ItemInput(serial_number="SN-1"), ItemInput(serial_number="SN-2")],
    )
    # the template lists the lot's devices under the columns the page explains
    template = owner_client.get(reverse("lots:erasure_template", args=[lot.pk]))
    assert template.content.decode().splitlines() == [
        "serial_number,asset_tag,make_model,media_type,method,tool,verified,performer,date",
        "SN-1,,,",
        "SN-2,,,",
    ]
    page = owner_client.get(reverse("lots:sanitisation", args=[lot.pk])).content.decode()
    assert "<code>verified</code>" in page
    report = erasure_csv(
        [
            f"SN-1;purge;Eraser 7.2;Passed;IT desk;{TODAY.isoformat()}",
            f"SN-2;purge;Eraser 7.2;Failed;IT desk;{TODAY.isoformat()}",
        ]
    )
    response = owner_client.post(
        reverse("lots:sanitisation", args=[lot.pk]), {"erasures": "1", "erasures-report": report}
    )
    top = strip_tags(html.unescape(response.content.decode()).split('id="missing-heading"')[0])
    assert "1 problem in the erasure report: nothing was recorded." in top
    assert "Row 3 (verified): The erasure of SN-2 failed its verification" in top
    assert not LotItem.objects.exclude(erasure_method="").exists()
    # a template from another organisation's lot is not found
    other = LotFactory(category=Category.objects.get(code="laptop"))
    assert owner_client.get(reverse("lots:erasure_template", args=[other.pk])).status_code == 404


def test_a_picture_given_as_erasure_report_is_refused_with_400_naming_the_problem(
    owner_client, owner
):
    lot = LotFactory(
        site=owner.site,
        category=Category.objects.get(code="laptop"),
        items=[ItemInput(serial_number="SN-1")],
    )
    picture = SimpleUploadedFile("report.csv", image_bytes("PNG"), "text/csv")

    response = owner_client.post(
        reverse("lots:sanitisation", args=[lot.pk]), {"erasures": "1", "erasures-report": picture}
    )

    assert response.status_code == 400
    assert "This is not a CSV text file" in response.content.decode()
    assert not LotItem.objects.exclude(erasure_method="").exists()


# --- Visibility ------------------------------------------------------------------


def test_another_organisations_draft_is_404_and_its_published_lot_is_visible(owner_client, owner):
    other_site = SiteFactory()
    draft = LotFactory(site=other_site, title="Their draft")
    published = LotFactory(site=other_site, title="Their desks", published=True)

    assert owner_client.get(reverse("lots:detail", args=[draft.pk])).status_code == 404
    assert Client().get(reverse("lots:detail", args=[draft.pk])).status_code == 404
    assert owner_client.get(reverse("lots:detail", args=[published.pk])).status_code == 200
    # nor can anyone act on another organisation's lot
    for name in ("edit", "photos", "sanitisation", "delete"):
        assert owner_client.get(reverse(f"lots:{name}", args=[draft.pk])).status_code == 404
    assert owner_client.post(reverse("lots:publish", args=[draft.pk])).status_code == 404
    assert owner_client.post(reverse("lots:withdraw", args=[published.pk])).status_code == 404
    draft.refresh_from_db()
    assert draft.status == LotStatus.DRAFT


def test_the_pages_say_who_may_claim_in_the_windows_of_the_eligibility_rules(owner_client, owner):
    # given a lot in its social-economy window, the open one five days ahead
    now = timezone.now()
    lot = LotFactory(title="Desks in the second window", published=True)
    Lot.objects.filter(pk=lot.pk).update(
        published_at=now - datetime.timedelta(days=12),
        social_economy_opens_at=now - datetime.timedelta(days=2),
        open_opens_at=now + datetime.timedelta(days=5),
    )
    draft = LotFactory(site=owner.site, title="Our draft")
    # when anyone looks at the catalogue and the lot's page
    catalogue = Client().get(reverse("lots:catalogue")).content.decode()
    page = Client().get(reverse("lots:detail", args=[lot.pk])).content.decode()
    # then the badge and the page name who may claim now and who next
    assert "Federal and social economy</span>" in catalogue
    assert (
        "<strong>Now:</strong> federal services and social-economy enterprises with a "
        "valid accreditation." in page
    )
    assert "</strong> every verified organisation.</p>" in page
    # and the owner's draft lists the windows in the order they will open
    page = owner_client.get(reverse("lots:detail", args=[draft.pk])).content.decode()
    assert (
        "<ol><li>Verified federal services</li><li>Federal services and social-economy "
        "enterprises with a valid accreditation</li><li>Every verified organisation</li></ol>"
    ) in page


def test_pages_for_members_send_visitors_to_the_login(client, categories):
    for name in ("lots:mine", "lots:create", "lots:import"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert reverse("account_login") in response["Location"]
    assert client.get(reverse("lots:catalogue")).status_code == 200


def test_my_lots_lists_every_status_and_the_nav_links_to_it(owner_client, owner):
    LotFactory(site=owner.site, title="Draft chairs")
    LotFactory(site=owner.site, title="Published desks", published=True)
    LotFactory(site=SiteFactory(), title="Someone else's lot", published=True)

    page = owner_client.get(reverse("lots:mine")).content.decode()

    assert "Draft chairs" in page and "Published desks" in page
    assert "Someone else&#x27;s lot" not in page
    assert "status-draft" in page and "status-published" in page
    assert f'href="{reverse("lots:create")}"' in page  # "Post a lot" in the nav
    assert f'href="{reverse("lots:catalogue")}"' in page
    drafts = owner_client.get(reverse("lots:mine"), {"status": "draft"}).content.decode()
    assert "Published desks" not in drafts


def test_a_viewer_sees_the_lots_but_no_post_link_nor_actions(make_member, categories):
    viewer = make_member(MembershipRole.VIEWER)
    lot = LotFactory(site=SiteFactory(organisation=viewer.organisation))
    client = Client()
    client.force_login(viewer.user)

    assert reverse("lots:create") not in client.get(reverse("lots:mine")).content.decode()
    page = client.get(reverse("lots:detail", args=[lot.pk])).content.decode()
    assert reverse("lots:publish", args=[lot.pk]) not in page
    response = client.post(reverse("lots:publish", args=[lot.pk]), follow=True)
    assert "does not allow this" in response.content.decode()


# --- Catalogue -------------------------------------------------------------------


def test_the_catalogue_filters_by_category_subtree_condition_and_distance(
    owner_client, owner, namur_site
):
    brussels_chairs = LotFactory(site=SiteFactory(), title="Brussels chairs", published=True)
    namur_desks = LotFactory(
        site=namur_site,
        category=Category.objects.get(code="desk"),
        title="Namur desks",
        condition="fair",
        published=True,
    )
    url = reverse("lots:catalogue")

    furniture = Category.objects.get(code="furniture")
    page = owner_client.get(url, {"category": furniture.pk}).content.decode()
    assert brussels_chairs.title in page and namur_desks.title in page
    page = owner_client.get(url, {"min_condition": "good"}).content.decode()
    assert brussels_chairs.title in page and namur_desks.title not in page

    near = {"near_site": owner.site.pk, "radius_km": "25", "ordering": "nearest"}
    page = owner_client.get(url, near).content.decode()
    assert brussels_chairs.title in page and namur_desks.title not in page
    assert "0.0 km" in page
    page = owner_client.get(url, {**near, "radius_km": "100"}).content.decode()
    assert page.index(brussels_chairs.title) < page.index(namur_desks.title)

    response = owner_client.get(url, {"ordering": "nearest"})
    assert "Choose one of your sites to sort by distance from it." in response.content.decode()


def test_the_catalogue_sorted_by_closing_date_or_distance_pages_through_every_lot(
    owner_client, owner
):
    """Sorted by a key, a page's ids are read first, then its lots: every lot comes once,
    in order, across the pages, with its distance, in a constant number of queries."""
    today = timezone.localdate()
    lots = [
        LotFactory(
            site=SiteFactory(),
            title=f"Chairs {n:02d}",
            published=True,
            available_until=today + datetime.timedelta(days=10 + n % 7),
        )
        for n in range(CATALOGUE_PAGE_SIZE + 3)
    ]
    by_closing = [lot.title for lot in sorted(lots, key=lambda lot: (lot.available_until, -lot.pk))]
    url = reverse("lots:catalogue")

    def titles(params: dict) -> list[str]:
        page = owner_client.get(url, params).content.decode()
        return sorted(
            (lot.title for lot in lots if lot.title in page), key=lambda title: page.index(title)
        )

    soon = {"ordering": "closing_soon"}
    assert titles(soon) + titles({**soon, "page": 2}) == by_closing
    with CaptureQueriesContext(connection) as first:
        owner_client.get(url, soon)
    with CaptureQueriesContext(connection) as second:
        owner_client.get(url, {**soon, "page": 2})
    assert len(first) == len(second)
    near = {"near_site": owner.site.pk, "radius_km": "25", "ordering": "nearest"}
    page = owner_client.get(url, near).content.decode()
    assert "0.0 km" in page and len(titles(near)) == CATALOGUE_PAGE_SIZE


def test_claimable_now_follows_the_claim_windows(make_member, categories):
    lot = LotFactory(site=SiteFactory(), title="Fresh monitors", published=True)
    url = reverse("lots:catalogue")
    federal, nonprofit = make_member(kind="federal"), make_member(kind="nonprofit")
    for member, visible in ((federal, True), (nonprofit, False)):
        SiteFactory(organisation=member.organisation)
        client = Client()
        client.force_login(member.user)
        page = client.get(url, {"claimable": "on"}).content.decode()
        assert (lot.title in page) is visible


def test_the_catalogue_shows_thumbnails_with_alt_text_and_paginates(client, owner):
    lot = LotFactory(site=owner.site, title="Chair with photo", published=True)
    photo = lot_photo_add(actor=owner, lot=lot, upload=photo_upload(), alt_text="Black chair")
    lot_photo_process(photo_id=photo.pk)
    for n in range(24):
        LotFactory(site=owner.site, title=f"Plain lot {n}", published=True)

    first = client.get(reverse("lots:catalogue")).content.decode()
    second = client.get(reverse("lots:catalogue"), {"page": 2}).content.decode()

    assert "25 lots" in first
    assert "Page 1 of 2" in first
    assert "No photo" in first
    assert "Chair with photo" in second  # the oldest comes last
    assert 'alt="Black chair"' in second
    photo.refresh_from_db()
    assert photo.thumbnail_url in second


@pytest.mark.parametrize("signed_in", [False, True])
def test_the_catalogue_query_count_does_not_grow_with_the_number_of_lots(
    client, owner, signed_in, django_assert_max_num_queries
):
    # given: two lots, and the number of queries the page makes for them
    def make_lots(count: int) -> None:
        for n in range(count):
            LotFactory(
                site=SiteFactory(),
                title=f"Lot {n}",
                items=[ItemInput(serial_number=f"S-{count}-{n}")],
                published=True,
            )

    if signed_in:
        client.force_login(owner.user)
    params = {"near_site": owner.site.pk, "radius_km": "100"} if signed_in else {}
    make_lots(2)
    client.get(reverse("lots:catalogue"), params)  # warm caches (content types, session)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("lots:catalogue"), params)

    # when: there are many more, with photos
    make_lots(20)
    for lot in Lot.objects.all()[:10]:
        LotPhoto.objects.create(lot=lot, original="x.jpg", width=1, height=1)

    # then
    with django_assert_max_num_queries(len(few)):
        response = client.get(reverse("lots:catalogue"), params)
    assert response.context["page"].paginator.count == 22


# --- Import ----------------------------------------------------------------------


def import_file(rows, name="lots.csv") -> SimpleUploadedFile:
    header = "title,category,quantity,condition,available_until,site"
    return SimpleUploadedFile(name, "\n".join([header, *rows]).encode(), "text/csv")


def test_an_import_dry_run_reports_every_bad_row_and_imports_nothing(owner_client, owner):
    upload = import_file(
        [
            f"Office chairs,office-chair,12,good,{IN_A_MONTH.isoformat()},Headquarters",
            f"Desks,desk,lots,good,{IN_A_MONTH.isoformat()},Headquarters",
            f"Cabinets,spaceship,2,good,{IN_A_MONTH.isoformat()},Headquarters",
        ]
    )

    response = owner_client.post(reverse("lots:import"), {"file": upload, "dry_run": "1"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "2 problems: nothing was imported." in page
    rows = problem_rows(page)
    assert ("3", "quantity", "Not a whole number: lots") in rows
    assert ("4", "category", "Unknown category: spaceship") in rows
    assert not Lot.objects.exists()


def problem_rows(page: str) -> list[tuple[str, ...]]:
    """The import report's problems as (row, column, reason), as a person reads them."""
    table = page.split('id="problems-caption"', 1)[1].split("</table>", 1)[0]
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)[1:]:
        cells = [
            re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        rows.append(tuple(html.unescape(c) for c in cells))
    return rows


def test_unknown_values_are_answered_with_the_closest_known_ones(owner_client, owner):
    # given a spreadsheet typed in French, with a site name misspelled
    upload = import_file([f"Chaises,chaise,12,bon,{IN_A_MONTH.isoformat()},Headquaters"])
    # when it is checked
    response = owner_client.post(reverse("lots:import"), {"file": upload, "dry_run": "1"})
    # then each unknown value says what was probably meant
    rows = problem_rows(response.content.decode())
    assert rows == [
        (
            "2",
            "category",
            "Unknown category: chaise. Did you mean office-chair or wooden-chair?",
        ),
        ("2", "condition", "Unknown condition: bon. Did you mean good?"),
        ("2", "site", "Not one of your sites: Headquaters. Did you mean Headquarters?"),
    ]


def test_an_import_creates_drafts_after_a_clean_dry_run(owner_client, owner):
    rows = [f"Office chairs,office-chair,12,good,{IN_A_MONTH.isoformat()},Headquarters"]

    dry = owner_client.post(reverse("lots:import"), {"file": import_file(rows), "dry_run": "1"})
    assert "The 1 row is fine." in dry.content.decode()
    assert not Lot.objects.exists()

    response = owner_client.post(reverse("lots:import"), {"file": import_file(rows), "import": "1"})
    assert response["Location"] == reverse("lots:mine") + "?status=draft"
    assert Lot.objects.get().status == LotStatus.DRAFT


def test_the_checked_file_is_imported_without_choosing_it_again(owner_client, owner):
    # given a clean dry run
    rows = [f"Office chairs,office-chair,12,good,{IN_A_MONTH.isoformat()},Headquarters"]
    dry = owner_client.post(reverse("lots:import"), {"file": import_file(rows), "dry_run": "1"})
    page = dry.content.decode()
    assert "Import the checked file (1 lot)" in page
    token = re.search(r'name="file_token" value="([^"]+)"', page).group(1)
    assert len(token) >= 40
    # when someone else of the organisation sends the token, it is no file of theirs
    colleague = MembershipFactory(organisation=owner.organisation, role=MembershipRole.MEMBER)
    client = Client()
    client.force_login(colleague.user)
    other = client.post(reverse("lots:import"), {"file_token": token})
    assert other.status_code == 400
    assert "no longer kept" in other.content.decode()
    assert not Lot.objects.exists()
    # when the person who checked it imports it
    response = owner_client.post(reverse("lots:import"), {"file_token": token})
    # then the lot is a draft, and the file is gone
    assert response.status_code == 302
    assert Lot.objects.get().title == "Office chairs"
    again = owner_client.post(reverse("lots:import"), {"file_token": token})
    assert again.status_code == 400
    assert Lot.objects.count() == 1


def test_a_kept_file_expires(owner_client, owner):
    rows = [f"Office chairs,office-chair,12,good,{IN_A_MONTH.isoformat()},Headquarters"]
    dry = owner_client.post(reverse("lots:import"), {"file": import_file(rows), "dry_run": "1"})
    token = re.search(r'name="file_token" value="([^"]+)"', dry.content.decode()).group(1)
    kept = LotImportFile.objects.get(token=token)
    with kept.file.open("rb") as stored:
        assert b"Office chairs" in stored.read()
    LotImportFile.objects.filter(pk=kept.pk).update(expires_at=timezone.now())
    assert owner_client.post(reverse("lots:import"), {"file_token": token}).status_code == 400
    assert lot_import_files_sweep() == 1
    assert not LotImportFile.objects.exists()
    assert not kept.file.storage.exists(kept.file.name)
    assert not Lot.objects.exists()


def test_the_import_page_offers_the_templates_and_lists_the_columns(owner_client):
    page = owner_client.get(reverse("lots:import")).content.decode()
    assert "/lots/import/template.csv" in page and "/lots/import/template.xlsx" in page
    assert "Name or id of one of your organisation&#x27;s sites" in page
    assert "/lots/import/categories.csv" in page and "/lots/import/categories.xlsx" in page
    assert "<code>wooden-chair</code>" in page

    csv_response = owner_client.get("/lots/import/template.csv")
    assert csv_response["Content-Type"].startswith("text/csv")
    assert csv_response.content.startswith(b"title,category,quantity")
    xlsx = owner_client.get("/lots/import/template.xlsx")
    assert xlsx.content[:2] == b"PK"


def test_my_lots_publishes_the_ticked_drafts_in_one_step(owner_client, owner):
    # given two drafts ready and one IT draft still missing its sanitisation
    chairs = LotFactory(owner=owner.organisation, site=owner.site, status="draft", title="Chairs")
    desks = LotFactory(owner=owner.organisation, site=owner.site, status="draft", title="Desks")
    laptops = LotFactory(
        owner=owner.organisation,
        site=owner.site,
        status="draft",
        title="Laptops",
        category=Category.objects.get(code="laptop"),
    )
    page = owner_client.get(reverse("lots:mine")).content.decode()
    assert page.count('form="publish-selected"') == 3
    assert "Publish selected" in page
    # when all three are ticked and published
    response = owner_client.post(
        reverse("lots:publish_selected"), {"lots": [chairs.pk, desks.pk, laptops.pk]}, follow=True
    )
    # then two are published and the page says why the third is not
    text = html.unescape(response.content.decode())
    assert "2 lots are published: “Chairs”, “Desks”." in text
    assert "“Laptops” is not published: The lot cannot be published yet" in text
    statuses = dict(Lot.objects.values_list("title", "status"))
    assert statuses == {"Chairs": "published", "Desks": "published", "Laptops": "draft"}


def test_a_lot_states_its_size_and_the_catalogue_card_shows_it(owner_client, owner):
    # given a desk lot typed with its size
    form = lot_form(
        owner,
        title="Desks",
        category=Category.objects.get(code="desk").pk,
        items="",
        width_cm="160",
        depth_cm="80",
        height_cm="75",
    )
    assert owner_client.post(reverse("lots:create"), form).status_code == 302
    lot = Lot.objects.get()
    assert lot.size == (160, 80, 75)
    # an impossible size is refused with the field named
    bad = owner_client.post(reverse("lots:create"), {**form, "height_cm": "0", "width_cm": "99999"})
    assert bad.status_code == 200
    assert Lot.objects.count() == 1
    assert 'id="id_width_cm"' in bad.content.decode() and "aria-invalid" in bad.content.decode()
    # when it is published, the catalogue card shows the size
    owner_client.post(reverse("lots:publish", args=[lot.pk]))
    page = owner_client.get(reverse("lots:catalogue")).content.decode()
    assert "160 × 80 × 75 cm" in page
    detail = owner_client.get(reverse("lots:detail", args=[lot.pk])).content.decode()
    assert "160 × 80 × 75 cm" in detail


def test_the_import_takes_the_size_columns(owner_client, owner):
    header = "title,category,quantity,condition,available_until,site,width_cm,depth_cm,height_cm"
    rows = [
        f"Cupboards,cabinet,4,good,{IN_A_MONTH.isoformat()},Headquarters,100,45,198",
        f"Desks,desk,2,good,{IN_A_MONTH.isoformat()},Headquarters,wide,80,",
    ]
    upload = SimpleUploadedFile("lots.csv", "\n".join([header, *rows]).encode(), "text/csv")
    response = owner_client.post(reverse("lots:import"), {"file": upload, "dry_run": "1"})
    assert problem_rows(response.content.decode()) == [
        ("3", "width_cm", "Not a whole number: wide")
    ]
    upload = SimpleUploadedFile("lots.csv", "\n".join([header, rows[0]]).encode(), "text/csv")
    owner_client.post(reverse("lots:import"), {"file": upload, "import": "1"})
    assert Lot.objects.get().size == (100, 45, 198)
