"""The self-contained HTML report of an AuditResult: inline CSS, hand-written inline SVG charts.

One file, no request leaving the page (no CDN, web font or image URL), readable on a phone and
printable. Everything shown comes from the :class:`~equityaudit.results.AuditResult`: this module
picks values out of it, formats them and lays out the charts; it never recomputes a statistic.
The one derived quantity drawn is the position of the threshold line on a rate chart
(threshold × the reference group's rate), which is labelled by its definition, not by a number.

The page is a Jinja2 template (``templates/report.html.j2``, autoescaped) whose SVG is drawn by
macros (``templates/_charts.html.j2``) from the chart models built here: each chart is a list of
rows, each row a label and one or more tracks (a bar or a point with its interval), positioned in
percent of the chart's width so that text keeps its size on a phone.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import jinja2

from equityaudit.report.context_tables import context_tables
from equityaudit.report.formatting import (
    fmt_amount,
    fmt_count,
    fmt_examples,
    fmt_p,
    fmt_pct,
    fmt_pct_range,
    fmt_points,
    fmt_points_range,
    fmt_ratio,
    fmt_ratio_range,
    number_or_none,
)
from equityaudit.report.owner_summary import owner_summary
from equityaudit.results import STATUSES, AuditResult, Finding, Table

__all__ = ["render_html"]

DISPLAY_ORDER = STATUSES
"""Order of the findings on the page: failures first (the judging rule's order)."""

STATUS_LABEL = {
    "fail": "Fail",
    "warn": "Warning",
    "inconclusive": "Inconclusive",
    "insufficient_data": "Insufficient data",
    "pass": "Pass",
}
STATUS_ICON = {
    "fail": "✕",
    "warn": "!",
    "inconclusive": "≈",
    "insufficient_data": "?",
    "pass": "✓",
    "blocked": "■",
}
VERDICT_LABEL = {"pass": "Pass", "warn": "Warning", "fail": "Fail", "blocked": "Blocked"}

_METRIC_LABEL = {
    # marketing
    "inclusion_rate": "rate of inclusion in the segment or campaign",
    "segment_share": "share of the segment",
    "offer_mean": "mean offer value",
    "proxy_auc": "how well the segmentation features predict the attribute (AUC)",
    "total_variation_distance": "total variation distance from the customer base",
    # chatbot
    "mention_share": "share of the axis's mentions",
    "intent_rate": "intent frequency",
    "refusal_rate": "rate of refusals in the bot's responses",
    "flip_rate": "counterfactual prediction flip rate",
    "sentiment_difference": "difference in response sentiment",
    "words_difference": "difference in response length (words)",
    # decisions and hiring
    "selection_rate": "selection rate",
    "favourable_rate": "favourable rate (share not receiving the decision)",
    "scoring_rate": "scoring rate (share scoring above the sample median)",
    "base_rate": "base rate (share with a positive outcome)",
    "tpr": "true positive rate",
    "fpr": "false positive rate",
    "fnr": "false negative rate",
    "tnr": "true negative rate",
    "ppv": "positive predictive value",
    "npv": "negative predictive value",
    "fdr": "false discovery rate",
    "for": "false omission rate",
    "accuracy": "accuracy",
    "equal_opportunity_difference": "equal-opportunity difference (gap in true positive rates)",
    "equalized_odds_difference": "equalized-odds difference (largest gap in true or false positive rates)",
}

_METHOD_LABEL = {
    "rate_ci": "Interval of each rate",
    "ratio_ci": "Interval of each ratio to the reference group",
    "difference_ci": "Interval of each difference to the reference group",
    "p_value": "p-value used to judge a ratio",
    "p_value_fisher": "Also reported: Fisher's exact p",
    "p_value_z": "Also reported: z-test p",
    "chi_square": "Test across all groups of a table",
}

_CUMULATIVE = re.compile(r"^stage:(?P<stage>.+)_cumulative_rate:(?P<by>.+)$")

# Chart geometry: pixels vertically, percent of the chart's width horizontally (so that text keeps
# its size on a phone); long labels wrap at _WRAP characters.
_LINE = 15
_TRACK = 14
_GAP = 9
_AXIS = 40
_PAD = 1.5
_WRAP = 44
_INLINE = 44

_STAGE_CSS = ("stage-1", "stage-2", "stage-3", "stage-4")


# --------------------------------------------------------------------------- formatting


def fmt_plain(value: Any) -> str:
    """Any JSON value as short text: null → ``—``, lists joined, mappings as ``key: value``."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {fmt_plain(value[k])}" for k in sorted(value, key=str)) or "—"
    if isinstance(value, list | tuple):
        return ", ".join(fmt_plain(v) for v in value) or "—"
    return str(value)


def group_label(group: Any, by: Sequence[str] = ()) -> str:
    """A group's values joined, in the order of ``by`` (the table's attributes) when given.

    Examples
    --------
    >>> group_label({"race": "Asian", "sex": "Female"}, ["sex", "race"]), group_label(None)
    ('Female, Asian', '—')
    """
    if not isinstance(group, Mapping) or not group:
        return "—"
    keys = [k for k in by if k in group] + [k for k in group if k not in by]
    return ", ".join(str(group[k]) for k in keys)


def metric_label(metric: str) -> str:
    """Plain-language name of a metric, including the funnel's stage rates."""
    if metric in _METRIC_LABEL:
        return _METRIC_LABEL[metric]
    if metric.endswith("_cumulative_rate"):
        return f"share of all applicants reaching {metric.removesuffix('_cumulative_rate')}"
    if metric.endswith("_rate"):
        return f"rate of reaching {metric.removesuffix('_rate')} from the stage before"
    return metric.replace("_", " ")


def short_metric_label(metric: str) -> str:
    """A few words for a metric, for tables: ``interview_rate`` → ``reaching interview``."""
    if metric in ("selection_rate", "scoring_rate", "favourable_rate"):
        return metric.replace("_", " ")
    if metric.endswith("_cumulative_rate"):
        return f"reaching {metric.removesuffix('_cumulative_rate')} (of all)"
    if metric.endswith("_rate") and metric not in _METRIC_LABEL:
        return f"reaching {metric.removesuffix('_rate')} (stage to stage)"
    return {
        "equal_opportunity_difference": "equal-opportunity gap",
        "equalized_odds_difference": "equalized-odds gap",
    }.get(metric, metric_label(metric))


def _by_text(by: Sequence[str]) -> str:
    return " × ".join(by)


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def is_estimated(table: Table) -> bool:
    """Whether a table's group membership is estimated (probabilities, e.g. BISG), not observed."""
    return table.name.endswith("(estimated)") or any(row.get("estimated") is True for row in table.rows)


def is_unfavourable(table: Table) -> bool:
    """Whether a table's outcome is unfavourable (being included is bad), as its methods record.

    The auditor then divides the reference group's rate (the least included) by each group's, so
    that a ratio below the threshold still means the group is disadvantaged.
    """
    return str(table.methods.get("ratio", "")).startswith("unfavourable")


_SUBJECT_PREFIX = {"inclusion_rate": ("rate of inclusion in", "impact ratio of inclusion in")}
"""Metrics whose table name says what the rate is of (``segment premium by sex``): the words put
before that subject for the rate and for the ratio."""


def _subject(table: Table) -> str | None:
    """What a table's rate is of, from its name: ``segment premium by sex`` → ``segment premium``."""
    if table.metric in _SUBJECT_PREFIX and " by " in table.name:
        return table.name.rsplit(" by ", 1)[0]
    return None


def table_label(table: Table) -> str:
    """The table's metric in words, naming what it is of when the table's name says so."""
    subject = _subject(table)
    if subject is None:
        return metric_label(table.metric)
    return f"{_SUBJECT_PREFIX[table.metric][0]} {subject}"


def _estimated_suffix(table: Table, text: str) -> str:
    return " (estimated)" if is_estimated(table) and "(estimated)" not in text else ""


def table_title(table: Table, *, ratio: bool = False) -> str:
    """A table's heading (or its ratio chart's, with ``ratio``): what is measured, of what, by what.

    Examples
    --------
    >>> from equityaudit.results import Table
    >>> def t(name, by, metric):
    ...     return Table(name=name, by=by, metric=metric, numerator="x", denominator="n", reference=None, rows=[])
    >>> table_title(t("sex*race", ["sex", "race"], "selection_rate"))
    'Selection rate by sex × race'
    >>> table_title(t("segment premium by race_bisg (estimated)", ["race_bisg"], "inclusion_rate"))
    'Rate of inclusion in segment premium by race_bisg (estimated)'
    >>> table_title(t("campaign promo by sex", ["sex"], "inclusion_rate"), ratio=True)
    'Impact ratio of inclusion in campaign promo by sex'
    """
    subject = _subject(table)
    by = _by_text(table.by)
    if subject is not None:
        title = f"{_SUBJECT_PREFIX[table.metric][1 if ratio else 0]} {subject} by {by}"
    elif table.name == "*".join(table.by):
        title = f"{'impact ratio' if ratio else metric_label(table.metric)} by {by}"
    else:
        title = f"{'impact ratio' if ratio else metric_label(table.metric)}: {table.name}"
    return _capitalised(title) + _estimated_suffix(table, title)


# --------------------------------------------------------------------------- chart models


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
class _Mark:
    """A value with its interval before layout; ``bar`` draws it from zero."""

    css: str
    value: float | None
    lo: float | None
    hi: float | None
    bar: bool


@dataclass(frozen=True)
class _Line:
    label: str
    value_text: str
    status: str
    status_text: str
    marks: list[_Mark]
    emphasis: bool = False


def _anchor(x: float) -> str:
    return "start" if x < 15 else "end" if x > 85 else "middle"


def _layout(
    chart_id: str,
    title: str,
    desc: str,
    lines: Sequence[_Line],
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


# --------------------------------------------------------------------------- result views


def _key(table: str, group: Mapping[str, Any]) -> tuple[str, tuple[tuple[str, str], ...]]:
    return table, tuple(sorted((str(k), str(v)) for k, v in group.items()))


@dataclass(frozen=True)
class RowStatus:
    """How a table row stands: its finding's status, reference, not compared or not judged."""

    status: str
    text: str
    finding: Finding | None = None
    short: str = ""

    @property
    def chart_text(self) -> str:
        """The few words a chart row shows (the table beside it has the full text)."""
        return self.short or self.text


class _Findings:
    """Look up the finding of a (table, group)."""

    def __init__(self, findings: Iterable[Finding]) -> None:
        self._by_key = {_key(f.table, f.group): f for f in findings if f.kind == "ratio"}

    def row_status(self, table: Table, row: Mapping[str, Any]) -> RowStatus:
        group = row.get("group") if isinstance(row.get("group"), Mapping) else {}
        assert isinstance(group, Mapping)
        finding = self._by_key.get(_key(table.name, group))
        if finding is not None:
            return RowStatus(finding.status, STATUS_LABEL[finding.status], finding)
        if row.get("reference") is True:
            return RowStatus("reference", "reference group", short="reference")
        if row.get("excluded") is True:
            reason = {"unknown": "unknown category", "small_category": "small category"}.get(
                str(row.get("excluded_reason")), "excluded"
            )
            return RowStatus("none", f"not compared ({reason})", short=f"not compared: {reason}")
        return RowStatus("none", "not judged")

    def threshold(self, table: Table) -> float | None:
        for (name, _), finding in self._by_key.items():
            if name == table.name and finding.threshold is not None:
                return finding.threshold
        return None


def _reference_row(table: Table) -> Mapping[str, Any] | None:
    return next((r for r in table.rows if r.get("reference") is True), None)


@dataclass
class PrimaryView:
    """A primary table (name without ``:``) with its charts."""

    index: int
    table: Table
    title: str
    reference: str
    threshold: float | None
    statuses: list[RowStatus]
    rate_chart: Chart
    ratio_chart: Chart | None
    error_chart: Chart | None
    compared: Sequence[tuple[Mapping[str, Any], RowStatus]]
    not_compared: list[str]
    unfavourable: bool = False


def _primary(index: int, table: Table, findings: _Findings) -> PrimaryView:
    metric = table.metric
    label = table_label(table)
    statuses = [findings.row_status(table, row) for row in table.rows]
    reference_row = _reference_row(table)
    reference = group_label(table.reference, table.by)
    threshold = findings.threshold(table)
    reference_rate = number_or_none(reference_row.get(metric)) if reference_row else None
    unfavourable = is_unfavourable(table)
    title = table_title(table)
    rules: list[tuple[float, str, str]] = []
    threshold_text = "No threshold line: no group of this table was judged."
    if threshold is not None and reference_rate is not None and not unfavourable:
        rules.append((threshold * reference_rate, f"{threshold:g} × {reference}", "threshold"))
        threshold_text = (
            f"The dashed line marks {threshold:g} × the rate of the reference group, {reference} "
            f"({fmt_pct(reference_rate)}); a group whose rate falls left of it has an impact ratio "
            f"below {threshold:g}."
        )
    elif threshold is not None and reference_rate is not None and threshold > 0:
        # Unfavourable: the ratio is the reference's rate over the group's, so it falls below the
        # threshold when the group's rate rises above reference rate ÷ threshold.
        rules.append((reference_rate / threshold, f"{reference} ÷ {threshold:g}", "threshold"))
        threshold_text = (
            f"Being included is unfavourable here, so the impact ratio is the rate of the reference "
            f"group, {reference} (the least included, {fmt_pct(reference_rate)}), divided by each "
            f"group's rate. The dashed line marks that rate ÷ {threshold:g}; a group whose rate falls "
            f"right of it has an impact ratio below {threshold:g}."
        )
    lines = []
    for row, status in zip(table.rows, statuses, strict=True):
        value = number_or_none(row.get(metric))
        lines.append(
            _Line(
                label=group_label(row.get("group"), table.by),
                value_text=f"{fmt_pct(value)} ({fmt_pct_range(row.get(f'{metric}_ci_low'), row.get(f'{metric}_ci_high'))})",
                status=status.status,
                status_text=status.chart_text,
                marks=[
                    _Mark(
                        css=f"s-{status.status}",
                        value=value,
                        lo=number_or_none(row.get(f"{metric}_ci_low")),
                        hi=number_or_none(row.get(f"{metric}_ci_high")),
                        bar=True,
                    )
                ],
                emphasis=status.status == "reference",
            )
        )
    rate_chart = _layout(
        f"chart-rate-{index}",
        title,
        f"Horizontal bars: the {label} of each group of {_by_text(table.by)}, with its 95% "
        f"interval as a whisker. {threshold_text}",
        lines,
        percent=True,
        rules=rules,
        axis_label=label,
    )
    compared = [
        (row, status)
        for row, status in zip(table.rows, statuses, strict=True)
        if status.finding is not None or status.status == "reference"
    ]
    not_compared = [
        f"{group_label(row.get('group'), table.by)} ({status.text.removeprefix('not compared (').rstrip(')')})"
        for row, status in zip(table.rows, statuses, strict=True)
        if status.finding is None and status.status != "reference"
    ]
    ratio_chart = None
    if compared:
        ratio_lines = []
        for row, status in compared:
            ratio = number_or_none(row.get(f"{metric}_ratio"))
            ratio_lines.append(
                _Line(
                    label=group_label(row.get("group"), table.by),
                    value_text=f"{fmt_ratio(ratio)} ({fmt_ratio_range(row.get(f'{metric}_ratio_ci_low'), row.get(f'{metric}_ratio_ci_high'))})"
                    if status.status != "reference"
                    else fmt_ratio(ratio),
                    status=status.status,
                    status_text=status.chart_text,
                    marks=[
                        _Mark(
                            css=f"s-{status.status}",
                            value=ratio,
                            lo=number_or_none(row.get(f"{metric}_ratio_ci_low")),
                            hi=number_or_none(row.get(f"{metric}_ratio_ci_high")),
                            bar=False,
                        )
                    ],
                    emphasis=status.status == "reference",
                )
            )
        ratio_rules = [(1.0, "1 = parity", "parity")]
        if threshold is not None:
            ratio_rules.append((threshold, f"threshold {threshold:g}", "threshold"))
        what = table_title(table, ratio=True)
        if unfavourable:
            ratio_title = f"{what} ({reference}'s rate ÷ the group's rate)"
            ratio_desc = (
                f"Points: for each compared group, the rate of {reference} (the least included) divided "
                f"by the group's own {label}, with its 95% interval as a whisker. Being included is "
                "unfavourable here, so a group included more often than the reference group has a "
                "ratio below 1. The dashed line is the threshold"
            )
        else:
            ratio_title = f"{what} (rate ÷ {reference}'s rate)"
            ratio_desc = (
                f"Points: each compared group's ratio of its {label} to the rate of {reference}, with "
                "its 95% interval as a whisker. The dashed line is the threshold"
            )
        ratio_chart = _layout(
            f"chart-ratio-{index}",
            ratio_title,
            ratio_desc
            + (f" {threshold:g}" if threshold is not None else "")
            + "; the solid line is parity (1). Intervals beyond the right edge are cut at 2.",
            ratio_lines,
            percent=False,
            rules=ratio_rules,
            axis_label="reference group's rate ÷ the group's"
            if unfavourable
            else "ratio to the reference group",
            cap=2.0,
            floor=1.2,
        )
    return PrimaryView(
        index=index,
        table=table,
        title=title,
        reference=reference,
        threshold=threshold,
        statuses=statuses,
        rate_chart=rate_chart,
        ratio_chart=ratio_chart,
        error_chart=_error_chart(index, table, statuses),
        compared=compared,
        not_compared=not_compared,
        unfavourable=unfavourable,
    )


def _error_chart(index: int, table: Table, statuses: Sequence[RowStatus]) -> Chart | None:
    """True and false positive rates by group, when the table has them (an outcome column)."""
    if not any(number_or_none(row.get("tpr")) is not None for row in table.rows):
        return None
    lines = []
    for row, status in zip(table.rows, statuses, strict=True):
        lines.append(
            _Line(
                label=group_label(row.get("group"), table.by),
                value_text=f"TPR {fmt_pct(row.get('tpr'))} · FPR {fmt_pct(row.get('fpr'))}",
                status=status.status,
                status_text=status.chart_text if status.status in ("reference", "none") else "",
                marks=[
                    _Mark(
                        css=f"series-{name}",
                        value=number_or_none(row.get(name)),
                        lo=number_or_none(row.get(f"{name}_ci_low")),
                        hi=number_or_none(row.get(f"{name}_ci_high")),
                        bar=False,
                    )
                    for name in ("tpr", "fpr")
                ],
            )
        )
    return _layout(
        f"chart-errors-{index}",
        f"Error rates by {_by_text(table.by)}",
        f"For each group of {_by_text(table.by)}: the true positive rate (share of those with a "
        "positive outcome whom the tool selected; upper point) and the false positive rate (share of "
        "those with a negative outcome whom it selected; lower point), each with its 95% interval.",
        lines,
        percent=True,
        legend=[("series-tpr", "true positive rate (TPR)"), ("series-fpr", "false positive rate (FPR)")],
        axis_label="rate",
    )


@dataclass
class FunnelView:
    """The funnel of one grouping: cumulative stage rates, stage by stage."""

    index: int
    by: str
    stages: list[str]
    tables: list[Table]
    rows: Sequence[tuple[Mapping[str, Any], Sequence[Mapping[str, Any] | None]]]
    chart: Chart


def _funnels(result: AuditResult) -> list[FunnelView]:
    """Funnel charts from ``stage:<stage>_cumulative_rate:<by>`` tables, in the stages' order."""
    ll144 = result.context.get("ll144")
    declared = ll144.get("stages") if isinstance(ll144, Mapping) else None
    order = [str(s) for s in declared] if isinstance(declared, list) else []
    by_groups: dict[str, list[tuple[str, Table]]] = {}
    for table in result.tables:
        match = _CUMULATIVE.match(table.name)
        if match:
            by_groups.setdefault(match["by"], []).append((match["stage"], table))
    simple = [b for b in by_groups if "*" not in b] or list(by_groups)
    funnels = []
    for index, by in enumerate(simple):
        stage_tables = sorted(
            by_groups[by], key=lambda st: order.index(st[0]) if st[0] in order else len(order)
        )
        stages = [s for s, _ in stage_tables]
        tables = [t for _, t in stage_tables]
        first = tables[0]
        lookups = [{_key("", r.get("group") or {}): r for r in t.rows} for t in tables]
        rows = []
        lines = []
        for row in first.rows:
            key = _key("", row.get("group") or {})
            per_stage = [lookup.get(key) for lookup in lookups]
            rows.append((row, per_stage))
            marks = []
            texts = []
            for k, (stage, stage_row) in enumerate(zip(stages, per_stage, strict=True)):
                metric = tables[k].metric
                cells = stage_row or {}
                value = number_or_none(cells.get(metric))
                texts.append(f"{stage} {fmt_pct(value)}")
                marks.append(
                    _Mark(
                        css=_STAGE_CSS[min(k, len(_STAGE_CSS) - 1)],
                        value=value,
                        lo=number_or_none(cells.get(f"{metric}_ci_low")),
                        hi=number_or_none(cells.get(f"{metric}_ci_high")),
                        bar=True,
                    )
                )
            lines.append(
                _Line(
                    label=group_label(row.get("group"), table.by),
                    value_text=" · ".join(texts),
                    status="none",
                    status_text="",
                    marks=marks,
                )
            )
        chart = _layout(
            f"chart-funnel-{index}",
            f"Hiring funnel by {by.replace('*', ' × ')}",
            "For each group: the share of all its applicants who reached "
            + ", then ".join(stages)
            + ", each bar with its 95% interval. Bars are cumulative: each stage's bar is a share of all the group's applicants.",
            lines,
            percent=True,
            legend=[
                (_STAGE_CSS[min(k, len(_STAGE_CSS) - 1)], f"reached {stage}")
                for k, stage in enumerate(stages)
            ],
            axis_label="share of the group's applicants",
        )
        funnels.append(
            FunnelView(
                index=index,
                by=by.replace("*", " × "),
                stages=stages,
                tables=tables,
                rows=rows,
                chart=chart,
            )
        )
    return funnels


@dataclass
class FindingView:
    """A finding laid out as the five questions a reader asks of it."""

    finding: Finding
    anchor: str
    title: str
    context: str
    measure: str
    reference: str
    value_text: str
    ci_text: str
    measured: str
    for_whom: str
    distance: str
    certainty: str
    next_step: str


_NEXT_STEP = {
    ("ratio", "fail"): (
        "Review how the tool treats this group: which inputs and cut-offs drive the gap, and whether an "
        "alternative with less adverse impact would serve the same purpose. Re-run this audit after any change."
    ),
    ("ratio", "warn"): (
        "Do not treat this as a pass. Monitor the group, collect more decisions and re-run the audit; "
        "the gap may be chance or may become significant with more data."
    ),
    ("ratio", "inconclusive"): (
        "Do not report this as a pass: the data fit both adverse impact and none. Collect the number of "
        "decisions the finding names and re-run the audit to settle it."
    ),
    ("ratio", "insufficient_data"): (
        "Collect more data for this group before relying on the figure; until then, report it as not assessable."
    ),
    ("ratio", "pass"): "No action needed now; keep auditing on a schedule and after changes to the tool.",
    ("difference", "fail"): (
        "Check whether the tool makes more mistakes for the lower group (for instance, different "
        "calibration or features that stand in for group membership) and correct it before relying on it."
    ),
    ("difference", "warn"): "Monitor the gap and collect more outcomes; it may be chance.",
    ("difference", "inconclusive"): (
        "Do not report this as a pass: collect the number of outcomes the finding names and re-run the audit."
    ),
    ("difference", "insufficient_data"): "Collect more outcomes before relying on this figure.",
    ("difference", "pass"): "No action needed now; keep monitoring error rates by group.",
}


def _unit(metric: str) -> str:
    if metric == "scoring_rate":
        return "applicant(s) scoring above the median"
    if metric == "favourable_rate":
        return "person(s) not receiving the decision"
    if metric.endswith("_rate") and metric != "selection_rate":
        return f"applicant(s) reaching {metric.removesuffix('_rate')}"
    return "selection(s)"


_POSITION = {
    "ratio": {
        "fail": "below the threshold",
        "warn": "below the threshold",
        "pass": "at or above the threshold",
        "inconclusive": "at or above the threshold, its interval reaching below it",
        "insufficient_data": "not judged: too little data",
    },
    "difference": {
        "fail": "above the limit",
        "warn": "above the limit",
        "pass": "within the limit",
        "inconclusive": "within the limit, its interval reaching above it",
        "insufficient_data": "not judged: too little data",
    },
}


_SPECIAL_NEXT_STEP = {
    "total_variation_distance": {
        "warn": (
            "Check which features define this segment or campaign, and read its targeting findings: "
            "they say whether the difference in make-up disadvantages a group."
        ),
        "inconclusive": "A difference that may be chance: collect more data before relying on it.",
        "insufficient_data": "Too few members to judge: collect more data before relying on it.",
        "pass": "No action needed now; keep monitoring the make-up of the segment.",
    },
    "offer_mean": {
        "fail": (
            "Check how offers are set for this group: which inputs and rules give it less, and whether "
            "they are needed. Re-run this audit after any change."
        ),
        "warn": "Do not treat this as a pass: monitor the offers to this group and re-run with more data.",
        "inconclusive": "Collect more offers to this group: the data cannot yet tell a gap from none.",
        "insufficient_data": "Collect more offers to this group before relying on the figure.",
        "pass": "No action needed now; keep auditing offers on a schedule.",
    },
    "proxy_auc": {
        "fail": (
            "Check whether the segments and campaigns that use this feature need it, and read their "
            "targeting findings: a feature this predictive lets a segmentation follow group lines."
        ),
        "warn": "Watch this feature: it carries some information about the group.",
        "inconclusive": "Collect more data: the feature may or may not carry the group.",
        "insufficient_data": "Too few customers of some categories to judge; collect more data.",
        "pass": "No action needed now: the feature says little about the group.",
    },
}


def _special_finding_view(index: int, finding: Finding) -> FindingView | None:
    """The five answers for findings that are not a rate's ratio or an error-rate gap: the
    representation distance, the offer's ratio of means and the proxy AUC (marketing)."""
    details = finding.details
    steps = _SPECIAL_NEXT_STEP.get(finding.metric)
    if steps is None or finding.status not in steps:
        return None
    value = number_or_none(finding.value)
    threshold = number_or_none(finding.threshold)
    p_text = ""
    if finding.p_adjusted is not None or finding.p_value is not None:
        p_text = (
            f"; p = {fmt_p(finding.p_adjusted)} after correcting for multiple comparisons"
            f" ({fmt_p(finding.p_value)} before)"
        )
    anchor, next_step = f"finding-{index}", steps[finding.status]
    if finding.metric == "total_variation_distance":
        # table "representation:<segment or campaign>:<attribute>"
        parts = finding.table.split(":")
        subject = parts[1] if len(parts) == 3 else finding.table
        by = parts[-1]
        size = number_or_none(details.get("segment_size"))
        position = "within the limit" if finding.status == "pass" else "above the limit"
        return FindingView(
            finding=finding,
            anchor=anchor,
            next_step=next_step,
            title=f"{subject} by {by}",
            context=f"{metric_label(finding.metric)} · table {finding.table}",
            measure=f"make-up of {subject} by {by}",
            reference="the customer base",
            value_text=f"distance {fmt_ratio(value)}",
            ci_text="",
            measured=(
                f"How far the make-up of {subject} by {by} is from the customer base's: the total "
                "variation distance, the share of its members who would have to change group for it "
                "to match."
            ),
            for_whom=f"The {fmt_count(size)} members of {subject} with a known {by}, against the customer base."
            if size is not None
            else f"The members of {subject}, against the customer base.",
            distance=f"Distance {fmt_ratio(value)} against a limit of {fmt_plain(threshold)}: {position}. "
            "A difference in make-up is never a failure on its own: the targeting findings say whether "
            "it disadvantages a group.",
            certainty=f"Chi-square test of the make-up against the customer base{p_text or ': not computed'}.",
        )
    if finding.metric == "proxy_auc":
        feature = str(details.get("feature") or group_label(finding.group))
        attribute = str(details.get("attribute") or finding.table.removeprefix("proxy:"))
        warn = number_or_none(details.get("warn_threshold"))
        folds = details.get("fold_aucs")
        fold_values = [v for v in (number_or_none(a) for a in folds or []) if v is not None]
        rows = number_or_none(details.get("rows"))
        together = feature.startswith("(")
        subject = "all the features together" if together else feature
        levels = f"fails at {fmt_plain(threshold)}" + (f", warns at {warn:g}" if warn is not None else "")
        return FindingView(
            finding=finding,
            anchor=anchor,
            next_step=next_step,
            title=f"{feature} → {attribute}",
            context=f"{metric_label(finding.metric)} · table {finding.table}",
            measure=f"how well {subject} predict{'' if together else 's'} {attribute}",
            reference=f"AUC levels ({levels})",
            value_text=f"AUC {fmt_ratio(value)}",
            ci_text="",
            measured=(
                f"How well {subject} predict{'' if together else 's'} each customer's {attribute}: the "
                "cross-validated AUC of a classifier (0.5 is chance, 1 is perfect)."
            ),
            for_whom=(
                f"{fmt_count(rows)} customers with a known {attribute}."
                if rows is not None
                else f"Customers with a known {attribute}."
            ),
            distance=f"AUC {fmt_ratio(value)}; the finding {levels}.",
            certainty=(
                f"Cross-validated over {len(fold_values)} folds; the folds' AUCs range from "
                f"{min(fold_values):.3f} to {max(fold_values):.3f}. No p-value: this is a measure of "
                "how much the feature reveals, not a test."
                if fold_values
                else "Cross-validated; no p-value: this is a measure of how much the feature reveals, not a test."
            ),
        )
    # offer_mean: a ratio of the group's mean offer to the reference group's
    by = finding.table.removeprefix("offer:")
    who = group_label(finding.group)
    reference = group_label(finding.reference) if finding.reference else "—"
    column = str(details.get("offer_column") or "offer")
    low, high = number_or_none(finding.ci_low), number_or_none(finding.ci_high)
    certainty = f"95% CI {fmt_ratio_range(low, high)}"
    if low is not None and high is not None and threshold is not None:
        if high < threshold:
            certainty += ", entirely below the threshold"
        elif low >= threshold:
            certainty += ", entirely at or above the threshold"
        else:
            certainty += ", spanning the threshold (the true ratio may lie on either side)"
    n = number_or_none(details.get("n"))
    return FindingView(
        finding=finding,
        anchor=anchor,
        next_step=next_step,
        title=who,
        context=f"{metric_label(finding.metric)} · table {finding.table}",
        measure=f"mean {column} by {by}",
        reference=reference,
        value_text=f"ratio {fmt_ratio(value)}",
        ci_text=fmt_ratio_range(low, high),
        measured=f"Mean {column} by {by}, as a ratio to {reference}'s mean.",
        for_whom=who + (f": {fmt_count(n)} offers." if n is not None else "."),
        distance=(
            f"Ratio {fmt_ratio(value)} (mean {fmt_amount(details.get('mean'))} vs "
            f"{fmt_amount(details.get('reference_mean'))}) against {fmt_plain(threshold)}: "
            f"{_POSITION['ratio'].get(finding.status, '')}."
        ),
        certainty=certainty + p_text + ".",
    )


def _finding_view(index: int, finding: Finding, tables: Mapping[str, Table]) -> FindingView:
    """Answer the reader's five questions from the finding's own fields and details."""
    special = _special_finding_view(index, finding)
    if special is not None:
        return special
    table = tables.get(finding.table)
    by = _by_text(table.by) if table else finding.table
    order = table.by if table else ()
    who = group_label(finding.group, order)
    reference = group_label(finding.reference, order) if finding.reference else None
    details = finding.details
    label = metric_label(finding.metric)
    low, high = number_or_none(finding.ci_low), number_or_none(finding.ci_high)
    n = number_or_none(details.get("n"))
    for_whom = who + (f": {fmt_count(n)} people" if n is not None else "")
    if finding.kind == "difference":
        rate = metric_label(str(details.get("rate", "")))
        measured = f"The gap in {rate} by {by} between the two groups furthest apart"
        if reference:
            for_whom = f"{who} (lower) against {reference} (higher)"
        limit = "—" if finding.threshold is None else f"{100 * finding.threshold:g} pts"
        distance = (
            f"Gap {fmt_points(finding.value).lstrip('+')} against a limit of {limit}: "
            f"{_POSITION['difference'][finding.status]}."
        )
        certainty = f"95% CI {fmt_points_range(low, high)}"
        if low is not None and high is not None:
            excludes = low > 0 or high < 0
            certainty += (
                ", excluding zero: unlikely to be chance" if excludes else ", including zero: may be chance"
            )
    elif finding.kind == "ratio":
        if table is not None:
            label = table_label(table)
        if table is not None and is_unfavourable(table):
            measured = f"{_capitalised(label)} by {by}" + (
                f", as {reference}'s rate ÷ {who}'s (being included is unfavourable, so a ratio "
                f"below 1 means {who} is included more often)"
                if reference
                else ""
            )
        else:
            measured = f"{_capitalised(label)} by {by}" + (
                f", as a ratio to {reference}'s rate" if reference else ""
            )
        rates = ""
        if (
            number_or_none(details.get("rate")) is not None
            or number_or_none(details.get("reference_rate")) is not None
        ):
            rates = f" ({fmt_pct(details.get('rate'))} vs {fmt_pct(details.get('reference_rate'))})"
        threshold = "—" if finding.threshold is None else f"{finding.threshold:g}"
        distance = f"Ratio {fmt_ratio(finding.value)}{rates} against {threshold}: {_POSITION['ratio'][finding.status]}."
        short = number_or_none(details.get("shortfall"))
        if short and finding.status in ("fail", "warn"):
            distance += f" {fmt_count(short)} more {_unit(finding.metric)} would reach it."
        certainty = f"95% CI {fmt_ratio_range(low, high)}"
        if low is not None and high is not None and finding.threshold is not None:
            if high < finding.threshold:
                certainty += ", entirely below the threshold"
            elif low >= finding.threshold:
                certainty += ", entirely at or above the threshold"
            else:
                certainty += ", spanning the threshold (the true ratio may lie on either side)"
    else:  # a rate or a test judged on its own
        measured = f"{_capitalised(label)} by {by}"
        distance = f"Value {fmt_plain(finding.value)} against {fmt_plain(finding.threshold)}."
        certainty = f"95% CI {fmt_plain(finding.ci_low)} to {fmt_plain(finding.ci_high)}"
    if finding.p_adjusted is not None or finding.p_value is not None:
        certainty += (
            f"; p = {fmt_p(finding.p_adjusted)} after correcting for multiple comparisons"
            f" ({fmt_p(finding.p_value)} before)"
        )
    kind = "difference" if finding.kind == "difference" else "ratio"
    if finding.kind == "difference":
        value_text, ci_text = f"gap {fmt_points(finding.value).lstrip('+')}", fmt_points_range(low, high)
    elif finding.kind == "ratio":
        value_text, ci_text = f"ratio {fmt_ratio(finding.value)}", fmt_ratio_range(low, high)
    else:
        value = number_or_none(finding.value)
        value_text = "—" if value is None else f"{value:.3g}"
        low_value, high_value = number_or_none(finding.ci_low), number_or_none(finding.ci_high)
        ci_text = "—" if low_value is None or high_value is None else f"{low_value:.3g}–{high_value:.3g}"
    return FindingView(
        finding=finding,
        anchor=f"finding-{index}",
        title=f"{who} vs {reference}" if finding.kind == "difference" and reference else who,
        context=f"{label} · table {finding.table}",
        measure=(
            table_title(table)[:1].lower() + table_title(table)[1:]
            if table is not None and _subject(table) is not None
            else f"{short_metric_label(finding.metric)} by {by}"
            if table is None
            or finding.table in ("*".join(table.by), f"scoring:{'*'.join(table.by)}")
            or finding.table.startswith("stage:")
            else f"{short_metric_label(finding.metric)}: {finding.table}"
        ),
        reference=reference or "—",
        value_text=value_text,
        ci_text=ci_text,
        measured=measured + ".",
        for_whom=for_whom + ".",
        distance=distance,
        certainty=certainty + ".",
        next_step=_NEXT_STEP[(kind, finding.status)],
    )


@dataclass
class ColumnSpec:
    """A column of a full data table: header, key and how to format it."""

    header: str
    key: str
    kind: str  # count | pct | pct_range | ratio | ratio_range | points | points_range | p | text
    key2: str = ""


@dataclass
class TableLayout:
    """How a table of the result is shown in full: counts, rates and tests, each a narrow table."""

    columns: list[ColumnSpec]
    metrics: list[str]
    tests: list[ColumnSpec]


def _layout_table(table: Table) -> TableLayout:
    """Every column of a table's rows: the counts, the metrics (each shown with its interval,
    ratio and difference, one line per group and metric) and the tests against the reference."""
    # Key order differs between a result made in memory and one read back from (sorted) JSON;
    # the page must not, so columns follow a fixed order: n, the table's counts, then by name.
    keys = sorted({k for row in table.rows for k in row}, key=lambda k: (_count_rank(k, table), k))
    known = list(_METRIC_LABEL)
    metrics = [k for k in keys if f"{k}_ci_low" in keys and not k.endswith(("_ratio", "_difference"))]
    metrics.sort(key=lambda m: (m != table.metric, known.index(m) if m in known else len(known), m))
    derived = {f"{m}{suffix}" for m in metrics for suffix in _METRIC_SUFFIXES}
    tests = ["z", "p_value_z", "p_value_fisher", "p_value", "shortfall"]
    skip = {
        "group",
        "note",
        "reference",
        "excluded",
        "excluded_reason",
        "impact_ratio",
        *metrics,
        *derived,
        *tests,
    }
    columns = [ColumnSpec(h, k, "count") for h, k in [("n", "n")] if k in keys]
    columns += [ColumnSpec(k.replace("_", " "), k, "count") for k in keys if k not in skip and k != "n"]
    test_columns = [
        ColumnSpec(header, key, kind)
        for header, key, kind in [
            ("z", "z", "plain"),
            ("p (z)", "p_value_z", "p"),
            ("p (Fisher)", "p_value_fisher", "p"),
            ("p (mid-p)", "p_value", "p"),
            ("shortfall", "shortfall", "count"),
        ]
        if key in keys
    ]
    return TableLayout(columns=columns, metrics=metrics, tests=test_columns)


def _count_rank(key: str, table: Table | None = None) -> int:
    """Sort rank of a count column: n first, then the table's numerator and denominator."""
    if key == "n":
        return 0
    if table is not None and key in (table.numerator, table.denominator):
        return 1
    return 2


_METRIC_SUFFIXES = (
    "_ci_low",
    "_ci_high",
    "_ratio",
    "_ratio_ci_low",
    "_ratio_ci_high",
    "_difference",
    "_difference_ci_low",
    "_difference_ci_high",
)


def cell(row: Mapping[str, Any], column: ColumnSpec) -> str:
    """One formatted cell of a full data table."""
    value = row.get(column.key)
    if column.kind == "count":
        return fmt_count(value)
    if column.kind == "pct":
        return fmt_pct(value)
    if column.kind == "pct_range":
        return fmt_pct_range(value, row.get(column.key2))
    if column.kind == "ratio":
        return fmt_ratio(value)
    if column.kind == "ratio_range":
        return fmt_ratio_range(value, row.get(column.key2))
    if column.kind == "points":
        return fmt_points(value)
    if column.kind == "points_range":
        return fmt_points_range(value, row.get(column.key2))
    if column.kind == "p":
        return fmt_p(value)
    number = number_or_none(value)
    return "—" if number is None else f"{number:.2f}"


def _methods(tables: Sequence[Table]) -> list[tuple[str, list[str]]]:
    """Each method family with the distinct descriptions the tables record, in first-seen order."""
    families: dict[str, list[str]] = {}
    for table in tables:
        for key, text in table.methods.items():
            seen = families.setdefault(key, [])
            if text not in seen:
                seen.append(text)
    order = list(_METHOD_LABEL)
    keys = sorted(families, key=lambda k: (order.index(k) if k in order else len(order), k))
    return [(_METHOD_LABEL.get(key, key.replace("_", " ")), families[key]) for key in keys]


def _view(result: AuditResult) -> dict[str, Any]:
    """Everything the template shows, picked out of the result and formatted."""
    findings = _Findings(result.findings)
    tables = {t.name: t for t in result.tables}
    primaries = [
        _primary(i, table, findings) for i, table in enumerate(t for t in result.tables if ":" not in t.name)
    ]
    ordered = sorted(
        enumerate(result.findings),
        key=lambda item: (DISPLAY_ORDER.index(item[1].status), item[0]),
    )
    finding_views = [_finding_view(i, f, tables) for i, f in ordered]
    by_status = {s: [v for v in finding_views if v.finding.status == s] for s in DISPLAY_ORDER}
    counts = {s: len(v) for s, v in by_status.items() if v}
    other_tables = [t for t in result.tables if ":" in t.name]
    small_groups = [v for v in finding_views if v.finding.status == "insufficient_data"]
    primary_tables = [t for t in result.tables if ":" not in t.name]
    # Notes of excluded rows (unknown or small categories) are summed up in their own bullets.
    row_notes = [
        (t, row) for t in primary_tables for row in t.rows if row.get("note") and not row.get("excluded")
    ]
    unknown_rows = [
        (t, row)
        for t in primary_tables
        if len(t.by) == 1
        for row in t.rows
        if row.get("excluded_reason") == "unknown"
    ]
    ll144 = result.context.get("ll144") if isinstance(result.context.get("ll144"), Mapping) else None
    corrected = sum(1 for f in result.findings if f.p_adjusted is not None)
    tables_of_context = context_tables(result)
    return {
        "result": result,
        "verdict_label": VERDICT_LABEL[result.verdict],
        "verdict_icon": STATUS_ICON["blocked" if result.verdict == "blocked" else result.verdict],
        "primaries": primaries,
        "funnels": _funnels(result),
        "by_status": by_status,
        "counts": counts,
        "other_tables": other_tables,
        "layouts": {t.name: _layout_table(t) for t in result.tables},
        "count_tables": [
            (c, sorted({k for row in c.rows for k in row if k != "group"}, key=lambda k: (_count_rank(k), k)))
            for c in result.counts
        ],
        "row_status": findings.row_status,
        "methods": _methods(result.tables),
        "small_groups": small_groups,
        "row_notes": row_notes,
        "unknown_rows": unknown_rows,
        "ll144": ll144,
        "other_context": _other_context(result, tables_of_context),
        "context_tables": tables_of_context,
        "corrected": corrected,
        "failed_checks": [c for c in result.gate.checks if not c.passed],
        "thresholds": _threshold_lines(result.findings),
        "findings_intro": _findings_intro(result.findings),
        "owner_summary": owner_summary(result),
        "result_sha256": _sha256(result),
    }


_RATE_RATIO_INTRO = (
    " when the group's ratio is below the threshold and the gap is statistically significant "
    "after correcting for the number of comparisons; it is a warning when the ratio is below the "
    "threshold but the gap may be chance, or when the ratio meets the threshold but its interval "
    "reaches below it and the gap is significant; it passes only when its interval is clear of the "
    "threshold too; it is inconclusive when the interval reaches below the threshold without a "
    "significant gap, so the data fit adverse impact and none at all (the finding says how many rows "
    "would settle it); and it is insufficient data when the group or the reference group is too "
    "small to judge. The significance level is shared by every test of the audit, so an audit of "
    "truly equal groups fails at most 5% of the time."
)


def _is_error_gap(finding: Finding) -> bool:
    return finding.kind == "difference" and finding.metric != "total_variation_distance"


def _findings_intro(findings: Sequence[Finding]) -> list[tuple[str, str, str]]:
    """How each kind of finding present is judged, as (before, emphasised, after) sentences."""
    metrics = {f.metric for f in findings}
    rate_ratios = any(f.kind == "ratio" and f.metric != "offer_mean" for f in findings)
    sentences = []
    if rate_ratios:
        sentences.append(
            (
                "Each rate finding compares one group's rate with the reference group's. It ",
                "fails",
                _RATE_RATIO_INTRO,
            )
        )
    if "offer_mean" in metrics:
        sentences.append(
            (
                "An offer finding compares a group's mean offer with the reference group's: it ",
                "fails",
                " when the ratio of means is below its threshold and Welch's test is significant after "
                "correction, and is a warning when the gap may be chance.",
            )
        )
    if "total_variation_distance" in metrics:
        sentences.append(
            (
                "A representation finding measures how far a segment's or campaign's make-up is from the "
                "customer base's (total variation distance): above its limit it is a ",
                "warning",
                " (or inconclusive when the difference may be chance), never a failure, because the "
                "make-up alone does not say that a group is disadvantaged.",
            )
        )
    if "proxy_auc" in metrics:
        sentences.append(
            (
                "A proxy finding says how well a feature predicts a group's membership (a cross-validated "
                "AUC, 0.5 being chance): it ",
                "fails",
                " at or above its threshold and is a warning at or above its warning level; it has no "
                "reference group and no p-value.",
            )
        )
    if any(_is_error_gap(f) for f in findings):
        sentences.append(
            (
                "A gap in error rates between groups ",
                "fails",
                " when it is above its limit and its interval excludes zero, and is a warning when the "
                "interval includes zero.",
            )
        )
    others = {f.metric for f in findings if f.kind in ("rate", "test") and f.metric != "proxy_auc"}
    if others:
        sentences.append(
            (
                "Each other finding (" + ", ".join(metric_label(m) for m in sorted(others)) + ") judges one "
                "value against its threshold, as its message says; ",
                "insufficient data",
                " means there was too little to judge, and inconclusive that the data fit either side "
                "of the threshold.",
            )
        )
    return sentences


def _threshold_lines(findings: Sequence[Finding]) -> list[tuple[str, str, str]]:
    """Each threshold the findings use, in words that fit what it is a threshold of."""
    lines: list[tuple[str, str, str]] = []
    seen: set[tuple[str, float]] = set()
    special = ("offer_mean", "total_variation_distance", "proxy_auc")

    def rank(f: Finding) -> int:
        if f.metric in special:
            return 1 + special.index(f.metric)
        return {"ratio": 0, "difference": 4}.get(f.kind, 5)

    for f in sorted(findings, key=lambda f: (rank(f), f.metric, f.threshold or 0.0)):
        threshold = number_or_none(f.threshold)
        if threshold is None:
            continue
        family = f.metric if f.metric in special else f.kind
        if family == "difference" or family in ("rate", "test"):
            family = f"{f.kind}:{f.metric}" if not _is_error_gap(f) else "difference"
        if (family, threshold) in seen:
            continue
        seen.add((family, threshold))
        if family == "ratio":
            four_fifths = " (the EEOC four-fifths rule)" if threshold == 0.8 else ""
            lines.append(
                (
                    "A ratio below ",
                    f"{threshold:g}",
                    f" is flagged{four_fifths}; it fails only when the adjusted p-value is also below the "
                    "significance level.",
                )
            )
        elif family == "offer_mean":
            lines.append(
                (
                    "A group's mean offer below ",
                    f"{threshold:g} × the reference group's",
                    " is flagged; it fails only when Welch's test, adjusted for multiple comparisons, is "
                    "also significant.",
                )
            )
        elif family == "total_variation_distance":
            lines.append(
                (
                    "A segment or campaign whose make-up is further than a total variation distance of ",
                    f"{threshold:g}",
                    " from the customer base's is a warning when the chi-square test is significant after "
                    "adjustment, and inconclusive when it is not. It never fails: whether a group is "
                    "disadvantaged is the targeting findings' call.",
                )
            )
        elif family == "proxy_auc":
            warn = number_or_none(f.details.get("warn_threshold"))
            lines.append(
                (
                    "A feature, or all features together, predicting a group with a cross-validated AUC of "
                    "at least ",
                    f"{threshold:g}",
                    " fails"
                    + (f"; at least {warn:g} is a warning" if warn is not None else "")
                    + ". An AUC of 0.5 is chance; there is no p-value or correction.",
                )
            )
        elif family == "difference":
            lines.append(
                (
                    "A gap in error rates above ",
                    fmt_points(threshold).replace("+", ""),
                    " is flagged; it fails when its interval excludes zero.",
                )
            )
        else:
            lines.append((f"{_capitalised(metric_label(f.metric))}: judged against ", f"{threshold:g}", "."))
    return lines


def _other_context(result: AuditResult, shown: Mapping[str, Any]) -> dict[str, Any]:
    """The context listed as it is in the Data section: all but LL144's facts and the tables
    shown in sections of their own (the marketing auditor's offer tables and proxy ranking)."""
    other = {k: v for k, v in result.context.items() if k != "ll144"}
    marketing = other.get("marketing")
    if isinstance(marketing, Mapping):
        drop = {"offer"} if "offer" in shown else set()
        drop |= {"proxies"} if "proxies" in shown else set()
        other["marketing"] = {k: v for k, v in marketing.items() if k not in drop}
        estimated = marketing.get("estimated")
        if "offer" in shown and isinstance(estimated, Mapping):  # weighted means: in the offer section
            other["marketing"]["estimated"] = {
                attribute: {k: v for k, v in facts.items() if k != "offer_mean"}
                if isinstance(facts, Mapping)
                else facts
                for attribute, facts in estimated.items()
            }
    return other


def _sha256(result: AuditResult) -> str | None:
    """The result's hash, or None when it holds a value canonical JSON refuses (NaN, say)."""
    try:
        return result.sha256
    except ValueError:
        return None


@cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("equityaudit.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters.update(
        pct=fmt_pct,
        pct_range=fmt_pct_range,
        ratio=fmt_ratio,
        ratio_range=fmt_ratio_range,
        points=fmt_points,
        points_range=fmt_points_range,
        p=fmt_p,
        count=fmt_count,
        plain=fmt_plain,
        examples=fmt_examples,
        group=group_label,
        metric_label=metric_label,
        by_text=_by_text,
        split_by=lambda name: str(name).split("*"),
    )
    environment.globals.update(
        cell=cell,
        status_label=STATUS_LABEL,
        status_icon=STATUS_ICON,
        status_order=DISPLAY_ORDER,
        metric_label=metric_label,
    )
    return environment


def render_html(result: AuditResult, *, marker: str = "") -> str:
    """The result as one self-contained HTML page (inline CSS and SVG; no external request).

    Parameters
    ----------
    result
        The audit result; every number on the page is taken from it.
    marker
        An HTML comment written right after the doctype (the report writer's ownership marker).

    Returns
    -------
    str
        The HTML document.

    Examples
    --------
    >>> import equityaudit as ea
    >>> page = render_html(ea.run("audits/hiring.yaml"))
    >>> page.startswith("<!DOCTYPE html>"), "Verdict" in page, "http://" in page
    (True, True, False)
    """
    page = _environment().get_template("report.html.j2").render(**_view(result))
    if marker:  # after the doctype, which must come first
        page = page.replace("<!DOCTYPE html>\n", f"<!DOCTYPE html>\n{marker}\n", 1)
    return page
