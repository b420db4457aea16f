"""The charts of the HTML report: rates, impact ratios and error rates by group, and the hiring funnel.

Each is built from the result's tables and findings as a chart model
(:mod:`equityaudit.report.chart_layout`). The one derived quantity drawn is the position of the
threshold line on a rate chart (threshold × the reference group's rate), which is labelled by its
definition, not by a number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from equityaudit.report.chart_layout import Chart, Line, Mark, layout_chart
from equityaudit.report.findings import FindingLookup, RowStatus, row_key
from equityaudit.report.formatting import fmt_pct, fmt_pct_range, fmt_ratio, fmt_ratio_range, number_or_none
from equityaudit.report.titles import by_text, group_label, is_unfavourable, table_label, table_title
from equityaudit.results import AuditResult, Table

__all__ = ["FunnelView", "PrimaryView", "funnel_views", "primary_view"]

"""The name of a hiring funnel's table: the share of all applicants reaching a stage, by a grouping."""

_STAGE_CSS = ("stage-1", "stage-2", "stage-3", "stage-4")
"""Colours of a funnel's stages, in order (later stages share the last)."""


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


def primary_view(index: int, table: Table, findings: FindingLookup) -> PrimaryView:
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
        # the line's label stays short enough for a phone's width; the caption names the reference group
        rules.append((threshold * reference_rate, f"{threshold:g} × reference", "threshold"))
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
            Line(
                label=group_label(row.get("group"), table.by),
                value_text=f"{fmt_pct(value)} ({fmt_pct_range(row.get(f'{metric}_ci_low'), row.get(f'{metric}_ci_high'))})",
                status=status.status,
                status_text=status.chart_text,
                marks=[
                    Mark(
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
    rate_chart = layout_chart(
        f"chart-rate-{index}",
        title,
        f"Horizontal bars: the {label} of each group of {by_text(table.by)}, with its 95% "
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
                Line(
                    label=group_label(row.get("group"), table.by),
                    value_text=f"{fmt_ratio(ratio)} ({fmt_ratio_range(row.get(f'{metric}_ratio_ci_low'), row.get(f'{metric}_ratio_ci_high'))})"
                    if status.status != "reference"
                    else fmt_ratio(ratio),
                    status=status.status,
                    status_text=status.chart_text,
                    marks=[
                        Mark(
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
        ratio_chart = layout_chart(
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
            Line(
                label=group_label(row.get("group"), table.by),
                value_text=f"TPR {fmt_pct(row.get('tpr'))} · FPR {fmt_pct(row.get('fpr'))}",
                status=status.status,
                status_text=status.chart_text if status.status in ("reference", "none") else "",
                marks=[
                    Mark(
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
    return layout_chart(
        f"chart-errors-{index}",
        f"Error rates by {by_text(table.by)}",
        f"For each group of {by_text(table.by)}: the true positive rate (share of those with a "
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


def funnel_views(result: AuditResult) -> list[FunnelView]:
    """Funnel charts from the tables of each stage's cumulative rate, in the stages' order."""
    ll144 = result.context.get("ll144")
    declared = ll144.get("stages") if isinstance(ll144, Mapping) else None
    order = [str(s) for s in declared] if isinstance(declared, list) else []
    by_groups: dict[str, list[tuple[str, Table]]] = {}
    for table in result.tables:
        if table.stage is not None and table.cumulative:
            by_groups.setdefault("*".join(table.by), []).append((table.stage, table))
    simple = [b for b in by_groups if "*" not in b] or list(by_groups)
    funnels = []
    for index, by in enumerate(simple):
        stage_tables = sorted(
            by_groups[by], key=lambda st: order.index(st[0]) if st[0] in order else len(order)
        )
        stages = [s for s, _ in stage_tables]
        tables = [t for _, t in stage_tables]
        first = tables[0]
        lookups = [{row_key("", r.get("group") or {}): r for r in t.rows} for t in tables]
        rows = []
        lines = []
        for row in first.rows:
            key = row_key("", row.get("group") or {})
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
                    Mark(
                        css=_STAGE_CSS[min(k, len(_STAGE_CSS) - 1)],
                        value=value,
                        lo=number_or_none(cells.get(f"{metric}_ci_low")),
                        hi=number_or_none(cells.get(f"{metric}_ci_high")),
                        bar=True,
                    )
                )
            lines.append(
                Line(
                    label=group_label(row.get("group"), table.by),
                    value_text=" · ".join(texts),
                    status="none",
                    status_text="",
                    marks=marks,
                )
            )
        chart = layout_chart(
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
