"""Statistics behind the marketing auditor, checked against scipy, scikit-learn and hand computation.

Sources of the expected numbers: ``scipy.stats.contingency.association`` (Cramér's V),
``sklearn.metrics.normalized_mutual_info_score`` (NMI), ``sklearn.metrics.roc_auc_score`` and a
hand-built scikit-learn pipeline (cross-validated AUC), the definition of η² written out with
pandas, ``scipy.stats.contingency.relative_risk`` (Katz interval of a ratio), arithmetic in
the comments, and for weighted (estimated) membership the row-by-row definition of the
linearised variance and a seeded simulation whose true rate follows from the moments of the
uniform distributions it draws from.
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
from equityaudit.stats.weighted import (
    compare_weighted,
    kish_effective_size,
    linearised_effective_size,
    linearised_variance,
)

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
    # With 0/1 weights sum w^2 y = sum w y = x and sum w^2 = sum w = n, so the linearised variance is
    # [x (1 - 2p) + p^2 n] / n^2 = p(1 - p)/n, the effective size is n and the effective count x:
    # every interval and test is the unweighted one (compare_to_reference and wilson_interval on the
    # same whole counts), to the last bit. 0 of 30 and 40 of 40 take the Kish fallback, also n.
    included = np.array([20.0, 30.0, 7.0, 0.0, 40.0, 13.0])
    n = np.array([50.0, 50.0, 40.0, 30.0, 40.0, 57.0])
    weighted = compare_weighted(included, n, n, included, reference=1)
    plain = compare_to_reference(included.astype(int), n.astype(int), reference=1)
    for key in (
        "rate",
        "rate_ci_low",
        "rate_ci_high",
        "ratio",
        "ratio_ci_low",
        "ratio_ci_high",
        "difference",
        "difference_ci_low",
        "difference_ci_high",
        "z",
        "p_value_z",
    ):
        np.testing.assert_array_equal(weighted[key], plain[key], err_msg=key)
    low, high = wilson_interval(included.astype(int), n.astype(int))
    np.testing.assert_array_equal(weighted["rate_ci_low"], low)
    np.testing.assert_array_equal(weighted["rate_ci_high"], high)
    assert weighted["n_effective"].tolist() == n.tolist()
    # p(1 - p)/n written as x (n - x) / n^3: one rounding, as the function's one division
    np.testing.assert_array_equal(
        linearised_variance(included, n, n, included), included * (n - included) / n**3
    )
    assert np.isnan(weighted["p_value_fisher"]).all()
    np.testing.assert_array_equal(weighted["p_value"], plain["p_value_z"])


def test_linearised_variance_from_sums_is_the_row_by_row_definition() -> None:
    # The definition sum w^2 (y - p)^2 / (sum w)^2 computed over the rows, against the four sums
    # the auditor aggregates (sum w, sum w^2, sum w y, sum w^2 y)
    rng = np.random.default_rng(7)
    w = rng.uniform(0, 1, 500)
    y = (rng.uniform(0, 1, 500) < 0.2 + 0.5 * w).astype(float)
    p = (w * y).sum() / w.sum()
    by_rows = (w**2 * (y - p) ** 2).sum() / w.sum() ** 2
    sums = ((w * y).sum(), w.sum(), (w * w).sum(), (w * w * y).sum())
    assert float(linearised_variance(*sums)) == pytest.approx(by_rows, rel=1e-12)
    kish = w.sum() ** 2 / (w * w).sum()
    assert float(linearised_effective_size(*sums)) == pytest.approx(
        min(p * (1 - p) / by_rows, kish), rel=1e-12
    )


def test_weighted_rates_and_intervals_by_hand() -> None:
    # Group A, four customers: probabilities 0.9, 0.6, 0.3, 0.2, included (1, 1, 0, 0):
    #   sum w = 2.0, sum w y = 1.5, p = 0.75; sum w^2 = 0.81 + 0.36 + 0.09 + 0.04 = 1.30,
    #   sum w^2 y = 0.81 + 0.36 = 1.17.
    #   Var = [1.17 (1 - 1.5) + 0.5625 * 1.30] / 4 = (-0.585 + 0.73125) / 4 = 0.0365625
    #   (row by row: 0.0625 * 1.17 + 0.5625 * 0.13 = 0.14625; / 4, the same)
    #   linearised size 0.75 * 0.25 / 0.0365625 = 200/39 = 5.128, above Kish's 2^2 / 1.30 = 40/13
    #   = 3.077 (Kish's variance 0.0609 is the larger here), so n_eff is capped at Kish's 40/13:
    #   an estimated group is never counted as surer than Kish's design effect allows.
    # Group B (reference), four customers: 0.8 included, 0.4, 0.4, 0.4 not:
    #   sum w = 2.0, sum w y = 0.8, p = 0.4; sum w^2 = 0.64 + 3 * 0.16 = 1.12, sum w^2 y = 0.64.
    #   Var = [0.64 (1 - 0.8) + 0.16 * 1.12] / 4 = (0.128 + 0.1792) / 4 = 0.0768
    #   n_eff = 0.24 / 0.0768 = 3.125, under Kish's 4 / 1.12 = 25/7 = 3.571 (Kish's variance
    #   0.0672 is too small: the heaviest row is the one far from the rate): the linearised size.
    out = compare_weighted([1.5, 0.8], [2.0, 2.0], [1.30, 1.12], [1.17, 0.64], reference=1)
    assert linearised_variance([1.5, 0.8], [2.0, 2.0], [1.30, 1.12], [1.17, 0.64]).tolist() == pytest.approx(
        [0.0365625, 0.0768], rel=1e-12
    )
    assert out["rate"].tolist() == pytest.approx([0.75, 0.4], rel=1e-12)
    assert out["n_effective"].tolist() == pytest.approx([40 / 13, 3.125], rel=1e-12)
    assert kish_effective_size([2.0, 2.0], [1.30, 1.12]).tolist() == pytest.approx(
        [40 / 13, 25 / 7], rel=1e-12
    )
    # Wilson interval on the effective counts (0.75 * 40/13 = 30/13 of 40/13), written out:
    # centre (p + z^2/2n) / (1 + z^2/n), half-width z / (1 + z^2/n) * sqrt(p(1-p)/n + z^2/4n^2)
    z, n_a = 1.959963984540054, 40 / 13
    centre = (0.75 + z * z / (2 * n_a)) / (1 + z * z / n_a)
    half = z / (1 + z * z / n_a) * math.sqrt(0.75 * 0.25 / n_a + z * z / (4 * n_a * n_a))
    assert (out["rate_ci_low"][0], out["rate_ci_high"][0]) == pytest.approx((centre - half, centre + half))
    assert out["ratio"][0] == pytest.approx(0.75 / 0.4)
    # pooled two-proportion z on effective counts: (30/13 + 1.25) / (40/13 + 3.125)
    pooled = (30 / 13 + 0.4 * 3.125) / (40 / 13 + 3.125)
    expected_z = (0.75 - 0.4) / math.sqrt(pooled * (1 - pooled) * (13 / 40 + 1 / 3.125))
    assert out["z"][0] == pytest.approx(expected_z)


def test_weighted_rate_of_zero_or_one_falls_back_to_kish() -> None:
    # Probabilities 0.5 and 0.5, both included: p = 1, the linearised variance is
    # [0.5 (1 - 2) + 1 * 0.5] / 1 = 0 and p(1 - p)/Var undefined: Kish's 1^2 / 0.5 = 2.
    # Probabilities 1.0 and 0.5, neither included: p = 0, Kish's 1.5^2 / 1.25 = 1.8.
    out = compare_weighted([1.0, 0.0], [1.0, 1.5], [0.5, 1.25], [0.5, 0.0], reference=0)
    assert linearised_variance([1.0, 0.0], [1.0, 1.5], [0.5, 1.25], [0.5, 0.0]).tolist() == [0.0, 0.0]
    assert out["n_effective"].tolist() == pytest.approx([2.0, 1.8], rel=1e-12)
    assert (out["rate_ci_low"][0], out["rate_ci_high"][1]) == pytest.approx(
        (
            float(wilson_interval(2.0, 2.0, fractional=True)[0]),
            float(wilson_interval(0.0, 1.8, fractional=True)[1]),
        )
    )


def test_wilson_interval_on_linearised_effective_counts_covers_when_weights_and_outcomes_correlate() -> None:
    # BISG-like membership: 10% of customers are nearly certain members (probability U(0.9, 1)),
    # 90% unlikely ones (U(0, 0.2)); each is a member with that probability, and a member is
    # included with probability 0.5, a non-member never. The weighted rate estimates
    # theta = E[w y] / E[w] = 0.5 E[w^2] / E[w], from the moments of the uniform distributions
    # (E[w] = a + b over 2, E[w^2] = (a^2 + ab + b^2) / 3):
    #   E[w] = 0.1 * 0.95 + 0.9 * 0.1 = 0.185, E[w^2] = 0.1 * 2.71/3 + 0.9 * 0.04/3 = 0.1023333...
    # The heavy rows are those whose outcomes vary most (variance 0.25 against theta(1 - theta) =
    # 0.2), which Kish's p(1 - p) sum w^2 / (sum w)^2 ignores. 4,000 replicates of 2,000 customers:
    # the binomial standard error of a 0.95 coverage is sqrt(0.95 * 0.05 / 4000) = 0.0034, so
    # 0.94-0.96 is about three of them either side.
    second_moment = 0.1 * (0.81 + 0.9 + 1.0) / 3 + 0.9 * 0.04 / 3
    theta = 0.5 * second_moment / (0.1 * 0.95 + 0.9 * 0.1)
    rng = np.random.default_rng(2026)
    sums = []
    for _ in range(8):  # 8 blocks of 500 replicates, each block one vectorised draw
        shape = (500, 2000)
        w = np.where(
            rng.uniform(size=shape) < 0.1, rng.uniform(0.9, 1.0, shape), rng.uniform(0.0, 0.2, shape)
        )
        member = rng.uniform(size=shape) < w
        y = (member & (rng.uniform(size=shape) < 0.5)).astype(float)
        sums.append(np.stack([(w * y).sum(1), w.sum(1), (w * w).sum(1), (w * w * y).sum(1)]))
    included, total, squares, included_squares = np.concatenate(sums, axis=1)
    out = compare_weighted(included, total, squares, included_squares, reference=0)
    covered = (out["rate_ci_low"] <= theta) & (theta <= out["rate_ci_high"])
    coverage = float(covered.mean())
    # the same replicates with Kish's effective counts, as before
    kish = kish_effective_size(total, squares)
    low, high = wilson_interval(included / total * kish, kish, fractional=True)
    kish_coverage = float(((low <= theta) & (theta <= high)).mean())
    print(f"coverage of the 95% Wilson interval: linearised {coverage:.4f}, Kish {kish_coverage:.4f}")
    assert 0.94 <= coverage <= 0.96
    assert kish_coverage < 0.93  # more than 5 standard errors short of 0.95


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


def test_a_group_with_almost_no_weight_on_one_side_is_not_counted_as_huge() -> None:
    # 200 customers at p = 0.5 not included and one at p = 0.001 included: the weighted rate is
    # 0.001 / 100.001 ~ 1e-5 and the linearised variance ~1e-10, i.e. p(1 - p) / Var ~ 99,500
    # customers out of 201. Capped at Kish's (sum w)^2 / sum w^2 = 100.001^2 / 50.000001 = 200.004.
    w = np.array([0.5] * 200 + [0.001])
    y = np.array([0.0] * 200 + [1.0])
    sums = ((w * y).sum(), w.sum(), (w * w).sum(), (w * w * y).sum())
    p = sums[0] / sums[1]
    uncapped = p * (1 - p) / float(linearised_variance(*sums))
    assert 99_000 < uncapped < 100_000
    assert float(linearised_effective_size(*sums)) == pytest.approx(100.001**2 / 50.000001, rel=1e-12)
