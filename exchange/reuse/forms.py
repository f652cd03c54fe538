"""The forms of the reuse-check pages: they parse what people type and hand it to the
reuse services, where the rules live."""

import datetime

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from exchange.common.forms import AllErrorsFormMixin, DateInput
from exchange.lots.forms import CategoryChoiceField, SiteChoiceField
from exchange.lots.models import Condition
from exchange.matching.forms import IN_REGION, NEAR_SITE, PLACE_FIELDS, PlaceForm
from exchange.organisations.models import Membership
from exchange.reuse.services.checks import MAX_WAITING_DAYS, CheckInput, reuse_check_validate


class ReuseCheckForm(AllErrorsFormMixin, PlaceForm):
    """A planned purchase: what, how many, in what condition, where, by when, for how
    much and for which procurement file; and how long to keep looking. Every rule of
    ``reuse_check_validate`` runs on what parsed: one answer, every error."""

    field_order = ("category", "quantity", "min_condition", *PLACE_FIELDS)

    category = CategoryChoiceField(
        label=_("Category"),
        empty_label=_("Choose a category"),
        help_text=_("A category includes its subcategories: “Furniture” also finds desks."),
    )
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=100_000)
    min_condition = forms.ChoiceField(
        label=_("Minimum condition"),
        choices=Condition.choices,
        initial=Condition.FAIR,
        help_text=_("Lots in this condition or better."),
    )
    place = forms.ChoiceField(
        label=_("Where"),
        choices=[
            (NEAR_SITE, _("Delivered near one of our sites")),
            (IN_REGION, _("Anywhere in a region")),
        ],
        widget=forms.RadioSelect,
        initial=NEAR_SITE,
    )
    site = SiteChoiceField(
        label=_("Delivery site"),
        queryset=None,
        required=False,
        empty_label=_("Choose one of your sites"),
    )
    needed_by = forms.DateField(label=_("Needed by"), widget=DateInput())
    estimated_value_eur = forms.DecimalField(
        label=_("Estimated purchase value (EUR)"),
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text=_("The whole purchase, as in the procurement file."),
    )
    file_reference = forms.CharField(label=_("Procurement file reference"), max_length=100)
    waiting_days = forms.IntegerField(
        label=_("Keep looking for (days)"),
        required=False,
        min_value=0,
        max_value=MAX_WAITING_DAYS,
    )

    def __init__(self, *args, actor: Membership, **kwargs):
        super().__init__(*args, actor=actor, **kwargs)
        self.fields["needed_by"].widget.attrs["min"] = timezone.localdate().isoformat()
        self.fields["waiting_days"].help_text = gettext(
            "New lots that fit are matched and notified meanwhile. Empty: %(days)s days, "
            "never past the date you need it by."
        ) % {"days": settings.EXCHANGE_REUSE_CHECK_DAYS}
        self.initial.setdefault("region", actor.organisation.region)
        self.initial.setdefault("needed_by", timezone.localdate() + datetime.timedelta(days=21))
        sites = list(self.fields["site"].queryset[:2])
        if len(sites) == 1:
            self.initial.setdefault("site", sites[0].pk)
        if not sites:
            self.initial["place"] = IN_REGION

    def check_input(self) -> CheckInput:
        data = self.cleaned_data
        return CheckInput(
            category=data.get("category"),
            quantity=data.get("quantity"),
            min_condition=data.get("min_condition") or Condition.FAIR,
            **self.place_values(),
            needed_by=data.get("needed_by"),
            estimated_value_eur=data.get("estimated_value_eur"),
            file_reference=data.get("file_reference") or "",
            waiting_days=data.get("waiting_days"),
        )

    def service_rules(self, data: dict, *, invalid: frozenset[str]) -> None:
        reuse_check_validate(actor=self.actor, data=self.check_input(), invalid=invalid)


class ResultClaimForm(forms.Form):
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, required=False)


class VerifyCodeForm(forms.Form):
    code = forms.CharField(label=_("Verification code"), max_length=40)


class VerifyFingerprintForm(forms.Form):
    pdf = forms.FileField(
        label=_("The PDF of the attestation"),
        required=False,
        help_text=_("It is compared on this server and not kept."),
    )
    sha256 = forms.CharField(label=_("Or its SHA-256 fingerprint"), required=False, max_length=100)
