"""Load-test data: a few hundred verified organisations with sites all over Belgium and
many published lots, written in batches of 2 000 (``COPY`` on PostgreSQL).

Not for production databases: every generated organisation's name starts with
``LOAD_ORGANISATION_PREFIX`` so that ``lots_generated_load_delete`` finds and removes
it (and its sites and lots) again. No service runs per row, but the derived fields
that ``lot_create`` and ``lot_publish`` set come from the same builders: region,
coordinates and condition rank from ``lot_denormalised_values``, the search document
from ``lot_search_document``, the claim windows from ``exchange.lots.eligibility``
(``platform_window_days``, ``window_dates``, ``window_open``); the full-text vectors
as ``lots_reindex()`` fills them.
"""

import bisect
import contextlib
import datetime
import itertools
import random
import time
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, models, transaction
from django.utils import timezone

from devtools.load.bulk import (
    copy_rows,
    historical_timestamps,
    secondary_indexes_dropped,
    sequence_ids,
)
from exchange.categories.models import Category
from exchange.categories.services import categories_load
from exchange.common.collector import gc_paused
from exchange.lots.eligibility import platform_window_days, window_dates, window_open
from exchange.lots.models import (
    Condition,
    Lot,
    LotItem,
    LotPhoto,
    LotStatus,
    SanitisationAttestation,
    SanitisationMethod,
    Tier,
)
from exchange.lots.search import SEARCH_CONFIG, lot_search_document
from exchange.lots.services.lots import lot_denormalised_values, lots_reindex
from exchange.organisations.models import (
    AccreditationScheme,
    Organisation,
    OrganisationKind,
    Site,
)
from exchange.organisations.validators import region_for_postcode

LOAD_ORGANISATION_PREFIX = "Load test org"
BATCH_SIZE = 2000
PUBLISHED_WITHIN_DAYS = 30
LAT_RANGE = (49.5, 51.5)
LON_RANGE = (2.55, 6.4)

# postcode, municipality, latitude, longitude, weight (roughly: where public services sit)
PLACES = [
    ("1000", "Brussel", 50.8466, 4.3528, 14),
    ("1030", "Schaerbeek", 50.8676, 4.3737, 3),
    ("1040", "Etterbeek", 50.8336, 4.3897, 4),
    ("1050", "Ixelles", 50.8275, 4.3697, 3),
    ("1060", "Saint-Gilles", 50.8266, 4.3458, 2),
    ("1070", "Anderlecht", 50.8365, 4.3082, 3),
    ("1080", "Molenbeek-Saint-Jean", 50.8550, 4.3270, 2),
    ("1090", "Jette", 50.8770, 4.3250, 1),
    ("1140", "Evere", 50.8700, 4.4030, 2),
    ("1150", "Woluwe-Saint-Pierre", 50.8300, 4.4300, 1),
    ("1180", "Uccle", 50.8020, 4.3370, 2),
    ("1200", "Woluwe-Saint-Lambert", 50.8470, 4.4290, 1),
    ("1500", "Halle", 50.7339, 4.2345, 1),
    ("1800", "Vilvoorde", 50.9281, 4.4245, 2),
    ("2000", "Antwerpen", 51.2194, 4.4025, 8),
    ("2300", "Turnhout", 51.3227, 4.9447, 2),
    ("2440", "Geel", 51.1617, 4.9906, 1),
    ("2800", "Mechelen", 51.0259, 4.4776, 3),
    ("3000", "Leuven", 50.8798, 4.7005, 4),
    ("3500", "Hasselt", 50.9307, 5.3325, 3),
    ("3600", "Genk", 50.9650, 5.5000, 2),
    ("3800", "Sint-Truiden", 50.8167, 5.1864, 1),
    ("3900", "Pelt", 51.2260, 5.4200, 1),
    ("8000", "Brugge", 51.2093, 3.2247, 3),
    ("8400", "Oostende", 51.2254, 2.9196, 2),
    ("8500", "Kortrijk", 50.8280, 3.2649, 2),
    ("8630", "Veurne", 51.0730, 2.6620, 1),
    ("8800", "Roeselare", 50.9469, 3.1227, 1),
    ("8900", "Ieper", 50.8503, 2.8856, 1),
    ("9000", "Gent", 51.0543, 3.7174, 6),
    ("9100", "Sint-Niklaas", 51.1650, 4.1437, 2),
    ("9300", "Aalst", 50.9378, 4.0403, 2),
    ("1300", "Wavre", 50.7170, 4.6010, 2),
    ("1348", "Louvain-la-Neuve", 50.6680, 4.6120, 2),
    ("1400", "Nivelles", 50.5980, 4.3280, 1),
    ("4000", "Liège", 50.6326, 5.5797, 6),
    ("4500", "Huy", 50.5186, 5.2400, 1),
    ("4700", "Eupen", 50.6300, 6.0310, 1),
    ("4780", "Sankt Vith", 50.2830, 6.1260, 1),
    ("4800", "Verviers", 50.5891, 5.8627, 1),
    ("5000", "Namur", 50.4674, 4.8720, 5),
    ("5500", "Dinant", 50.2606, 4.9122, 1),
    ("6000", "Charleroi", 50.4108, 4.4446, 4),
    ("6600", "Bastogne", 50.0000, 5.7150, 1),
    ("6700", "Arlon", 49.6833, 5.8167, 1),
    ("6760", "Virton", 49.5680, 5.5330, 1),
    ("6800", "Libramont-Chevigny", 49.9200, 5.3800, 1),
    ("6900", "Marche-en-Famenne", 50.2270, 5.3440, 1),
    ("7000", "Mons", 50.4542, 3.9523, 3),
    ("7500", "Tournai", 50.6056, 3.3878, 2),
    ("7700", "Mouscron", 50.7445, 3.2066, 1),
]

STREETS = {
    "nl": ["Stationsstraat", "Kerkstraat", "Dorpsstraat", "Industrieweg", "Koning Albertlaan"],
    "fr": ["Rue de la Gare", "Rue de l'Église", "Avenue du Parc", "Rue de l'Industrie"],
    "de": ["Bahnhofstraße", "Kirchstraße", "Hauptstraße", "Industriestraße"],
    "en": ["Rue de la Loi", "Wetstraat", "Boulevard du Roi Albert II", "Kunstberg"],
}

ORGANISATION_KINDS = [
    (OrganisationKind.FEDERAL, 35),
    (OrganisationKind.PUBLIC, 35),
    (OrganisationKind.SOCIAL_ECONOMY, 15),
    (OrganisationKind.NONPROFIT, 15),
]
ACCREDITATION_SCHEMES = {"BRU": "BRU", "VLG": "VLG", "WAL": "WAL", "de": "DG"}

# Category code -> (weight, {language: titles}). Some titles say "chair", "stoel",
# "chaise", "Stuhl", "desk", "laptop" as a word of their own, so searches find them.
TITLES = {
    "office-chair": (
        16,
        {
            "en": ["Office chair", "Ergonomic office chair", "Swivel chair with armrests"],
            "nl": ["Bureaustoel", "Ergonomische stoel", "Draaistoel met armleuningen"],
            "fr": ["Chaise de bureau", "Chaise ergonomique", "Fauteuil pivotant avec accoudoirs"],
            "de": ["Bürostuhl", "Ergonomischer Stuhl", "Drehstuhl mit Armlehnen"],
        },
    ),
    "desk": (
        12,
        {
            "en": ["Desk", "Height-adjustable desk", "Corner desk 160 cm"],
            "nl": ["Bureau", "Zit-sta bureau", "Hoekbureau 160 cm"],
            "fr": ["Bureau", "Bureau assis-debout", "Bureau d'angle 160 cm"],
            "de": ["Schreibtisch", "Höhenverstellbarer Schreibtisch", "Eckschreibtisch 160 cm"],
        },
    ),
    "cabinet": (
        8,
        {
            "en": ["Filing cabinet", "Mobile pedestal with 3 drawers", "Steel cupboard"],
            "nl": ["Archiefkast", "Ladeblok met 3 laden", "Metalen kast"],
            "fr": ["Armoire de classement", "Caisson mobile 3 tiroirs", "Armoire métallique"],
            "de": ["Aktenschrank", "Rollcontainer mit 3 Schubladen", "Stahlschrank"],
        },
    ),
    "meeting-table": (
        5,
        {
            "en": ["Meeting table", "Conference table with 8 chairs", "Round meeting table"],
            "nl": ["Vergadertafel", "Vergadertafel met 8 stoelen", "Ronde tafel"],
            "fr": ["Table de réunion", "Table de conférence avec 8 chaises", "Table ronde"],
            "de": ["Besprechungstisch", "Konferenztisch mit 8 Stühlen", "Runder Tisch"],
        },
    ),
    "wooden-chair": (
        5,
        {
            "en": ["Wooden chair", "Stackable wooden chairs", "Beech chair"],
            "nl": ["Houten stoel", "Stapelbare stoelen", "Beukenhouten stoel"],
            "fr": ["Chaise en bois", "Chaises empilables", "Chaise en hêtre"],
            "de": ["Holzstuhl", "Stapelbare Stühle", "Stuhl aus Buche"],
        },
    ),
    "wooden-table": (
        4,
        {
            "en": ["Wooden table", "Oak table", "Cafeteria table"],
            "nl": ["Houten tafel", "Eikenhouten tafel", "Kantinetafel"],
            "fr": ["Table en bois", "Table en chêne", "Table de cafétéria"],
            "de": ["Holztisch", "Eichentisch", "Kantinentisch"],
        },
    ),
    "sofa": (
        2,
        {
            "en": ["Sofa", "Two-seater sofa", "Lounge sofa"],
            "nl": ["Zetel", "Tweezitszetel", "Loungezetel"],
            "fr": ["Canapé", "Canapé deux places", "Canapé d'accueil"],
            "de": ["Sofa", "Zweisitzer-Sofa", "Lounge-Sofa"],
        },
    ),
    "laptop": (
        12,
        {
            "en": ["Laptop", "Laptop 14 inch", "Laptop with docking station"],
            "nl": ["Laptop", "Laptop 14 inch", "Laptop met dockingstation"],
            "fr": ["Ordinateur portable", "Laptop 14 pouces", "Laptop avec station d'accueil"],
            "de": ["Laptop", "Laptop 14 Zoll", "Notebook mit Dockingstation"],
        },
    ),
    "desktop": (
        7,
        {
            "en": ["Desktop computer", "Mini PC", "Workstation"],
            "nl": ["Desktopcomputer", "Mini-pc", "Werkstation"],
            "fr": ["Ordinateur de bureau", "Mini PC", "Station de travail"],
            "de": ["Desktop-PC", "Mini-PC", "Arbeitsplatzrechner"],
        },
    ),
    "monitor": (
        12,
        {
            "en": ["Monitor 24 inch", "Flat screen 27 inch", "Monitor with stand"],
            "nl": ["Beeldscherm 24 inch", "Computerscherm 27 inch", "Monitor met voet"],
            "fr": ["Écran 24 pouces", "Moniteur 27 pouces", "Écran plat avec pied"],
            "de": ["Bildschirm 24 Zoll", "Monitor 27 Zoll", "Flachbildschirm mit Standfuß"],
        },
    ),
    "printer": (
        5,
        {
            "en": ["Laser printer", "Multifunction printer", "Colour printer"],
            "nl": ["Laserprinter", "Multifunctionele printer", "Kleurenprinter"],
            "fr": ["Imprimante laser", "Imprimante multifonction", "Imprimante couleur"],
            "de": ["Laserdrucker", "Multifunktionsdrucker", "Farbdrucker"],
        },
    ),
    "smartphone": (
        5,
        {
            "en": ["Smartphone", "Smartphone with charger", "Service phone"],
            "nl": ["Smartphone", "Smartphone met lader", "Dienstgsm"],
            "fr": ["Smartphone", "Smartphone avec chargeur", "GSM de service"],
            "de": ["Smartphone", "Smartphone mit Ladegerät", "Diensthandy"],
        },
    ),
    "server": (
        2,
        {
            "en": ["Rack server", "Tower server", "Server 2U"],
            "nl": ["Rackserver", "Towerserver", "Server 2U"],
            "fr": ["Serveur rack", "Serveur tour", "Serveur 2U"],
            "de": ["Rack-Server", "Tower-Server", "Server 2HE"],
        },
    ),
    "network-gear": (
        3,
        {
            "en": ["Network switch 24 ports", "Wi-Fi access point", "Router"],
            "nl": ["Netwerkswitch 24 poorten", "Wifi-toegangspunt", "Router"],
            "fr": ["Switch réseau 24 ports", "Point d'accès Wi-Fi", "Routeur"],
            "de": ["Netzwerk-Switch 24 Ports", "WLAN-Access-Point", "Router"],
        },
    ),
}
IT_WITH_BRANDS = {"laptop", "desktop", "monitor", "printer", "smartphone", "server"}
BRANDS = ["Dell", "HP", "Lenovo", "Fujitsu", "Apple", "Samsung", "Cisco", "Brother", "Canon"]
COLOURS = {
    "en": ["black", "grey", "white", "blue"],
    "nl": ["zwart", "grijs", "wit", "blauw"],
    "fr": ["noir", "gris", "blanc", "bleu"],
    "de": ["schwarz", "grau", "weiß", "blau"],
}
DESCRIPTIONS = {
    "en": [
        "Replaced during the move of our {place} offices.",
        "In working order, some signs of use.",
        "Cleaned and checked by our facility team.",
        "Surplus after the renovation of the {place} building.",
    ],
    "nl": [
        "Vervangen bij de verhuis van ons kantoor in {place}.",
        "Werkt goed, lichte gebruikssporen.",
        "Gereinigd en nagekeken door onze facilitaire dienst.",
        "Overschot na de renovatie van het gebouw in {place}.",
    ],
    "fr": [
        "Remplacé lors du déménagement de nos bureaux de {place}.",
        "En état de marche, quelques traces d'usage.",
        "Nettoyé et vérifié par notre service logistique.",
        "Surplus après la rénovation du bâtiment de {place}.",
    ],
    "de": [
        "Beim Umzug unseres Büros in {place} ersetzt.",
        "Funktionsfähig, leichte Gebrauchsspuren.",
        "Von unserem Hausdienst gereinigt und geprüft.",
        "Überschuss nach der Renovierung des Gebäudes in {place}.",
    ],
}
PICKUP_NOTES = {
    "en": "Loading dock at the back, weekdays 9:00-16:00.",
    "nl": "Laadkaai achteraan, weekdagen 9u-16u.",
    "fr": "Quai de chargement à l'arrière, en semaine de 9h à 16h.",
    "de": "Laderampe hinten, werktags 9-16 Uhr.",
}
WINDOW_REASONS = {
    "en": "The building closes at the end of the month.",
    "nl": "Het gebouw sluit eind deze maand.",
    "fr": "Le bâtiment ferme à la fin du mois.",
    "de": "Das Gebäude schließt Ende des Monats.",
}
CONDITIONS = [(Condition.NEW, 5), (Condition.GOOD, 55), (Condition.FAIR, 32), (Condition.PARTS, 8)]
CONDITION_ORDER = [condition for condition, _weight in CONDITIONS]
CONDITION_CUMULATIVE = list(itertools.accumulate(weight for _condition, weight in CONDITIONS))[:-1]
PEOPLE = ["An Peeters", "Marc Dubois", "Sarah Janssens", "Julie Lambert", "Lukas Schmitz"]


@dataclass
class Owner:
    organisation: Organisation
    sites: list[Site]
    language: str


def _enterprise_number(first_eight: int) -> str:
    digits = f"{first_eight:08d}"
    return f"{digits}{97 - int(digits) % 97:02d}"


def _site_language(postcode: str, rng: random.Random) -> str:
    if 4700 <= int(postcode) <= 4799:
        return "de"
    region = region_for_postcode(postcode)
    if region == "VLG":
        return "nl"
    if region == "WAL":
        return "fr"
    return rng.choice(["nl", "fr", "fr", "en"])


def _jitter(value: float, spread: float, bounds: tuple[float, float], rng) -> Decimal:
    jittered = min(max(value + rng.uniform(-spread, spread), bounds[0]), bounds[1])
    return Decimal(f"{jittered:.6f}")


def generated_organisations() -> models.QuerySet[Organisation]:
    return Organisation.objects.filter(name__startswith=LOAD_ORGANISATION_PREFIX)


def generated_lots_count() -> int:
    return Lot.objects.filter(owner__name__startswith=LOAD_ORGANISATION_PREFIX).count()


class GeneratedLoadInUse(Exception):
    """Something other than the generator's own rows refers to generated lots."""


@transaction.atomic
def lots_generated_load_delete() -> dict[str, int]:
    """Remove every generated organisation with its sites and lots. Refuses when other
    rows (claims, impact records ...) refer to generated lots: those are not ours to drop."""
    organisations = generated_organisations()
    lots = Lot.objects.filter(owner__in=organisations)
    own_dependants = (SanitisationAttestation, LotItem, LotPhoto)
    for relation in Lot._meta.related_objects:
        model = relation.related_model
        if model in own_dependants:
            model._base_manager.filter(**{f"{relation.field.name}__in": lots}).delete()
        elif model._base_manager.filter(**{f"{relation.field.name}__in": lots}).exists():
            raise GeneratedLoadInUse(
                f"{model._meta.label} rows refer to generated lots: delete them first."
            )
    # The collector would load every lot and delete them 100 at a time: with their
    # dependants gone, one DELETE does. Generated lots have no photo files to remove.
    deleted_lots = lots._raw_delete(lots.db)
    deleted_organisations = organisations.delete()[1].get("organisations.Organisation", 0)
    return {"lots": deleted_lots, "organisations": deleted_organisations}


def _create_organisations(count: int, rng: random.Random, now: datetime.datetime) -> list[Owner]:
    taken = set(Organisation.objects.values_list("enterprise_number", flat=True))
    start = generated_organisations().count()
    places = PLACES
    weights = list(itertools.accumulate(place[4] for place in PLACES))
    kinds, kind_weights = zip(*ORGANISATION_KINDS, strict=True)
    today = timezone.localdate(now)
    organisations, site_specs = [], []
    for index in range(count):
        number = _enterprise_number(rng.randrange(10_000_000, 19_999_999))
        while number in taken:
            number = _enterprise_number(rng.randrange(10_000_000, 19_999_999))
        taken.add(number)
        home = rng.choices(places, cum_weights=weights)[0]
        language = _site_language(home[0], rng)
        kind = rng.choices(kinds, kind_weights)[0]
        region = region_for_postcode(home[0])
        created = now - datetime.timedelta(days=rng.randint(60, 900))
        organisation = Organisation(
            name=f"{LOAD_ORGANISATION_PREFIX} {start + index + 1:04d} ({home[1]})",
            kind=kind,
            enterprise_number=number,
            region=region,
            language=language,
            email=f"contact{start + index + 1}@load-test.example",
            verified_at=created + datetime.timedelta(days=2),
            verification_notified_at=created + datetime.timedelta(days=2),
            created_at=created,
            updated_at=created + datetime.timedelta(days=2),
        )
        if kind == OrganisationKind.SOCIAL_ECONOMY:
            organisation.accreditation_scheme = AccreditationScheme(
                ACCREDITATION_SCHEMES["de" if language == "de" else region]
            )
            organisation.accreditation_number = f"SE-{region}-{rng.randint(1000, 9999)}"
            organisation.accreditation_valid_until = today + datetime.timedelta(
                days=rng.randint(90, 720)
            )
        organisations.append(organisation)
        # Most organisations have one site; big ones have a few across the country.
        site_places = [home] + rng.choices(
            places, cum_weights=weights, k=rng.choices([0, 1, 3], [6, 3, 1])[0]
        )
        site_specs.append((language, site_places, created))
    with historical_timestamps(Organisation, Site):
        Organisation.objects.bulk_create(organisations, batch_size=BATCH_SIZE)
        sites = []
        for organisation, (language, site_places, created) in zip(
            organisations, site_specs, strict=True
        ):
            for number, (postcode, municipality, lat, lon, _weight) in enumerate(site_places):
                spread = 0.02 if region_for_postcode(postcode) == "BRU" else 0.05
                sites.append(
                    Site(
                        organisation=organisation,
                        name=f"{municipality} {'office' if number == 0 else 'depot'} {number + 1}",
                        street=f"{rng.choice(STREETS[language])} {rng.randint(1, 250)}",
                        postcode=postcode,
                        municipality=municipality,
                        region=region_for_postcode(postcode),
                        latitude=_jitter(lat, spread, LAT_RANGE, rng),
                        longitude=_jitter(lon, spread * 1.5, LON_RANGE, rng),
                        created_at=created,
                        updated_at=created,
                    )
                )
        Site.objects.bulk_create(sites, batch_size=BATCH_SIZE)
    by_organisation: dict[int, list[Site]] = {}
    for site in sites:
        by_organisation.setdefault(site.organisation_id, []).append(site)
    return [
        Owner(organisation, by_organisation[organisation.pk], language)
        for organisation, (language, _places, _created) in zip(
            organisations, site_specs, strict=True
        )
    ]


def category_titles(category: Category) -> tuple[int, dict[str, list[str]]]:
    """(weight, titles per language); a leaf category without titles of its own here
    is offered under its own names."""
    return TITLES.get(category.code) or (
        3,
        {lang: [name] for lang, name in category.names().items()},
    )


def _title(category: Category, language: str, rng: random.Random) -> str:
    code = category.code
    title = rng.choice(category_titles(category)[1][language])
    roll = rng.random()
    if code in IT_WITH_BRANDS:
        if roll < 0.5:
            title = f"{rng.choice(BRANDS)} {title[0].lower()}{title[1:]}"
    elif roll < 0.3:
        title = f"{title}, {rng.choice(COLOURS[language])}"
    return title


def _quantity(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.6:
        return 1 + int(rng.random() * 5)
    if roll < 0.92:
        return 6 + int(rng.random() * 25)
    return 31 + int(rng.random() * 220)


def _description(language: str, place: str, rng: random.Random) -> str:
    sentences = DESCRIPTIONS[language]
    count = int(rng.random() * 3)
    return " ".join(s.format(place=place) for s in rng.sample(sentences, count))


class SearchDocuments(dict):
    """lot_search_document per (title, description, category), each computed once:
    generated lots repeat the same few thousand combinations."""

    def get_document(self, title: str, description: str, category: Category) -> str:
        key = (title, description, category.pk)
        document = self.get(key)
        if document is None:
            document = self[key] = lot_search_document(
                title=title, description=description, category=category
            )
        return document


def lot_build(
    owner: Owner,
    category: Category,
    now: datetime.datetime,
    rng: random.Random,
    documents: SearchDocuments,
) -> Lot:
    return Lot(**_lot_values(owner, category, now, rng, documents))


def _lot_values(
    owner: Owner,
    category: Category,
    now: datetime.datetime,
    rng: random.Random,
    documents: SearchDocuments,
) -> dict:
    """A published lot's field values (by attname), as lot_create and lot_publish set them."""
    language = owner.language
    site = owner.sites[int(rng.random() * len(owner.sites))]
    title = _title(category, language, rng)
    description = _description(language, site.municipality, rng)
    condition = CONDITION_ORDER[bisect.bisect(CONDITION_CUMULATIVE, rng.random() * 100)]
    published_at = now - datetime.timedelta(seconds=rng.random() * PUBLISHED_WITHIN_DAYS * 86400)
    federal_days, social_days = platform_window_days().values()
    window_reason = ""
    if rng.random() < 0.08:  # an urgent lot with shortened windows, and why
        federal_days = int(rng.random() * federal_days)
        social_days = int(rng.random() * (social_days + 1))
        window_reason = WINDOW_REASONS[language]
    unit_weight, measured = None, False
    if rng.random() < 0.15:
        factor = Decimal(f"{0.7 + rng.random() * 0.6:.3f}")
        unit_weight, measured = (category.unit_weight_kg * factor).quantize(Decimal("0.001")), True
    # As lot_publish sets them: the federal window opens at publication. The tier
    # announced by now: lots_advance would have announced every window that opened
    # since publication, so it finds nothing left to announce.
    opens = window_dates(published_at, federal_days, social_days)
    return {
        "owner_id": owner.organisation.pk,
        "site_id": site.pk,
        "category_id": category.pk,
        "title": title,
        "description": description,
        "quantity": _quantity(rng),
        "unit_weight_kg": unit_weight,
        "unit_weight_measured": measured,
        "condition": condition,
        "available_until": _local_date(published_at)
        + datetime.timedelta(days=45 + int(rng.random() * 136)),
        "pickup_notes": PICKUP_NOTES[language] if rng.random() < 0.4 else "",
        "status": LotStatus.PUBLISHED,
        "federal_window_days": federal_days,
        "social_economy_window_days": social_days,
        "window_reason": window_reason,
        "published_at": opens[Tier.FEDERAL],
        "social_economy_opens_at": opens[Tier.SOCIAL_ECONOMY],
        "open_opens_at": opens[Tier.OPEN],
        "announced_tier": window_open(opens, now),
        "status_changed_at": published_at,
        **lot_denormalised_values(site=site, condition=condition),
        "search_document": documents.get_document(title, description, category),
        "created_at": published_at - datetime.timedelta(minutes=5 + int(rng.random() * 4320)),
        "updated_at": published_at,
    }


def _local_date(moment: datetime.datetime) -> datetime.date:
    """timezone.localdate() without looking up the active time zone for every row (the
    generator runs in the project's time zone)."""
    return moment.astimezone(timezone.get_default_timezone()).date()


def attestation_build(lot: Lot, rng: random.Random) -> SanitisationAttestation:
    return SanitisationAttestation(**_attestation_values(lot.pk, lot.created_at, rng))


def _attestation_values(lot_id: int, lot_created_at: datetime.datetime, rng) -> dict:
    return {
        "lot_id": lot_id,
        "method": SanitisationMethod.DESTROY if rng.random() < 0.1 else SanitisationMethod.PURGE,
        "performed_on": _local_date(lot_created_at) - datetime.timedelta(days=rng.randint(0, 14)),
        "responsible_person": rng.choice(PEOPLE),
        "certificate": "",
        "attested_by_id": None,
        "created_at": lot_created_at,
        "updated_at": lot_created_at,
    }


def lots_generate_load(*, lots: int, organisations: int = 300, seed: int = 1) -> dict:
    """Generate ``organisations`` verified organisations and ``lots`` published lots.

    Deterministic for a given seed (except that times count back from now). IT lots
    that can hold data come with a sanitisation attestation (purge or destroy), as
    publication requires. Returns counts and timings in seconds.
    """
    if lots < 0 or organisations < 1:
        raise ValueError("lots must be >= 0 and organisations >= 1")
    started = time.monotonic()
    rng = random.Random(seed)
    now = timezone.now()
    categories_load()
    categories = list(
        Category.objects.filter(children__isnull=True).select_related("parent").order_by("path")
    )
    category_weights = list(itertools.accumulate(category_titles(c)[0] for c in categories))
    holds_data = {c.pk for c in categories if c.requires_data_sanitisation}
    documents = SearchDocuments()
    with gc_paused(), transaction.atomic():
        owners = _create_organisations(organisations, rng, now)
        # Large services publish many more lots than small ones (the largest of 300 about
        # 3 %), without one of them holding the whole catalogue.
        owner_weights = list(itertools.accumulate(rng.lognormvariate(0, 1) for _owner in owners))
        writer = _CopyWriter(lots) if connection.vendor == "postgresql" else _BulkWriter()
        created = attestations = 0
        while created < lots:
            batch = [
                _lot_values(
                    rng.choices(owners, cum_weights=owner_weights)[0],
                    rng.choices(categories, cum_weights=category_weights)[0],
                    now,
                    rng,
                    documents,
                )
                for _index in range(min(BATCH_SIZE, lots - created))
            ]
            writer.lots(batch)  # sets each lot's "id"
            needed = [
                _attestation_values(values["id"], values["created_at"], rng)
                for values in batch
                if values["category_id"] in holds_data
            ]
            writer.attestations(needed)
            created += len(batch)
            attestations += len(needed)
        inserted = time.monotonic()
        writer.finish()
    finished = time.monotonic()
    return {
        "organisations": len(owners),
        "sites": sum(len(owner.sites) for owner in owners),
        "lots": created,
        "attestations": attestations,
        "insert_seconds": round(inserted - started, 1),
        "index_seconds": round(finished - inserted, 1),
        "total_seconds": round(finished - started, 1),
    }


class _BulkWriter:
    """Any database: bulk_create, then one lots_reindex() (a no-op without PostgreSQL)."""

    def __init__(self):
        self.lot_ids: list[int] = []

    def lots(self, batch: list[dict]) -> None:
        with historical_timestamps(Lot):
            made = Lot.objects.bulk_create([Lot(**values) for values in batch])
        for values, lot in zip(batch, made, strict=True):
            values["id"] = lot.pk
            self.lot_ids.append(lot.pk)

    def attestations(self, rows: list[dict]) -> None:
        with historical_timestamps(SanitisationAttestation):
            SanitisationAttestation.objects.bulk_create(
                [SanitisationAttestation(**values) for values in rows]
            )

    def finish(self) -> None:
        lots_reindex(self.lot_ids)


class _CopyWriter:
    """PostgreSQL: ``COPY`` (text format), each lot with its full-text vector already in
    the row: the server's own ``to_tsvector(SEARCH_CONFIG, …)`` of each distinct search
    document, asked once per batch for the documents not seen yet. No UPDATE rewrites
    every row and index entry afterwards (which took a third of the time).

    Lot ids come from one block of the table's sequence. Large loads go in without the
    two tables' secondary indexes and foreign keys, which ``finish`` builds again
    (each index in one pass, each key checked with one join), instead of updating a
    dozen indexes and queueing three key checks for every row. All in the caller's
    transaction: a failure brings the old indexes and keys back with the rollback."""

    REBUILD_FROM = 10_000  # fewer lots: keep the indexes (rebuilding costs the whole table)

    def __init__(self, count: int):
        self.vectors: dict[str, str] = {}
        # The lock (readers go on, other writers wait for the commit) keeps other inserts
        # from drawing lot ids from the sequence meanwhile.
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(Lot._meta.db_table)
            cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        self.ids = iter(sequence_ids(Lot, count, block=True))
        self.rebuild = contextlib.ExitStack()
        if count >= self.REBUILD_FROM:
            self.rebuild.enter_context(secondary_indexes_dropped(Lot, SanitisationAttestation))

    def lots(self, batch: list[dict]) -> None:
        new = list({values["search_document"] for values in batch} - self.vectors.keys())
        if new:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT document, to_tsvector(%s::regconfig, document)::text "
                    "FROM unnest(%s::text[]) AS document",
                    [SEARCH_CONFIG, new],
                )
                self.vectors.update(cursor.fetchall())
        for values in batch:
            values["id"] = next(self.ids)
            values["search_vector"] = self.vectors[values["search_document"]]
        copy_rows(Lot, batch)

    def attestations(self, rows: list[dict]) -> None:
        copy_rows(SanitisationAttestation, rows)

    def finish(self) -> None:
        self.rebuild.close()  # the indexes and keys, built again
        with connection.cursor() as cursor:
            # Fresh statistics, so the planner knows the new rows at once.
            for model in (Organisation, Site, Lot, SanitisationAttestation):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
