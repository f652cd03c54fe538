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
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"person{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    first_name = "Alex"
    last_name = factory.Sequence(lambda n: f"Tester{n}")
    language = "en"
    password = factory.django.Password("correct horse battery")

    @factory.post_generation
    def email_verified(self, create, extracted, **kwargs):
        """People have a verified address unless made with ``email_verified=False``."""
        if create and self.email:
            from allauth.account.models import EmailAddress

            EmailAddress.objects.update_or_create(
                user=self,
                email=self.email.lower(),
                defaults={"verified": extracted is not False, "primary": True},
            )


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


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "categories.Category"
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"category-{n}")
    path = factory.LazyAttribute(lambda c: c.code)
    name_nl = factory.LazyAttribute(lambda c: f"{c.code} nl")
    name_fr = factory.LazyAttribute(lambda c: f"{c.code} fr")
    name_de = factory.LazyAttribute(lambda c: f"{c.code} de")
    name_en = factory.LazyAttribute(lambda c: f"{c.code} en")
    unit_weight_kg = Decimal("10")
    replacement_value_eur = Decimal("100")


class LotFactory(factory.django.DjangoModelFactory):
    """A lot made through the domain service, so derived fields are right."""

    class Meta:
        model = "lots.Lot"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from exchange.categories.models import Category
        from exchange.lots.services.lots import LotInput, lot_create, lot_publish
        from exchange.organisations.models import Membership

        published = kwargs.pop("published", False)
        owner = kwargs.pop("owner", None)
        site = kwargs.pop("site", None) or SiteFactory(organisation=owner or OrganisationFactory())
        actor = Membership.objects.filter(organisation=site.organisation, role="admin").first()
        if actor is None:
            actor = MembershipFactory(organisation=site.organisation, role="admin")
        category = kwargs.pop("category", None)
        if category is None:
            category = Category.objects.filter(code="office-chair").first() or CategoryFactory()
        data = LotInput(
            site=site,
            category=category,
            title=kwargs.pop("title", "Office chairs"),
            description=kwargs.pop("description", "Black, adjustable"),
            quantity=kwargs.pop("quantity", 10),
            unit_weight_kg=kwargs.pop("unit_weight_kg", None),
            condition=kwargs.pop("condition", "good"),
            available_until=kwargs.pop(
                "available_until", timezone.localdate() + datetime.timedelta(days=60)
            ),
            pickup_notes=kwargs.pop("pickup_notes", ""),
            items=kwargs.pop("items", None),
        )
        lot = lot_create(actor=actor, data=data)
        if published:
            lot = lot_publish(actor=actor, lot=lot, now=kwargs.pop("published_at", None))
        return lot
