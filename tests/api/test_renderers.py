"""The API's JSON renderer writes what DRF's JSON renderer wrote, byte for byte."""

import datetime
import decimal
import uuid
import zoneinfo

import pytest
from django.utils.translation import gettext_lazy, override
from rest_framework import renderers
from rest_framework.exceptions import ErrorDetail
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from api.renderers import JSONRenderer

BRUSSELS = zoneinfo.ZoneInfo("Europe/Brussels")

TRICKY = {
    "title": 'Bureaustoelen – café «Ærø» ✓ 🪑, "quoted" \\ back\tslash',
    "separators": "line\u2028paragraph\u2029end",
    "control": "\x00\x1f\x7f",
    "weight": "12.500",
    "decimal": decimal.Decimal("1.875"),
    "tiny_decimal": decimal.Decimal("0.001"),
    "moment_utc": datetime.datetime(2026, 12, 6, 4, 1, 56, 885321, tzinfo=datetime.UTC),
    "moment_brussels": datetime.datetime(2026, 7, 1, 9, 30, tzinfo=BRUSSELS),
    "moment_naive": datetime.datetime(2026, 3, 9, 12, 0),
    "day": datetime.date(2026, 3, 9),
    "time": datetime.time(9, 15, 30, 250),
    "duration": datetime.timedelta(hours=1, seconds=1),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "lazy": gettext_lazy("Unknown, revoked or expired token."),
    "error": [ErrorDetail("Ce champ est obligatoire.", code="required")],
    "none": None,
    "flags": [True, False],
    "numbers": [0, -1, 2**63 - 1, -(2**63), 12.3, 0.5, 1e16, 100.0],
    "nested": ReturnDict({"list": ReturnList([{"a": ()}], serializer=None)}, serializer=None),
    "tuple": (1, "two"),
    "set": {3},
    "empty": [{}, [], ""],
}


@pytest.mark.parametrize("language", ["en", "nl", "fr", "de"])
def test_an_answer_is_byte_for_byte_what_drf_wrote(language):
    with override(language):
        assert JSONRenderer().render(TRICKY) == renderers.JSONRenderer().render(TRICKY)


def test_line_separators_are_escaped_and_other_text_is_utf8():
    content = JSONRenderer().render({"t": "é\u2028\u2029✓"})
    assert content == b'{"t":"\xc3\xa9\\u2028\\u2029\xe2\x9c\x93"}'


def _nested(depth: int) -> list:
    data: list = []
    for _ in range(depth):
        data = [data]
    return data


@pytest.mark.parametrize(
    "data",
    [
        {"big": 2**64},  # beyond 64 bits
        {1: "a key that is not a string", None: "none", 2.5: "float"},
        _nested(300),  # deeper than orjson's 254 levels
        None,
    ],
)
def test_what_orjson_does_not_take_is_written_by_drf(data):
    assert JSONRenderer().render(data) == renderers.JSONRenderer().render(data)


def test_an_indented_answer_is_drfs():
    for media_type, context in (("application/json; indent=4", {}), (None, {"indent": 2})):
        assert JSONRenderer().render(TRICKY, media_type, context) == (
            renderers.JSONRenderer().render(TRICKY, media_type, context)
        )


def test_what_neither_can_write_is_refused_as_before():
    with pytest.raises(TypeError):
        JSONRenderer().render({"object": object()})
