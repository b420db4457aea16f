"""The terminal summary of one audit: groups, rates, ratios, intervals and the verdict (rich).

Text from the result (names, labels, messages) is printed as a rich ``Text`` made by
:func:`~equityaudit.report.escaping.terminal_text`, never as console markup: a label
``[bold red]x[/]`` is shown as written.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.console import Console, JustifyMethod
from rich.table import Table as RichTable
from rich.text import Text

from equityaudit.report.escaping import terminal_text
from equityaudit.report.formatting import fmt_p, fmt_pct, fmt_status_counts
from equityaudit.report.owner_summary import owner_summary
from equityaudit.report.tables import ANY_FLIP, COUNTERFACTUAL_METRIC, is_counterfactual
from equityaudit.results import AuditResult, Check, Finding, Gate, Table

__all__ = ["print_gate", "print_summary"]

_STYLE = {
    "pass": "green",
    "warn": "yellow",
    "fail": "bold red",
    "blocked": "bold magenta",
    "inconclusive": "blue",
    "insufficient_data": "cyan",
    "reference": "bold",
    "": "",
}

_LEFT_OUT = {"unknown": "unknown: not compared", "small_category": "under 2%: not compared"}


def _interval(low: float | None, high: float | None, *, percent: bool) -> str:
    if low is None or high is None:
        return ""
    return f"{fmt_pct(low)}–{fmt_pct(high)}" if percent else f"{low:.2f}–{high:.2f}"


_NAME_WIDTH = 18
"""Widest a group name's longest word keeps the group column before the name folds mid-word."""


def summary_console() -> Console:
    """The console summaries print to: the terminal's width, or 120 columns in a log or pipe (which
    has no width of its own; ``COLUMNS`` still decides when set)."""
    import os
    import sys

    piped = not sys.stdout.isatty() and "COLUMNS" not in os.environ
    return Console(highlight=False, width=120 if piped else None)


def _add_columns(view: RichTable, columns: Sequence[tuple[str, JustifyMethod]], table: Table) -> None:
    """A summary table's columns: a group name is never cut with an ellipsis (it keeps room for its
    longest word, up to a limit, and wraps between words); the numbers keep one line each."""
    for heading, justify in columns:
        view.add_column(
            heading,
            justify=justify,
            overflow="fold",
            no_wrap=heading not in ("group", "status"),
            min_width=_name_width(table) if heading == "group" else None,
        )


def _name_width(table: Table) -> int:
    words = [len(word) for row in table.rows for word in ", ".join(row["group"].values()).split()]
    return min(max(words, default=5), _NAME_WIDTH)


def print_summary(result: AuditResult, written: list[Path], *, console: Console | None = None) -> None:
    """Print the primary tables, the other problems found, and the verdict."""
    console = console or summary_console()
    findings = {(f.table, tuple(f.group.values())): f for f in result.findings if f.kind == "ratio"}
    console.rule(
        Text.assemble(
            terminal_text(result.audit.name, "bold"),
            terminal_text(f" · {result.audit.auditor} · {result.data.rows} rows"),
            style="rule.text",  # what rich gives a title written as markup
        )
    )
    console.print(terminal_text(f"data: {result.data.source}", "dim"))
    for named in result.data.groups:
        console.print(terminal_text(f"groups: {named.description}", "dim"))
    primary = [t for t in result.tables if ":" not in t.name]
    for table in primary:
        console.print(_rich_table(table, findings))
    flips = [t for t in result.tables if is_counterfactual(t)]
    for table in flips:
        console.print(_flip_table(table, result.findings))
    shown = {t.name for t in [*primary, *flips]}
    others = [
        f
        for f in result.findings
        if f.table not in shown or (f.kind != "ratio" and f.metric != COUNTERFACTUAL_METRIC)
    ]
    flagged = [f for f in others if f.status in ("fail", "warn")]
    if flagged:
        console.print(f"[bold]Other findings ({len(others)}; {len(flagged)} flagged):[/]")
        for finding in flagged:
            console.print(
                terminal_text(
                    f"  {finding.status.upper():5} {finding.table}: {finding.message}",
                    _STYLE[finding.status],
                )
            )
    if result.gate.checks and not all(c.passed for c in result.gate.checks):
        print_gate(result.gate, console=console)
    for note in result.notes:
        console.print(terminal_text(f"note: {note}", "dim"))
    ll144 = result.context.get("ll144")
    unstated = ll144.get("unstated") if isinstance(ll144, dict) else None
    if unstated:
        console.print(
            terminal_text(
                f"warning: the LL144 summary (6 RCNY §5-303) is incomplete: {', '.join(unstated)} not stated "
                "in the spec",
                _STYLE["warn"],
            )
        )
    counts = status_counts(result)
    if result.verdict != "blocked":  # the audit ran: each failed gate check is one of its warnings
        gate_warnings = sum(not check.passed for check in result.gate.checks)
        if gate_warnings:
            counts += (
                f"{', ' if counts else ''}{gate_warnings} gate warning{'s' if gate_warnings > 1 else ''}"
            )
    console.print(
        Text.assemble(
            ("Verdict: ", "bold"),
            (result.verdict.upper(), _STYLE[result.verdict]),
            f"  ({counts or 'no comparisons'})",
        )
    )
    console.print(terminal_text(" ".join(owner_summary(result))))
    if written:
        console.print(terminal_text("Wrote " + ", ".join(str(p) for p in written)))


def status_counts(result: AuditResult) -> str:
    """A result's findings counted by status, worst first: ``9 fail, 5 warn, 16 inconclusive``."""
    return fmt_status_counts(f.status for f in result.findings)


def print_run_total(results: list[AuditResult], *, console: Console | None = None) -> None:
    """After several audits: one line per audit (name, verdict, findings by status) and a total.

    Examples
    --------
    >>> print_run_total([])  # nothing to sum up
    """
    if not results:
        return
    console = console or summary_console()
    console.rule(f"[bold]{len(results)} audits[/]")
    width = max(len(r.audit.name) for r in results)
    for result in results:
        console.print(
            Text.assemble(
                terminal_text(f"{result.audit.name:<{width}}  "),
                (f"{result.verdict.upper():<7}", _STYLE[result.verdict]),
                f"  {status_counts(result) or 'no comparisons'}",
            )
        )
    verdicts = [r.verdict for r in results]
    order = ("blocked", "fail", "warn", "pass")
    total = ", ".join(f"{verdicts.count(v)} {v}" for v in order if v in verdicts)
    console.print(Text(f"Total: {len(results)} audits: {total}", style="bold"))


def print_gate(gate: Gate, *, console: Console, every_check: bool = False) -> None:
    """The quality gate in one line, then a table of its failed checks (or of every check) and what to fix."""
    failed = [c for c in gate.checks if not c.passed]
    if not failed:
        console.print(Text(f"Quality gate: passed ({len(gate.checks)} checks)", style=_STYLE["pass"]))
    else:
        if gate.passed:
            state, style = "passed, with warnings (the failed checks do not block)", _STYLE["warn"]
        elif gate.mode == "warn":
            state, style = (
                "FAILED; the audit ran anyway (--gate warn), each failed check a warning",
                _STYLE["warn"],
            )
        else:
            state, style = "BLOCKED; the audit did not run", _STYLE["blocked"]
        console.print(
            Text.assemble(
                ("Quality gate: ", "bold"),
                (state, style),
                f"  ({len(failed)} of {len(gate.checks)} checks failed)",
            )
        )
    shown = gate.checks if every_check else failed
    if shown:
        console.print(_gate_table(shown))


def _gate_table(checks: list[Check]) -> RichTable:
    view = RichTable(header_style="bold", pad_edge=False, box=None, show_edge=False)
    view.add_column("", no_wrap=True)
    view.add_column("column", overflow="fold", max_width=24)
    view.add_column("rows", justify="right", no_wrap=True)
    view.add_column("check: what is wrong, and how to fix it", ratio=1)
    for check in checks:
        rows = ""
        if check.unexpected_count is not None and (check.unexpected_count or not check.passed):
            share = "" if check.unexpected_percent is None else f" ({_share(check.unexpected_percent)})"
            rows = f"{check.unexpected_count}{share}"
        view.add_row(
            Text("ok", style=_STYLE["pass"]) if check.passed else Text("FAIL", style=_STYLE["fail"]),
            terminal_text(check.column or "(table)"),
            rows,
            Text.assemble(terminal_text(check.name, "dim"), "\n", terminal_text(check.message)),
        )
    return view


def _share(percent: float) -> str:
    return f"{percent:.2g}%" if 0 < percent < 0.1 else f"{percent:.1f}%"


def _flip_table(table: Table, findings: list[Finding]) -> RichTable:
    """A model's counterfactual table, its judged rows only: per group, the share of decisions that
    change under some flip of the column (the reports show each value flipped to as well)."""
    judged = {tuple(f.group.values()): f for f in findings if f.table == table.name}
    view = RichTable(
        title=terminal_text(f"{table.name}: {table.subject or 'counterfactual sensitivity'}", "table.title"),
        title_justify="left",
        header_style="bold",
        pad_edge=False,
        box=None,
    )
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("group", "left"),
        ("n", "right"),
        ("changed", "right"),
        ("share", "right"),
        ("95% CI", "left"),
        ("adj. p", "right"),
        ("status", "left"),
    )
    _add_columns(view, columns, table)
    metric = COUNTERFACTUAL_METRIC
    for row in table.rows:
        if row.get("flip_to") != ANY_FLIP:
            continue
        finding = judged.get(tuple(row["group"].values()))
        status = (
            finding.status if finding is not None else ("unknown: not judged" if row.get("excluded") else "")
        )
        p_adjusted = finding.p_adjusted if finding else None
        view.add_row(
            terminal_text(", ".join(row["group"].values())),
            str(row["n"]),
            str(row["changed"]),
            fmt_pct(row.get(metric)),
            _interval(row.get(f"{metric}_ci_low"), row.get(f"{metric}_ci_high"), percent=True),
            "" if p_adjusted is None else fmt_p(p_adjusted, digits=2),
            Text(status.replace("_", " "), style=_STYLE.get(status, "dim")),
        )
    return view


def _rich_table(table: Table, findings: dict[tuple[str, tuple[str, ...]], Finding]) -> RichTable:
    metric = table.metric
    reference = ", ".join(table.reference.values()) if table.reference else "—"
    view = RichTable(
        title=terminal_text(
            f"{table.name}: {metric.replace('_', ' ')} (reference: {reference})", "table.title"
        ),
        title_justify="left",
        header_style="bold",
        pad_edge=False,
        box=None,
    )
    # the group's own count: the rate's denominator, unless that is one total shared by every row
    # (a share of the axis' mentions, of a segment): then the numerator, which differs by group.
    # A rate per person (denominator n, or a stage's reached_*) keeps its own size even when every
    # group happens to be equally large.
    totals = {row.get(table.denominator) for row in table.rows}
    shared = table.denominator != "n" and not table.denominator.startswith("reached_")
    count = (
        table.numerator
        if shared and len(table.rows) > 1 and len(totals) == 1 and None not in totals
        else table.denominator
    )
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("group", "left"),
        (count, "right"),
        ("rate", "right"),
        ("95% CI", "left"),
        ("ratio", "right"),
        ("95% CI", "left"),
        ("adj. p", "right"),
        ("status", "left"),
    )
    _add_columns(view, columns, table)
    for row in table.rows:
        finding = findings.get((table.name, tuple(row["group"].values())))
        status: str
        if finding is not None:
            status = finding.status
        elif row.get("reference"):
            status = "reference"
        else:
            status = _LEFT_OUT.get(row.get("excluded_reason") or "", "")
        p_adjusted = finding.p_adjusted if finding else None
        view.add_row(
            terminal_text(", ".join(row["group"].values())),
            "suppressed" if row.get(count) is None else str(row[count]),
            fmt_pct(row.get(metric)),
            _interval(row.get(f"{metric}_ci_low"), row.get(f"{metric}_ci_high"), percent=True),
            "—" if row.get(f"{metric}_ratio") is None else f"{row[f'{metric}_ratio']:.3f}",
            _interval(row.get(f"{metric}_ratio_ci_low"), row.get(f"{metric}_ratio_ci_high"), percent=False),
            "" if p_adjusted is None else fmt_p(p_adjusted, digits=2),
            Text(status.replace("_", " "), style=_STYLE.get(status, "dim")),
        )
    return view
