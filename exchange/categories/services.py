"""Loading the category tree and its impact factors from the versioned data file."""

import datetime
import json
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from exchange.categories.errors import CategoryError
from exchange.categories.models import Category, CategoryFactor, FactorVersion
from exchange.categories.selectors import factor_version_current

DATA_FILE = Path(__file__).resolve().parent / "data" / "categories.json"


def _dec(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _factor_version_make_current(version: FactorVersion) -> None:
    """``version`` becomes the one ``factor_version_current`` gives (the one before
    first stops being current: one at most, a unique constraint holds it)."""
    FactorVersion.objects.filter(is_current=True).exclude(pk=version.pk).update(is_current=False)
    FactorVersion.objects.filter(pk=version.pk).update(is_current=True)


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
            "published_on": datetime.date.fromisoformat(meta["published_on"]),
            "weight_based_co2e_per_kg": _dec(meta["weight_based_co2e_per_kg"]),
            "weight_based_source": meta["weight_based_source"],
            "notes": meta.get("notes", ""),
        },
    )
    current = factor_version_current()
    if not version.is_current and (current is None or current.published_on <= version.published_on):
        _factor_version_make_current(version)

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


@transaction.atomic
def factor_version_copy(*, user, source: FactorVersion, version: str) -> FactorVersion:
    """A new, not yet current factor version with the factors of ``source``, for
    moderators to edit before they publish it."""
    from django.utils import timezone

    from exchange.common.errors import ApplicationError
    from exchange.organisations.access import require_moderator

    require_moderator(user)
    if FactorVersion.objects.filter(version=version).exists():
        raise ApplicationError(
            code=CategoryError.FACTOR_VERSION_EXISTS,
            field="version",
            message=f"{version} exists already.",
        )
    copy = FactorVersion.objects.create(
        version=version,
        published_on=timezone.localdate(),
        is_current=False,
        weight_based_co2e_per_kg=source.weight_based_co2e_per_kg,
        weight_based_source=source.weight_based_source,
        notes=f"Copied from {source.version}.",
    )
    CategoryFactor.objects.bulk_create(
        CategoryFactor(
            version=copy,
            category_id=f.category_id,
            unit_weight_kg=f.unit_weight_kg,
            unit_weight_indicative=f.unit_weight_indicative,
            co2e_new_unit_kg=f.co2e_new_unit_kg,
            co2e_avoided_per_unit_kg=f.co2e_avoided_per_unit_kg,
            recycling_co2e_per_kg=f.recycling_co2e_per_kg,
            source=f.source,
        )
        for f in source.factors.all()
    )
    return copy


@transaction.atomic
def factor_version_publish(*, user, version: FactorVersion) -> FactorVersion:
    """Make ``version`` the one new impact records use; records already written keep
    the version they name, so past reports do not change."""
    from exchange.common.services import audit_event_record
    from exchange.organisations.access import require_moderator

    require_moderator(user)
    previous = factor_version_current()
    if previous is not None and previous.pk == version.pk:
        previous = None
    _factor_version_make_current(version)
    version.refresh_from_db()
    audit_event_record(
        actor=user,
        obj=version,
        action="publish",
        from_state=previous.version if previous else "",
        to_state=version.version,
    )
    return version
