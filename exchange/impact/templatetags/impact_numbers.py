"""The statistics pages write their figures by the one rule
(``exchange.impact.presenters.numbers``), in the page's language:
``{{ row.weight_kg|figure }}`` (a whole number), ``{{ row.diversion_percent|percent }}``."""

from django import template
from django.utils import translation

from exchange.impact.presenters.numbers import written_figure

register = template.Library()


@register.filter
def figure(value) -> str:
    """Items, kilograms or euros: rounded to a whole number, grouped by thousands."""
    return written_figure(value, "count", translation.get_language())


@register.filter
def percent(value) -> str:
    """A percentage (91.2, not 0.912): one decimal and the sign."""
    return written_figure(value, "percent", translation.get_language())
