"""Loading the category tree and its impact factors from the versioned data file."""

import json
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from exchange.categories.models import Category, CategoryFactor, FactorVersion

DATA_FILE = Path(__file__).resolve().parent / "data" / "categories.json"


def _dec(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


@transaction.atomic
def categories_load(*, data: dict | None = None) -> dict[str, int]:
    """Create or update every category and its factors; running it twice changes nothing."""
    if data is None:
        data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    meta = data["factor_version"]
    version, _ = FactorVersion.objects.update_or_create(
        version=meta["version"],
        defaults={
            "published_on": meta["published_on"],
            "weight_based_co2e_per_kg": _dec(meta["weight_based_co2e_per_kg"]),
            "weight_based_source": meta["weight_based_source"],
            "notes": meta.get("notes", ""),
        },
    )
    if (
        not version.is_current
        and not FactorVersion.objects.filter(
            is_current=True, published_on__gt=version.published_on
        ).exists()
    ):
        FactorVersion.objects.filter(is_current=True).update(is_current=False)
        FactorVersion.objects.filter(pk=version.pk).update(is_current=True)

    def load(nodes: list[dict], parent: Category | None) -> None:
        for position, node in enumerate(nodes):
            path = f"{parent.path}/{node['code']}" if parent else node["code"]
            values = {
                "parent": parent,
                "path": path,
                "depth": 0 if parent is None else parent.depth + 1,
                "position": position,
                "name_nl": node["names"]["nl"],
                "name_fr": node["names"]["fr"],
                "name_de": node["names"]["de"],
                "name_en": node["names"]["en"],
                "cpv_code": node.get("cpv", ""),
                "unit_weight_kg": _dec(node["unit_weight_kg"]),
                "replacement_value_eur": _dec(node["replacement_value_eur"]),
                "requires_data_sanitisation": bool(node.get("requires_data_sanitisation", False)),
            }
            category = Category.objects.filter(code=node["code"]).first()
            if category is None:
                category = Category.objects.create(code=node["code"], **values)
                counts["created"] += 1
            elif any(getattr(category, k) != v for k, v in values.items()):
                for key, value in values.items():
                    setattr(category, key, value)
                category.save()
                counts["updated"] += 1
            else:
                counts["unchanged"] += 1
            factor = node.get("factor", {})
            CategoryFactor.objects.update_or_create(
                version=version,
                category=category,
                defaults={
                    "unit_weight_kg": _dec(factor.get("unit_weight_kg", node["unit_weight_kg"])),
                    "unit_weight_indicative": bool(factor.get("unit_weight_indicative", False)),
                    "co2e_new_unit_kg": _dec(factor.get("co2e_new_unit_kg")),
                    "co2e_avoided_per_unit_kg": _dec(factor.get("co2e_avoided_per_unit_kg")),
                    "recycling_co2e_per_kg": _dec(factor.get("recycling_co2e_per_kg")),
                    "source": factor["source"],
                },
            )
            load(node.get("children", []), category)

    load(data["categories"], None)
    return counts
