"""E-mail and the texts people read outside a page, in one place:

- ``text_render``: a template rendered as plain text. Nothing is HTML-escaped here (an
  e-mail and a notification's body are not HTML); a page that shows the text escapes it
  once, where it becomes HTML (``{{ notification.body|linebreaksbr }}``).
- ``mail_subject``: one line, never empty, at most 200 characters: a newline in a lot's
  title cannot break the header (``BadHeaderError``) and lose the mail.
- ``public_url``: the platform's address for links in e-mails (``EXCHANGE_PUBLIC_URL``).
- ``mail_send``/``mail_send_translated``: every e-mail goes through them.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.template import Context
from django.template.loader import get_template
from django.utils import translation

SUBJECT_MAX = 200


def text_render(template: str, context: dict) -> str:
    """Render ``template`` as plain text: no HTML escaping (``'`` stays ``'``, ``<`` stays
    ``<``)."""
    return get_template(template).template.render(Context(context, autoescape=False))


def mail_subject(text: str) -> str:
    """``text`` as a header can hold it: every run of whitespace (newlines, tabs, carriage
    returns, other control characters) one space, at most ``SUBJECT_MAX`` characters."""
    cleaned = "".join(" " if ch.isspace() or ord(ch) < 32 or ord(ch) == 127 else ch for ch in text)
    cleaned = " ".join(cleaned.split())
    if len(cleaned) > SUBJECT_MAX:
        cleaned = cleaned[: SUBJECT_MAX - 1].rstrip() + "…"
    return cleaned or "Reuse Exchange"


def public_url(path: str = "") -> str:
    """An absolute link for an e-mail: ``EXCHANGE_PUBLIC_URL`` followed by ``path``."""
    return f"{settings.EXCHANGE_PUBLIC_URL}{path}"


def mail_send(*, subject: str, body: str, to: str) -> None:
    """Send one plain-text e-mail; the subject is made a safe header first."""
    send_mail(
        subject=mail_subject(subject),
        message=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[to],
        fail_silently=False,
    )


def mail_send_translated(
    *, user, subject: str, template: str, context: dict, subject_params: dict | None = None
) -> None:
    """Render ``template`` and the (gettext-marked, untranslated) subject in the user's language.

    Pass ``subject`` through ``gettext_noop``-style marking at the call site; it is
    translated here, under the recipient's language.
    """
    with translation.override(user.language or settings.LANGUAGE_CODE):
        text = text_render(template, {**context, "user": user})
        translated_subject = translation.gettext(subject) % (subject_params or {})
    mail_send(subject=translated_subject, body=text, to=user.email)
