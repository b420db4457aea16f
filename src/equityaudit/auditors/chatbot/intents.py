"""Intent skew: how often each intent labels utterances that mention a group, against those that mention none.

For each axis, intent and group (and ``(any)`` group of the axis), :func:`intent_skew` compares
P(intent | group mentioned) with P(intent | no group of the axis mentioned) — the ``(none)``
reference — as a ratio with a Katz interval and Fisher's exact test (mid-p), judged against the
band [impact_ratio, 1/impact_ratio].
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from equityaudit.auditors.chatbot.lexicon import Axis, column_name
from equityaudit.auditors.chatbot.utterances import (
    ANY,
    NONE,
    Analysis,
    Utterances,
    display_name,
    reference_rate,
)
from equityaudit.auditors.chatbot.wording import pct, ratio_interval
from equityaudit.auditors.comparison import adjusted_p_text, row_column
from equityaudit.judging import Evidence, Judgement, meets, settle_text
from equityaudit.results import CountsTable, Table, finite_or_none
from equityaudit.spec import Thresholds
from equityaudit.stats.disparity import METHODS, compare_to_reference

__all__ = ["intent_skew"]


def intent_skew(data: Utterances, *, thresholds: Thresholds, min_intent_count: int) -> Analysis:
    """Every axis' table of intent rates by group mentioned, and the evidence of each skew.

    Parameters
    ----------
    data
        The utterances, their mentions and their intents; without intents there is nothing to
        measure and the analysis is empty.
    thresholds
        ``impact_ratio`` (the band [t, 1/t]), ``alpha`` (intervals) and ``min_group_size`` (a
        group, or the ``(none)`` reference, with fewer utterances is reported but not judged).
    min_intent_count
        ``options.min_intent_count``: intents seen fewer times in the whole data are reported but
        not judged.

    Returns
    -------
    Analysis
        Per axis: the table and counts ``intent:<axis>`` (one row per group × intent, with
        ``(any)`` and the ``(none)`` reference), and one evidence per judged group × intent
        (family ``intent:<axis>``).
    """
    import polars as pl

    if data.intents is None:
        return Analysis()
    intents_of = data.intents
    band = (thresholds.impact_ratio, 1.0 / thresholds.impact_ratio)
    any_columns = {f"__any/{a}": pl.Series(data.any_axis[a]) for a in data.any_axis}
    frame = data.mention_frame.with_columns(intent=pl.Series(intents_of, dtype=pl.String), **any_columns)
    counted = [c for c in frame.columns if c != "intent"]
    table = (
        frame.group_by("intent")
        .agg([pl.col(c).sum().alias(c) for c in counted] + [pl.len().alias("__n")])
        .sort("intent")
    )  # one aggregation: utterances by intent × (group mentioned, axis mentioned)
    intents = [str(i) for i in table["intent"].to_list()]
    per_intent = {c: table[c].to_numpy().astype(np.int64) for c in [*counted, "__n"]}
    intent_totals = per_intent["__n"]
    tables, counts, evidence = [], [], []
    for axis in data.lexicon.axes:
        groups = [g.id for g in axis.groups]
        columns = [column_name(axis.id, g) for g in groups]
        labels = [*groups, ANY, NONE]
        sizes = np.array(
            [int(data.mentions[c].sum()) for c in columns]
            + [data.mentioning(axis.id), data.rows - data.mentioning(axis.id)]
        )
        rows: list[dict[str, Any]] = []
        count_rows: list[dict[str, Any]] = []
        for position, intent in enumerate(intents):
            with_intent = np.array(
                [int(per_intent[c][position]) for c in columns]
                + [int(per_intent[f"__any/{axis.id}"][position])]
                + [int(intent_totals[position] - per_intent[f"__any/{axis.id}"][position])]
            )
            compared = compare_to_reference(
                with_intent, sizes, reference=len(labels) - 1, alpha=thresholds.alpha
            )
            rare = int(intent_totals[position]) < min_intent_count
            for index, label in enumerate(labels):
                count_rows.append({"group": {axis.id: label, "intent": intent}, "n": int(with_intent[index])})
                reference = index == len(labels) - 1
                small = sizes[index] < thresholds.min_group_size
                row: dict[str, Any] = {
                    "group": {axis.id: display_name(axis, label), "intent": intent},
                    "n": int(sizes[index]),
                    "with_intent": int(with_intent[index]),
                    **{row_column("intent_rate", k): finite_or_none(v[index]) for k, v in compared.items()},
                    "reference": reference,
                    "excluded": False,
                    "excluded_reason": None,
                    "note": None,
                }
                if rare:
                    row["note"] = (
                        f"intent seen {int(intent_totals[position])} times (under options.min_intent_count "
                        f"{min_intent_count}): not judged"
                    )
                elif small and not reference:
                    row["note"] = (
                        f"fewer than {thresholds.min_group_size} utterances mention this group: not judged"
                    )
                rows.append(row)
                if reference or rare or small or sizes[-1] < thresholds.min_group_size:
                    continue
                mask = data.mentions[columns[index]] if index < len(groups) else data.any_axis[axis.id]
                evidence.append(
                    _skew_evidence(data, axis, label, intent, row, mask & (intents_of == intent), band)
                )
        tables.append(
            Table(
                name=f"intent:{axis.id}",
                by=[axis.id, "intent"],
                metric="intent_rate",
                numerator="with_intent",
                denominator="n",
                reference={axis.id: NONE},
                methods={
                    **{k: v for k, v in METHODS.items() if k != "ratio_ci_bootstrap"},
                    "ratio": "P(intent | group mentioned) ÷ P(intent | no group of the axis mentioned)",
                },
                rows=rows,
                notes=[
                    f"{ANY}: utterances that mention any group of the axis; {NONE}: utterances that "
                    "mention none (the reference)"
                ],
            )
        )
        counts.append(CountsTable(name=f"intent:{axis.id}", by=[axis.id, "intent"], rows=count_rows))
    return Analysis(tables=tuple(tables), counts=tuple(counts), evidence=tuple(evidence))


def _skew_evidence(
    data: Utterances,
    axis: Axis,
    label: str,
    intent: str,
    row: dict[str, Any],
    shown: NDArray[np.bool_],
    band: tuple[float, float],
) -> Evidence:
    """One group's rate of one intent against the ``(none)`` reference's; ``shown``: its examples."""
    who = (
        f"utterances that mention {axis.mention}"
        if label == ANY
        else f"utterances that mention {axis.group(label).label}"
    )
    ratio = row["intent_rate_ratio"]
    rate = row["intent_rate"]
    reference = reference_rate(row, "intent_rate")
    interval = ratio_interval(row["intent_rate_ratio_ci_low"], row["intent_rate_ratio_ci_high"])
    counts = f"{pct(rate)}, {row['with_intent']} of {row['n']}"
    versus = f"utterances that mention no {axis.label} ({pct(reference)})"
    above = ratio is not None and ratio >= 1
    edge = band[1] if above else band[0]
    band_text = f"{band[0]:g}–{band[1]:.3g} band"

    def describe(judgement: Judgement) -> str:
        p_text = adjusted_p_text(judgement.p_adjusted, judgement.correction)
        if ratio is None:
            return (
                f"`{intent}` occurs in {who} ({counts}) and never in {versus}: the ratio is undefined, "
                "so it cannot be judged. Look at the examples."
            )
        if ratio >= 1:
            size = f"`{intent}` is {ratio:.1f}× as frequent in {who} ({counts}) as in {versus}{interval}"
        elif ratio > 0:
            size = (
                f"`{intent}` is {ratio:.2f}× as frequent (1/{1 / ratio:.1f}) in {who} ({counts}) as in "
                f"{versus}{interval}"
            )
        else:
            size = f"`{intent}` never occurs in {who} ({counts}) but does in {versus}{interval}"
        status = judgement.status
        if status == "pass":
            return f"{size}: within the {band_text}, and the interval is clear of its edges."
        if status == "inconclusive":
            return (
                f"{size}: within the {band_text}, but the interval reaches past its {edge:.3g} edge and the "
                f"difference is not statistically significant ({p_text}): inconclusive. "
                + settle_text(judgement.rows_to_settle, "utterances", (row["n"], None))
            )
        if meets(ratio, edge, "above" if above else "below"):
            return (
                f"{size}: within the {band_text}, but the difference is statistically significant "
                f"({p_text}) and the interval reaches past its {edge:.3g} edge. Review it."
            )
        if status == "fail":
            why = (
                f"statistically significant ({p_text})"
                if judgement.significant
                else f"not statistically significant ({p_text}) but failed because "
                "thresholds.require_significance is false"
            )
            return (
                f"{size}: outside the {band_text}, {why}. Check whether these utterances are labelled or "
                "collected differently."
            )
        return (
            f"{size}: outside the {band_text}, but not statistically significant ({p_text}); with many "
            "intents and groups compared, a gap this size can be chance."
        )

    return Evidence(
        id=f"intent/{axis.id}/{label}/{intent}",
        metric="intent_rate",
        kind="ratio",
        table=f"intent:{axis.id}",
        group={axis.id: display_name(axis, label), "intent": intent},
        reference={axis.id: NONE, "intent": intent},
        value=ratio,
        ci_low=row["intent_rate_ratio_ci_low"],
        ci_high=row["intent_rate_ratio_ci_high"],
        p_value=row["p_value"],
        threshold=edge,
        adverse="above" if above else "below",
        family=f"intent:{axis.id}",
        too_small="the ratio is undefined (no utterance of the reference carries the intent)"
        if ratio is None
        else None,
        rates=(rate, reference) if rate is not None and reference is not None else None,
        describe=describe,
        details={
            "group_id": label,
            "rate": rate,
            "reference_rate": reference,
            "n": row["n"],
            "reference_n": data.rows - data.mentioning(axis.id),
            "with_intent": row["with_intent"],
            "band": list(band),
            "difference": row["intent_rate_difference"],
            "difference_ci_low": row["intent_rate_difference_ci_low"],
            "difference_ci_high": row["intent_rate_difference_ci_high"],
            "examples": data.examples(shown),
        },
    )
