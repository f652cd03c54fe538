import datetime
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from devtools.load.lots import (
    LOAD_ORGANISATION_PREFIX,
    _CopyWriter,
    generated_lots_count,
    lots_generate_load,
    lots_generated_load_delete,
)
from exchange.lots.models import CONDITION_RANK, Lot, LotStatus, SanitisationAttestation
from exchange.lots.search import lot_search_document, normalise_text
from exchange.lots.selectors import lot_filter_text, lot_list
from exchange.organisations.validators import region_for_postcode
from tests.factories import LotFactory

pytestmark = pytest.mark.django_db

LOTS = 200


@pytest.fixture
def generated():
    result = lots_generate_load(lots=LOTS, organisations=12, seed=7)
    lots = list(
        Lot.objects.filter(owner__name__startswith=LOAD_ORGANISATION_PREFIX).select_related(
            "site", "owner", "category__parent"
        )
    )
    return result, lots


def test_the_requested_number_of_published_lots_of_verified_organisations(generated):
    result, lots = generated
    assert result["lots"] == len(lots) == generated_lots_count() == LOTS
    assert result["organisations"] == 12
    assert {lot.status for lot in lots} == {LotStatus.PUBLISHED}
    assert all(lot.owner.is_verified for lot in lots)
    assert len({lot.owner_id for lot in lots}) > 1
    assert len({lot.category.code for lot in lots}) > 5
    assert all(lot.category.children.count() == 0 for lot in lots[:20])  # leaf categories


def test_lots_carry_their_sites_place_and_the_site_a_plausible_belgian_postcode(generated):
    _, lots = generated
    for lot in lots:
        site = lot.site
        assert site.organisation_id == lot.owner_id
        assert lot.region == site.region == region_for_postcode(site.postcode)
        assert (lot.latitude, lot.longitude) == (site.latitude, site.longitude)
        assert 49.5 <= float(site.latitude) <= 51.5
        assert 2.55 <= float(site.longitude) <= 6.4
    assert {lot.region for lot in lots} == {"BRU", "VLG", "WAL"}


def test_claim_windows_and_derived_fields_are_what_publication_sets(generated):
    _, lots = generated
    now = timezone.now()
    for lot in lots:
        assert now - datetime.timedelta(days=30, minutes=1) <= lot.published_at <= now
        assert lot.created_at < lot.published_at == lot.status_changed_at
        assert lot.social_economy_opens_at == lot.published_at + datetime.timedelta(
            days=lot.federal_window_days
        )
        assert lot.open_opens_at == lot.social_economy_opens_at + datetime.timedelta(
            days=lot.social_economy_window_days
        )
        shortened = (lot.federal_window_days, lot.social_economy_window_days) != (10, 10)
        assert bool(lot.window_reason) == shortened
        assert lot.announced_tier == lot.tier_at(now)
        assert lot.available_until > timezone.localdate()
        assert lot.condition_rank == CONDITION_RANK[lot.condition]
        assert lot.quantity_reserved == 0 and lot.quantity >= 1
        assert lot.search_document == lot_search_document(
            title=lot.title, description=lot.description, category=lot.category
        )


def test_it_lots_that_hold_data_have_a_sanitisation_attestation(generated):
    _, lots = generated
    attested = set(SanitisationAttestation.objects.values_list("lot_id", flat=True))
    for lot in lots:
        assert (lot.pk in attested) == lot.category.requires_data_sanitisation


@pytest.mark.parametrize("word", ["chair", "laptop"])
def test_generated_lots_are_found_by_words_of_their_titles_and_categories(generated, word):
    # given
    _, lots = generated
    category_codes = {"chair": {"office-chair", "wooden-chair"}, "laptop": {"laptop"}}[word]
    expected = {
        lot.pk
        for lot in lots
        if lot.category.code in category_codes or re.search(rf"\b{word}", normalise_text(lot.title))
    }
    # when
    found = set(lot_filter_text(lot_list(actor=None), word).values_list("pk", flat=True))
    # then
    assert expected
    assert found == expected


@pytest.mark.skipif(connection.vendor != "postgresql", reason="full-text vector on PostgreSQL")
def test_the_full_text_vectors_are_those_lots_reindex_computes(generated):
    assert not Lot.objects.filter(search_vector__isnull=True).exists()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM lots_lot "
            "WHERE search_vector::text <> to_tsvector('simple', search_document)::text"
        )
        assert cursor.fetchone()[0] == 0


def _indexes_and_keys() -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid IN ('lots_lot'::regclass, 'lots_sanitisationattestation'::regclass) "
            "UNION SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid IN ('lots_lot'::regclass, 'lots_sanitisationattestation'::regclass)"
        )
        return set(cursor.fetchall())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY and index rebuild")
def test_a_large_load_leaves_every_index_and_key_as_it_was(monkeypatch):
    # given a load large enough to go in without indexes (the threshold lowered)
    monkeypatch.setattr(_CopyWriter, "REBUILD_FROM", 50)
    before = _indexes_and_keys()
    # when
    lots_generate_load(lots=120, organisations=4, seed=3)
    # then
    assert _indexes_and_keys() == before
    assert Lot.objects.filter(owner__name__startswith=LOAD_ORGANISATION_PREFIX).count() == 120
    assert ids_are_fresh()


def ids_are_fresh() -> bool:
    """A lot made after the load gets an id of its own (the sequence moved on)."""
    newest = Lot.objects.order_by("-pk").first()
    return LotFactory(published=True).pk > newest.pk


def test_reset_deletes_generated_data_only(generated, categories):
    # given
    other = LotFactory(published=True)
    # when
    deleted = lots_generated_load_delete()
    # then
    assert deleted == {"lots": LOTS, "organisations": 12}
    assert list(Lot.objects.all()) == [other]
    assert not SanitisationAttestation.objects.exists()


def test_the_command_resets_then_generates(generated, capsys):
    call_command("generate_load", "--lots", "30", "--organisations", "3", "--reset")
    assert generated_lots_count() == 30
    assert "Generated 30 lots" in capsys.readouterr().out
