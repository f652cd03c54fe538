"""Private files (#10): only photos of published lots are public. Draft photos and their
sizes, sanitisation certificates and report files live where no URL maps them, under
names nobody can guess, and are served by views that check who asks: the file itself,
X-Accel-Redirect / X-Sendfile behind a proxy, a short-lived signed URL with S3."""

import datetime
import pathlib
import socket
import subprocess
import sys
import time
from urllib.parse import quote, urlsplit

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from exchange.categories.models import Category
from exchange.claims.services import claim_create
from exchange.lots.models import LotPhoto, SanitisationAttestation
from exchange.lots.services.lots import lot_publish
from exchange.lots.services.photos import lot_photo_add, lot_photo_process
from exchange.lots.services.sanitisation import lot_sanitisation_attest
from tests.exchange.lots.conftest import image_bytes
from tests.factories import LotFactory, MembershipFactory, OrganisationFactory, SiteFactory
from tests.support.hostile_files import pdf_clean

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("categories")]

SIZES = ("original", "web", "thumbnail")


@pytest.fixture
def owner(fed_admin):
    fed_admin.site = SiteFactory(organisation=fed_admin.organisation)
    return fed_admin


@pytest.fixture
def stranger():
    return MembershipFactory(organisation=OrganisationFactory(kind="federal"), role="admin")


@pytest.fixture
def draft_photo(owner):
    lot = LotFactory(site=owner.site, quantity=3, category=Category.objects.get(code="desk"))
    upload = SimpleUploadedFile("desk.jpg", image_bytes(), content_type="image/jpeg")
    photo = lot_photo_add(actor=owner, lot=lot, upload=upload)
    lot_photo_process(photo_id=photo.pk)
    photo.refresh_from_db()
    return photo


def _web(photo, size):
    return reverse("lots:photo_file", args=[photo.lot_id, photo.pk, size])


def _api(photo, size):
    return f"/api/v1/lots/{photo.lot_id}/photos/{photo.pk}/{size}/"


def _guessable(photo) -> list[str]:
    """Where the files were (or could be guessed) under /media/."""
    lot_id = photo.lot_id
    paths = [f"/media/lots/{lot_id}/sanitisation/certificate.pdf"]
    for size in SIZES:
        name = getattr(photo, size).name
        base = name.rsplit("/", 1)[-1]
        paths += [f"/media/{name}", f"/media/lots/{lot_id}/photos/{base}"]
    return paths


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_a_drafts_photos_are_nowhere_under_media_and_only_its_owner_gets_them(
    settings, client, client_for, draft_photo, owner, stranger
):
    # the files are under the private root, in folders nobody can guess
    assert not [p for p in pathlib.Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]
    for size in SIZES:
        name = getattr(draft_photo, size).name
        assert (pathlib.Path(settings.PRIVATE_MEDIA_ROOT) / name).is_file()
        folder = name.split("/")[-2]
        assert len(folder) >= 43 and str(draft_photo.lot_id) not in name.split("/")[:-1]
    # guessing the old paths gives nothing, anonymously or as another organisation
    for who in (None, stranger.user, owner.user):
        client.logout()
        if who:
            client.force_login(who)
        for path in _guessable(draft_photo):
            assert client.get(path).status_code == 404, (who, path)
    # the views: nothing to anyone else, the bytes to the owner, never cached
    client.logout()
    for size in SIZES:
        assert client.get(_web(draft_photo, size)).status_code == 404
        assert client_for(stranger.user).get(_api(draft_photo, size)).status_code == 404
    client.force_login(stranger.user)
    assert client.get(_web(draft_photo, "web")).status_code == 404
    client.force_login(owner.user)
    for size in SIZES:
        response = client.get(_web(draft_photo, size))
        assert response.status_code == 200
        assert response["Cache-Control"] == "private, no-store"
        assert response["Content-Type"] == "image/jpeg"
        assert _body(response) == getattr(draft_photo, size).read()
        response = client_for(owner.user).get(_api(draft_photo, size), HTTP_ACCEPT="image/*")
        assert response.status_code == 200 and _body(response)[:3] == b"\xff\xd8\xff"


def test_once_the_lot_is_published_its_photos_are_everyones(
    client, client_for, draft_photo, owner, stranger
):
    lot = draft_photo.lot
    lot_publish(actor=owner, lot=lot)
    for size in ("web", "thumbnail"):
        response = client.get(_web(draft_photo, size))  # anonymous
        assert response.status_code == 200
        assert response["Cache-Control"] == "public, max-age=3600"
    assert client.get(_web(draft_photo, "original")).status_code == 404  # the owner's only
    # the API gives the addresses, which answer anyone who may read the lot
    shown = client_for(stranger.user).get(f"/api/v1/lots/{lot.pk}/").json()["photos"][0]
    for key in ("web_url", "thumbnail_url"):
        path = urlsplit(shown[key]).path
        assert client_for(stranger.user).get(path).status_code == 200
    # the pages show them through the view
    page = client.get(reverse("lots:detail", args=[lot.pk])).content.decode()
    assert _web(draft_photo, "web") in page and "/media/" not in page


def test_a_reserved_lots_photos_are_its_owners_and_claimants(client, draft_photo, owner, stranger):
    lot = draft_photo.lot
    lot_publish(actor=owner, lot=lot)
    claim_create(actor=stranger, lot=lot, quantity=3)
    assert client.get(_web(draft_photo, "web")).status_code == 404  # not published now
    client.force_login(stranger.user)
    assert client.get(_web(draft_photo, "web")).status_code == 200
    third = MembershipFactory(organisation=OrganisationFactory(kind="federal"))
    client.force_login(third.user)
    assert client.get(_web(draft_photo, "web")).status_code == 404


@pytest.fixture
def certificate(owner):
    lot = LotFactory(site=owner.site, quantity=2, category=Category.objects.get(code="laptop"))
    return lot_sanitisation_attest(
        actor=owner,
        lot=lot,
        method="purge",
        performed_on=datetime.date.today(),
        responsible_person="A. Peeters",
        certificate=SimpleUploadedFile("cert.pdf", pdf_clean(), content_type="application/pdf"),
    )


def test_a_certificate_is_its_owners_only_and_at_no_guessable_address(
    settings, client, client_for, certificate, owner, stranger
):
    lot = certificate.lot
    name = certificate.certificate.name
    assert (pathlib.Path(settings.PRIVATE_MEDIA_ROOT) / name).is_file()
    assert not [p for p in pathlib.Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]
    web = reverse("lots:certificate_file", args=[lot.pk])
    api = f"/api/v1/lots/{lot.pk}/sanitisation/certificate/"
    for path in (f"/media/lots/{lot.pk}/sanitisation/certificate.pdf", f"/media/{name}", web):
        assert client.get(path).status_code == 404
    client.force_login(stranger.user)
    for path in (f"/media/lots/{lot.pk}/sanitisation/certificate.pdf", f"/media/{name}", web):
        assert client.get(path).status_code == 404
    assert client_for(stranger.user).get(api).status_code == 404
    # the owner: the page links to the view, the view and the API give the PDF
    client.force_login(owner.user)
    page = client.get(reverse("lots:sanitisation", args=[lot.pk])).content.decode()
    assert web in page
    for response in (client.get(web), client_for(owner.user).get(api)):
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Cache-Control"] == "private, no-store"
        assert _body(response).startswith(b"%PDF-")
    response = client_for(owner.user).get(api, HTTP_ACCEPT="application/json")
    assert response.status_code == 406
    assert "application/pdf" in response.json()["detail"]
    shown = client_for(owner.user).get(f"/api/v1/lots/{lot.pk}/sanitisation/").json()
    assert urlsplit(shown["attestation"]["certificate_url"]).path == api


def test_behind_a_proxy_the_view_hands_the_file_over_by_header(
    settings, client, draft_photo, owner
):
    client.force_login(owner.user)
    name = draft_photo.web.name
    settings.EXCHANGE_PRIVATE_FILES_SERVER = "nginx"
    response = client.get(_web(draft_photo, "web"))
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == "/private-files/" + quote(name)
    assert response.content == b""
    settings.EXCHANGE_PRIVATE_FILES_SERVER = "sendfile"
    response = client.get(_web(draft_photo, "web"))
    assert response["X-Sendfile"] == str(pathlib.Path(settings.PRIVATE_MEDIA_ROOT) / name)
    assert response.content == b""


# --- S3, through moto's server as a real process ----------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def s3(monkeypatch, settings):
    """A moto S3 server process, a private bucket, and the lot files stored there."""
    from storages.backends.s3 import S3Storage

    port = _free_port()
    moto = pathlib.Path(sys.executable).parent / "moto_server"
    process = subprocess.Popen(  # noqa: S603 (the pinned moto of our own environment)
        [str(moto), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(endpoint, timeout=5)
                break
            except requests.RequestException:
                assert time.monotonic() < deadline, "moto_server did not start"
                time.sleep(0.2)
        storage = S3Storage(
            bucket_name="rx-private",
            endpoint_url=endpoint,
            region_name="us-east-1",
            access_key="test",
            secret_key="test",  # noqa: S106 (moto's)
            default_acl=None,
            querystring_auth=True,
            file_overwrite=False,
            signature_version="s3v4",
        )
        storage.connection.meta.client.create_bucket(Bucket="rx-private")
        for model, names in ((LotPhoto, SIZES), (SanitisationAttestation, ("certificate",))):
            for field_name in names:
                monkeypatch.setattr(model._meta.get_field(field_name), "storage", storage)
        settings.EXCHANGE_SIGNED_URL_SECONDS = 60
        yield storage
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_with_s3_the_view_redirects_whoever_may_see_it_to_a_short_lived_signed_url(
    s3, client, client_for, owner, stranger
):
    lot = LotFactory(site=owner.site, quantity=3, category=Category.objects.get(code="desk"))
    upload = SimpleUploadedFile("desk.jpg", image_bytes(), content_type="image/jpeg")
    photo = lot_photo_add(actor=owner, lot=lot, upload=upload)
    lot_photo_process(photo_id=photo.pk)
    photo.refresh_from_db()
    keys = {
        item["Key"]
        for item in s3.connection.meta.client.list_objects_v2(Bucket="rx-private")["Contents"]
    }
    assert keys == {photo.original.name, photo.web.name, photo.thumbnail.name}
    assert all(key.startswith("lots/photos/") and len(key.split("/")[2]) >= 43 for key in keys)
    # nobody else gets a signed URL
    assert client.get(_web(photo, "web")).status_code == 404
    assert client_for(stranger.user).get(_api(photo, "web")).status_code == 404
    # the owner is sent to a signed URL that expires in a minute, which gives the bytes
    client.force_login(owner.user)
    response = client.get(_web(photo, "web"))
    assert response.status_code == 302
    signed = response["Location"]
    assert "X-Amz-Signature=" in signed and "X-Amz-Expires=60" in signed
    fetched = requests.get(signed, timeout=10)
    assert fetched.status_code == 200
    assert fetched.content == photo.web.read()
    assert fetched.headers["Content-Type"] == "image/jpeg"
    # the objects are private: no grant to everyone (the store answers only signed URLs)
    for key in keys:
        grants = s3.connection.meta.client.get_object_acl(Bucket="rx-private", Key=key)["Grants"]
        assert not [g for g in grants if "AllUsers" in g["Grantee"].get("URI", "")]
