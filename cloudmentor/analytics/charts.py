"""Charts drawn by the platform itself: geometry for server-rendered SVG (PV-6: no third party).

The template ``analytics/includes/chart.html`` turns a :class:`Chart` into an ``<svg>``
element; colours come from the stylesheet, every bar and point carries a ``<title>``
(the value, shown on hover), and the same numbers are in the tables and CSV exports.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext as _

WIDTH = 960
HEIGHT = 260
LEFT = 64
RIGHT = 16
TOP = 16
BOTTOM = 36
MAX_X_LABELS = 12


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    title: str


@dataclass(frozen=True)
class Line:
    css_class: str
    label: str
    points: str
    dots: list[tuple[float, float, str]]


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass
class Chart:
    title: str
    width: int = WIDTH
    height: int = HEIGHT
    bars: list[Bar] = field(default_factory=list)
    bar_class: str = ""
    bar_label: str = ""
    lines: list[Line] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    plot_top: int = TOP
    plot_bottom: int = HEIGHT - BOTTOM

    @property
    def is_empty(self) -> bool:
        return not self.bars and not self.lines


def _point_title(when: str, what: str, value: str) -> str:
    return _("%(when)s — %(what)s : %(value)s") % {"when": when, "what": what, "value": value}


def nice_ceiling(value: float) -> float:
    """Return a round number (1, 2 or 5 times a power of ten) at least `value`."""
    if value <= 0:
        return 1
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return float(step * power)
    return 10.0 * power  # never reached: the loop always returns


def time_chart(
    *,
    title: str,
    buckets: Sequence[datetime],
    bar_label_format: Callable[[datetime], str],
    tick_format: Callable[[datetime], str],
    bars: tuple[str, str, Sequence[float]] | None = None,
    lines: Sequence[tuple[str, str, Sequence[float]]] = (),
    value_format: Callable[[float], str] = lambda value: f"{value:,.0f}",
) -> Chart:
    """Lay out a time series: optional bars (class, label, values) and lines over the same buckets."""
    chart = Chart(title=title)
    count = len(buckets)
    if not count:
        return chart
    values = [v for _, _, series in ([bars] if bars else []) + list(lines) for v in series]
    step = nice_ceiling(max(values, default=0) / 4)  # four round steps up the axis
    top = 4 * step
    plot_width = chart.plot_right - chart.plot_left
    plot_height = chart.plot_bottom - chart.plot_top
    slot = plot_width / count

    def y_of(value: float) -> float:
        return round(chart.plot_bottom - value / top * plot_height, 1)

    if bars:
        chart.bar_class, chart.bar_label, series = bars
        for index, (bucket, value) in enumerate(zip(buckets, series, strict=True)):
            y = y_of(value)
            chart.bars.append(
                Bar(
                    x=round(chart.plot_left + index * slot + slot * 0.1, 1),
                    y=y,
                    width=round(max(slot * 0.8, 0.5), 1),
                    height=round(chart.plot_bottom - y, 1),
                    title=_point_title(bar_label_format(bucket), chart.bar_label, value_format(value)),
                )
            )
    for css_class, label, series in lines:
        points = []
        dots = []
        for index, (bucket, value) in enumerate(zip(buckets, series, strict=True)):
            x = round(chart.plot_left + (index + 0.5) * slot, 1)
            y = y_of(value)
            points.append(f"{x},{y}")
            dots.append((x, y, _point_title(bar_label_format(bucket), label, value_format(value))))
        chart.lines.append(Line(css_class=css_class, label=label, points=" ".join(points), dots=dots))
    chart.y_ticks = [Tick(position=y_of(step * index), label=value_format(step * index)) for index in range(5)]
    every = max(1, math.ceil(count / MAX_X_LABELS))
    chart.x_ticks = [
        Tick(position=round(chart.plot_left + (index + 0.5) * slot, 1), label=tick_format(bucket))
        for index, bucket in enumerate(buckets)
        if index % every == 0
    ]
    return chart
