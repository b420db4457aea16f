"""``equityaudit init``: inspect a data file, propose column roles, write a commented spec."""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

__all__ = ["Proposal", "init_command", "propose_roles", "render_spec"]

_SENSITIVE = re.compile(
    r"(^|_)(sex|gender|race|ethnic\w*|race_ethnicity|age_?(cat|group|band)?|disab\w*|religion)($|_)", re.I
)
_DECISION = re.compile(
    r"(select|advance|hire|hired|decision|approv|accept|pass|shortlist|invite|target|flag|predict|score_?text)",
    re.I,
)
_OUTCOME = re.compile(
    r"(performed|outcome|label|actual|truth|target_true|two_year_recid|^y$|good|qualified)", re.I
)
_SCORE = re.compile(r"(score|rating|prob|propensity|rank)", re.I)
_BINARY = {"1", "0", "1.0", "0.0", "true", "false", "yes", "no", "y", "n", "t", "f"}


@dataclass
class Proposal:
    """Proposed roles for the columns of a data file."""

    columns: list[str]
    sensitive: list[str] = field(default_factory=list)
    numeric_sensitive: list[str] = field(default_factory=list)
    decision: str | None = None
    decision_labels: list[str] = field(default_factory=list)
    outcome: str | None = None
    score: str | None = None
    stage: str | None = None
    stage_values: list[str] = field(default_factory=list)


def propose_roles(frame: Any) -> Proposal:
    """Guess column roles from names and values (a polars DataFrame sample of the data).

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"gender": ["F", "M"] * 20, "advanced": ["Yes", "No"] * 20,
    ...                    "screen_score": [float(i) for i in range(40)]})
    >>> p = propose_roles(df)
    >>> p.sensitive, p.decision, p.score
    (['gender'], 'advanced', 'screen_score')
    """
    proposal = Proposal(columns=list(frame.columns))
    binary: list[str] = []
    for name in frame.columns:
        series = frame[name]
        distinct = series.drop_nulls().unique()
        numeric = series.dtype.is_numeric()
        if _SENSITIVE.search(name):
            if numeric and len(distinct) > 12:
                proposal.numeric_sensitive.append(name)
            else:
                proposal.sensitive.append(name)
            continue
        if len(distinct) == 2:
            binary.append(name)
        if numeric and len(distinct) > 10 and _SCORE.search(name) and proposal.score is None:
            proposal.score = name
        if name.lower() in {"stage", "furthest_stage", "funnel_stage"} and 2 < len(distinct) <= 10:
            proposal.stage = name
            proposal.stage_values = sorted(str(v) for v in distinct.to_list())
    for name in binary:
        labels = sorted(str(v) for v in frame[name].drop_nulls().unique().to_list())
        is_binary = {label.strip().lower() for label in labels} <= _BINARY
        if _OUTCOME.search(name) and proposal.outcome is None:
            proposal.outcome = name
        elif _DECISION.search(name) and proposal.decision is None:
            proposal.decision = name
            proposal.decision_labels = [] if is_binary else labels
    if proposal.decision is None:
        rest = [b for b in binary if b != proposal.outcome]
        if rest:
            proposal.decision = rest[0]
            labels = sorted(str(v) for v in frame[rest[0]].drop_nulls().unique().to_list())
            proposal.decision_labels = [] if {lab.lower() for lab in labels} <= _BINARY else labels
    return proposal


def render_spec(
    proposal: Proposal,
    *,
    name: str,
    auditor: str,
    data_path: str,
    spec_path: str = "{this file}",
    separator: str = ",",
) -> str:
    """A commented YAML spec for the proposal."""

    def role(column: str | None, labels: list[str]) -> str:
        if column is None:
            return "null"
        if labels:
            return f"{{column: {column}, positive: {labels[-1]!r}}}   # check: which label is the favourable one? ({', '.join(labels)})"
        return column

    lines = [
        "# Audit spec written by 'equityaudit init'. Check every line, then run:",
        f"#   equityaudit run {spec_path}",
        "# Reference: 'equityaudit schema spec' prints every key this file may hold.",
        "equityaudit: 1",
        f"name: {name}",
        f"auditor: {auditor}",
        "data:",
        f"  path: {data_path}          # relative to this file, or absolute",
        *([f"  separator: {separator!r}"] if separator != "," else []),
        "  kind: historical             # historical | test (test data needs test_data_reason)",
        "  # description: where the data comes from, for readers of the report",
        "  # period: {start: 2026-01-01, end: 2026-06-30}",
        "columns:",
        f"  sensitive: [{', '.join(proposal.sensitive)}]"
        + ("" if proposal.sensitive else "   # FILL IN: name the demographic columns"),
    ]
    if proposal.numeric_sensitive:
        lines.append(
            f"  # numeric columns {proposal.numeric_sensitive} look demographic: bin them into categories to audit by them"
        )
    lines += [
        "  intersectional: true         # also audit the cross of the sensitive columns",
        f"  decision: {role(proposal.decision, proposal.decision_labels)}",
    ]
    if auditor == "hiring":
        lines.append(
            f"  score: {proposal.score or 'null'}"
            + ("" if proposal.score else "              # a continuous score, if the tool produces one")
        )
        if proposal.stage:
            lines.append(
                f"  # stage: {proposal.stage}   # a funnel: uncomment, and list options.stages in funnel order "
                f"(values seen: {', '.join(proposal.stage_values)})"
            )
    if auditor == "decisions":
        lines.append(
            f"  outcome: {proposal.outcome or 'null'}"
            + ("" if proposal.outcome else "            # ground truth, if known: enables error-rate metrics")
        )
    lines += [
        "reference: max_rate             # compare each group with the highest-rate group",
        "thresholds:",
        "  impact_ratio: 0.8            # the four-fifths rule",
        "  alpha: 0.05",
        "  min_group_size: 30",
    ]
    if auditor == "hiring":
        lines += [
            "options:                       # LL144 disclosures; uncomment and fill in",
            "  audit_date: null              # e.g. 2026-11-23 (default: the day the audit runs)",
            "  distribution_date: null       # when the tool was first used, e.g. 2025-01-01",
            "  # exclude_small_categories: {justification: '...'}   # LL144: categories under 2 %",
        ]
    return "\n".join(lines) + "\n"


@click.command("init")
@click.argument("data", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--auditor", type=click.Choice(["hiring", "decisions"]), default="hiring", show_default=True)
@click.option("--name", default=None, help="Audit name [default: the data file's name].")
@click.option(
    "--sensitive", multiple=True, help="Sensitive column (repeat for several); overrides the guess."
)
@click.option("--decision", default=None, help="Decision column; overrides the guess.")
@click.option("--score", default=None, help="Score column; overrides the guess.")
@click.option("--outcome", default=None, help="Ground-truth column (decisions auditor); overrides the guess.")
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Spec file to write [default: audits/<name>.yaml].",
)
@click.option("--separator", default=",", show_default=True, help="CSV separator.")
@click.option("--yes", "-y", is_flag=True, help="Accept the proposals without asking (non-interactive).")
@click.option("--force", is_flag=True, help="Replace the spec file if it exists.")
def init_command(
    data: Path,
    auditor: str,
    name: str | None,
    sensitive: tuple[str, ...],
    decision: str | None,
    score: str | None,
    outcome: str | None,
    out: Path | None,
    separator: str,
    yes: bool,
    force: bool,
) -> None:
    """Inspect DATA's columns, propose their roles and write a commented audit spec."""
    from equityaudit.errors import ColumnNotFoundError, SpecError, did_you_mean
    from equityaudit.frames import read_source, separator_hint

    source = read_source(data, separator=separator)
    columns = source.frame.collect_schema().names()
    if separator == "," and separator_hint(columns):
        for candidate in (";", "\t", "|"):
            if candidate in columns[0]:
                separator = candidate
                source = read_source(data, separator=separator)
                click.echo(f"The file is separated by {separator!r}, not commas: reading it that way.")
                break
    sample = source.frame.head(50_000).collect().to_native()
    import polars as pl

    if not isinstance(sample, pl.DataFrame):  # pragma: no cover - files are read with polars
        sample = pl.from_pandas(sample)
    proposal = propose_roles(sample)
    for column in (*sensitive, decision, score, outcome):
        if column and column not in proposal.columns:
            raise ColumnNotFoundError(
                f"{data}: column {column!r} is not in the data. {did_you_mean(column, proposal.columns)}"
            )
    if sensitive:
        proposal.sensitive = list(sensitive)
    for attribute, value in (("decision", decision), ("score", score), ("outcome", outcome)):
        if value:
            setattr(proposal, attribute, value)
            if attribute == "decision":
                proposal.decision_labels = []
    interactive = not yes and sys.stdin.isatty()
    if interactive:
        given = click.prompt("Sensitive columns (comma-separated)", default=", ".join(proposal.sensitive))
        proposal.sensitive = [c.strip() for c in given.split(",") if c.strip()]
        proposal.decision = click.prompt("Decision column", default=proposal.decision or "") or None
    name = name or re.sub(r"[^A-Za-z0-9_-]+", "-", data.stem).strip("-") or "audit"
    out = out or Path("audits") / f"{name}.yaml"
    if out.exists() and not force:
        raise SpecError(
            f"{out} exists; refusing to overwrite it. Pass --force to replace it, or choose --out."
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    relative = os.path.relpath(data.resolve(), out.parent.resolve())
    # a path that climbs out of the project reads better absolute
    data_path = str(data.resolve()) if relative.startswith(os.pardir + os.sep + os.pardir) else relative
    out.write_text(
        render_spec(
            proposal, name=name, auditor=auditor, data_path=data_path, spec_path=str(out), separator=separator
        ),
        encoding="utf-8",
    )
    click.echo(f"Proposed roles for {data} ({len(proposal.columns)} columns):")
    click.echo(f"  sensitive: {', '.join(proposal.sensitive) or '(none found: fill in columns.sensitive)'}")
    click.echo(f"  decision:  {proposal.decision or '(none found)'}")
    if auditor == "hiring":
        click.echo(f"  score:     {proposal.score or '(none)'}")
    else:
        click.echo(f"  outcome:   {proposal.outcome or '(none)'}")
    click.echo(f"Wrote {out}. Check it, then run: equityaudit run {out}")
