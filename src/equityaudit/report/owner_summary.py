"""The summary an owner reads first: three to five plain sentences about one audit result.

What was audited, the verdict, the largest disparity with its size in people, and what to do
next. Every renderer (terminal, Markdown, HTML) shows the same sentences, taken from
:func:`owner_summary`; like every report it reads the result's numbers and computes none.

A finding from any auditor is summarised: when a detail the wording needs is missing (a
third-party auditor's finding without ``rate``, ``reference_rate`` or ``shortfall``), the sentence
says less rather than guessing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from equityaudit.report.formatting import fmt_count, fmt_pct, fmt_ratio, number_or_none
from equityaudit.report.vocabulary import (
    in_results_words,
    member_noun,
    rate_phrase,
    shortfall_phrase,
    summary_label,
)
from equityaudit.results import AuditResult, Finding

__all__ = ["owner_summary"]


@in_results_words
def owner_summary(result: AuditResult) -> list[str]:
    """Three to five sentences in plain words: what was audited, the verdict, the largest
    disparity with its size in people, and what to do next.

    Parameters
    ----------
    result
        The audit result; every number in the sentences is one it holds.

    Returns
    -------
    list of str
        The sentences, in reading order.

    Examples
    --------
    >>> import equityaudit as ea
    >>> sentences = owner_summary(ea.run("audits/hiring.yaml"))
    >>> sentences[1]
    'The verdict is fail: 9 of the 36 comparisons found a group treated worse than its reference group beyond the threshold, by more than chance would explain.'
    """
    sentences = [_audited(result)]
    findings = result.findings
    if result.verdict == "blocked":
        sentences.append(_blocked(result))
        sentences.append("Next step: fix the data problems the quality gate lists and run the audit again.")
        return sentences
    sentences.append(_verdict(result))
    flagged = [f for f in findings if f.status == "fail"] or [f for f in findings if f.status == "warn"]
    if flagged:
        sentences.append(_disparity(result, _largest(flagged)))
    inconclusive = [f for f in findings if f.status == "inconclusive"]
    if inconclusive:
        sentences.append(_unsettled(result, inconclusive))
    sentences.append(_next_step(result, flagged))
    return sentences


def _audited(result: AuditResult) -> str:
    data = result.data
    kind = "test data" if data.kind == "test" else "historical data"
    period = ""
    if (
        data.period
        and isinstance(data.period.get("start"), dt.date)
        and isinstance(data.period.get("end"), dt.date)
    ):
        period = f", {_date(data.period['start'])} to {_date(data.period['end'])}"
    attributes = _attributes(result)
    compared = f", comparing groups by {_and(attributes)}" if attributes else ""
    return (
        f"This audit ({result.audit.name}) ran the {result.audit.auditor} auditor on "
        f"{fmt_count(data.rows)} rows of {kind} from {data.source}{period}{compared}."
    )


def _attributes(result: AuditResult) -> list[str]:
    """The groupings compared, in the result's order: ``sex``, ``sex × race_ethnicity``."""
    groupings: list[tuple[str, ...]] = [tuple(table.by) for table in result.tables]
    if not groupings:  # no tables (a third-party auditor): the findings' groups say what was compared
        groupings = [tuple(finding.group) for finding in result.findings]
    seen: list[str] = []
    for by in groupings:
        name = " × ".join(by)
        if name and name not in seen:
            seen.append(name)
    return seen


def _blocked(result: AuditResult) -> str:
    failed = [check for check in result.gate.checks if not check.passed]
    what = ""
    if failed:
        what = f": the data failed {len(failed)} of its {len(result.gate.checks)} check(s) ({failed[0].message.rstrip('.')}"
        what += ", and more)" if len(failed) > 1 else ")"
    recorded = "; the findings it recorded must not be relied on" if result.findings else ""
    return f"The quality gate stopped this audit before any conclusion could be drawn{what}{recorded}."


def _verdict(result: AuditResult) -> str:
    findings = result.findings
    total = len(findings)
    tally = {status: sum(f.status == status for f in findings) for status in ("fail", "warn", "inconclusive")}
    tally["insufficient_data"] = sum(f.status == "insufficient_data" for f in findings)
    gate_warnings = sum(not check.passed for check in result.gate.checks)
    gate = f", and {gate_warnings} quality-gate check(s) failed" if gate_warnings else ""
    if result.verdict == "fail":
        # a model's counterfactual findings are not comparisons between groups: counted on their own
        flips = [f for f in findings if f.metric == _FLIP_METRIC]
        compared = [f for f in findings if f.metric != _FLIP_METRIC]
        failed = sum(f.status == "fail" for f in compared)
        flipped = sum(f.status == "fail" for f in flips)
        parts = []
        if failed or not flipped:
            parts.append(
                f"{failed} of the {len(compared)} comparisons found a group treated worse than its reference "
                "group beyond the threshold, by more than chance would explain"
            )
        if flipped:
            parts.append(
                f"for {flipped} of the {len(flips)} groups checked, flipping a sensitive attribute or a proxy "
                "the model reads changes more of its decisions than the limit allows, by more than chance "
                "would explain"
            )
        return f"The verdict is fail: {'; and '.join(parts)}."
    if result.verdict == "warn":
        parts = [
            f"{tally['warn']} below the threshold or close to it" if tally["warn"] else "",
            f"{tally['inconclusive']} inconclusive" if tally["inconclusive"] else "",
            f"{tally['insufficient_data']} with too little data to judge"
            if tally["insufficient_data"]
            else "",
        ]
        named = _and([p for p in parts if p])
        flagged = total - sum(f.status == "pass" for f in findings)
        if not flagged:
            return f"The verdict is warning: every one of the {total} comparisons passed{gate}."
        return (
            f"The verdict is warning: no comparison fails, but {flagged} of the {total} are not a pass "
            f"({named}){gate}."
        )
    if not findings:
        return "The verdict is pass, but no comparison was made, so nothing was found either way."
    return f"The verdict is pass: all {total} comparisons ruled out a disparity beyond the threshold."


_FLIP_METRIC = "decision_change_rate"
"""A model's counterfactual sensitivity (``model:`` audits): the share of a group's decisions a flip changes."""


def _largest(findings: Sequence[Finding]) -> Finding:
    """The finding with the most people short of the threshold; the lowest ratio breaks ties."""

    def size(finding: Finding) -> tuple[float, float]:
        short = number_or_none(finding.details.get("shortfall"))
        value = number_or_none(finding.value)
        ratio = -value if finding.kind == "ratio" and value is not None else float("-inf")
        return (short if short is not None else -1.0, ratio)

    return max(findings, key=size)


def _disparity(result: AuditResult, finding: Finding) -> str:
    noun = member_noun(result.audit.auditor)
    who = _who(finding.group, noun)
    details: Mapping[str, Any] = finding.details
    rate, reference_rate = number_or_none(details.get("rate")), number_or_none(details.get("reference_rate"))
    value = number_or_none(finding.value)
    reference = _who(finding.reference, noun) if finding.reference else None
    label = _label(finding)
    inverted = str(_table_methods(result, finding.table).get("ratio", "")).startswith("unfavourable")
    if finding.kind != "ratio" or inverted or reference is None or rate is None or reference_rate is None:
        measure = f"{label}, value {fmt_ratio(value)}" if value is not None else label
        return f"The most serious finding concerns {who} ({measure}): {finding.status}."
    ratio = f" (ratio {fmt_ratio(value)})" if value is not None else ""
    sentence = (
        f"The largest disparity: {who} {_rate_phrase(finding, rate)} against "
        f"{fmt_pct(reference_rate)} for {reference}{ratio}"
    )
    short = number_or_none(details.get("shortfall"))
    threshold = number_or_none(finding.threshold)
    if short and threshold is not None:
        target = f"{_share(threshold)} of {_rate_of(reference)}"
        sentence += f"; {_shortfall(finding, short, who, target)}"
    return sentence + "."


def _table_methods(result: AuditResult, name: str) -> Mapping[str, Any]:
    return next((table.methods for table in result.tables if table.name == name), {})


def _rate_phrase(finding: Finding, rate: float) -> str:
    where = finding.table.split(" by ", 1)[0]  # what an inclusion rate is of: "segment premium by sex"
    return rate_phrase(finding.metric, rate=fmt_pct(rate), where=where, stage=_stage(finding))


def _shortfall(finding: Finding, short: float, who: str, target: str) -> str:
    return shortfall_phrase(
        finding.metric, count=fmt_count(short), who=who, target=target, stage=_stage(finding)
    )


def _stage(finding: Finding) -> str | None:
    """The stage a hiring funnel rate is about (``Finding.stage``), in words."""
    return finding.stage.replace("_", " ") if finding.stage else None


def _label(finding: Finding) -> str:
    stage = _stage(finding)
    if stage:
        return f"rate of reaching {stage}"
    return summary_label(finding.metric)


_REALISTIC = 100
"""More rows per group than this many times the audited data is not a realistic amount to collect."""


def _unsettled(result: AuditResult, findings: Sequence[Finding]) -> str:
    noun = member_noun(result.audit.auditor)
    some = f"{len(findings)} findings are" if len(findings) > 1 else "1 finding is"
    start = f"{some} inconclusive: the data fit both a disparity and none"
    sized = [(number_or_none(f.details.get("rows_to_settle")), f) for f in findings]
    known = [(rows, f) for rows, f in sized if rows is not None]
    if not known:
        return f"{start}, and more data would settle {'them' if len(findings) > 1 else 'it'}."
    rows, finding = max(known, key=lambda item: item[0])
    if rows <= _REALISTIC * result.data.rows:
        return (
            f"{start}; about {fmt_count(rows)} rows per group would settle even the least certain "
            f"({_who(finding.group, noun)}, {_label(finding)})."
        )
    # an estimate almost on its threshold needs absurd amounts of data: say so, and size the typical one
    typical = sorted(r for r, _ in known)[(len(known) - 1) // 2]
    return (
        f"{start}; about {fmt_count(typical)} rows per group would settle half of them, but the least certain "
        f"({_who(finding.group, noun)}, {_label(finding)}) sits so close to its threshold that no realistic "
        "amount of data would."
    )


def _next_step(result: AuditResult, flagged: Sequence[Finding]) -> str:
    if result.verdict == "fail":
        noun = member_noun(result.audit.auditor)
        failing = [f for f in result.findings if f.status == "fail"]
        first = _who(_largest(failing).group, noun) if failing else "the failing groups"
        return (
            f"Next step: review how the tool treats {first} and the other failing groups before relying on its "
            "decisions, and audit again after any change."
        )
    if result.verdict == "warn":
        if flagged or any(f.status != "pass" for f in result.findings):
            return (
                "Next step: do not report this as a pass; monitor the groups named below and audit again "
                "with more data."
            )
        return "Next step: fix the data problems the quality gate lists, then audit again."
    return "Next step: no action is needed now; audit again on a schedule and after any change to the tool."


def _who(group: Mapping[str, Any] | None, noun: str) -> str:
    """``Asian applicants``, ``applicants who are Female and White``; without a noun, ``the group Asian``."""
    values = [str(v) for v in (group or {}).values()]
    if not values:
        return noun or "the group"
    if not noun:
        return f"the group {', '.join(values)}"
    if len(values) == 1:
        return f"{values[0]} {noun}"
    return f"{noun} who are {_and(values)}"


def _rate_of(who: str) -> str:
    """``Asian applicants`` → ``Asian applicants' rate``; an intersection → ``the rate of applicants who are …``."""
    if " who are " in who or who.startswith("the group"):
        return f"the rate of {who}"
    return f"{who}' rate" if who.endswith("s") else f"{who}'s rate"


def _share(threshold: float) -> str:
    if threshold == 0.8:
        return "four-fifths"
    return f"{threshold * 100:g}%"


def _and(items: Sequence[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + f" and {items[-1]}"


def _date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"
