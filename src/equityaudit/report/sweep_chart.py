"""The HTML report's chart of a model's threshold sweep: each group's impact ratio against the cut-off.

A line per compared group (at most :data:`MAX_LINES`, the largest first), the impact-ratio
threshold as a dashed horizontal rule, the model's own threshold as a vertical rule, and the
cut-offs at which every compared group meets the threshold shaded. Every value is read from the
``sweep:<by>`` table of the result; horizontal positions are percent of the chart's width (so text
keeps its size on a phone), vertical ones pixels; the sentence under it is the sweep's own note. The macro ``sweep_chart`` of
``templates/_charts.html.j2`` draws it; all text goes through the template's autoescape.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from equityaudit.report.formatting import number_or_none
from equityaudit.report.titles import by_text, group_label
from equityaudit.results import Table

__all__ = ["AXIS_LABEL", "MAX_LINES", "SweepChart", "sweep_charts"]

MAX_LINES = 8
"""The most groups one sweep chart draws (the largest compared groups); the table has them all."""

_LEFT, _RIGHT = 9.0, 97.0  # the plot's horizontal extent, percent of the width
_TOP, _HEIGHT = 26, 210  # the plot's top and height, pixels
_SERIES = 8  # distinct line styles (colour and dash), series-1 … series-8

AXIS_LABEL = ("cut-off: a row scoring at least this is selected", "vertical: impact ratio")
"""The chart's axis label, a line each: short enough that none is cut off on a phone."""


@dataclass(frozen=True)
class SweepLine:
    """One group's impact ratios: its label, style and the segments joining consecutive cut-offs."""

    label: str
    css: str
    segments: list[tuple[float, float, float, float]]
    """(x1 %, y1 px, x2 %, y2 px) for each pair of consecutive cut-offs where both ratios are known."""
    points: list[tuple[float, float]]


@dataclass
class SweepChart:
    """A threshold sweep laid out for the ``sweep_chart`` macro."""

    id: str
    title: str
    desc: str
    sentence: str
    lines: list[SweepLine] = field(default_factory=list)
    x_ticks: list[tuple[float, str]] = field(default_factory=list)
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    threshold: tuple[float, str] | None = None
    """The impact-ratio threshold: (y px, label)."""
    model: tuple[float, str] | None = None
    """The model's threshold: (x %, label)."""
    bands: list[tuple[float, float]] = field(default_factory=list)
    """Meeting ranges: (x %, width %)."""
    axis_label: tuple[str, ...] = AXIS_LABEL
    """The axis label, one short line each (each fits a 390 px phone screen)."""
    height: int = _TOP + _HEIGHT + 44 + 15 * (len(AXIS_LABEL) - 1)
    axis_y: int = _TOP + _HEIGHT
    top: int = _TOP
    left: float = _LEFT
    right: float = _RIGHT


def sweep_charts(tables: list[Table], notes: Sequence[str] = ()) -> list[SweepChart]:
    """One chart per ``sweep:`` table that has compared groups and at least two cut-offs.

    ``notes`` are the result's notes, among them the sentence each sweep states about its range
    (``Threshold sweep by <by>: …``), shown under its chart.

    Examples
    --------
    >>> rows = [{"group": {"sex": s}, "cut_off": c, "n": 50, "selected": 1, "selection_rate": r,
    ...          "impact_ratio": i, "compared": True}
    ...         for s, c, r, i in [("F", 0.2, 0.8, 0.8), ("F", 0.6, 0.4, 0.8), ("M", 0.2, 1.0, 1.0), ("M", 0.6, 0.5, 1.0)]]
    >>> table = Table(name="sweep:sex", by=["sex"], metric="selection_rate", numerator="selected", denominator="n",
    ...     reference=None, rows=rows, tests={"meets_impact_ratio": {"threshold": 0.8, "cut_offs": [0.2, 0.6],
    ...     "ranges": [[0.2, 0.6]], "swept": 2, "model_threshold": 0.6}})
    >>> (chart,) = sweep_charts([table])
    >>> [line.label for line in chart.lines], chart.model, chart.bands
    (['F', 'M'], (97.0, 'model threshold 0.6'), [(9.0, 88.0)])
    """
    charts = []
    for index, table in enumerate(t for t in tables if t.name.startswith("sweep:")):
        prefix = f"Threshold sweep by {' × '.join(table.by)}:"
        chart = _chart(index, table, next((n for n in notes if n.startswith(prefix)), ""))
        if chart is not None:
            charts.append(chart)
    return charts


def _chart(index: int, table: Table, sentence: str) -> SweepChart | None:
    cuts = sorted({c for row in table.rows if (c := number_or_none(row.get("cut_off"))) is not None})
    meets = table.tests.get("meets_impact_ratio")
    meets = meets if isinstance(meets, dict) else {}
    by: dict[str, list[dict[str, Any]]] = {}
    sizes: dict[str, float] = {}
    for row in table.rows:
        if row.get("compared") is not True:
            continue
        label = group_label(row.get("group"), table.by)
        by.setdefault(label, []).append(row)
        sizes[label] = number_or_none(row.get("n")) or 0.0
    if len(cuts) < 2 or not by:
        return None
    low, high = cuts[0], cuts[-1]

    def x_of(cut: float) -> float:
        return _LEFT + (_RIGHT - _LEFT) * (min(max(cut, low), high) - low) / (high - low)

    def y_of(ratio: float) -> float:
        return _TOP + _HEIGHT * (1 - min(max(ratio, 0.0), 1.0))

    drawn = sorted(by, key=lambda label: (-sizes[label], label))[:MAX_LINES]
    chart = SweepChart(
        id=f"chart-sweep-{index}",
        title=f"Impact ratio by {by_text(table.by)} at each cut-off of the model's score",
        desc="",
        sentence=sentence,
    )
    for k, label in enumerate(sorted(drawn)):
        ratios = {
            cut: number_or_none(row.get("impact_ratio"))
            for row in by[label]
            if (cut := number_or_none(row.get("cut_off"))) is not None
        }
        points = [(x_of(c), y_of(r)) for c in cuts if (r := ratios.get(c)) is not None]
        segments = [
            (x_of(a), y_of(ra), x_of(b), y_of(rb))
            for a, b in pairwise(cuts)
            if (ra := ratios.get(a)) is not None and (rb := ratios.get(b)) is not None
        ]
        chart.lines.append(SweepLine(label, f"series-{k % _SERIES + 1}", segments, points))
    chart.x_ticks = [(x_of(tick), f"{tick:g}") for tick in _nice_ticks(low, high)]
    chart.y_ticks = [(y_of(i / 5), f"{i / 5:.1f}") for i in range(6)]
    limit = number_or_none(meets.get("threshold"))
    if limit is not None:
        chart.threshold = (y_of(limit), f"{limit:g}")
    model = number_or_none(meets.get("model_threshold"))
    if model is not None and low <= model <= high:
        chart.model = (x_of(model), f"model threshold {model:.3g}")
    for pair in meets.get("ranges") or []:
        if isinstance(pair, list) and len(pair) == 2:
            lo, hi = number_or_none(pair[0]), number_or_none(pair[1])
            if lo is not None and hi is not None:
                start, end = x_of(lo), x_of(hi)
                chart.bands.append((max(_LEFT, start - (0.6 if start == end else 0)), max(end - start, 1.2)))
    left_out = len(by) - len(drawn)
    chart.desc = (
        f"Lines: the impact ratio of each compared group of {by_text(table.by)} (its selection rate over "
        "the highest group's at the same cut-off) as the cut-off rises from "
        f"{low:.3g} to {high:.3g}."
        + (f" The dashed line marks the impact-ratio threshold {limit:g}." if limit is not None else "")
        + (" Shaded: the cut-offs at which every compared group meets it." if chart.bands else "")
        + (f" The vertical line marks the model's threshold, {model:.3g}." if chart.model else "")
        + (
            f" The {MAX_LINES} largest groups are drawn; the other {left_out} are in the table."
            if left_out
            else ""
        )
    )
    return chart


def _nice_ticks(low: float, high: float) -> list[float]:
    """About five round cut-offs between ``low`` and ``high``: steps of 1, 2, 2.5 or 5 times a power of ten.

    Examples
    --------
    >>> _nice_ticks(0.05, 0.95), _nice_ticks(-1.3, 2.2)
    ([0.2, 0.4, 0.6, 0.8], [-1.0, 0.0, 1.0, 2.0])
    """
    rough = (high - low) / 5
    magnitude = 10 ** math.floor(math.log10(rough))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= rough - 1e-12)
    first = math.ceil(round(low / step, 9)) * step
    count = math.floor(round((high - first) / step, 9))
    return [round(first + i * step, 10) for i in range(count + 1)]
