"""The text a lot is found by: title, description and category names in four languages,
lower-cased and without accents so that "ecran" finds "Écran"."""

import re
import unicodedata

from exchange.categories.models import Category

# The PostgreSQL text-search configuration of the lots' vectors and of the queries
# against them: no stemming, no stop words (the document is already normalised text).
SEARCH_CONFIG = "simple"


def normalise_text(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text or "")
    # The combining marks (accents) among the text's distinct characters, removed in
    # one pass: a test per character would cost more than the rest together.
    marks = {ord(ch): None for ch in set(decomposed) if unicodedata.combining(ch)}
    without_accents = decomposed.translate(marks) if marks else decomposed
    return re.sub(r"\s+", " ", without_accents.lower()).strip()


def search_terms(query: str) -> list[str]:
    """Words of a free-text query (letters and digits only), at most 8."""
    return re.findall(r"\w+", normalise_text(query))[:8]


def category_names_with_ancestors(category: Category) -> list[str]:
    names: list[str] = []
    node = category
    while node is not None:
        names.extend(node.names().values())
        node = node.parent
    return names


def lot_search_document(*, title: str, description: str, category: Category) -> str:
    return normalise_text(" ".join([title, description, *category_names_with_ancestors(category)]))
