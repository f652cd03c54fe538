import pytest

pytestmark = pytest.mark.django_db

URL = "/api/v1/categories/"


def test_categories_are_public_with_names_in_four_languages_and_factors(api_client, categories):
    body = api_client.get(f"{URL}?page_size=100").json()
    laptop = next(c for c in body["results"] if c["code"] == "laptop")
    assert laptop["names"] == {
        "nl": "Laptop",
        "fr": "Ordinateur portable",
        "de": "Laptop",
        "en": "Laptop",
    }
    assert laptop["path"] == "it/laptop"
    assert laptop["cpv_code"] == "30213100-6"
    assert laptop["requires_data_sanitisation"] is True
    assert laptop["factor"]["version"] == "2026.1"
    assert laptop["factor"]["co2e_avoided_per_unit_kg"] == "54.900"
    assert "ADEME" in laptop["factor"]["source"]


def test_the_name_follows_the_reader_language(api_client, categories):
    body = api_client.get(f"{URL}?within=furniture", HTTP_ACCEPT_LANGUAGE="fr").json()
    names = {c["code"]: c["name"] for c in body["results"]}
    assert names["office-chair"] == "Chaise de bureau"
    assert "laptop" not in names  # another subtree
    assert "furniture" in names


def test_the_category_list_costs_constant_queries(
    api_client, categories, django_assert_max_num_queries
):
    with django_assert_max_num_queries(4):
        api_client.get(f"{URL}?page_size=100")
