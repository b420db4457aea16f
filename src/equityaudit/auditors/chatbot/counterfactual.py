"""Counterfactual invariance: the share of identity-swapped utterances whose predicted intent changes.

Each utterance that mentions exactly one group of an axis is turned into one counterfactual per
other group of the axis (:mod:`~equityaudit.auditors.chatbot.swaps`): two-sided counterfactual
data augmentation (Zhao et al. 2018; Lu et al. 2020) applied as a test rather than as training
data. An intent classifier (:mod:`~equityaudit.auditors.chatbot.classifiers`) that is invariant
to who is mentioned predicts the same intent for both; the **flip rate** of an axis is the share
of counterfactual pairs whose predicted intent differs, judged against
``options.flip_thresholds.fail`` with an exact one-sided binomial test.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from equityaudit.auditors.chatbot.classifiers import Classifier, TrainedModel, train_baseline
from equityaudit.auditors.chatbot.lexicon import Axis
from equityaudit.auditors.chatbot.options import CounterfactualOptions, FlipThresholds
from equityaudit.auditors.chatbot.swaps import FlipPair, counterfactual_pairs
from equityaudit.auditors.chatbot.utterances import Analysis, Utterances
from equityaudit.auditors.chatbot.wording import one_rule_text, pct
from equityaudit.auditors.comparison import adjusted_p_text
from equityaudit.judging import Evidence, Judgement, meets
from equityaudit.results import CountsTable, Table, finite_or_none
from equityaudit.spec import Thresholds
from equityaudit.stats.inference import wilson_interval
from equityaudit.stats.rates import proportion

__all__ = ["counterfactual_invariance", "predict_flips"]


def predict_flips(
    predict: Classifier, texts: Sequence[str], pairs: Sequence[FlipPair], *, batch: int = 20_000
) -> tuple[NDArray[Any], NDArray[Any]]:
    """Predicted intents of each pair's original and counterfactual (each distinct text once)."""
    unique = list(dict.fromkeys([p.text for p in pairs] + [p.counterfactual for p in pairs]))
    predicted: dict[str, str] = {}
    for start in range(0, len(unique), batch):
        chunk = unique[start : start + batch]
        predicted.update(zip(chunk, (str(v) for v in predict(chunk)), strict=True))
    before = np.array([predicted[p.text] for p in pairs], dtype=object)
    after = np.array([predicted[p.counterfactual] for p in pairs], dtype=object)
    return before, after


def counterfactual_invariance(
    data: Utterances,
    *,
    model: TrainedModel | None,
    settings: CounterfactualOptions,
    limits: FlipThresholds,
    thresholds: Thresholds,
) -> Analysis:
    """Flip rates by axis and by group swapped from, and one evidence per axis.

    Parameters
    ----------
    data
        The utterances, their mentions and (to train the baseline) their intents.
    model
        The user's classifier (``options.model``, loaded), or None to train the baseline
        classifier on ``data``'s texts and intents with the seed below.
    settings
        ``options.counterfactual``: whether to test at all, utterances sampled per axis, and the
        seed of sampling and training (default ``thresholds.seed``).
    limits
        ``options.flip_thresholds``: the flip rate that fails (judged) and the one the message
        calls worth a look.
    thresholds
        ``alpha`` (Wilson intervals), ``min_group_size`` (fewer pairs in an axis: too few to
        judge) and ``seed``.

    Returns
    -------
    Analysis
        The tables ``counterfactual:axes`` and ``counterfactual:groups``, the counts
        ``counterfactual`` (pairs and flips by axis and source group), one evidence per axis
        (family ``counterfactual``), the contexts ``classifier`` and ``counterfactual``, and the
        classifier's notes. When the test cannot run (switched off, no intents and no model,
        fewer than two intents, a baseline that cannot be trained) only a note saying why.
    """
    if not settings.enabled:
        return _untested("counterfactual invariance was not tested (options.counterfactual.enabled: false)")
    seed = thresholds.seed if settings.seed is None else settings.seed
    if model is None:
        if data.intents is None:
            return _untested(
                "counterfactual invariance was not tested: it needs intents to train a baseline "
                "classifier (options.intent) or a model (options.model)"
            )
        if np.unique(data.intents).size < 2:
            return _untested("counterfactual invariance was not tested: the data has fewer than two intents")
        try:
            model = train_baseline(data.texts, [str(i) for i in data.intents], seed=seed)
        except ValueError as exc:  # e.g. an empty vocabulary on tiny data
            return _untested(
                f"counterfactual invariance was not tested: the baseline classifier could not be trained ({exc})"
            )
    started = time.perf_counter()
    pairs, stats = counterfactual_pairs(
        data.lexicon, data.texts, data.mentions, max_utterances=settings.max_utterances, seed=seed
    )
    before, after = predict_flips(model.predict, data.texts, pairs)
    flipped = before != after
    seconds = time.perf_counter() - started
    context = {
        "classifier": model.info,
        "counterfactual": {
            "seconds": round(seconds, 3),
            "pairs": len(pairs),
            "max_utterances_per_axis": settings.max_utterances,
            "seed": seed,
            "axes": {a: vars(s) for a, s in stats.items()},
        },
    }
    axis_of = np.array([p.axis for p in pairs], dtype=object)
    source_of = np.array([p.source for p in pairs], dtype=object)
    axis_rows, group_rows, count_rows, evidence = [], [], [], []
    for axis in data.lexicon.axes:
        in_axis = axis_of == axis.id
        n, flips = int(in_axis.sum()), int((flipped & in_axis).sum())
        low, high = wilson_interval(flips, n, alpha=thresholds.alpha)
        row = {
            "group": {"axis": axis.label},
            "axis_id": axis.id,
            "n": n,
            "flips": flips,
            "flip_rate": finite_or_none(proportion(flips, n)),
            "flip_rate_ci_low": finite_or_none(low),
            "flip_rate_ci_high": finite_or_none(high),
            "utterances_tested": stats[axis.id].sampled,
            "single_group_utterances": stats[axis.id].single_group,
            "unswappable": stats[axis.id].unswappable,
            "reference": False,
            "excluded": False,
            "excluded_reason": None,
            "note": None if n else "no utterance of this axis could be swapped",
        }
        axis_rows.append(row)
        for group in axis.groups:
            of_group = in_axis & (source_of == group.id)
            gn, gf = int(of_group.sum()), int((flipped & of_group).sum())
            glow, ghigh = wilson_interval(gf, gn, alpha=thresholds.alpha)
            group_rows.append(
                {
                    "group": {"axis": axis.label, "source": group.display},
                    "group_id": group.id,
                    "n": gn,
                    "flips": gf,
                    "flip_rate": finite_or_none(proportion(gf, gn)),
                    "flip_rate_ci_low": finite_or_none(glow),
                    "flip_rate_ci_high": finite_or_none(ghigh),
                    "reference": False,
                    "excluded": not group.counterfactual,
                    "excluded_reason": None if group.counterfactual else "not_swapped",
                    "note": None if group.counterfactual else "this group takes no part in swaps (lexicon)",
                }
            )
            count_rows.append({"group": {"axis": axis.id, "source": group.id}, "n": gn, "flips": gf})
        shown = np.flatnonzero(flipped & in_axis)[: data.examples_shown.count].tolist()
        examples = [_flip_example(data, pairs[i], str(before[i]), str(after[i])) for i in shown]
        evidence.append(_flip_evidence(axis, row, limits, thresholds.min_group_size, examples))
    methods = {
        "rate_ci": "Wilson score interval",
        "flip_rate": "share of counterfactual pairs whose predicted intent differs from the original's",
    }
    tables = [
        Table(
            name=name,
            by=by,
            metric="flip_rate",
            numerator="flips",
            denominator="n",
            reference=None,
            methods=methods,
            rows=rows,
        )
        for name, by, rows in (
            ("counterfactual:axes", ["axis"], axis_rows),
            ("counterfactual:groups", ["axis", "source"], group_rows),
        )
    ]
    return Analysis(
        tables=tuple(tables),
        counts=(CountsTable(name="counterfactual", by=["axis", "source"], rows=count_rows),),
        evidence=tuple(evidence),
        notes=tuple(model.notes),
        context=context,
    )


def _untested(note: str) -> Analysis:
    return Analysis(notes=(note,))


def _flip_example(data: Utterances, pair: FlipPair, before: str, after: str) -> dict[str, str | None]:
    """A flipped pair as a finding shows it: both texts, or the row id and the swap when redacted."""
    if data.redact:
        return {
            "id": data.row_id(pair.row),
            "swap": f"{pair.source} → {pair.target}",
            "intent_before": before,
            "intent_after": after,
        }
    return {
        "text": data.shorten(pair.text),
        "counterfactual": data.shorten(pair.counterfactual),
        "intent_before": before,
        "intent_after": after,
    }


def _flip_evidence(
    axis: Axis,
    row: dict[str, Any],
    limits: FlipThresholds,
    min_n: int,
    examples: Sequence[dict[str, Any]],
) -> Evidence:
    """An axis' flip rate judged against ``limits.fail`` by the one rule, with the exact one-sided
    binomial test of "the flip rate is at most ``fail``" (``limits.warn`` is the level the message
    calls worth a look)."""
    from scipy import stats

    warn, fail = limits.warn, limits.fail
    rate, n, flips = row["flip_rate"], row["n"], row["flips"]
    p_value = float(stats.binomtest(flips, n, fail, alternative="greater").pvalue) if n else None
    swaps = [g for g in axis.groups if g.counterfactual]
    example_swap = f" (e.g. {swaps[0].label} → {swaps[1].label})" if len(swaps) > 1 else ""
    too_small = None
    if n < min_n or rate is None:
        too_small = f"only {n} counterfactual utterances could be made (minimum {min_n})"

    def describe(judgement: Judgement) -> str:
        if judgement.status == "insufficient_data":
            return (
                f"Only {n} counterfactual utterances could be made for {axis.label} (minimum {min_n}): too few "
                "to judge the classifier's invariance. Collect more utterances that mention this axis."
            )
        base = (
            f"Swapping {axis.label} terms{example_swap} changes the predicted intent in {pct(rate)} of {n} "
            f"counterfactual utterances (95% CI {pct(row['flip_rate_ci_low'])}–{pct(row['flip_rate_ci_high'])})"
        )
        limit = f"{100 * fail:g}%"
        look = (
            f"; at or above the {100 * warn:g}% level at which the examples deserve a look"
            if rate is not None and rate >= warn
            else ""
        )
        return one_rule_text(
            judgement,
            base,
            right_side=meets(rate, fail, "above"),
            within=f"at or below the {limit} limit{look}",
            beyond=f"above the {limit} limit",
            edge=f"above the {limit} limit",
            advice=f"The classifier's predictions depend on which {axis.label} group is mentioned; see the "
            "examples, and rebalance or augment the data.",
            p_text=adjusted_p_text(judgement.p_adjusted, judgement.correction),
        )

    return Evidence(
        id=f"counterfactual/{axis.id}",
        metric="flip_rate",
        kind="rate",
        table="counterfactual:axes",
        group={"axis": axis.label},
        reference=None,
        value=rate,
        ci_low=row["flip_rate_ci_low"],
        ci_high=row["flip_rate_ci_high"],
        p_value=p_value,
        threshold=fail,
        adverse="above",
        family="counterfactual",
        too_small=too_small,
        describe=describe,
        details={
            "axis_id": axis.id,
            "warn": warn,
            "fail": fail,
            "n": n,
            "flips": flips,
            "examples": list(examples),
        },
    )
