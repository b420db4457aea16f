"""Representation: each group's share of its axis' mentions against a target; the groups never mentioned.

For each axis, :func:`representation` compares each judged group's share of the axis' mentions
(an utterance naming two groups counts for both) with its target share — the spec's
``options.targets``, parity among the groups it names, or by default parity among the groups the
data mentions — as a ratio with a Wilson interval and an exact binomial test, under- or
over-represented outside the band [impact_ratio, 1/impact_ratio]. One **coverage** finding per
axis names the groups the data never mentions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from equityaudit.auditors.chatbot.lexicon import Axis, Group, column_name
from equityaudit.auditors.chatbot.utterances import ANY, NONE, Analysis, Utterances
from equityaudit.auditors.chatbot.wording import capital, pct, ratio_interval
from equityaudit.auditors.comparison import adjusted_p_text
from equityaudit.judging import Evidence, Judgement, meets
from equityaudit.results import CountsTable, Table, finite_or_none
from equityaudit.spec import Thresholds
from equityaudit.stats.inference import wilson_interval
from equityaudit.stats.rates import proportion

__all__ = ["Target", "representation", "target_kind"]

Target = dict[str, float] | list[str]
"""An axis' entry in ``options.targets``: shares by group, or the groups to hold at parity."""


def representation(data: Utterances, *, targets: Mapping[str, Target], thresholds: Thresholds) -> Analysis:
    """Every axis' representation table, its share evidence and its coverage evidence.

    Parameters
    ----------
    data
        The utterances and their mentions.
    targets
        ``options.targets``: by axis id, target shares or the groups held at parity; an axis
        left out is judged by parity among the groups the data mentions.
    thresholds
        ``impact_ratio`` (the band [t, 1/t]), ``alpha`` (intervals) and ``min_group_size``
        (fewer mentions of an axis than this: too few to judge).

    Returns
    -------
    Analysis
        Per axis: the table named after the axis, the counts ``mentions:<axis>`` (each group,
        ``(any)`` and ``(none)``), one evidence per judged group (family
        ``representation:<axis>``) and one coverage evidence (family ``coverage:<axis>``).
    """
    tables, counts, evidence = [], [], []
    for axis in data.lexicon.axes:
        table, counted, found = _axis_representation(data, axis, targets.get(axis.id), thresholds)
        tables.append(table)
        counts.append(counted)
        evidence += found
    return Analysis(tables=tuple(tables), counts=tuple(counts), evidence=tuple(evidence))


def target_kind(target: Target | None) -> str:
    """How the result's context names an axis' representation target."""
    if isinstance(target, dict):
        return "target shares (options.targets)"
    if target is not None:
        return "parity among the groups named in options.targets"
    return "parity among the groups mentioned"


def _axis_representation(
    data: Utterances, axis: Axis, target_given: Target | None, thresholds: Thresholds
) -> tuple[Table, CountsTable, list[Evidence]]:
    """One axis' representation table, its counts, and its share and coverage evidence."""
    from scipy import stats

    counts = np.array([int(data.mentions[column_name(axis.id, g.id)].sum()) for g in axis.groups])
    total = int(counts.sum())
    scope = _representation_targets(axis, target_given, counts)
    share = proportion(counts, np.full(counts.shape, total))
    low, high = wilson_interval(counts, np.full(counts.shape, total), alpha=thresholds.alpha)
    too_small = None
    if total < thresholds.min_group_size:
        too_small = (
            f"only {total} mentions of {axis.mention} (minimum {thresholds.min_group_size}): "
            "too few to judge representation"
        )
    rows = []
    evidence = []
    for index, group in enumerate(axis.groups):
        target = scope.targets.get(group.id)
        x = int(counts[index])
        value = finite_or_none(share[index])
        ratio = ratio_low = ratio_high = p_value = None
        if target is not None and value is not None:
            ratio = value / target
            ratio_low = finite_or_none(low[index] / target)
            ratio_high = finite_or_none(high[index] / target)
            p_value = float(stats.binomtest(x, total, target).pvalue)
        reason = None
        note = None
        if target is None and x == 0 and not scope.given:
            reason, note = "absent", "never mentioned: see the coverage finding"
        elif target is None:
            reason, note = "no_target", f"not named in options.targets.{axis.id}: reported, not judged"
        elif total == 0:
            note = f"no utterance mentions {axis.mention}: the share is undefined"
        rows.append(
            {
                "group": {axis.id: group.display},
                "group_id": group.id,
                "n": x,
                "mentions": x,
                "axis_mentions": total,
                "mention_share": value,
                "mention_share_ci_low": finite_or_none(low[index]),
                "mention_share_ci_high": finite_or_none(high[index]),
                "target_share": target,
                "mention_share_ratio": ratio,
                "mention_share_ratio_ci_low": ratio_low,
                "mention_share_ratio_ci_high": ratio_high,
                "mention_rate": finite_or_none(x / data.rows) if data.rows else None,
                "p_value": p_value,
                "reference": False,
                "excluded": target is None,
                "excluded_reason": reason,
                "note": note,
            }
        )
        if target is not None:
            evidence.append(_share_evidence(data, axis, group, rows[-1], scope.name, too_small, thresholds))
    evidence.append(_coverage_evidence(axis, counts, scope, too_small))
    band = f"{thresholds.impact_ratio:g}–{1 / thresholds.impact_ratio:.3g}"
    mentioning = data.mentioning(axis.id)
    table = Table(
        name=axis.id,
        by=[axis.id],
        metric="mention_share",
        numerator="mentions",
        denominator="axis_mentions",
        reference={axis.id: scope.name},
        methods={
            "rate_ci": "Wilson score interval on the group's share of the axis' mentions (an utterance "
            "naming two groups counts for both)",
            "ratio": f"share ÷ target share ({scope.method}); judged against the band {band} "
            "(impact_ratio and its inverse): below it under-represented, above it over-represented",
            "ratio_ci": "Wilson bounds ÷ target share (the target is a fixed number)",
            "p_value": "exact binomial test of the share against the target share, two-sided",
        },
        rows=rows,
        notes=[
            f"{total} mentions of {axis.mention} in {data.rows} utterances "
            f"({mentioning} utterances mention at least one)"
        ],
    )
    counted = CountsTable(
        name=f"mentions:{axis.id}",
        by=[axis.id],
        rows=[{"group": {axis.id: g.id}, "n": int(c)} for g, c in zip(axis.groups, counts, strict=True)]
        + [
            {"group": {axis.id: ANY}, "n": mentioning},
            {"group": {axis.id: NONE}, "n": data.rows - mentioning},
        ],
    )
    return table, counted, evidence


def _share_evidence(
    data: Utterances,
    axis: Axis,
    group: Group,
    row: dict[str, Any],
    target_name: str,
    too_small: str | None,
    thresholds: Thresholds,
) -> Evidence:
    """One judged group's share against its target, inside the band [t, 1/t] of ``impact_ratio``."""
    total = row["axis_mentions"]
    ratio = row["mention_share_ratio"]
    lower, upper = thresholds.impact_ratio, 1 / thresholds.impact_ratio
    over = ratio is not None and ratio > 1
    base = (
        f"{capital(group.label)}: {pct(row['mention_share'])} of the {total} mentions of {axis.mention} "
        f"({row['mentions']} utterances) against a target of {pct(row['target_share'])} ({target_name})"
    )

    def describe(judgement: Judgement) -> str:
        status = judgement.status
        if status == "insufficient_data" or ratio is None:
            return f"{base}; {too_small or 'the share is undefined'}. Collect more utterances that mention this axis."
        interval = ratio_interval(row["mention_share_ratio_ci_low"], row["mention_share_ratio_ci_high"])
        text = f"{base}: {ratio:.2f}× the target{interval}"
        p_text = adjusted_p_text(judgement.p_adjusted, judgement.correction)
        side = "over-represented" if over else "under-represented"
        edge = f"{upper:.3g}" if over else f"{lower:g}"
        if status == "pass":
            return f"{text}: within the {lower:g}–{upper:.3g} band, and the interval is clear of its edge."
        if status == "inconclusive":
            return (
                f"{text}: within the band, but the interval reaches past its {edge} edge and the gap is not "
                f"statistically significant ({p_text}): inconclusive. More mentions of "
                f"{axis.mention} would settle it."
            )
        if meets(ratio, upper if over else lower, "above" if over else "below"):  # warn on the right side
            return (
                f"{text}: within the band, but the gap from the target is statistically significant "
                f"({p_text}) and the interval reaches past its {edge} edge: possibly {side}. Review it."
            )
        advice = (
            f"Add training utterances from and about {group.label}."
            if not over
            else "The other groups of the axis have less than their share; see their findings."
        )
        if status == "fail":
            significance = (
                f"statistically significant ({p_text})"
                if judgement.significant
                else f"not statistically significant ({p_text}) but failed because thresholds."
                "require_significance is false"
            )
            return f"{text}: {side}, beyond the {edge} edge of the band, {significance}. {advice}"
        return (
            f"{text}: {side}, beyond the {edge} edge of the band, but not statistically significant "
            f"({p_text}); it may be chance. Monitor it and collect more data."
        )

    return Evidence(
        id=f"representation/{axis.id}/{group.id}",
        metric="mention_share",
        kind="ratio",
        table=axis.id,
        group={axis.id: group.display},
        reference={axis.id: target_name},
        value=ratio,
        ci_low=row["mention_share_ratio_ci_low"],
        ci_high=row["mention_share_ratio_ci_high"],
        p_value=row["p_value"],
        threshold=upper if over else lower,
        adverse="above" if over else "below",
        family=f"representation:{axis.id}",
        too_small=too_small,
        describe=describe,
        details={
            "group_id": group.id,
            "rate": row["mention_share"],
            "reference_rate": row["target_share"],
            "target_share": row["target_share"],
            "band": [lower, upper],
            "represented": "over" if over else "under" if ratio is not None and ratio < 1 else "at target",
            "n": row["mentions"],
            "axis_mentions": total,
            "examples": data.examples(data.mentions[column_name(axis.id, group.id)]),
        },
    )


@dataclass(frozen=True)
class _Scope:
    """Which groups of an axis representation judges, and against what."""

    targets: dict[str, float]
    """Target share by judged group id."""
    name: str
    """The reference as tables and findings name it."""
    method: str
    """How the target was set, for the table's methods."""
    given: bool
    """Whether the spec's ``options.targets`` names the axis."""


def _representation_targets(axis: Axis, given: Target | None, counts: NDArray[Any]) -> _Scope:
    """The target share of each judged group: the spec's shares, parity among the groups it
    names, or (by default) parity among the groups the data mentions at all.

    Examples
    --------
    >>> from equityaudit.auditors.chatbot.lexicon import Lexicon
    >>> gender = Lexicon.default().axis("gender")
    >>> _representation_targets(gender, None, np.array([30, 70, 0])).targets
    {'women': 0.5, 'men': 0.5}
    >>> _representation_targets(gender, ["women", "men", "trans_nonbinary"], np.array([30, 70, 0])).targets
    {'women': 0.3333333333333333, 'men': 0.3333333333333333, 'trans_nonbinary': 0.3333333333333333}
    >>> _representation_targets(gender, {"women": 0.49, "men": 0.49}, np.array([30, 70, 0])).name
    'target share'
    """
    if isinstance(given, dict):
        return _Scope(dict(given), "target share", "options.targets", True)
    if given is not None:
        named = list(dict.fromkeys(given))
        return _Scope(
            {g: 1.0 / len(named) for g in named},
            "parity",
            f"parity: 1/{len(named)} for each of the {len(named)} groups named in options.targets",
            True,
        )
    present = [g.id for g, c in zip(axis.groups, counts.tolist(), strict=True) if c > 0]
    return _Scope(
        {g: 1.0 / len(present) for g in present},
        "parity",
        f"parity: 1/k for the k = {len(present)} groups the data mentions (the lexicon has "
        f"{len(axis.groups)}; the others are in the coverage finding)",
        False,
    )


def _coverage_evidence(axis: Axis, counts: NDArray[Any], scope: _Scope, too_small: str | None) -> Evidence:
    """One finding per axis: which groups of the lexicon the data never mentions.

    Its value is the number of such groups that no target judges (those named in
    ``options.targets`` are judged by their share instead, and those a target leaves out are out
    of scope). It has no test: absent groups give ``warn`` (kept there even with
    ``require_significance: false``, since an absence is a fact about the data, not a disparity),
    none give ``pass``.
    """
    absent = [g for g, c in zip(axis.groups, counts.tolist(), strict=True) if c == 0]
    unjudged = [g for g in absent if g.id not in scope.targets and not scope.given]
    left_out = [g for g in absent if g.id not in scope.targets and scope.given]
    named_absent = [g for g in absent if g.id in scope.targets]
    present = len(axis.groups) - len(absent)

    def names(groups: list[Group]) -> str:
        return ", ".join(g.label for g in groups)

    def describe(judgement: Judgement) -> str:
        head = f"{capital(axis.label)}: {present} of the lexicon's {len(axis.groups)} groups are mentioned"
        if judgement.status == "insufficient_data":
            return f"{head}; {too_small}, so an absent group may be chance. Collect more utterances."
        parts = []
        if unjudged:
            parts.append(
                f"never mentioned: {names(unjudged)}. The data cannot show how the bot treats them, and "
                "representation is judged by parity among the groups it does mention. Add utterances "
                f"that mention them, or state a target for {axis.label} in options.targets (a list of "
                "groups, or their shares)"
            )
        if named_absent:
            parts.append(
                f"named in options.targets but never mentioned: {names(named_absent)} (judged by share)"
            )
        if left_out:
            parts.append(f"never mentioned, and not in options.targets: {names(left_out)} (not judged)")
        if not parts:
            return f"{head}: every group of the lexicon occurs in the data."
        return f"{head}; " + "; ".join(parts) + "."

    return Evidence(
        id=f"coverage/{axis.id}",
        metric="groups_absent",
        kind="test",
        table=axis.id,
        group={"axis": axis.label},
        reference=None,
        value=float(len(unjudged)),
        ci_low=None,
        ci_high=None,
        p_value=None,
        threshold=0.0,
        adverse="above",
        family=f"coverage:{axis.id}",
        too_small=too_small if absent else None,
        describe=describe,
        ceiling="warn",  # an absence describes the data; it accuses no one
        details={
            "absent": [g.id for g in absent],
            "absent_labels": [g.label for g in absent],
            "unjudged": [g.id for g in unjudged],
            "groups": len(axis.groups),
            "mentioned": present,
            "axis_mentions": int(counts.sum()),
        },
    )
