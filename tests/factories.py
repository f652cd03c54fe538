import datetime
import itertools
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from exchange.organisations.models import Membership, MembershipRole, Organisation, Site

_enterprise_numbers = itertools.count(1000)


def valid_enterprise_number(n: int | None = None) -> str:
    """A fresh KBO/BCE number with correct check digits."""
    base = next(_enterprise_numbers) if n is None else n
    first_eight = f"{base:08d}"
    return f"{first_eight}{97 - int(first_eight) % 97:02d}"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"person{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    first_name = "Alex"
    last_name = factory.Sequence(lambda n: f"Tester{n}")
    language = "en"
    password = factory.django.Password("correct horse battery")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = "federal"
    enterprise_number = factory.LazyFunction(valid_enterprise_number)
    region = "BRU"
    language = "en"
    verified_at = factory.LazyFunction(timezone.now)

    class Params:
        unverified = factory.Trait(verified_at=None)
        social_economy = factory.Trait(
            kind="social_economy",
            accreditation_scheme="VLG",
            accreditation_number="SE-1",
            accreditation_valid_until=factory.LazyFunction(
                lambda: timezone.localdate() + datetime.timedelta(days=100)
            ),
        )


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Site {n}")
    street = "Wetstraat 16"
    postcode = "1000"
    municipality = "Brussel"
    region = "BRU"
    latitude = Decimal("50.846600")
    longitude = Decimal("4.367600")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = MembershipRole.MEMBER
