"""The NYC Local Law 144 public summary (6 RCNY §5-303) as Markdown, CSV and HTML.

The summary of a bias audit must be published with: the date of the most recent bias audit, the
source and explanation of the data, the number of individuals in an unknown category, the number
of applicants or candidates, the selection or scoring rates and impact ratios for all
categories, and the distribution date of the tool. Every figure comes from the stored result.
"""

from __future__ import annotations

import csv
import html
import io
from typing import Any

from equityaudit.errors import ResultError
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
)
"""Columns of the LL144 summary CSV (a stable contract)."""


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
                    "data_kind": block.get("data_kind"),
                    "data_period_start": period.get("start"),
                    "data_period_end": period.get("end"),
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
    """The summary as CSV, one row per category."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=LL144_CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in ll144_rows(result):
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buffer.getvalue()


def _facts(result: AuditResult) -> list[tuple[str, str]]:
    block = _disclosures(result)
    period = block.get("data_period")
    unknown = block.get("unknown_count") or {}
    kind = block.get("data_kind")
    source = f"{kind} data" + (
        f" (test data used because: {block.get('test_data_reason')})" if kind == "test" else ""
    )
    return [
        ("Date of this bias audit", str(block.get("audit_date") or "—")),
        ("Distribution date of the tool", str(block.get("distribution_date") or "not stated")),
        ("Data", f"{source}; {block.get('data_description') or result.data.source}"),
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
            else f"scoring rate (share scoring above the median, {block.get('median_score')})",
        ),
    ]


def render_ll144_markdown(result: AuditResult, *, marker: str = "") -> str:
    """The summary as Markdown."""
    lines = [marker] if marker else []
    lines += [f"# Summary of results of a bias audit: {result.audit.name}", ""]
    lines += [f"- **{label}:** {value}" for label, value in _facts(result)]
    justification = _disclosures(result).get("exclusion_justification")
    if justification:
        lines.append(f"- **Categories under 2 % left out of impact ratios:** {justification}")
    for table in _summary_tables(result):
        lines += [
            "",
            f"## {table.name.removeprefix('scoring:')}: {table.metric.replace('_', ' ')}",
            "",
            "| category | applicants | rate | impact ratio | note |",
            "|---|---:|---:|---:|---|",
        ]
        for row in table.rows:
            lines.append(
                f"| {', '.join(row['group'].values())} | {row['n']} | {fmt_pct(row.get(table.metric))} "
                f"| {fmt_ratio(row.get('impact_ratio'))} | {(row.get('note') or '').replace('|', '/')} |"
            )
    lines += ["", f"Produced by equityaudit {result.tool.version}; result sha256 `{result.sha256}`.", ""]
    return "\n".join(lines)


def render_ll144_html(result: AuditResult, *, marker: str = "") -> str:
    """The summary as a small self-contained HTML page."""
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        marker,
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Bias audit summary: {e(result.audit.name)}</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;color:#1a1a1a}"
        "table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{border:1px solid #bbb;padding:.3rem .5rem;"
        "text-align:left}td.n{text-align:right}.wrap{overflow-x:auto}dt{font-weight:600}dd{margin:0 0 .5rem 0}</style>",
        f"</head><body><h1>Summary of results of a bias audit: {e(result.audit.name)}</h1><dl>",
    ]
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
                f"<tr><td>{e(', '.join(row['group'].values()))}</td><td class='n'>{row['n']}</td>"
                f"<td class='n'>{fmt_pct(row.get(table.metric))}</td><td class='n'>{fmt_ratio(row.get('impact_ratio'))}</td>"
                f"<td>{e(row.get('note') or '')}</td></tr>"
            )
        parts.append("</tbody></table></div>")
    parts.append(
        f"<p><small>Produced by equityaudit {e(result.tool.version)}; result sha256 "
        f"<code>{result.sha256}</code>.</small></p></body></html>"
    )
    return "\n".join(p for p in parts if p) + "\n"
