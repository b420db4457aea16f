"""The words reports use for each metric: labels, units, phrases and next steps, one lookup per kind.

Every renderer asks this module, and only this module, how to name a metric (or an auditor's
group members) in words. Each kind of word has one lookup function that takes the metric name and
returns the words, with a generic fallback for a metric it does not know (a third-party auditor's),
so that any finding renders; the built-in metrics' words are the tables below.

An auditor supplies its own words in its output (``AuditorOutput.vocabulary``), which the result
carries (``AuditResult.vocabulary``) so that a stored result renders in its auditor's words
wherever it is opened. A renderer speaks a result's words for the time it renders it
(:func:`speaking`); every lookup asks those words first, then the built-in tables, then falls
back to the metric's own name.

Examples
--------
>>> metric_label("tpr"), metric_label("interview_rate"), metric_label("mean_wait_days")
('true positive rate', 'rate of reaching interview from the stage before', 'mean wait days')
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Concatenate, ParamSpec, TypeVar

from equityaudit.results import AuditResult, MetricWords, Vocabulary

_P = ParamSpec("_P")
_R = TypeVar("_R")

__all__ = [
    "in_results_words",
    "member_noun",
    "metric_label",
    "metric_rank",
    "next_step",
    "rate_phrase",
    "short_metric_label",
    "shortfall_phrase",
    "shortfall_unit",
    "speaking",
    "subject_words",
    "summary_label",
]

_LABEL = {
    # marketing
    "inclusion_rate": "rate of inclusion in the segment or campaign",
    "segment_share": "share of the segment",
    "offer_mean": "mean offer value",
    "proxy_auc": "how well the segmentation features predict the attribute (AUC)",
    "total_variation_distance": "total variation distance from the customer base",
    # chatbot
    "mention_share": "share of the axis's mentions",
    "intent_rate": "intent frequency",
    "refusal_rate": "rate of refusals in the bot's responses",
    "flip_rate": "counterfactual prediction flip rate",
    "sentiment_difference": "difference in response sentiment",
    "words_difference": "difference in response length (words)",
    # decisions and hiring
    "selection_rate": "selection rate",
    "favourable_rate": "favourable rate (share not receiving the decision)",
    "scoring_rate": "scoring rate (share scoring above the sample median)",
    "base_rate": "base rate (share with a positive outcome)",
    "tpr": "true positive rate",
    "fpr": "false positive rate",
    "fnr": "false negative rate",
    "tnr": "true negative rate",
    "ppv": "positive predictive value",
    "npv": "negative predictive value",
    "fdr": "false discovery rate",
    "for": "false omission rate",
    "accuracy": "accuracy",
    "equal_opportunity_difference": "equal-opportunity difference (gap in true positive rates)",
    "equalized_odds_difference": "equalized-odds difference (largest gap in true or false positive rates)",
    # a model's counterfactual sensitivity (model:)
    "decision_change_rate": "share of the model's decisions that change when a sensitive column or proxy is flipped",
}
"""A metric's plain-language name (headings, captions, the HTML report's tables). The order is the
order the metrics of one table are listed in."""

_SHORT_LABEL = {
    "decision_change_rate": "decisions changed by a flip",
    "equal_opportunity_difference": "equal-opportunity gap",
    "equalized_odds_difference": "equalized-odds gap",
}
"""A few words for a metric whose name is too long for a table cell."""

_SUMMARY_LABEL = {
    "selection_rate": "selection rate",
    "favourable_rate": "share not receiving the decision",
    "scoring_rate": "share scoring above the median",
    "inclusion_rate": "rate of inclusion",
    "refusal_rate": "refusal rate",
    "tpr": "true positive rate",
    "fpr": "false positive rate",
    "equal_opportunity_difference": "gap in true positive rates",
    "equalized_odds_difference": "gap in true or false positive rates",
    "decision_change_rate": "share of decisions that change when the attribute is flipped",
}
"""A metric's name in the owner's summary, a sentence for someone who owns the decision."""

_SUBJECT_WORDS = {"inclusion_rate": ("rate of inclusion in", "impact ratio of inclusion in")}
"""Metrics whose table name says what the rate is of (``segment premium by sex``): the words put
before that subject for the rate and for the ratio."""

_RATE_PHRASE = {
    "inclusion_rate": "were included in {where} at a rate of {rate}",
    "selection_rate": "were selected at a rate of {rate}",
    "favourable_rate": "were spared the decision {rate} of the time",
    "scoring_rate": "scored above the median {rate} of the time",
}
"""What a group's members did, at what rate (``{where}``: what an inclusion rate is of)."""

_SHORTFALL_PHRASE = {
    "inclusion_rate": "{count} more {who} would need to have been included to reach {target}",
    "selection_rate": "{count} more {who} would need to have been selected to reach {target}",
    "favourable_rate": (
        "{count} fewer {who} would need to have received the decision to reach {target} of not receiving it"
    ),
    "scoring_rate": "{count} more {who} would need to have scored above the median to reach {target}",
}
"""How many more of a group's members a rate needs to reach its target, in a sentence."""

_SHORTFALL_UNIT = {
    "selection_rate": "selection(s)",
    "scoring_rate": "applicant(s) scoring above the median",
    "favourable_rate": "person(s) not receiving the decision",
    "inclusion_rate": "customer(s) included",
}
"""What a finding's shortfall counts (``12 more selection(s) would reach it``)."""

_NEXT_STEP = {
    "ratio": {
        "fail": (
            "Review how the tool treats this group: which inputs and cut-offs drive the gap, and whether an "
            "alternative with less adverse impact would serve the same purpose. Re-run this audit after any "
            "change."
        ),
        "warn": (
            "Do not treat this as a pass. Monitor the group, collect more decisions and re-run the audit; "
            "the gap may be chance or may become significant with more data."
        ),
        "inconclusive": (
            "Do not report this as a pass: the data fit both adverse impact and none. Collect the number of "
            "decisions the finding names and re-run the audit to settle it."
        ),
        "insufficient_data": (
            "Collect more data for this group before relying on the figure; until then, report it as not "
            "assessable."
        ),
        "pass": "No action needed now; keep auditing on a schedule and after changes to the tool.",
    },
    "difference": {
        "fail": (
            "Check whether the tool makes more mistakes for the lower group (for instance, different "
            "calibration or features that stand in for group membership) and correct it before relying on "
            "it."
        ),
        "warn": "Monitor the gap and collect more outcomes; it may be chance.",
        "inconclusive": (
            "Do not report this as a pass: collect the number of outcomes the finding names and re-run the "
            "audit."
        ),
        "insufficient_data": "Collect more outcomes before relying on this figure.",
        "pass": "No action needed now; keep monitoring error rates by group.",
    },
}
"""What to do next about a finding by its status: for a gap between groups (``difference``) and for
every other finding (a ratio to the reference group, a rate or a test)."""

_METRIC_NEXT_STEP = {
    "decision_change_rate": {
        "fail": (
            "The model's decisions depend on this attribute (or what stands in for it): remove it from the "
            "model's inputs or justify its use, retrain, and re-run this audit."
        ),
        "warn": "Do not treat this as a pass: score more held-out rows of this group and re-run the audit.",
        "inconclusive": (
            "Score more held-out rows of this group: the data cannot yet tell whether more decisions change "
            "than the limit allows."
        ),
        "insufficient_data": "Too few held-out rows of this group to judge; score more before relying on it.",
        "pass": "No action needed now; re-run this audit after retraining the model.",
    },
    "total_variation_distance": {
        "warn": (
            "Check which features define this segment or campaign, and read its targeting findings: "
            "they say whether the difference in make-up disadvantages a group."
        ),
        "inconclusive": "A difference that may be chance: collect more data before relying on it.",
        "insufficient_data": "Too few members to judge: collect more data before relying on it.",
        "pass": "No action needed now; keep monitoring the make-up of the segment.",
    },
    "offer_mean": {
        "fail": (
            "Check how offers are set for this group: which inputs and rules give it less, and whether "
            "they are needed. Re-run this audit after any change."
        ),
        "warn": "Do not treat this as a pass: monitor the offers to this group and re-run with more data.",
        "inconclusive": "Collect more offers to this group: the data cannot yet tell a gap from none.",
        "insufficient_data": "Collect more offers to this group before relying on the figure.",
        "pass": "No action needed now; keep auditing offers on a schedule.",
    },
    "proxy_auc": {
        "fail": (
            "Check whether the segments and campaigns that use this feature need it, and read their "
            "targeting findings: a feature this predictive lets a segmentation follow group lines."
        ),
        "warn": "Watch this feature: it carries some information about the group.",
        "inconclusive": "Collect more data: the feature may or may not carry the group.",
        "insufficient_data": "Too few customers of some categories to judge; collect more data.",
        "pass": "No action needed now: the feature says little about the group.",
    },
}
"""Next steps of metrics that are neither a rate nor an error-rate gap, by status."""

_MEMBER_NOUN = {"hiring": "applicants", "decisions": "people", "marketing": "customers"}
"""Who a group's members are, by auditor."""


_SPOKEN: ContextVar[Vocabulary | None] = ContextVar("equityaudit_vocabulary", default=None)
"""The vocabulary of the result being rendered (:func:`speaking`), or None."""

_AUDITOR: ContextVar[str | None] = ContextVar("equityaudit_auditor", default=None)
"""The auditor of the result being rendered: funnel-stage words are the hiring auditor's only."""

_FUNNEL_AUDITORS = frozenset({"hiring"})
"""Auditors whose ``<stage>_rate`` and ``<stage>_cumulative_rate`` metrics are funnel stages."""


@contextmanager
def speaking(vocabulary: Vocabulary | None, *, auditor: str | None = None) -> Iterator[None]:
    """Render in ``vocabulary`` (a result's ``vocabulary``): every lookup asks it first.

    ``auditor`` is the result's auditor: a metric named ``<stage>_rate`` is read as a funnel
    stage's rate only in a hiring audit's result (or when no result is being rendered); in any
    other, a metric without words is named after itself.

    Examples
    --------
    >>> from equityaudit.results import MetricWords, Vocabulary
    >>> words = Vocabulary(members="borrowers", metrics={"approval_rate": MetricWords(label="share of loans approved")})
    >>> with speaking(words, auditor="loans"):
    ...     metric_label("approval_rate"), member_noun("loans")
    ('share of loans approved', 'borrowers')
    >>> with speaking(None, auditor="loans"):  # without them: the metric's own name
    ...     metric_label("approval_rate"), member_noun("loans")
    ('approval rate', '')
    """
    token, auditor_token = _SPOKEN.set(vocabulary), _AUDITOR.set(auditor)
    try:
        yield
    finally:
        _SPOKEN.reset(token)
        _AUDITOR.reset(auditor_token)


def _funnel() -> bool:
    """Whether ``<stage>_rate`` metrics name funnel stages in the result being rendered."""
    auditor = _AUDITOR.get()
    return auditor is None or auditor in _FUNNEL_AUDITORS


def in_results_words(
    render: Callable[Concatenate[AuditResult, _P], _R],
) -> Callable[Concatenate[AuditResult, _P], _R]:
    """Make a renderer of one result speak that result's vocabulary (:func:`speaking`)."""

    @wraps(render)
    def speaking_its_words(result: AuditResult, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with speaking(result.vocabulary, auditor=result.audit.auditor):
            return render(result, *args, **kwargs)

    return speaking_its_words


def _own(metric: str) -> MetricWords | None:
    """The words the result being rendered gives ``metric``, if any."""
    spoken = _SPOKEN.get()
    return spoken.metrics.get(metric) if spoken is not None else None


def metric_label(metric: str) -> str:
    """Plain-language name of a metric, including the funnel's stage rates.

    Examples
    --------
    >>> metric_label("selection_rate"), metric_label("offer_cumulative_rate")
    ('selection rate', 'share of all applicants reaching offer')
    """
    own = _own(metric)
    if own is not None:
        return own.label
    if metric in _LABEL:
        return _LABEL[metric]
    if _funnel() and metric.endswith("_cumulative_rate"):
        return f"share of all applicants reaching {metric.removesuffix('_cumulative_rate')}"
    if _funnel() and metric.endswith("_rate"):
        return f"rate of reaching {metric.removesuffix('_rate')} from the stage before"
    return metric.replace("_", " ")


def short_metric_label(metric: str) -> str:
    """A few words for a metric, for tables: ``interview_rate`` → ``reaching interview (stage to stage)``.

    Examples
    --------
    >>> short_metric_label("interview_rate"), short_metric_label("equalized_odds_difference")
    ('reaching interview (stage to stage)', 'equalized-odds gap')
    """
    own = _own(metric)
    if own is not None:
        return own.short_label or own.label
    if metric in ("selection_rate", "scoring_rate", "favourable_rate"):
        return metric.replace("_", " ")
    if _funnel() and metric.endswith("_cumulative_rate"):
        return f"reaching {metric.removesuffix('_cumulative_rate')} (of all)"
    if _funnel() and metric.endswith("_rate") and metric not in _LABEL:
        return f"reaching {metric.removesuffix('_rate')} (stage to stage)"
    return _SHORT_LABEL.get(metric, metric_label(metric))


def metric_rank(metric: str) -> int:
    """Where a metric comes in a list of one table's metrics: the built-ins in a fixed order, then
    any other (which the caller orders by name)."""
    order = list(_LABEL)
    return order.index(metric) if metric in order else len(order)


def summary_label(metric: str) -> str:
    """A metric's name in the owner's summary: ``favourable_rate`` → ``share not receiving the decision``."""
    own = _own(metric)
    if own is not None:
        return own.summary_label or own.label
    return _SUMMARY_LABEL.get(metric, metric.replace("_", " "))


def subject_words(metric: str) -> tuple[str, str] | None:
    """For a metric whose table name says what the rate is of, the words put before that subject
    for the rate and for its impact ratio; None for every other metric.

    Examples
    --------
    >>> subject_words("inclusion_rate"), subject_words("selection_rate")
    (('rate of inclusion in', 'impact ratio of inclusion in'), None)
    """
    return _SUBJECT_WORDS.get(metric)


def rate_phrase(metric: str, *, rate: str, where: str = "", stage: str | None = None) -> str:
    """What a group's members did at ``rate`` (already formatted), as the end of a sentence.

    ``where`` is what an inclusion rate is of (a segment or campaign); ``stage`` the hiring stage a
    stage rate is about, when the finding is one.

    Examples
    --------
    >>> rate_phrase("selection_rate", rate="25.0%"), rate_phrase("interview_rate", rate="9.1%", stage="interview")
    ('were selected at a rate of 25.0%', 'reached interview at a rate of 9.1%')
    """
    own = _own(metric)
    if own is not None and own.rate_phrase:
        return own.rate_phrase.format(rate=rate)
    if metric in _RATE_PHRASE:
        return _RATE_PHRASE[metric].format(rate=rate, where=where)
    if stage:
        return f"reached {stage} at a rate of {rate}"
    return f"had a {summary_label(metric)} of {rate}"


def shortfall_phrase(metric: str, *, count: str, who: str, target: str, stage: str | None = None) -> str:
    """How many more of ``who`` a rate needs to reach ``target``, as a clause of a sentence.

    Examples
    --------
    >>> shortfall_phrase("selection_rate", count="47", who="Black applicants", target="four-fifths of the rate")
    '47 more Black applicants would need to have been selected to reach four-fifths of the rate'
    """
    own = _own(metric)
    if own is not None and own.shortfall_phrase:
        return own.shortfall_phrase.format(count=count, who=who, target=target)
    if metric in _SHORTFALL_PHRASE:
        return _SHORTFALL_PHRASE[metric].format(count=count, who=who, target=target)
    if stage:
        return f"{count} more {who} would need to have reached {stage} to reach {target}"
    return f"{count} more would need to count towards the rate to reach {target}"


def shortfall_unit(metric: str) -> str:
    """What a ratio finding's shortfall counts: ``selection(s)``, ``applicant(s) reaching interview``.

    Examples
    --------
    >>> shortfall_unit("selection_rate"), shortfall_unit("interview_rate")
    ('selection(s)', 'applicant(s) reaching interview')
    """
    own = _own(metric)
    if own is not None and own.shortfall_unit:
        return own.shortfall_unit
    if metric in _SHORTFALL_UNIT:
        return _SHORTFALL_UNIT[metric]
    if _funnel() and metric.endswith("_rate"):
        return f"applicant(s) reaching {metric.removesuffix('_rate')}"
    return "selection(s)" if _funnel() else "count(s) towards the rate"


def next_step(metric: str, status: str, *, kind: str) -> str:
    """What to do next about a finding of ``metric`` with ``status``.

    A metric with next steps of its own has them; any other finding gets those of its ``kind``: a
    gap between groups (``difference``) or a comparison with a reference or threshold (any other).

    Examples
    --------
    >>> next_step("selection_rate", "pass", kind="ratio")
    'No action needed now; keep auditing on a schedule and after changes to the tool.'
    """
    words = _own(metric)
    if words is not None and status in words.next_steps:
        return words.next_steps[status]
    own = _METRIC_NEXT_STEP.get(metric, {})
    if status in own:
        return own[status]
    return _NEXT_STEP["difference" if kind == "difference" else "ratio"][status]


def member_noun(auditor: str) -> str:
    """Who a group's members are in an auditor's results (``applicants``); ``""`` when unknown."""
    spoken = _SPOKEN.get()
    if spoken is not None and spoken.members:
        return spoken.members
    return _MEMBER_NOUN.get(auditor, "")
