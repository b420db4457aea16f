"""Findings laid out for the reader: the status of each table row, and the five answers of each card.

A finding card answers what was measured, for whom, how far from the threshold, how sure we are
and what to do next, from the finding's own fields and details; the words for its metric come
from :mod:`equityaudit.report.vocabulary`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from equityaudit.report.formatting import (
    fmt_amount,
    fmt_count,
    fmt_p,
    fmt_pct,
    fmt_pct_range,
    fmt_plain,
    fmt_points,
    fmt_points_range,
    fmt_ratio,
    fmt_ratio_range,
    number_or_none,
)
from equityaudit.report.tables import ANY_FLIP, COUNTERFACTUAL_METRIC
from equityaudit.report.titles import (
    by_text,
    capitalised,
    group_label,
    is_estimated,
    is_unfavourable,
    table_label,
    table_subject,
    table_title,
)
from equityaudit.report.vocabulary import metric_label, next_step, short_metric_label, shortfall_unit
from equityaudit.results import STATUSES, Finding, Table

__all__ = [
    "DISPLAY_ORDER",
    "STATUS_ICON",
    "STATUS_LABEL",
    "VERDICT_LABEL",
    "FindingLookup",
    "FindingView",
    "RowStatus",
    "finding_view",
    "row_key",
]

DISPLAY_ORDER = STATUSES
"""Order of the findings on the page: failures first (the judging rule's order)."""

STATUS_LABEL = {
    "fail": "Fail",
    "warn": "Warning",
    "inconclusive": "Inconclusive",
    "insufficient_data": "Insufficient data",
    "pass": "Pass",
}
"""A finding's status in words, for badges and tables."""

STATUS_ICON = {
    "fail": "✕",
    "warn": "!",
    "inconclusive": "≈",
    "insufficient_data": "?",
    "pass": "✓",
    "blocked": "■",
}
"""The icon beside a status or verdict, so that colour is never its only sign."""

VERDICT_LABEL = {"pass": "Pass", "warn": "Warning", "fail": "Fail", "blocked": "Blocked"}
"""An audit's verdict in words, for the banner."""


def row_key(table: str, group: Mapping[str, Any]) -> tuple[str, tuple[tuple[str, str], ...]]:
    """A (table, group) as a key, whatever the group's key order or value types."""
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


class FindingLookup:
    """Look up the ratio finding of a (table, group): how each row of a table stands."""

    def __init__(self, findings: Iterable[Finding]) -> None:
        self._by_key = {
            row_key(f.table, f.group): f
            for f in findings
            if f.kind == "ratio" or f.metric == COUNTERFACTUAL_METRIC  # a flip table's judged rows
        }

    def row_status(self, table: Table, row: Mapping[str, Any]) -> RowStatus:
        """The row's finding's status, or why it has none (reference, not compared, not judged)."""
        group = row.get("group") if isinstance(row.get("group"), Mapping) else {}
        assert isinstance(group, Mapping)
        if row.get("flip_to", ANY_FLIP) != ANY_FLIP:  # one value of a counterfactual table: described
            return RowStatus("none", "not judged (one value flipped to)", short="not judged")
        finding = self._by_key.get(row_key(table.name, group))
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
        """The threshold the table's findings were judged against, if any was."""
        for (name, _), finding in self._by_key.items():
            if name == table.name and finding.threshold is not None:
                return finding.threshold
        return None


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
"""Where a ratio or a gap stands against its threshold, by status."""

_OWN_CARD = {
    "total_variation_distance": ("warn", "inconclusive", "insufficient_data", "pass"),  # never fails
    "offer_mean": STATUSES,
    "proxy_auc": STATUSES,
}
"""Metrics whose findings have a card of their own, and the statuses it covers (marketing); any
other finding gets the card of a rate's ratio, an error-rate gap, or a value judged on its own."""


def _own_card(index: int, finding: Finding, table: Table | None) -> FindingView | None:
    """The five answers for findings that are not a rate's ratio or an error-rate gap: the
    representation distance, the offer's ratio of means and the proxy AUC (marketing)."""
    details = finding.details
    if finding.status not in _OWN_CARD.get(finding.metric, ()):
        return None
    value = number_or_none(finding.value)
    threshold = number_or_none(finding.threshold)
    p_text = ""
    if finding.p_adjusted is not None or finding.p_value is not None:
        p_text = (
            f"; p = {fmt_p(finding.p_adjusted)} after correcting for multiple comparisons"
            f" ({fmt_p(finding.p_value)} before)"
        )
    anchor, step = f"finding-{index}", next_step(finding.metric, finding.status, kind=finding.kind)
    if finding.metric == "total_variation_distance":
        subject = table.subject if table is not None and table.subject else finding.table
        by = (
            by_text(table.by) + (" (estimated)" if is_estimated(table) else "")
            if table is not None
            else finding.table
        )
        size = number_or_none(details.get("segment_size"))
        position = "within the limit" if finding.status == "pass" else "above the limit"
        return FindingView(
            finding=finding,
            anchor=anchor,
            next_step=step,
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
            next_step=step,
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
        next_step=step,
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


def finding_view(index: int, finding: Finding, tables: Mapping[str, Table]) -> FindingView:
    """Answer the reader's five questions from the finding's own fields and details."""
    table = tables.get(finding.table)
    special = _own_card(index, finding, table)
    if special is not None:
        return special
    by = by_text(table.by) if table else finding.table
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
            measured = f"{capitalised(label)} by {by}" + (
                f", as {reference}'s rate ÷ {who}'s (being included is unfavourable, so a ratio "
                f"below 1 means {who} is included more often)"
                if reference
                else ""
            )
        else:
            measured = f"{capitalised(label)} by {by}" + (
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
            distance += f" {fmt_count(short)} more {shortfall_unit(finding.metric)} would reach it."
        certainty = f"95% CI {fmt_ratio_range(low, high)}"
        if low is not None and high is not None and finding.threshold is not None:
            if high < finding.threshold:
                certainty += ", entirely below the threshold"
            elif low >= finding.threshold:
                certainty += ", entirely at or above the threshold"
            else:
                certainty += ", spanning the threshold (the true ratio may lie on either side)"
    elif finding.metric == COUNTERFACTUAL_METRIC:  # a model's decisions changed by flipping a column
        flipped = finding.details.get("flipped", "the column")
        measured = (
            f"Share of the decisions for {who} ({by}) that change when the model's "
            f"{'proxy' if finding.details.get('role') == 'proxy' else 'sensitive column'} {flipped} is "
            "flipped to another value, everything else unchanged"
        )
        limit = fmt_pct(finding.threshold)
        distance = (
            f"{fmt_pct(finding.value)} of decisions change, against a limit of {limit}: "
            + (_POSITION["difference"].get(finding.status, finding.status))
            + "."
        )
        certainty = f"95% CI {fmt_pct_range(finding.ci_low, finding.ci_high)}"
    else:  # a rate or a test judged on its own
        measured = f"{capitalised(label)} by {by}"
        distance = f"Value {fmt_plain(finding.value)} against {fmt_plain(finding.threshold)}."
        certainty = f"95% CI {fmt_plain(finding.ci_low)} to {fmt_plain(finding.ci_high)}"
    if finding.p_adjusted is not None or finding.p_value is not None:
        certainty += (
            f"; p = {fmt_p(finding.p_adjusted)} after correcting for multiple comparisons"
            f" ({fmt_p(finding.p_value)} before)"
        )
    if finding.kind == "difference":
        value_text, ci_text = f"gap {fmt_points(finding.value).lstrip('+')}", fmt_points_range(low, high)
    elif finding.kind == "ratio":
        value_text, ci_text = f"ratio {fmt_ratio(finding.value)}", fmt_ratio_range(low, high)
    elif finding.metric == COUNTERFACTUAL_METRIC:
        value_text, ci_text = fmt_pct(finding.value), fmt_pct_range(finding.ci_low, finding.ci_high)
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
            if table is not None and table_subject(table) is not None
            else f"{short_metric_label(finding.metric)} by {by}"
            if table is None
            or finding.table in ("*".join(table.by), f"scoring:{'*'.join(table.by)}")
            or table.stage is not None
            else f"{short_metric_label(finding.metric)}: {finding.table}"
        ),
        reference=reference or "—",
        value_text=value_text,
        ci_text=ci_text,
        measured=measured + ".",
        for_whom=for_whom + ".",
        distance=distance,
        certainty=certainty + ".",
        next_step=next_step(finding.metric, finding.status, kind=finding.kind),
    )
