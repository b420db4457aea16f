"""What ``equityaudit init`` proposes for each column's role, read from its name and its values.

A column named like a demographic attribute is sensitive; a two-valued column named like a
decision is the decision (a risk category such as COMPAS's ``score_text`` too, read as an adverse
decision); failing that, a two-valued column is guessed, and the spec says it is a guess. The
marketing and chatbot auditors' options (segment, campaigns, offer; utterances, responses,
intents) are proposed the same way. :func:`propose_groups` adds what
:mod:`equityaudit.cli.init_groups` proposes for ``columns.groups``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from equityaudit.cli.init_groups import AgeBands, coded_values, is_age_name, propose_age_bands
from equityaudit.spec import GroupBands, GroupLabels, Thresholds

__all__ = [
    "MIN_GROUP_SIZE",
    "Proposal",
    "column_words",
    "guessed_direction",
    "likely_received",
    "named_favourable",
    "propose_groups",
    "propose_roles",
    "read_decision",
]

# matched against a column name's words joined by '_' (see column_words): marital-status, maritalStatus
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
MIN_GROUP_SIZE = Thresholds().min_group_size
"""The smallest group init's age bands keep: the default of the spec it writes."""
_BINARY = {"1", "0", "1.0", "0.0", "true", "false", "yes", "no", "y", "n", "t", "f"}
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
        return [name for name in self.numeric_sensitive if not is_age_name(column_words(name))]

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
        if _SENSITIVE.search(column_words(name)):
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
        if name not in proposal.sensitive and _RISK.search(column_words(name)) and _risk_levels(frame[name])
    ]
    if proposal.decision is None and risks:
        # score_text before v_score_text: a name that is a risk category's whole name first
        read_decision(
            frame,
            proposal,
            min(risks, key=lambda name: (column_words(name) != "score_text", risks.index(name))),
        )
    if proposal.decision is None:
        rest = [b for b in binary if b != proposal.outcome]
        label = proposal.outcome
        if (
            label
            and _TARGET.search(column_words(label))
            and not any(_TARGET.search(column_words(b)) for b in rest)
        ):
            rest, proposal.outcome = [label], None  # a label alone (bank's y) is the decision
        if rest:
            guess = min(rest, key=lambda name: (_guess_rank(frame, name), rest.index(name)))
            read_decision(frame, proposal, guess, guessed=True)
    rows = frame.height
    for name in frame.columns:
        if _ID.search(column_words(name)) and rows > 1 and frame[name].drop_nulls().n_unique() == rows:
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
    levels = _risk_levels(frame[column]) if _RISK.search(column_words(column)) else []
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
    ages = [name for name in proposal.numeric_sensitive if is_age_name(column_words(name))]
    candidates = [
        name
        for name in proposal.sensitive
        if name not in proposal.groups and is_age_name(column_words(name)) and _is_measure(frame[name])
    ]
    categories = [
        name
        for name in proposal.sensitive
        if is_age_name(column_words(name)) and not _is_measure(frame[name])
    ]
    for name in ages:
        if not add_ages or name in candidates or name in proposal.groups:
            continue
        if categories:
            proposal.age_notes.append(f"{name} is not banded: {categories[0]} groups ages already")
        else:
            candidates.append(name)
    for name in candidates:
        bands = propose_age_bands(frame[name], column=name, min_group_size=MIN_GROUP_SIZE)
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


def column_words(name: str) -> str:
    """A column name's words, lower case, joined by '_': every separator and camelCase alike.

    Examples
    --------
    >>> column_words("marital-status"), column_words("nativeCountry")
    ('marital_status', 'native_country')
    >>> column_words("Foreign Worker"), column_words("customerID")
    ('foreign_worker', 'customer_id')
    """
    return _SEPARATORS.sub("_", _CAMEL.sub("_", name)).strip("_").lower()


def _guess_rank(frame: Any, name: str) -> int:
    """How likely a two-valued column is the decision, when no column is named like one: a
    target's name (credit, income, y) first, a count (1 or 2 people liable) last."""
    if _TARGET.search(column_words(name)):
        return 0
    series = frame[name]
    values = {str(v).strip().lower() for v in series.drop_nulls().unique().to_list()}
    if _COUNT.search(column_words(name)) or (series.dtype.is_numeric() and not values <= _BINARY):
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
            proposal.campaigns[name] = guessed_direction(name)
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


_RECEIVED_WORDS = frozenset(
    {"1", "true", "yes", "y", "good", "approved", "accepted", "selected", "hired", "advanced", "granted",
     "pass", "passed", "offer", "shortlisted", "invited", "positive"}
)  # fmt: skip
"""Labels that usually mean receiving the decision (German credit's 1 = good, "approved", ...)."""


def likely_received(labels: list[str]) -> str:
    """The label to write as ``positive`` (a guess the CHECK comment asks about): one that usually
    means receiving the decision, else the last in sorted order.

    Examples
    --------
    >>> likely_received(["1", "2"]), likely_received(["Denied", "Granted"]), likely_received(["high", "low"])
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


_ADVERSE_WORDS = frozenset({"bad", "denied", "declined", "rejected", "refused", "fail", "failed", "flagged"})


def named_favourable(labels: list[str]) -> str | None:
    """The label whose name says it is the favourable outcome (approved against denied), if one
    does; a number (credit's 1 or 2) says nothing.

    Examples
    --------
    >>> named_favourable(["approved", "denied"]), named_favourable(["bad", "ok"]), named_favourable(["1", "2"])
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


def guessed_direction(name: str) -> str:
    """``unfavourable`` when a name sounds like a cost to the person (a surcharge, a denial), else
    ``favourable``: the guess written for a marketing segment or campaign, for the user to check.

    Examples
    --------
    >>> guessed_direction("price_increase"), guessed_direction("loyalty_discount")
    ('unfavourable', 'favourable')
    """
    return "unfavourable" if _UNFAVOURABLE.search(name) else "favourable"
