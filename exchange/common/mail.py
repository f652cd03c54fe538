"""E-mail to a person in their own language."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation


def mail_send_translated(
    *, user, subject: str, template: str, context: dict, subject_params: dict | None = None
) -> None:
    """Render ``template`` and the (gettext-marked, untranslated) subject in the user's language.

    Pass ``subject`` through ``gettext_noop``-style marking at the call site; it is
    translated here, under the recipient's language.
    """
    with translation.override(user.language or settings.LANGUAGE_CODE):
        text = render_to_string(template, {**context, "user": user})
        translated_subject = translation.gettext(subject) % (subject_params or {})
    send_mail(
        subject=translated_subject,
        message=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[user.email],
        fail_silently=False,
    )
