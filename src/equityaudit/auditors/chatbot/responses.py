"""The bot's responses by group mentioned: refusals, sentiment and length, and their gaps to the reference.

:func:`response_gaps` compares, for each axis and group (and ``(any)`` group of the axis), the
responses to utterances that mention the group with the responses to utterances that mention no
group of the axis (the ``(none)`` reference): the refusal rate as a ratio (reference ÷ group, so
that below 1 the group is refused more often) with a Katz interval and Fisher's exact test, and
the mean sentiment and mean length as differences with bootstrap intervals and Welch's test.

The measures, per response: its sentiment (VADER's compound score, from -1 most negative to +1
most positive; Hutto & Gilbert 2014 — the lexicon ships inside the ``vaderSentiment`` package, so
nothing is downloaded), its length in words, and whether it contains a refusal phrase of the
lexicon ("I'm sorry, but", "I can't help", "not eligible", ...).

Means are compared with a percentile bootstrap that resamples **within each group**: a group's
values are redrawn with replacement, its size fixed, independently of the other group. Because
a resample of ``n`` values is a multinomial draw over the group's *distinct* values with their
observed frequencies, the bootstrap draws those counts (:func:`equityaudit.stats.bootstrap.resample_cells`)
instead of rows — the same distribution, at a cost that does not grow with ``n``.

Examples
--------
>>> scores = sentiment_scores(["Happy to help!", "Sorry, we cannot refund this."])
>>> [round(float(s), 2) for s in scores]
[0.77, -0.08]
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from equityaudit.auditors.chatbot.lexicon import Axis, column_name
from equityaudit.auditors.chatbot.options import ResponseGapOptions
from equityaudit.auditors.chatbot.utterances import (
    ANY,
    NONE,
    Analysis,
    Utterances,
    display_name,
    reference_rate,
)
from equityaudit.auditors.chatbot.wording import num, one_rule_text, pct, ratio_interval
from equityaudit.auditors.comparison import adjusted_p_text, row_column
from equityaudit.judging import Evidence, Judgement, meets
from equityaudit.results import CountsTable, Table, finite_or_none
from equityaudit.spec import Thresholds
from equityaudit.stats.bootstrap import percentile_interval, resample_cells
from equityaudit.stats.disparity import METHODS, compare_to_reference

__all__ = ["MeanComparison", "compare_means", "response_gaps", "sentiment_scores", "word_counts"]

DEFAULT_BOOTSTRAP = 2000
"""Replicates of the response-gap bootstrap when ``thresholds.bootstrap`` is 0 (its default)."""

FloatArray = NDArray[np.float64]


@functools.cache
def _analyzer() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def sentiment_scores(responses: Sequence[str | None]) -> FloatArray:
    """VADER compound score of each response (each distinct text scored once); NaN when missing."""
    analyzer = _analyzer()
    scored: dict[str, float] = {}
    out = np.full(len(responses), np.nan)
    for index, text in enumerate(responses):
        if text is None:
            continue
        if text not in scored:
            scored[text] = float(analyzer.polarity_scores(text)["compound"])
        out[index] = scored[text]
    return out


def word_counts(responses: Sequence[str | None]) -> FloatArray:
    """Number of whitespace-separated words of each response; NaN when missing.

    Examples
    --------
    >>> word_counts(["I can't help with that.", None, ""]).tolist()
    [5.0, nan, 0.0]
    """
    return np.array([np.nan if r is None else float(len(r.split())) for r in responses])


class MeanComparison(dict[str, float | None]):
    """``mean``, ``mean_ci_low``, ``mean_ci_high``, ``reference_mean``, ``difference`` and its
    interval, ``sd`` and ``reference_sd``, ``n`` and ``reference_n`` and ``p_value`` (Welch)."""


def _bootstrap_means(values: FloatArray, *, replicates: int, rng: np.random.Generator) -> FloatArray:
    distinct, counts = np.unique(values, return_counts=True)
    draws = resample_cells(counts[None, :], replicates=replicates, seed=rng)[:, 0, :]
    means: FloatArray = draws @ distinct / values.size
    return means


def compare_means(
    values: FloatArray,
    reference: FloatArray,
    *,
    replicates: int = 2000,
    alpha: float = 0.05,
    seed: int | np.random.Generator = 0,
) -> MeanComparison:
    """Mean of ``values`` against the mean of ``reference``, with bootstrap intervals and Welch's p.

    The interval of each mean and of their difference are percentile intervals over
    ``replicates`` resamples drawn within each group. The p-value is Welch's unequal-variance
    t test (``scipy.stats.ttest_ind_from_stats``), used for multiple-comparison control.
    Missing values (NaN) are left out.

    Examples
    --------
    >>> out = compare_means(np.array([0.0, 1.0] * 50), np.array([1.0, 2.0] * 50), seed=1)
    >>> out["difference"], round(out["p_value"], 8)
    (-1.0, 0.0)
    >>> out["difference_ci_low"] < -1.0 < out["difference_ci_high"] < -0.8
    True
    """
    from scipy import stats

    values = values[~np.isnan(values)]
    reference = reference[~np.isnan(reference)]
    out = MeanComparison(n=float(values.size), reference_n=float(reference.size))
    if values.size == 0 or reference.size == 0:
        for key in (
            "mean",
            "mean_ci_low",
            "mean_ci_high",
            "reference_mean",
            "difference",
            "difference_ci_low",
            "difference_ci_high",
            "sd",
            "reference_sd",
            "p_value",
        ):
            out[key] = None
        return out
    rng = np.random.default_rng(seed)
    group_means = _bootstrap_means(values, replicates=replicates, rng=rng)
    reference_means = _bootstrap_means(reference, replicates=replicates, rng=rng)
    low, high = percentile_interval(group_means, alpha=alpha)
    d_low, d_high = percentile_interval(group_means - reference_means, alpha=alpha)
    # a standard deviation needs two values, and Welch's test some variance: otherwise they are
    # undefined (None), never a made-up 0
    sd = float(values.std(ddof=1)) if values.size > 1 else None
    reference_sd = float(reference.std(ddof=1)) if reference.size > 1 else None
    p_value: float | None = None
    if sd is not None and reference_sd is not None and (sd > 0 or reference_sd > 0):
        result = stats.ttest_ind_from_stats(
            float(values.mean()),
            sd,
            values.size,
            float(reference.mean()),
            reference_sd,
            reference.size,
            equal_var=False,
        )
        p_value = float(result.pvalue)
    out.update(
        mean=float(values.mean()),
        mean_ci_low=float(low),
        mean_ci_high=float(high),
        reference_mean=float(reference.mean()),
        difference=float(values.mean() - reference.mean()),
        difference_ci_low=float(d_low),
        difference_ci_high=float(d_high),
        sd=sd,
        reference_sd=reference_sd,
        p_value=p_value,
    )
    return out


def response_gaps(data: Utterances, *, thresholds: Thresholds, gaps: ResponseGapOptions) -> Analysis:
    """Every axis' table of refusal rate, sentiment and length by group mentioned, and their evidence.

    Parameters
    ----------
    data
        The utterances, their mentions and the bot's responses; without responses there is
        nothing to measure and the analysis is empty. Rows without a response are left out.
    thresholds
        ``impact_ratio`` (the refusal-rate threshold), ``alpha`` (intervals), ``min_group_size``
        (a group, or the ``(none)`` reference, with fewer responses is reported but not judged),
        ``bootstrap`` (replicates of the mean intervals; 0: :data:`DEFAULT_BOOTSTRAP`) and
        ``seed``.
    gaps
        ``options.response_gaps``: how much lower a group's mean sentiment, and how much shorter
        (a share) its mean length, may be before it is flagged.

    Returns
    -------
    Analysis
        Per axis: the table and counts ``response:<axis>``, and for each judged group up to three
        evidence (refusal rate, sentiment, length; family ``response:<axis>``); the context
        ``responses`` (how each measure is made, and the bootstrap), and a note when the
        bootstrap's replicates are the default.
    """
    import polars as pl

    if data.responses is None:
        return Analysis()
    started = time.perf_counter()
    sentiment = sentiment_scores(data.responses)
    words = word_counts(data.responses)
    refusal = (
        pl.Series(list(data.responses), dtype=pl.String)
        .str.contains(data.lexicon.refusal_regex())
        .fill_null(False)
        .to_numpy()
    )
    present = ~np.isnan(sentiment)
    context: dict[str, Any] = {
        "sentiment": "VADER compound score (vaderSentiment 3.3.2; -1 most negative, +1 most positive)",
        "length": "words (whitespace-separated)",
        "refusal_phrases": len(data.lexicon.refusals),
        "with_response": int(present.sum()),
        "refusals": int((refusal & present).sum()),
        "scoring_seconds": round(time.perf_counter() - started, 3),
    }
    # thresholds.bootstrap: 0 asks the other auditors for analytic (Katz) ratio intervals; the
    # mean intervals here have no such alternative, so 0 means this auditor's default
    replicates = thresholds.bootstrap or DEFAULT_BOOTSTRAP
    set_by = (
        "thresholds.bootstrap"
        if thresholds.bootstrap
        else f"the chatbot auditor's default ({DEFAULT_BOOTSTRAP}), as thresholds.bootstrap is 0"
    )
    context["bootstrap"] = {"replicates": replicates, "set_by": set_by, "seed": thresholds.seed}
    notes = []
    if not thresholds.bootstrap:
        notes.append(
            f"thresholds.bootstrap is 0, so the response-gap intervals use the chatbot auditor's default "
            f"of {replicates} bootstrap replicates (0 selects analytic intervals for ratios; the mean "
            "sentiment and length have none here)"
        )
    rng = np.random.default_rng(thresholds.seed)
    tables, counts, evidence = [], [], []
    for axis in data.lexicon.axes:
        groups = [g.id for g in axis.groups]
        masks = [data.mentions[column_name(axis.id, g)] for g in groups]
        masks += [data.any_axis[axis.id], ~data.any_axis[axis.id]]
        labels = [*groups, ANY, NONE]
        masks = [m & present for m in masks]
        sizes = np.array([int(m.sum()) for m in masks])
        refusals = np.array([int((m & refusal).sum()) for m in masks])
        compared = compare_to_reference(
            refusals, sizes, reference=len(labels) - 1, alpha=thresholds.alpha, invert=True
        )
        reference_mask = masks[-1]
        rows = []
        count_rows = []
        for index, label in enumerate(labels):
            mask = masks[index]
            reference = index == len(labels) - 1
            tone = compare_means(
                sentiment[mask],
                sentiment[reference_mask],
                replicates=replicates,
                alpha=thresholds.alpha,
                seed=rng,
            )
            length = compare_means(
                words[mask], words[reference_mask], replicates=replicates, alpha=thresholds.alpha, seed=rng
            )
            small = sizes[index] < thresholds.min_group_size
            row = {
                "group": {axis.id: display_name(axis, label)},
                "n": int(sizes[index]),
                "refusals": int(refusals[index]),
                **{row_column("refusal_rate", k): finite_or_none(v[index]) for k, v in compared.items()},
                "sentiment_mean": tone["mean"],
                "sentiment_mean_ci_low": tone["mean_ci_low"],
                "sentiment_mean_ci_high": tone["mean_ci_high"],
                "sentiment_difference": None if reference else tone["difference"],
                "sentiment_difference_ci_low": None if reference else tone["difference_ci_low"],
                "sentiment_difference_ci_high": None if reference else tone["difference_ci_high"],
                "sentiment_p_value": None if reference else tone["p_value"],
                "words_mean": length["mean"],
                "words_mean_ci_low": length["mean_ci_low"],
                "words_mean_ci_high": length["mean_ci_high"],
                "words_difference": None if reference else length["difference"],
                "words_difference_ci_low": None if reference else length["difference_ci_low"],
                "words_difference_ci_high": None if reference else length["difference_ci_high"],
                "words_p_value": None if reference else length["p_value"],
                "reference": reference,
                "excluded": False,
                "excluded_reason": None,
                "note": None
                if reference or not small
                else f"fewer than {thresholds.min_group_size} responses: not judged",
            }
            rows.append(row)
            count_rows.append(
                {
                    "group": {axis.id: label},
                    "n": int(sizes[index]),
                    "refusals": int(refusals[index]),
                    "sentiment_sum": float(np.sum(sentiment[mask])),
                    "sentiment_sum_of_squares": float(np.sum(sentiment[mask] ** 2)),
                    "words_sum": int(np.sum(words[mask])),
                    "words_sum_of_squares": int(np.sum(words[mask] ** 2)),
                }
            )
            if reference or small or sizes[-1] < thresholds.min_group_size:
                continue
            evidence += _gap_evidence(
                data, axis, label, row, mask & refusal, mask, sentiment, thresholds, gaps
            )
        tables.append(
            Table(
                name=f"response:{axis.id}",
                by=[axis.id],
                metric="refusal_rate",
                numerator="refusals",
                denominator="n",
                reference={axis.id: NONE},
                methods={
                    **{k: v for k, v in METHODS.items() if k != "ratio_ci_bootstrap"},
                    "ratio": "refusal rate of the reference ÷ the group's (below 1: the group is refused more often)",
                    "mean_ci": f"percentile bootstrap, {replicates} resamples drawn within each group "
                    f"(multinomial over each group's distinct values); replicates set by {set_by}",
                    "mean_p_value": "Welch's unequal-variance t test, two-sided",
                    "sentiment": "VADER compound score of the response",
                    "words": "number of whitespace-separated words of the response",
                },
                rows=rows,
                notes=[
                    f"responses to utterances that mention {NONE} of the axis are the reference; rows "
                    "without a response are left out"
                ],
            )
        )
        counts.append(CountsTable(name=f"response:{axis.id}", by=[axis.id], rows=count_rows))
    return Analysis(
        tables=tuple(tables),
        counts=tuple(counts),
        evidence=tuple(evidence),
        notes=tuple(notes),
        context={"responses": context},
    )


def _gap_evidence(
    data: Utterances,
    axis: Axis,
    label: str,
    row: dict[str, Any],
    refused: NDArray[np.bool_],
    mask: NDArray[np.bool_],
    sentiment: FloatArray,
    thresholds: Thresholds,
    gaps: ResponseGapOptions,
) -> list[Evidence]:
    """One group's refusal-rate ratio (when defined), sentiment gap and length gap to the reference."""
    who = (
        f"utterances that mention {axis.mention}"
        if label == ANY
        else f"utterances that mention {axis.group(label).label}"
    )
    versus = f"utterances that mention no {axis.label}"
    group = {axis.id: display_name(axis, label)}
    ratio = row["refusal_rate_ratio"]
    rate = row["refusal_rate"]
    reference = reference_rate(row, "refusal_rate")
    interval = ratio_interval(row["refusal_rate_ratio_ci_low"], row["refusal_rate_ratio_ci_high"])
    out = []
    limit = f"{thresholds.impact_ratio:g}"
    base = (
        f"Responses to {who} contain a refusal in {pct(rate)} of {row['n']} cases, vs "
        f"{pct(reference)} for {versus}"
    )

    def refusal_text(judgement: Judgement) -> str:
        p_text = adjusted_p_text(judgement.p_adjusted, judgement.correction)
        assert ratio is not None
        text = f"{base}: ratio {ratio:.3f}{interval}"
        often = f"refused {1 / ratio:.1f}× as often" if ratio > 0 else "refused where the reference never is"
        return one_rule_text(
            judgement,
            text,
            right_side=meets(ratio, thresholds.impact_ratio),
            within=f"at or above the {limit} threshold",
            beyond=f"below the {limit} threshold ({often})",
            edge=f"below the {limit} threshold",
            advice="Check the refusal policy and the training responses for these utterances.",
            p_text=p_text,
        )

    if ratio is not None:  # undefined only when the group is never refused: nothing adverse to judge
        out.append(
            Evidence(
                id=f"response/{axis.id}/{label}/refusal_rate",
                metric="refusal_rate",
                kind="ratio",
                table=f"response:{axis.id}",
                group=group,
                reference={axis.id: NONE},
                value=ratio,
                ci_low=row["refusal_rate_ratio_ci_low"],
                ci_high=row["refusal_rate_ratio_ci_high"],
                p_value=row["p_value"],
                threshold=thresholds.impact_ratio,
                family=f"response:{axis.id}",
                rates=(rate, reference) if rate is not None and reference is not None else None,
                describe=refusal_text,
                details={
                    "group_id": label,
                    "rate": rate,
                    "reference_rate": reference,
                    "n": row["n"],
                    "refusals": row["refusals"],
                    "examples": data.examples(refused, response=True),
                },
            )
        )
    for measure, tolerance, unit in (
        ("sentiment", gaps.sentiment, "mean VADER compound score"),
        ("words", gaps.length, "mean length in words"),
    ):
        difference = row[f"{measure}_difference"]
        diff_low, diff_high = row[f"{measure}_difference_ci_low"], row[f"{measure}_difference_ci_high"]
        mean, reference_mean = row[f"{measure}_mean"], None
        if difference is not None and mean is not None:
            reference_mean = mean - difference
        if measure == "sentiment":
            gap, gap_low, gap_high = difference, diff_low, diff_high
            limit_text = f"{tolerance:g} lower"
        else:
            scale = reference_mean if reference_mean else None
            gap = None if difference is None or scale is None else difference / scale
            gap_low = None if diff_low is None or scale is None else diff_low / scale
            gap_high = None if diff_high is None or scale is None else diff_high / scale
            limit_text = f"{100 * tolerance:g}% shorter"
        measured = (
            f"Responses to {who}: {unit} {num(mean)} vs {num(reference_mean)} for {versus} (difference "
            f"{num(difference)}, 95% bootstrap CI {num(diff_low)} to {num(diff_high)})"
        )

        def describe(
            judgement: Judgement,
            measured: str = measured,
            gap: float | None = gap,
            limit_text: str = limit_text,
            tolerance: float = tolerance,
        ) -> str:
            if gap is None:
                return f"{measured}: undefined, so it cannot be judged."
            return one_rule_text(
                judgement,
                measured,
                right_side=meets(gap, -tolerance),
                within=f"not {limit_text}",
                beyond=f"more than {limit_text}",
                edge=f"more than {limit_text}",
                advice="Compare the responses in the examples with those other customers get.",
                p_text=adjusted_p_text(judgement.p_adjusted, judgement.correction),
            )

        order = sentiment if measure == "sentiment" else None
        out.append(
            Evidence(
                id=f"response/{axis.id}/{label}/{measure}",
                metric=f"{measure}_difference",
                kind="difference",
                table=f"response:{axis.id}",
                group=group,
                reference={axis.id: NONE},
                value=finite_or_none(gap),
                ci_low=finite_or_none(gap_low),
                ci_high=finite_or_none(gap_high),
                p_value=row[f"{measure}_p_value"],
                threshold=-tolerance,
                family=f"response:{axis.id}",
                too_small=None if gap is not None else "undefined",
                describe=describe,
                details={
                    "group_id": label,
                    "mean": mean,
                    "reference_mean": reference_mean,
                    "difference": difference,
                    "difference_ci_low": diff_low,
                    "difference_ci_high": diff_high,
                    "relative_difference": gap if measure == "words" else None,
                    "n": row["n"],
                    "examples": data.examples(mask, response=True, order=order),
                },
            )
        )
    return out
