"""Combining 2x2 tables across strata: the Mantel–Haenszel impact ratio and the homogeneity test.

Summing the counts of dissimilar employers into one table can reverse a comparison (Simpson's
paradox): an employer that selects few people and hires mostly from one group drags that group's
pooled rate down although no employer treats it worse. The practice for combining data sets in
adverse-impact analysis is to keep each data set a stratum and combine the within-stratum
comparisons:

* the **Mantel–Haenszel risk ratio** (Greenland & Robins 1985): with, in stratum ``i``, ``a``
  of ``n1`` people of the group and ``c`` of ``n0`` of the reference group selected, and
  ``N = n1 + n0``, ``RR = Σ a·n0/N / Σ c·n1/N`` — a weighted mean of the strata's impact ratios;
  its log has the Greenland–Robins variance
  ``Σ (n1·n0·(a+c) − a·c·N)/N² / (Σ a·n0/N · Σ c·n1/N)``, valid for many small strata as well
  as few large ones, which gives a Wald interval on the log scale;
* the **Cochran–Mantel–Haenszel test** that the group and the reference are selected alike within
  every stratum (no continuity correction): ``(Σ a − Σ E[a])² / Σ Var[a]`` against chi-square(1),
  with ``E[a] = n1·m1/N`` and ``Var[a] = n1·n0·m1·m0 / (N²·(N − 1))``;
* the **Breslow–Day test with Tarone's correction** that the strata share one odds ratio
  (chi-square with ``K − 1`` degrees of freedom over the ``K`` informative strata): a small
  p-value says the strata differ, so one combined figure hides real differences between them.
  It is a test of odds ratios, as in every statistics package; for rare selections odds ratios
  and impact ratios agree.

A stratum in which either group has no one, or nobody (or everybody) of either group is
selected, carries no information about the comparison and is left out of the test statistics
(its Mantel–Haenszel weights are zero anyway). Written here rather than taken from statsmodels,
which the package does not depend on; the tests check every figure against statsmodels'
``StratifiedTable`` (``riskratio_pooled``, ``test_null_odds``, ``test_equal_odds(adjust=True)``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from equityaudit.stats.inference import z_critical

__all__ = ["Stratified", "mantel_haenszel"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Stratified:
    """The strata's 2x2 tables combined: the Mantel–Haenszel impact ratio and two tests."""

    ratio: float
    """The Mantel–Haenszel risk ratio (the group's rate over the reference's); NaN when undefined."""
    ci_low: float
    ci_high: float
    p_value: float
    """Cochran–Mantel–Haenszel test of equal selection within strata; NaN with no informative stratum."""
    homogeneity_p: float
    """Breslow–Day (Tarone) test that the strata share one odds ratio; NaN with fewer than two
    informative strata."""
    strata: int
    """Strata in which both groups have people."""
    informative: int
    """Strata that inform the tests (both groups present, the selected neither none nor everyone)."""


def mantel_haenszel(
    selected: ArrayLike,
    n: ArrayLike,
    reference_selected: ArrayLike,
    reference_n: ArrayLike,
    *,
    alpha: float = 0.05,
) -> Stratified:
    """Combine one comparison (a group against the reference) across strata.

    Parameters
    ----------
    selected, n
        Per stratum: the group's selected people and its size.
    reference_selected, reference_n
        Per stratum: the reference group's selected people and its size.
    alpha
        One minus the interval's confidence.

    Examples
    --------
    Two employers: each selects women at 0.8 of men's rate, but the one that selects few hires
    mostly women, so the summed table says 0.55 (Simpson's paradox). The strata say 0.8:

    >>> s = mantel_haenszel([8, 60], [100, 100], [10, 300], [100, 400])
    >>> round((8 + 60) / 200 / ((10 + 300) / 500), 3), round(s.ratio, 3)
    (0.548, 0.8)
    """
    a, n1, c, n0 = (
        np.asarray(x, dtype=np.float64).ravel() for x in (selected, n, reference_selected, reference_n)
    )
    present = (n1 > 0) & (n0 > 0)
    a, n1, c, n0 = a[present], n1[present], c[present], n0[present]
    total = n1 + n0
    r = float(np.sum(a * n0 / total)) if len(a) else 0.0
    s = float(np.sum(c * n1 / total)) if len(a) else 0.0
    ratio = r / s if s > 0 and r > 0 else (0.0 if r == 0 and s > 0 else math.nan)
    ci_low = ci_high = math.nan
    if r > 0 and s > 0:
        variance = float(np.sum((n1 * n0 * (a + c) - a * c * total) / total**2)) / (r * s)
        half = z_critical(alpha) * math.sqrt(max(variance, 0.0))
        ci_low, ci_high = ratio * math.exp(-half), ratio * math.exp(half)
    m1 = a + c
    m0 = total - m1
    informative = (m1 > 0) & (m0 > 0)
    p_value = _cmh_p(a[informative], n1[informative], n0[informative], m1[informative])
    homogeneity = _breslow_day_tarone_p(a[informative], n1[informative], c[informative], n0[informative])
    return Stratified(
        ratio=ratio,
        ci_low=ci_low,
        ci_high=ci_high,
        p_value=p_value,
        homogeneity_p=homogeneity,
        strata=int(present.sum()),
        informative=int(informative.sum()),
    )


def _cmh_p(a: FloatArray, n1: FloatArray, n0: FloatArray, m1: FloatArray) -> float:
    """The Cochran–Mantel–Haenszel chi-square(1) p-value, without continuity correction."""
    from scipy.stats import chi2

    if not len(a):
        return math.nan
    total = n1 + n0
    expected = n1 * m1 / total
    variance = n1 * n0 * m1 * (total - m1) / (total**2 * (total - 1))
    if float(variance.sum()) <= 0:
        return math.nan
    statistic = float((a.sum() - expected.sum()) ** 2 / variance.sum())
    return float(chi2.sf(statistic, 1))


def _breslow_day_tarone_p(a: FloatArray, n1: FloatArray, c: FloatArray, n0: FloatArray) -> float:
    """Breslow–Day homogeneity of odds ratios with Tarone's correction; chi-square(K − 1)."""
    from scipy.stats import chi2

    strata = len(a)
    if strata < 2:
        return math.nan
    b, d = n1 - a, n0 - c
    total = n1 + n0
    numerator, denominator = float(np.sum(a * d / total)), float(np.sum(b * c / total))
    if numerator == 0 or denominator == 0:  # the common odds ratio is 0 or infinite: a fitted cell is
        return math.nan  # empty and the test is undefined (statsmodels' test_equal_odds gives nan too)
    odds = numerator / denominator
    m1 = a + c
    fitted = np.array([_fitted_a(odds, *cells) for cells in zip(n1, n0, m1, strict=True)])
    cells = np.stack([fitted, n1 - fitted, m1 - fitted, n0 - m1 + fitted])
    variance = 1.0 / np.sum(1.0 / cells, axis=0)
    statistic = float(np.sum((a - fitted) ** 2 / variance))
    statistic -= float((a.sum() - fitted.sum()) ** 2 / variance.sum())  # Tarone (1985)
    return float(chi2.sf(statistic, strata - 1))


def _fitted_a(odds: float, n1: float, n0: float, m1: float) -> float:
    """The count of the group's selected people that gives the stratum's margins the odds ratio ``odds``.

    Solves ``a (n0 − m1 + a) = odds (n1 − a)(m1 − a)`` for the root inside the margins' bounds.
    """
    low, high = max(0.0, m1 - n0), min(n1, m1)
    if odds == 1:
        return n1 * m1 / (n1 + n0)
    quadratic = 1 - odds
    linear = (n0 - m1) + odds * (n1 + m1)
    constant = -odds * n1 * m1
    root = math.sqrt(linear * linear - 4 * quadratic * constant)
    for candidate in ((-linear + root) / (2 * quadratic), (-linear - root) / (2 * quadratic)):
        if low - 1e-9 <= candidate <= high + 1e-9:
            return candidate
    return min(max((-linear + root) / (2 * quadratic), low), high)
