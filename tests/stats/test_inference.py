"""Tests for equityaudit.stats.inference: each asserted number names its source."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest
from scipy import stats
from scipy.stats.contingency import relative_risk
from statsmodels.stats._inference_tools import _mover_confint
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from equityaudit.errors import DataError
from equityaudit.stats.inference import (
    chi_square_test,
    difference_interval,
    fisher_exact_test,
    mover_ratio_interval,
    ratio_interval,
    shortfall,
    two_proportion_z_test,
    wilson_interval,
    z_critical,
)

# z_{0.975} from the standard library, independent of scipy.
Z95 = NormalDist().inv_cdf(0.975)


def test_z_critical_matches_standard_library() -> None:
    assert z_critical(0.05) == pytest.approx(Z95, rel=1e-12)
    assert z_critical(0.10) == pytest.approx(NormalDist().inv_cdf(0.95), rel=1e-12)


@pytest.mark.parametrize("alpha", [0.0, 1.0, -0.1, 1.5])
def test_z_critical_rejects_bad_alpha(alpha: float) -> None:
    with pytest.raises(ValueError, match="alpha"):
        z_critical(alpha)


# --- Wilson -------------------------------------------------------------------------------


def test_wilson_hand_computation_3_of_10() -> None:
    # p = 0.3, n = 10, z = 1.959964, z² = 3.841459
    # centre = (p + z²/2n) / (1 + z²/n) = (0.3 + 0.192073) / 1.384146 = 0.355509
    # half   = z / (1 + z²/n) * sqrt(p(1-p)/n + z²/4n²)
    #        = 1.416008 * sqrt(0.021 + 0.009604) = 0.247716
    p, n, z2 = 0.3, 10, Z95**2
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    lo, hi = wilson_interval(3, 10)
    assert float(lo) == pytest.approx(centre - half, rel=1e-12)
    assert float(hi) == pytest.approx(centre + half, rel=1e-12)
    # The rounded figures written out above: (0.1078, 0.6032).
    assert round(float(lo), 4) == 0.1078
    assert round(float(hi), 4) == 0.6032


@pytest.mark.parametrize(("k", "n"), [(0, 1), (0, 10), (3, 10), (10, 10), (1, 3), (17, 40), (499, 1000)])
@pytest.mark.parametrize("alpha", [0.05, 0.1, 0.01])
def test_wilson_matches_scipy_binomtest(k: int, n: int, alpha: float) -> None:
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=1 - alpha, method="wilson")
    lo, hi = wilson_interval(k, n, alpha=alpha)
    assert float(lo) == pytest.approx(ci.low, abs=1e-12)
    assert float(hi) == pytest.approx(ci.high, abs=1e-12)


def test_wilson_vectorised_and_empty_group_is_nan() -> None:
    lo, hi = wilson_interval([3, 0, 5], [10, 0, 5])
    assert lo.dtype == np.float64
    assert lo.shape == (3,)
    assert np.isnan(lo[1])
    assert np.isnan(hi[1])
    # x == n: upper bound exactly 1 (the formula's limit).
    assert hi[2] == 1.0


def test_wilson_scalar_input_returns_arrays() -> None:
    lo, hi = wilson_interval(3, 10)
    assert isinstance(lo, np.ndarray)
    assert isinstance(hi, np.ndarray)
    assert lo.shape == ()


@pytest.mark.parametrize(
    ("successes", "n", "message"),
    [
        ([-1], [10], "non-negative whole numbers"),
        ([1.5], [10], "non-negative whole numbers"),
        ([np.nan], [10], "non-negative whole numbers"),
        ([11], [10], "successes"),
    ],
)
def test_wilson_rejects_bad_counts(successes: list[float], n: list[int], message: str) -> None:
    with pytest.raises(DataError, match=message):
        wilson_interval(successes, n)


# --- Katz ratio ---------------------------------------------------------------------------


def test_ratio_hand_computation() -> None:
    # 20/50 vs 30/50: ratio = 0.4 / 0.6 = 0.666667
    # se = sqrt(1/20 - 1/50 + 1/30 - 1/50) = sqrt(0.043333) = 0.208167
    # bounds = exp(log(0.666667) ± 1.959964 * 0.208167) = (0.4433, 1.0025)
    log_ratio = math.log(0.4 / 0.6)
    se = math.sqrt(1 / 20 - 1 / 50 + 1 / 30 - 1 / 50)
    lo, hi = ratio_interval(20, 50, 30, 50)
    assert float(lo) == pytest.approx(math.exp(log_ratio - Z95 * se), rel=1e-12)
    assert float(hi) == pytest.approx(math.exp(log_ratio + Z95 * se), rel=1e-12)
    assert (round(float(lo), 4), round(float(hi), 4)) == (0.4433, 1.0025)


@pytest.mark.parametrize(("x1", "n1", "x2", "n2"), [(20, 50, 30, 50), (7, 13, 2, 40), (1, 9, 12, 13)])
def test_ratio_matches_scipy_relative_risk(x1: int, n1: int, x2: int, n2: int) -> None:
    # scipy's relative_risk(...).confidence_interval() uses the same Katz log method.
    ci = relative_risk(x1, n1, x2, n2).confidence_interval(confidence_level=0.95)
    lo, hi = ratio_interval(x1, n1, x2, n2)
    assert float(lo) == pytest.approx(ci.low, rel=1e-10)
    assert float(hi) == pytest.approx(ci.high, rel=1e-10)


def test_ratio_rate_of_one_keeps_its_group_variance() -> None:
    # 2/2 vs 68/87 (COMPAS: Native American women aged 25-45 against the reference Caucasian women
    # under 25). Plain Katz (scipy's relative_risk) gives the 2/2 group a variance of 1/2 - 1/2 = 0
    # and the interval 1.14-1.43, narrower than the reference's own; with 0.5 added to each of the
    # 2/2 group's cells its term is 1/2.5 - 1/3 = 0.066667. se = sqrt(0.066667 + 1/68 - 1/87),
    # centred on the observed ratio 1 / (68/87) = 1.279412: (0.7621, 2.1479).
    katz = relative_risk(2, 2, 68, 87).confidence_interval(confidence_level=0.95)
    assert (round(katz.low, 2), round(katz.high, 2)) == (1.14, 1.43)
    se = math.sqrt(1 / 2.5 - 1 / 3 + 1 / 68 - 1 / 87)
    lo, hi = ratio_interval(2, 2, 68, 87)
    assert float(lo) == pytest.approx((87 / 68) * math.exp(-Z95 * se), rel=1e-12)
    assert float(hi) == pytest.approx((87 / 68) * math.exp(Z95 * se), rel=1e-12)
    # Both at 100 % (5/5 vs 9/9): plain Katz collapses to [1, 1]; each group keeps its term.
    assert relative_risk(5, 5, 9, 9).confidence_interval().low == pytest.approx(1.0)
    se = math.sqrt(1 / 5.5 - 1 / 6 + 1 / 9.5 - 1 / 10)
    lo, hi = ratio_interval(5, 5, 9, 9)
    assert (float(lo), float(hi)) == (pytest.approx(math.exp(-Z95 * se)), pytest.approx(math.exp(Z95 * se)))
    assert float(lo) < 1 < float(hi)


def test_ratio_zero_count_is_bounded_below_by_its_estimate_0() -> None:
    # 0/10 vs 5/10: the ratio is 0 and its log undefined. Lower bound 0 (the estimate); upper bound
    # the Katz bound with 0.5 added to x1, x2, n1, n2 -> 0.5/10.5 vs 5.5/10.5:
    # corrected ratio = 0.5/5.5 = 0.090909; se = sqrt(1/0.5 - 1/10.5 + 1/5.5 - 1/10.5) = 1.411149
    # upper = 0.090909 * exp(1.959964 * 1.411149) = 1.4447
    corrected = (0.5 / 10.5) / (5.5 / 10.5)
    se = math.sqrt(1 / 0.5 - 1 / 10.5 + 1 / 5.5 - 1 / 10.5)
    lo, hi = ratio_interval([0, 20], [10, 50], [5, 30], [10, 50])
    assert lo[0] == 0.0
    assert hi[0] == pytest.approx(corrected * math.exp(Z95 * se), rel=1e-12)
    assert round(float(hi[0]), 4) == 1.4447
    # The other comparison in the same call is not corrected.
    assert lo[1] == pytest.approx(0.4433197, rel=1e-6)


def test_ratio_zero_count_on_the_bank_data_contains_its_estimate() -> None:
    # UCI Bank Marketing (bank-additional.csv), campaign y by age: age 19 has 0 of 1 subscribed,
    # the reference (age 60) 6 of 31. The corrected Katz interval alone was 0.15-17.19, which does
    # not contain the estimate 0. Corrected: 0.5/1.5 vs 6.5/31.5, ratio 1.615385,
    # se = sqrt(1/0.5 - 1/1.5 + 1/6.5 - 1/31.5) = 1.206414, upper = 1.615385 * exp(1.959964 * se) = 17.186
    se = math.sqrt(1 / 0.5 - 1 / 1.5 + 1 / 6.5 - 1 / 31.5)
    lo, hi = ratio_interval(0, 1, 6, 31)
    assert float(lo) == 0.0
    assert float(hi) == pytest.approx((0.5 / 1.5) / (6.5 / 31.5) * math.exp(Z95 * se), rel=1e-12)
    assert round(float(hi), 2) == 17.19


def test_ratio_zero_in_reference_is_unbounded_above() -> None:
    # 4/10 vs 0/10: the ratio is infinite. Lower bound from 4.5/10.5 vs 0.5/10.5 (corrected ratio 9,
    # se = sqrt(1/4.5 - 1/10.5 + 1/0.5 - 1/10.5)), upper bound inf: the reciprocal of 0/10 vs 4/10.
    se = math.sqrt(1 / 4.5 - 1 / 10.5 + 1 / 0.5 - 1 / 10.5)
    lo, hi = ratio_interval(4, 10, 0, 10)
    assert float(lo) == pytest.approx(9 * math.exp(-Z95 * se), rel=1e-12)
    assert float(hi) == math.inf
    swapped_lo, swapped_hi = ratio_interval(0, 10, 4, 10)
    assert (float(swapped_lo), float(swapped_hi)) == (0.0, pytest.approx(1 / float(lo), rel=1e-12))


def test_ratio_of_two_zero_counts_is_undefined() -> None:
    lo, hi = ratio_interval([0, 0], [10, 3], [0, 0], [20, 3])
    assert np.isnan(lo).all()
    assert np.isnan(hi).all()


def test_every_defined_ratio_and_difference_interval_contains_its_estimate() -> None:
    # every table with n1 = 7 and n2 = 11 (including every zero and full count)
    x1, x2 = np.meshgrid(np.arange(8), np.arange(12))
    x1, x2 = x1.ravel(), x2.ravel()
    with np.errstate(divide="ignore", invalid="ignore"):  # x/0 is inf, 0/0 nan
        ratio = (x1 / 7) / (x2 / 11)
    lo, hi = ratio_interval(x1, 7, x2, 11)
    defined = (x1 > 0) | (x2 > 0)
    assert (np.isnan(lo) == ~defined).all()
    assert ((lo[defined] <= ratio[defined]) & (ratio[defined] <= hi[defined])).all()
    difference = x1 / 7 - x2 / 11
    d_lo, d_hi = difference_interval(x1, 7, x2, 11)
    assert ((d_lo <= difference) & (difference <= d_hi)).all()


def test_ratio_empty_group_is_nan() -> None:
    lo, hi = ratio_interval([0, 3], [0, 10], [4, 0], [10, 0])
    assert np.isnan(lo).all()
    assert np.isnan(hi).all()


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2"), [(0, 10, 5, 10), (0, 1, 6, 31), (0, 50, 60, 100), (4, 10, 0, 10)]
)
def test_ratio_zero_count_bound_matches_statsmodels_log_adjusted(x1: int, n1: int, x2: int, n2: int) -> None:
    # With a zero count (and no group at 100 %) the finite bound is the adjusted log interval of
    # Pettigrew, Gart & Thomas (1986) / Gart & Nam (1988): 0.5 added to x and n of both groups,
    # statsmodels' method="log-adjusted" (an independent implementation); the other bound is the
    # estimate, 0 or infinity.
    low, high = confint_proportions_2indep(x1, n1, x2, n2, compare="ratio", method="log-adjusted")
    lo, hi = ratio_interval(x1, n1, x2, n2)
    if x1 == 0:
        assert (float(lo), float(hi)) == (0.0, pytest.approx(high, rel=1e-12))
    else:
        assert (float(lo), float(hi)) == (pytest.approx(low, rel=1e-12), math.inf)


def test_ratio_zero_count_against_a_group_at_100_percent_corrects_each_group_once() -> None:
    # 0/10 against 5/5. The zero count puts 0.5 on x and n of both groups: corrected ratio
    # (0.5/10.5) / (5.5/5.5) = 0.047619. The 5/5 group has no failures, so its term is its
    # Haldane-Anscombe term, 0.5 added to each of its two cells, from its own counts:
    #   1/(5 + 0.5) - 1/(5 + 1) = 0.181818 - 0.166667 = 0.015152
    # var = 1/0.5 - 1/10.5 + 0.015152 = 2 - 0.095238 + 0.015152 = 1.919913, se = 1.385609
    # upper = 0.047619 * exp(1.959964 * 1.385609) = 0.7198
    # Not 0.7121 (0.5 on x and n only, statsmodels' log-adjusted: the 5/5 term 1/5.5 - 1/5.5 = 0, as
    # if that rate were known exactly), nor 0.7186 (both corrections on the 5/5 group, as the code
    # once did: 1/(5.5 + 0.5) - 1/(5.5 + 1) = 1/6 - 1/6.5, i.e. 1 added to its selected cell).
    corrected = (0.5 / 10.5) / (5.5 / 5.5)
    se = math.sqrt(1 / 0.5 - 1 / 10.5 + 1 / 5.5 - 1 / 6)
    lo, hi = ratio_interval(0, 10, 5, 5)
    assert float(lo) == 0.0
    assert float(hi) == pytest.approx(corrected * math.exp(Z95 * se), rel=1e-12)
    assert round(float(hi), 4) == 0.7198
    gart_nam = confint_proportions_2indep(0, 10, 5, 5, compare="ratio", method="log-adjusted")[1]
    double = corrected * math.exp(Z95 * math.sqrt(1 / 0.5 - 1 / 10.5 + 1 / 6 - 1 / 6.5))
    assert (round(gart_nam, 4), round(double, 4)) == (0.7121, 0.7186)
    # the mirror image, 5/5 against 0/10, is the reciprocal
    lo, hi = ratio_interval(5, 5, 0, 10)
    assert float(lo) == pytest.approx(1 / (corrected * math.exp(Z95 * se)), rel=1e-12)
    assert float(hi) == math.inf


# --- MOVER-R ratio ------------------------------------------------------------------------


def test_mover_ratio_hand_computation_1_of_20_against_6_of_20() -> None:
    # Wilson (z^2 = 3.841459): 1/20 -> (0.008881, 0.236131); 6/20 -> (0.145477, 0.518973).
    # p1 p2 = 0.05 * 0.3 = 0.015.
    # L: c = l1 (2 p1 - l1) = 0.008881 * 0.091119 = 0.000809; a = u2 (2 p2 - u2) = 0.518973 * 0.081027
    #    = 0.042051; L = (0.015 - sqrt(0.015^2 - a c)) / a = (0.015 - sqrt(0.000191)) / 0.042051 = 0.02808
    # U: c = u1 (2 p1 - u1) = 0.236131 * -0.136131 = -0.032145; a = l2 (2 p2 - l2) = 0.145477 * 0.454523
    #    = 0.066123; U = (0.015 + sqrt(0.015^2 - a c)) / a = (0.015 + sqrt(0.002351)) / 0.066123 = 0.96006
    l1, u1 = (float(v) for v in wilson_interval(1, 20))
    l2, u2 = (float(v) for v in wilson_interval(6, 20))
    assert [round(v, 6) for v in (l1, u1, l2, u2)] == [0.008881, 0.236131, 0.145477, 0.518973]
    p1, p2 = 0.05, 0.3
    c, a = l1 * (2 * p1 - l1), u2 * (2 * p2 - u2)
    low = (p1 * p2 - math.sqrt((p1 * p2) ** 2 - a * c)) / a
    c, a = u1 * (2 * p1 - u1), l2 * (2 * p2 - l2)
    high = (p1 * p2 + math.sqrt((p1 * p2) ** 2 - a * c)) / a
    lo, hi = mover_ratio_interval(1, 20, 6, 20)
    assert float(lo) == pytest.approx(low, rel=1e-12)
    assert float(hi) == pytest.approx(high, rel=1e-12)
    assert (round(float(lo), 5), round(float(hi), 5)) == (0.02808, 0.96006)


def test_mover_ratio_of_a_group_with_none_selected_has_a_positive_upper_bound() -> None:
    # 0/20 against 6/20: the ratio is 0, L = 0 and U = u1 / sqrt(l2 (2 p2 - l2)) with the Wilson
    # upper bound of 0/20, u1 = z^2 / (20 + z^2) = 3.841459 / 23.841459 = 0.161125, and
    # l2 (2 p2 - l2) = 0.145477 * 0.454523 = 0.066123: U = 0.161125 / 0.257144 = 0.62660.
    u1 = Z95**2 / (20 + Z95**2)
    l2 = float(wilson_interval(6, 20)[0])
    lo, hi = mover_ratio_interval(0, 20, 6, 20)
    assert float(lo) == 0.0
    assert float(hi) == pytest.approx(u1 / math.sqrt(l2 * (0.6 - l2)), rel=1e-12)
    assert round(float(hi), 4) == 0.6266
    # and every table with none selected in the group and some in the reference, n from 1 to 30
    n1, x2, n2 = np.meshgrid(np.arange(1, 31), np.arange(1, 31), np.arange(1, 31), indexing="ij")
    keep = x2 <= n2
    lo, hi = mover_ratio_interval(0, n1[keep], x2[keep], n2[keep])
    assert (lo == 0.0).all()
    assert (hi > 0.0).all() and np.isfinite(hi).all()


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2"),
    [
        (20, 50, 30, 50),
        (1, 20, 6, 20),
        (0, 20, 6, 20),
        (7, 13, 2, 40),
        (2, 2, 68, 87),
        (3, 10, 10, 10),
        (1, 9, 12, 13),
        (12, 1000, 300, 1000),
        (999, 1000, 1, 3),
    ],
)
@pytest.mark.parametrize("alpha", [0.05, 0.1])
def test_mover_ratio_matches_statsmodels(x1: int, n1: int, x2: int, n2: int, alpha: float) -> None:
    # statsmodels' MOVER for a ratio (statsmodels.stats._inference_tools._mover_confint, Li, Tang &
    # Wong 2014, checked there against the form of Donner & Zou 2012) on its own Wilson intervals.
    ci1 = proportion_confint(x1, n1, alpha=alpha, method="wilson")
    ci2 = proportion_confint(x2, n2, alpha=alpha, method="wilson")
    low, high = _mover_confint(x1 / n1, x2 / n2, ci1, ci2, contrast="ratio")
    lo, hi = mover_ratio_interval(x1, n1, x2, n2, alpha=alpha)
    assert float(lo) == pytest.approx(low, rel=1e-10, abs=1e-15)
    assert float(hi) == pytest.approx(high, rel=1e-10)


def test_mover_ratio_is_close_to_the_koopman_score_interval_for_large_groups() -> None:
    # A different method (Koopman 1984's score interval, statsmodels method="score" without the
    # Miettinen-Nurminen correction); both are score-based and agree closely at 1,000 per group.
    low, high = confint_proportions_2indep(
        120, 1000, 300, 1000, compare="ratio", method="score", correction=False
    )
    lo, hi = mover_ratio_interval(120, 1000, 300, 1000)
    assert float(lo) == pytest.approx(low, rel=5e-3)
    assert float(hi) == pytest.approx(high, rel=5e-3)


def test_mover_ratio_is_reciprocal_and_contains_its_estimate() -> None:
    # every table with n1 = 7 and n2 = 11 (including every zero and full count)
    x1, x2 = np.meshgrid(np.arange(8), np.arange(12))
    x1, x2 = x1.ravel(), x2.ravel()
    with np.errstate(divide="ignore", invalid="ignore"):  # x/0 is inf, 0/0 nan
        ratio = (x1 / 7) / (x2 / 11)
    lo, hi = mover_ratio_interval(x1, 7, x2, 11)
    defined = (x1 > 0) | (x2 > 0)
    assert (np.isnan(lo) == ~defined).all()
    assert ((lo[defined] <= ratio[defined]) & (ratio[defined] <= hi[defined])).all()
    assert (hi[(x1 == 0) & (x2 > 0)] > 0).all()
    assert (hi[(x2 == 0) & (x1 > 0)] == np.inf).all()
    swapped_lo, swapped_hi = mover_ratio_interval(x2, 11, x1, 7)
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(swapped_lo[defined], 1 / hi[defined], rtol=1e-12)
        np.testing.assert_allclose(swapped_hi[defined], 1 / lo[defined], rtol=1e-12)


def test_mover_ratio_covers_at_20_per_group_and_a_rate_of_005() -> None:
    # Exact coverage (every table weighted by its binomial probability) for p1 = 0.05, p2 = 0.3,
    # 20 per group: the percentile bootstrap covers 0.64 here (benchmarks/bench_intervals.py).
    x1, x2 = np.meshgrid(np.arange(21), np.arange(21), indexing="ij")
    weight = stats.binom.pmf(x1, 20, 0.05) * stats.binom.pmf(x2, 20, 0.3)
    lo, hi = mover_ratio_interval(x1, 20, x2, 20)
    true = 0.05 / 0.3
    covered = (lo <= true) & (hi >= true)
    assert 0.94 <= weight[covered].sum() <= 0.96


def test_mover_ratio_empty_groups_and_two_zero_counts_are_nan() -> None:
    lo, hi = mover_ratio_interval([0, 3, 0], [0, 10, 5], [4, 0, 0], [10, 0, 8])
    assert np.isnan(lo).all()
    assert np.isnan(hi).all()


# --- Newcombe difference ------------------------------------------------------------------

# Newcombe RG (1998), "Interval estimation for the difference between independent
# proportions: comparison of eleven methods", Statistics in Medicine 17:873-890, Table II,
# method 10 (score interval, no continuity correction), examples (a)-(h).
NEWCOMBE_TABLE_II = [
    (56, 70, 48, 80, 0.0524, 0.3339),
    (9, 10, 3, 10, 0.1705, 0.8090),
    (6, 7, 2, 7, 0.0582, 0.8062),
    (5, 56, 0, 29, -0.0381, 0.1926),
    (0, 10, 0, 20, -0.1611, 0.2775),
    (0, 10, 0, 10, -0.2775, 0.2775),
    (10, 10, 0, 20, 0.6791, 1.0000),
    (10, 10, 0, 10, 0.6075, 1.0000),
]


@pytest.mark.parametrize(("x1", "n1", "x2", "n2", "low", "high"), NEWCOMBE_TABLE_II)
def test_difference_reproduces_newcombe_table_ii(
    x1: int, n1: int, x2: int, n2: int, low: float, high: float
) -> None:
    lo, hi = difference_interval(x1, n1, x2, n2)
    assert round(float(lo), 4) == pytest.approx(low, abs=1e-9)
    assert round(float(hi), 4) == pytest.approx(high, abs=1e-9)


def test_difference_vectorised_matches_scalar_and_nan_for_empty() -> None:
    x1, n1, x2, n2 = zip(*[row[:4] for row in NEWCOMBE_TABLE_II], strict=True)
    lo, hi = difference_interval(list(x1), list(n1), list(x2), list(n2))
    assert lo.shape == (len(NEWCOMBE_TABLE_II),)
    assert lo[0] == pytest.approx(float(difference_interval(56, 70, 48, 80)[0]), rel=1e-14)
    lo, hi = difference_interval([3, 0], [10, 0], [0, 2], [0, 5])
    assert np.isnan(lo).all()
    assert np.isnan(hi).all()


# --- two-proportion z ---------------------------------------------------------------------


def test_z_test_hand_computation() -> None:
    # 40/100 vs 25/100: pooled = 65/200 = 0.325
    # se = sqrt(0.325 * 0.675 * (1/100 + 1/100)) = sqrt(0.0043875) = 0.066238
    # z = 0.15 / 0.066238 = 2.264554; p = erfc(|z|/sqrt 2) = 0.023538
    se = math.sqrt(0.325 * 0.675 * (1 / 100 + 1 / 100))
    z_hand = 0.15 / se
    p_hand = math.erfc(abs(z_hand) / math.sqrt(2))
    z, p = two_proportion_z_test(40, 100, 25, 100)
    assert float(z) == pytest.approx(z_hand, rel=1e-12)
    assert float(p) == pytest.approx(p_hand, rel=1e-10)
    assert round(float(z), 4) == 2.2646


@pytest.mark.parametrize(("x1", "n1", "x2", "n2"), [(40, 100, 25, 100), (3, 17, 9, 12), (0, 5, 4, 6)])
def test_z_test_matches_chi_square_on_2x2(x1: int, n1: int, x2: int, n2: int) -> None:
    table = [[x1, n1 - x1], [x2, n2 - x2]]
    result = stats.chi2_contingency(table, correction=False)
    z, p = two_proportion_z_test(x1, n1, x2, n2)
    assert float(z) ** 2 == pytest.approx(result.statistic, rel=1e-10)
    assert float(p) == pytest.approx(result.pvalue, rel=1e-10)


def test_z_test_sign_follows_group_one() -> None:
    z, _ = two_proportion_z_test([10, 30], [100, 100], [30, 10], [100, 100])
    assert z[0] < 0 < z[1]


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2"),
    [(0, 10, 0, 10), (10, 10, 5, 5), (0, 0, 2, 10), (3, 10, 0, 0)],
    ids=["nobody-selected", "everybody-selected", "n1-empty", "n2-empty"],
)
def test_z_test_undefined_is_nan(x1: int, n1: int, x2: int, n2: int) -> None:
    z, p = two_proportion_z_test(x1, n1, x2, n2)
    assert np.isnan(z)
    assert np.isnan(p)


# --- Fisher exact -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2"),
    [(3, 4, 1, 4), (2, 3, 1, 5), (8, 10, 1, 12), (0, 7, 5, 5), (12, 40, 30, 45), (5, 10, 5, 10)],
)
def test_fisher_p_matches_scipy(x1: int, n1: int, x2: int, n2: int) -> None:
    table = np.array([[x1, n1 - x1], [x2, n2 - x2]])
    expected = stats.fisher_exact(table, alternative="two-sided").pvalue
    p, _ = fisher_exact_test(x1, n1, x2, n2)
    assert float(p) == pytest.approx(expected, rel=1e-9)


def test_fisher_vectorised_matches_scipy_per_table() -> None:
    x1, n1, x2, n2 = [3, 2, 8], [4, 3, 10], [1, 1, 1], [4, 5, 12]
    p, _ = fisher_exact_test(x1, n1, x2, n2)
    for i in range(3):
        table = np.array([[x1[i], n1[i] - x1[i]], [x2[i], n2[i] - x2[i]]])
        assert p[i] == pytest.approx(stats.fisher_exact(table).pvalue, rel=1e-9)


def test_fisher_mid_p_hand_computation_symmetric() -> None:
    # [[3, 1], [1, 3]]: margins rows 4, 4; column "selected" 4; N = 8.
    # P(X = k) = C(4,k) C(4,4-k) / C(8,4) for k = 0..4 = [1, 16, 36, 16, 1] / 70.
    # Observed k = 3 (16/70). Strictly less probable: k = 0, 4 (2/70).
    # As probable: k = 1, 3 (32/70).
    # p = (2 + 32)/70 = 0.485714; mid-p = 2/70 + 32/140 = 18/70 = 0.257143
    p, mid_p = fisher_exact_test(3, 4, 1, 4)
    assert float(p) == pytest.approx(34 / 70, rel=1e-12)
    assert float(mid_p) == pytest.approx(18 / 70, rel=1e-12)


def test_fisher_mid_p_hand_computation_asymmetric() -> None:
    # [[2, 1], [1, 4]]: group sizes 3 and 5, 3 selected in all, N = 8.
    # P(X = k) = C(3,k) C(5,3-k) / C(8,3) for k = 0..3 = [10, 30, 15, 1] / 56.
    # Observed k = 2 (15/56). Strictly less probable: k = 0 (10/56), k = 3 (1/56).
    # p = (10 + 1 + 15)/56 = 0.464286; mid-p = (10 + 1)/56 + 15/112 = 0.330357
    p, mid_p = fisher_exact_test(2, 3, 1, 5)
    assert float(p) == pytest.approx(26 / 56, rel=1e-12)
    assert float(mid_p) == pytest.approx(11 / 56 + 15 / 112, rel=1e-12)


def test_fisher_degenerate_and_empty() -> None:
    # Nobody selected: one possible table, p = 1 and mid-p = 1/2 by definition.
    p, mid_p = fisher_exact_test([0, 0, 3], [10, 0, 10], [0, 2, 0], [10, 5, 0])
    assert p[0] == pytest.approx(1.0)
    assert mid_p[0] == pytest.approx(0.5)
    assert np.isnan(p[1:]).all()
    assert np.isnan(mid_p[1:]).all()


# --- chi-square across groups -------------------------------------------------------------


@pytest.mark.parametrize(
    ("successes", "n"),
    [
        ([40, 25, 10], [100, 100, 50]),
        ([3, 9], [17, 12]),
        ([5, 0, 7, 19, 2], [30, 12, 22, 40, 9]),
    ],
)
def test_chi_square_matches_scipy(successes: list[int], n: list[int]) -> None:
    table = np.column_stack([successes, np.subtract(n, successes)])
    expected = stats.chi2_contingency(table, correction=False)
    statistic, dof, p = chi_square_test(successes, n)
    assert statistic == pytest.approx(expected.statistic, rel=1e-10)
    assert dof == expected.dof
    assert p == pytest.approx(expected.pvalue, rel=1e-10)


def test_chi_square_drops_empty_groups() -> None:
    expected = stats.chi2_contingency([[40, 60], [25, 75]], correction=False)
    statistic, dof, p = chi_square_test([40, 0, 25], [100, 0, 100])
    assert statistic == pytest.approx(expected.statistic, rel=1e-10)
    assert dof == 1
    assert p == pytest.approx(expected.pvalue, rel=1e-10)


@pytest.mark.parametrize(
    ("successes", "n"),
    [([3], [10]), ([3, 0], [10, 0]), ([0, 0, 0], [5, 6, 7]), ([5, 6], [5, 6]), ([], [])],
    ids=["one-group", "one-usable-group", "nobody-selected", "everybody-selected", "no-groups"],
)
def test_chi_square_undefined(successes: list[int], n: list[int]) -> None:
    statistic, dof, p = chi_square_test(successes, n)
    assert math.isnan(statistic)
    assert dof == 0
    assert math.isnan(p)


# --- shortfall ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("successes", "n", "reference", "threshold", "expected"),
    [
        # 0.8 * 0.5 * 10 = 4 -> need 4 - 1 = 3 more
        (1, 10, 0.5, 0.8, 3.0),
        # 0.8 * 0.6 * 25 = 12 -> 12 - 5 = 7
        (5, 25, 0.6, 0.8, 7.0),
        # 0.8 * 0.6 * 10 = 4.8 -> ceil(4.8 - 2) = 3 (2 + 3 = 5 >= 4.8, 2 + 2 = 4 < 4.8)
        (2, 10, 0.6, 0.8, 3.0),
        # already above: 0.8 * 0.5 * 10 = 4 <= 6 -> 0
        (6, 10, 0.5, 0.8, 0.0),
        # exactly at the threshold -> 0
        (4, 10, 0.5, 0.8, 0.0),
        # float edge: 0.8 * 0.75 * 10 evaluates to 6.000000000000001 but is 6 -> 6 - 2 = 4
        (2, 10, 0.75, 0.8, 4.0),
        # float edge the other way: 0.8 * 0.7 * 50 evaluates to 27.999999999999996 -> 28 - 20
        (20, 50, 0.7, 0.8, 8.0),
        # parity threshold: 1.0 * 0.3 * 20 = 6 -> 6 - 0 = 6
        (0, 20, 0.3, 1.0, 6.0),
    ],
)
def test_shortfall_hand_cases(
    successes: int, n: int, reference: float, threshold: float, expected: float
) -> None:
    result = shortfall(successes, n, reference, threshold=threshold)
    assert float(result) == expected
    # The defining property: k more selections reach the target, k - 1 do not.
    target = threshold * reference
    assert (successes + expected) / n >= target - 1e-12
    if expected > 0:
        assert (successes + expected - 1) / n < target


def test_shortfall_float_edge_naive_ceil_would_be_wrong() -> None:
    # Documents why the epsilon exists: the naive formula gives 5, the right answer is 4.
    assert math.ceil(0.8 * 0.75 * 10 - 2) == 5
    assert float(shortfall(2, 10, 0.75)) == 4.0


def test_shortfall_vectorised_and_undefined() -> None:
    result = shortfall([2, 9, 0, 3], [10, 10, 0, 10], [0.75, 0.75, 0.75, np.nan])
    assert result.dtype == np.float64
    np.testing.assert_array_equal(result[:2], [4.0, 0.0])
    assert np.isnan(result[2:]).all()


def test_shortfall_rejects_bad_reference() -> None:
    with pytest.raises(ValueError, match="reference_rate"):
        shortfall(1, 10, 1.5)


def test_chi_square_on_fractional_counts_equals_the_pearson_formula() -> None:
    # weighted counts: x = [2.5, 4.0], n = [5.5, 6.0]; table [[2.5, 3.0], [4.0, 2.0]], total 11.5,
    # column totals [6.5, 5.0]; expected = outer(n, totals) / 11.5; statistic = sum (o − e)² / e
    from scipy import stats as scipy_stats

    x, n = np.array([2.5, 4.0]), np.array([5.5, 6.0])
    table = np.array([[2.5, 3.0], [4.0, 2.0]])
    expected = np.outer(n, table.sum(axis=0)) / table.sum()
    statistic = float(((table - expected) ** 2 / expected).sum())
    got = chi_square_test(x, n, fractional=True)
    assert got[0] == pytest.approx(statistic, rel=1e-12)
    assert got[1] == 1
    assert got[2] == pytest.approx(scipy_stats.chi2.sf(statistic, 1), rel=1e-12)
    with pytest.raises(DataError, match="whole numbers"):
        chi_square_test(x, n)


def test_fisher_narrow_window_equals_the_full_window_on_large_tables() -> None:
    """The narrow first window (kept only when the tables beyond it provably add < 1e-16 of p)
    against the 38-SD window it replaces, which test_fisher_p_matches_scipy holds to scipy."""
    import math

    from equityaudit.stats import inference

    rng = np.random.default_rng(2026)
    narrowed = 0
    for trial in range(300):
        n1, n2 = (int(v) for v in rng.integers(1, 3_000_000, size=2))
        p1 = float(rng.random())
        p2 = min(1.0, p1 * float(rng.uniform(0.995, 1.005)))  # near the null: z within a few SD
        x1, x2 = int(rng.binomial(n1, p1)), int(rng.binomial(n2, p2))
        if trial % 5 == 0:
            x1 = int(rng.integers(0, min(n1, 40) + 1))  # far in a tail: the full window answers
        total, selected = n1 + n2, x1 + x2
        low, high = max(0, n1 - (total - selected)), min(selected, n1)
        if low == high:
            continue
        mean = n1 * selected / total
        sd = math.sqrt(
            n1 * selected * (total - selected) * (total - n1) / (total * total * max(total - 1, 1))
        )
        margins = (x1, n1, total, selected, low, high, mean)
        full = inference._fisher_window(*margins, reach=38.0 * sd + 2.0, certify=False)
        assert full is not None
        narrowed += inference._fisher_window(*margins, reach=12.0 * sd, certify=True) is not None
        p, mid = inference._fisher_one(x1, n1, x2, n2)
        # the windows may compute their probabilities differently (log-gamma for up to 2,000 tables,
        # ratios of consecutive tables beyond): log-gammas near 10^7 carry about 1e-8 of rounding
        assert p == pytest.approx(full[0], rel=1e-7, abs=1e-300)
        assert mid == pytest.approx(full[1], rel=1e-7, abs=1e-300)
    assert narrowed > 100  # the narrow window is the one that answers for most tables


def test_fisher_from_ratios_of_consecutive_tables_equals_exact_rational_arithmetic(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Probabilities summed from the ratios of consecutive tables (forced here for every window
    over 100 tables) against the p-value in exact integer arithmetic: C(s, k) C(N - s, n1 - k)
    summed over the tables at most as probable as the observed one (R's 1 + 1e-7 tie rule), / C(N, n1)."""
    import math

    from equityaudit.stats import inference

    monkeypatch.setattr(inference, "_DIRECT_POINTS", 100)
    rng = np.random.default_rng(11)
    for _ in range(6):
        n1, n2 = (int(v) for v in rng.integers(2_000, 4_000, size=2))
        share = float(rng.uniform(0.2, 0.8))
        x1, x2 = int(rng.binomial(n1, share)), int(rng.binomial(n2, share * float(rng.uniform(0.9, 1.1))))
        total, selected = n1 + n2, x1 + x2
        low, high = max(0, n1 - (total - selected)), min(selected, n1)
        weights = [math.comb(selected, k) * math.comb(total - selected, n1 - k) for k in range(low, high + 1)]
        observed = weights[x1 - low]
        exact = sum(w for w in weights if w * 10**7 <= observed * (10**7 + 1)) / math.comb(total, n1)
        p, _ = inference._fisher_one(x1, n1, x2, n2)
        assert p == pytest.approx(exact, rel=1e-10)
