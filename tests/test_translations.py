"""Every page works in NL, FR, DE and EN: each catalogue translates every message."""

import re
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


# Informal address: Dutch je/jij/jouw, German du/dein, French tu/ton.
INFORMAL = {
    "nl": re.compile(r"\b(je|jij|jou|jouw|jezelf)\b", re.IGNORECASE),
    "de": re.compile(r"\b(du|dich|dir|dein|deine|deinen|deinem|deiner|deines)\b", re.IGNORECASE),
    "fr": re.compile(r"\b(tu|toi|ton|tes)\b|\bt['’]", re.IGNORECASE),
}


@pytest.mark.parametrize("language", ["nl", "fr", "de"])
def test_the_sign_in_pages_and_emails_address_people_formally(language):
    """django-allauth's messages as the platform shows them (its catalogue under ours and
    locale/allauth/): none says je, du or tu."""
    import allauth
    from django.utils import translation

    with open(
        Path(allauth.__file__).parent / "locale" / language / "LC_MESSAGES" / "django.po", "rb"
    ) as handle:
        catalogue = read_po(handle, locale=language)
    informal = []
    with translation.override(language):
        for message in catalogue:
            if not message.id:
                continue
            if isinstance(message.id, tuple):
                shown = [translation.ngettext(message.id[0], message.id[1], n) for n in (1, 2)]
            elif message.context:
                shown = [translation.pgettext(message.context, message.id)]
            else:
                shown = [translation.gettext(message.id)]
            informal += [text for text in shown if INFORMAL[language].search(text)]
    assert informal == []


@pytest.mark.parametrize("language", ["nl", "fr", "de"])
def test_our_catalogue_addresses_people_formally(language):
    with open(LOCALE / language / "LC_MESSAGES" / "django.po", "rb") as handle:
        catalogue = read_po(handle, locale=language)
    strings = [
        text
        for message in catalogue
        if message.id
        for text in (message.string if isinstance(message.string, tuple) else [message.string])
    ]
    assert [text for text in strings if INFORMAL[language].search(text)] == []


# French typography: a non-breaking space (U+00A0, or the narrow U+202F) before a colon,
# semicolon, question or exclamation mark that ends a word; never a plain space, never
# none (times such as 14:00, links and code are not words ending in these marks).
FRENCH_MARK_AFTER_WORD = re.compile(r"(?<=[^\W\d_])[:;?!](?=[\s\"”»<]|$)")
FRENCH_MARK_AFTER_PLAIN_SPACE = re.compile(r" [:;?!](?=[\s\"”»<]|$)")


def test_french_puts_a_non_breaking_space_before_high_punctuation():
    with open(LOCALE / "fr" / "LC_MESSAGES" / "django.po", "rb") as handle:
        catalogue = read_po(handle, locale="fr")
    wrong = [
        text
        for message in catalogue
        if message.id
        for text in (message.string if isinstance(message.string, tuple) else (message.string,))
        if FRENCH_MARK_AFTER_WORD.search(text) or FRENCH_MARK_AFTER_PLAIN_SPACE.search(text)
    ]

    assert wrong == []


TEMPLATES = LOCALE.parent / "templates"


def test_no_template_puts_punctuation_after_a_translated_word():
    """A colon written after ``{% translate %}`` in a template is the same in every
    language: French needs its space before it. The colon belongs in the message."""
    glued = [
        f"{path.relative_to(TEMPLATES)}: {line.strip()}"
        for path in TEMPLATES.rglob("*.*")
        for line in path.read_text(encoding="utf-8").splitlines()
        if re.search(r"(\{% translate [\"'][^\"']*[\"'] %\}|endblocktranslate %\})\s?[:;?!]", line)
    ]

    assert glued == []
