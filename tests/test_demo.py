import pytest
from django.contrib.auth import authenticate

from devtools.demo.seed import demo_seed
from exchange.lots.models import Lot, LotPhoto
from exchange.organisations.models import Membership, Organisation

pytestmark = pytest.mark.django_db


def test_demo_data_loads_twice_with_working_logins_and_a_living_catalogue(settings):
    demo_seed()
    demo_seed()
    assert Organisation.objects.filter(verified_at__isnull=False).count() == 6
    kinds = sorted(Organisation.objects.values_list("kind", flat=True))
    assert kinds == [
        "federal",
        "federal",
        "nonprofit",
        "public",
        "social_economy",
        "social_economy",
    ]
    assert set(Organisation.objects.values_list("region", flat=True)) == {"BRU", "VLG", "WAL"}
    for username in (
        "fed.admin",
        "fed.member",
        "fed2.member",
        "social.member",
        "social2.member",
        "public.member",
        "nonprofit.member",
        "moderator",
        "analyst",
    ):
        user = authenticate(username=username, password=settings.DEMO_PASSWORD)
        assert user is not None, username
    assert authenticate(username="moderator", password="demo").is_moderator
    assert authenticate(username="analyst", password="demo").is_analyst
    assert Membership.objects.get(user__username="fed.admin").role == "admin"
    assert Membership.objects.get(user__username="fed.member").role == "member"
    assert Organisation.objects.get(name="Kringwinkel Demo").has_valid_accreditation()
    # and a living catalogue
    published = Lot.objects.filter(status="published")
    assert published.count() >= 24
    assert {lot.tier for lot in published} == {"federal", "social_economy", "open"}
    assert set(published.values_list("region", flat=True)) == {"BRU", "VLG", "WAL"}
    assert published.values("category").distinct().count() >= 10
    assert not LotPhoto.objects.exclude(status="ready").exists()
    assert Lot.objects.filter(status="draft", owner__name="FPS Demo Logistics").exists()


def test_demo_photos_are_described_in_the_language_of_their_lot():
    demo_seed()
    described = {
        (photo.lot.title, photo.alt_text)
        for photo in LotPhoto.objects.select_related("lot").filter(position=0)
    }
    assert ("Bureaustoelen, zwart, verstelbaar", "Tekening: Bureaustoel, foto 1 van 1") in described
    assert ("Chaises visiteurs empilables", "Dessin\u00a0: Chaise de bureau, photo 1 sur 3") in (
        described
    )
    assert ("Ergonomic task chairs", "Drawing: Office chair, photo 1 of 1") in described
    assert ("Écrans 22 pouces", "Dessin\u00a0: Écran, photo 1 sur 3") in described
