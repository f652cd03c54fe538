import pytest

from exchange.categories.models import Category, CategoryFactor, FactorVersion
from exchange.categories.selectors import category_subtree
from exchange.categories.services import categories_load

pytestmark = pytest.mark.django_db


def test_loading_twice_changes_nothing_the_second_time():
    # given a database without the tree (the test database holds it: tests/conftest.py)
    CategoryFactor.objects.all().delete()
    for depth in sorted(set(Category.objects.values_list("depth", flat=True)), reverse=True):
        Category.objects.filter(depth=depth).delete()
    FactorVersion.objects.all().delete()
    # when it is loaded twice, then the second time changes nothing
    first = categories_load()
    assert first["created"] == Category.objects.count() > 10
    second = categories_load()
    assert second == {"created": 0, "updated": 0, "unchanged": first["created"]}
    assert CategoryFactor.objects.count() == Category.objects.count()


def test_every_category_has_four_names_a_cpv_code_and_a_sourced_factor():
    categories_load()
    for category in Category.objects.all():
        assert all(category.names().values()), category.code
        assert category.cpv_code, category.code
        factor = category.factors.get(version__is_current=True)
        assert factor.source, category.code
        assert factor.unit_weight_kg > 0


def test_the_starting_factors_follow_their_sources():
    categories_load()
    version = FactorVersion.objects.get(is_current=True)
    assert version.version == "2026.1"
    assert str(version.weight_based_co2e_per_kg) == "0.5100"
    chair = CategoryFactor.objects.get(category__code="office-chair")
    assert (str(chair.unit_weight_kg), str(chair.co2e_avoided_per_unit_kg)) == ("11.900", "35.000")
    monitor = CategoryFactor.objects.get(category__code="monitor")
    assert monitor.co2e_avoided_per_unit_kg is None  # the weight-based factor applies


def test_a_subtree_holds_the_category_and_its_descendants_only():
    categories_load()
    it = Category.objects.get(code="it")
    codes = set(category_subtree(it).values_list("code", flat=True))
    assert {"it", "laptop", "server", "monitor"} <= codes
    assert "desk" not in codes


def test_the_version_published_last_is_the_one_new_records_use(categories, moderator):
    from exchange.categories.selectors import factor_version_current
    from exchange.categories.services import factor_version_copy, factor_version_publish
    from exchange.impact.figures import impact_compute
    from tests.factories import LotFactory

    # given the loaded version, and a copy of it a moderator is still editing
    loaded = factor_version_current()
    assert loaded.version == "2026.1"
    draft = factor_version_copy(user=moderator, source=loaded, version="2027.1")
    assert factor_version_current() == loaded
    # when the moderator publishes it
    factor_version_publish(user=moderator, version=draft)
    # then it is the current one, the one a new record's figures use
    assert factor_version_current() == draft
    assert list(FactorVersion.objects.filter(is_current=True)) == [draft]
    lot = LotFactory(category=Category.objects.get(code="office-chair"))
    assert impact_compute(lot=lot, quantity=1, outcome="reused_federal").factor_version == draft
    # loading the categories again (their file names 2026.1) does not bring the old one back
    categories_load()
    assert factor_version_current() == draft
