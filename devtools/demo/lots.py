"""Demo lots with generated photos, so that a newcomer sees a living catalogue."""

import datetime
import io
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw

from exchange.categories.models import Category
from exchange.lots.models import Lot
from exchange.lots.services.lots import ItemInput, LotInput, lot_create, lot_publish
from exchange.lots.services.photos import lot_photo_add, lot_photo_process
from exchange.lots.services.sanitisation import (
    ErasureInput,
    lot_erasures_record,
    lot_sanitisation_attest,
)
from exchange.organisations.models import Membership

# The size of one unit (width, depth, height in cm) of the demo's furniture.
DEMO_SIZES = {
    "office-chair": (66, 64, 112),
    "desk": (160, 80, 75),
    "cabinet": (43, 58, 60),
    "meeting-table": (240, 110, 75),
}

# owner key, category, title, quantity, condition, days since publication (None: draft)
DEMO_LOTS = [
    ("fed", "office-chair", "Bureaustoelen, zwart, verstelbaar", 24, "good", 1),
    ("fed", "desk", "Zit-sta bureaus 160x80", 12, "good", 3),
    ("fed", "cabinet", "Ladeblokken op wieltjes", 30, "fair", 12),
    ("fed", "meeting-table", "Vergadertafel eik, 10 personen", 2, "good", 22),
    ("fed", "laptop", "Laptops Latitude 5420 (gewist)", 40, "good", 2),
    ("fed", "monitor", "Schermen 24 inch, HDMI", 35, "good", 14),
    ("fed", "printer", "Multifunctionele printers A3", 4, "fair", 25),
    ("fed", "sofa", "Zetels voor de wachtzaal", 3, "fair", None),
    ("fed", "office-chair", "Chaises visiteurs empilables", 60, "good", 5),
    ("fed", "desktop", "Desktop-pc's met toetsenbord", 18, "fair", 16),
    ("fed", "wooden-table", "Houten tafels uit de kantine", 8, "fair", 28),
    ("fed", "network-gear", "Switches 48 poorten", 6, "good", None),
    ("fed2", "office-chair", "Ergonomic task chairs", 16, "new", 0),
    ("fed2", "desk", "Corner desks, light grey", 9, "fair", 8),
    ("fed2", "monitor", "27-inch monitors, USB-C", 20, "good", 4),
    ("fed2", "laptop", "Laptops for parts", 12, "parts", 18),
    ("fed2", "cabinet", "Filing cabinets, 4 drawers", 14, "good", 11),
    ("fed2", "wooden-chair", "Wooden chairs, cafeteria", 40, "fair", 21),
    ("fed2", "smartphone", "Smartphones (wiped), with chargers", 25, "good", 6),
    ("fed2", "server", "Rack servers 1U", 5, "fair", 23),
    ("fed2", "meeting-table", "Round meeting tables", 6, "good", 13),
    ("public", "desk", "Bureaux en bois massif", 10, "fair", 9),
    ("public", "office-chair", "Fauteuils de bureau", 22, "good", 15),
    ("public", "monitor", "Écrans 22 pouces", 30, "fair", 26),
    ("public", "cabinet", "Armoires métalliques à portes coulissantes", 7, "good", 2),
    ("public", "wooden-table", "Tables de réunion pliantes", 12, "good", 19),
    ("public", "printer", "Imprimantes laser noir et blanc", 5, "good", 7),
    ("public", "laptop", "Ordinateurs portables reconditionnables", 15, "fair", 12),
    ("public", "sofa", "Canapés deux places", 4, "good", 27),
    ("fed", "monitor", "Beeldschermen 19 inch", 50, "fair", 20),
    ("fed2", "desk", "Height-adjustable desks", 10, "new", 1),
    ("public", "office-chair", "Chaises de formation avec tablette", 36, "good", 24),
]

PALETTE = {
    "furniture": [(139, 94, 60), (96, 125, 139), (121, 85, 72), (62, 39, 35)],
    "it": [(38, 50, 56), (55, 71, 79), (33, 150, 243), (0, 121, 107)],
}


# The language a lot is written in: its organisation's, but for these titles.
TITLE_LANGUAGES = {"Chaises visiteurs empilables": "fr"}


def demo_lot_language(organisation, title: str) -> str:
    return TITLE_LANGUAGES.get(title, organisation.language)


def demo_photo_description(category: Category, *, number: int, count: int, language: str) -> str:
    """The photo's description (its alt text) in the lot's language: what the drawing
    shows, and which of the lot's photos it is."""
    with translation.override(language):
        return _("Drawing: %(category)s, photo %(number)s of %(count)s") % {
            "category": getattr(category, f"name_{language}", category.name_en),
            "number": number,
            "count": count,
        }


def demo_photo(category: Category, seed: int) -> bytes:
    """A simple drawing that stands for the category (no real photo is shipped)."""
    rng = random.Random(seed)
    root = category.path.split("/")[0]
    background = rng.choice([(236, 239, 241), (245, 240, 230), (232, 245, 233), (227, 242, 253)])
    image = Image.new("RGB", (1200, 900), background)  # drawn at 1200x900, like a photo
    draw = ImageDraw.Draw(image)
    colour = rng.choice(PALETTE.get(root, PALETTE["furniture"]))
    code = category.code
    if code in ("office-chair", "wooden-chair"):
        draw.rounded_rectangle((480, 180, 720, 470), radius=40, fill=colour)
        draw.rounded_rectangle((440, 470, 760, 540), radius=20, fill=colour)
        draw.rectangle((585, 540, 615, 700), fill=(60, 60, 60))
        draw.line((470, 760, 730, 760), fill=(60, 60, 60), width=24)
    elif code in ("desk", "meeting-table", "wooden-table"):
        draw.rectangle((220, 380, 980, 430), fill=colour)
        draw.rectangle((250, 430, 280, 720), fill=colour)
        draw.rectangle((920, 430, 950, 720), fill=colour)
    elif code == "cabinet":
        draw.rectangle((420, 200, 780, 740), fill=colour)
        for y in (330, 470, 610):
            draw.line((420, y, 780, y), fill=background, width=8)
            draw.rectangle((570, y - 60, 630, y - 45), fill=background)
    elif code == "sofa":
        draw.rounded_rectangle((230, 380, 970, 640), radius=60, fill=colour)
        draw.rounded_rectangle((290, 300, 910, 450), radius=50, fill=colour)
    elif code in ("monitor", "desktop"):
        draw.rounded_rectangle((300, 180, 900, 560), radius=16, fill=(30, 30, 30))
        draw.rectangle((330, 210, 870, 530), fill=colour)
        draw.rectangle((570, 560, 630, 680), fill=(50, 50, 50))
        draw.rectangle((470, 680, 730, 710), fill=(50, 50, 50))
    elif code == "laptop":
        draw.rounded_rectangle((330, 220, 870, 560), radius=16, fill=(40, 40, 40))
        draw.rectangle((360, 250, 840, 530), fill=colour)
        draw.polygon([(260, 600), (940, 600), (880, 560), (320, 560)], fill=(70, 70, 70))
    elif code == "smartphone":
        draw.rounded_rectangle((500, 160, 700, 740), radius=36, fill=(30, 30, 30))
        draw.rectangle((520, 210, 680, 680), fill=colour)
    else:
        draw.rounded_rectangle((260, 330, 940, 600), radius=20, fill=colour)
        for x in range(300, 900, 60):
            draw.rectangle((x, 520, x + 36, 560), fill=(220, 220, 220))
    draw.text((40, 40), category.name_en, fill=(80, 80, 80))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def demo_lots_seed(organisations: dict) -> int:
    """Create the demo lots once; returns how many were created."""
    if Lot.objects.filter(owner__in=organisations.values()).exists():
        return 0
    today = timezone.localdate()
    now = timezone.now()
    categories = {c.code: c for c in Category.objects.all()}
    created = 0
    for index, (key, code, title, quantity, condition, days_ago) in enumerate(DEMO_LOTS):
        organisation = organisations[key]
        actor = Membership.objects.filter(organisation=organisation).order_by("role").first()
        site = organisation.sites.first()
        category = categories[code]
        items = None
        if category.requires_data_sanitisation and code in ("laptop", "smartphone"):
            items = [
                ItemInput(serial_number=f"DEMO-{code[:3].upper()}-{index:02d}{n:03d}")
                for n in range(min(quantity, 5))
            ]
        lot = lot_create(
            actor=actor,
            data=LotInput(
                site=site,
                category=category,
                title=title,
                description=_description(code),
                quantity=quantity,
                condition=condition,
                available_until=today + datetime.timedelta(days=40 + index),
                pickup_notes="Loading dock at the back; lift available." if index % 3 else "",
                items=items,
                **dict(
                    zip(
                        ("width_cm", "depth_cm", "height_cm"),
                        DEMO_SIZES.get(code, ()),
                        strict=False,
                    )
                ),
            ),
        )
        count = 1 + index % 3
        for n in range(count):
            upload = SimpleUploadedFile(
                f"demo-{index}-{n}.jpg", demo_photo(category, index * 7 + n)
            )
            alt_text = demo_photo_description(
                category, number=n + 1, count=count, language=demo_lot_language(organisation, title)
            )
            photo = lot_photo_add(actor=actor, lot=lot, upload=upload, alt_text=alt_text)
            lot_photo_process(photo_id=photo.pk)
        if category.requires_data_sanitisation:
            lot_sanitisation_attest(
                actor=actor,
                lot=lot,
                method="purge" if items else "no_storage_media",
                performed_on=today - datetime.timedelta(days=30),
                responsible_person="IT service desk",
            )
            if items:
                lot_erasures_record(
                    actor=actor,
                    lot=lot,
                    records=[
                        ErasureInput(
                            serial_number=i.serial_number,
                            make_model="Demo model",
                            media_type="SSD",
                            method="purge",
                            tool="Demo Eraser 7.2",
                            verified=True,
                            performer="IT service desk",
                            date=today - datetime.timedelta(days=30),
                        )
                        for i in items
                    ],
                )
        if days_ago is not None:
            lot_publish(
                actor=actor, lot=lot, now=now - datetime.timedelta(days=days_ago, hours=index)
            )
        created += 1
    return created


def _description(code: str) -> str:
    return {
        "office-chair": "Adjustable seat height and armrests. Some show signs of wear.",
        "desk": "Complete with cable trays. Dismantling needed for transport.",
        "laptop": "Drives erased (NIST SP 800-88 purge); chargers included.",
        "monitor": "Tested and working; cables included.",
    }.get(code, "In working order. Pickup by appointment.")
