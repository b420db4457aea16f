"""Rates of groups whose membership is *estimated*: weighted counts and Kish effective sizes.

When a sensitive attribute is not collected, each customer can carry a probability of belonging
to each category (BISG, the method the CFPB uses for race and ethnicity). A category's
**weighted count** is the sum of its members' probabilities, and its rate of an outcome is the
probability-weighted rate

.. math:: \\hat p_c = \\frac{\\sum_i w_{ic} y_i}{\\sum_i w_{ic}}.

Its uncertainty is that of a weighted mean: treating the weights as fixed,
:math:`\\mathrm{Var}(\\hat p_c) \\approx p_c(1-p_c) / n^{eff}_c` with Kish's **effective sample
size** :math:`n^{eff}_c = (\\sum_i w_{ic})^2 / \\sum_i w_{ic}^2` (Kish 1965). Intervals and tests
are therefore the usual ones (Wilson, Katz, Newcombe, two-proportion z) computed on *effective
counts* — :math:`n^{eff}` and :math:`\\hat p \\, n^{eff}` — which are not whole numbers; Fisher's
exact test needs whole counts and is not computed. When every weight is 0 or 1 the effective
counts are the ordinary counts and the intervals agree with the unweighted ones.

Two limits to state with every such result: the weights' own uncertainty (the estimate of each
customer's membership) is not propagated, and when probabilities are diffuse the weighted rates
are pulled toward the overall rate, so disparities tend to be *understated*.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from equityaudit.stats.inference import (
    difference_interval,
    ratio_interval,
    two_proportion_z_test,
    wilson_interval,
)
from equityaudit.stats.rates import proportion

__all__ = ["WEIGHTED_METHODS", "compare_weighted", "kish_effective_size"]

FloatArray = NDArray[np.float64]

WEIGHTED_METHODS = {
    "counts": "estimated membership: weighted counts (sums of membership probabilities)",
    "rate_ci": "Wilson score interval on Kish effective counts",
    "ratio_ci": "Katz log interval on Kish effective counts (0.5 added to both counts and both sizes when a count is zero)",
    "difference_ci": "Newcombe hybrid score interval (method 10) on Kish effective counts",
    "p_value": "two-proportion z test on Kish effective counts, pooled, two-sided (Fisher's exact "
    "test needs whole counts)",
    "p_value_z": "two-proportion z test on Kish effective counts, pooled, two-sided",
}
"""How each column family of a weighted table is computed; results record these."""


def kish_effective_size(weight_sum: ArrayLike, weight_square_sum: ArrayLike) -> FloatArray:
    """Kish's effective sample size :math:`(\\sum w)^2 / \\sum w^2`; ``nan`` where no weight is positive.

    Examples
    --------
    >>> kish_effective_size([3.0, 2.0, 0.0], [3.0, 1.0, 0.0]).tolist()  # weights 1,1,1 · 0.5 x4 · none
    [3.0, 4.0, nan]
    """
    total = np.asarray(weight_sum, dtype=np.float64)
    squares = np.asarray(weight_square_sum, dtype=np.float64)
    return proportion(total * total, squares)


def compare_weighted(
    included: ArrayLike,
    weight_sum: ArrayLike,
    weight_square_sum: ArrayLike,
    *,
    reference: int,
    alpha: float = 0.05,
    invert: bool = False,
) -> dict[str, FloatArray]:
    """Weighted rates of groups and their comparison with a reference group.

    Parameters
    ----------
    included : array_like of float
        Per group, the weighted count of the outcome, :math:`\\sum_i w_{ic} y_i`.
    weight_sum, weight_square_sum : array_like of float
        Per group, :math:`\\sum_i w_{ic}` and :math:`\\sum_i w_{ic}^2` over everyone counted.
    reference : int
        Index of the reference group.
    alpha : float, default 0.05
        One minus the confidence level.
    invert : bool, default False
        Ratio of the reference's rate to the group's (an unfavourable outcome), as in
        :func:`equityaudit.stats.disparity.compare_to_reference`.

    Returns
    -------
    dict of arrays
        The keys of :func:`~equityaudit.stats.disparity.compare_to_reference` — ``rate``,
        ``rate_ci_low``, ``rate_ci_high``, ``ratio`` and interval, ``difference`` and interval,
        ``z``, ``p_value_z``, ``p_value_fisher`` (always ``nan``) and ``p_value`` (the z test's) —
        plus ``n_effective``. The reference's own tests and intervals are ``nan``.

    Examples
    --------
    With 0/1 weights the effective counts are the counts: 20 of 50 against 30 of 50.

    >>> out = compare_weighted([20.0, 30.0], [50.0, 50.0], [50.0, 50.0], reference=1)
    >>> [round(float(out[k][0]), 4) for k in ("rate", "ratio", "n_effective")]
    [0.4, 0.6667, 50.0]
    """
    x = np.asarray(included, dtype=np.float64)
    total = np.asarray(weight_sum, dtype=np.float64)
    n_eff = kish_effective_size(total, weight_square_sum)
    rate = proportion(x, total)
    n_eff_safe = np.where(np.isfinite(n_eff), n_eff, 0.0)
    x_eff = np.where(np.isfinite(rate), rate, 0.0) * n_eff_safe
    x_eff = np.minimum(x_eff, n_eff_safe)  # rounding must not put the outcome above the size
    ref = slice(reference, reference + 1)
    x_ref = np.broadcast_to(x_eff[ref], x_eff.shape)
    n_ref = np.broadcast_to(n_eff_safe[ref], x_eff.shape)
    rate_low, rate_high = wilson_interval(x_eff, n_eff_safe, alpha=alpha, fractional=True)
    reference_rate = float(rate[reference])
    if invert:
        ratio = proportion(np.full_like(rate, reference_rate), rate)
        ratio_low, ratio_high = ratio_interval(x_ref, n_ref, x_eff, n_eff_safe, alpha=alpha, fractional=True)
        defined = np.isfinite(rate) & (rate > 0) & np.isfinite(reference_rate)
    else:
        ratio = proportion(rate, np.full_like(rate, reference_rate))
        ratio_low, ratio_high = ratio_interval(x_eff, n_eff_safe, x_ref, n_ref, alpha=alpha, fractional=True)
        defined = np.full(rate.shape, np.isfinite(reference_rate) and reference_rate > 0)
    difference = rate - reference_rate
    difference_low, difference_high = difference_interval(
        x_eff, n_eff_safe, x_ref, n_ref, alpha=alpha, fractional=True
    )
    z, p_z = two_proportion_z_test(x_eff, n_eff_safe, x_ref, n_ref, fractional=True)
    out: dict[str, Any] = {
        "rate": rate,
        "rate_ci_low": rate_low,
        "rate_ci_high": rate_high,
        "ratio": np.where(defined, ratio, np.nan),
        "ratio_ci_low": np.where(defined, ratio_low, np.nan),
        "ratio_ci_high": np.where(defined, ratio_high, np.nan),
        "difference": difference,
        "difference_ci_low": np.asarray(difference_low, dtype=np.float64),
        "difference_ci_high": np.asarray(difference_high, dtype=np.float64),
        "z": np.asarray(z, dtype=np.float64),
        "p_value_z": np.asarray(p_z, dtype=np.float64),
        "p_value_fisher": np.full(rate.shape, np.nan),
        "p_value": np.asarray(p_z, dtype=np.float64).copy(),
        "n_effective": n_eff,
    }
    out["ratio"][reference] = 1.0 if defined[reference] else np.nan
    out["difference"][reference] = 0.0 if np.isfinite(reference_rate) else np.nan
    for key in (
        "ratio_ci_low",
        "ratio_ci_high",
        "difference_ci_low",
        "difference_ci_high",
        "z",
        "p_value_z",
        "p_value",
    ):
        out[key][reference] = np.nan
    return out
