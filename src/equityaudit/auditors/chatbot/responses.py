"""Measures of a bot's responses, and the bootstrap of a difference in means.

Per response: its sentiment (VADER's compound score, from -1 most negative to +1 most positive;
Hutto & Gilbert 2014 — the lexicon ships inside the ``vaderSentiment`` package, so nothing is
downloaded), its length in words, and whether it contains a refusal phrase of the lexicon
("I'm sorry, but", "I can't help", "not eligible", ...).

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
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from equityaudit.stats.bootstrap import percentile_interval, resample_cells

__all__ = ["MeanComparison", "compare_means", "sentiment_scores", "word_counts"]

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
