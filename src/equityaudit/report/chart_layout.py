"""Chart models and their layout: rows, bars and points, rules and ticks, placed for the SVG macros.

A chart is a list of rows, each a label and one or more tracks (a bar or a point with its
interval), positioned in percent of the chart's width so that text keeps its size on a phone; the
macros of ``templates/_charts.html.j2`` draw it. Nothing here knows what a chart shows.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["Chart", "ChartRow", "Line", "Mark", "Rule", "Tick", "Track", "layout_chart"]

# Chart geometry: pixels vertically, percent of the chart's width horizontally (so that text keeps
# its size on a phone); long labels wrap at _WRAP characters.
_LINE = 15
_TRACK = 14
_GAP = 9
_AXIS = 40
_PAD = 1.5
_WRAP = 44
_INLINE = 44


@dataclass(frozen=True)
class Track:
    """One bar or point with its interval, on one line of a chart row (x in percent)."""

    css: str
    x: float | None
    lo: float | None
    hi: float | None
    bar: bool
    clipped: bool = False
    y: int = 0


@dataclass(frozen=True)
class ChartRow:
    """A labelled row of a chart: the group (wrapped), its values as text, and its tracks."""

    label: list[str]
    value_text: str
    status: str
    status_text: str
    y: int
    value_y: int
    status_y: int | None
    inline: bool
    tracks: list[Track]
    emphasis: bool = False


@dataclass(frozen=True)
class Rule:
    """A vertical reference line (the threshold, parity at 1) with its label above the rows."""

    x: float
    label: str
    anchor: str
    css: str
    label_y: int


@dataclass(frozen=True)
class Tick:
    """An axis tick and its label."""

    x: float
    label: str
    anchor: str


@dataclass
class Chart:
    """An SVG chart ready for the ``chart`` macro."""

    id: str
    title: str
    desc: str
    rows: list[ChartRow] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)
    height: int = 0
    axis_y: int = 0
    axis_label: str = ""


@dataclass(frozen=True)
class Mark:
    """A value with its interval before layout; ``bar`` draws it from zero."""

    css: str
    value: float | None
    lo: float | None
    hi: float | None
    bar: bool


@dataclass(frozen=True)
class Line:
    """A row of a chart before layout: its label, values as text, status and marks."""

    label: str
    value_text: str
    status: str
    status_text: str
    marks: list[Mark]
    emphasis: bool = False


def _anchor(x: float) -> str:
    return "start" if x < 15 else "end" if x > 85 else "middle"


def layout_chart(
    chart_id: str,
    title: str,
    desc: str,
    lines: Sequence[Line],
    *,
    percent: bool,
    rules: Sequence[tuple[float, str, str]] = (),
    legend: Sequence[tuple[str, str]] = (),
    axis_label: str = "",
    cap: float | None = None,
    floor: float = 0.0,
) -> Chart:
    """Place rows, tracks, rules and ticks; x positions are percent of the chart's width."""
    values = [v for line in lines for m in line.marks for v in (m.value, m.hi) if v is not None]
    values += [r[0] for r in rules]
    largest = max([*values, floor], default=1.0)
    step = 0.1 if percent and largest <= 0.6 else 0.2
    top = max(step, math.ceil(round(largest / step, 9)) * step)
    if percent:
        top = min(top, 1.0)
    if cap is not None:
        top = min(top, cap)

    def x_of(value: float) -> float:
        return _PAD + (100 - 2 * _PAD) * min(max(value, 0.0), top) / top

    chart = Chart(id=chart_id, title=title, desc=desc, legend=list(legend), axis_label=axis_label)
    # A row is its label, then its values (on the label's line when both fit a phone's width),
    # then one track per mark.
    y = _LINE * len(rules) + 6
    for line in lines:
        status = f" · {line.status_text}" if line.status_text else ""
        inline = len(line.label) + len(line.value_text) + len(status) + 2 <= _INLINE
        label = textwrap.wrap(line.label, _WRAP) or ["—"]
        if inline:
            label = [line.label]
        first = y + 13
        value_y = first + _LINE * (len(label) - 1) + (0 if inline else _LINE)
        status_y = None  # the status goes on a line of its own when it would not fit a phone
        if not inline and len(line.value_text) + len(status) > _WRAP:
            status_y = value_y + _LINE
        last_text = status_y or value_y
        tracks = []
        for k, m in enumerate(line.marks):
            cy = last_text + 13 + k * _TRACK
            tracks.append(
                Track(
                    css=m.css,
                    x=None if m.value is None else x_of(m.value),
                    lo=None if m.lo is None else x_of(m.lo),
                    hi=None if m.hi is None else x_of(m.hi),
                    bar=m.bar,
                    clipped=m.hi is not None and m.hi > top,
                    y=cy,
                )
            )
        chart.rows.append(
            ChartRow(
                label=label,
                value_text=line.value_text,
                status=line.status,
                status_text=line.status_text,
                y=first,
                value_y=value_y,
                status_y=status_y,
                inline=inline,
                tracks=tracks,
                emphasis=line.emphasis,
            )
        )
        y = last_text + 13 + (len(line.marks) - 1) * _TRACK + 7 + _GAP
    chart.axis_y = y
    chart.height = y + _AXIS
    for k, (value, text, css) in enumerate(rules):
        x = x_of(value)
        chart.rules.append(Rule(x=x, label=text, anchor=_anchor(x), css=css, label_y=_LINE * (k + 1) - 2))
    count = round(top / step)
    for i in range(count + 1):
        tick = i * step
        x = x_of(tick)
        text = f"{100 * tick:.0f}%" if percent else f"{tick:.1f}"
        chart.ticks.append(
            Tick(x=x, label=text, anchor="start" if i == 0 else "end" if i == count else "middle")
        )
    return chart
