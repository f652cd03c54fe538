import pytest
from django.core.exceptions import ValidationError

from exchange.organisations.validators import (
    format_enterprise_number,
    normalise_enterprise_number,
    region_for_postcode,
)


@pytest.mark.parametrize(
    "raw",
    ["0308.357.159", "0308357159", "BE0308357159", "BE 0308 357 159", "be0308.357.159"],
)
def test_valid_enterprise_numbers_are_normalised_to_ten_digits(raw):
    assert normalise_enterprise_number(raw) == "0308357159"


def test_an_enterprise_number_may_start_with_1():
    # 1000.000.0xx: check digits 97 - (10000000 mod 97)
    check = 97 - 10000000 % 97
    assert normalise_enterprise_number(f"10000000{check:02d}") == f"10000000{check:02d}"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("0308.357.158", "enterprise_number_checksum"),  # last digit mistyped
        ("0308.375.159", "enterprise_number_checksum"),  # two digits swapped
        ("308.357.159", "enterprise_number_format"),  # 9 digits
        ("03083571590", "enterprise_number_format"),  # 11 digits
        ("2308.357.159", "enterprise_number_prefix"),
        ("0308.3S7.159", "enterprise_number_format"),
        ("", "enterprise_number_format"),
    ],
)
def test_invalid_enterprise_numbers_are_refused_with_a_reason(raw, code):
    with pytest.raises(ValidationError) as excinfo:
        normalise_enterprise_number(raw)
    assert excinfo.value.code == code
    assert excinfo.value.messages[0]


def test_enterprise_number_is_shown_with_dots():
    assert format_enterprise_number("0308357159") == "0308.357.159"


@pytest.mark.parametrize(
    ("postcode", "region"),
    [
        ("1000", "BRU"),
        ("1200", "BRU"),
        ("1300", "WAL"),
        ("1500", "VLG"),
        ("2000", "VLG"),
        ("4000", "WAL"),
        ("7999", "WAL"),
        ("9000", "VLG"),
        ("0999", None),
        ("12a4", None),
    ],
)
def test_region_follows_from_the_postcode(postcode, region):
    assert region_for_postcode(postcode) == region
