"""Disparities of a rate between groups and a reference group: ratios, differences, intervals, tests.

Given per-group successes and totals, :func:`compare_to_reference` returns, for every group,
its rate with a Wilson interval, the ratio and the difference to the reference group with
their intervals (Katz log, or a counts bootstrap with MOVER-R for small counts; Newcombe hybrid
score), the two-proportion z test, Fisher's exact test and its mid-p. :func:`choose_reference`
picks the reference group.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from equityaudit.stats.bootstrap import MIN_BOOTSTRAP_COUNT, bootstrap_rate_intervals
from equityaudit.stats.inference import (
    difference_interval,
    fisher_exact_test,
    ratio_interval,
    two_proportion_z_test,
    wilson_interval,
)
from equityaudit.stats.rates import proportion

__all__ = ["METHODS", "choose_reference", "compare_to_reference"]

METHODS = {
    "rate_ci": "Wilson score interval",
    "ratio_ci": "Katz log interval (when a count is zero, 0.5 added to both counts and both sizes; "
    "a zero group count gives the interval 0 to the corrected upper bound, a zero reference count the "
    "corrected lower bound to infinity; a group with everyone selected has, with or without a zero count, "
    "the variance term 1/(n + 0.5) - 1/(n + 1) of its own counts, 0.5 added to each of its two cells)",
    "ratio_ci_bootstrap": "MOVER-R interval from the two groups' Wilson intervals (Donner & Zou 2012) "
    f"where either group has fewer than {MIN_BOOTSTRAP_COUNT} selected or fewer than "
    f"{MIN_BOOTSTRAP_COUNT} not selected; elsewhere percentile bootstrap over counts resampled within "
    "each group",
    "difference_ci": "Newcombe hybrid score interval (method 10)",
    "p_value": "Fisher exact test, two-sided mid-p",
    "p_value_z": "two-proportion z test, pooled, two-sided",
    "p_value_fisher": "Fisher exact test, two-sided",
}
"""How each column family is computed; results record these."""


def choose_reference(
    successes: ArrayLike,
    n: ArrayLike,
    *,
    eligible: ArrayLike,
    rule: Literal["max_rate", "min_rate", "largest"] | int,
    min_n: int = 1,
) -> int | None:
    """Index of the reference group, or None when no group is eligible.

    ``max_rate`` picks the eligible group with the highest rate, preferring groups of at least
    ``min_n`` rows when there are any; ``min_rate`` likewise the group with the lowest rate (the
    least-included group, the reference for an unfavourable outcome); ``largest`` the eligible
    group with the most rows; an integer is taken as given. Ties go to the larger group, then
    the first.

    Examples
    --------
    >>> choose_reference([5, 9, 2], [10, 20, 2], eligible=[True, True, True], rule="max_rate", min_n=5)
    0
    >>> choose_reference([5, 9, 2], [10, 20, 2], eligible=[True, True, True], rule="min_rate", min_n=5)
    1
    >>> choose_reference([5, 9, 2], [10, 20, 2], eligible=[True, True, True], rule="largest")
    1
    """
    if isinstance(rule, int):
        return rule
    x = np.asarray(successes, dtype=np.float64)
    size = np.asarray(n, dtype=np.float64)
    ok = np.asarray(eligible, dtype=bool) & (size > 0)
    if not ok.any():
        return None
    by_rate = rule in ("max_rate", "min_rate")
    if by_rate and (ok & (size >= min_n)).any():
        ok = ok & (size >= min_n)
    key = proportion(x, size) if by_rate else size
    if rule == "min_rate":
        key = -key
    candidates = np.flatnonzero(ok)
    order = sorted(candidates, key=lambda i: (-key[i], -size[i], i))
    return int(order[0])


def compare_to_reference(
    successes: ArrayLike,
    n: ArrayLike,
    *,
    reference: int,
    alpha: float = 0.05,
    tests: bool = True,
    bootstrap: int = 0,
    seed: int | None = None,
    invert: bool = False,
) -> dict[str, NDArray[np.float64]]:
    """Each group's rate and its ratio and difference to the reference group, with intervals.

    Returns a mapping of equal-length arrays: ``rate``, ``rate_ci_low``, ``rate_ci_high``,
    ``ratio``, ``ratio_ci_low``, ``ratio_ci_high``, ``difference``, ``difference_ci_low``,
    ``difference_ci_high`` and, with ``tests``, ``z``, ``p_value_z``, ``p_value_fisher`` and
    ``p_value`` (Fisher mid-p). The reference's own ratio is 1 and difference 0, with no interval
    or test. Undefined values are NaN.

    With ``invert`` (for an unfavourable outcome, whose reference is the least-included group)
    the ratio is the reference's rate over the group's, so that, as for a favourable outcome, a
    ratio below 1 marks a disadvantaged group; it is undefined where the group's rate is zero.
    Its Katz interval is the interval of the inverted ratio (the log interval is symmetric in
    the two groups); a bootstrap interval is the percentile interval of each replicate's inverted
    ratio. Differences stay group minus reference.

    With ``bootstrap`` replicates, the ratio interval is the percentile bootstrap of
    :func:`~equityaudit.stats.bootstrap.bootstrap_rate_intervals` where the group and the
    reference each have at least :data:`~equityaudit.stats.bootstrap.MIN_BOOTSTRAP_COUNT`
    selected and as many not selected, and the MOVER-R interval
    (:func:`~equityaudit.stats.inference.mover_ratio_interval`) otherwise (``METHODS["ratio_ci_bootstrap"]``).

    Examples
    --------
    >>> out = compare_to_reference([20, 30], [50, 50], reference=1)
    >>> [round(float(v), 4) for v in (out["rate"][0], out["ratio"][0], out["difference"][0])]
    [0.4, 0.6667, -0.2]
    >>> out = compare_to_reference([10, 30], [50, 50], reference=0, invert=True)
    >>> [round(float(v), 4) for v in (out["rate"][1], out["ratio"][1], out["difference"][1])]
    [0.6, 0.3333, 0.4]
    """
    x = np.asarray(successes, dtype=np.float64)
    size = np.asarray(n, dtype=np.float64)
    if (tests or bootstrap) and x.ndim != 1:
        raise ValueError("tests and bootstrap intervals are computed for one metric (1-D counts) at a time")
    ref = (..., slice(reference, reference + 1))  # the reference column, kept for broadcasting
    x_ref = np.broadcast_to(x[ref], x.shape)
    n_ref = np.broadcast_to(size[ref], size.shape)
    rate = proportion(x, size)
    rate_low, rate_high = wilson_interval(x, size, alpha=alpha)
    reference_rate = rate[ref]
    reference_positive = np.isfinite(reference_rate) & (reference_rate > 0)
    if invert:
        ratio = proportion(np.broadcast_to(reference_rate, rate.shape), rate)
        ratio_low, ratio_high = ratio_interval(x_ref, n_ref, x, size, alpha=alpha)
    else:
        ratio = proportion(rate, np.broadcast_to(reference_rate, rate.shape))
        ratio_low, ratio_high = ratio_interval(x, size, x_ref, n_ref, alpha=alpha)
    difference = rate - reference_rate
    difference_low, difference_high = difference_interval(x, size, x_ref, n_ref, alpha=alpha)
    if bootstrap:
        intervals = bootstrap_rate_intervals(
            x.astype(np.int64),
            size.astype(np.int64),
            reference_index=reference,
            replicates=bootstrap,
            alpha=alpha,
            seed=seed,
            invert=invert,  # each replicate's own inverted ratio, not the inverse of the bounds
        )
        ratio_low, ratio_high = intervals["ratio"]
    out = {
        "rate": rate,
        "rate_ci_low": rate_low,
        "rate_ci_high": rate_high,
        "ratio": ratio,
        "ratio_ci_low": np.array(ratio_low, dtype=np.float64),
        "ratio_ci_high": np.array(ratio_high, dtype=np.float64),
        "difference": difference,
        "difference_ci_low": np.array(difference_low, dtype=np.float64),
        "difference_ci_high": np.array(difference_high, dtype=np.float64),
    }
    if tests:
        z, p_z = two_proportion_z_test(x, size, x_ref, n_ref)
        # the reference against itself has no test (NaN below): Fisher's sum, which grows with
        # the group's size, is computed for the other groups only
        others = np.arange(x.shape[-1]) != reference
        p_fisher = np.full(x.shape, np.nan)
        p_mid = np.full(x.shape, np.nan)
        p_fisher[others], p_mid[others] = fisher_exact_test(
            x[others], size[others], x_ref[others], n_ref[others]
        )
        out.update(
            z=np.array(z, dtype=np.float64),
            p_value_z=np.array(p_z, dtype=np.float64),
            p_value_fisher=np.array(p_fisher, dtype=np.float64),
            p_value=np.array(p_mid, dtype=np.float64),
        )
    # a ratio to a zero (or undefined) reference rate is undefined, and so is its interval
    # (inverted: a ratio over the group's own zero or undefined rate)
    if invert:
        defined = np.isfinite(rate) & (rate > 0) & np.isfinite(np.broadcast_to(reference_rate, rate.shape))
        undefined = ~defined
    else:
        undefined = np.broadcast_to(~reference_positive, rate.shape)
    for key in ("ratio", "ratio_ci_low", "ratio_ci_high"):
        out[key] = np.where(undefined, np.nan, out[key])
    out["ratio"][ref] = np.where(reference_positive, 1.0, np.nan)
    out["difference"][ref] = np.where(np.isfinite(reference_rate), 0.0, np.nan)
    for key, values in out.items():
        if key not in ("rate", "rate_ci_low", "rate_ci_high", "ratio", "difference"):
            values[ref] = np.nan
    return out
