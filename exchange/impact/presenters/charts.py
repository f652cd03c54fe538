"""Charts drawn on the server as inline SVG: no JavaScript, no third-party script.

Each chart is an ``<svg role="img">`` named by its ``<title>`` and described by its
``<desc>``; the page puts a data table with the same numbers beside it, which is what
screen readers and keyboard users read. Values are formatted in the active language.
"""

import datetime
import math
from dataclasses import dataclass
from decimal import Decimal

from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from exchange.common.punctuation import labelled
from exchange.impact.presenters.numbers import written_number

BAR = "#0b6b4f"
LINE = "#1d3f8a"
GRID = "#d0d7de"
AXIS = "#6e7781"


@dataclass(frozen=True)
class ChartPoint:
    label: str  # the group or the month, as people read it
    value: float | None  # None: nothing to show (a month without records)
    display: str = ""  # the value as people read it, in their language
    colour: str = BAR
    tick: str = ""  # a short axis label (months), else ``label``
    tick_note: str = ""  # a second axis line under the tick (the year)


def number(value, decimals: int = 0) -> str:
    """A number in the reader's language, grouped by thousands (the one rule's way of
    writing, ``exchange.impact.presenters.numbers``)."""
    return written_number(value, translation.get_language(), decimals=decimals)


def number_trimmed(value) -> str:
    """A factor as written in its source: no trailing zeros (11.900 is 11.9)."""
    if value is None:
        return "–"
    value = Decimal(str(value)).normalize()
    return number(value, max(0, -value.as_tuple().exponent))


# A label of a horizontal bar chart wraps after about this many characters: at the
# chart's 720 units and its font, a line never runs past the right edge.
LABEL_CHARACTERS = 64


def wrap_label(label: str, width: int) -> list[str]:
    """``label`` on lines of at most ``width`` characters, broken between words (a
    longer word on a line of its own, whole)."""
    lines: list[str] = []
    for word in label.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def nice_step(maximum: float, ticks: int = 4) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) that covers ``maximum`` in
    about ``ticks`` steps."""
    if maximum <= 0:
        return 1.0
    raw = maximum / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def months_between(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """The first day of every month from ``first``'s month to ``last``'s, inclusive."""
    months, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(datetime.date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _svg_open(chart_id: str, width: int, height: int, title: str, desc: str) -> list[str]:
    return [
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title" aria-describedby="{escape(chart_id)}-desc" '
        f'preserveAspectRatio="xMinYMin meet" focusable="false">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>',
    ]


def _label_step(count: int, slot: float, widest: float) -> int:
    """Label every n-th column so that the labels do not overlap."""
    return max(1, math.ceil(widest / max(slot, 1)))


def _year_note(x: float, axis_y: float, text: str, index: int) -> str:
    """The year under its first month, from the month's left edge; a mark where a new
    year starts."""
    mark = (
        f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{axis_y}" y2="{axis_y + 40}" stroke="{AXIS}" '
        f'stroke-width="1"/>'
        if index
        else ""
    )
    return f'{mark}<text class="chart-note" x="{x + 3:.1f}" y="{axis_y + 34}">{escape(text)}</text>'


def column_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    points: list[ChartPoint],
    axis_decimals: int = 0,
    width: int = 960,
    height: int = 300,
) -> SafeString:
    """Vertical bars, one per point (months), with a value axis and gridlines."""
    left, right, top, bottom = 70, 12, 14, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    maximum = max((p.value or 0 for p in points), default=0)
    step = nice_step(maximum)
    axis_max = step * max(1, math.ceil(maximum / step)) if maximum else step * 4
    out = _svg_open(chart_id, width, height, title, desc)
    out.append('<g class="chart-grid" aria-hidden="true">')
    tick = 0.0
    while tick <= axis_max + step / 1000:
        y = top + plot_h - plot_h * tick / axis_max
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(number(tick, axis_decimals))}</text>"
        )
        tick += step
    out.append("</g>")
    slot = plot_w / max(len(points), 1)
    bar_w = max(2.0, slot * 0.7)
    every = _label_step(len(points), slot, 34)
    out.append('<g class="chart-bars">')
    for index, point in enumerate(points):
        x = left + slot * index + (slot - bar_w) / 2
        if point.value:
            bar_h = plot_h * point.value / axis_max
            out.append(
                f'<rect x="{x:.1f}" y="{top + plot_h - bar_h:.1f}" width="{bar_w:.1f}" '
                f'height="{bar_h:.1f}" fill="{point.colour}">'
                f"<title>{escape(labelled(point.label))} {escape(point.display)}</title></rect>"
            )
        centre = left + slot * index + slot / 2
        if index % every == 0:
            out.append(
                f'<text x="{centre:.1f}" y="{top + plot_h + 16}" text-anchor="middle">'
                f"{escape(point.tick or point.label)}</text>"
            )
        if point.tick_note:
            out.append(_year_note(left + slot * index, top + plot_h, point.tick_note, index))
    out.append("</g>")
    out.append(
        f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" '
        f'stroke="{AXIS}" stroke-width="1.5" aria-hidden="true"/>'
    )
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - every text above is escaped


def bar_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    points: list[ChartPoint],
    width: int = 720,
) -> SafeString:
    """Horizontal bars, one row per group: the label above its bar, wrapped on as many
    lines as it needs (never cut), the value after the bar."""
    left, right, top, row, line = 8, 16, 8, 46, 17
    labels = [wrap_label(point.label, LABEL_CHARACTERS) for point in points]
    height = top + sum(row + line * (len(lines) - 1) for lines in labels) + 4
    maximum = max((p.value or 0 for p in points), default=0) or 1
    value_room = 110  # for the value written after the longest bar
    plot_w = width - left - right - value_room
    out = _svg_open(chart_id, width, height, title, desc)
    y = top
    for point, lines in zip(points, labels, strict=True):
        bar_w = plot_w * (point.value or 0) / maximum
        text = "".join(
            f'<tspan x="{left}" dy="{0 if index == 0 else line}">{escape(part)}</tspan>'
            for index, part in enumerate(lines)
        )
        shift = line * (len(lines) - 1)
        out.append(
            f'<text class="chart-label" x="{left}" y="{y + 14}">{text}</text>'
            f'<rect x="{left}" y="{y + shift + 20}" width="{max(bar_w, 1.5):.1f}" height="18" '
            f'fill="{point.colour}"><title>{escape(labelled(point.label))} '
            f"{escape(point.display)}</title>"
            f"</rect>"
            f'<text class="chart-value" x="{left + bar_w + 6:.1f}" y="{y + shift + 34}">'
            f"{escape(point.display)}</text>"
        )
        y += row + shift
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - every text above is escaped


def line_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    points: list[ChartPoint],
    maximum: float = 100.0,
    axis_suffix: str = "%",
    width: int = 960,
    height: int = 280,
) -> SafeString:
    """A line over the points (months) on a fixed scale from 0 to ``maximum``; a point
    without a value breaks the line."""
    left, right, top, bottom = 70, 12, 14, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    out = _svg_open(chart_id, width, height, title, desc)
    out.append('<g class="chart-grid" aria-hidden="true">')
    for fraction in (0, 0.25, 0.5, 0.75, 1):
        y = top + plot_h - plot_h * fraction
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(number(maximum * fraction))}{escape(axis_suffix)}</text>"
        )
    out.append("</g>")
    slot = plot_w / max(len(points), 1)
    every = _label_step(len(points), slot, 34)
    segments: list[list[tuple[float, float]]] = [[]]
    dots = []
    for index, point in enumerate(points):
        centre = left + slot * index + slot / 2
        if point.value is None:
            if segments[-1]:
                segments.append([])
        else:
            y = top + plot_h - plot_h * min(point.value, maximum) / maximum
            segments[-1].append((centre, y))
            dots.append(
                f'<circle cx="{centre:.1f}" cy="{y:.1f}" r="4" fill="{LINE}">'
                f"<title>{escape(labelled(point.label))} {escape(point.display)}</title></circle>"
            )
        if index % every == 0:
            out.append(
                f'<text x="{centre:.1f}" y="{top + plot_h + 16}" text-anchor="middle">'
                f"{escape(point.tick or point.label)}</text>"
            )
        if point.tick_note:
            out.append(_year_note(left + slot * index, top + plot_h, point.tick_note, index))
    for segment in segments:
        if len(segment) > 1:
            coordinates = " ".join(f"{x:.1f},{y:.1f}" for x, y in segment)
            out.append(
                f'<polyline points="{coordinates}" fill="none" stroke="{LINE}" '
                f'stroke-width="2.5" stroke-linejoin="round"/>'
            )
    out.extend(dots)
    out.append(
        f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" '
        f'stroke="{AXIS}" stroke-width="1.5" aria-hidden="true"/>'
    )
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - every text above is escaped
