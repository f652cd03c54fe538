"""Demo data for a newcomer's machine: organisations, sites and people, a catalogue
with photos and two years of history (idempotent)."""

import datetime
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from devtools.demo.history import demo_history_seed
from devtools.demo.lots import demo_lots_seed
from exchange.categories.services import categories_load
from exchange.organisations.models import Membership, MembershipRole, Organisation, Site

User = get_user_model()

DEMO_ORGANISATIONS = [
    {
        "key": "fed",
        "name": "FPS Demo Logistics",
        "kind": "federal",
        "enterprise_number": "0308357852",
        "region": "BRU",
        "language": "nl",
        "site": ("Headquarters", "Wetstraat 16", "1000", "Brussel", "50.846600", "4.367600"),
    },
    {
        "key": "fed2",
        "name": "Federal Institute for Demo Statistics",
        "kind": "federal",
        "enterprise_number": "0858123465",
        "region": "VLG",
        "language": "en",
        "site": (
            "Ghent office",
            "Kortrijksesteenweg 1005",
            "9000",
            "Gent",
            "51.034300",
            "3.710600",
        ),
    },
    {
        "key": "social",
        "name": "Kringwinkel Demo",
        "kind": "social_economy",
        "enterprise_number": "0412345614",
        "region": "VLG",
        "language": "nl",
        "accreditation": ("VLG", "SE-VLG-2025-0042"),
        "site": ("Antwerp shop", "Noorderlaan 30", "2030", "Antwerpen", "51.243000", "4.417000"),
    },
    {
        "key": "social2",
        "name": "Ressourcerie Démo",
        "kind": "social_economy",
        "enterprise_number": "0212345668",
        "region": "WAL",
        "language": "fr",
        "accreditation": ("WAL", "ES-WAL-2024-0117"),
        "site": ("Atelier de Namur", "Rue de Fer 12", "5000", "Namur", "50.466900", "4.867500"),
    },
    {
        "key": "public",
        "name": "Ville de Démo-Liège",
        "kind": "public",
        "enterprise_number": "0410123423",
        "region": "WAL",
        "language": "fr",
        "site": ("Hôtel de ville", "Place du Marché 2", "4000", "Liège", "50.645800", "5.575300"),
    },
    {
        "key": "nonprofit",
        "name": "Digital Inclusion Demo",
        "kind": "nonprofit",
        "enterprise_number": "0876543270",
        "region": "BRU",
        "language": "en",
        "site": (
            "Saint-Gilles hub",
            "Chaussée de Forest 80",
            "1060",
            "Saint-Gilles",
            "50.827000",
            "4.345000",
        ),
    },
]

# username, organisation key, role, language, first name, last name, platform group
DEMO_USERS = [
    ("fed.admin", "fed", MembershipRole.ADMIN, "nl", "An", "Peeters", None),
    ("fed.member", "fed", MembershipRole.MEMBER, "fr", "Marc", "Dubois", None),
    ("fed2.member", "fed2", MembershipRole.ADMIN, "en", "Sarah", "Janssens", None),
    ("social.member", "social", MembershipRole.ADMIN, "nl", "Lotte", "Maes", None),
    ("social2.member", "social2", MembershipRole.ADMIN, "fr", "Julie", "Lambert", None),
    ("public.member", "public", MembershipRole.ADMIN, "fr", "Thomas", "Renard", None),
    ("nonprofit.member", "nonprofit", MembershipRole.ADMIN, "en", "Youssef", "El Amrani", None),
    ("moderator", None, None, "en", "Mila", "Moderator", "moderator"),
    ("analyst", None, None, "de", "Lukas", "Schmitz", "analyst"),
]


@transaction.atomic
def demo_seed() -> dict[str, object]:
    """Load categories, demo organisations (verified), sites and users. Safe to rerun."""
    categories_load()
    password = settings.DEMO_PASSWORD
    moderator, _ = User.objects.get_or_create(username="moderator")
    organisations = {}
    today = timezone.localdate()
    for spec in DEMO_ORGANISATIONS:
        defaults = {
            "name": spec["name"],
            "kind": spec["kind"],
            "region": spec["region"],
            "language": spec["language"],
            "email": f"contact@{spec['key']}.demo.example",
        }
        if "accreditation" in spec:
            defaults.update(
                accreditation_scheme=spec["accreditation"][0],
                accreditation_number=spec["accreditation"][1],
                accreditation_valid_until=today + datetime.timedelta(days=365),
            )
        organisation, created = Organisation.objects.get_or_create(
            enterprise_number=spec["enterprise_number"], defaults=defaults
        )
        if organisation.verified_at is None:
            organisation.verified_at = timezone.now()
            organisation.verified_by = moderator
            organisation.verification_notified_at = timezone.now()
            organisation.save(
                update_fields=["verified_at", "verified_by", "verification_notified_at"]
            )
        name, street, postcode, municipality, lat, lon = spec["site"]
        Site.objects.get_or_create(
            organisation=organisation,
            name=name,
            defaults={
                "street": street,
                "postcode": postcode,
                "municipality": municipality,
                "region": spec["region"],
                "latitude": Decimal(lat),
                "longitude": Decimal(lon),
            },
        )
        organisations[spec["key"]] = organisation

    users = []
    for username, key, role, language, first, last, group in DEMO_USERS:
        user, _ = User.objects.get_or_create(username=username)
        user.email = f"{username}@demo.example"
        user.first_name, user.last_name, user.language = first, last, language
        user.set_password(password)
        if key:
            organisation = organisations[key]
            Membership.objects.update_or_create(
                user=user, organisation=organisation, defaults={"role": role}
            )
            user.current_organisation = organisation
        if group:
            user.groups.add(Group.objects.get_or_create(name=group)[0])
        user.save()
        # Demo people sign in at once: their addresses count as verified.
        EmailAddress.objects.update_or_create(
            user=user, email=user.email, defaults={"verified": True, "primary": True}
        )
        users.append(user)
    lots = demo_lots_seed(organisations)
    demo_history_seed(organisations)  # two years of statistics
    return {"organisations": organisations, "users": users, "password": password, "lots": lots}
