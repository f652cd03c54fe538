"""The one rule for the numbers people read: how a figure is rounded, and how it is
written in each language. The dashboard, the PDF, the XLSX and the CSV all go through
it; the API and the open data keep full precision.

Rounding (half up, once, from the statistics' sums):

- items: whole items;
- weights and CO2e: whole kilograms;
- euros: whole euros;
- diversion rate: one decimal of a percent, from the reused and the recorded weight
  (not from a rate rounded before).

Writing: NL and DE group thousands with a dot and use a decimal comma (``29.052 kg``,
``91,2 %``); FR groups with a no-break space and uses a decimal comma (``29 052 kg``,
``91,2 %``); EN groups with a comma and uses a decimal point (``29,052 kg``, ``91.2%``).
A unit or a percent sign is joined to its number by a no-break space, so that a line
never breaks between them.
"""

from decimal import ROUND_HALF_UP, Decimal

NBSP = "\u00a0"
# (thousands, decimal, before a percent sign)
STYLES = {
    "nl": (".", ",", NBSP),
    "de": (".", ",", NBSP),
    "fr": (NBSP, ",", NBSP),
    "en": (",", ".", ""),
}
MEASURES = {
    "items": "count",
    "weight_kg": "kg",
    "reused_weight_kg": "kg",
    "co2e_avoided_kg": "kg",
    "replacement_value_eur": "eur",
    "diversion_rate": "percent",
}
ONE_DECIMAL = Decimal("0.1")


def _decimal(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def rounded_whole(value) -> int | None:
    """Items, kilograms and euros: a whole number, half up (None stays None)."""
    if value is None:
        return None
    return int(_decimal(value).quantize(Decimal(1), ROUND_HALF_UP))


def rounded_percent(reused, weight) -> Decimal | None:
    """The diversion rate in percent, one decimal, half up, from the reused and the
    recorded weight; None without weight."""
    weight = _decimal(weight or 0)
    if not weight:
        return None
    return (_decimal(reused or 0) * 100 / weight).quantize(ONE_DECIMAL, ROUND_HALF_UP)


def rounded_row(row: dict) -> dict:
    """A statistics row (``items``, ``weight_kg``, ``reused_weight_kg``,
    ``co2e_avoided_kg``, ``replacement_value_eur``) as documents give it: every measure
    rounded by the rule, the diversion rate as ``diversion_percent``."""
    result = {
        name: rounded_whole(row.get(name))
        for name, measure in MEASURES.items()
        if measure != "percent" and name in row
    }
    result["diversion_percent"] = (
        rounded_percent(row.get("reused_weight_kg"), row.get("weight_kg"))
        if "reused_weight_kg" in row
        else (
            None
            if row.get("diversion_rate") is None
            else (_decimal(row["diversion_rate"]) * 100).quantize(ONE_DECIMAL, ROUND_HALF_UP)
        )
    )
    return result


def _style(language: str) -> tuple[str, str, str]:
    return STYLES.get((language or "en")[:2], STYLES["en"])


def written_number(value, language: str, *, decimals: int = 0) -> str:
    """``value`` (already rounded) written in ``language``: thousands grouped, the
    decimal sign of the language, ``decimals`` places; a dash for None."""
    if value is None:
        return "–"
    thousands, decimal_sign, _space = _style(language)
    if not decimals and type(value) is int:  # a rounded figure (most): the same digits
        text = f"{abs(value):,}".replace(",", thousands)
        return "-" + text if value < 0 else text
    number = _decimal(value).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    sign = "-" if number < 0 else ""
    whole, _dot, fraction = f"{abs(number):f}".partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    text = thousands.join(groups)
    if decimals:
        text += decimal_sign + fraction
    return sign + text


def written_figure(value, measure: str, language: str, *, unit: bool = True) -> str:
    """A figure of ``measure`` (count, kg, eur, percent; or a column name such as
    ``weight_kg``) rounded by the rule and written in ``language``, with its unit
    (``29.052 kg``, ``1.120 EUR``, ``91,2 %``) unless ``unit`` is False. A percent is
    given in percent (91.2, not 0.912)."""
    measure = MEASURES.get(measure, measure)
    if value is None:
        return "–"
    _thousands, _decimal_sign, before_percent = _style(language)
    if measure == "percent":
        text = written_number(
            _decimal(value).quantize(ONE_DECIMAL, ROUND_HALF_UP), language, decimals=1
        )
        return f"{text}{before_percent}%" if unit else text
    text = written_number(rounded_whole(value), language)
    if not unit or measure == "count":
        return text
    return f"{text}{NBSP}{'kg' if measure == 'kg' else 'EUR'}"


def written_change(current, previous, language: str) -> str | None:
    """The change from ``previous`` to ``current`` in percent, one decimal, with its
    sign (``+12,5 %``); None where there is nothing to compare with."""
    if previous is None or current is None:
        return None
    previous, current = _decimal(previous), _decimal(current)
    if not previous:
        return None
    change = ((current - previous) * 100 / abs(previous)).quantize(ONE_DECIMAL, ROUND_HALF_UP)
    sign = "+" if change > 0 else ""
    return sign + written_figure(change, "percent", language)
