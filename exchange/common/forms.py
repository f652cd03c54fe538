"""What every form of the pages shares: a service's refusal shown on the form, and
every error in one answer."""

from django import forms

from exchange.common.errors import ApplicationError


class DateInput(forms.DateInput):
    """A browser's date picker. Its value is always ISO 8601 (``2026-12-14``), whatever
    the reader's language: an ``<input type="date">`` shows nothing for a localised
    value such as ``14-12-2026``, so an edit form would come back with its date empty."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def add_application_error(form: forms.Form, exc: ApplicationError) -> None:
    """Show a service's refusal on the form, by field where it names one."""
    if not exc.errors:
        form.add_error(None, str(exc.message))
        return
    for field, messages in exc.errors.items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, message)


class AllErrorsFormMixin:
    """A form that answers every error at once: each field is parsed (Django's own
    per-field cleaning collects them all), then the service's rules (the one module
    that holds them, e.g. ``lot_validate``) run on what parsed, and every rule they
    find broken is added, except on a field that already failed to parse (its parse
    error says it). A subclass says how to ask its service in ``service_rules``."""

    def service_rules(self, data: dict, *, invalid: frozenset[str]) -> None:
        """Run the service's validator on ``data`` (the fields that parsed; ``invalid``
        names those that did not); it raises ApplicationError with every broken rule."""
        raise NotImplementedError

    def add_service_error(self, exc: ApplicationError) -> None:
        add_application_error(self, exc)

    def clean(self):
        data = super().clean()
        invalid = frozenset(self.errors)
        try:
            self.service_rules(data, invalid=invalid)
        except ApplicationError as exc:
            if not exc.errors:
                self.add_service_error(exc)
                return data
            exc.errors = {
                field: messages
                for field, messages in exc.errors.items()
                if field.split(".", 1)[0] not in invalid
            }
            if exc.errors:
                self.add_service_error(exc)
        return data
