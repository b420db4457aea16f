"""Confidence intervals and hypothesis tests computed from per-group counts.

It stays one module of some 650 lines: intervals and tests are one job, inference about groups'
rates from their counts, and share the checks on those counts and the critical value (the MOVER-R
and Newcombe intervals are built from the Wilson interval); half its length is docstrings that
give each method's formula and edge cases.

Every function takes counts (array-likes of whole numbers, broadcast against each other) and
returns float64 numpy arrays. A value that is undefined for a group — a zero denominator, a
pooled rate of 0 or 1, … — is ``np.nan``, never a made-up 0 or 1; callers turn it into null
with a note. :func:`shortfall` turns the same counts into the selections a group lacks to reach
a threshold. The p-values of many tests are adjusted together in
:mod:`equityaudit.stats.multiplicity`.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from equityaudit.errors import DataError
from equityaudit.stats.multiplicity import adjust_p  # re-exported for judging, which imports it from here

__all__ = [
    "adjust_p",
    "chi_square_test",
    "difference_interval",
    "fisher_exact_test",
    "mover_ratio_interval",
    "ratio_interval",
    "shortfall",
    "two_proportion_z_test",
    "wilson_interval",
    "z_critical",
]

FloatArray = NDArray[np.float64]

# Two hypergeometric probabilities within this relative tolerance count as "equally probable"
# (R's fisher.test uses the same 1 + 1e-7; it absorbs the rounding error of the pmf).
_TIE_TOLERANCE = 1.0 + 1e-7

# Absolute slack (scaled by the size of the target) taken off before rounding a count up, so
# that a target that is a whole number in exact arithmetic (0.8 * 0.75 * 10 = 6) but comes out
# as 6.000000000000001 in floating point is not rounded up to 7.
_CEIL_SLACK = 1e-9


def _counts(values: ArrayLike, name: str, fractional: bool = False) -> FloatArray:
    """Return ``values`` as a float array after checking they are non-negative whole numbers.

    With ``fractional``, non-negative finite numbers are accepted: weighted (effective) counts,
    such as the effective sizes of groups whose membership is estimated (stats.weighted).
    """
    arr = np.asarray(values, dtype=np.float64)
    bad = ~np.isfinite(arr) | (arr < 0)
    if not fractional:
        bad |= arr != np.floor(np.where(np.isfinite(arr), arr, 0))
    if np.any(bad):
        found = arr[bad].ravel()[:5].tolist()
        kind = "non-negative numbers" if fractional else "non-negative whole numbers"
        raise DataError(
            f"Expected `{name}` to hold counts ({kind}), found {found}. "
            "Pass the number of people in each cell, not rates or shares."
        )
    return arr


def _check_successes(successes: FloatArray, n: FloatArray, s_name: str, n_name: str) -> None:
    """Raise if any group has more successes than members."""
    over = successes > n
    if np.any(over):
        s_bad = np.broadcast_to(successes, over.shape)[over].ravel()[:5].tolist()
        n_bad = np.broadcast_to(n, over.shape)[over].ravel()[:5].tolist()
        raise DataError(
            f"Expected `{s_name}` <= `{n_name}` in every group, found {s_name}={s_bad} with "
            f"{n_name}={n_bad}. `{n_name}` must count everyone in the group, selected or not."
        )


def _proportion(
    successes: ArrayLike, n: ArrayLike, s_name: str, n_name: str, fractional: bool = False
) -> tuple[FloatArray, FloatArray]:
    """Validate one sample of counts and broadcast ``successes`` against ``n``."""
    x = _counts(successes, s_name, fractional)
    size = _counts(n, n_name, fractional)
    x, size = np.broadcast_arrays(x, size)
    _check_successes(x, size, s_name, n_name)
    return x, size


def _two_samples(
    x1: ArrayLike, n1: ArrayLike, x2: ArrayLike, n2: ArrayLike, fractional: bool = False
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Validate two samples of counts and broadcast all four arrays together."""
    a1, m1 = _proportion(x1, n1, "x1", "n1", fractional)
    a2, m2 = _proportion(x2, n2, "x2", "n2", fractional)
    a1, m1, a2, m2 = np.broadcast_arrays(a1, m1, a2, m2)
    return a1, m1, a2, m2


def _check_alpha(alpha: float) -> None:
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"Expected `alpha` strictly between 0 and 1, found {alpha!r}.")


def z_critical(alpha: float) -> float:
    """Return the two-sided standard normal critical value :math:`z_{1-\\alpha/2}`.

    Parameters
    ----------
    alpha : float
        Significance level, strictly between 0 and 1.

    Returns
    -------
    float
        The ``1 - alpha/2`` quantile of the standard normal distribution.

    Examples
    --------
    >>> round(z_critical(0.05), 6)
    1.959964
    """
    _check_alpha(alpha)
    return _z_critical(alpha)


@functools.lru_cache(maxsize=64)
def _z_critical(alpha: float) -> float:
    # scipy.stats' normal quantile is this function of scipy.special (norm.isf(q) = -ndtri(q));
    # importing scipy.stats takes half a second, scipy.special a few milliseconds
    from scipy import special

    return float(-special.ndtri(alpha / 2.0))


def wilson_interval(
    successes: ArrayLike, n: ArrayLike, *, alpha: float = 0.05, fractional: bool = False
) -> tuple[FloatArray, FloatArray]:
    """Wilson score interval for a proportion, group by group.

    With :math:`\\hat p = x/n` and :math:`z = z_{1-\\alpha/2}` the interval is

    .. math:: \\frac{\\hat p + z^2/2n \\pm z\\sqrt{\\hat p(1-\\hat p)/n + z^2/4n^2}}{1 + z^2/n}.

    Parameters
    ----------
    successes, n : array_like of int
        Selected count and group size per group (broadcast together).
    alpha : float, default 0.05
        One minus the confidence level.
    fractional : bool, default False
        Accept non-integer (weighted or effective) counts; only whole numbers otherwise.

    Returns
    -------
    lower, upper : ndarray of float64
        The interval bounds, within [0, 1]; ``nan`` where ``n == 0``.

    Examples
    --------
    >>> lo, hi = wilson_interval([3, 0], [10, 10])
    >>> np.round(lo, 4), np.round(hi, 4)
    (array([0.1078, 0.    ]), array([0.6032, 0.2775]))
    >>> wilson_interval(0, 0)
    (array(nan), array(nan))
    """
    z = z_critical(alpha)
    x, size = _proportion(successes, n, "successes", "n", fractional)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / size
        z2n = z * z / size
        denom = 1.0 + z2n
        centre = (p + z2n / 2.0) / denom
        half = z / denom * np.sqrt(p * (1.0 - p) / size + z2n / (4.0 * size))
    # At x == 0 and x == n the bounds are exactly 0 and 1; pin them against rounding error.
    lower = np.where(x == 0, 0.0, np.clip(centre - half, 0.0, 1.0))
    upper = np.where(x == size, 1.0, np.clip(centre + half, 0.0, 1.0))
    undefined = size == 0
    lower = np.where(undefined, np.nan, lower)
    upper = np.where(undefined, np.nan, upper)
    return np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64)


def ratio_interval(
    x1: ArrayLike,
    n1: ArrayLike,
    x2: ArrayLike,
    n2: ArrayLike,
    *,
    alpha: float = 0.05,
    fractional: bool = False,
) -> tuple[FloatArray, FloatArray]:
    """Katz log interval for the rate ratio :math:`(x_1/n_1)/(x_2/n_2)`.

    The interval is :math:`\\exp(\\log \\hat r \\pm z\\,se)` with
    :math:`se = \\sqrt{1/x_1 - 1/n_1 + 1/x_2 - 1/n_2}` (Katz et al. 1978).

    A zero count makes :math:`\\log \\hat r` undefined, so the interval is bounded on one side by
    the estimate itself and on the other by the Katz bound computed with 0.5 added to ``x1``,
    ``x2``, ``n1`` and ``n2`` (the adjusted log interval of Pettigrew, Gart & Thomas 1986 and
    Gart & Nam 1988, statsmodels' ``method="log-adjusted"``); the interval always contains the
    estimate:

    * ``x1 == 0 < x2``: the ratio is 0; the interval is ``[0, corrected upper bound]``.
    * ``x2 == 0 < x1``: the ratio is infinite (undefined as a number, and callers report it as
      ``null``); the interval is ``[corrected lower bound, inf]``, the reciprocal of the first case.
    * ``x1 == x2 == 0``: the ratio is 0/0; both bounds are ``nan``.

    A group with no failures (``x == n``, a rate of 1) has a delta-method variance
    :math:`1/x - 1/n` of 0, and so would it with 0.5 added to ``x`` and ``n``; either would make the
    interval as narrow as if that group's rate were known exactly (2 of 2 selected against 68 of
    87 would give 1.14–1.43). Its variance term is therefore computed from its own counts with
    0.5 added to each of its two cells (Haldane–Anscombe: :math:`1/(x + 0.5) - 1/(n + 1)`), in a
    comparison with a zero count too, while its rate stays 1, so the interval is still centred on
    the observed ratio (or, with a zero count, on the corrected one) and contains the estimate.
    Each group's term is corrected once: in 0 of ``n1`` against ``n2`` of ``n2`` the variance is
    :math:`1/0.5 - 1/(n_1 + 0.5) + 1/(n_2 + 0.5) - 1/(n_2 + 1)`. Comparisons with neither a zero
    count nor a rate of 1 are not corrected.

    Parameters
    ----------
    x1, n1 : array_like of int
        Selected count and size of the compared group(s).
    x2, n2 : array_like of int
        Selected count and size of the reference group(s).
    alpha : float, default 0.05
        One minus the confidence level.
    fractional : bool, default False
        Accept non-integer (weighted or effective) counts; only whole numbers otherwise.

    Returns
    -------
    lower, upper : ndarray of float64
        Bounds of the ratio; ``nan`` where ``n1 == 0``, ``n2 == 0`` or ``x1 == x2 == 0``; ``upper``
        is ``inf`` where only ``x2`` is 0.

    Examples
    --------
    >>> lo, hi = ratio_interval([20, 0, 3, 0], [50, 10, 10, 10], [30, 5, 0, 0], [50, 10, 10, 10])
    >>> np.round(lo, 4), np.round(hi, 4)
    (array([0.4433, 0.    , 0.4102,    nan]), array([1.0025, 1.4447,    inf,    nan]))

    A rate of 1 does not make its group's variance vanish:

    >>> lo, hi = ratio_interval([2, 2, 0], [2, 2, 10], [68, 2, 5], [87, 2, 5])
    >>> np.round(lo, 4), np.round(hi, 4)
    (array([0.7621, 0.4889, 0.    ]), array([2.1479, 2.0456, 0.7198]))
    """
    z = z_critical(alpha)
    a1, m1, a2, m2 = _two_samples(x1, n1, x2, n2, fractional)
    undefined = (m1 == 0) | (m2 == 0) | ((a1 == 0) & (a2 == 0))
    zero_compared = (a1 == 0) & (a2 > 0)
    zero_reference = (a2 == 0) & (a1 > 0)
    correction = np.where(zero_compared | zero_reference, 0.5, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate1 = (a1 + correction) / (m1 + correction)
        rate2 = (a2 + correction) / (m2 + correction)
        log_ratio = np.log(rate1) - np.log(rate2)
        variance = _log_rate_variance(a1, m1, correction) + _log_rate_variance(a2, m2, correction)
        se = np.sqrt(np.maximum(variance, 0.0))
        lower = np.exp(log_ratio - z * se)
        upper = np.exp(log_ratio + z * se)
    lower = np.where(zero_compared, 0.0, lower)  # the estimate is 0
    upper = np.where(zero_reference, np.inf, upper)  # the estimate is infinite
    lower = np.where(undefined, np.nan, lower)
    upper = np.where(undefined, np.nan, upper)
    return np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64)


def _log_rate_variance(x: FloatArray, n: FloatArray, correction: FloatArray) -> FloatArray:
    """Delta-method variance of :math:`\\log(x/n)` for one group of the Katz interval.

    :math:`1/(x + c) - 1/(n + c)` with the comparison's correction ``c`` (0.5 where a count is
    zero, else 0); where the group has no failures (``x == n``), where that is 0, the
    Haldane–Anscombe term :math:`1/(x + 0.5) - 1/(n + 1)` of its own counts instead, whatever ``c``.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        no_failures = (x == n) & (n > 0)
        return np.where(
            no_failures, 1.0 / (x + 0.5) - 1.0 / (n + 1.0), 1.0 / (x + correction) - 1.0 / (n + correction)
        )


def mover_ratio_interval(
    x1: ArrayLike,
    n1: ArrayLike,
    x2: ArrayLike,
    n2: ArrayLike,
    *,
    alpha: float = 0.05,
    fractional: bool = False,
) -> tuple[FloatArray, FloatArray]:
    """MOVER-R interval for the rate ratio :math:`p_1/p_2` from the two groups' Wilson intervals.

    The method of variance estimates recovery for a ratio (Donner & Zou 2012): with
    :math:`\\hat p_i = x_i/n_i` and Wilson intervals :math:`(l_i, u_i)` (:func:`wilson_interval`),

    .. math::
        L = \\frac{\\hat p_1 \\hat p_2 - \\sqrt{(\\hat p_1 \\hat p_2)^2
              - l_1(2\\hat p_1 - l_1)\\,u_2(2\\hat p_2 - u_2)}}{u_2(2\\hat p_2 - u_2)},
        \\qquad
        U = \\frac{\\hat p_1 \\hat p_2 + \\sqrt{(\\hat p_1 \\hat p_2)^2
              - u_1(2\\hat p_1 - u_1)\\,l_2(2\\hat p_2 - l_2)}}{l_2(2\\hat p_2 - l_2)}.

    :math:`L` is computed in the equivalent form
    :math:`l_1(2\\hat p_1 - l_1) / (\\hat p_1 \\hat p_2 + \\sqrt{\\cdots})`, which stays finite
    where :math:`u_2 = 2\\hat p_2`. Unlike a percentile bootstrap it needs no resampling and keeps
    close to its nominal coverage for small groups and rare outcomes (``benchmarks/bench_intervals.py``),
    and it is defined for zero counts without a correction, always containing the estimate:

    * ``x1 == 0 < x2``: the ratio is 0; the interval is :math:`[0,\\ u_1/\\sqrt{l_2(2\\hat p_2 - l_2)}]`,
      whose upper bound is positive.
    * ``x2 == 0 < x1``: the ratio is infinite; the interval is
      :math:`[\\sqrt{l_1(2\\hat p_1 - l_1)}/u_2,\\ \\infty]`, the reciprocal of the first case.
    * ``x1 == x2 == 0``: the ratio is 0/0; both bounds are ``nan``.

    The interval of :math:`p_2/p_1` is the reciprocal of that of :math:`p_1/p_2`.

    Parameters
    ----------
    x1, n1 : array_like of int
        Selected count and size of the compared group(s).
    x2, n2 : array_like of int
        Selected count and size of the reference group(s).
    alpha : float, default 0.05
        One minus the confidence level.
    fractional : bool, default False
        Accept non-integer (weighted or effective) counts; only whole numbers otherwise.

    Returns
    -------
    lower, upper : ndarray of float64
        Bounds of the ratio; ``nan`` where ``n1 == 0``, ``n2 == 0`` or ``x1 == x2 == 0``; ``upper``
        is ``inf`` where only ``x2`` is 0.

    Examples
    --------
    >>> lo, hi = mover_ratio_interval([20, 0, 1, 0], [50, 20, 20, 20], [30, 6, 6, 0], [50, 20, 20, 20])
    >>> np.round(lo, 4), np.round(hi, 4)
    (array([0.441 , 0.    , 0.0281,    nan]), array([0.9909, 0.6266, 0.9601,    nan]))
    """
    a1, m1, a2, m2 = _two_samples(x1, n1, x2, n2, fractional)
    l1, u1 = wilson_interval(a1, m1, alpha=alpha, fractional=fractional)
    l2, u2 = wilson_interval(a2, m2, alpha=alpha, fractional=fractional)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1 = a1 / m1
        p2 = a2 / m2
        product = p1 * p2
        # L and U are roots of (p1 - r p2)^2 = (p1 - l1)^2 + r^2 (u2 - p2)^2 (for L) and of
        # (p1 - r p2)^2 = (u1 - p1)^2 + r^2 (p2 - l2)^2 (for U): a r^2 - 2 b r + c = 0.
        c_low = l1 * (2.0 * p1 - l1)
        a_low = u2 * (2.0 * p2 - u2)
        lower = c_low / (product + np.sqrt(np.maximum(product * product - a_low * c_low, 0.0)))
        c_high = u1 * (2.0 * p1 - u1)
        a_high = l2 * (2.0 * p2 - l2)
        upper = (product + np.sqrt(np.maximum(product * product - a_high * c_high, 0.0))) / a_high
    lower = np.where(a1 == 0, 0.0, lower)  # the estimate is 0 (and c_low / product is 0/0)
    upper = np.where(a2 == 0, np.inf, upper)  # the estimate is infinite (a_high is 0)
    undefined = (m1 == 0) | (m2 == 0) | ((a1 == 0) & (a2 == 0))
    lower = np.where(undefined, np.nan, lower)
    upper = np.where(undefined, np.nan, upper)
    return np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64)


def difference_interval(
    x1: ArrayLike,
    n1: ArrayLike,
    x2: ArrayLike,
    n2: ArrayLike,
    *,
    alpha: float = 0.05,
    fractional: bool = False,
) -> tuple[FloatArray, FloatArray]:
    """Newcombe hybrid score interval for the difference of rates :math:`p_1 - p_2`.

    Method 10 of Newcombe (1998): with Wilson intervals :math:`(l_i, u_i)` for each rate,

    .. math:: \\left(\\hat p_1 - \\hat p_2 - \\sqrt{(\\hat p_1 - l_1)^2 + (u_2 - \\hat p_2)^2},\\;
              \\hat p_1 - \\hat p_2 + \\sqrt{(u_1 - \\hat p_1)^2 + (\\hat p_2 - l_2)^2}\\right).

    Parameters
    ----------
    x1, n1 : array_like of int
        Selected count and size of the compared group(s).
    x2, n2 : array_like of int
        Selected count and size of the reference group(s).
    alpha : float, default 0.05
        One minus the confidence level.
    fractional : bool, default False
        Accept non-integer (weighted or effective) counts; only whole numbers otherwise.

    Returns
    -------
    lower, upper : ndarray of float64
        Bounds of the difference, within [-1, 1]; ``nan`` where ``n1 == 0`` or ``n2 == 0``.

    Examples
    --------
    >>> lo, hi = difference_interval(56, 70, 48, 80)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.0524, 0.3339)
    """
    a1, m1, a2, m2 = _two_samples(x1, n1, x2, n2, fractional)
    l1, u1 = wilson_interval(a1, m1, alpha=alpha, fractional=fractional)
    l2, u2 = wilson_interval(a2, m2, alpha=alpha, fractional=fractional)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1 = a1 / m1
        p2 = a2 / m2
    diff = p1 - p2
    lower = diff - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    upper = diff + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64)


def two_proportion_z_test(
    x1: ArrayLike, n1: ArrayLike, x2: ArrayLike, n2: ArrayLike, *, fractional: bool = False
) -> tuple[FloatArray, FloatArray]:
    """Pooled two-proportion z test of :math:`p_1 = p_2`, two-sided.

    :math:`z = (\\hat p_1 - \\hat p_2) / \\sqrt{\\bar p(1-\\bar p)(1/n_1 + 1/n_2)}` with the
    pooled rate :math:`\\bar p = (x_1 + x_2)/(n_1 + n_2)`; the p-value is
    :math:`2\\,(1 - \\Phi(|z|))`. For a 2×2 table :math:`z^2` equals Pearson's chi-square
    statistic without continuity correction.

    The statistic is undefined when ``n1 == 0``, ``n2 == 0`` or the pooled rate is 0 or 1
    (nobody or everybody selected); then both ``z`` and ``p`` are ``nan``. This includes two
    groups that both have rate 0 (or both rate 1): the data carry no evidence either way, and
    the caller reports that rather than a p-value of 1.

    Parameters
    ----------
    x1, n1 : array_like of int
        Selected count and size of the compared group(s).
    x2, n2 : array_like of int
        Selected count and size of the reference group(s).
    fractional : bool, default False
        Accept non-integer (weighted or effective) counts; only whole numbers otherwise.

    Returns
    -------
    z, p : ndarray of float64
        The z statistic (positive when group 1's rate is higher) and the two-sided p-value.

    Examples
    --------
    >>> z, p = two_proportion_z_test([40, 0], [100, 10], [25, 0], [100, 10])
    >>> np.round(z, 4), np.round(p, 4)
    (array([2.2646,    nan]), array([0.0235,    nan]))
    """
    from scipy import special

    a1, m1, a2, m2 = _two_samples(x1, n1, x2, n2, fractional)
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (a1 + a2) / (m1 + m2)
        se = np.sqrt(pooled * (1.0 - pooled) * (1.0 / m1 + 1.0 / m2))
        z = (a1 / m1 - a2 / m2) / se
    undefined = (m1 == 0) | (m2 == 0) | (a1 + a2 == 0) | (a1 + a2 == m1 + m2)
    z = np.where(undefined, np.nan, z)
    # scipy.stats.norm.sf(x) is scipy.special.ndtr(-x)
    p = np.where(undefined, np.nan, 2.0 * special.ndtr(-np.abs(np.where(undefined, 0.0, z))))
    return np.asarray(z, dtype=np.float64), np.asarray(p, dtype=np.float64)


# Tables further than this many standard deviations from the hypergeometric mean have
# probability below exp(-0.5 * 38**2) ~ 1e-314 relative to the mode: they cannot change a p-value
# at double precision, so the support is cut there (always keeping the observed table).
_WINDOW_SD = 38.0

# A first, narrower window reaches until the tables are exp(-46) ~ 1e-20 as probable as the
# observed one (in the normal approximation); it is kept only when the tables beyond it provably
# add less than 1e-16 of the p-value (see _fisher_window), else the 38-SD window is evaluated.
_NEGLIGIBLE_LOG = 46.0

# Windows of more tables than this take their probabilities from the ratios of consecutive ones
# (_log_pmf_from_observed); smaller ones, log-gamma for each.
_DIRECT_POINTS = 2_000


def _fisher_one(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    """Two-sided Fisher exact p and mid-p for one 2×2 table [[x1, n1-x1], [x2, n2-x2]].

    The hypergeometric log-probabilities are evaluated with log-gamma over the part of the
    support near the mean that can add to the p-value (plus the observed table), so a table of
    millions of rows costs a few thousand evaluations, not millions.
    """
    total = n1 + n2
    selected = x1 + x2
    low = max(0, n1 - (total - selected))
    high = min(selected, n1)
    if low == high:
        return 1.0, 0.5
    mean = n1 * selected / total
    sd = math.sqrt(n1 * selected * (total - selected) * (total - n1) / (total * total * max(total - 1, 1)))
    z = abs(x1 - mean) / sd if sd > 0 else 0.0
    narrow = min(_WINDOW_SD, math.sqrt(z * z + 2.0 * _NEGLIGIBLE_LOG) + 2.0)
    margins = (x1, n1, total, selected, low, high, mean)
    certified = _fisher_window(*margins, reach=narrow * sd + 2.0, certify=narrow < _WINDOW_SD)
    if certified is not None:
        return certified
    full = _fisher_window(*margins, reach=_WINDOW_SD * sd + 2.0, certify=False)
    assert full is not None  # an uncertified window always answers
    return full


def _fisher_window(
    x1: int,
    n1: int,
    total: int,
    selected: int,
    low: int,
    high: int,
    mean: float,
    *,
    reach: float,
    certify: bool,
) -> tuple[float, float] | None:
    """p and mid-p from the tables within ``reach`` of the mean; with ``certify``, None unless the
    tables left out add less than 1e-16 of the p-value.

    The hypergeometric distribution is log-concave, so beyond a window's edge (past the mode) the
    probabilities fall at least geometrically, with the ratio of the edge's two outermost
    tables: the tables beyond it add at most ``edge * r / (1 - r)``.
    """
    start = max(low, min(x1, math.floor(mean - reach)))
    stop = min(high, max(x1, math.ceil(mean + reach)))
    k = np.arange(start, stop + 1, dtype=np.float64)
    if len(k) <= _DIRECT_POINTS:
        pmf = np.exp(_log_pmf(k, n1, total, selected))
    else:
        pmf = np.exp(_log_pmf_from_observed(k, x1 - start, n1, total, selected))
    observed = pmf[x1 - start]
    less = pmf < observed / _TIE_TOLERANCE
    as_probable = ~less & (pmf <= observed * _TIE_TOLERANCE)
    p_less = float(pmf[less].sum())
    p_equal = float(pmf[as_probable].sum())
    if certify:
        left = _beyond(pmf[0], pmf[1]) if start > low else 0.0
        right = _beyond(pmf[-1], pmf[-2]) if stop < high else 0.0
        if not left + right <= 1e-16 * (p_less + p_equal):
            return None
    return min(p_less + p_equal, 1.0), min(p_less + 0.5 * p_equal, 1.0)


def _log_pmf(k: FloatArray, n1: int, total: int, selected: int) -> FloatArray:
    """The hypergeometric log-probabilities of the tables ``k``, each from log-gamma."""
    from scipy import special

    log_pmf: FloatArray = (
        special.gammaln(selected + 1)
        - special.gammaln(k + 1)
        - special.gammaln(selected - k + 1)
        + special.gammaln(total - selected + 1)
        - special.gammaln(n1 - k + 1)
        - special.gammaln(total - selected - n1 + k + 1)
        - (special.gammaln(total + 1) - special.gammaln(n1 + 1) - special.gammaln(total - n1 + 1))
    )
    return log_pmf


def _log_pmf_from_observed(k: FloatArray, at: int, n1: int, total: int, selected: int) -> FloatArray:
    """The same log-probabilities for a long run of consecutive tables, from the observed one.

    The observed table's log-probability comes from log-gamma; the others from the ratio of
    consecutive probabilities, ``P(j+1)/P(j) = (s-j)(n1-j) / ((j+1)(N-s-n1+j+1))``, summed outward
    from it: four logarithms a table instead of four log-gammas (about eight times less work),
    and no more rounding error (the log-gammas of a table of millions of rows are each near
    10^8, so their sum is off by about 1e-8; the summed logarithms by about 1e-12).
    """
    anchor = float(_log_pmf(k[at : at + 1], n1, total, selected)[0])
    j = k[:-1]
    with np.errstate(divide="ignore"):
        steps = np.log(selected - j) + np.log(n1 - j) - np.log(j + 1) - np.log(total - selected - n1 + j + 1)
    relative = np.empty_like(k)
    relative[at] = 0.0
    relative[at + 1 :] = np.cumsum(steps[at:])  # rightwards: P(at+1)/P(at), ...
    relative[:at] = -np.cumsum(steps[:at][::-1])[::-1]  # leftwards: P(at-1)/P(at) = 1/step(at-1), ...
    result: FloatArray = anchor + relative
    return result


def _beyond(edge: float, inner: float) -> float:
    """A bound on the probabilities beyond a window's edge (inf when the edge is not past the mode)."""
    if inner <= 0.0:
        return 0.0 if edge == 0.0 else math.inf
    ratio = edge / inner
    return edge * ratio / (1.0 - ratio) if ratio < 1.0 else math.inf


def fisher_exact_test(
    x1: ArrayLike, n1: ArrayLike, x2: ArrayLike, n2: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Fisher's exact test of :math:`p_1 = p_2`, two-sided, with its mid-p value.

    For each 2×2 table ``[[x1, n1 - x1], [x2, n2 - x2]]`` the hypergeometric distribution of
    the top-left cell given the margins is evaluated over its whole support. The two-sided
    p-value sums the probabilities of the tables no more probable than the observed one (as in
    ``scipy.stats.fisher_exact(table, alternative="two-sided")``); the mid-p value sums those
    strictly less probable plus half of those exactly as probable (which include the observed
    table). Probabilities within a relative 1e-7 of the observed one count as exactly as
    probable, as in R's ``fisher.test``.

    When nobody (or everybody) is selected there is only one possible table: the p-value is 1
    and the mid-p value is 0.5, both by definition.

    Parameters
    ----------
    x1, n1 : array_like of int
        Selected count and size of the compared group(s).
    x2, n2 : array_like of int
        Selected count and size of the reference group(s).

    Returns
    -------
    p, mid_p : ndarray of float64
        Two-sided exact and mid-p values; ``nan`` where ``n1 == 0`` or ``n2 == 0``.

    Examples
    --------
    >>> p, mid_p = fisher_exact_test(3, 4, 1, 4)
    >>> round(float(p), 4), round(float(mid_p), 4)
    (0.4857, 0.2571)
    """
    a1, m1, a2, m2 = _two_samples(x1, n1, x2, n2)
    p = np.full(a1.shape, np.nan)
    mid_p = np.full(a1.shape, np.nan)
    for index in np.ndindex(a1.shape):
        if m1[index] == 0 or m2[index] == 0:
            continue
        p[index], mid_p[index] = _fisher_one(int(a1[index]), int(m1[index]), int(a2[index]), int(m2[index]))
    return p, mid_p


def chi_square_test(
    successes: ArrayLike, n: ArrayLike, *, fractional: bool = False
) -> tuple[float, int, float]:
    """Pearson chi-square test of homogeneity of rates across groups (no continuity correction).

    With ``fractional``, the counts may be weighted (effective) counts that are not whole numbers.

    The groups form a k×2 table of [selected, not selected] counts. Groups with ``n == 0`` are
    dropped. With fewer than two groups left, or when nobody (or everybody) is selected, the
    test is undefined and the result is ``(nan, 0, nan)``.

    Parameters
    ----------
    successes, n : array_like of int, 1-D
        Selected count and group size per group.

    Returns
    -------
    statistic : float
        Pearson's chi-square statistic.
    dof : int
        Degrees of freedom, ``k - 1`` for ``k`` usable groups (0 when undefined).
    p : float
        Upper-tail probability of the statistic under the chi-square distribution.

    Examples
    --------
    >>> stat, dof, p = chi_square_test([40, 25, 10], [100, 100, 50])
    >>> round(stat, 4), dof, round(p, 4)
    (8.3333, 2, 0.0155)
    """
    x, size = _proportion(successes, n, "successes", "n", fractional)
    if x.ndim != 1:
        raise ValueError(f"Expected 1-D `successes` and `n` (one entry per group), found shape {x.shape}.")
    keep = size > 0
    x, size = x[keep], size[keep]
    table = np.stack([x, size - x], axis=1)
    column_totals = table.sum(axis=0)
    if x.size < 2 or np.any(column_totals == 0):
        return math.nan, 0, math.nan
    expected = np.outer(size, column_totals) / table.sum()
    statistic = float(((table - expected) ** 2 / expected).sum())
    dof = int(x.size - 1)
    from scipy import special

    return statistic, dof, float(special.chdtrc(dof, statistic))  # scipy.stats.chi2.sf(statistic, dof)


def shortfall(
    successes: ArrayLike, n: ArrayLike, reference_rate: ArrayLike, *, threshold: float = 0.8
) -> FloatArray:
    """Additional selections a group needs to reach ``threshold`` × the reference rate.

    The least whole number :math:`k \\ge 0` with :math:`(x + k)/n \\ge t \\cdot r`, that is
    :math:`\\max(0, \\lceil t\\,r\\,n - x \\rceil)`. A target that is a whole number in exact
    arithmetic is not pushed up by floating-point error (``0.8 * 0.75 * 10`` is 6, not
    6.000000000000001).

    Parameters
    ----------
    successes, n : array_like of int
        Selected count and group size per group.
    reference_rate : array_like of float
        The rate to compare against (for the four-fifths rule, the highest group rate),
        broadcast against the counts.
    threshold : float, default 0.8
        Fraction of the reference rate the group must reach.

    Returns
    -------
    ndarray of float64
        Whole numbers of additional selections; ``nan`` where ``n == 0`` or the reference rate
        is ``nan``.

    Examples
    --------
    >>> shortfall([2, 9, 0], [10, 10, 0], 0.75)
    array([ 4.,  0., nan])
    """
    if not (math.isfinite(threshold) and threshold >= 0):
        raise ValueError(f"Expected a non-negative `threshold`, found {threshold!r}.")
    x, size = _proportion(successes, n, "successes", "n")
    ref = np.asarray(reference_rate, dtype=np.float64)
    bad = ~np.isnan(ref) & ((ref < 0) | (ref > 1))
    if np.any(bad):
        raise ValueError(
            f"Expected `reference_rate` between 0 and 1 (or nan), found {ref[bad].ravel()[:5].tolist()}."
        )
    x, size, ref = np.broadcast_arrays(x, size, ref)
    target = threshold * ref * size
    with np.errstate(invalid="ignore"):
        needed = np.ceil(target - x - _CEIL_SLACK * np.maximum(1.0, target))
        needed = np.maximum(needed, 0.0)
    needed = np.where((size == 0) | np.isnan(ref), np.nan, needed)
    return np.asarray(needed, dtype=np.float64)
