"""Rates of groups whose membership is *estimated*: weighted counts and linearised effective sizes.

When a sensitive attribute is not collected, each customer can carry a probability of belonging
to each category (BISG, the method the CFPB uses for race and ethnicity). A category's
**weighted count** is the sum of its members' probabilities, and its rate of an outcome is the
probability-weighted rate

.. math:: \\hat p_c = \\frac{\\sum_i w_{ic} y_i}{\\sum_i w_{ic}}.

This is a ratio of two sums, so its variance is the **linearised** (Taylor, or sandwich)
variance of a ratio estimator (Cochran 1977, ch. 6; Lohr 2010, §9.1): with :math:`y` 0 or 1,

.. math::

    \\widehat{\\mathrm{Var}}(\\hat p_c)
    = \\frac{\\sum_i w_{ic}^2 (y_i - \\hat p_c)^2}{(\\sum_i w_{ic})^2}
    = \\frac{\\sum_i w_{ic}^2 y_i \\, (1 - 2\\hat p_c) + \\hat p_c^2 \\sum_i w_{ic}^2}{(\\sum_i w_{ic})^2},

which needs one sum beyond the weighted counts: :math:`\\sum_i w_{ic}^2 y_i`. (It is the
large-sample form, without the :math:`m/(m-1)` factor over :math:`m` rows, so that 0/1 weights
give exactly :math:`p(1-p)/n`.) Kish's design-effect variance
:math:`\\hat p(1-\\hat p) \\sum w^2 / (\\sum w)^2` (Kish 1965) equals it only when the outcome
is unrelated to the weights. In BISG data it is not — the customers whose membership is nearly
certain are the ones whose outcomes carry the group's rate — and Kish's variance is then too
small or too large: a simulation in ``tests/auditors/marketing/test_marketing_stats.py`` has its 95 % Wilson
interval covering about 91 % of the time where the linearised one covers 95 %.

The **effective size** is the number of independent 0/1 outcomes that would give that variance,
:math:`n^{eff}_c = \\hat p_c(1-\\hat p_c) / \\widehat{\\mathrm{Var}}(\\hat p_c)`, capped at Kish's
:math:`(\\sum w)^2/\\sum w^2`: the linearisation can only widen an interval beyond Kish's, never
narrow it (alone it is far too small when a group has almost no weight on one side of the
outcome). At a rate of 0 or 1 the linearised variance is 0 and says nothing about the size, so
Kish's is used there. Intervals and tests are the usual ones (Wilson, Katz,
Newcombe, two-proportion z) computed on *effective counts* — :math:`n^{eff}` and
:math:`\\hat p \\, n^{eff}` — which are not whole numbers; Fisher's exact test needs whole counts
and is not computed. When every weight is 0 or 1 the sums are the ordinary counts
(:math:`\\sum w^2 y = \\sum w y = x`, :math:`\\sum w^2 = \\sum w = n`), the variance is
:math:`p(1-p)/n`, and the intervals are the unweighted ones.

Limits to state with every such result: the weights' own uncertainty (the estimate of each
customer's membership) is not propagated; when probabilities are diffuse the weighted rates are
pulled toward the overall rate, so disparities tend to be *understated*; and like any
linearisation the variance is unreliable when a group has very few weighted outcomes of one kind
(a single included customer carrying a tiny probability gives a tiny variance and a huge effective
size); such a group's interval is too narrow.
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

__all__ = [
    "WEIGHTED_METHODS",
    "compare_weighted",
    "kish_effective_size",
    "linearised_effective_size",
    "linearised_variance",
]

FloatArray = NDArray[np.float64]

WEIGHTED_METHODS = {
    "counts": "estimated membership: weighted counts (sums of membership probabilities)",
    "n_effective": "effective size p(1 - p) / Var(p) with the linearised (Taylor) variance of the weighted "
    "rate, Var(p) = sum w^2 (y - p)^2 / (sum w)^2 (Cochran 1977 ch. 6), capped at Kish's (sum w)^2 / "
    "sum w^2, which is used where the rate is 0 or 1",
    "rate_ci": "Wilson score interval on effective counts (linearised variance)",
    "ratio_ci": "Katz log interval on effective counts (linearised variance; 0.5 added to both counts and "
    "both sizes when a count is zero; a group with everyone included has the variance term "
    "1/(n + 0.5) - 1/(n + 1))",
    "difference_ci": "Newcombe hybrid score interval (method 10) on effective counts (linearised variance)",
    "p_value": "two-proportion z test on effective counts (linearised variance), pooled, two-sided "
    "(Fisher's exact test needs whole counts)",
    "p_value_z": "two-proportion z test on effective counts (linearised variance), pooled, two-sided",
}
"""How each column family of a weighted table is computed; results record these."""

# A rate within this relative distance of 0 or 1 counts as 0 or 1: the weighted count of the
# outcome and the weighted size are separate floating-point sums, so a group whose every member
# is included can come out a few ulps short of 1, where the linearised variance is rounding noise.
_BOUND_TOLERANCE = 1e-9


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


def linearised_variance(
    included: ArrayLike,
    weight_sum: ArrayLike,
    weight_square_sum: ArrayLike,
    included_square_sum: ArrayLike,
) -> FloatArray:
    """Linearised variance of the weighted rate :math:`\\hat p = \\sum w y / \\sum w` of a 0/1 outcome.

    .. math:: \\frac{\\sum w^2 (y - \\hat p)^2}{(\\sum w)^2}
              = \\frac{(1 - \\hat p)^2 \\sum w^2 y + \\hat p^2 (\\sum w^2 - \\sum w^2 y)}{(\\sum w)^2},

    the sum split over the rows with :math:`y = 1` and :math:`y = 0`: two non-negative terms, so
    no cancellation (algebraically :math:`[\\sum w^2 y (1 - 2\\hat p) + \\hat p^2 \\sum w^2] /
    (\\sum w)^2`). It is computed from the sums without forming :math:`\\hat p`, as
    :math:`[(\\sum w - \\sum w y)^2 \\sum w^2 y + (\\sum w y)^2 (\\sum w^2 - \\sum w^2 y)] / (\\sum w)^4`,
    so that whole counts (0/1 weights) give :math:`p(1-p)/n` without rounding.

    Parameters
    ----------
    included, weight_sum, weight_square_sum, included_square_sum : array_like of float
        Per group, :math:`\\sum w y`, :math:`\\sum w`, :math:`\\sum w^2` and :math:`\\sum w^2 y`.

    Returns
    -------
    ndarray of float64
        The variance; ``nan`` where no weight is positive.

    Examples
    --------
    Weights 1.0 and 0.5, the first row included: p = 1 / 1.5 = 2/3, and
    (1 · (1/3)² + 0.25 · (2/3)²) / 1.5² = (1/9 + 1/9) / 2.25 = 0.0988. With 0/1 weights (3 of 10)
    it is p(1 - p)/n = 0.21 / 10.

    >>> [round(float(v), 4) for v in linearised_variance([1.0, 3.0], [1.5, 10.0], [1.25, 10.0], [1.0, 3.0])]
    [0.0988, 0.021]
    """
    total = np.asarray(weight_sum, dtype=np.float64)
    spread = _spread(included, total, weight_square_sum, included_square_sum)
    return proportion(spread, total**4)


def _spread(
    included: ArrayLike, total: FloatArray, weight_square_sum: ArrayLike, included_square_sum: ArrayLike
) -> FloatArray:
    """:math:`(\\sum w)^2 \\sum w^2 (y - \\hat p)^2`, from the four sums."""
    x = np.asarray(included, dtype=np.float64)
    squares = np.asarray(weight_square_sum, dtype=np.float64)
    # 0 <= sum w^2 y <= sum w^2 in exact arithmetic; clip the rounding of separate sums
    included_squares = np.clip(np.asarray(included_square_sum, dtype=np.float64), 0.0, squares)
    spread: FloatArray = (total - x) ** 2 * included_squares + x**2 * (squares - included_squares)
    return spread


def linearised_effective_size(
    included: ArrayLike,
    weight_sum: ArrayLike,
    weight_square_sum: ArrayLike,
    included_square_sum: ArrayLike,
) -> FloatArray:
    """Effective size :math:`\\hat p (1 - \\hat p) / \\mathrm{Var}(\\hat p)` of a weighted rate.

    ``Var`` is :func:`linearised_variance`. The size is capped at Kish's
    :func:`kish_effective_size`, so an estimated group is never counted as surer than Kish's
    design effect allows (the linearisation alone is far too small when a group has almost no
    weight on one side of the outcome); where the rate is 0 or 1 that variance is 0 and the ratio
    is undefined, and Kish's size is returned; ``nan`` where no weight is positive. With 0/1
    weights it is the group's size.

    Parameters
    ----------
    included, weight_sum, weight_square_sum, included_square_sum : array_like of float
        Per group, :math:`\\sum w y`, :math:`\\sum w`, :math:`\\sum w^2` and :math:`\\sum w^2 y`.

    Returns
    -------
    ndarray of float64
        The effective size; ``nan`` where no weight is positive.

    Examples
    --------
    Weights 1.0 and 0.5 with the first row included: (2/3 · 1/3) / (2/9 / 2.25) = 2.25, above
    Kish's 1.5² / 1.25 = 1.8, so 1.8. Weights 1.0 and 0.5 with the second included: p = 1/3,
    Var = [0.25 (1 - 2/3) + 1/9 · 1.25] / 2.25 = 0.0988, size (2/9) / 0.0988 = 2.25 ... capped at
    1.8 as well. With 0/1 weights, 3 of 10: 10. No row included: Kish's 1.8.

    >>> out = linearised_effective_size(
    ...     [1.0, 0.5, 3.0, 0.0], [1.5, 1.5, 10.0, 1.5], [1.25, 1.25, 10.0, 1.25], [1.0, 0.25, 3.0, 0.0]
    ... )
    >>> [round(float(v), 4) for v in out]
    [1.8, 1.8, 10.0, 1.8]
    """
    x = np.asarray(included, dtype=np.float64)
    total = np.asarray(weight_sum, dtype=np.float64)
    kish = kish_effective_size(total, weight_square_sum)
    # p(1 - p) / Var = [x (T - x) / T^2] / [spread / T^4] = x (T - x) T^2 / spread
    spread = _spread(x, total, weight_square_sum, included_square_sum)
    slack = _BOUND_TOLERANCE * total
    interior = (x > slack) & (total - x > slack) & (spread > 0)
    linearised = proportion(x * (total - x) * total**2, np.where(interior, spread, 0.0))
    # never more confident than Kish: the linearisation is too small when a group has very few
    # weighted customers on one side (one included customer at p = 0.001 among 200 at p = 0.5
    # would count as ~99,500 customers)
    return np.where(interior, np.minimum(linearised, kish), kish)


def compare_weighted(
    included: ArrayLike,
    weight_sum: ArrayLike,
    weight_square_sum: ArrayLike,
    included_square_sum: ArrayLike,
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
    included_square_sum : array_like of float
        Per group, :math:`\\sum_i w_{ic}^2 y_i`: the squared weights of the rows with the outcome,
        for the linearised variance of the rate.
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
        plus ``n_effective`` (:func:`linearised_effective_size`), on which, with the effective
        count ``rate * n_effective``, every interval and test is computed. The reference's own
        tests and intervals are ``nan``.

    Examples
    --------
    With 0/1 weights the effective counts are the counts: 20 of 50 against 30 of 50.

    >>> out = compare_weighted([20.0, 30.0], [50.0, 50.0], [50.0, 50.0], [20.0, 30.0], reference=1)
    >>> [round(float(out[k][0]), 4) for k in ("rate", "ratio", "n_effective")]
    [0.4, 0.6667, 50.0]
    """
    x = np.asarray(included, dtype=np.float64)
    total = np.asarray(weight_sum, dtype=np.float64)
    n_eff = linearised_effective_size(x, total, weight_square_sum, included_square_sum)
    rate = proportion(x, total)
    n_eff_safe = np.where(np.isfinite(n_eff), n_eff, 0.0)
    # rate * n_eff, as x * n_eff / total: with 0/1 weights exactly x
    x_eff = np.nan_to_num(proportion(x * n_eff_safe, total))
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
