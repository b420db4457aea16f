"""Markdown rendering of an AuditResult (for pull requests and CI step summaries)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from equityaudit.report.context_tables import ContextTable, context_tables
from equityaudit.report.escaping import markdown_cell, markdown_code, markdown_text
from equityaudit.report.formatting import fmt_examples, fmt_p, fmt_pct, fmt_status_counts, number_or_none
from equityaudit.report.owner_summary import owner_summary
from equityaudit.report.tables import (
    ANY_FLIP,
    COUNTERFACTUAL_METRIC,
    TableLayout,
    cell,
    is_counterfactual,
    table_layout,
)
from equityaudit.report.vocabulary import in_results_words
from equityaudit.results import STATUSES, AuditResult, Finding, Table

__all__ = ["render_markdown"]

_BADGE = {
    "pass": "PASS",
    "warn": "WARN",
    "fail": "FAIL",
    "blocked": "BLOCKED",
    "inconclusive": "INCONCLUSIVE",
    "insufficient_data": "INSUFFICIENT DATA",
}


def _num(value: Any, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _interval(low: Any, high: Any, *, percent: bool = False) -> str:
    if low is None or high is None:
        return "—"
    return f"{fmt_pct(low)}–{fmt_pct(high)}" if percent else f"{low:.3f}–{high:.3f}"


_cell = markdown_cell
_text = markdown_text


@in_results_words
def render_markdown(result: AuditResult, *, marker: str = "") -> str:
    """The result as a Markdown document: verdict, the owner's summary, findings, tables, gate, notes."""
    lines = [marker] if marker else []
    audit, data = result.audit, result.data
    lines += [
        f"# {_cell(audit.name)}: {_BADGE[result.verdict]}",
        "",
        _text(" ".join(owner_summary(result))),
        "",
        f"- **Auditor:** {_cell(audit.auditor)}"
        + (
            f" (standard {_cell(audit.standard.id)}@{_cell(audit.standard.version)})"
            if audit.standard
            else ""
        ),
        f"- **Data:** {markdown_code(data.source)}, {data.rows} rows, {_cell(data.kind)} data"
        + (f" ({_cell(data.test_data_reason)})" if data.test_data_reason else ""),
        f"- **Audit date:** {audit.date.isoformat()}; equityaudit {_cell(result.tool.version)}",
    ]
    if data.query is not None:
        lines.append(
            f"- **Query:** {markdown_code(' '.join(data.query.split()))} ({_cell(data.engine or 'duckdb')})"
        )
    if data.period:
        lines.append(f"- **Data period:** {_cell(data.period['start'])} to {_cell(data.period['end'])}")
    for named in data.groups:
        lines.append(f"- **Named groups:** {_cell(named.description)} ({_cell(named.source)})")
    if data.sample is not None:
        lines.append(f"- **Sample:** {_cell(data.sample.sentence())}")
    if data.model is not None:
        lines.append(f"- **Model:** {_cell(data.model.description)} (sha256 `{data.model.sha256[:12]}`)")
    lines += ["", "## Findings", ""]
    if result.verdict == "blocked":
        lines.append("The quality gate blocked this audit; no findings were computed. See the gate below.")
    elif not result.findings:
        lines.append("No comparisons were made.")
    else:
        lines.append(fmt_status_counts(f.status for f in result.findings))
        lines += [
            "",
            "| status | table | group | metric | value | 95% CI | adj. p | what it means |",
            "|---|---|---|---|---:|---|---:|---|",
        ]
        for f in sorted(result.findings, key=lambda f: STATUSES.index(f.status)):
            lines.append(
                f"| {_BADGE[f.status]} | {_cell(f.table)} | {_cell(', '.join(f.group.values()))} | {_cell(f.metric)} "
                f"| {_num(f.value)} | {_interval(f.ci_low, f.ci_high)} | {fmt_p(f.p_adjusted)} "
                f"| {_cell(f.message, code_spans=True)} |"
            )
    lines += _examples(result)
    for table in result.tables:
        lines += ["", *_table(table, result.findings)]
    headings = {
        "offer": "Offer value by group",
        "proxies": "Proxies: how well each feature reveals a group",
    }
    for kind, tables in context_tables(result).items():
        lines += ["", f"## {headings[kind]}"]
        for context_table in tables:
            lines += ["", *_context_table(context_table)]
    lines += ["", "## Quality gate", "", _gate_summary(result), ""]
    if result.gate.checks:
        lines += [
            "| result | check | column | unexpected | examples | what was found, and how to fix it |",
            "|---|---|---|---:|---|---|",
        ]
        for check in sorted(result.gate.checks, key=lambda c: c.passed):  # failed checks first
            unexpected = ""
            if check.unexpected_count is not None and (check.unexpected_count or not check.passed):
                share = "" if check.unexpected_percent is None else f" ({check.unexpected_percent:.3g}%)"
                unexpected = f"{check.unexpected_count}{share}"
            examples = fmt_examples(check.unexpected_values) if check.unexpected_values else ""
            lines.append(
                f"| {'pass' if check.passed else '**FAIL**'} | {_cell(check.name)} | {_cell(check.column or '(table)')} "
                f"| {unexpected} | {_cell(examples)} | {_cell(check.message, code_spans=True)} |"
            )
    if result.notes:
        lines += ["", "## Notes", ""] + [f"- {_text(note, code_spans=True)}" for note in result.notes]
    lines += ["", f"<sub>Result schema {result.schema_}; result sha256 `{result.sha256}`.</sub>", ""]
    return "\n".join(lines)


def _gate_summary(result: AuditResult) -> str:
    gate = result.gate
    failed = sum(not c.passed for c in gate.checks)
    if not failed:
        return f"Passed: all {len(gate.checks)} checks."
    if not gate.passed:
        if gate.mode == "warn":
            return (
                f"**FAILED** {failed} of {len(gate.checks)} checks; the audit ran anyway (`--gate warn`): "
                "each failed check counts as a warning, and the numbers may be wrong where they failed."
            )
        return f"**BLOCKED**: {failed} of {len(gate.checks)} checks failed, so the audit did not run."
    return (
        f"Passed, with {failed} failed check(s) of severity warning or info: they do not block the "
        "audit and count as warnings."
    )


def _table(table: Table, findings: Sequence[Finding]) -> list[str]:
    if table.name.startswith("sweep:"):
        return _sweep_table(table)
    if table.name.startswith("stratified:"):
        return _stratified_table(table)
    if is_counterfactual(table):
        return _counterfactual_table(table, findings)
    layout = table_layout(table)
    if layout.title:
        return _model_table(table, layout)
    metric = table.metric
    reference = _cell(", ".join(table.reference.values())) if table.reference else "—"
    lines = [
        f"### {_cell(table.name)}: {_cell(metric.replace('_', ' '))}",
        "",
        f"Reference group: **{reference}**. Intervals: {_cell(table.methods.get('rate_ci', ''))}; "
        f"ratios: {_cell(table.methods.get('ratio_ci', ''))}.",
        "",
        "| group | n | rate | 95% CI | ratio | 95% CI | shortfall | note |",
        "|---|---:|---:|---|---:|---|---:|---|",
    ]
    for row in table.rows:
        lines.append(
            f"| {_cell(', '.join(row['group'].values()))} | {row['n']} | {fmt_pct(row.get(metric))} "
            f"| {_interval(row.get(f'{metric}_ci_low'), row.get(f'{metric}_ci_high'), percent=True)} "
            f"| {_num(row.get(f'{metric}_ratio'))} | {_interval(row.get(f'{metric}_ratio_ci_low'), row.get(f'{metric}_ratio_ci_high'))} "
            f"| {'—' if row.get('shortfall') is None else int(row['shortfall'])} | {_cell(row.get('note') or '')} |"
        )
    chi = table.tests.get("chi_square")
    # a stored result may be hand-edited: the sentence is printed only when all three numbers are there
    if isinstance(chi, dict) and all(
        number_or_none(chi.get(k)) is not None for k in ("statistic", "dof", "p_value")
    ):
        lines += [
            "",
            f"Chi-square across compared groups: χ² = {chi['statistic']:.2f}, df = {chi['dof']}, p = {fmt_p(chi['p_value'])}.",
        ]
    lines += [f"> {_text(note, code_spans=True)}" for note in table.notes]
    return lines


def _sweep_table(table: Table) -> list[str]:
    """A model's threshold sweep: each group's selection rate and impact ratio at each cut-off."""
    accuracy = any("accuracy" in row for row in table.rows)
    lines = [
        f"### {_cell(table.name)}: threshold sweep",
        "",
        f"{_cell((table.subject or '').capitalize())}. Impact ratio: "
        f"{_cell(table.methods.get('impact_ratio', ''))}. Descriptive: not judged.",
        "",
        "| group | cut-off | n | selected | rate | impact ratio |"
        + (" accuracy |" if accuracy else "")
        + " compared |",
        "|---|---:|---:|---:|---:|---:|" + ("---:|" if accuracy else "") + "---|",
    ]
    for row in table.rows:
        lines.append(
            f"| {_cell(', '.join(row['group'].values()))} | {row['cut_off']:g} | {row['n']} | {row['selected']} "
            f"| {fmt_pct(row.get('selection_rate'))} | {_num(row.get('impact_ratio'))} |"
            + (f" {fmt_pct(row.get('accuracy'))} |" if accuracy else "")
            + f" {'yes' if row.get('compared') else 'no'} |"
        )
    lines += [f"> {_text(note, code_spans=True)}" for note in table.notes]
    return lines


def _stratified_table(table: Table) -> list[str]:
    """A pooled audit's comparisons combined across members (Mantel–Haenszel), beside the summed ratio
    (a table of scoring rates, which do not add up across members, has no summed ratio)."""
    reference = _cell(", ".join(table.reference.values())) if table.reference else "—"
    summed = any("summed_ratio" in row for row in table.rows)
    lines = [
        f"### {_cell(table.name)}: members as strata",
        "",
        f"Against **{reference}**. {_cell(table.methods.get('stratified_ratio', ''))}; homogeneity: "
        f"{_cell(table.methods.get('homogeneity_p_value', ''))}. Descriptive: not judged.",
        "",
        "| group | members |"
        + (" summed ratio |" if summed else "")
        + " stratified ratio | 95% CI | p (CMH) | p (homogeneity) |"
        + (" conclusions differ |" if summed else ""),
        "|---|---:|" + ("---:|" if summed else "") + "---:|---|---:|---:|" + ("---|" if summed else ""),
    ]
    for row in table.rows:
        differ = row.get("conclusions_differ")
        members = row.get("members")
        lines.append(
            f"| {_cell(', '.join(row['group'].values()))} | {'—' if members is None else members} |"
            + (f" {_num(row.get('summed_ratio'))} |" if summed else "")
            + f" {_num(row.get('stratified_ratio'))} "
            f"| {_interval(row.get('stratified_ratio_ci_low'), row.get('stratified_ratio_ci_high'))} "
            f"| {fmt_p(row.get('cmh_p_value'))} | {fmt_p(row.get('homogeneity_p_value'))} |"
            + (f" {'—' if differ is None else 'yes' if differ else 'no'} |" if summed else "")
        )
    lines += [f"> {_text(note, code_spans=True)}" for note in table.notes]
    return lines


def _counterfactual_table(table: Table, findings: Sequence[Finding]) -> list[str]:
    """A model's counterfactual sensitivity: per group, the decisions changed under any flip
    (judged: its finding's status) and under each value flipped to (described)."""
    status = {tuple(f.group.values()): f.status for f in findings if f.table == table.name}
    lines = [
        f"### {_cell(table.name)}: counterfactual sensitivity",
        "",
        f"{_cell((table.subject or '').capitalize())}, by {_cell(', '.join(table.by))}. "
        f"{_cell(table.methods.get('counterfactual', ''))}. Intervals: {_cell(table.methods.get('rate_ci', ''))}; "
        "the rows under any other value are judged.",
        "",
        "| group | flipped to | n | changed | share | 95% CI | status | note |",
        "|---|---|---:|---:|---:|---|---|---|",
    ]
    for row in table.rows:
        judged = row.get("flip_to") == ANY_FLIP
        shown = status.get(tuple(row["group"].values()), "—") if judged else "not judged"
        lines.append(
            f"| {_cell(', '.join(row['group'].values()))} | {_cell(str(row.get('flip_to', '')))} | {row['n']} "
            f"| {row['changed']} | {fmt_pct(row.get(COUNTERFACTUAL_METRIC))} "
            f"| {_interval(row.get(f'{COUNTERFACTUAL_METRIC}_ci_low'), row.get(f'{COUNTERFACTUAL_METRIC}_ci_high'), percent=True)} "
            f"| {_cell(shown)} | {_cell(row.get('note') or '')} |"
        )
    lines += [f"> {_text(note, code_spans=True)}" for note in table.notes]
    return lines


def _model_table(table: Table, layout: TableLayout) -> list[str]:
    """A model's descriptive table (shortlists, quality by group, calibration), its columns as the HTML report shows them."""
    methods = "; ".join(f"{key}: {value}" for key, value in sorted(table.methods.items()))
    lines = [
        f"### {_cell(table.name)}: {layout.title}",
        "",
        f"{_cell((table.subject or '').capitalize())}. Descriptive: not judged.",
        "",
        "| group | " + " | ".join(_cell(c.header) for c in layout.columns) + " | note |",
        "|---|" + "".join("---|" if c.kind in ("text", "bin") else "---:|" for c in layout.columns) + "---|",
    ]
    for row in table.rows:
        group = row.get("group")
        name = ", ".join(map(str, group.values())) if isinstance(group, dict) else str(group)
        cells = " | ".join(_cell(cell(row, c)) for c in layout.columns)
        lines.append(f"| {_cell(name)} | {cells} | {_cell(str(row.get('note') or ''))} |")
    lines += ["", f"Methods: {_cell(methods, code_spans=True)}."] if methods else []
    lines += [f"> {_text(note, code_spans=True)}" for note in table.notes]
    return lines


def _context_table(table: ContextTable) -> list[str]:
    """A table the auditor keeps in the result's context, under its heading and summary sentence."""
    lines = [
        f"### {_cell(table.heading)}",
        "",
        _text(table.summary, code_spans=True),
        "",
        "| " + " | ".join(_cell(c) for c in table.columns) + " |",
        "|" + "|".join("---:" if numeric else "---" for numeric in table.numeric) + "|",
    ]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows]
    lines += [f"> {_text(note, code_spans=True)}" for note in table.notes]
    if table.methods:
        lines += ["", f"Methods: {_cell(table.methods, code_spans=True)}."]
    return lines


def _examples(result: AuditResult) -> list[str]:
    """The example rows behind each failed or warned finding (the chatbot's utterances, or ids)."""
    flagged = [f for f in result.findings if f.status in ("fail", "warn") and f.details.get("examples")]
    if not flagged:
        return []
    lines = ["", "### Examples behind the flagged findings", ""]
    for finding in flagged:
        lines.append(f"- **{_cell(finding.id)}**")
        for example in finding.details["examples"]:
            if isinstance(example, dict):
                text = "; ".join(f"{key.replace('_', ' ')}: {value}" for key, value in example.items())
            else:
                text = str(example)
            lines.append(f"  - {_text(text)}")
    return lines
