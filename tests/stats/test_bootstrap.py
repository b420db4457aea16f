"""Tests for equityaudit.stats.bootstrap: count resampling, percentile intervals, and the score-based
intervals that replace them for small counts."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest
from scipy import stats

from equityaudit.errors import DataError
from equityaudit.stats.bootstrap import (
    MIN_BOOTSTRAP_COUNT,
    bootstrap_rate_intervals,
    percentile_interval,
    resample_cells,
)
from equityaudit.stats.disparity import METHODS, compare_to_reference
from equityaudit.stats.inference import difference_interval, mover_ratio_interval, wilson_interval

Z95 = NormalDist().inv_cdf(0.975)

# --- resample_cells -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "cells",
    [
        [[3, 7], [40, 60], [0, 5], [5, 0]],
        [[10, 2, 3, 85], [0, 0, 1, 1], [7, 7, 7, 7]],  # tp, fp, fn, tn
    ],
    ids=["selection", "confusion"],
)
def test_resample_shape_and_group_totals_preserved(cells: list[list[int]]) -> None:
    draws = resample_cells(cells, replicates=200, seed=3)
    table = np.asarray(cells)
    assert draws.shape == (200, *table.shape)
    assert draws.dtype == np.int64
    assert (draws >= 0).all()
    # Stratified: every replicate keeps every group's size.
    sizes = table.sum(axis=1)
    np.testing.assert_array_equal(draws.sum(axis=2), np.broadcast_to(sizes, (200, sizes.size)))


def test_resample_keeps_empty_cells_empty() -> None:
    # A cell with observed share 0 has probability 0 in the multinomial.
    draws = resample_cells([[0, 5], [5, 0], [0, 0]], replicates=100, seed=0)
    assert (draws[:, 0, 0] == 0).all()
    assert (draws[:, 1, 1] == 0).all()
    # Zero-size group: all zeros in every replicate.
    assert (draws[:, 2, :] == 0).all()


def test_resample_is_reproducible_with_seed() -> None:
    cells = [[12, 30], [4, 9]]
    first = resample_cells(cells, replicates=50, seed=42)
    again = resample_cells(cells, replicates=50, seed=42)
    other = resample_cells(cells, replicates=50, seed=43)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    generator = resample_cells(cells, replicates=50, seed=np.random.default_rng(42))
    np.testing.assert_array_equal(first, generator)


def test_resample_mean_matches_observed_shares() -> None:
    # Multinomial mean is n_g * share_g = the observed cells. With 4000 replicates the standard
    # error of the mean count is sqrt(n p (1-p) / 4000) <= sqrt(100 * 0.25 / 4000) = 0.08, so
    # 0.5 is more than 6 standard errors.
    cells = np.array([[30, 70], [5, 15]])
    draws = resample_cells(cells, replicates=4000, seed=11)
    np.testing.assert_allclose(draws.mean(axis=0), cells, atol=0.5)


@pytest.mark.parametrize(
    ("cells", "error", "match"),
    [
        ([3, 7], ValueError, "shape"),
        ([[3, -1]], DataError, "counts"),
        ([[3, 1.5]], DataError, "counts"),
    ],
)
def test_resample_rejects_bad_cells(
    cells: list[float] | list[list[float]], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        resample_cells(cells)


@pytest.mark.parametrize("replicates", [0, -5, 2.5, True])
def test_resample_rejects_bad_replicates(replicates: int) -> None:
    with pytest.raises(ValueError, match="replicates"):
        resample_cells([[1, 2]], replicates=replicates)


# --- percentile_interval ------------------------------------------------------------------


def test_percentile_interval_matches_numpy_quantile() -> None:
    samples = np.random.default_rng(5).normal(size=(1000, 3))
    lo, hi = percentile_interval(samples, alpha=0.1)
    np.testing.assert_allclose(lo, np.quantile(samples, 0.05, axis=0), rtol=1e-12)
    np.testing.assert_allclose(hi, np.quantile(samples, 0.95, axis=0), rtol=1e-12)


def test_percentile_interval_axis() -> None:
    samples = np.random.default_rng(5).normal(size=(3, 1000))
    lo, hi = percentile_interval(samples, axis=1)
    np.testing.assert_allclose(lo, np.quantile(samples, 0.025, axis=1), rtol=1e-12)
    np.testing.assert_allclose(hi, np.quantile(samples, 0.975, axis=1), rtol=1e-12)


def test_percentile_interval_nan_handling() -> None:
    values = np.arange(10, dtype=float)
    samples = np.column_stack([values, values, values])
    samples[:4, 1] = np.nan  # 40 % nan: use the 6 defined replicates
    samples[:6, 2] = np.nan  # 60 % nan: undefined
    lo, hi = percentile_interval(samples, alpha=0.2)
    assert lo[0] == pytest.approx(np.quantile(values, 0.1))
    assert lo[1] == pytest.approx(np.quantile(values[4:], 0.1))
    assert hi[1] == pytest.approx(np.quantile(values[4:], 0.9))
    assert np.isnan(lo[2])
    assert np.isnan(hi[2])


def test_percentile_interval_exactly_half_nan_is_kept() -> None:
    samples = np.array([1.0, 2.0, np.nan, np.nan])
    lo, hi = percentile_interval(samples, alpha=0.5)
    assert float(lo) == pytest.approx(np.quantile([1.0, 2.0], 0.25))
    assert float(hi) == pytest.approx(np.quantile([1.0, 2.0], 0.75))


def test_percentile_interval_all_nan() -> None:
    lo, hi = percentile_interval(np.full((20, 2), np.nan))
    assert np.isnan(lo).all()
    assert np.isnan(hi).all()


def test_percentile_interval_rejects_no_replicates() -> None:
    with pytest.raises(ValueError, match="at least one replicate"):
        percentile_interval(np.empty((0, 3)))


# --- bootstrap_rate_intervals -------------------------------------------------------------


def test_bootstrap_rate_interval_close_to_wilson_for_large_n() -> None:
    # For n = 10,000 and p = 0.3 the sampling distribution of the rate is very nearly normal,
    # so the percentile interval and the Wilson interval both approach p ± 1.96 * sd with
    # sd = sqrt(0.3 * 0.7 / 10,000) = 0.00458. Two error sources separate them:
    # - Monte Carlo error of a 2.5 % quantile from R = 20,000 replicates:
    #   sqrt(0.025 * 0.975 / R) / phi(1.96) * sd = 0.0019 * sd / 0.0584 ~ 0.019 * sd ~ 0.0001;
    # - Wilson's shift of the centre, z^2 (1 - 2p) / (2n) ~ 0.00008, and the 1/n = 0.0001 lattice.
    # A tolerance of 0.0005 (about 0.11 sd, i.e. >3x the sum of these) cannot be met by a wrong
    # interval (for instance one with the wrong width: a 90 % interval is off by 0.315 sd ~ 0.0014).
    successes, n = np.array([3000, 5000]), np.array([10_000, 10_000])
    out = bootstrap_rate_intervals(successes, n, reference_index=1, replicates=20_000, seed=2024)
    wilson_lo, wilson_hi = wilson_interval(successes, n)
    np.testing.assert_allclose(out["rate"][0], wilson_lo, atol=5e-4)
    np.testing.assert_allclose(out["rate"][1], wilson_hi, atol=5e-4)


def test_bootstrap_difference_close_to_newcombe_for_large_n() -> None:
    # Same reasoning as above for the difference of two independent rates: sd of the
    # difference = sqrt(0.21/10,000 + 0.25/10,000) = 0.0068; tolerance 0.0007 (~0.1 sd).
    successes, n = np.array([3000, 5000]), np.array([10_000, 10_000])
    out = bootstrap_rate_intervals(successes, n, reference_index=1, replicates=20_000, seed=7)
    lo, hi = difference_interval(3000, 10_000, 5000, 10_000)
    assert out["difference"][0][0] == pytest.approx(float(lo), abs=7e-4)
    assert out["difference"][1][0] == pytest.approx(float(hi), abs=7e-4)


def test_bootstrap_reference_group_ratio_is_one() -> None:
    out = bootstrap_rate_intervals([12, 30, 7], [40, 50, 9], reference_index=1, seed=1)
    assert set(out) == {"rate", "ratio", "difference"}
    for lo, hi in out.values():
        assert lo.shape == (3,)
        assert hi.shape == (3,)
        assert (lo <= hi).all()
    assert out["ratio"][0][1] == 1.0
    assert out["ratio"][1][1] == 1.0
    assert out["difference"][0][1] == 0.0
    assert out["difference"][1][1] == 0.0
    # The observed statistics sit inside their intervals.
    assert out["ratio"][0][0] < (12 / 40) / (30 / 50) < out["ratio"][1][0]
    assert out["difference"][0][0] < 12 / 40 - 30 / 50 < out["difference"][1][0]


def test_bootstrap_negative_reference_index() -> None:
    first = bootstrap_rate_intervals([12, 30], [40, 50], reference_index=-1, seed=9)
    second = bootstrap_rate_intervals([12, 30], [40, 50], reference_index=1, seed=9)
    for key in first:
        np.testing.assert_array_equal(first[key][0], second[key][0])
        np.testing.assert_array_equal(first[key][1], second[key][1])


def test_bootstrap_is_reproducible_with_seed() -> None:
    first = bootstrap_rate_intervals([12, 30], [40, 50], reference_index=0, seed=5)
    again = bootstrap_rate_intervals([12, 30], [40, 50], reference_index=0, seed=5)
    for key in first:
        np.testing.assert_array_equal(first[key][0], again[key][0])
        np.testing.assert_array_equal(first[key][1], again[key][1])


def test_bootstrap_zero_size_group_is_nan_and_others_unaffected() -> None:
    out = bootstrap_rate_intervals([12, 0, 30], [40, 0, 50], reference_index=2, seed=3)
    for lo, hi in out.values():
        assert np.isnan(lo[1])
        assert np.isnan(hi[1])
        assert np.isfinite(lo[[0, 2]]).all()
        assert np.isfinite(hi[[0, 2]]).all()


def test_bootstrap_zero_reference_rate_makes_ratio_nan() -> None:
    # The reference group selects nobody: the ratio is undefined, while rates and differences are
    # defined. 0/25 is below MIN_BOOTSTRAP_COUNT, so its rate interval is Wilson's, from 0 to
    # z^2 / (25 + z^2) = 3.841459 / 28.841459 = 0.13319 (the bootstrap's would be [0, 0]).
    out = bootstrap_rate_intervals([12, 0], [40, 25], reference_index=1, seed=3)
    assert np.isnan(out["ratio"][0]).all()
    assert np.isnan(out["ratio"][1]).all()
    assert out["rate"][0][1] == 0.0
    assert out["rate"][1][1] == pytest.approx(Z95**2 / (25 + Z95**2), rel=1e-12)
    assert np.isfinite(out["difference"][0]).all()


def test_bootstrap_rare_zero_reference_rate_keeps_ratio() -> None:
    # Reference 2/20: P(no selection in a replicate) = 0.9^20 = 0.12 < 1/2, so the ratio
    # interval is computed from the replicates where the reference rate is positive.
    out = bootstrap_rate_intervals([12, 2], [40, 20], reference_index=1, seed=3)
    assert np.isfinite(out["ratio"][0]).all()


@pytest.mark.parametrize(
    ("successes", "n", "reference_index", "error"),
    [
        ([1, 2], [5, 5], 2, IndexError),
        ([1, 2], [5, 5], -3, IndexError),
        ([1, 6], [5, 5], 0, DataError),
        ([[1, 2]], [[5, 5]], 0, ValueError),
        ([1, 2], [5, 5, 5], 0, ValueError),
    ],
)
def test_bootstrap_rejects_bad_input(
    successes: list[int], n: list[int], reference_index: int, error: type[Exception]
) -> None:
    with pytest.raises(error):
        bootstrap_rate_intervals(successes, n, reference_index=reference_index)


def test_inverted_ratio_bootstrap_uses_each_replicates_own_inverted_ratio() -> None:
    # An unfavourable outcome: ratio = reference rate / group rate, computed in every replicate
    # (not the reciprocal of the plain ratio's bounds). Every group has at least 10 in each cell,
    # so every interval is the bootstrap's; recompute it from the same draws (same seed).
    x, n = np.array([20, 12, 30]), np.array([100, 100, 100])
    out = bootstrap_rate_intervals(x, n, reference_index=1, replicates=1000, seed=0, invert=True)
    draws = resample_cells(np.stack([x, n - x], axis=1), replicates=1000, seed=0)
    rate = draws[:, :, 0] / n
    with np.errstate(divide="ignore", invalid="ignore"):
        inverted = np.where(rate[:, 2] > 0, rate[:, 1] / rate[:, 2], np.nan)
    assert out["ratio"][0][2] == pytest.approx(np.nanquantile(inverted, 0.025), rel=1e-12)
    assert out["ratio"][1][2] == pytest.approx(np.nanquantile(inverted, 0.975), rel=1e-12)


def test_inverted_ratio_below_the_minimum_count_is_the_mover_r_interval_of_the_swapped_groups() -> None:
    # Reference 1/100 (the least-included group) over 2/100 and over 30/100: the reference has
    # fewer than 10 selected, so both inverted ratios get MOVER-R of (reference, group).
    out = bootstrap_rate_intervals([2, 1, 30], [100, 100, 100], reference_index=1, seed=0, invert=True)
    lo, hi = mover_ratio_interval(1, 100, [2, 30], 100)
    np.testing.assert_array_equal(out["ratio"][0][[0, 2]], lo)
    np.testing.assert_array_equal(out["ratio"][1][[0, 2]], hi)
    # the reference's own ratio is 1, whatever its counts
    assert (out["ratio"][0][1], out["ratio"][1][1]) == (1.0, 1.0)


def test_bootstrap_ratio_of_a_group_with_none_selected_is_0_to_a_positive_bound() -> None:
    # 0 of 1 against 6 of 31 (UCI Bank Marketing, age 19 against age 60). The percentile bootstrap
    # draws Binomial(1, 0) = 0 in every replicate, so its interval would be [0, 0]; the group has
    # fewer than 10 selected, so the interval is MOVER-R's: 0 to u1 / sqrt(l2 (2 p2 - l2)) with
    #   u1 = Wilson upper bound of 0/1 = z^2 / (1 + z^2) = 3.841459 / 4.841459 = 0.793451
    #   l2 = Wilson lower bound of 6/31 = 0.091870; l2 (2 * 6/31 - l2) = 0.091870 * 0.295227 = 0.027122
    #   upper = 0.793451 / 0.164689 = 4.8179
    lo, hi = bootstrap_rate_intervals([0, 6], [1, 31], reference_index=1, seed=3)["ratio"]
    u1 = Z95**2 / (1 + Z95**2)
    l2 = float(wilson_interval(6, 31)[0])
    assert float(lo[0]) == 0.0
    assert float(hi[0]) == pytest.approx(u1 / math.sqrt(l2 * (2 * 6 / 31 - l2)), rel=1e-12)
    assert round(float(hi[0]), 4) == 4.8179
    # min_count=0 asks for the percentile bootstrap everywhere: the collapsed interval
    lo, hi = bootstrap_rate_intervals([0, 6], [1, 31], reference_index=1, seed=3, min_count=0)["ratio"]
    assert (float(lo[0]), float(hi[0])) == (0.0, 0.0)
    # and a reference with none selected leaves every ratio undefined
    lo, hi = bootstrap_rate_intervals([3, 0], [10, 10], reference_index=1, seed=3)["ratio"]
    assert np.isnan(lo).all() and np.isnan(hi).all()


def test_bootstrap_is_used_only_where_every_group_has_min_count_in_each_cell() -> None:
    # Reference 30/50. Group 0, 10/40: 10 selected and 30 not -> bootstrap. Group 1, 9/40: 9 selected
    # -> score-based. Group 2, 35/40: 5 not selected -> score-based. The bootstrap's values are those
    # of the percentile bootstrap everywhere (min_count=0) from the same seed.
    x, n = [10, 9, 35, 30], [40, 40, 40, 50]
    assert MIN_BOOTSTRAP_COUNT == 10
    out = bootstrap_rate_intervals(x, n, reference_index=3, seed=11)
    everywhere = bootstrap_rate_intervals(x, n, reference_index=3, seed=11, min_count=0)
    x_ref, n_ref = np.full(3, 30), np.full(3, 50)
    score = {
        "rate": wilson_interval(x[:3], n[:3]),
        "ratio": mover_ratio_interval(x[:3], n[:3], x_ref, n_ref),
        "difference": difference_interval(x[:3], n[:3], x_ref, n_ref),
    }
    for key in ("rate", "ratio", "difference"):
        for bound in (0, 1):
            assert out[key][bound][0] == everywhere[key][bound][0]
            np.testing.assert_array_equal(out[key][bound][1:3], score[key][bound][1:3])
    # the reference's own rate (30 and 20: enough) is the bootstrap's; its ratio is 1, its difference 0
    assert out["rate"][0][3] == everywhere["rate"][0][3]
    assert (out["ratio"][0][3], out["ratio"][1][3]) == (1.0, 1.0)
    assert (out["difference"][0][3], out["difference"][1][3]) == (0.0, 0.0)
    # a reference under the minimum sends every comparison to the score-based intervals
    small_reference = bootstrap_rate_intervals([30, 9], [50, 40], reference_index=1, seed=11)
    lo, hi = mover_ratio_interval(30, 50, 9, 40)
    assert (small_reference["ratio"][0][0], small_reference["ratio"][1][0]) == (float(lo), float(hi))


@pytest.mark.parametrize("min_count", [-1, 2.5, True])
def test_bootstrap_rejects_a_bad_min_count(min_count: object) -> None:
    with pytest.raises(ValueError, match="min_count"):
        bootstrap_rate_intervals([1, 2], [5, 5], reference_index=0, min_count=min_count)  # type: ignore[arg-type]


def test_bootstrap_ratio_interval_covers_at_20_per_group_and_a_rate_of_005() -> None:
    # Exact coverage over every table (x1, x2) of 20 per group, weighted by its binomial probability,
    # for p1 = 0.05 against p2 = 0.3 (true ratio 1/6). One call per x2 puts every x1 beside it as a
    # group. The pure percentile bootstrap (min_count=0) covers 0.64 (a group with none selected,
    # probability 0.95^20 = 0.36, gets [0, 0]); with the score-based interval below 10 per cell,
    # 0.95 (benchmarks/bench_intervals.py).
    true = 0.05 / 0.3
    x1 = np.arange(21)
    covered = {0: 0.0, MIN_BOOTSTRAP_COUNT: 0.0}
    for x2 in range(21):
        weight = stats.binom.pmf(x1, 20, 0.05) * stats.binom.pmf(x2, 20, 0.3)
        for min_count in covered:
            lo, hi = bootstrap_rate_intervals(
                np.append(x1, x2), np.full(22, 20), reference_index=-1, seed=x2, min_count=min_count
            )["ratio"]
            hit = (lo[:-1] <= true) & (true <= hi[:-1])
            covered[min_count] += float(weight[hit].sum())
    assert covered[0] < 0.70
    assert 0.94 <= covered[MIN_BOOTSTRAP_COUNT] <= 0.96


def test_compare_to_reference_with_bootstrap_never_gives_a_zero_selection_group_0_to_0() -> None:
    # 0/40 and 25/40 against 30/50 with 1,000 replicates: the zero group's interval runs from 0 to
    # MOVER-R's positive bound; the 25/40 group (15 not selected, 25 selected) keeps the bootstrap's.
    out = compare_to_reference([0, 25, 30], [40, 40, 50], reference=2, bootstrap=1000, seed=0)
    lo, hi = mover_ratio_interval(0, 40, 30, 50)
    assert (out["ratio_ci_low"][0], out["ratio_ci_high"][0]) == (0.0, float(hi))
    assert float(hi) > 0
    boot = bootstrap_rate_intervals([0, 25, 30], [40, 40, 50], reference_index=2, seed=0)["ratio"]
    assert (out["ratio_ci_low"][1], out["ratio_ci_high"][1]) == (boot[0][1], boot[1][1])
    # inverted (an unfavourable outcome): the reference with none included has ratio 0 to every group
    out = compare_to_reference([5, 25, 0], [40, 40, 50], reference=2, bootstrap=1000, seed=0, invert=True)
    lo, hi = mover_ratio_interval(0, 50, [5, 25], 40)
    np.testing.assert_array_equal(out["ratio"][:2], [0.0, 0.0])
    np.testing.assert_array_equal(out["ratio_ci_low"][:2], lo)
    np.testing.assert_array_equal(out["ratio_ci_high"][:2], hi)
    assert (hi > 0).all()
    # the methods text says which interval a comparison gets
    assert METHODS["ratio_ci_bootstrap"].startswith("MOVER-R interval from the two groups' Wilson intervals")
    assert f"fewer than {MIN_BOOTSTRAP_COUNT} selected" in METHODS["ratio_ci_bootstrap"]


def test_an_audit_with_bootstrap_gives_a_zero_selection_group_a_positive_upper_bound() -> None:
    # decisions audit, thresholds.bootstrap: 1000; A 0 of 40 hired against B 30 of 50: A's ratio
    # interval is MOVER-R's, 0 to u1 / sqrt(l2 (2 p2 - l2)) with u1 = z^2 / (40 + z^2) = 0.08762,
    # l2 = Wilson lower bound of 30/50 = 0.46181: 0.08762 / sqrt(0.46181 * 0.73819) = 0.1501, and the
    # table records the method.
    import pandas as pd

    import equityaudit as ea

    frame = pd.DataFrame({"group": ["A"] * 40 + ["B"] * 50, "hired": [0] * 40 + [1] * 30 + [0] * 20})
    result = ea.audit(
        frame, auditor="decisions", sensitive="group", decision="hired", thresholds={"bootstrap": 1000}
    )
    finding = result.findings[0]
    _, hi = mover_ratio_interval(0, 40, 30, 50)
    assert (finding.ci_low, finding.ci_high) == (0.0, pytest.approx(float(hi), rel=1e-12))
    assert round(float(hi), 4) == 0.1501
    assert METHODS["ratio_ci_bootstrap"] in result.tables[0].methods["ratio_ci"]
