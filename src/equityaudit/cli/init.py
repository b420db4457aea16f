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

from equityaudit.cli.init_groups import (
    AgeBands,
    coded_values,
    grouping_lines,
    is_age_name,
    propose_age_bands,
    read_groups_file,
    unnamed_values,
)
from equityaudit.spec import GroupBands, GroupLabels, Thresholds

__all__ = ["Proposal", "init_command", "propose_groups", "propose_roles", "read_decision", "render_spec"]

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
# a risk tool's decision is its risk category (COMPAS's score_text: Low, Medium, High); matched
# against a column name's words joined by '_'
_RISK = re.compile(r"(^|_)(score_text|risk(_(level|category|band|class|tier|rating))?)$", re.I)
_RISK_LEVELS = {"very low": 0, "low": 1, "medium": 2, "moderate": 2, "high": 3, "very high": 4}
_MIN_GROUP_SIZE = Thresholds().min_group_size  # the spec init writes keeps the default
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
    numeric_sensitive: list[str] = field(default_factory=list)  # numbers, not categories (age in years)
    decision: str | None = None
    decision_labels: list[str] = field(default_factory=list)
    decision_guessed: bool = (
        False  # no column's name says it is a decision: a two-valued one, a target-like name first
    )
    decision_counts: dict[str, int] = field(default_factory=dict)  # rows holding each decision value
    decision_favourable: bool | None = None  # receiving it is good for the person; None: not asked
    decision_positive: list[str] = field(default_factory=list)  # the labels that mean receiving it
    decision_positive_given: bool = False  # the user named them (--positive, or answered)
    decision_favourable_given: bool = False  # the user said so (--adverse-decision, or answered)
    decision_reading: str | None = None  # how init read a risk category, for the CHECK comment
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
    # columns.groups
    groups: dict[str, GroupLabels | GroupBands] = field(default_factory=dict)  # given (--groups)
    groups_origin: str | None = None  # the file they came from
    age_bands: dict[str, AgeBands] = field(default_factory=dict)  # proposed for a numeric age
    age_notes: list[str] = field(default_factory=list)  # why an age is not banded
    codes: dict[str, dict[str, int]] = field(default_factory=dict)  # a coded sensitive column's rows by code

    @property
    def numeric_unbanded(self) -> list[str]:
        """Numeric columns that look demographic and are no age init bands (it proposes none for them)."""
        return [name for name in self.numeric_sensitive if not is_age_name(_words(name))]

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
        if _OUTCOME.search(name) and proposal.outcome is None:
            proposal.outcome = name
        elif _DECISION.search(name) and proposal.decision is None:
            read_decision(frame, proposal, name)
    risks = [
        name
        for name in frame.columns
        if name not in proposal.sensitive and _RISK.search(_words(name)) and _risk_levels(frame[name])
    ]
    if proposal.decision is None and risks:
        # score_text before v_score_text: a name that is a risk category's whole name first
        read_decision(
            frame, proposal, min(risks, key=lambda name: (_words(name) != "score_text", risks.index(name)))
        )
    if proposal.decision is None:
        rest = [b for b in binary if b != proposal.outcome]
        label = proposal.outcome
        if label and _TARGET.search(_words(label)) and not any(_TARGET.search(_words(b)) for b in rest):
            rest, proposal.outcome = [label], None  # a label alone (bank's y) is the decision
        if rest:
            guess = min(rest, key=lambda name: (_guess_rank(frame, name), rest.index(name)))
            read_decision(frame, proposal, guess, guessed=True)
    rows = frame.height
    for name in frame.columns:
        if _ID.search(_words(name)) and rows > 1 and frame[name].drop_nulls().n_unique() == rows:
            proposal.id = name
            break
    _propose_marketing(frame, proposal, binary)
    _propose_chatbot(frame, proposal)
    propose_groups(frame, proposal)
    return proposal


def read_decision(frame: Any, proposal: Proposal, column: str, *, guessed: bool = False) -> None:
    """Make ``column`` the proposal's decision and read its values: yes/no-like values need no
    label; a risk category (Low, Medium, High) is read as ProPublica read COMPAS's, Medium or High
    flagging a person as higher risk (an adverse decision); other labels are listed to choose from.

    Examples
    --------
    >>> import polars as pl
    >>> frame = pl.DataFrame({"score_text": ["Low"] * 5 + ["Medium"] * 3 + ["High"] * 2})
    >>> proposal = Proposal(columns=frame.columns)
    >>> read_decision(frame, proposal, "score_text")
    >>> proposal.decision_labels, proposal.decision_positive, proposal.decision_favourable
    (['Low', 'Medium', 'High'], ['Medium', 'High'], False)
    """
    proposal.decision = column
    proposal.decision_guessed = guessed
    proposal.decision_counts = _label_counts(frame, column)
    proposal.decision_positive, proposal.decision_positive_given = [], False
    proposal.decision_reading = None
    if not proposal.decision_favourable_given:
        proposal.decision_favourable = None
    values = proposal.decision_values
    levels = _risk_levels(frame[column]) if _RISK.search(_words(column)) else []
    if levels:
        proposal.decision_labels = levels
        proposal.decision_positive = _raised(levels)
        if not proposal.decision_favourable_given:
            proposal.decision_favourable = False
        from equityaudit.errors import counted

        counts = proposal.decision_counts
        flagged = " or ".join(proposal.decision_positive)
        proposal.decision_reading = (
            f"{column} is a risk category: {flagged} read as flagged as higher risk (ProPublica's reading of "
            "COMPAS's score_text: Medium or High, its decile_score 5 or more), so receiving it is adverse, "
            f"favourable: false ({column}: "
            + ", ".join(f"{level} = {counted(counts[level], 'row')}" for level in levels)
            + ")"
        )
    else:
        proposal.decision_labels = [] if {v.strip().lower() for v in values} <= _BINARY else values


def _risk_levels(series: Any) -> list[str]:
    """A column's values in order of risk when each is a risk level (Low, Medium, High, ...) and
    there are two or more; else an empty list."""
    if series.dtype.is_numeric():
        return []
    values = [str(v) for v in series.drop_nulls().unique().to_list()]
    if not 2 <= len(values) <= len(_RISK_LEVELS) or any(
        v.strip().lower() not in _RISK_LEVELS for v in values
    ):
        return []
    ranks = [_RISK_LEVELS[v.strip().lower()] for v in values]
    if len(set(ranks)) != len(ranks):  # Medium and Moderate both: no one order
        return []
    return sorted(values, key=lambda v: _RISK_LEVELS[v.strip().lower()])


def _raised(levels: list[str]) -> list[str]:
    """The risk levels that flag a person: above Low (Medium, High), else all but the lowest."""
    above = [v for v in levels if _RISK_LEVELS[v.strip().lower()] > _RISK_LEVELS["low"]]
    return above if 0 < len(above) < len(levels) else levels[1:]


def _is_measure(series: Any) -> bool:
    """Numbers with too many values to be categories (an age in years, not an age band)."""
    return bool(series.dtype.is_numeric()) and series.drop_nulls().n_unique() > 12


def propose_groups(frame: Any, proposal: Proposal, *, add_ages: bool = True) -> None:
    """Propose ``columns.groups`` for the proposal's sensitive columns (a polars DataFrame).

    A numeric age (``age``, ``age_years``, ``applicant-age``) is banded at 25, 40 and 65 where
    the data allows (:func:`~equityaudit.cli.init_groups.propose_age_bands`) and, with
    ``add_ages``, added to the sensitive columns; not when a categorical age column (COMPAS's
    ``age_cat``) is sensitive already. A sensitive column of codes gets its codes counted, for a
    skeleton to fill in. Columns the proposal's given groups name are left as given.

    Examples
    --------
    >>> import polars as pl
    >>> frame = pl.DataFrame({"age": [21, 22, 23] * 12 + list(range(25, 65)) * 2, "sex": ["A1", "A2"] * 58})
    >>> proposal = Proposal(columns=frame.columns, sensitive=["sex"], numeric_sensitive=["age"])
    >>> propose_groups(frame, proposal)
    >>> proposal.sensitive, proposal.age_bands["age"].cuts, proposal.codes
    (['sex', 'age'], [25, 40], {'sex': {'A1': 58, 'A2': 58}})
    """
    proposal.age_bands, proposal.age_notes, proposal.codes = {}, [], {}
    ages = [name for name in proposal.numeric_sensitive if is_age_name(_words(name))]
    candidates = [
        name
        for name in proposal.sensitive
        if name not in proposal.groups and is_age_name(_words(name)) and _is_measure(frame[name])
    ]
    categories = [
        name for name in proposal.sensitive if is_age_name(_words(name)) and not _is_measure(frame[name])
    ]
    for name in ages:
        if not add_ages or name in candidates or name in proposal.groups:
            continue
        if categories:
            proposal.age_notes.append(f"{name} is not banded: {categories[0]} groups ages already")
        else:
            candidates.append(name)
    for name in candidates:
        bands = propose_age_bands(frame[name], column=name, min_group_size=_MIN_GROUP_SIZE)
        if bands.cuts:
            proposal.age_bands[name] = bands
            if name not in proposal.sensitive:
                proposal.sensitive.append(name)
        else:
            proposal.age_notes.append(bands.why_none())
    for name in proposal.sensitive:
        if name not in proposal.groups and name not in proposal.age_bands:
            codes = coded_values(frame[name])
            if codes:
                proposal.codes[name] = codes
    # a sensitive column is what the segmentation's inputs are tested against, never one of them
    proposal.features = [name for name in proposal.features if name not in proposal.sensitive]


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
            _likely_received(labels) if labels else _received_label(proposal.decision_values)
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
            checks.append(f"which label means receiving the decision? ({column}: {_readings(proposal)})")
    if favourable is None:
        form = (
            "set favourable: false" if "favourable:" in value else "use {column, positive, favourable: false}"
        )
        checks.append(f"is receiving it good for the person? For a denial or a risk flag, {form}")
    return f"{value}   # CHECK: {'; '.join(checks)}" if checks else value


def _readings(proposal: Proposal) -> str:
    """The decision's labels with their rows: ``1 = 700 rows, 2 = 300 rows``."""
    from equityaudit.errors import counted

    counts = proposal.decision_counts
    return ", ".join(
        f"{label} = {counted(counts[label], 'row')}" if label in counts else label
        for label in proposal.decision_labels
    )


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
            if is_age_name(_words(column)) and column not in proposal.sensitive
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
    click.echo(f"Wrote {out}. Check it, then run: equityaudit run {out}")


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
        click.echo(f"Columns of {data} ({len(proposal.columns)}):")
        click.echo(
            textwrap.fill(", ".join(proposal.columns), width=100, initial_indent="  ", subsequent_indent="  ")
        )
    click.echo(f"Proposed roles for {data} ({len(proposal.columns)} columns):")
    for role, value in _summary(proposal, auditor):
        click.echo(f"  {role + ':':<10} {value}")
    for note in notes:
        click.echo(f"note: {note}")


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
            click.echo(f"  {column} in bands: {_bands_text(bands)}")
        for note in proposal.age_notes:
            click.echo(f"  {note}")
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
        click.echo(f"{unknown[0]!r} is not a column of the data. {did_you_mean(unknown[0], columns)}")


def _ask_column(prompt: str, default: str | None, columns: list[str]) -> str | None:
    """Ask for one column of the data (empty: none), until the answer is one."""
    from equityaudit.errors import did_you_mean

    while True:
        answer = str(click.prompt(prompt, default=default or "", show_default=bool(default))).strip()
        if not answer or answer in columns:
            return answer or None
        click.echo(f"{answer!r} is not a column of the data. {did_you_mean(answer, columns)}")


def _ask_favourable(proposal: Proposal) -> None:
    """Ask what the decision's values mean for the person, showing the readings with their counts."""
    column, labels, counts = str(proposal.decision), proposal.decision_labels, proposal.decision_counts
    if proposal.decision_reading and not proposal.decision_favourable_given:
        flagged = " or ".join(proposal.decision_positive)
        if click.confirm(
            f"{column} is a risk category ({_readings(proposal)}). Read {flagged} as "
            "flagged as higher risk, an adverse decision (the audit compares the rate of not being flagged)?",
            default=True,
        ):
            proposal.decision_positive_given = proposal.decision_favourable_given = True
            return
    if labels and not proposal.decision_positive_given:
        named = _named_favourable(labels)
        if named is not None:
            proposal.decision_positive, proposal.decision_positive_given = [named], True
        else:
            total = sum(counts.get(label, 0) for label in labels)
            click.echo(
                f"{column}: {_readings(proposal)}. Which value is the favourable outcome for the person?"
            )
            for label in labels:
                n = counts.get(label, 0)
                click.echo(f"  read {label} as favourable: {n} rows favourable, {total - n} not")
            default = _likely_received(labels)
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
        click.echo(f"Answer with one or more of {', '.join(labels)}, but not all of them.")


_ADVERSE_WORDS = frozenset({"bad", "denied", "declined", "rejected", "refused", "fail", "failed", "flagged"})


def _named_favourable(labels: list[str]) -> str | None:
    """The label whose name says it is the favourable outcome (approved against denied), if one
    does; a number (credit's 1 or 2) says nothing.

    Examples
    --------
    >>> _named_favourable(["approved", "denied"]), _named_favourable(["bad", "ok"]), _named_favourable(["1", "2"])
    ('approved', 'ok', None)
    """
    good = [
        label for label in labels if label.strip().lower() in _RECEIVED_WORDS and not label.strip().isdigit()
    ]
    if len(good) == 1:
        return good[0]
    bad = [label for label in labels if label.strip().lower() in _ADVERSE_WORDS]
    if len(labels) == 2 and len(bad) == 1:
        return next(label for label in labels if label not in bad)
    return None


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
         f"{_MIN_GROUP_SIZE} rows)")
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
