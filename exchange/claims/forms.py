"""The forms of the claim pages: they parse what people type and hand it to the claims
services; every rule on a claim (how much is left, who may act, when) lives there."""

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from exchange.claims.models import MESSAGE_MAX_LENGTH, ClaimStatus
from exchange.claims.services import approved_quantity, claim_collect_validate, claim_validate
from exchange.common.forms import AllErrorsFormMixin
from exchange.common.limits import NOTE_MAX
from exchange.lots.models import MAX_QUANTITY, Lot
from exchange.organisations.validators import PHONE_MAX_LENGTH

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class ClaimForm(AllErrorsFormMixin, forms.Form):
    """A claim's quantity and note; every rule of ``claim_validate`` on what parsed."""

    quantity = forms.IntegerField(
        label=_("Quantity"),
        min_value=1,
        max_value=MAX_QUANTITY,
        help_text=_("How many units your organisation takes."),
    )
    note = forms.CharField(
        label=_("Note for the owner"),
        required=False,
        max_length=NOTE_MAX,
        help_text=_("Optional: what you need it for, who comes to pick it up."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, lot: Lot, **kwargs):
        super().__init__(*args, **kwargs)
        available = lot.quantity_available
        if available > 0:
            self.fields["quantity"].widget.attrs["max"] = available
            self.fields["quantity"].help_text = _(
                "How many units your organisation takes (at most %(available)s)."
            ) % {"available": available}

    def service_rules(self, data: dict, *, invalid: frozenset[str]) -> None:
        claim_validate(quantity=data.get("quantity"), note=data.get("note") or "", invalid=invalid)


class DeclineForm(forms.Form):
    # Not required here: the service refuses an empty reason with its own message; the
    # browser asks for one first.
    reason = forms.CharField(
        label=_("Reason for declining"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.TextInput(attrs={"required": True}),
    )


class ScheduleForm(forms.Form):
    pickup_at = forms.DateTimeField(
        label=_("Pickup slot"),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        help_text=_("Date and time (Brussels time) when the goods are picked up."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )


class CollectForm(AllErrorsFormMixin, forms.Form):
    """A handover; every rule of ``claim_collect_validate`` on what parsed (the approved
    quantity when the claim is given)."""

    quantity = forms.IntegerField(
        label=_("Collected quantity"),
        min_value=1,
        max_value=MAX_QUANTITY,
        help_text=_("At most the approved quantity; the rest goes back to the lot."),
    )
    weight_kg = forms.DecimalField(
        label=_("Measured total weight (kg)"),
        required=False,
        max_digits=10,
        decimal_places=3,
        help_text=_("Optional: all collected units together, if they were weighed."),
        widget=forms.NumberInput(attrs={"step": "0.001", "min": "0.001"}),
    )
    # Shown while the agreed pickup slot is still to come: the service asks for it.
    before_slot_confirmed = forms.BooleanField(
        label=_("The handover took place before the agreed pickup slot"),
        required=False,
    )

    def __init__(self, *args, claim=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.claim = claim

    def service_rules(self, data: dict, *, invalid: frozenset[str]) -> None:
        claim_collect_validate(
            quantity=data.get("quantity"),
            weight_kg=data.get("weight_kg"),
            approved=approved_quantity(self.claim),
            invalid=invalid,
        )


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        max_length=MESSAGE_MAX_LENGTH,
        help_text=_("The other side's members read it here and by e-mail."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class SlotProposeForm(forms.Form):
    starts_at = forms.DateTimeField(
        label=_("Proposed pickup slot"),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        help_text=_(
            "Date and time (Brussels time); the other side accepts it or proposes another."
        ),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Your phone number"),
        required=False,
        max_length=PHONE_MAX_LENGTH,
        help_text=_("Shown to the other side of your approved claims when you are the contact."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )


class LotChoiceField(forms.ModelChoiceField):
    """A lot by its title and publication date: an organisation often posts several lots
    with the same title."""

    def label_from_instance(self, lot: Lot) -> str:
        when = lot.published_at or lot.created_at
        return _("%(title)s, published on %(date)s") % {
            "title": lot.title,
            "date": formats.date_format(timezone.localtime(when), "SHORT_DATE_FORMAT"),
        }


class InboxFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Every status")), *ClaimStatus.choices],
    )
    lot = LotChoiceField(
        label=_("Lot"), required=False, queryset=Lot.objects.none(), empty_label=_("Every lot")
    )

    def __init__(self, *args, lots=None, **kwargs):
        super().__init__(*args, **kwargs)
        if lots is not None:
            self.fields["lot"].queryset = lots


class MyClaimsFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Every status")), *ClaimStatus.choices],
    )
