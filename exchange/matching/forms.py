"""The forms of the wanted-request pages: they parse what people type and hand it to
the matching services; the rules on a wanted request live in the services."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from exchange.common.forms import AllErrorsFormMixin, DateInput
from exchange.common.limits import NOTE_MAX, date_ahead_limit
from exchange.lots.dimensions import DIMENSION_MAX_CM
from exchange.lots.forms import CategoryChoiceField, SiteChoiceField
from exchange.lots.models import Condition
from exchange.matching.models import MAX_DISTANCE_KM, WantedRequest
from exchange.matching.services.wanted import WantedInput, wanted_validate
from exchange.organisations.models import Membership, Region
from exchange.organisations.selectors import site_list

DEFAULT_DISTANCE_KM = 25
DEFAULT_VALID_DAYS = 60
NEAR_SITE, IN_REGION = "site", "region"
PLACE_FIELDS = ("place", "site", "max_distance_km", "region")


class PlaceForm(forms.Form):
    """Where a request (a wanted request, a reuse check) looks for lots: near one of the
    organisation's sites, within a distance, or anywhere in a region. The fields of the
    choice not taken are ignored, errors included; the rules on the place itself live in
    the services (``wanted_validate``)."""

    place = forms.ChoiceField(
        label=_("Where"),
        choices=[
            (NEAR_SITE, _("Near one of our sites")),
            (IN_REGION, _("Anywhere in a region")),
        ],
        widget=forms.RadioSelect,
        initial=NEAR_SITE,
    )
    site = SiteChoiceField(
        label=_("Site"), queryset=None, required=False, empty_label=_("Choose one of your sites")
    )
    max_distance_km = forms.IntegerField(
        label=_("Maximum distance (km)"),
        required=False,
        min_value=1,
        max_value=MAX_DISTANCE_KM,
        initial=DEFAULT_DISTANCE_KM,
    )
    region = forms.ChoiceField(
        label=_("Region"), required=False, choices=[("", _("Choose a region")), *Region.choices]
    )

    def __init__(self, *args, actor: Membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["site"].queryset = site_list(actor=actor).order_by("name", "id")
        self.fields["max_distance_km"].help_text = gettext(
            "As the crow flies, from 1 to %(max)s km."
        ) % {"max": MAX_DISTANCE_KM}

    @property
    def has_sites(self) -> bool:
        return self.fields["site"].queryset.exists()

    def clean(self):
        data = super().clean()
        # What was typed for the option not chosen is ignored, errors included.
        ignored = {NEAR_SITE: ("region",), IN_REGION: ("site", "max_distance_km")}
        for name in ignored.get(data.get("place"), ()):
            self.errors.pop(name, None)
            data.pop(name, None)
        if data.get("place") == NEAR_SITE:
            if not data.get("site") and "site" not in self.errors:
                self.add_error("site", gettext("Choose one of your sites."))
            if data.get("max_distance_km") is None and "max_distance_km" not in self.errors:
                self.add_error("max_distance_km", gettext("Say how far you can fetch lots."))
        elif (
            data.get("place") == IN_REGION
            and not data.get("region")
            and "region" not in self.errors
        ):
            self.add_error("region", gettext("Choose a region."))
        return data

    def place_values(self) -> dict:
        """The site and distance, or the region, of the choice taken (by their names in
        ``WantedInput``)."""
        data = self.cleaned_data
        near_site = data.get("place", NEAR_SITE) == NEAR_SITE
        return {
            "site": data.get("site") if near_site else None,
            "max_distance_km": data.get("max_distance_km") if near_site else None,
            "region": "" if near_site else data.get("region", ""),
        }


class WantedForm(AllErrorsFormMixin, PlaceForm):
    """A wanted request: what, how many, in what condition, where and until when.

    "Where" is one of two choices: near one of the organisation's sites (with a
    distance), or anywhere in a region; the fields of the other choice are ignored.
    Every rule of ``wanted_validate`` runs on what parsed: one answer, every error."""

    field_order = ("category", "quantity", "min_condition", *PLACE_FIELDS)

    category = CategoryChoiceField(
        label=_("Category"),
        empty_label=_("Choose a category"),
        help_text=_("A category includes its subcategories: “Furniture” also finds desks."),
    )
    quantity = forms.IntegerField(
        label=_("Quantity"),
        min_value=1,
        max_value=100_000,
        help_text=_("How many units you need."),
    )
    min_condition = forms.ChoiceField(
        label=_("Minimum condition"),
        choices=Condition.choices,
        initial=Condition.FAIR,
        help_text=_("Lots in this condition or better."),
    )
    valid_until = forms.DateField(
        label=_("Valid until"),
        widget=DateInput(),
        help_text=_("After this date the request expires and finds no more lots."),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For your colleagues: what it is for, who to ask …"),
    )
    max_width_cm = forms.IntegerField(
        label=_("Maximum width (cm)"), required=False, min_value=1, max_value=DIMENSION_MAX_CM
    )
    max_depth_cm = forms.IntegerField(
        label=_("Maximum depth (cm)"), required=False, min_value=1, max_value=DIMENSION_MAX_CM
    )
    max_height_cm = forms.IntegerField(
        label=_("Maximum height (cm)"), required=False, min_value=1, max_value=DIMENSION_MAX_CM
    )

    def __init__(self, *args, actor: Membership, wanted: WantedRequest | None = None, **kwargs):
        if wanted is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                **{name: getattr(wanted, name) for name in WantedInput.FIELDS},
                "place": NEAR_SITE if wanted.site_id else IN_REGION,
            }
        super().__init__(*args, actor=actor, **kwargs)
        self.fields["valid_until"].widget.attrs["min"] = timezone.localdate().isoformat()
        self.fields["valid_until"].widget.attrs["max"] = date_ahead_limit().isoformat()
        if wanted is None:
            self.initial.setdefault(
                "valid_until", timezone.localdate() + datetime.timedelta(days=DEFAULT_VALID_DAYS)
            )
            self.initial.setdefault("region", actor.organisation.region)
        sites = list(self.fields["site"].queryset[:2])
        if wanted is None and len(sites) == 1:
            self.initial.setdefault("site", sites[0].pk)  # the only choice, chosen
        if not sites:
            self.fields["place"].initial = IN_REGION
            if wanted is None:
                self.initial["place"] = IN_REGION

    def wanted_input(self) -> WantedInput:
        data = self.cleaned_data
        return WantedInput(
            category=data.get("category"),
            quantity=data.get("quantity"),
            min_condition=data.get("min_condition") or Condition.FAIR,
            **self.place_values(),
            valid_until=data.get("valid_until"),
            note=data.get("note") or "",
            max_width_cm=data.get("max_width_cm"),
            max_depth_cm=data.get("max_depth_cm"),
            max_height_cm=data.get("max_height_cm"),
        )

    def service_rules(self, data: dict, *, invalid: frozenset[str]) -> None:
        wanted_validate(actor=self.actor, data=self.wanted_input(), invalid=invalid)


class MatchNotificationsForm(forms.Form):
    match_notifications = forms.ChoiceField(
        label=_("E-mail me about new matches"),
        choices=[
            ("daily", _("Once a day, in a digest")),
            ("immediate", _("At once, one e-mail per match")),
        ],
        widget=forms.RadioSelect,
    )
