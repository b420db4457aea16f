"""``equityaudit init``: inspect a data file, propose column roles, write a commented spec."""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

__all__ = ["Proposal", "init_command", "propose_roles", "render_spec"]

# matched against a column name's words joined by '_' (see _words): marital-status, maritalStatus
# and "Marital Status" all read marital_status
_SENSITIVE = re.compile(
    r"(^|_)(sex|gender|race|ethnic\w*|race_ethnicity|age_?(cat|group|band)?|disab\w*|religion|marital\w*"
    r"|nationality|national_origin|native_country|country_of_(birth|origin)|birth_country|citizen\w*"
    r"|foreign_worker|foreigner|immigra\w*|sexual_orientation|veteran\w*|personal_status)($|_)"
    r"|^relationship(_status)?$",
    re.I,
)
# a binary column named like the target of a public dataset (bank marketing's y, Adult's income,
# German credit's credit): the likeliest decision when no column is named like one
_TARGET = re.compile(
    r"(^|_)(y|target|label|class|credit|credit_risk|income|churn|churned|survived|default_payment)($|_)",
    re.I,
)
# a count (German credit's people_liable_for: 1 or 2 people) is two-valued, but no decision
_COUNT = re.compile(
    r"(^|_)(n|num|number|count|cnt|people|persons|liable|dependents?|children|times|days|months|years)($|_)",
    re.I,
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
_PLAIN = re.compile(r"[A-Za-z_./][A-Za-z0-9_./ -]*[A-Za-z0-9_./]|[A-Za-z_]")
_YAML_WORDS = {"yes", "no", "y", "n", "true", "false", "on", "off", "null", "~"}
_ID = re.compile(r"(^|_)(id|uuid|key)$", re.I)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATORS = re.compile(r"[^A-Za-z0-9]+")
_SEGMENT = re.compile(r"(segment|cluster|tier|persona|cohort|audience)", re.I)
_UNFAVOURABLE = re.compile(r"(increase|surcharge|fee|penalt|denied|decline|reject|exclu|suppress)", re.I)
_OFFER = re.compile(r"(discount|offer|price|credit|limit|coupon|voucher|amount|apr|interest)", re.I)
_LOWER_IS_BETTER = re.compile(r"(price|fee|apr|interest|surcharge)", re.I)
_INDEX = re.compile(r"(^|[^a-z])(idx|index)($|[^a-z])", re.I)
_PROBABILITY = re.compile(r"^(p|prob|pr)_", re.I)
_TEXT = re.compile(r"(text|utterance|message|query|question|prompt|request|body|content)", re.I)
_RESPONSE = re.compile(r"(response|reply|answer|bot|agent|assistant)", re.I)
_INTENT = re.compile(r"(intent|label|category|topic|class)", re.I)


@dataclass
class Proposal:
    """Proposed roles for the columns of a data file."""

    columns: list[str]
    sensitive: list[str] = field(default_factory=list)
    numeric_sensitive: list[str] = field(default_factory=list)
    decision: str | None = None
    decision_labels: list[str] = field(default_factory=list)
    decision_guessed: bool = (
        False  # no column's name says it is a decision: a two-valued one, a target-like name first
    )
    decision_counts: dict[str, int] = field(default_factory=dict)  # rows holding each decision value
    decision_favourable: bool | None = None  # receiving it is good for the person; None: not asked
    outcome: str | None = None
    score: str | None = None
    stage: str | None = None
    stage_values: list[str] = field(default_factory=list)
    id: str | None = None
    # marketing
    segment: str | None = None
    segment_values: list[str] = field(default_factory=list)
    campaigns: dict[str, str] = field(default_factory=dict)
    offer: str | None = None
    offer_favourable: str = "higher"
    features: list[str] = field(default_factory=list)
    # chatbot
    text: str | None = None
    response: str | None = None
    intent: str | None = None
    intent_labels: list[str] = field(default_factory=list)

    @property
    def decision_values(self) -> list[str]:
        """The decision column's values as text, sorted (at most 20: a column of more is no decision)."""
        return sorted(self.decision_counts)[:20]


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
        if _SENSITIVE.search(_words(name)):
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
            proposal.decision_counts = _label_counts(frame, name)
    if proposal.decision is None:
        rest = [b for b in binary if b != proposal.outcome]
        label = proposal.outcome
        if label and _TARGET.search(_words(label)) and not any(_TARGET.search(_words(b)) for b in rest):
            rest, proposal.outcome = [label], None  # a label alone (bank's y) is the decision
        if rest:
            guess = min(rest, key=lambda name: (_guess_rank(frame, name), rest.index(name)))
            proposal.decision = guess
            proposal.decision_guessed = True
            labels = sorted(str(v) for v in frame[guess].drop_nulls().unique().to_list())
            proposal.decision_labels = [] if {lab.lower() for lab in labels} <= _BINARY else labels
            proposal.decision_counts = _label_counts(frame, guess)
    rows = frame.height
    for name in frame.columns:
        if _ID.search(_words(name)) and rows > 1 and frame[name].drop_nulls().n_unique() == rows:
            proposal.id = name
            break
    _propose_marketing(frame, proposal, binary)
    _propose_chatbot(frame, proposal)
    return proposal


def _words(name: str) -> str:
    """A column name's words, lower case, joined by '_': every separator and camelCase alike.

    Examples
    --------
    >>> _words("marital-status"), _words("nativeCountry"), _words("Foreign Worker"), _words("customerID")
    ('marital_status', 'native_country', 'foreign_worker', 'customer_id')
    """
    return _SEPARATORS.sub("_", _CAMEL.sub("_", name)).strip("_").lower()


def _guess_rank(frame: Any, name: str) -> int:
    """How likely a two-valued column is the decision, when no column is named like one: a
    target's name (credit, income, y) first, a count (1 or 2 people liable) last."""
    if _TARGET.search(_words(name)):
        return 0
    series = frame[name]
    values = {str(v).strip().lower() for v in series.drop_nulls().unique().to_list()}
    if _COUNT.search(_words(name)) or (series.dtype.is_numeric() and not values <= _BINARY):
        return 2
    return 1


def _propose_marketing(frame: Any, proposal: Proposal, binary: list[str]) -> None:
    """Segment column, campaign flags, offer value and segmentation features of a customer table."""
    taken = {*proposal.sensitive, proposal.id}
    for name in frame.columns:
        values = frame[name].drop_nulls().unique()
        if name not in taken and _SEGMENT.search(name) and 2 <= len(values) <= 30:
            proposal.segment = name
            proposal.segment_values = sorted(str(v) for v in values.to_list())
            break
    for name in binary:
        labels = {str(v).strip().lower() for v in frame[name].drop_nulls().unique().to_list()}
        if name not in taken and name != proposal.segment and labels <= _BINARY:
            proposal.campaigns[name] = "unfavourable" if _UNFAVOURABLE.search(name) else "favourable"
    for name in frame.columns:
        series = frame[name]
        index = _INDEX.search(name)  # an economic index (cons.price.idx) is no offer
        if (
            name not in taken
            and _OFFER.search(name)
            and not index
            and series.dtype.is_numeric()
            and series.n_unique() > 2
        ):
            proposal.offer = name
            proposal.offer_favourable = "lower" if _LOWER_IS_BETTER.search(name) else "higher"
            break
    # every other column is a candidate input of the segmentation; free text and ids are not
    roles = {*taken, proposal.segment, proposal.offer, *proposal.campaigns}
    proposal.features = [
        name
        for name in frame.columns
        if name not in roles
        and not _PROBABILITY.search(name)
        and (frame[name].dtype.is_numeric() or frame[name].n_unique() <= 200)
    ]


def _propose_chatbot(frame: Any, proposal: Proposal) -> None:
    """Utterance, response and intent columns of a table of chatbot training data."""
    import polars as pl

    words: dict[str, float] = {}  # mean words per value, of every column that holds strings
    spread: dict[str, float] = {}  # the share of distinct values: free text is nearly all distinct
    for name in frame.columns:
        series = frame[name].drop_nulls()
        if name != proposal.id and not series.dtype.is_numeric() and len(series):
            words[name] = float(series.cast(pl.String).str.count_matches(r"\S+").mean() or 0.0)
            spread[name] = series.n_unique() / len(series)
    sentences = [name for name in words if words[name] >= 3]
    responses = [name for name in sentences if _RESPONSE.search(name)]
    proposal.response = responses[0] if responses else None
    texts = [name for name in sentences if name != proposal.response]
    named = [name for name in texts if _TEXT.search(name)]
    ranked = sorted(texts, key=lambda name: -words[name] * spread[name])
    candidates = named or ranked
    proposal.text = candidates[0] if candidates else None
    for name in words:
        distinct = frame[name].drop_nulls().unique()
        if (
            name not in (proposal.text, proposal.response)
            and _INTENT.search(name)
            and 2 <= len(distinct) <= 100
        ):
            proposal.intent = name
            proposal.intent_labels = sorted(str(v) for v in distinct.to_list())
            break


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

    def role(column: str | None, labels: list[str], *, guessed: bool = False) -> str:
        """The role's YAML value, with one CHECK comment for whatever in it is a guess."""
        if column is None:
            return "null"
        checks = ["a guess (no column is named like a decision)"] if guessed else []
        value = _scalar(column)
        if labels:
            value = f"{{column: {_scalar(column)}, positive: {_scalar(labels[-1])}}}"
            checks.append(f"which label is the favourable one? ({', '.join(labels)})")
        return f"{value}   # CHECK: {'; '.join(checks)}" if checks else value

    lines = [
        "# Audit spec written by 'equityaudit init'. Check every line, then run:",
        f"#   equityaudit run {spec_path}",
        "# Reference: 'equityaudit schema spec' prints every key this file may hold.",
        "equityaudit: 1",
        f"name: {name}",
        f"auditor: {auditor}",
        "data:",
        f"  path: {_scalar(data_path)}          # relative to this file, or absolute",
        *([f"  separator: {_scalar(separator)}"] if separator != "," else []),
        "  kind: historical             # historical | test (test data needs test_data_reason)",
        "  # description: where the data comes from, for readers of the report",
        "  # period: {start: 2026-01-01, end: 2026-06-30}",
    ]
    if auditor == "marketing":
        return "\n".join(lines + _marketing_lines(proposal)) + "\n"
    if auditor == "chatbot":
        return "\n".join(lines + _chatbot_lines(proposal)) + "\n"
    lines += [
        "columns:",
        f"  sensitive: {_flow(proposal.sensitive)}"
        + ("" if proposal.sensitive else "   # FILL IN: name the demographic columns"),
    ]
    if proposal.numeric_sensitive:
        lines.append(
            f"  # numeric columns {proposal.numeric_sensitive} look demographic: bin them into categories to audit by them"
        )
    lines += [
        "  intersectional: true         # also audit the cross of the sensitive columns"
        if len(proposal.sensitive) <= 2
        else f"  intersectional: false        # true adds the cross of all {len(proposal.sensitive)} sensitive "
        "columns: many small groups",
        f"  decision: {_decision_role(proposal)}",
    ]
    if auditor == "hiring":
        lines.append(
            f"  score: {_scalar(proposal.score) if proposal.score else 'null'}"
            + ("" if proposal.score else "              # a continuous score, if the tool produces one")
        )
        if proposal.stage:
            lines.append(
                f"  # stage: {_scalar(proposal.stage)}   # a funnel: uncomment, and list options.stages in funnel order "
                f"(values seen: {', '.join(proposal.stage_values)})"
            )
    if auditor == "decisions":
        lines.append(
            f"  outcome: {_scalar(proposal.outcome) if proposal.outcome else 'null'}"
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


def _decision_role(proposal: Proposal) -> str:
    """The decision's YAML value, with one CHECK comment for what in it is a guess: the column,
    the label that means receiving the decision, and whether receiving it is favourable."""
    column = proposal.decision
    if column is None:
        return "null"
    checks = ["a guess (no column is named like a decision)"] if proposal.decision_guessed else []
    labels, favourable = proposal.decision_labels, proposal.decision_favourable
    value = _scalar(column)
    if labels or favourable is False:
        positive = _likely_received(labels) if labels else _received_label(proposal.decision_values)
        value = (
            f"{{column: {_scalar(column)}, positive: {_scalar(positive)}, "
            f"favourable: {'false' if favourable is False else 'true'}}}"
        )
        if labels:
            from equityaudit.errors import counted

            counts = proposal.decision_counts
            readings = ", ".join(
                f"{label} = {counted(counts[label], 'row')}" if label in counts else label for label in labels
            )
            checks.append(f"which label means receiving the decision? ({column}: {readings})")
    if favourable is None:
        form = (
            "set favourable: false" if "favourable:" in value else "use {column, positive, favourable: false}"
        )
        checks.append(f"is receiving it good for the person? For a denial or a risk flag, {form}")
    return f"{value}   # CHECK: {'; '.join(checks)}" if checks else value


_RECEIVED_WORDS = frozenset(
    {"1", "true", "yes", "y", "good", "approved", "accepted", "selected", "hired", "advanced", "granted",
     "pass", "passed", "offer", "shortlisted", "invited", "positive"}
)  # fmt: skip
"""Labels that usually mean receiving the decision (German credit's 1 = good, "approved", ...)."""


def _likely_received(labels: list[str]) -> str:
    """The label to write as ``positive`` (a guess the CHECK comment asks about): one that usually
    means receiving the decision, else the last in sorted order.

    Examples
    --------
    >>> _likely_received(["1", "2"]), _likely_received(["Denied", "Granted"]), _likely_received(["high", "low"])
    ('1', 'Granted', 'low')
    """
    return next((label for label in labels if label.strip().lower() in _RECEIVED_WORDS), labels[-1])


def _label_counts(frame: Any, column: str) -> dict[str, int]:
    """Rows holding each value of a column, by the value as text (for the CHECK comment)."""
    counts = frame[column].drop_nulls().cast(str).value_counts()
    return {
        str(value): int(n)
        for value, n in zip(counts[column].to_list(), counts["count"].to_list(), strict=True)
    }


def _received_label(values: list[str]) -> str:
    """Which of a yes/no-like column's two values means receiving the decision (1, true, yes, y)."""
    return next((v for v in values if v.strip().lower() in {"1", "true", "yes", "y", "1.0"}), "1")


def _scalar(value: str) -> str:
    """``value`` as a YAML scalar: bare when that reads back as the same string, else quoted."""
    return value if _PLAIN.fullmatch(value) and value.lower() not in _YAML_WORDS else json.dumps(value)


def _flow(values: list[str]) -> str:
    """A YAML flow list of strings."""
    return "[" + ", ".join(_scalar(value) for value in values) + "]"


def _marketing_lines(proposal: Proposal) -> list[str]:
    lines = [
        "columns:",
        f"  sensitive: {_flow(proposal.sensitive)}"
        + ("" if proposal.sensitive else "   # FILL IN: name the demographic columns"),
        "  intersectional: false        # true adds the cross of the sensitive columns (smaller groups)",
        *([f"  id: {proposal.id}"] if proposal.id else []),
        "thresholds:",
        "  impact_ratio: 0.8            # an inclusion ratio below this fails (when significant)",
        "  alpha: 0.05",
        "  min_group_size: 30",
        "options:                       # docs/marketing.md explains every option",
    ]
    if proposal.segment:
        lines += [
            f"  segment: {proposal.segment}",
            "  segments:                   # CHECK: is being in each segment good (favourable) or bad?",
            *(
                f"    {_scalar(value)}: {'unfavourable' if _UNFAVOURABLE.search(value) else 'favourable'}"
                for value in proposal.segment_values
            ),
        ]
    else:
        lines.append("  # segment: COLUMN             # each customer's segment, if the tool assigns one")
    if proposal.campaigns:
        lines.append(
            "  campaigns:                  # CHECK: targeting flags, and whether being targeted is good"
        )
        lines += [f"    {_scalar(name)}: {direction}" for name, direction in proposal.campaigns.items()]
    if proposal.offer:
        lines += [
            f"  offer: {proposal.offer}",
            f"  offer_favourable: {proposal.offer_favourable}      # CHECK: higher (a discount) or lower (a price)",
        ]
    if proposal.features:
        lines.append(f"  features: {_flow(proposal.features)}   # CHECK: the columns the segmentation used")
    lines.append("  # categorical: [postcode]     # features that hold numbers but are categories")
    if proposal.numeric_sensitive:
        lines.append(
            f"  # numeric columns {proposal.numeric_sensitive} look demographic: bin them into categories to audit by them"
        )
    return lines


def _chatbot_lines(proposal: Proposal) -> list[str]:
    lines = [
        *(["columns:", f"  id: {proposal.id}"] if proposal.id else []),
        "options:                       # docs/chatbot.md explains every option",
    ]
    lines.append(
        f"  text: {proposal.text}"
        if proposal.text
        else "  text: FILL_IN                # the column of customer utterances"
    )
    if proposal.intent:
        lines.append(f"  intent: {proposal.intent}")
        if len(proposal.intent_labels) <= 50:
            lines.append(
                f"  labels: {_flow(proposal.intent_labels)}   # the known intents: others are refused"
            )
    else:
        lines.append("  # intent: COLUMN              # the intent label, if the data has one")
    lines.append(
        f"  response: {proposal.response}"
        if proposal.response
        else "  # response: COLUMN            # the bot's answer, if the data has one"
    )
    lines += [
        "  language: en                 # only English is supported",
        "  # targets: {gender: {women: 0.5, men: 0.5}}   # default: parity among the groups mentioned",
        "  # kinship: true               # count 'my son', 'my wife' as gender mentions (default: not)",
        "  flip_thresholds: {warn: 0.05, fail: 0.10}",
        "  examples: {count: 3, max_chars: 100}",
    ]
    return lines


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
@click.option("--decision", default=None, help="Decision column; overrides the guess.")
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
    decision: str | None,
    adverse_decision: bool,
    score: str | None,
    outcome: str | None,
    out: Path | None,
    separator: str,
    yes: bool,
    force: bool,
) -> None:
    """Inspect DATA's columns, propose their roles and write a commented audit spec."""
    from equityaudit.errors import ColumnNotFoundError, SpecError, did_you_mean
    from equityaudit.frames import (
        check_repeated_columns,
        collect_or_data_error,
        no_rows_error,
        read_source,
        separator_hint,
    )

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
                click.echo(f"The file is separated by {separator!r}, not commas: reading it that way.")
                break
    # every row is read, as 'run' reads them, so a malformed line is reported as 'run' reports it
    rows = collect_or_data_error(source.frame, source.name)
    if len(rows) == 0:
        raise no_rows_error(source.name)
    sample = rows.head(50_000).to_native()
    import polars as pl

    if not isinstance(sample, pl.DataFrame):  # pragma: no cover - files are read with polars
        sample = pl.from_pandas(sample)
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
    proposal = propose_roles(sample.drop(list(source.repeated)))
    proposal.columns = list(sample.columns)
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
                proposal.decision_guessed = False
                proposal.decision_counts = _label_counts(sample, value)
                yes_no = {v.strip().lower() for v in proposal.decision_values} <= _BINARY
                proposal.decision_labels = [] if yes_no else proposal.decision_values
    # a guess yields to a column the user named for another role (one column, one role)
    chosen = set(named.values())
    for attribute, value in (("decision", decision), ("score", score), ("outcome", outcome)):
        if value is None and getattr(proposal, attribute) in chosen:
            setattr(proposal, attribute, None)
    if not sensitive:
        proposal.sensitive = [column for column in proposal.sensitive if column not in chosen]
    if adverse_decision:
        proposal.decision_favourable = False
    interactive = not yes and sys.stdin.isatty()
    if interactive and auditor == "chatbot":
        proposal.text = click.prompt("Column of customer utterances", default=proposal.text or "") or None
    elif interactive:
        given = click.prompt("Sensitive columns (comma-separated)", default=", ".join(proposal.sensitive))
        proposal.sensitive = [c.strip() for c in given.split(",") if c.strip()]
        if auditor == "marketing":
            proposal.segment = click.prompt("Segment column", default=proposal.segment or "") or None
        else:
            proposal.decision = click.prompt("Decision column", default=proposal.decision or "") or None
            if proposal.decision and not adverse_decision:
                proposal.decision_favourable = click.confirm(
                    f"Is receiving {proposal.decision!r} good for the person (selected, approved)? "
                    "Answer no for a denial or a risk flag",
                    default=True,
                )
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
    for role, value in _summary(proposal, auditor):
        click.echo(f"  {role + ':':<10} {value}")
    for note in notes:
        click.echo(f"note: {note}")
    click.echo(f"Wrote {out}. Check it, then run: equityaudit run {out}")


def _summary(proposal: Proposal, auditor: str) -> list[tuple[str, str]]:
    """The proposed roles to print, for the auditor chosen."""
    if auditor == "chatbot":
        return [
            ("text", proposal.text or "(none found: fill in options.text)"),
            ("intent", proposal.intent or "(none)"),
            ("response", proposal.response or "(none)"),
        ]
    sensitive = ("sensitive", ", ".join(proposal.sensitive) or "(none found: fill in columns.sensitive)")
    numeric = [
        (
            "numeric",
            f"{', '.join(proposal.numeric_sensitive)}   (numbers, not categories: bin into groups to audit by)",
        )
    ][: 1 if proposal.numeric_sensitive else 0]
    if auditor == "marketing":
        return [
            sensitive,
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
    return [sensitive, *numeric, ("decision", decision), (last[0], last[1] or "(none)")]
