from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from exchange.common.forms import AllErrorsFormMixin, DateInput
from exchange.organisations.models import (
    AccreditationScheme,
    MembershipRole,
    OrganisationKind,
    Region,
)
from exchange.organisations.services import organisation_validate, site_validate


class OrganisationForm(AllErrorsFormMixin, forms.Form):
    """An organisation; every rule of ``organisation_validate`` on what parsed."""

    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=OrganisationKind.choices)
    enterprise_number = forms.CharField(
        label=_("Enterprise number (KBO/BCE)"),
        max_length=20,
        help_text=_("10 digits, for example 0123.456.749."),
    )
    region = forms.ChoiceField(label=_("Region"), choices=Region.choices)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    email = forms.EmailField(label=_("Contact e-mail"), required=False)
    auto_approve_claims = forms.BooleanField(
        label=_("Approve claims on our lots automatically"), required=False
    )
    accreditation_scheme = forms.ChoiceField(
        label=_("Accreditation scheme"),
        required=False,
        choices=[("", "—"), *AccreditationScheme.choices],
        help_text=_("Social-economy enterprises only."),
    )
    accreditation_number = forms.CharField(label=_("Accreditation number"), required=False)
    accreditation_valid_until = forms.DateField(
        label=_("Accreditation valid until"),
        required=False,
        widget=DateInput(),
    )

    def __init__(self, *args, organisation=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation

    def service_rules(self, data: dict, *, invalid: frozenset[str]) -> None:
        fields = {name: data.get(name) for name in self.fields if name not in invalid}
        organisation_validate(fields=fields, organisation=self.organisation, invalid=invalid)


class SiteForm(AllErrorsFormMixin, forms.Form):
    """A site; every rule of ``site_validate`` on what parsed."""

    name = forms.CharField(label=_("Name"), max_length=200)
    street = forms.CharField(label=_("Street and number"), max_length=200)
    postcode = forms.CharField(
        label=_("Postcode"),
        max_length=4,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
    )
    municipality = forms.CharField(
        label=_("Municipality"),
        max_length=100,
        required=False,
        help_text=_("Left empty, the municipality of the postcode."),
    )
    latitude = forms.DecimalField(
        label=_("Latitude"),
        max_digits=8,
        decimal_places=6,
        required=False,
        help_text=_(
            "Left empty, the point of the postcode; correct it if the pickup is elsewhere."
        ),
    )
    longitude = forms.DecimalField(
        label=_("Longitude"),
        max_digits=9,
        decimal_places=6,
        required=False,
        help_text=_("Left empty, the point of the postcode."),
    )

    def service_rules(self, data: dict, *, invalid: frozenset[str]) -> None:
        fields = {name: data.get(name) for name in self.fields if name not in invalid}
        site_validate(fields=fields, invalid=invalid)


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
        help_text=_(
            "The person receives a link to accept; a new account becomes a member once it "
            "has confirmed this address."
        ),
    )
    role = forms.ChoiceField(label=_("Role"), choices=MembershipRole.choices)
    language = forms.ChoiceField(label=_("Language of the invitation"), choices=settings.LANGUAGES)
