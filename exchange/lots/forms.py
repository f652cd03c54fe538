"""The forms of the lot pages: they parse what people type and hand it to the services
and selectors; every rule on a lot lives in the services."""

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from exchange.categories.models import Category
from exchange.categories.selectors import category_list
from exchange.common.errors import ApplicationError, CommonError
from exchange.common.forms import AllErrorsFormMixin, DateInput, add_application_error
from exchange.common.limits import (
    DESCRIPTION_MAX,
    NOTE_MAX,
    REASON_MAX,
    TITLE_MAX,
    date_ahead_limit,
)
from exchange.lots import selectors
from exchange.lots.dimensions import DIMENSION_MAX_CM
from exchange.lots.eligibility import platform_window_days
from exchange.lots.models import (
    MAX_QUANTITY,
    CloseOutcome,
    Condition,
    Lot,
    LotStatus,
    SanitisationMethod,
)
from exchange.lots.services.lots import ItemInput, LotInput, lot_validate
from exchange.lots.services.sanitisation import sanitisation_attestation_validate
from exchange.organisations.models import Membership, Region
from exchange.organisations.selectors import site_list

DEFAULT_RADIUS_KM = 25
MAX_RADIUS_KM = 500
PHOTO_ACCEPT = "image/jpeg,image/png,image/webp"


class CategoryChoiceField(forms.ModelChoiceField):
    """The category tree as one select, children indented under their parent."""

    def __init__(self, **kwargs):
        super().__init__(queryset=category_list().order_by("path"), **kwargs)

    def label_from_instance(self, obj: Category) -> str:
        return "\u00a0\u00a0\u00a0\u00a0" * obj.depth + obj.name


class SiteChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.name} ({obj.postcode} {obj.municipality})"


# --- Catalogue -------------------------------------------------------------------


class CatalogueFilterForm(forms.Form):
    """The catalogue's filters; ``filter()`` applies them with the lot selectors."""

    NEWEST, CLOSING_SOON, NEAREST = "newest", "closing_soon", "nearest"

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        help_text=_("Words in the title, description or category."),
    )
    category = CategoryChoiceField(
        label=_("Category"),
        required=False,
        empty_label=_("All categories"),
        help_text=_("A category includes its subcategories."),
    )
    region = forms.ChoiceField(
        label=_("Region"), required=False, choices=[("", _("All regions")), *Region.choices]
    )
    min_condition = forms.ChoiceField(
        label=_("Condition"),
        required=False,
        choices=[
            ("", _("Any condition")),
            (Condition.NEW, _("New")),
            (Condition.GOOD, _("Good or better")),
            (Condition.FAIR, _("Fair or better")),
        ],
    )
    claimable = forms.BooleanField(
        label=_("Only lots my organisation may claim now"), required=False
    )
    near_site = SiteChoiceField(
        label=_("Near my site"),
        required=False,
        queryset=None,
        empty_label=_("Anywhere"),
    )
    radius_km = forms.IntegerField(
        label=_("Within (km)"),
        required=False,
        min_value=1,
        max_value=MAX_RADIUS_KM,
        help_text=_("With a site: at most this many kilometres away (default 25)."),
        widget=forms.NumberInput(attrs={"placeholder": str(DEFAULT_RADIUS_KM)}),
    )
    ordering = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            (NEWEST, _("Newest first")),
            (CLOSING_SOON, _("Closing soon")),
            (NEAREST, _("Nearest first")),
        ],
    )

    def __init__(self, *args, actor: Membership | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        if actor is None:
            # Claimability and distance are relative to one's organisation and sites.
            for name in ("claimable", "near_site", "radius_km"):
                del self.fields[name]
            self.fields["ordering"].choices = self.fields["ordering"].choices[:2]
        else:
            self.fields["near_site"].queryset = site_list(actor=actor)

    def clean(self):
        data = super().clean()
        if data.get("ordering") == self.NEAREST and not data.get("near_site"):
            self.add_error(
                "ordering", gettext("Choose one of your sites to sort by distance from it.")
            )
        return data

    @property
    def active_count(self) -> int:
        """How many filters narrow the list (the sort order is not one), for the button
        that shows the filters on a phone."""
        if not self.is_bound or not self.is_valid():
            return 0
        narrowing = ("q", "category", "region", "min_condition", "claimable", "near_site")
        return sum(1 for name in narrowing if self.cleaned_data.get(name))

    @property
    def selected_site(self):
        return (getattr(self, "cleaned_data", None) or {}).get("near_site")

    def filter(self, queryset: QuerySet[Lot]) -> QuerySet[Lot]:
        """The queryset with every valid filter applied and ordered."""
        data = {}
        if self.is_bound:
            self.is_valid()
            data = self.cleaned_data  # with errors: the filters that are valid
        if data.get("q"):
            queryset = selectors.lot_filter_text(queryset, data["q"])
        if data.get("category"):
            queryset = selectors.lot_filter_category(queryset, data["category"])
        if data.get("region"):
            queryset = queryset.filter(region=data["region"])
        if data.get("min_condition"):
            queryset = selectors.lot_filter_min_condition(queryset, data["min_condition"])
        if data.get("claimable"):
            queryset = selectors.lot_filter_claimable(queryset, self.actor)
        site = data.get("near_site")
        if site is not None:
            radius = data.get("radius_km") or DEFAULT_RADIUS_KM
            queryset = selectors.lot_filter_near(queryset, selectors.site_origin(site), radius)
        ordering = data.get("ordering") or self.NEWEST
        if ordering == self.NEAREST and site is not None:
            return queryset.order_by("distance_km", "-id")
        if ordering == self.CLOSING_SOON:
            return queryset.order_by("available_until", "-id")
        return queryset.order_by("-published_at", "-id")


# --- Lot -------------------------------------------------------------------------


def parse_items(text: str) -> list[ItemInput]:
    """One device a line: a serial number, optionally ``;`` and an asset tag."""
    items = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        serial, _sep, tag = line.replace("\t", ";").partition(";")
        items.append(ItemInput(serial_number=serial.strip(), asset_tag=tag.strip()))
    return items


def format_items(lot: Lot) -> str:
    return "\n".join(
        f"{item.serial_number};{item.asset_tag}" if item.asset_tag else item.serial_number
        for item in lot.items.all()
    )


class LotForm(AllErrorsFormMixin, forms.Form):
    """A lot: each field parsed here, then every rule of ``lot_validate`` on what parsed,
    so that one answer shows every error."""

    title = forms.CharField(
        label=_("Title"),
        max_length=TITLE_MAX,
        help_text=_("What and how many, e.g. “Office chairs, black, adjustable”."),
    )
    category = CategoryChoiceField(label=_("Category"), empty_label=_("Choose a category"))
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=MAX_QUANTITY)
    condition = forms.ChoiceField(
        label=_("Condition"), choices=[("", _("Choose a condition")), *Condition.choices]
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Make, model, dimensions, colour, defects …"),
    )
    unit_weight_kg = forms.DecimalField(
        label=_("Unit weight (kg)"),
        required=False,
        max_digits=9,
        decimal_places=3,
        help_text=_("Leave empty to use the category's typical weight."),
    )
    unit_weight_measured = forms.BooleanField(
        label=_("The unit weight was measured on a scale"), required=False
    )
    width_cm = forms.IntegerField(
        label=_("Width (cm)"), required=False, min_value=1, max_value=DIMENSION_MAX_CM
    )
    depth_cm = forms.IntegerField(
        label=_("Depth (cm)"), required=False, min_value=1, max_value=DIMENSION_MAX_CM
    )
    height_cm = forms.IntegerField(
        label=_("Height (cm)"),
        required=False,
        min_value=1,
        max_value=DIMENSION_MAX_CM,
        help_text=_("Of one unit. Requests that ask for a maximum size find the lots that fit."),
    )
    site = SiteChoiceField(
        label=_("Pickup site"), queryset=None, empty_label=_("Choose one of your sites")
    )
    available_until = forms.DateField(label=_("Available until"), widget=DateInput())
    pickup_notes = forms.CharField(
        label=_("Pickup notes"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Loading dock, floor, lift, dismantling needed …"),
    )
    items = forms.CharField(
        label=_("Serial numbers and asset tags"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text=_(
            "One device per line: its serial number, optionally followed by ; "
            "and its inventory or asset tag. Changing the list clears the devices' erasure "
            "records."
        ),
    )
    federal_window_days = forms.IntegerField(
        label=_("Federal window (days)"), required=False, min_value=0
    )
    social_economy_window_days = forms.IntegerField(
        label=_("Social-economy window (days)"), required=False, min_value=0
    )
    window_reason = forms.CharField(
        label=_("Reason for shorter windows"),
        required=False,
        max_length=REASON_MAX,
        help_text=_("Needed when a window is shorter than usual."),
    )

    FIELDSETS = (
        (_("The lot"), ("title", "category", "quantity", "condition", "description")),
        (_("Weight"), ("unit_weight_kg", "unit_weight_measured")),
        (_("Size of one unit"), ("width_cm", "depth_cm", "height_cm")),
        (_("Pickup"), ("site", "available_until", "pickup_notes")),
        (_("Devices (optional)"), ("items",)),
        (
            _("Claim windows"),
            ("federal_window_days", "social_economy_window_days", "window_reason"),
        ),
    )

    def __init__(self, *args, actor: Membership, lot: Lot | None = None, **kwargs):
        if lot is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                **{name: getattr(lot, name) for name in LotInput.LOT_FIELDS},
                "items": format_items(lot),
            }
        super().__init__(*args, **kwargs)
        self.lot = lot
        self.actor = actor
        self.fields["site"].queryset = site_list(actor=actor)
        self.fields["available_until"].widget.attrs["max"] = date_ahead_limit().isoformat()
        for name, days in platform_window_days().items():
            self.fields[name].help_text = gettext(
                "Leave empty for the usual %(days)s days; a shorter window needs a reason."
            ) % {"days": days}

    def fieldsets(self):
        for legend, names in self.FIELDSETS:
            yield legend, [self[name] for name in names]

    def lot_input(self) -> LotInput:
        data = {name: self.cleaned_data.get(name) for name in LotInput.LOT_FIELDS}
        for name in ("description", "pickup_notes", "window_reason", "title", "condition"):
            data[name] = data[name] or ""
        data["unit_weight_measured"] = bool(data["unit_weight_measured"])
        items = parse_items(self.cleaned_data.get("items", ""))
        if self.lot is not None:
            listed = [(i.serial_number, i.asset_tag) for i in self.lot.items.all()]
            if listed == [(i.serial_number, i.asset_tag) for i in items]:
                items = None  # unchanged: keep the devices and their erasure records
        return LotInput(**data, items=items)

    def service_rules(self, data: dict, *, invalid: frozenset[str]) -> None:
        lot_validate(actor=self.actor, data=self.lot_input(), lot=self.lot)

    def add_service_error(self, exc: ApplicationError) -> None:
        """A refusal of lot_validate, lot_create or lot_update; a device's error names
        its line."""
        if not any(key.startswith("items.") for key in exc.errors):
            add_application_error(self, exc)
            return
        for key, messages in exc.errors.items():
            if key.startswith("items."):
                line = int(key.split(".")[1]) + 1
                messages = [
                    gettext("Line %(line)s: %(message)s") % {"line": line, "message": message}
                    for message in messages
                ]
                key = "items"
            for message in messages:
                self.add_error(key if key in self.fields else None, message)


class LotCloseForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("What became of the units nobody claimed"), choices=CloseOutcome.choices
    )


class LotStatusFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *LotStatus.choices]
    )


# --- Photos ----------------------------------------------------------------------


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"multiple": True, "accept": PHOTO_ACCEPT})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if not data:
            if self.required:
                raise forms.ValidationError(
                    self.error_messages["required"], code=CommonError.REQUIRED
                )
            return []
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)]


class PhotoUploadForm(forms.Form):
    images = MultipleImageField(
        label=_("Photos"),
        help_text=_("JPEG, PNG or WebP, at most 15 MB each. You may choose several at once."),
    )
    alt_text = forms.CharField(
        label=_("Description of the photos"),
        required=False,
        max_length=300,
        help_text=_(
            "What the photos show, for people who cannot see them, e.g. “Black office chair, "
            "seen from the front”."
        ),
    )


# --- Sanitisation ----------------------------------------------------------------


class AttestationForm(AllErrorsFormMixin, forms.Form):
    """A sanitisation attestation; every rule of ``sanitisation_attestation_validate``
    (a date not in the future, the certificate a clean PDF) on what parsed."""

    method = forms.ChoiceField(
        label=_("Method"),
        choices=[("", _("Choose a method")), *SanitisationMethod.choices],
        help_text=_("After NIST SP 800-88 Rev. 2 and IEEE 2883."),
    )
    performed_on = forms.DateField(label=_("Date of the sanitisation"), widget=DateInput())
    responsible_person = forms.CharField(label=_("Person responsible"), max_length=200)
    certificate = forms.FileField(
        label=_("Certificate (PDF)"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "application/pdf"}),
        help_text=_("Optional, at most 10 MB."),
    )

    def service_rules(self, data: dict, *, invalid: frozenset[str]) -> None:
        sanitisation_attestation_validate(
            method=data.get("method"),
            performed_on=data.get("performed_on"),
            responsible_person=data.get("responsible_person"),
            certificate=data.get("certificate"),
            invalid=invalid,
        )


class ErasureReportForm(forms.Form):
    report = forms.FileField(
        label=_("Erasure report (CSV)"),
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
        help_text=_(
            "As your erasure tool exports it: one row per device with its serial number or "
            "asset tag, method (clear, purge or destroy), tool, verification result, "
            "operator and date."
        ),
    )


# --- Import ----------------------------------------------------------------------


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Spreadsheet (CSV or XLSX)"),
        widget=forms.FileInput(
            attrs={
                "accept": ".csv,.xlsx,text/csv,"
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
        help_text=_("At most 1000 rows and 5 MB."),
    )


class KeptImportForm(forms.Form):
    """Import the file that passed its dry run, without choosing it again."""

    file_token = forms.CharField(max_length=64, widget=forms.HiddenInput)
