"""Tests for equityaudit.stats.bootstrap: count resampling and percentile intervals."""

from __future__ import annotations

import numpy as np
import pytest

from equityaudit.errors import DataError
from equityaudit.stats.bootstrap import (
    bootstrap_rate_intervals,
    percentile_interval,
    resample_cells,
)
from equityaudit.stats.inference import difference_interval, wilson_interval

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
    # The reference group selects nobody, so every replicate's reference rate is 0: the ratio
    # is undefined, while rates and differences are defined.
    out = bootstrap_rate_intervals([12, 0], [40, 25], reference_index=1, seed=3)
    assert np.isnan(out["ratio"][0]).all()
    assert np.isnan(out["ratio"][1]).all()
    assert out["rate"][0][1] == 0.0
    assert out["rate"][1][1] == 0.0
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
    # An unfavourable outcome: ratio = reference rate / group rate, computed in every replicate.
    # Recompute from the same draws (same seed): reference 1/100 is 0 in about a third of the
    # replicates, so the inverted ratio is 0 there, and the lower bound is 0 (inverting the bounds
    # of the plain ratio would drop those replicates instead).
    from equityaudit.stats.bootstrap import bootstrap_rate_intervals, resample_cells

    x, n = np.array([2, 1, 30]), np.array([100, 100, 100])
    out = bootstrap_rate_intervals(x, n, reference_index=1, replicates=1000, seed=0, invert=True)
    draws = resample_cells(np.stack([x, n - x], axis=1), replicates=1000, seed=0)
    rate = draws[:, :, 0] / n
    with np.errstate(divide="ignore", invalid="ignore"):
        inverted = np.where(rate[:, 2] > 0, rate[:, 1] / rate[:, 2], np.nan)
    assert out["ratio"][0][2] == pytest.approx(np.nanquantile(inverted, 0.025))
    assert out["ratio"][1][2] == pytest.approx(np.nanquantile(inverted, 0.975))
    assert out["ratio"][0][2] == 0.0


def test_bootstrap_ratio_of_a_group_with_none_selected_is_0_to_0() -> None:
    # 0 of 1 against 6 of 31 (UCI Bank Marketing, age 19 against age 60): Binomial(1, 0) is 0 in
    # every replicate, so every replicate's ratio is 0; the Katz interval (0 to 17.19) says how
    # high it could be. Both contain the estimate 0.
    lo, hi = bootstrap_rate_intervals([0, 6], [1, 31], reference_index=1, seed=3)["ratio"]
    assert (float(lo[0]), float(hi[0])) == (0.0, 0.0)
    # and a reference with none selected leaves every ratio undefined
    lo, hi = bootstrap_rate_intervals([3, 0], [10, 10], reference_index=1, seed=3)["ratio"]
    assert np.isnan(lo).all() and np.isnan(hi).all()
