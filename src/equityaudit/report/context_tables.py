"""Tables an auditor keeps in the result's context, laid out for the renderers.

The marketing auditor stores its offer-parity tables (``context.marketing.offer``), the weighted
mean offer of estimated attributes (``context.marketing.estimated``) and its proxy ranking
(``context.marketing.proxies``) outside ``tables``, because they are not rates. This module turns
each into a :class:`ContextTable` of formatted cells, with a heading and a one-sentence summary
that is the table's text alternative, so that the Markdown and HTML reports show the same
numbers in the same words. Nothing is recomputed: every cell is a value of the context,
formatted, or a status of a finding.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from equityaudit.report.formatting import (
    fmt_amount,
    fmt_amount_range,
    fmt_count,
    fmt_p,
    fmt_ratio,
    fmt_ratio_range,
    number_or_none,
)
from equityaudit.results import AuditResult, Finding

__all__ = ["ContextTable", "context_tables", "offer_tables", "proxy_tables"]

_STATUS = {
    "fail": "fail",
    "warn": "warning",
    "inconclusive": "inconclusive",
    "insufficient_data": "insufficient data",
    "pass": "pass",
}


@dataclass(frozen=True)
class ContextTable:
    """A table of formatted cells: heading, summary (its text alternative), columns, rows, notes."""

    id: str
    heading: str
    summary: str
    columns: list[str]
    numeric: list[bool]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)
    methods: str = ""


def _marketing(result: AuditResult) -> Mapping[str, Any]:
    context = result.context.get("marketing")
    return context if isinstance(context, Mapping) else {}


def _group_text(group: Any, by: Sequence[str]) -> str:
    if not isinstance(group, Mapping) or not group:
        return "—"
    keys = [k for k in by if k in group] + [k for k in group if k not in by]
    return ", ".join(str(group[k]) for k in keys)


def _weight(value: Any) -> str:
    """A sum of probabilities (a weighted count) with one decimal: ``2,431.6``."""
    number = number_or_none(value)
    return "—" if number is None else f"{number:,.1f}"


def _methods(facts: Mapping[str, Any]) -> str:
    methods = facts.get("methods")
    if not isinstance(methods, Mapping):
        return ""
    return "; ".join(f"{str(k).replace('_', ' ')}: {methods[k]}" for k in sorted(methods, key=str))


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text).strip("-").lower()


def offer_tables(result: AuditResult) -> list[ContextTable]:
    """The offer parity tables: mean and median offer by group, intervals, ratios, tests, status."""
    offer = _marketing(result).get("offer")
    if not isinstance(offer, Mapping) or not isinstance(offer.get("tables"), Mapping):
        return []
    column = str(offer.get("column") or "offer")
    higher = offer.get("favourable", "higher") == "higher"
    threshold = number_or_none(offer.get("threshold"))
    findings: dict[tuple[str, tuple[tuple[str, str], ...]], Finding] = {
        (f.table, tuple(sorted(f.group.items()))): f for f in result.findings if f.metric == "offer_mean"
    }
    tables = []
    for name in sorted(offer["tables"]):
        table = offer["tables"][name]
        if not isinstance(table, Mapping):
            continue
        by = [str(b) for b in table.get("by") or []]
        reference = _group_text(table.get("reference"), by)
        rows, described = [], []
        for row in table.get("rows") or []:
            group = row.get("group") if isinstance(row.get("group"), Mapping) else {}
            finding = findings.get((str(name), tuple(sorted((str(k), str(v)) for k, v in group.items()))))
            if row.get("reference") is True:
                status = "reference"
            elif finding is not None:
                status = _STATUS[finding.status]
            else:
                status = "not compared" if row.get("excluded") else "not judged"
            who = _group_text(group, by)
            rows.append(
                [
                    who,
                    fmt_count(row.get("n")),
                    fmt_amount(row.get("mean")),
                    fmt_amount_range(row.get("mean_ci_low"), row.get("mean_ci_high")),
                    fmt_amount(row.get("median")),
                    fmt_amount_range(row.get("median_ci_low"), row.get("median_ci_high")),
                    fmt_ratio(row.get("mean_ratio")),
                    fmt_ratio_range(row.get("mean_ratio_ci_low"), row.get("mean_ratio_ci_high")),
                    fmt_p(row.get("p_value")),
                    fmt_p(finding.p_adjusted if finding else None),
                    status,
                    str(row.get("note") or ""),
                ]
            )
            ratio = "" if row.get("reference") is True else f", ratio {fmt_ratio(row.get('mean_ratio'))}"
            described.append(f"{who} {fmt_amount(row.get('mean'))} ({status}{ratio})")
        attribute = " × ".join(by) or str(name)
        rule = (
            f" A ratio of means below {threshold:g} fails when Welch's test, adjusted for multiple "
            "comparisons, is significant, and is a warning when it is not."
            if threshold is not None
            else ""
        )
        tables.append(
            ContextTable(
                id=f"offer-{_slug(str(name))}",
                heading=f"Mean and median {column} by {attribute}",
                summary=(
                    f"Mean {column} by {attribute}, against {reference}, the group with the "
                    f"{'highest' if higher else 'lowest'} mean ({'higher' if higher else 'lower'} is better "
                    f"for the customer): {'; '.join(described)}.{rule}"
                ),
                columns=[
                    "group",
                    "n",
                    "mean",
                    "95% CI",
                    "median",
                    "95% CI",
                    f"ratio of means to {reference}",
                    "95% CI",
                    "p (Welch)",
                    "adjusted p",
                    "status",
                    "note",
                ],
                numeric=[False, True, True, False, True, False, True, False, True, True, False, False],
                rows=rows,
                methods=_methods(offer),
            )
        )
    estimated = _marketing(result).get("estimated")
    if not isinstance(estimated, Mapping):
        estimated = {}
    for attribute in sorted(estimated):
        facts = estimated[attribute]
        means = facts.get("offer_mean") if isinstance(facts, Mapping) else None
        if not isinstance(means, Mapping) or not means:
            continue
        weights = facts.get("weighted_counts") if isinstance(facts.get("weighted_counts"), Mapping) else {}
        rows = [
            [str(category), _weight(weights.get(category)), fmt_amount(means[category])]
            for category in sorted(means)
        ]
        tables.append(
            ContextTable(
                id=f"offer-estimated-{_slug(str(attribute))}",
                heading=f"Mean {column} by {attribute} (estimated, weighted by membership probabilities)",
                summary=(
                    f"Estimated membership: each category's mean {column}, weighting every customer by "
                    f"the probability of belonging to it: "
                    + "; ".join(f"{r[0]} {r[2]}" for r in rows)
                    + ". Reported, not judged."
                ),
                columns=["category (estimated)", "weighted count", f"weighted mean {column}"],
                numeric=[False, True, True],
                rows=rows,
            )
        )
    return tables


def proxy_tables(result: AuditResult) -> list[ContextTable]:
    """The proxy ranking of each attribute: every feature's association and AUC, best first."""
    marketing = _marketing(result)
    proxies = marketing.get("proxies")
    if not isinstance(proxies, Mapping):
        return []
    thresholds = marketing.get("thresholds")
    if not isinstance(thresholds, Mapping):
        thresholds = {}
    warn, fail = (
        number_or_none(thresholds.get("proxy_auc_warn")),
        number_or_none(thresholds.get("proxy_auc_fail")),
    )
    rule = " An AUC of 0.5 is chance"
    if warn is not None:
        rule += f"; at least {warn:g} is a warning"
    if fail is not None:
        rule += f"; at least {fail:g} fails"
    rule += "."
    tables = []
    for attribute in sorted(proxies):
        facts = proxies[attribute]
        if not isinstance(facts, Mapping) or not isinstance(facts.get("ranking"), list):
            continue
        rows = []
        for rank, entry in enumerate(facts["ranking"], start=1):
            if "cramers_v" in entry:
                association = f"Cramér's V {fmt_ratio(entry.get('cramers_v'))}"
            elif "correlation_ratio" in entry:
                association = f"η {fmt_ratio(entry.get('correlation_ratio'))}"
            else:
                association = "—"
            rows.append(
                [
                    str(rank),
                    str(entry.get("feature", "—")),
                    str(entry.get("kind") or "—"),
                    fmt_ratio(entry.get("auc")),
                    association,
                    fmt_ratio(entry.get("nmi")),
                    _STATUS.get(str(entry.get("status")), "not judged"),
                ]
            )
        together = facts.get("all_features") if isinstance(facts.get("all_features"), Mapping) else None
        summary = ""
        if rows:
            first = facts["ranking"][0]
            summary = (
                f"{first.get('feature')} predicts {attribute} best, with a cross-validated AUC of "
                f"{fmt_ratio(first.get('auc'))} ({rows[0][6]})"
            )
            if len(rows) > 1:
                summary += "; then " + ", ".join(f"{r[1]} {r[3]} ({r[6]})" for r in rows[1:])
        if together is not None:
            features = together.get("features") or []
            rows.append(
                [
                    "—",
                    f"all {len(features)} features together",
                    "logistic regression",
                    fmt_ratio(together.get("auc")),
                    "—",
                    "—",
                    _STATUS.get(str(together.get("status")), "not judged"),
                ]
            )
            summary += f". All {len(features)} features together: AUC {fmt_ratio(together.get('auc'))} ({rows[-1][6]})"
        notes = []
        if facts.get("left_out"):
            notes.append(
                "Left out of the AUCs (too few customers in the sample): "
                + ", ".join(str(c) for c in facts["left_out"])
                + "."
            )
        tables.append(
            ContextTable(
                id=f"proxy-{_slug(str(attribute))}",
                heading=f"Features that reveal {attribute}, strongest first",
                summary=(summary + "." if summary else f"No feature was ranked for {attribute}.") + rule,
                columns=[
                    "rank",
                    "feature",
                    "kind",
                    "AUC",
                    "association (Cramér's V or η)",
                    "normalised mutual information",
                    "status",
                ],
                numeric=[True, False, False, True, True, True, False],
                rows=rows,
                notes=notes,
                methods=_methods(proxies),
            )
        )
    return tables


def context_tables(result: AuditResult) -> dict[str, list[ContextTable]]:
    """Every context table of the result by kind (``offer``, ``proxies``); empty kinds left out."""
    kinds = {"offer": offer_tables(result), "proxies": proxy_tables(result)}
    return {kind: tables for kind, tables in kinds.items() if tables}
