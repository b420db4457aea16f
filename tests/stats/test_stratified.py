"""The Mantel–Haenszel impact ratio and its tests, against statsmodels' StratifiedTable."""

from __future__ import annotations

import math

import numpy as np
import pytest
from statsmodels.stats.contingency_tables import StratifiedTable

from equityaudit.stats.stratified import mantel_haenszel


def _statsmodels(a: list[int], n1: list[int], c: list[int], n0: list[int]) -> StratifiedTable:
    """Rows: the group, the reference; columns: selected, not selected; one table per stratum."""
    tables = np.array([[[ai, ni - ai], [ci, mi - ci]] for ai, ni, ci, mi in zip(a, n1, c, n0, strict=True)])
    return StratifiedTable(np.moveaxis(tables, 0, -1).astype(float))


CASES = [
    # (group selected, group n, reference selected, reference n) per stratum (member)
    ([8, 60], [100, 100], [10, 300], [100, 400]),  # the Simpson's-paradox pair of the docstring
    ([12, 30, 5, 44], [40, 90, 25, 120], [20, 41, 9, 70], [50, 100, 30, 150]),
    ([3, 40, 17], [20, 200, 35], [9, 45, 10], [22, 150, 70]),  # ratios either side of 1: heterogeneous
]


@pytest.mark.parametrize(("a", "n1", "c", "n0"), CASES)
def test_ratio_and_tests_equal_statsmodels(a: list[int], n1: list[int], c: list[int], n0: list[int]) -> None:
    ours = mantel_haenszel(a, n1, c, n0)
    theirs = _statsmodels(a, n1, c, n0)
    assert ours.ratio == pytest.approx(theirs.riskratio_pooled, rel=1e-12)
    assert ours.p_value == pytest.approx(theirs.test_null_odds(correction=False).pvalue, rel=1e-9)
    assert ours.homogeneity_p == pytest.approx(theirs.test_equal_odds(adjust=True).pvalue, rel=1e-9)
    assert ours.strata == ours.informative == len(a)


def test_interval_is_greenland_robins_by_hand() -> None:
    """Greenland & Robins (1985), eq. 13, computed here term by term for the two-employer case."""
    a, n1, c, n0 = [8, 60], [100, 100], [10, 300], [100, 400]
    total = [n1[i] + n0[i] for i in range(2)]
    r = sum(a[i] * n0[i] / total[i] for i in range(2))  # 4 + 48 = 52
    s = sum(c[i] * n1[i] / total[i] for i in range(2))  # 5 + 60 = 65
    numerator = sum(
        (n1[i] * n0[i] * (a[i] + c[i]) - a[i] * c[i] * total[i]) / total[i] ** 2 for i in range(2)
    )
    se = math.sqrt(numerator / (r * s))
    ours = mantel_haenszel(a, n1, c, n0)
    assert (r, s) == (52, 65)
    assert ours.ratio == pytest.approx(0.8)
    assert ours.ci_low == pytest.approx(0.8 * math.exp(-1.959963984540054 * se), rel=1e-9)
    assert ours.ci_high == pytest.approx(0.8 * math.exp(1.959963984540054 * se), rel=1e-9)


def test_uninformative_strata_are_left_out_of_the_tests() -> None:
    """A member with no one of the group, or who selected everyone, says nothing about the comparison."""
    with_empty = mantel_haenszel([12, 0, 30, 10], [40, 0, 90, 10], [20, 7, 41, 10], [50, 9, 100, 10])
    without = mantel_haenszel([12, 30], [40, 90], [20, 41], [50, 100])
    assert with_empty.strata == 3 and with_empty.informative == 2
    assert with_empty.p_value == pytest.approx(without.p_value, rel=1e-12)
    assert with_empty.homogeneity_p == pytest.approx(without.homogeneity_p, rel=1e-12)
    theirs = _statsmodels([12, 30], [40, 90], [20, 41], [50, 100])
    assert with_empty.homogeneity_p == pytest.approx(theirs.test_equal_odds(adjust=True).pvalue, rel=1e-9)


def test_one_stratum_has_no_homogeneity_test_and_no_selection_no_ratio() -> None:
    one = mantel_haenszel([8], [100], [10], [100])
    assert one.ratio == pytest.approx(0.8) and math.isnan(one.homogeneity_p)
    nobody = mantel_haenszel([0, 0], [10, 10], [0, 0], [10, 10])
    assert math.isnan(nobody.ratio) and math.isnan(nobody.p_value) and nobody.informative == 0


@pytest.mark.parametrize(
    ("a", "n1", "c", "n0"),
    [
        ([0, 0], [12, 5], [3, 2], [15, 22]),  # nobody of the group selected by any member: odds ratio 0
        ([12, 5], [12, 5], [3, 2], [15, 22]),  # everybody of the group selected by every member: infinite
    ],
)
def test_a_common_odds_ratio_of_zero_or_infinity_has_no_homogeneity_test(
    a: list[int], n1: list[int], c: list[int], n0: list[int]
) -> None:
    """The Breslow–Day test fits each stratum to the common odds ratio; at 0 or infinity a fitted cell
    is empty and the statistic is undefined: statsmodels' ``test_equal_odds`` gives nan (with numpy's
    division warnings), and so do we, without a warning (found by the pooled views' property suite,
    where a warning turned into a server error)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        theirs = _statsmodels(a, n1, c, n0).test_equal_odds(adjust=True).pvalue
    assert math.isnan(theirs)
    assert math.isnan(mantel_haenszel(a, n1, c, n0).homogeneity_p)
