"""Punctuation as each language writes it: French puts a non-breaking space before a
colon (``%(label)s:`` is translated ``%(label)s :`` with U+00A0), the others none. Code
that joins a label to its value calls this instead of writing ``": "`` itself; templates
use the same message (``{% blocktranslate %}{{ label }}:{% endblocktranslate %}``)."""

from django.utils.translation import gettext


def labelled(label: str) -> str:
    """``label`` followed by its colon, in the active language."""
    return gettext("%(label)s:") % {"label": label}
