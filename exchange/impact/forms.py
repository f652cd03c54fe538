"""The filters of the statistics pages: they parse what people choose into a
``StatsFilter``; what a reader may count is decided by ``stats_scope``."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from exchange.categories.models import Category
from exchange.common.forms import DateInput
from exchange.impact.models import Outcome
from exchange.impact.selectors.statistics import FIRST_YEAR, LAST_YEAR, StatsFilter
from exchange.organisations.models import Membership, Organisation, OrganisationKind, Region


class CategoryFilterField(forms.ModelChoiceField):
    """The category tree as one select (children indented), chosen by code as in the API."""

    def __init__(self, **kwargs):
        super().__init__(queryset=Category.objects.order_by("path"), to_field_name="code", **kwargs)

    def label_from_instance(self, obj: Category) -> str:
        return "\u00a0\u00a0\u00a0\u00a0" * obj.depth + obj.name


class OrganisationFilterField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Organisation) -> str:
        return obj.name


class StatsFilterForm(forms.Form):
    """The dashboard's filters. Unbound, it shows the current year."""

    GIVEN, RECEIVED = "given", "received"

    year = forms.TypedChoiceField(
        label=_("Year"), required=False, coerce=int, empty_value=None, choices=()
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=DateInput(attrs={"min": f"{FIRST_YEAR}-01-01"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=DateInput(attrs={"max": f"{LAST_YEAR}-12-31"})
    )
    side = forms.ChoiceField(
        label=_("Our part"),
        required=False,
        choices=[
            ("", _("What we gave and received")),
            (GIVEN, _("What we gave")),
            (RECEIVED, _("What we received")),
        ],
    )
    donor = OrganisationFilterField(
        label=_("Donor"), required=False, queryset=None, empty_label=_("All donors")
    )
    recipient = OrganisationFilterField(
        label=_("Recipient"), required=False, queryset=None, empty_label=_("All recipients")
    )
    organisation_kind = forms.ChoiceField(
        label=_("Kind of recipient"),
        required=False,
        choices=[("", _("All kinds")), *OrganisationKind.choices],
    )
    category = CategoryFilterField(
        label=_("Category"),
        required=False,
        empty_label=_("All categories"),
        help_text=_("A category includes its subcategories."),
    )
    region = forms.ChoiceField(
        label=_("Region"), required=False, choices=[("", _("All regions")), *Region.choices]
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), required=False, choices=[("", _("All outcomes")), *Outcome.choices]
    )

    def __init__(
        self,
        *args,
        actor: Membership | None,
        reads_all: bool,
        years: list[int],
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.reads_all = reads_all
        current = timezone.localdate().year
        choices = sorted({*years, current}, reverse=True)
        self.fields["year"].choices = [("", _("All years")), *((y, str(y)) for y in choices)]
        self.fields["year"].help_text = _("A date range, where given, replaces the year.")
        if not self.is_bound:
            self.initial.setdefault("year", current)
        if reads_all:
            del self.fields["side"]
            organisations = Organisation.objects.filter(verified_at__isnull=False).order_by("name")
            self.fields["donor"].queryset = organisations
            self.fields["recipient"].queryset = organisations
        else:
            del self.fields["donor"]
            del self.fields["recipient"]
            if actor is None:
                del self.fields["side"]

    def clean(self):
        data = super().clean()
        date_from, date_to = data.get("date_from"), data.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error("date_to", _("The end date lies before the start date."))
        return data

    def _data(self) -> dict:
        """The valid choices: with errors, the filters that are valid still apply."""
        if not self.is_bound:
            return {"year": self.initial["year"]}
        self.is_valid()
        return self.cleaned_data

    def stats_filter(self) -> StatsFilter:
        data = self._data()
        filters = StatsFilter(
            year=data.get("year"),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            donor=data.get("donor"),
            recipient=data.get("recipient"),
            organisation_kind=data.get("organisation_kind") or "",
            category=data.get("category"),
            region=data.get("region") or "",
            outcome=data.get("outcome") or "",
        )
        if filters.date_from or filters.date_to:
            filters.year = None  # a date range replaces the year
        if self.actor is not None and not self.reads_all:
            own = self.actor.organisation
            if data.get("side") == self.GIVEN:
                filters.donor = own
            elif data.get("side") == self.RECEIVED:
                filters.recipient = own
        return filters

    def report_year(self) -> int:
        """The year whose annual report the page offers."""
        filters = self.stats_filter()
        if filters.year:
            return filters.year
        for moment in (filters.date_to, filters.date_from):
            if moment:
                return min(moment.year, timezone.localdate().year)
        return timezone.localdate().year

    def period(self) -> tuple[datetime.date | None, datetime.date | None]:
        """The first and last day asked for (None where open)."""
        filters = self.stats_filter()
        if filters.year:
            return datetime.date(filters.year, 1, 1), datetime.date(filters.year, 12, 31)
        return filters.date_from, filters.date_to


class OpenDataYearForm(forms.Form):
    year = forms.TypedChoiceField(
        label=_("Year"), required=False, coerce=int, empty_value=None, choices=()
    )

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [
            ("", _("All years")),
            *((y, str(y)) for y in sorted(years, reverse=True)),
        ]

    def chosen_year(self) -> int | None:
        if self.is_bound and self.is_valid():
            return self.cleaned_data["year"]
        return None
