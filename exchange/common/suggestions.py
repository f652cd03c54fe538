"""What a person probably meant: the known values closest to what they typed ("chaise"
→ the categories whose name holds "Chaise"), for messages about unknown values."""

import unicodedata
from collections.abc import Iterable, Mapping
from difflib import SequenceMatcher

CUTOFF = 0.75  # similarity (0–1) below which a value is no suggestion
MIN_WORD = 3  # shorter words of a label are not compared on their own


def _plain(text: str) -> str:
    """Lower case without accents, separators as spaces: "Chaise_de-Bureau" → "chaise de
    bureau"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(letters.replace("-", " ").replace("_", " ").replace(".", " ").split())


def close_matches(
    value: str, candidates: Mapping[str, Iterable[str]], *, limit: int = 3
) -> list[str]:
    """The keys of ``candidates`` (key → its labels: the key itself, its names in each
    language, ...) whose best label, or a word of it, is most like ``value``, best first,
    at most ``limit``."""
    typed = _plain(value)
    if not typed:
        return []
    scored = []
    for key, labels in candidates.items():
        best = 0.0
        for label in labels:
            plain = _plain(label)
            for option in (plain, *plain.split()):
                if len(option) >= MIN_WORD or option == plain:
                    best = max(best, SequenceMatcher(None, typed, option).ratio())
        if best >= CUTOFF:
            scored.append((-best, key))
    scored.sort()
    return [key for _score, key in scored[:limit]]
