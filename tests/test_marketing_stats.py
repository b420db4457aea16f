"""Statistics behind the marketing auditor, checked against scipy, scikit-learn and hand computation.

Sources of the expected numbers: ``scipy.stats.contingency.association`` (Cramér's V),
``sklearn.metrics.normalized_mutual_info_score`` (NMI), ``sklearn.metrics.roc_auc_score`` and a
hand-built scikit-learn pipeline (cross-validated AUC), the definition of η² written out with
pandas, ``scipy.stats.contingency.relative_risk`` (Katz interval of a ratio), and arithmetic in
the comments.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import contingency
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import normalized_mutual_info_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import OneHotEncoder

from equityaudit.auditors.comparison import rate_table
from equityaudit.errors import DataError
from equityaudit.spec import Thresholds
from equityaudit.stats.association import (
    correlation_ratio,
    cramers_v,
    cross_validated_auc,
    normalized_mutual_information,
    quantile_cuts,
)
from equityaudit.stats.counts import GroupCounts
from equityaudit.stats.disparity import choose_reference, compare_to_reference
from equityaudit.stats.inference import (
    difference_interval,
    ratio_interval,
    two_proportion_z_test,
    wilson_interval,
)
from equityaudit.stats.rates import Metric
from equityaudit.stats.weighted import compare_weighted, kish_effective_size

TOL = 1e-12


def _labels(rng: np.random.Generator, rows: int, levels: int, other: np.ndarray | None = None) -> np.ndarray:
    if other is None:
        return rng.integers(0, levels, rows)
    return (other + rng.integers(0, 2, rows) * rng.integers(0, levels, rows)) % levels


@pytest.mark.parametrize(
    ("rows", "levels_x", "levels_y", "seed"), [(500, 3, 2, 0), (2000, 12, 5, 1), (80, 4, 4, 2)]
)
def test_cramers_v_equals_scipy_association(rows: int, levels_x: int, levels_y: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = _labels(rng, rows, levels_y)
    x = _labels(rng, rows, levels_x, other=y)
    table = pd.crosstab(x, y).to_numpy()
    expected = contingency.association(table, method="cramer", correction=False)
    assert cramers_v(table) == pytest.approx(expected, abs=TOL)


def test_cramers_v_of_a_weighted_table_uses_the_same_formula() -> None:
    # scipy refuses non-integer tables; doubling every cell leaves V unchanged, and halving it
    # (a fractional table) must too: V depends on the shares only.
    table = np.array([[30, 10, 5], [10, 30, 15]])
    whole = contingency.association(table, method="cramer", correction=False)
    assert cramers_v(table / 2.0) == pytest.approx(whole, abs=TOL)
    # an empty row and column are dropped; fewer than two rows or columns is undefined
    assert cramers_v([[30, 10, 0], [0, 0, 0], [10, 30, 0]]) == pytest.approx(
        contingency.association(np.array([[30, 10], [10, 30]]), method="cramer", correction=False), abs=TOL
    )
    assert math.isnan(cramers_v([[3, 4, 5]]))


@pytest.mark.parametrize(
    ("rows", "levels_x", "levels_y", "seed"), [(500, 3, 2, 0), (3000, 20, 6, 1), (50, 2, 7, 3)]
)
def test_normalized_mutual_information_equals_scikit_learn(
    rows: int, levels_x: int, levels_y: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    y = _labels(rng, rows, levels_y)
    x = _labels(rng, rows, levels_x, other=y)
    table = pd.crosstab(x, y).to_numpy()
    assert normalized_mutual_information(table) == pytest.approx(
        normalized_mutual_info_score(y, x), abs=1e-12
    )


def test_normalized_mutual_information_degenerate_cases_match_scikit_learn() -> None:
    constant, varying = np.zeros(10, dtype=int), np.arange(10) % 2
    assert normalized_mutual_information(
        pd.crosstab(constant, constant).to_numpy()
    ) == normalized_mutual_info_score(constant, constant)
    assert normalized_mutual_information(
        pd.crosstab(varying, constant).to_numpy()
    ) == normalized_mutual_info_score(constant, varying)
    assert normalized_mutual_information([[5, 0], [0, 5]]) == pytest.approx(1.0)


def test_correlation_ratio_matches_its_definition_written_with_pandas() -> None:
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"group": rng.integers(0, 4, 1000)})
    frame["x"] = (
        50_000 + 300 * frame["group"] + rng.normal(0, 500, 1000)
    )  # a large mean: sums must be centred
    mean = frame["x"].mean()
    ss_total = ((frame["x"] - mean) ** 2).sum()
    ss_between = (
        frame.groupby("group")["x"].agg(["size", "mean"]).pipe(lambda g: g["size"] * (g["mean"] - mean) ** 2)
    ).sum()
    expected = math.sqrt(ss_between / ss_total)
    centred = frame.assign(d=frame["x"] - mean, d2=(frame["x"] - mean) ** 2).groupby("group")
    sums = centred.agg(n=("d", "size"), s=("d", "sum"), q=("d2", "sum"))
    assert correlation_ratio(sums["n"], sums["s"], sums["q"]) == pytest.approx(expected, abs=1e-12)
    assert math.isnan(correlation_ratio([5, 5], [0.0, 0.0], [0.0, 0.0]))  # a constant feature


def test_quantile_cuts_give_equal_frequency_bins() -> None:
    values = np.arange(1000, dtype=float)
    cuts = quantile_cuts(values, bins=10)
    bins = np.searchsorted(cuts, values, side="left")
    assert np.bincount(bins).tolist() == [100] * 10


def test_cross_validated_logistic_auc_equals_a_hand_built_scikit_learn_pipeline() -> None:
    rng = np.random.default_rng(5)
    y = rng.integers(0, 4, 3000)
    codes = np.column_stack([(y * 5 + rng.integers(0, 9, 3000)) % 20, rng.integers(0, 10, 3000)])
    result = cross_validated_auc(codes, y, model="logistic", folds=5, seed=7)
    encoded = OneHotEncoder(handle_unknown="ignore").fit_transform(codes)
    expected = []
    for train, test in StratifiedKFold(n_splits=5, shuffle=True, random_state=7).split(codes, y):
        fitted = LogisticRegression(C=1.0, tol=1e-3, max_iter=300).fit(encoded[train], y[train])
        expected.append(
            roc_auc_score(y[test], fitted.predict_proba(encoded[test]), multi_class="ovr", average="macro")
        )
    assert result.fold_aucs == pytest.approx(expected, abs=1e-12)
    assert result.auc == pytest.approx(float(np.mean(expected)), abs=1e-12)
    assert result.converged
    # the macro AUC is the mean of the classes' one-vs-rest AUCs
    assert result.auc == pytest.approx(float(np.mean(list(result.per_class.values()))), abs=1e-12)


def test_frequency_auc_is_one_for_a_perfect_proxy_and_one_half_for_noise() -> None:
    rng = np.random.default_rng(6)
    y = rng.integers(0, 3, 2000)
    perfect = cross_validated_auc((y * 7)[:, None], y, model="frequency")
    assert perfect.auc == pytest.approx(1.0)
    noise = cross_validated_auc(rng.integers(0, 50, (2000, 1)), y, model="frequency")
    assert abs(noise.auc - 0.5) < 0.03


def test_cross_validated_auc_refuses_classes_smaller_than_the_folds() -> None:
    with pytest.raises(ValueError, match="at least two categories with at least 5 rows"):
        cross_validated_auc(np.zeros((8, 1), dtype=int), ["a"] * 6 + ["b"] * 2, model="frequency")


# --- weighted (estimated) counts -----------------------------------------------------------


def test_kish_effective_size_by_hand() -> None:
    # weights 1, 1, 1 -> (3)^2 / 3 = 3;  weights 0.5 x 4 -> 2^2 / 1 = 4;  0.9, 0.1 -> 1 / 0.82
    assert kish_effective_size([3.0, 2.0, 1.0], [3.0, 1.0, 0.82]).tolist() == pytest.approx(
        [3.0, 4.0, 1 / 0.82]
    )


def test_weighted_comparison_with_zero_one_weights_is_the_unweighted_one() -> None:
    included, n = np.array([20.0, 30.0, 7.0]), np.array([50.0, 50.0, 40.0])
    weighted = compare_weighted(included, n, n, reference=1)
    plain = compare_to_reference(included.astype(int), n.astype(int), reference=1)
    for key in (
        "rate",
        "rate_ci_low",
        "rate_ci_high",
        "ratio",
        "ratio_ci_low",
        "ratio_ci_high",
        "difference",
        "z",
        "p_value_z",
    ):
        np.testing.assert_allclose(weighted[key], plain[key], rtol=0, atol=1e-12, equal_nan=True, err_msg=key)
    assert weighted["n_effective"].tolist() == [50.0, 50.0, 40.0]
    assert np.isnan(weighted["p_value_fisher"]).all()
    np.testing.assert_allclose(weighted["p_value"], plain["p_value_z"], equal_nan=True)


def test_weighted_rates_and_intervals_by_hand() -> None:
    # Two customers per group. Group A: probabilities 1.0 and 0.5, included (1, 0):
    #   weighted n = 1.5, included = 1.0, rate = 2/3, sum of squares = 1.25, Kish size = 2.25 / 1.25 = 1.8
    # Group B: probabilities 0.5 and 0.5, included (1, 1): n = 1, included = 1, rate 1, size 1 / 0.5 = 2
    out = compare_weighted([1.0, 1.0], [1.5, 1.0], [1.25, 0.5], reference=1)
    assert out["rate"].tolist() == pytest.approx([2 / 3, 1.0])
    assert out["n_effective"].tolist() == pytest.approx([1.8, 2.0])
    low, high = wilson_interval(2 / 3 * 1.8, 1.8, fractional=True)
    assert (out["rate_ci_low"][0], out["rate_ci_high"][0]) == pytest.approx((float(low), float(high)))
    assert out["ratio"][0] == pytest.approx(2 / 3)


def test_fractional_counts_need_the_explicit_keyword() -> None:
    with pytest.raises(DataError, match="non-negative whole numbers"):
        wilson_interval(2.5, 10)
    for function in (ratio_interval, difference_interval):
        with pytest.raises(DataError):
            function(2.5, 10, 3, 10)
        assert np.isfinite(function(2.5, 10, 3, 10, fractional=True)).all()
    with pytest.raises(DataError):
        two_proportion_z_test(2.5, 10, 3, 10)
    # whole counts give the same result with and without the keyword
    assert wilson_interval(3, 10, fractional=True) == wilson_interval(3, 10)
    with pytest.raises(DataError, match="non-negative numbers"):
        wilson_interval(-1.0, 10, fractional=True)


# --- unfavourable outcomes: least-included reference, inverted ratio -------------------------


def test_min_rate_reference_prefers_large_groups_and_breaks_ties_by_size() -> None:
    # rates 0.2 (n 50), 0.1 (n 10, too small), 0.2 (n 100): the smallest rate among groups of
    # at least 30 is 0.2, tied; the larger group wins
    assert choose_reference([10, 1, 20], [50, 10, 100], eligible=[True] * 3, rule="min_rate", min_n=30) == 2
    assert choose_reference([10, 1, 20], [50, 10, 100], eligible=[True] * 3, rule="min_rate", min_n=1) == 1


def test_inverted_ratio_and_its_katz_interval_equal_scipy_relative_risk() -> None:
    # group 0: 30 of 60 (0.5), reference group 1: 10 of 40 (0.25): inverted ratio 0.25 / 0.5 = 0.5
    out = compare_to_reference([30, 10], [60, 40], reference=1, invert=True)
    assert out["ratio"][0] == pytest.approx(0.5, abs=TOL)
    expected = contingency.relative_risk(10, 40, 30, 60).confidence_interval(
        0.95
    )  # (ref rate) / (group rate)
    assert (out["ratio_ci_low"][0], out["ratio_ci_high"][0]) == pytest.approx(
        (expected.low, expected.high), abs=1e-9
    )
    assert out["difference"][0] == pytest.approx(0.25, abs=TOL)  # differences stay group - reference
    # a group never included while the reference is: 0 / 0 is undefined for the reference itself
    # but the group with the higher rate compared with a zero reference has ratio 0
    zero = compare_to_reference([0, 5], [40, 50], reference=0, invert=True)
    assert zero["ratio"][1] == 0.0
    assert np.isnan(zero["ratio"][0])


def test_rate_table_for_an_unfavourable_segment_by_hand() -> None:
    # A: 30 of 60 in the high-price segment (0.5); B: 10 of 40 (0.25) -> B is the least included,
    # the reference. A's ratio = 0.25 / 0.5 = 0.5 < 0.8. The fewest removals that bring A to
    # ratio 0.8: (30 - k)/60 <= 0.25 / 0.8 = 0.3125 -> 30 - k <= 18.75 -> k = 12.
    counts = GroupCounts(("g",), pd.DataFrame({"g": ["A", "B"], "n": [60, 40], "included": [30, 10]}))
    metric = Metric("inclusion_rate", "included", "n", "rate of inclusion in high price", favourable=False)
    table, comparisons = rate_table(counts, metric=metric, thresholds=Thresholds(), favourable=False)
    assert table.reference == {"g": "B"}
    (a,) = [r for r in table.rows if r["group"] == {"g": "A"}]
    assert a["inclusion_rate_ratio"] == pytest.approx(0.5, abs=TOL)
    assert a["shortfall"] == 12
    assert [c.favourable for c in comparisons] == [False]
    assert "least-included" in table.methods["ratio"]
