"""The open-data page: every organisation's totals by year, and by region and category
for the chosen year (or all years), naming no organisation; the factors behind them."""

from django.utils import translation

from exchange.categories.models import CategoryFactor, FactorVersion
from exchange.categories.selectors import factor_version_current
from exchange.impact.presenters import charts
from exchange.impact.presenters.labels import diversion_percent, labelled
from exchange.impact.selectors.open_data import (
    open_data_named,
    open_data_summary,
    open_data_years,
)
from exchange.organisations.models import Region


def _with_percent(row: dict) -> dict:
    return {**row, "diversion_percent": diversion_percent(row)}


def open_data_figures(*, year: int | None) -> dict:
    """The tables of the page: ``by_year`` and ``total`` over every year; ``by_region``
    and ``by_category`` (each category with its ``group``, in the order of the tree)
    for ``year``, or for all years when it is None."""
    if year is None:
        every_year = chosen = open_data_summary(breakdowns=("year", "region", "category"))
    else:
        every_year = open_data_summary(breakdowns=("year",))
        chosen = open_data_summary(year=year, breakdowns=("region", "category"))
    rows = labelled(chosen["breakdowns"])
    return {
        "by_year": [_with_percent(row) for row in every_year["breakdowns"]["year"]],
        "total": _with_percent(every_year["totals"]),
        "by_region": rows["region"],
        "by_category": sorted(rows["category"], key=lambda row: row["path"]),
    }


def current_factors() -> tuple[FactorVersion | None, list[CategoryFactor]]:
    """The current factor version and its factors, written as their sources give them."""
    version = factor_version_current()
    if version is None:
        return None, []
    version.weight_based_display = charts.number_trimmed(version.weight_based_co2e_per_kg)
    factors = list(
        CategoryFactor.objects.filter(version=version)
        .select_related("category")
        .order_by("category__path")
    )
    for factor in factors:
        factor.unit_weight_display = charts.number_trimmed(factor.unit_weight_kg)
        factor.co2e_display = charts.number_trimmed(factor.co2e_avoided_per_unit_kg)
    return version, factors


def open_data_rows(*, year: int | None) -> list[dict]:
    """The rows of the open data's CSV distribution: codes (for joining) and English
    names (for reading), figures at full precision."""
    with translation.override("en"):
        return [
            {
                **row,
                "category": row["category_code"],
                "region_name": str(Region(row["region"]).label)
                if row["region"] in Region.values
                else row["region"],
            }
            for row in open_data_named(year=year)
        ]


# --- The DCAT-AP description ---------------------------------------------------------

DCAT_CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
CC0 = "http://creativecommons.org/publicdomain/zero/1.0/"
EU = "http://publications.europa.eu/resource/authority/"
TITLES = {
    "nl": "Reuse Exchange: hergebruik van overheidsoverschotten in cijfers",
    "fr": "Reuse Exchange : le réemploi des surplus publics en chiffres",
    "de": "Reuse Exchange: Wiederverwendung öffentlicher Überschüsse in Zahlen",
    "en": "Reuse Exchange: reuse of public surplus in figures",
}
CATALOGUE_TITLES = {
    "nl": "Open data van Reuse Exchange",
    "fr": "Données ouvertes de Reuse Exchange",
    "de": "Offene Daten von Reuse Exchange",
    "en": "Reuse Exchange open data",
}
DESCRIPTIONS = {
    "nl": (
        "Jaarlijkse totalen van het meubilair en de IT-apparatuur die Belgische "
        "overheden via Reuse Exchange hergebruikten, verkochten, recycleerden of "
        "afvoerden, per gewest, categorie en bestemming: stuks, kilogram, vermeden CO2e "
        "en vervangingswaarde. Geen organisatie wordt genoemd."
    ),
    "fr": (
        "Totaux annuels du mobilier et du matériel informatique que les administrations "
        "belges ont réemployés, vendus, recyclés ou éliminés via Reuse Exchange, par "
        "région, catégorie et issue : objets, kilogrammes, CO2e évité et valeur de "
        "remplacement. Aucune organisation n'est nommée."
    ),
    "de": (
        "Jährliche Summen der Möbel und IT-Geräte, die belgische Verwaltungen über "
        "Reuse Exchange wiederverwendet, verkauft, recycelt oder entsorgt haben, nach "
        "Region, Kategorie und Verbleib: Gegenstände, Kilogramm, vermiedenes CO2e und "
        "Wiederbeschaffungswert. Keine Organisation wird genannt."
    ),
    "en": (
        "Yearly totals of the furniture and IT equipment Belgian public administrations "
        "reused, sold, recycled or disposed of through Reuse Exchange, by region, "
        "category and outcome: items, kilograms, CO2e avoided and replacement value. No "
        "organisation is named."
    ),
}


def _texts(texts: dict[str, str]) -> list[dict]:
    return [{"@value": text, "@language": language} for language, text in texts.items()]


def open_data_catalogue(*, urls: dict[str, str], contact: str) -> dict:
    """The DCAT-AP description of the open data (JSON-LD, its context inline so that
    no harvester needs to fetch one): the catalogue, the data set (title and
    description in four languages, licence CC0, publisher, temporal coverage from the
    first to the last year with records, spatial coverage Belgium) and its
    distributions (CSV, JSON). ``urls`` holds the absolute URLs of ``catalogue``,
    ``page``, ``csv`` and ``json``."""
    years = open_data_years()
    publisher = {
        "@id": f"{urls['page']}#publisher",
        "@type": "foaf:Agent",
        "foaf:name": "Reuse Exchange",
    }
    licence = {"@id": CC0}
    csv_type = {"@id": "http://www.iana.org/assignments/media-types/text/csv"}
    json_type = {"@id": "http://www.iana.org/assignments/media-types/application/json"}
    dataset = {
        "@id": f"{urls['page']}#dataset",
        "@type": "dcat:Dataset",
        "dct:identifier": f"{urls['page']}#dataset",
        "dct:title": _texts(TITLES),
        "dct:description": _texts(DESCRIPTIONS),
        "dct:publisher": publisher,
        "dct:license": licence,
        "dct:accessRights": {"@id": f"{EU}access-right/PUBLIC"},
        "dct:spatial": {"@id": f"{EU}country/BEL"},
        "dcat:theme": [{"@id": f"{EU}data-theme/ENVI"}, {"@id": f"{EU}data-theme/GOVE"}],
        "dct:language": [{"@id": f"{EU}language/{code}"} for code in ("NLD", "FRA", "DEU", "ENG")],
        "dcat:keyword": [
            {"@value": word, "@language": "en"}
            for word in ("reuse", "circular economy", "public procurement", "CO2e")
        ],
        "dcat:landingPage": {"@id": urls["page"]},
        "dcat:contactPoint": {
            "@id": f"{urls['page']}#contact",
            "@type": "vcard:Organization",
            "vcard:fn": "Reuse Exchange",
            "vcard:hasEmail": {"@id": f"mailto:{contact}"},
        },
        "dct:accrualPeriodicity": {"@id": f"{EU}frequency/DAILY"},
        "dcat:distribution": [
            {
                "@id": f"{urls['csv']}#distribution",
                "@type": "dcat:Distribution",
                "dct:title": {"@value": "CSV", "@language": "en"},
                "dcat:accessURL": {"@id": urls["csv"]},
                "dcat:downloadURL": {"@id": urls["csv"]},
                "dct:format": {"@id": f"{EU}file-type/CSV"},
                "dcat:mediaType": csv_type,
                "dct:license": licence,
            },
            {
                "@id": f"{urls['json']}#distribution",
                "@type": "dcat:Distribution",
                "dct:title": {"@value": "JSON", "@language": "en"},
                "dcat:accessURL": {"@id": urls["json"]},
                "dcat:downloadURL": {"@id": urls["json"]},
                "dct:format": {"@id": f"{EU}file-type/JSON"},
                "dcat:mediaType": json_type,
                "dct:license": licence,
            },
        ],
    }
    if years:
        dataset["dct:temporal"] = {
            "@id": f"{urls['page']}#period",
            "@type": "dct:PeriodOfTime",
            "dcat:startDate": {"@value": f"{years[0]}-01-01", "@type": "xsd:date"},
            "dcat:endDate": {"@value": f"{years[-1]}-12-31", "@type": "xsd:date"},
        }
    return {
        "@context": DCAT_CONTEXT,
        "@id": urls["catalogue"],
        "@type": "dcat:Catalog",
        "dct:title": _texts(CATALOGUE_TITLES),
        "dct:description": _texts(DESCRIPTIONS),
        "dct:publisher": publisher,
        "dct:license": licence,
        "foaf:homepage": {"@id": urls["page"]},
        "dcat:dataset": [dataset],
    }
