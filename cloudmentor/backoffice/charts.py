"""Charts of the staff home, drawn on the server as SVG (PV-6: no third-party script).

`chart()` lays out grouped bars and lines over the same buckets; the template
``backoffice/includes/chart.html`` turns the result into an ``<svg>``: colours come from the
stylesheet, each bar and point has a ``<title>`` (its value on hover), and the same numbers
are in the table under the chart, for screen readers and for copying.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

WIDTH = 640
HEIGHT = 220
LEFT = 72
RIGHT = 12
TOP = 12
BOTTOM = 30


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css_class: str
    title: str


@dataclass(frozen=True)
class Line:
    css_class: str
    points: str
    dots: list[tuple[float, float, str]]


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Series:
    css_class: str
    label: str
    values: Sequence[float]
    kind: str = "bar"  # or "line"


@dataclass
class Chart:
    title: str
    labels: list[str]
    series: list[Series]
    width: int = WIDTH
    height: int = HEIGHT
    bars: list[Bar] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    plot_top: int = TOP
    plot_bottom: int = HEIGHT - BOTTOM
    formatted: list[list[str]] = field(default_factory=list)  # per series, per bucket

    @property
    def rows(self) -> list[tuple[str, list[str]]]:
        """The numbers of the chart as table rows: (bucket label, one formatted value per series)."""
        return [(label, [values[index] for values in self.formatted]) for index, label in enumerate(self.labels)]


def nice_ceiling(value: float) -> float:
    """Return a round number (1, 2 or 5 times a power of ten) at least `value`."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return float(step * power)
    return 10.0 * power


def chart(
    *,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    value_format: Callable[[float], str] = lambda value: f"{value:,.0f}",
    tick_format: Callable[[float], str] | None = None,
) -> Chart:
    """Lay out `series` (grouped bars, then lines on top) over the buckets named by `labels`."""
    result = Chart(title=title, labels=list(labels), series=list(series))
    result.formatted = [[value_format(value) for value in one.values] for one in series]
    count = len(labels)
    if not count:
        return result
    step = nice_ceiling(max((float(v) for one in series for v in one.values), default=0) / 4)
    top = 4 * step
    plot_height = result.plot_bottom - result.plot_top
    slot = (result.plot_right - result.plot_left) / count

    def y_of(value: float) -> float:
        return round(result.plot_bottom - float(value) / top * plot_height, 1)

    bar_series = [one for one in series if one.kind == "bar"]
    bar_width = slot * 0.8 / max(len(bar_series), 1)
    for rank, one in enumerate(bar_series):
        for index, value in enumerate(one.values):
            y = y_of(value)
            result.bars.append(
                Bar(
                    x=round(result.plot_left + index * slot + slot * 0.1 + rank * bar_width, 1),
                    y=y,
                    width=round(max(bar_width, 0.5), 1),
                    height=round(result.plot_bottom - y, 1),
                    css_class=one.css_class,
                    title=f"{labels[index]} — {one.label} : {value_format(value)}",
                )
            )
    for one in series:
        if one.kind != "line":
            continue
        dots = [
            (
                round(result.plot_left + index * slot + slot / 2, 1),
                y_of(value),
                f"{labels[index]} — {one.label} : {value_format(value)}",
            )
            for index, value in enumerate(one.values)
        ]
        points = " ".join(f"{x},{y}" for x, y, _title in dots)
        result.lines.append(Line(css_class=one.css_class, points=points, dots=dots))
    tick_format = tick_format or value_format
    result.y_ticks = [Tick(position=y_of(step * rank), label=tick_format(step * rank)) for rank in range(5)]
    result.x_ticks = [
        Tick(position=round(result.plot_left + index * slot + slot / 2, 1), label=label)
        for index, label in enumerate(labels)
    ]
    return result
