from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from exchange.organisations.models import (
    AccreditationScheme,
    MembershipRole,
    OrganisationKind,
    Region,
)


class OrganisationForm(forms.Form):
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
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class SiteForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    street = forms.CharField(label=_("Street and number"), max_length=200)
    postcode = forms.CharField(label=_("Postcode"), max_length=4)
    municipality = forms.CharField(label=_("Municipality"), max_length=100)
    latitude = forms.DecimalField(label=_("Latitude"), max_digits=8, decimal_places=6)
    longitude = forms.DecimalField(label=_("Longitude"), max_digits=9, decimal_places=6)


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
