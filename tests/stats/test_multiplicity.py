"""Tests for equityaudit.stats.multiplicity: each asserted number names its source."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from equityaudit.stats.multiplicity import benjamini_hochberg, holm

Adjustment = Callable[[ArrayLike], NDArray[np.float64]]


def test_holm_hand_computation() -> None:
    # p = [0.01, 0.04, 0.03, 0.005], m = 4. Sorted: 0.005, 0.01, 0.03, 0.04.
    # times (m - i + 1) = 4, 3, 2, 1:  0.020, 0.030, 0.060, 0.040
    # running maximum:                 0.020, 0.030, 0.060, 0.060
    # back in input order: [0.03, 0.06, 0.06, 0.02]
    adjusted = holm([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(adjusted, [0.03, 0.06, 0.06, 0.02], rtol=1e-12)


def test_bh_hand_computation() -> None:
    # p = [0.01, 0.04, 0.03, 0.005], m = 4. Sorted: 0.005, 0.01, 0.03, 0.04.
    # times m / i = 4, 2, 4/3, 1:           0.020, 0.020, 0.040, 0.040
    # running minimum from the largest down: 0.020, 0.020, 0.040, 0.040
    # back in input order: [0.02, 0.04, 0.04, 0.02]
    adjusted = benjamini_hochberg([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(adjusted, [0.02, 0.04, 0.04, 0.02], rtol=1e-12)


@pytest.mark.parametrize(
    "p_values",
    [
        [0.01, 0.04, 0.03, 0.005],
        [0.2, 0.2, 0.01, 0.5, 0.049, 0.9, 1.0, 0.0],
        list(np.random.default_rng(7).uniform(size=25) ** 3),
    ],
)
def test_bh_matches_scipy(p_values: list[float]) -> None:
    expected = stats.false_discovery_control(p_values, method="bh")
    np.testing.assert_allclose(benjamini_hochberg(p_values), expected, rtol=1e-12)


def test_adjustments_cap_at_one() -> None:
    # Holm: 3 * 0.4 = 1.2, max(1.2, 2 * 0.7 = 1.4), max(1.4, 0.9) -> all capped at 1.
    # BH: 3 * 0.4 / 1 = 1.2, 3 * 0.7 / 2 = 1.05, 3 * 0.9 / 3 = 0.9; running min from the top: 0.9.
    np.testing.assert_allclose(holm([0.4, 0.7, 0.9]), [1.0, 1.0, 1.0])
    np.testing.assert_allclose(benjamini_hochberg([0.4, 0.7, 0.9]), [0.9, 0.9, 0.9])


@pytest.mark.parametrize("adjust", [holm, benjamini_hochberg])
def test_adjustments_ignore_nan(adjust: Adjustment) -> None:
    with_nan = adjust([0.01, np.nan, 0.04, 0.03, np.nan, 0.005])
    without = adjust([0.01, 0.04, 0.03, 0.005])
    assert np.isnan(with_nan[[1, 4]]).all()
    # NaN entries do not count toward m: the others equal the adjustment of the four alone.
    np.testing.assert_allclose(with_nan[[0, 2, 3, 5]], without, rtol=1e-12)


@pytest.mark.parametrize("adjust", [holm, benjamini_hochberg])
def test_adjustments_edge_inputs(adjust: Adjustment) -> None:
    assert adjust([]).shape == (0,)
    assert np.isnan(adjust([np.nan, np.nan])).all()
    assert adjust(np.array([[0.01, 0.02], [0.03, 0.04]])).shape == (2, 2)
    with pytest.raises(ValueError, match="between 0 and 1"):
        adjust([0.5, 1.5])


def test_holm_ties_get_equal_adjustment() -> None:
    # Sorted 0.01, 0.02, 0.02: 3 * 0.01 = 0.03, 2 * 0.02 = 0.04, max(0.04, 1 * 0.02) = 0.04
    np.testing.assert_allclose(holm([0.02, 0.01, 0.02]), [0.04, 0.03, 0.04], rtol=1e-12)
