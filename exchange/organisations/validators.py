"""Belgian identifiers and places: the enterprise number, regions, coordinates."""

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from exchange.organisations.errors import OrganisationError

# Belgium's bounding box (WGS84), with a small margin for border sites.
BELGIUM_LAT = (Decimal("49.49"), Decimal("51.51"))
BELGIUM_LON = (Decimal("2.54"), Decimal("6.41"))


def normalise_enterprise_number(value: str) -> str:
    """Return the 10 digits of a KBO/BCE enterprise number, or raise ValidationError.

    Accepts the usual spellings: ``0123.456.749``, ``0123 456 749``, ``BE0123456749``.
    The number has 10 digits, starts with 0 or 1, and its last two digits equal
    97 - (the first eight modulo 97).
    """
    raw = (value or "").strip().upper()
    if raw.startswith("BE"):
        raw = raw[2:]
    digits = re.sub(r"[\s.\-]", "", raw)
    if not re.fullmatch(r"\d{10}", digits):
        raise ValidationError(
            _("An enterprise number has 10 digits, for example 0123.456.749."),
            code=OrganisationError.ENTERPRISE_NUMBER_FORMAT,
        )
    if digits[0] not in "01":
        raise ValidationError(
            _("An enterprise number starts with 0 or 1."),
            code=OrganisationError.ENTERPRISE_NUMBER_PREFIX,
        )
    if int(digits[8:]) != 97 - int(digits[:8]) % 97:
        raise ValidationError(
            _("This enterprise number fails its check digits: please check it for a typing error."),
            code=OrganisationError.ENTERPRISE_NUMBER_CHECKSUM,
        )
    return digits


def format_enterprise_number(digits: str) -> str:
    return f"{digits[:4]}.{digits[4:7]}.{digits[7:]}" if len(digits) == 10 else digits


def region_for_postcode(postcode: str) -> str | None:
    """The region of a Belgian postcode (bpost ranges), or None if it is not one."""
    if not re.fullmatch(r"\d{4}", postcode or ""):
        return None
    code = int(postcode)
    if 1000 <= code <= 1299:
        return "BRU"
    if 1300 <= code <= 1499 or 4000 <= code <= 7999:
        return "WAL"
    if 1500 <= code <= 3999 or 8000 <= code <= 9999:
        return "VLG"
    return None


def validate_in_belgium(latitude: Decimal | None, longitude: Decimal | None) -> None:
    """Refuse a point outside Belgium, naming each coordinate that is off (one that is
    None, not given or not a number, is left to its own check)."""
    errors = {}
    if latitude is not None and not BELGIUM_LAT[0] <= Decimal(latitude) <= BELGIUM_LAT[1]:
        errors["latitude"] = ValidationError(
            _("The latitude must lie in Belgium (between %(low)s and %(high)s).")
            % {"low": BELGIUM_LAT[0], "high": BELGIUM_LAT[1]},
            code=OrganisationError.OUTSIDE_BELGIUM,
        )
    if longitude is not None and not BELGIUM_LON[0] <= Decimal(longitude) <= BELGIUM_LON[1]:
        errors["longitude"] = ValidationError(
            _("The longitude must lie in Belgium (between %(low)s and %(high)s).")
            % {"low": BELGIUM_LON[0], "high": BELGIUM_LON[1]},
            code=OrganisationError.OUTSIDE_BELGIUM,
        )
    if errors:
        raise ValidationError(errors)


def organisation_name_key(name: str) -> str:
    """The name as the uniqueness rule compares it: without accents, case or repeated
    spaces ("FPS Démo  Logistics" and "fps demo logistics" are one name)."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", name or "")
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


PHONE_MAX_LENGTH = 32
_PHONE_CHARACTERS = re.compile(r"^\+?[0-9 ./()-]+$")


def phone_clean(value: str) -> str:
    """A phone number as people write it: an optional +, then digits with spaces, dots,
    slashes, dashes or brackets; 8 to 15 digits (Belgian numbers have 9 or 10, an
    international one at most 15). Empty stays empty. Raises ValueError otherwise."""
    value = " ".join((value or "").split())
    if not value:
        return ""
    digits = sum(character.isdigit() for character in value)
    if len(value) > PHONE_MAX_LENGTH or not _PHONE_CHARACTERS.match(value):
        raise ValueError(value)
    if not 8 <= digits <= 15:
        raise ValueError(value)
    return value
