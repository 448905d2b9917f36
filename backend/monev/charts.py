"""Charts drawn on the server as SVG: the figures' geometry is computed
here and templates/monev/_charts.html draws it. No script and no library:
the pages render the same offline, under the console's strict CSP, and in
the printed report."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import List, Mapping, Sequence, Tuple

from babel.dates import format_date

WIDTH = 520.0  # about the width a chart gets on the page: text stays readable
PLOT_LEFT = 44.0  # room for the y axis' numbers
PLOT_TOP = 12.0
PLOT_HEIGHT = 180.0
BAR_HEIGHT = 15.0
BAR_GAP = 10.0
BAR_LABEL = 150.0  # room for the short department names


@dataclass(frozen=True)
class Series:
    name: str
    css: str  # the colour class: series-1 .. series-4
    points: Tuple[Tuple[float, float], ...]  # x, y in SVG units
    total: int

    @property
    def path(self) -> str:
        return "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in self.points) if self.points else ""


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class Trend:
    width: float
    height: float
    series: List[Series]
    x_ticks: List[Tick]
    y_ticks: List[Tick]
    plot_left: float
    plot_right: float
    plot_bottom: float


def nice_top(most: float) -> float:
    """The axis' top: the next 1, 2 or 5 times a power of ten at or above `most`
    (at least 5: the counts are whole numbers)."""
    if most <= 5:
        return 5.0
    power = 10 ** math.floor(math.log10(most))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= most)


def divisions(top: float) -> int:
    """Grid lines that fall on round numbers: 20 in 4 (5, 10, 15), 10 or 50 in 5."""
    lead = top / 10 ** math.floor(math.log10(top))
    return 4 if round(lead) == 2 else 5


def trend(days: Sequence[date], lines: Sequence[Tuple[str, Mapping[date, int]]]) -> Trend:
    """Daily counts as lines over the period (one point a day)."""
    right = WIDTH - 8
    bottom = PLOT_TOP + PLOT_HEIGHT
    top = nice_top(max((counts.get(d, 0) for _, counts in lines for d in days), default=0))
    step = (right - PLOT_LEFT) / max(len(days) - 1, 1)

    def y(value: float) -> float:
        return bottom - value / top * PLOT_HEIGHT

    series = [
        Series(
            name,
            f"series-{n + 1}",
            tuple((PLOT_LEFT + i * step, y(counts.get(d, 0))) for i, d in enumerate(days)),
            sum(counts.get(d, 0) for d in days),
        )
        for n, (name, counts) in enumerate(lines)
    ]
    every = max(1, math.ceil(len(days) / 8))  # at most about 8 dates under the axis
    x_ticks = [
        Tick(PLOT_LEFT + i * step, str(format_date(d, "d MMM", locale="id")))
        for i, d in enumerate(days)
        if i % every == 0
    ]
    parts = divisions(top)
    y_ticks = [Tick(y(top * k / parts), _number(top * k / parts)) for k in range(parts + 1)]
    return Trend(WIDTH, bottom + 26, series, x_ticks, y_ticks, PLOT_LEFT, right, bottom)


@dataclass(frozen=True)
class Bar:
    label: str
    y: float
    widths: Tuple[float, ...]  # one per measure, in SVG units
    values: Tuple[int, ...]


@dataclass(frozen=True)
class Bars:
    width: float
    height: float
    label_width: float
    measures: Tuple[str, ...]
    bars: List[Bar]
    bar_height: float


def bars(measures: Sequence[str], items: Sequence[Tuple[str, Sequence[int]]]) -> Bars:
    """Horizontal bars, one group per item (a department), one bar per measure."""
    span = WIDTH - BAR_LABEL - 60  # room on the right for the number
    top = max((v for _, values in items for v in values), default=0) or 1
    group = BAR_HEIGHT * len(measures) + BAR_GAP
    found = [
        Bar(
            label,
            BAR_GAP + n * group,
            tuple(round(v / top * span, 1) for v in values),
            tuple(values),
        )
        for n, (label, values) in enumerate(items)
    ]
    return Bars(WIDTH, BAR_GAP + len(items) * group, BAR_LABEL, tuple(measures), found, BAR_HEIGHT)


def _number(value: float) -> str:
    return f"{value:,.0f}".replace(",", ".")
