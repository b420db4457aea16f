"""``equityaudit init``: the command, and the questions it asks when someone is at the terminal.

It reads the data as ``run`` does, takes the roles :mod:`equityaudit.cli.init_roles` proposes
(overridden by the options given), asks about each at a terminal, and writes the spec
:mod:`equityaudit.cli.init_spec` renders once it validates.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

import click

from equityaudit.cli.init_groups import AgeBands, is_age_name, read_groups_file, unnamed_values
from equityaudit.cli.init_roles import (
    MIN_GROUP_SIZE,
    Proposal,
    column_words,
    likely_received,
    named_favourable,
    propose_groups,
    propose_roles,
    read_decision,
)
from equityaudit.cli.init_spec import decision_readings, render_spec
from equityaudit.spec import GroupBands, GroupLabels

__all__ = ["init_command"]


def _echo(text: str) -> None:
    """Print a line that quotes the data (its column names and labels) as text, control and
    bidirectional characters shown as escapes."""
    from equityaudit.report.escaping import terminal_plain

    click.echo(terminal_plain(text))


@click.command("init")
@click.argument("data", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--auditor",
    type=click.Choice(["hiring", "decisions", "marketing", "chatbot"]),
    default="hiring",
    show_default=True,
    help="What the data is: applicants screened by a tool, any binary decisions, a segmented customer "
    "base, or chatbot training utterances.",
)
@click.option("--name", default=None, help="Audit name [default: the data file's name].")
@click.option(
    "--sensitive", multiple=True, help="Sensitive column (repeat for several); overrides the guess."
)
@click.option(
    "--groups",
    "groups_file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="YAML file mapping sensitive columns to groups, in columns.groups' syntax: labels "
    "({A91: 'male: divorced/separated', ...}) or bands ({bins: [25, 40, 65]}); validated and written "
    "into the spec (its columns are added to the sensitive ones).",
)
@click.option("--decision", default=None, help="Decision column; overrides the guess.")
@click.option(
    "--positive",
    multiple=True,
    metavar="LABEL",
    help="A decision value that means receiving the decision (repeat for several, e.g. --positive Medium "
    "--positive High); writes the labelled form {column, positive}.",
)
@click.option(
    "--adverse-decision",
    is_flag=True,
    help="Receiving the decision is bad for the person (a denial, a risk flag): writes "
    "columns.decision.favourable: false, so the audit compares the rate of not receiving it.",
)
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
    groups_file: Path | None,
    decision: str | None,
    positive: tuple[str, ...],
    adverse_decision: bool,
    score: str | None,
    outcome: str | None,
    out: Path | None,
    separator: str,
    yes: bool,
    force: bool,
) -> None:
    """Inspect DATA's columns, propose their roles and write a commented audit spec."""
    from equityaudit.column_checks import separator_hint
    from equityaudit.errors import ColumnNotFoundError, SpecError, did_you_mean
    from equityaudit.frames import check_repeated_columns, collect_or_data_error, no_rows_error, read_source

    if not data.is_file():
        from equityaudit.errors import DataError

        nearby = sorted(
            path.name
            for path in (data.parent if data.parent.is_dir() else Path()).iterdir()
            if path.suffix.lower() in {".csv", ".tsv", ".txt", ".parquet", ".pq", ".jsonl", ".ndjson"}
        )
        hint = did_you_mean(data.name, nearby, label="Data files in that folder") if nearby else ""
        raise DataError(
            f"{data}: no such data file. Give the path of a CSV, Parquet or JSONL file to inspect."
            + (f" {hint}" if hint else "")
        )
    source = read_source(data, separator=separator)
    columns = source.frame.collect_schema().names()
    if separator == "," and separator_hint(columns):
        for candidate in (";", "\t", "|"):
            if candidate in columns[0]:
                separator = candidate
                source = read_source(data, separator=separator)
                _echo(f"The file is separated by {separator!r}, not commas: reading it that way.")
                break
    # every row is read, as 'run' reads them, so a malformed line is reported as 'run' reports it
    rows = collect_or_data_error(source.frame, source.name)
    if len(rows) == 0:
        raise no_rows_error(source.name)
    import polars as pl

    frame = rows.to_native()
    if not isinstance(frame, pl.DataFrame):  # pragma: no cover - files are read with polars
        frame = pl.from_pandas(frame)
    # roles are guessed from the first 50,000 rows; every count a comment states is of all rows
    frame = frame.drop(list(source.repeated))
    named = {f"--sensitive {column}": column for column in sensitive}
    named.update(
        {
            f"--{key}": value
            for key, value in (("decision", decision), ("score", score), ("outcome", outcome))
            if value
        }
    )
    notes = check_repeated_columns(source, named, origin="equityaudit init")
    # a column named twice is never proposed: which of the two a spec means would be unknowable
    proposal = propose_roles(frame.head(50_000))
    proposal.columns = columns = list(rows.columns)
    for column in (*sensitive, decision, score, outcome):
        if column and column not in columns:
            raise ColumnNotFoundError(
                f"{data}: column {column!r} is not in the data. {did_you_mean(column, columns)}"
            )
    if groups_file is not None:
        proposal.groups = read_groups_file(groups_file, columns=columns, data=data)
        proposal.groups_origin = str(groups_file)
        notes += unnamed_values(frame, proposal.groups, origin=str(groups_file))
    if sensitive:
        proposal.sensitive = list(sensitive)
    if score:
        proposal.score = score
    if outcome:
        proposal.outcome = outcome
    if decision or proposal.decision:
        read_decision(
            frame,
            proposal,
            decision or str(proposal.decision),
            guessed=proposal.decision_guessed and not decision,
        )
    # a guess yields to a column the user named for another role (one column, one role)
    chosen = set(named.values())
    for attribute, value in (("decision", decision), ("score", score), ("outcome", outcome)):
        if value is None and getattr(proposal, attribute) in chosen:
            setattr(proposal, attribute, None)
    if not sensitive:  # the ages propose_roles banded are proposed again below, if the auditor takes them
        dropped = chosen | set(proposal.age_bands)
        proposal.sensitive = [column for column in proposal.sensitive if column not in dropped]
    proposal.sensitive += [column for column in proposal.groups if column not in proposal.sensitive]
    propose_groups(frame, proposal, add_ages=not sensitive and auditor != "hiring")
    if not sensitive and auditor == "hiring":
        proposal.age_notes += [
            f"{column} is not proposed: the hiring auditor crosses every sensitive column, as LL144 crosses sex "
            f"and race/ethnicity; to audit {column} in bands, write a decisions audit (init --auditor decisions)"
            for column in proposal.numeric_sensitive
            if is_age_name(column_words(column)) and column not in proposal.sensitive
        ]
    if adverse_decision:
        proposal.decision_favourable, proposal.decision_favourable_given = False, True
    name = name or re.sub(r"[^A-Za-z0-9_-]+", "-", data.stem).strip("-") or "audit"
    out = out or Path("audits") / f"{name}.yaml"
    if out.exists() and not force:  # said before any question is asked
        raise SpecError(
            f"{out} exists; refusing to overwrite it. Pass --force to replace it, or choose --out."
        )
    interactive = _stdin_is_terminal() and not yes
    if interactive:
        _ask(data, frame, proposal, auditor, notes, positive=positive)
    elif positive:
        _name_positive(proposal, positive)
    relative = os.path.relpath(data.resolve(), out.parent.resolve())
    # a path that climbs out of the project reads better absolute
    data_path = str(data.resolve()) if relative.startswith(os.pardir + os.sep + os.pardir) else relative
    text = render_spec(
        proposal, name=name, auditor=auditor, data_path=data_path, spec_path=str(out), separator=separator
    )
    _check_written(text, out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    if not interactive:  # a terminal saw the proposals before its questions
        _show(data, proposal, auditor, notes, columns=False)
    _echo(f"Wrote {out}. Check it, then run: equityaudit run {out}")


def _stdin_is_terminal() -> bool:
    """Whether someone can answer questions (tests replace this to drive the questions)."""
    return sys.stdin.isatty()


def _check_written(text: str, out: Path) -> None:
    """The spec init wrote loads: an option that makes it invalid (a column in two roles) is
    reported as a spec error, before the file is written."""
    from equityaudit.spec_loading import load_yaml, spec_from_mapping

    spec_from_mapping(load_yaml(text, origin=str(out)), origin=str(out))


def _name_positive(proposal: Proposal, positive: tuple[str, ...]) -> None:
    """Apply ``--positive``: each label must be a value of the decision column."""
    from equityaudit.errors import DataError

    if proposal.decision is None:
        raise DataError(
            f"--positive {positive[0]}: no decision column was found or named; name it with --decision COLUMN."
        )
    values = {value.strip().lower(): value for value in proposal.decision_counts}
    missing = [label for label in positive if label.strip().lower() not in values]
    if missing:
        raise DataError(
            f"--positive {missing[0]}: {proposal.decision} holds no such value; it holds "
            + ", ".join(f"{value} ({n} rows)" for value, n in sorted(proposal.decision_counts.items()))
            + ". Name the values that mean receiving the decision."
        )
    proposal.decision_positive = [values[label.strip().lower()] for label in positive]
    proposal.decision_positive_given = True
    if not proposal.decision_labels:  # yes/no values: name both, so the positive one is the user's
        proposal.decision_labels = proposal.decision_values


def _show(data: Path, proposal: Proposal, auditor: str, notes: list[str], *, columns: bool) -> None:
    """Print the data's columns (for the questions that follow) and the proposed roles."""
    import textwrap

    if columns:
        _echo(f"Columns of {data} ({len(proposal.columns)}):")
        from equityaudit.report.escaping import terminal_plain

        shown = ", ".join(terminal_plain(c) for c in proposal.columns)
        click.echo(textwrap.fill(shown, width=100, initial_indent="  ", subsequent_indent="  "))
    _echo(f"Proposed roles for {data} ({len(proposal.columns)} columns):")
    for role, value in _summary(proposal, auditor):
        _echo(f"  {role + ':':<10} {value}")
    for note in notes:
        _echo(f"note: {note}")


def _ask(
    data: Path, frame: Any, proposal: Proposal, auditor: str, notes: list[str], *, positive: tuple[str, ...]
) -> None:
    """Show the columns and the proposals, then ask about each role in turn (``--positive``
    labels apply to the decision chosen)."""
    _show(data, proposal, auditor, notes, columns=True)
    if auditor == "chatbot":
        proposal.text = _ask_column("Column of customer utterances", proposal.text, proposal.columns)
        return
    answered = _ask_columns("Sensitive columns (comma-separated)", proposal.sensitive, proposal.columns)
    if answered != proposal.sensitive:
        proposal.sensitive = answered + [c for c in proposal.groups if c not in answered]
        propose_groups(frame, proposal, add_ages=False)
        for column, bands in proposal.age_bands.items():
            _echo(f"  {column} in bands: {_bands_text(bands)}")
        for note in proposal.age_notes:
            _echo(f"  {note}")
    if auditor == "marketing":
        proposal.segment = _ask_column("Segment column", proposal.segment, proposal.columns)
        return
    prompt = "Decision column" + ("  (a guess)" if proposal.decision_guessed else "")
    answer = _ask_column(prompt, proposal.decision, proposal.columns)
    if answer is None:
        proposal.decision = None
        return
    if answer != proposal.decision:
        read_decision(frame, proposal, answer)
    proposal.decision_guessed = False  # the user answered: the column is theirs
    if positive:
        _name_positive(proposal, positive)
    _ask_favourable(proposal)


def _ask_columns(prompt: str, default: list[str], columns: list[str]) -> list[str]:
    """Ask for columns of the data, comma-separated, until every one is."""
    from equityaudit.errors import did_you_mean

    while True:
        given = str(click.prompt(prompt, default=", ".join(default)))
        answered = [c.strip() for c in given.split(",") if c.strip()]
        unknown = [c for c in answered if c not in columns]
        if not unknown:
            return answered
        _echo(f"{unknown[0]!r} is not a column of the data. {did_you_mean(unknown[0], columns)}")


def _ask_column(prompt: str, default: str | None, columns: list[str]) -> str | None:
    """Ask for one column of the data (empty: none), until the answer is one."""
    from equityaudit.errors import did_you_mean

    while True:
        answer = str(click.prompt(prompt, default=default or "", show_default=bool(default))).strip()
        if not answer or answer in columns:
            return answer or None
        _echo(f"{answer!r} is not a column of the data. {did_you_mean(answer, columns)}")


def _ask_favourable(proposal: Proposal) -> None:
    """Ask what the decision's values mean for the person, showing the readings with their counts."""
    column, labels, counts = str(proposal.decision), proposal.decision_labels, proposal.decision_counts
    if proposal.decision_reading and not proposal.decision_favourable_given:
        flagged = " or ".join(proposal.decision_positive)
        if click.confirm(
            f"{column} is a risk category ({decision_readings(proposal)}). Read {flagged} as "
            "flagged as higher risk, an adverse decision (the audit compares the rate of not being flagged)?",
            default=True,
        ):
            proposal.decision_positive_given = proposal.decision_favourable_given = True
            return
    if labels and not proposal.decision_positive_given:
        named = named_favourable(labels)
        if named is not None:
            proposal.decision_positive, proposal.decision_positive_given = [named], True
        else:
            total = sum(counts.get(label, 0) for label in labels)
            _echo(
                f"{column}: {decision_readings(proposal)}. Which value is the favourable outcome for the person?"
            )
            for label in labels:
                n = counts.get(label, 0)
                _echo(f"  read {label} as favourable: {n} rows favourable, {total - n} not")
            default = likely_received(labels)
            proposal.decision_positive = _ask_values(
                "Favourable value" + ("s (comma-separated)" if len(labels) > 2 else ""), default, labels
            )
            proposal.decision_positive_given = True
            proposal.decision_favourable, proposal.decision_favourable_given = True, True
            proposal.decision_reading = None
            return
    if not proposal.decision_favourable_given:
        receiving = (
            f"{column} = {proposal.decision_positive[0]}" if proposal.decision_positive else repr(column)
        )
        proposal.decision_favourable = click.confirm(
            f"Is receiving {receiving} good for the person (selected, approved)? "
            "Answer no for a denial or a risk flag",
            default=True,
        )
        proposal.decision_favourable_given = True
        proposal.decision_reading = None


def _ask_values(prompt: str, default: str, labels: list[str]) -> list[str]:
    """Ask for one or more of ``labels`` (comma-separated, any case), until every one is."""
    by_case = {label.strip().lower(): label for label in labels}
    while True:
        answer = str(click.prompt(prompt, default=default))
        chosen = [part.strip() for part in answer.split(",") if part.strip()]
        if chosen and all(part.lower() in by_case for part in chosen) and len(chosen) < len(labels):
            return [by_case[part.lower()] for part in chosen]
        _echo(f"Answer with one or more of {', '.join(labels)}, but not all of them.")


def _bands_text(bands: AgeBands) -> str:
    """``under 25 (149 rows), 25–39 (552), 40 and over (299)``."""
    return ", ".join(
        f"{label} ({n} rows)" if i == 0 else f"{label} ({n})"
        for i, (label, n) in enumerate(zip(bands.labels, bands.rows, strict=True))
    )


def _summary(proposal: Proposal, auditor: str) -> list[tuple[str, str]]:
    """The proposed roles to print, for the auditor chosen."""
    if auditor == "chatbot":
        return [
            ("text", proposal.text or "(none found: fill in options.text)"),
            ("intent", proposal.intent or "(none)"),
            ("response", proposal.response or "(none)"),
        ]
    sensitive = ("sensitive", ", ".join(proposal.sensitive) or "(none found: fill in columns.sensitive)")
    groups = [
        ("groups", f"{column} in bands: {_bands_text(bands)}   (cut at 25, 40, 65 where every band keeps "
         f"{MIN_GROUP_SIZE} rows)")
        for column, bands in proposal.age_bands.items()
        if column in proposal.sensitive
    ]  # fmt: skip
    groups += [
        ("groups", f"{column}: {_grouping_text(grouping)}   (from {proposal.groups_origin})")
        for column, grouping in proposal.groups.items()
    ]
    if proposal.codes:
        groups.append(
            (
                "codes",
                "; ".join(f"{column} ({', '.join(codes)})" for column, codes in proposal.codes.items())
                + "   (init cannot know what they mean: name them under groups in the spec, or pass --groups FILE)",
            )
        )
    numeric = [("numeric", note) for note in proposal.age_notes]
    if proposal.numeric_unbanded:
        numeric.append(
            (
                "numeric",
                f"{', '.join(proposal.numeric_unbanded)}   (numbers, not categories: band them in groups to audit by)",
            )
        )
    if auditor == "marketing":
        return [
            sensitive,
            *groups,
            *numeric,
            ("segment", proposal.segment or "(none)"),
            ("campaigns", ", ".join(proposal.campaigns) or "(none)"),
            ("offer", proposal.offer or "(none)"),
            ("features", ", ".join(proposal.features) or "(none)"),
        ]
    last = ("score", proposal.score) if auditor == "hiring" else ("outcome", proposal.outcome)
    decision = proposal.decision or "(none found: fill in columns.decision)"
    if proposal.decision_guessed:
        decision += "   (a guess: no column is named like a decision; pass --decision)"
    elif proposal.decision_reading and not (
        proposal.decision_positive_given and proposal.decision_favourable_given
    ):
        decision += (
            f"   (a risk category: {' or '.join(proposal.decision_positive)} read as flagged, an adverse "
            "decision; see the CHECK comment)"
        )
    return [sensitive, *groups, *numeric, ("decision", decision), (last[0], last[1] or "(none)")]


def _grouping_text(grouping: GroupLabels | GroupBands) -> str:
    """A grouping in a few words: ``4 values in 3 groups`` or ``bands at 25, 40``."""
    if isinstance(grouping, GroupBands):
        if grouping.bins == "quantiles":
            return f"{grouping.n} bands at quantiles"
        return "bands at " + ", ".join(f"{b:g}" for b in grouping.bins)
    from equityaudit.errors import counted

    named = {label for label in grouping.labels.values() if label is not None}
    return f"{counted(len(grouping.labels), 'value')} in {counted(len(named), 'group')}"
