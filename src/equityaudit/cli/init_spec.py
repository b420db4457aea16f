"""The commented YAML spec ``equityaudit init`` writes for a proposal of column roles.

A line that holds a guess carries a ``CHECK`` comment saying what to check; a key init cannot
fill in says ``FILL IN``, and optional keys are written commented out, with what they are for.
"""

from __future__ import annotations

import json
import re

from equityaudit.cli.init_groups import grouping_lines
from equityaudit.cli.init_roles import Proposal, guessed_direction, likely_received
from equityaudit.spec import GroupBands

__all__ = ["decision_readings", "render_spec"]

_PLAIN = re.compile(r"[A-Za-z_./][A-Za-z0-9_./ -]*[A-Za-z0-9_./]|[A-Za-z_]")
_YAML_WORDS = {"yes", "no", "y", "n", "true", "false", "on", "off", "null", "~"}


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
        *_groups_lines(proposal),
    ]
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


def _groups_lines(proposal: Proposal) -> list[str]:
    """``columns.groups``: the groups given, the age bands proposed, and, commented out, a
    skeleton for each coded column, with a comment saying why each is there."""
    from equityaudit.errors import counted

    entries: list[str] = []
    for column in proposal.sensitive:
        if column in proposal.groups:
            comment = f"from {proposal.groups_origin}" if proposal.groups_origin else ""
            entries += grouping_lines(column, proposal.groups[column], scalar=_scalar, comment=comment)
        elif column in proposal.age_bands:
            bands = proposal.age_bands[column]
            entries += grouping_lines(
                column,
                GroupBands(bins=[float(cut) for cut in bands.cuts]),
                scalar=_scalar,
                comment=bands.comment(),
            )
    skeleton: list[str] = []
    for column, codes in proposal.codes.items():
        rows = ", ".join(
            f"{code} = {counted(n, 'row')}" if i == 0 else f"{code} = {n}"
            for i, (code, n) in enumerate(codes.items())
        )
        skeleton += [
            f"# CHECK: {column} holds codes ({rows}); init cannot know what they mean: name each in the line "
            'below from the data\'s codebook and uncomment it (a code left "" is an error, null counts it '
            "unknown), or pass --groups FILE",
            f"# {_scalar(column)}: {{" + ", ".join(f'{_scalar(code)}: ""' for code in codes) + "}",
        ]
    notes = [
        f"# numeric columns {proposal.numeric_unbanded} look demographic: band them in groups to audit by "
        "them, e.g. {bins: [25, 40, 65]} or {bins: quantiles, n: 4}"
    ][: 1 if proposal.numeric_unbanded else 0]
    notes += [f"# {note}" for note in proposal.age_notes]
    if entries:
        head = "  groups:                      # named groups of sensitive columns, applied before counting"
        return [head, *entries, *(f"    {line}" for line in skeleton), *(f"  {note}" for note in notes)]
    if skeleton:
        return [
            "  # groups:                    # uncomment with the lines below once they are filled in",
            *(
                f"  #   {line.removeprefix('# ')}" if not line.startswith("# CHECK") else f"  {line}"
                for line in skeleton
            ),
            *(f"  {note}" for note in notes),
        ]
    return [f"  {note}" for note in notes]


def _decision_role(proposal: Proposal) -> str:
    """The decision's YAML value, with one CHECK comment for what in it is a guess: the column,
    the label that means receiving the decision, and whether receiving it is favourable."""
    column = proposal.decision
    if column is None:
        return "null"
    checks = ["a guess (no column is named like a decision)"] if proposal.decision_guessed else []
    labels, favourable = proposal.decision_labels, proposal.decision_favourable
    value = _scalar(column)
    if labels or proposal.decision_positive or favourable is False:
        positive = proposal.decision_positive or [
            likely_received(labels) if labels else _received_label(proposal.decision_values)
        ]
        others = [label for label in labels if label not in positive]
        value = (
            f"{{column: {_scalar(column)}, positive: {_flow(positive) if len(positive) > 1 else _scalar(positive[0])}"
            + (f", negative: {_flow(others)}" if len(others) > 1 else "")
            + f", favourable: {'false' if favourable is False else 'true'}}}"
        )
        settled = proposal.decision_positive_given and proposal.decision_favourable_given
        if proposal.decision_reading and not settled:
            checks.append(proposal.decision_reading)
        elif labels and not proposal.decision_positive_given:
            checks.append(
                f"which label means receiving the decision? ({column}: {decision_readings(proposal)})"
            )
    if favourable is None:
        form = (
            "set favourable: false" if "favourable:" in value else "use {column, positive, favourable: false}"
        )
        checks.append(f"is receiving it good for the person? For a denial or a risk flag, {form}")
    return f"{value}   # CHECK: {'; '.join(checks)}" if checks else value


def decision_readings(proposal: Proposal) -> str:
    """The decision's labels with their rows: ``1 = 700 rows, 2 = 300 rows``."""
    from equityaudit.errors import counted

    counts = proposal.decision_counts
    return ", ".join(
        f"{label} = {counted(counts[label], 'row')}" if label in counts else label
        for label in proposal.decision_labels
    )


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
        *_groups_lines(proposal),
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
            *(f"    {_scalar(value)}: {guessed_direction(value)}" for value in proposal.segment_values),
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
