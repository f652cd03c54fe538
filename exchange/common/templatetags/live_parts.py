"""``{% live_poll url pace %}``: the htmx attributes of a part that waits for a job
(``exchange.common.live``), asking ``url`` again at the pace's interval."""

from django import template
from django.utils.html import format_html

from exchange.common.live import PACE_PARAMETER, LivePace

register = template.Library()


@register.simple_tag
def live_poll(url: str, pace: LivePace) -> str:
    joiner = "&" if "?" in url else "?"
    return format_html(
        ' hx-get="{}{}{}={}" hx-trigger="every {}s" hx-swap="outerHTML" aria-busy="true"',
        url,
        joiner,
        PACE_PARAMETER,
        pace.seconds,
        pace.seconds,
    )
