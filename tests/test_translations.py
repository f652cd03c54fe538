"""Every page works in NL, FR, DE and EN: each catalogue translates every message."""

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

LOCALE = Path(__file__).resolve().parent.parent / "locale"


@pytest.mark.parametrize("language", ["nl", "fr", "de"])
def test_every_message_is_translated(language):
    with open(LOCALE / language / "LC_MESSAGES" / "django.po", "rb") as handle:
        catalogue = read_po(handle, locale=language)

    untranslated = [
        message.id
        for message in catalogue
        if message.id
        and (
            message.fuzzy
            or not (all(message.string) if isinstance(message.string, tuple) else message.string)
        )
    ]

    assert untranslated == []
