"""The NYC Local Law 144 public summary (6 RCNY §5-303) as Markdown, CSV and HTML.

The summary of a bias audit must be published with: the date of the most recent bias audit, the
source and explanation of the data, the number of individuals in an unknown category, the number
of applicants or candidates, the selection or scoring rates and impact ratios for all
categories, and the distribution date of the tool. Every figure comes from the stored result.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from equityaudit.errors import ResultError
from equityaudit.report.escaping import csv_cell, html_text, markdown_cell, markdown_code, markdown_text
from equityaudit.report.formatting import fmt_pct, fmt_ratio
from equityaudit.results import AuditResult

__all__ = [
    "LL144_CSV_COLUMNS",
    "ll144_rows",
    "render_ll144_csv",
    "render_ll144_html",
    "render_ll144_markdown",
]

LL144_CSV_COLUMNS = (
    "audit_name",
    "audit_date",
    "distribution_date",
    "data_kind",
    "data_period_start",
    "data_period_end",
    "table",
    "category",
    "applicants",
    "selected",
    "rate_type",
    "rate",
    "impact_ratio",
    "included_in_impact_ratios",
    "note",
    "data_source",
    "data_description",
    "test_data_reason",
)
"""Columns of the LL144 summary CSV (a stable contract: new columns are only ever appended, so a
reader that takes columns by position keeps working)."""


_NOT_STATED = "not stated in the spec"

_FACT_OF_KEY = {
    "options.distribution_date": "the distribution date of the tool",
    "data.kind": "whether historical or test data was audited",
}


def _data_kind(block: dict[str, Any]) -> str | None:
    """``historical`` or ``test`` when the spec said so; None when it left data.kind at its default."""
    return block.get("data_kind") if block.get("data_kind_stated", True) else None


def _disclosures(result: AuditResult) -> dict[str, Any]:
    block = result.context.get("ll144")
    if not isinstance(block, dict):
        raise ResultError(
            f"result {result.audit.name!r} (auditor {result.audit.auditor!r}) has no LL144 disclosures; "
            "the ll144 summary needs a result of the hiring auditor."
        )
    return block


def _summary_tables(result: AuditResult) -> list[Any]:
    """The selection-rate (or scoring-rate) tables by sex, race/ethnicity and their intersection."""
    return [t for t in result.tables if ":" not in t.name or t.name.startswith("scoring:")]


def _in_attribute_order(by_attribute: dict[str, Any], result: AuditResult) -> dict[str, Any]:
    """A mapping keyed by sensitive attribute, in the order the audit's tables list the attributes
    (the spec's order), not the sorted order of the stored JSON."""
    order = list(dict.fromkeys(a for t in _summary_tables(result) for a in t.by))
    return {
        **{a: by_attribute[a] for a in order if a in by_attribute},
        **{a: v for a, v in by_attribute.items() if a not in order},
    }


def ll144_rows(result: AuditResult) -> list[dict[str, Any]]:
    """One row per category of every summary table, with the columns of :data:`LL144_CSV_COLUMNS`."""
    block = _disclosures(result)
    period = block.get("data_period") or {}
    rows = []
    for table in _summary_tables(result):
        for row in table.rows:
            rows.append(
                {
                    "audit_name": result.audit.name,
                    "audit_date": block.get("audit_date"),
                    "distribution_date": block.get("distribution_date"),
                    "data_kind": _data_kind(block) or _NOT_STATED,
                    "data_period_start": period.get("start"),
                    "data_period_end": period.get("end"),
                    "data_source": result.data.source,
                    "data_description": block.get("data_description"),
                    "test_data_reason": block.get("test_data_reason"),
                    "table": table.name,
                    "category": ", ".join(row["group"].values()),
                    "applicants": row["n"],
                    "selected": row.get(table.numerator),
                    "rate_type": table.metric,
                    "rate": row.get(table.metric),
                    "impact_ratio": row.get("impact_ratio"),
                    "included_in_impact_ratios": not row.get("excluded", False),
                    "note": row.get("note") or "",
                }
            )
    return rows


def render_ll144_csv(result: AuditResult) -> str:
    """The summary as CSV, one row per category; no cell a spreadsheet would evaluate as a formula
    (:func:`~equityaudit.report.escaping.csv_cell`)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=LL144_CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in ll144_rows(result):
        writer.writerow({k: "" if v is None else csv_cell(v) for k, v in row.items()})
    return buffer.getvalue()


def _facts(result: AuditResult) -> list[tuple[str, str]]:
    block = _disclosures(result)
    period = block.get("data_period")
    unknown = _in_attribute_order(block.get("unknown_count") or {}, result)
    kind = _data_kind(block)
    if kind is None:
        source = f"historical or test data: {_NOT_STATED} (data.kind)"
    else:
        source = f"{kind} data" + (
            f" (test data used because: {block.get('test_data_reason')})" if kind == "test" else ""
        )
    distribution = block.get("distribution_date") or f"{_NOT_STATED} (options.distribution_date)"
    facts = [
        ("Date of this bias audit", str(block.get("audit_date") or "—")),
        ("Distribution date of the tool", str(distribution)),
        ("Data", f"{source}; {block.get('data_description') or 'no description given'}"),
        ("Data source", result.data.source),
        ("Data period", f"{period['start']} to {period['end']}" if period else "not stated"),
        ("Number of applicants", str(block.get("applicants"))),
        (
            "Applicants in an unknown category (not included in the rates' comparisons)",
            "; ".join(f"{column}: {count}" for column, count in unknown.items()) or "0",
        ),
        (
            "Rate used",
            "selection rate"
            if block.get("metric") == "selection_rate"
            else "selection rate as the share NOT receiving the decision (columns.decision.favourable: false)"
            if block.get("metric") == "favourable_rate"
            else f"scoring rate (share scoring above the median, {block.get('median_score')})",
        ),
    ]
    small = _small_categories(block)
    justification = block.get("exclusion_justification")
    if justification:
        facts.append(
            (
                "Categories under 2 % left out of impact ratios",
                f"{small or 'none in this data'}. Justification given: {justification}",
            )
        )
    elif small:
        facts.append(
            (
                "Categories under 2 % (included in impact ratios: the spec gives no justification for "
                "leaving them out)",
                small,
            )
        )
    return facts


def _small_categories(block: dict[str, Any]) -> str:
    """The categories under 2 %, each with its share, in the order of their tables' attributes."""
    listed = []
    for item in block.get("small_categories") or []:
        group = item.get("group") or {}
        order = str(item.get("table") or "").removeprefix("scoring:").split("*")
        values = [str(group[k]) for k in order if k in group] + [
            str(v) for k, v in group.items() if k not in order
        ]
        listed.append(f"{', '.join(values)} ({100 * float(item.get('share') or 0):.2f}%)")
    return "; ".join(listed)


def _incomplete(block: dict[str, Any]) -> str | None:
    """A warning when the spec left §5-303 facts unsaid, naming the keys that would state them."""
    unstated = [key for key in block.get("unstated") or [] if key in _FACT_OF_KEY]
    if not unstated:
        return None
    facts = " and ".join(_FACT_OF_KEY[key] for key in unstated)
    return (
        f"Warning: this summary is incomplete. 6 RCNY §5-303 requires {facts}, which the audit's spec does "
        f"not state; set {', '.join(unstated)} and run the audit again."
    )


def render_ll144_markdown(result: AuditResult, *, marker: str = "") -> str:
    """The summary as Markdown."""
    lines = [marker] if marker else []
    lines += [f"# Summary of results of a bias audit: {markdown_cell(result.audit.name)}", ""]
    warning = _incomplete(_disclosures(result))
    if warning:
        lines += [f"> **{markdown_cell(warning)}**", ""]
    lines += [f"- **{markdown_cell(label)}:** {markdown_cell(value)}" for label, value in _facts(result)]
    for table in _summary_tables(result):
        title = f"{table.name.removeprefix('scoring:')}: {table.metric.replace('_', ' ')}"
        lines += [
            "",
            f"## {markdown_cell(title)}",
            "",
            "| category | applicants | rate | impact ratio | note |",
            "|---|---:|---:|---:|---|",
        ]
        for row in table.rows:
            lines.append(
                f"| {markdown_cell(', '.join(row['group'].values()))} | {row['n']} "
                f"| {fmt_pct(row.get(table.metric))} | {fmt_ratio(row.get('impact_ratio'))} "
                f"| {markdown_cell((row.get('note') or '').replace('|', '/'))} |"
            )
    lines += [
        "",
        f"Produced by equityaudit {markdown_text(result.tool.version)}; result sha256 "
        f"{markdown_code(result.sha256)}.",
        "",
    ]
    return "\n".join(lines)


def render_ll144_html(result: AuditResult, *, marker: str = "") -> str:
    """The summary as a small self-contained HTML page."""
    e = html_text
    parts = [
        "<!DOCTYPE html>",
        marker,
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Bias audit summary: {e(result.audit.name)}</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;color:#1a1a1a}"
        "table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{border:1px solid #bbb;padding:.3rem .5rem;"
        "text-align:left}td.n{text-align:right}.wrap{overflow-x:auto}dt{font-weight:600}dd{margin:0 0 .5rem 0}</style>",
        f"</head><body><h1>Summary of results of a bias audit: {e(result.audit.name)}</h1>",
    ]
    warning = _incomplete(_disclosures(result))
    if warning:
        parts.append(f'<p role="note"><strong>{e(warning)}</strong></p>')
    parts.append("<dl>")
    parts += [f"<dt>{e(label)}</dt><dd>{e(value)}</dd>" for label, value in _facts(result)]
    parts.append("</dl>")
    for table in _summary_tables(result):
        parts.append(
            f"<h2>{e(table.name.removeprefix('scoring:'))}: {e(table.metric.replace('_', ' '))}</h2>"
        )
        parts.append(
            '<div class="wrap"><table><thead><tr><th scope="col">category</th><th scope="col">applicants</th>'
            '<th scope="col">rate</th><th scope="col">impact ratio</th><th scope="col">note</th></tr></thead><tbody>'
        )
        for row in table.rows:
            parts.append(
                f"<tr><td>{e(', '.join(row['group'].values()))}</td><td class='n'>{e(row['n'])}</td>"
                f"<td class='n'>{fmt_pct(row.get(table.metric))}</td><td class='n'>{fmt_ratio(row.get('impact_ratio'))}</td>"
                f"<td>{e(row.get('note') or '')}</td></tr>"
            )
        parts.append("</tbody></table></div>")
    parts.append(
        f"<p><small>Produced by equityaudit {e(result.tool.version)}; result sha256 "
        f"<code>{e(result.sha256)}</code>.</small></p></body></html>"
    )
    return "\n".join(p for p in parts if p) + "\n"
