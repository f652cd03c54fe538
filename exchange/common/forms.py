from django import forms

from exchange.common.errors import ApplicationError


def add_application_error(form: forms.Form, exc: ApplicationError) -> None:
    """Show a service's refusal on the form, by field where it names one."""
    if not exc.errors:
        form.add_error(None, str(exc.message))
        return
    for field, messages in exc.errors.items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, message)
