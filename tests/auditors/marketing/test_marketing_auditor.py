"""The marketing auditor on hand-made customer tables: every expected number is derived in the test.

Sources: arithmetic in the comments (shares, ratios, total variation distance, weighted counts,
linearised effective sizes, shortfalls); ``scipy.stats.contingency.relative_risk`` for Katz
intervals (mapped onto the representation ratio as docs/marketing.md states);
``scipy.stats.chi2_contingency`` and ``scipy.stats.fisher_exact`` and ``scipy.stats.hypergeom``
(mid-p) for tests; ``scipy.stats.ttest_ind`` for the offer comparison; Holm written out for the
audit's one adjustment; the normal-theory standard error of a mean for the subsampled bootstrap; the
resampling distribution of a median of three values, and percentiles' invariance under scaling, for
the median intervals.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pytest
from click.testing import CliRunner
from scipy import stats
from scipy.stats import contingency

import equityaudit as ea
from backends import Constructor
from equityaudit.cli import main
from equityaudit.errors import ColumnNotFoundError, DataError, SpecError
from equityaudit.plugins import get_auditor
from equityaudit.results import AuditResult
from equityaudit.spec_loading import spec_from_mapping
from equityaudit.synthetic.marketing import PROBABILITY_COLUMNS, make_marketing

TOL = 1e-12

BACKENDS: dict[str, Callable[[pd.DataFrame], Any]] = {
    "pandas": lambda df: df,
    "polars": pl.from_pandas,
    "duckdb": duckdb.from_df,
}


def customers() -> pd.DataFrame:
    """100 customers. A: 60, of whom 30 gold / 30 basic and 12 got the promo; B: 40, 10 gold / 30
    basic, 20 got the promo."""
    rows = []
    rows += [("A", "gold", "yes")] * 12 + [("A", "gold", "no")] * 18 + [("A", "basic", "no")] * 30
    rows += [("B", "gold", "yes")] * 10 + [("B", "basic", "yes")] * 10 + [("B", "basic", "no")] * 20
    return pd.DataFrame(rows, columns=["g", "seg", "promo"])


def run(df: Any, **options: Any) -> AuditResult:
    return ea.audit(df, auditor="marketing", sensitive=["g"], options=options)


def row(result: AuditResult, table: str, group: str) -> dict[str, Any]:
    frame = result.table(table)
    (found,) = frame[frame["g"] == group].to_dict("records")
    return found


def finding(result: AuditResult, table: str, group: str | None = None) -> Any:
    (found,) = [
        f for f in result.findings if f.table == table and (group is None or f.group.get("g") == group)
    ]
    return found


# --- representation -------------------------------------------------------------------------


def test_representation_ratios_and_total_variation_distance_by_hand() -> None:
    # Base: A 60 (0.6), B 40 (0.4). Segment gold: 30 A + 10 B = 40 -> A 0.75, B 0.25.
    # Representation ratio A = 0.75 / 0.6 = 1.25, B = 0.25 / 0.4 = 0.625.
    # TVD = (|0.75 - 0.6| + |0.25 - 0.4|) / 2 = 0.15.
    result = run(customers(), segment="seg", segments={"gold": "favourable"})
    a = row(result, "representation:segment gold:g", "A")
    b = row(result, "representation:segment gold:g", "B")
    assert (a["n"], a["in_segment"], a["segment_size"]) == (60, 30, 40)
    assert (a["base_share"], a["segment_share"]) == pytest.approx((0.6, 0.75), abs=TOL)
    assert a["representation_ratio"] == pytest.approx(1.25, abs=TOL)
    assert b["representation_ratio"] == pytest.approx(0.625, abs=TOL)
    assert a["segment_share_ratio"] == a["representation_ratio"]  # the renderers' ratio column
    tvd = finding(result, "representation:segment gold:g")
    assert tvd.value == pytest.approx(0.15, abs=TOL)
    assert tvd.kind == "difference"
    assert tvd.status == "warn"  # 0.15 > 0.1 and significant
    expected_p = stats.chi2_contingency([[30, 30], [10, 30]], correction=False).pvalue
    assert tvd.p_value == pytest.approx(expected_p, rel=1e-9)


def test_representation_interval_is_the_katz_interval_of_group_versus_rest_mapped_onto_the_ratio() -> None:
    # A's inclusion rate 30/60 against the rest's 10/40: r = 2 (Katz interval from scipy).
    # RR = r / (w r + 1 - w) with w = 0.6: 2 / (1.2 + 0.4) = 1.25, and the same map for the bounds.
    result = run(customers(), segment="seg", segments={"gold": "favourable"})
    a = row(result, "representation:segment gold:g", "A")
    katz = contingency.relative_risk(30, 60, 10, 40).confidence_interval(0.95)
    w = 0.6
    assert a["segment_share_ratio_ci_low"] == pytest.approx(katz.low / (w * katz.low + 1 - w), rel=1e-9)
    assert a["segment_share_ratio_ci_high"] == pytest.approx(katz.high / (w * katz.high + 1 - w), rel=1e-9)


def test_representation_of_an_unbiased_segment_passes() -> None:
    # 40 % of each group in "silver" (80 members): shares equal the base's, TVD 0
    df = pd.DataFrame({"g": ["A"] * 100 + ["B"] * 100, "seg": (["silver"] * 40 + ["basic"] * 60) * 2})
    result = run(df, segment="seg")
    tvd = finding(result, "representation:segment silver:g")
    assert tvd.value == pytest.approx(0.0, abs=TOL)
    assert tvd.status == "pass"
    assert row(result, "representation:segment silver:g", "A")["representation_ratio"] == pytest.approx(1.0)


def fisher_mid_p(x1: int, n1: int, x2: int, n2: int) -> float:
    """Two-sided Fisher mid-p from scipy's hypergeometric pmf: the less probable tables plus half
    of the equally probable ones (the observed table among them)."""
    selected = x1 + x2
    support = np.arange(max(0, selected - n2), min(selected, n1) + 1)
    pmf = stats.hypergeom.pmf(support, n1 + n2, selected, n1)
    observed = stats.hypergeom.pmf(x1, n1 + n2, selected, n1)
    less = pmf < observed / (1 + 1e-7)
    equal = ~less & (pmf <= observed * (1 + 1e-7))
    return float(pmf[less].sum() + 0.5 * pmf[equal].sum())


def test_representation_is_judged_with_the_whole_audit_and_never_fails() -> None:
    # customers(), gold declared favourable: the audit has three families of one hypothesis each,
    # so the weighted Holm is plain Holm over three p-values:
    # - targeting gold by g, the pair (A, B): Fisher mid-p of 10/40 against 30/60 (0.01002);
    # - representation gold: the chi-square test of [[30, 30], [10, 30]]: chi2 = 100 (30*30 - 30*10)^2 /
    #   (60 * 40 * 40 * 60) = 6.25, p = 0.01242;
    # - representation basic (undeclared, described): [[30, 30], [30, 10]], the same chi2 and p.
    # Holm: 3 x 0.01002 = 0.03006, then max(0.03006, 2 x 0.01242) = 0.03006, then 0.03006.
    result = run(customers(), segment="seg", segments={"gold": "favourable"})
    p_pair = fisher_mid_p(10, 40, 30, 60)
    p_chi = stats.chi2.sf(6.25, 1)
    assert p_pair < p_chi
    expected = 3 * p_pair
    gold = finding(result, "representation:segment gold:g")
    basic = finding(result, "representation:segment basic:g")
    target = finding(result, "segment gold by g", "B")
    assert gold.p_value == pytest.approx(p_chi, rel=1e-9)
    assert target.p_value == pytest.approx(p_pair, rel=1e-9)
    for f in (gold, basic, target):
        assert f.p_adjusted == pytest.approx(expected, rel=1e-9)
    assert gold.details["family"] == "representation:segment gold:g"
    # TVD 0.15 above the 0.1 limit and significant (0.0301 < 0.05): what would fail any other finding
    # is a warning, because make-up alone is not disadvantage; the targeting finding fails
    assert (gold.status, gold.details["status_ceiling"], target.status) == ("warn", "warn", "fail")
    assert "above the 0.1 limit and statistically significant after correcting" in gold.message
    assert "Holm-adjusted p = 0.0301" in gold.message and "A warning, not a failure" in gold.message
    # basic: A 30 / 60 = 0.5 of it against 0.6 of the base, B 0.5 against 0.4: TVD 0.1, on the limit
    assert (basic.value, basic.status) == (pytest.approx(0.1, abs=TOL), "pass")


def test_representation_above_the_limit_without_significance_warns_instead_of_insufficient_data() -> None:
    # 40 A and 40 B; gold holds 20 A and 12 B (32 members, above the minimum of 30): shares 0.625 and
    # 0.375 against 0.5 and 0.5, TVD 0.125 > 0.1. Chi-square of [[20, 20], [12, 28]]:
    # 80 (20*28 - 20*12)^2 / (40 * 40 * 32 * 48) = 3.3333, p = 0.0679; basic, its complement, has the
    # same p; two families of one hypothesis: Holm-adjusted p = 2 x 0.0679 = 0.1358, not significant.
    # The rule: adverse side, not significant -> warn ("it may be chance"). It used to be
    # insufficient_data, which now means too small only.
    df = pd.DataFrame(
        {"g": ["A"] * 40 + ["B"] * 40, "seg": ["gold"] * 20 + ["basic"] * 20 + ["gold"] * 12 + ["basic"] * 28}
    )
    result = run(df, segment="seg")
    gold = finding(result, "representation:segment gold:g")
    p_chi = stats.chi2.sf(80 * (20 * 28 - 20 * 12) ** 2 / (40 * 40 * 32 * 48), 1)
    assert gold.value == pytest.approx(0.125, abs=TOL)
    assert gold.p_value == pytest.approx(p_chi, rel=1e-9)
    assert gold.p_adjusted == pytest.approx(2 * p_chi, rel=1e-9)
    assert gold.status == "warn"
    assert "above the 0.1 limit but not statistically significant" in gold.message
    assert "Holm-adjusted p = 0.136" in gold.message and "it may be chance" in gold.message
    # a segment under min_group_size members is insufficient data, whatever its test
    small = ea.audit(
        df,
        auditor="marketing",
        sensitive=["g"],
        thresholds={"min_group_size": 40},
        options={"segment": "seg"},
    )
    tiny = finding(small, "representation:segment gold:g")
    assert (tiny.status, tiny.p_adjusted) == ("insufficient_data", None)
    assert "Only 32 members of known groups (minimum 40): too few to judge." in tiny.message


# --- targeting ------------------------------------------------------------------------------


def test_targeting_ratio_for_a_favourable_segment_by_hand() -> None:
    # gold: A 30/60 = 0.5 (most included: the reference), B 10/40 = 0.25 -> ratio 0.5.
    # Shortfall: 0.8 x 0.5 x 40 = 16 inclusions needed, B has 10 -> 6.
    result = run(customers(), segment="seg", segments={"gold": "favourable"})
    b = row(result, "segment gold by g", "B")
    assert (b["n"], b["included"], b["inclusion_rate"]) == (40, 10, 0.25)
    assert b["inclusion_rate_ratio"] == pytest.approx(0.5, abs=TOL)
    assert b["shortfall"] == 6
    assert b["p_value_fisher"] == pytest.approx(stats.fisher_exact([[10, 30], [30, 30]]).pvalue, rel=1e-9)
    f = finding(result, "segment gold by g", "B")
    assert (f.reference, f.status, f.kind) == ({"g": "A"}, "fail", "ratio")
    assert "rate of inclusion in segment gold 25.0% vs 50.0% for A" in f.message


def test_targeting_ratio_for_an_unfavourable_segment_uses_the_least_included_group() -> None:
    # basic declared unfavourable: A 30/60 = 0.5 (least included: the reference), B 30/40 = 0.75.
    # B's ratio = 0.5 / 0.75 = 2/3 < 0.8. Removals for B to reach 0.8: (30 - k)/40 <= 0.5/0.8 = 0.625
    # -> k >= 5.
    result = run(customers(), segment="seg", segments={"basic": "unfavourable"})
    b = row(result, "segment basic by g", "B")
    assert b["inclusion_rate_ratio"] == pytest.approx(2 / 3, abs=TOL)
    assert b["shortfall"] == 5
    f = finding(result, "segment basic by g", "B")
    assert f.reference == {"g": "A"}
    assert f.value == pytest.approx(2 / 3, abs=TOL)
    assert "(the least included)" in f.message
    assert "1.50 times as often" in f.message
    assert "5 fewer inclusion(s)" in f.message


def test_campaign_flags_in_any_binary_form_give_the_same_counts() -> None:
    # promo: A 12/60 = 0.2, B 20/40 = 0.5 -> A's ratio to B = 0.4
    base = customers()
    for flags in (
        base["promo"],
        base["promo"].map({"yes": 1, "no": 0}),
        base["promo"].eq("yes"),
        base["promo"].str.upper(),
    ):
        result = run(base.assign(promo=flags), campaigns={"promo": "favourable"})
        a = row(result, "campaign promo by g", "A")
        assert (a["included"], a["inclusion_rate_ratio"]) == (12, pytest.approx(0.4, abs=TOL))


def test_tables_are_the_same_on_every_backend(constructor: Constructor) -> None:
    options = {"segment": "seg", "segments": {"gold": "favourable"}, "campaigns": {"promo": "favourable"}}
    reference = run(customers(), **options)
    result = run(constructor(customers()), **options)
    assert [t.model_dump() for t in result.tables] == [t.model_dump() for t in reference.tables]
    assert [f.model_dump() for f in result.findings] == [f.model_dump() for f in reference.findings]


def test_counts_hold_one_column_per_segment_and_campaign() -> None:
    result = run(
        customers(), segment="seg", segments={"gold": "favourable"}, campaigns={"promo": "favourable"}
    )
    (counts,) = result.counts
    assert counts.by == ["g"]
    assert counts.rows == [
        {"group": {"g": "A"}, "n": 60, "segment=basic": 30, "segment=gold": 30, "campaign=promo": 12},
        {"group": {"g": "B"}, "n": 40, "segment=basic": 30, "segment=gold": 10, "campaign=promo": 20},
    ]


def test_unknown_group_is_counted_and_left_out_of_shares_and_comparisons() -> None:
    df = pd.concat([customers(), pd.DataFrame({"g": [None] * 5, "seg": ["gold"] * 5, "promo": ["no"] * 5})])
    result = run(df, segment="seg", segments={"gold": "favourable"})
    unknown = row(result, "representation:segment gold:g", "Unknown")
    assert (unknown["n"], unknown["in_segment"], unknown["excluded"]) == (5, 5, True)
    assert pd.isna(unknown["segment_share"])  # null in the result, NaN in the DataFrame
    # the known groups' shares are those of the 100 known customers, as before
    assert row(result, "representation:segment gold:g", "A")["representation_ratio"] == pytest.approx(1.25)
    assert all(f.group.get("g") != "Unknown" for f in result.findings)


# --- estimated (weighted) membership --------------------------------------------------------


def estimated_customers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "seg": ["gold", "basic", "gold", "basic"],
            "p_x": [0.8, 0.5, 0.1, 1.0],
            "p_y": [0.2, 0.5, 0.9, 0.0],
        }
    )


def test_weighted_counts_and_rates_by_hand() -> None:
    # X: weights 0.8, 0.5, 0.1, 1.0 -> n = 2.4, sum of squares 0.64 + 0.25 + 0.01 + 1 = 1.9,
    #    gold (rows 1 and 3) = 0.8 + 0.1 = 0.9 -> rate 0.375; squares in gold 0.64 + 0.01 = 0.65.
    #    Linearised Var = [0.65 (1 - 2 * 0.375) + 0.375^2 * 1.9] / 2.4^2 = (0.1625 + 0.2671875) / 5.76
    #    = 0.0745985, linearised size 0.375 * 0.625 / 0.0745985 = 3.14182 (exactly 0.9 * 1.5 * 2.4^2 /
    #    (1.5^2 * 0.65 + 0.9^2 * 1.25) = 7.776 / 2.475), above Kish's 2.4^2 / 1.9 = 3.0316: capped
    #    at Kish's, 5.76 / 1.9.
    # Y: weights 0.2, 0.5, 0.9, 0.0 -> n = 1.6, squares 0.04 + 0.25 + 0.81 = 1.1,
    #    gold = 0.2 + 0.9 = 1.1 -> rate 0.6875; squares in gold 0.04 + 0.81 = 0.85.
    #    Var = [0.85 (1 - 1.375) + 0.6875^2 * 1.1] / 1.6^2 = (-0.31875 + 0.5199219) / 2.56 = 0.0785828,
    #    linearised size 0.6875 * 0.3125 / 0.0785828 = 2.73398 (= 1.1 * 0.5 * 2.56 / (0.25 * 0.85 +
    #    1.21 * 0.25) = 1.408 / 0.515), above Kish's 1.6^2 / 1.1 = 2.3273: capped at 2.56 / 1.1.
    # Representation in gold (2 customers): X 0.9/2 = 0.45 vs 2.4/4 = 0.6 -> 0.75; Y 0.55/0.4 = 1.375
    result = ea.audit(
        estimated_customers(),
        auditor="marketing",
        sensitive=[],
        thresholds={"min_group_size": 1},
        options={
            "segment": "seg",
            "segments": {"gold": "favourable"},
            "estimated": {"race": {"X": "p_x", "Y": "p_y"}},
        },
    )
    table = result.table("segment gold by race (estimated)").set_index("race")
    assert table.loc["X", "n"] == pytest.approx(2.4)
    assert table.loc["X", "included"] == pytest.approx(0.9)
    assert table.loc["X", "inclusion_rate"] == pytest.approx(0.375)
    assert table.loc["X", "n_effective"] == pytest.approx(5.76 / 1.9)
    assert table.loc["Y", "n_effective"] == pytest.approx(2.56 / 1.1)
    assert table.loc["X", "inclusion_rate_ratio"] == pytest.approx(0.375 / 0.6875)
    assert bool(table["estimated"].all())
    representation = result.table("representation:segment gold:race (estimated)").set_index("race")
    assert representation.loc["X", "representation_ratio"] == pytest.approx(0.75)
    assert representation.loc["Y", "representation_ratio"] == pytest.approx(1.375)
    # X's interval: the Katz interval of X's inclusion rate over the rest's, on effective counts.
    # The rest of the base weighted by 1 - p_x = p_y has Y's sums (N - n = 1.6, N - 2n + 1.9 = 1.1,
    # in gold S - x = 1.1 and S - 2x + 0.65 = 0.85), so its effective size is Y's, 2.56 / 1.1.
    # r = 0.375 / 0.6875, se = sqrt(1/x1 - 1/n1 + 1/x2 - 1/n2), mapped by RR = r / (w r + 1 - w), w = 0.6.
    n1, n2 = 5.76 / 1.9, 2.56 / 1.1
    x1, x2 = 0.375 * n1, 0.6875 * n2
    se = math.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2)
    r_low, r_high = (0.375 / 0.6875 * math.exp(sign * 1.959963984540054 * se) for sign in (-1, 1))
    assert representation.loc["X", "segment_share_ratio_ci_low"] == pytest.approx(r_low / (0.6 * r_low + 0.4))
    assert representation.loc["X", "segment_share_ratio_ci_high"] == pytest.approx(
        r_high / (0.6 * r_high + 0.4)
    )
    estimated = [f for f in result.findings if "race" in f.table]
    assert estimated and all(
        f.details["estimated"] is True and f.message.startswith("Estimated") for f in estimated
    )
    (counts,) = [c for c in result.counts if c.name == "estimated:race"]
    first = counts.rows[0]
    assert first["group"] == {"race": "X"}
    assert {k: v for k, v in first.items() if k != "group"} == pytest.approx(
        {
            "n": 2.4,
            "n_sq": 1.9,
            "segment=basic": 1.5,
            "segment=gold": 0.9,
            "sq:segment=basic": 0.25 + 1.0,
            "sq:segment=gold": 0.64 + 0.01,
        }
    )
    assert any("ESTIMATED" in note for note in result.notes)


def test_weighted_squared_sums_of_a_campaign_by_hand_on_every_backend(constructor: Constructor) -> None:
    # The promo goes to rows 1 and 2. X (0.8, 0.5, 0.1, 1.0): sum p y = 0.8 + 0.5 = 1.3,
    # sum p^2 y = 0.64 + 0.25 = 0.89; effective size x (n - x) n^2 / [(n - x)^2 A + x^2 (B - A)]
    # = 1.3 * 1.1 * 5.76 / (1.21 * 0.89 + 1.69 * 1.01) = 8.2368 / 2.7838.
    # Y (0.2, 0.5, 0.9, 0.0): 0.2 + 0.5 = 0.7, 0.04 + 0.25 = 0.29;
    # 0.7 * 0.9 * 2.56 / (0.81 * 0.29 + 0.49 * 0.81) = 1.6128 / 0.6318 = 2.553, above Kish's
    # 1.6^2 / 1.1 = 2.327: capped at Kish's. (X's 8.2368 / 2.7838 = 2.959 is under Kish's 3.032.)
    frame = estimated_customers().assign(promo=["yes", "yes", "no", "no"])
    result = ea.audit(
        constructor(frame),
        auditor="marketing",
        sensitive=[],
        thresholds={"min_group_size": 1},
        options={"campaigns": {"promo": "favourable"}, "estimated": {"race": {"X": "p_x", "Y": "p_y"}}},
    )
    (counts,) = [c for c in result.counts if c.name == "estimated:race"]
    x_row, y_row = counts.rows
    assert (x_row["campaign=promo"], x_row["sq:campaign=promo"]) == pytest.approx((1.3, 0.89))
    assert (y_row["campaign=promo"], y_row["sq:campaign=promo"]) == pytest.approx((0.7, 0.29))
    table = result.table("campaign promo by race (estimated)").set_index("race")
    assert table.loc["X", "n_effective"] == pytest.approx(8.2368 / 2.7838)
    assert table.loc["Y", "n_effective"] == pytest.approx(2.56 / 1.1)


def test_probabilities_that_do_not_sum_to_one_are_a_data_error_naming_the_columns_and_rows() -> None:
    df = estimated_customers()
    df.loc[[0, 2], "p_x"] = 0.5  # rows 0 and 2 now sum to 0.7 and 1.4
    options = {"segment": "seg", "estimated": {"race": {"X": "p_x", "Y": "p_y"}}}
    with pytest.raises(
        DataError,
        match=r"options.estimated.race \(p_x, p_y\): 2 row\(s\) have probabilities that do not sum to 1",
    ):
        ea.audit(df, auditor="marketing", sensitive=[], gate="warn", options=options)
    blocked = ea.audit(df, auditor="marketing", sensitive=[], options=options)
    assert blocked.verdict == "blocked"
    (check,) = [c for c in blocked.gate.checks if c.name == "expect_multicolumn_sum_to_equal"]
    assert (check.passed, check.unexpected_count) == (False, 2)


def test_partly_missing_probabilities_are_a_data_error() -> None:
    df = estimated_customers()
    df.loc[1, "p_y"] = None
    with pytest.raises(DataError, match="1 row\\(s\\) have some of these probabilities missing"):
        ea.audit(
            df,
            auditor="marketing",
            sensitive=[],
            gate="warn",
            options={"segment": "seg", "estimated": {"race": {"X": "p_x", "Y": "p_y"}}},
        )


def test_rounded_probabilities_pass_the_gate_although_their_float_sums_are_not_exactly_one() -> None:
    # 0.06 + 0.57 + 0.37 is 0.9999999999999999 in binary floating point
    df = pd.DataFrame({"seg": ["gold", "basic"] * 20, "a": [0.06] * 40, "b": [0.57] * 40, "c": [0.37] * 40})
    assert (df[["a", "b", "c"]].sum(axis=1) != 1).all()
    result = ea.audit(
        df,
        auditor="marketing",
        sensitive=[],
        options={"segment": "seg", "estimated": {"r": {"A": "a", "B": "b", "C": "c"}}},
    )
    assert result.gate.passed


# --- offer value ----------------------------------------------------------------------------


def offers(higher: float = 20.0, lower: float = 10.0) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {
            "g": ["A"] * 40 + ["B"] * 40,
            "seg": ["gold", "basic"] * 40,
            "discount": np.concatenate([rng.normal(higher, 4, 40), rng.normal(lower, 4, 40)]).round(2),
        }
    )


def test_offer_means_medians_and_ratio_by_hand() -> None:
    df = offers()
    result = run(df, segment="seg", offer="discount")
    a, b = (df.loc[df["g"] == g, "discount"] for g in ("A", "B"))
    table = {r["group"]["g"]: r for r in result.context["marketing"]["offer"]["tables"]["offer:g"]["rows"]}
    assert table["A"]["mean"] == pytest.approx(a.mean(), abs=1e-12)
    assert table["B"]["median"] == pytest.approx(b.median(), abs=1e-12)
    assert table["B"]["mean_ratio"] == pytest.approx(b.mean() / a.mean(), abs=1e-12)
    assert table["B"]["mean_ci_low"] < b.mean() < table["B"]["mean_ci_high"]
    f = finding(result, "offer:g", "B")
    assert f.reference == {"g": "A"}  # higher is favourable: the highest mean is the reference
    assert f.p_value == pytest.approx(stats.ttest_ind(b, a, equal_var=False).pvalue, rel=1e-9)
    assert f.status == "fail"  # ratio about 0.5 < 0.9 and significant
    assert f.ci_low < f.value < f.ci_high
    assert "rate" not in f.details  # offers are amounts, not rates


def test_offer_within_the_threshold_whose_interval_reaches_below_it_is_inconclusive() -> None:
    # A: 20 offers of 10 and 20 of 30 (mean 20); B: 20 of 9 and 20 of 29 (mean 19): ratio 19 / 20 = 0.95,
    # at or above the 0.9 threshold. Welch: both variances 40 x 10^2 / 39 = 102.56, se =
    # sqrt(2 x 102.56 / 40) = 2.2646, t = 1 / 2.2646 = 0.442, p = 0.66. The segment is all "basic", so
    # the representation test is undefined (everyone is in it) and the offer pair is the audit's only
    # hypothesis: its adjusted p is its raw p. The ratio's bootstrap interval is about 0.95 +- 0.22,
    # reaching below 0.9: on the right side, interval past the threshold, not significant ->
    # inconclusive (a pass before the one rule).
    df = pd.DataFrame(
        {
            "g": ["A"] * 40 + ["B"] * 40,
            "seg": ["basic"] * 80,
            "discount": [10.0] * 20 + [30.0] * 20 + [9.0] * 20 + [29.0] * 20,
        }
    )
    result = run(df, segment="seg", offer="discount")
    f = finding(result, "offer:g", "B")
    a, b = df["discount"][:40], df["discount"][40:]
    p = stats.ttest_ind(b, a, equal_var=False).pvalue
    assert p == pytest.approx(0.66, abs=0.005)
    assert f.value == pytest.approx(0.95, abs=TOL)
    assert f.p_value == pytest.approx(p, rel=1e-9)
    assert f.p_adjusted == pytest.approx(p, rel=1e-9)
    assert f.ci_low is not None and f.ci_low < 0.9 < f.value
    assert f.status == "inconclusive"
    assert f.details["family"] == "offer:g"
    assert "at or above the 0.9 threshold, but the interval reaches below it" in f.message
    assert "this is inconclusive" in f.message
    assert [g.status for g in result.findings if g.metric == "total_variation_distance"] == ["pass"]


def test_offer_where_lower_is_favourable_uses_the_lowest_mean_as_reference() -> None:
    df = offers()
    result = run(df, segment="seg", offer="discount", offer_favourable="lower")
    a, b = (df.loc[df["g"] == g, "discount"] for g in ("A", "B"))
    f = finding(result, "offer:g", "A")
    assert f.reference == {"g": "B"}
    assert f.value == pytest.approx(b.mean() / a.mean(), abs=1e-12)  # oriented: below 1 is worse for A


def test_subsampled_offer_bootstrap_has_the_width_of_the_full_group() -> None:
    # 20,000 offers with sd 5 in each group: the mean's 95% half-width is 1.96 x 5 / sqrt(20000) = 0.0693;
    # the bootstrap resamples only 500 values but rescales by sqrt(500 / 20000)
    rng = np.random.default_rng(8)
    df = pd.DataFrame({"g": ["A", "B"] * 20_000, "seg": "all", "discount": rng.normal(10, 5, 40_000)})
    result = run(df, segment="seg", offer="discount", offer_bootstrap_rows=500, offer_replicates=2000)
    rows = result.context["marketing"]["offer"]["tables"]["offer:g"]["rows"]
    expected = 1.959964 * 5 / math.sqrt(20_000)
    for r in rows:
        assert (r["mean_ci_high"] - r["mean_ci_low"]) / 2 == pytest.approx(expected, rel=0.15)


def offer_rows(result: AuditResult) -> dict[str, dict[str, Any]]:
    rows = result.context["marketing"]["offer"]["tables"]["offer:g"]["rows"]
    return {r["group"]["g"]: r for r in rows}


def test_offer_median_ratio_has_a_bootstrap_interval_from_the_medians_replicates() -> None:
    df = offers()
    table = offer_rows(run(df, segment="seg", offer="discount"))
    a, b = (df.loc[df["g"] == g, "discount"] for g in ("A", "B"))
    assert table["B"]["median_ratio"] == pytest.approx(b.median() / a.median(), abs=1e-12)
    assert table["B"]["median_ratio_ci_low"] < table["B"]["median_ratio"] < table["B"]["median_ratio_ci_high"]
    assert (
        table["A"]["median_ratio_ci_low"] is None and table["A"]["median_ratio_ci_high"] is None
    )  # reference
    # A constant reference (20) makes every replicate's ratio the group's replicate / 20, and a
    # percentile commutes with a positive scale: each ratio interval is the group's own interval / 20.
    # So the median ratio's interval comes from the medians' replicates, not the means'.
    df.loc[df["g"] == "A", "discount"] = 20.0
    table = offer_rows(run(df, segment="seg", offer="discount"))
    b_row = table["B"]
    assert (b_row["median_ratio_ci_low"], b_row["median_ratio_ci_high"]) == pytest.approx(
        (b_row["median_ci_low"] / 20, b_row["median_ci_high"] / 20), abs=1e-12
    )
    assert (b_row["mean_ratio_ci_low"], b_row["mean_ratio_ci_high"]) == pytest.approx(
        (b_row["mean_ci_low"] / 20, b_row["mean_ci_high"] / 20), abs=1e-12
    )
    assert b_row["median_ratio_ci_low"] != pytest.approx(b_row["mean_ratio_ci_low"], abs=1e-6)


def test_offer_median_ratio_interval_is_deterministic_for_a_fixed_seed() -> None:
    df = offers()

    def interval(seed: int) -> tuple[float, float]:
        result = ea.audit(
            df,
            auditor="marketing",
            sensitive=["g"],
            options={"segment": "seg", "offer": "discount"},
            thresholds={"seed": seed},
        )
        row = offer_rows(result)["B"]
        return row["median_ratio_ci_low"], row["median_ratio_ci_high"]

    assert interval(0) == interval(0)
    assert interval(0) != interval(1)  # the seed drives it: the test above is not vacuous


def test_offer_intervals_collapse_when_every_group_offers_a_constant() -> None:
    df = pd.DataFrame({"g": ["A"] * 40 + ["B"] * 40, "seg": "all", "discount": [20.0] * 40 + [10.0] * 40})
    table = offer_rows(run(df, segment="seg", offer="discount"))
    for group, value in (("A", 20.0), ("B", 10.0)):
        row = table[group]
        assert (row["median_ci_low"], row["median"], row["median_ci_high"]) == (value, value, value)
        assert (row["mean_ci_low"], row["mean"], row["mean_ci_high"]) == (value, value, value)
    b = table["B"]
    assert (b["median_ratio_ci_low"], b["median_ratio"], b["median_ratio_ci_high"]) == (0.5, 0.5, 0.5)
    assert (b["mean_ratio_ci_low"], b["mean_ratio"], b["mean_ratio_ci_high"]) == (0.5, 0.5, 0.5)


def test_offer_median_interval_by_hand() -> None:
    # B offers 1, 2, 3. A resample of three has median 1 when it holds two or three 1s:
    # 3 (1/3)^2 (2/3) + (1/3)^3 = 7/27, well above 2.5%, and likewise median 3; so the 95%
    # percentile interval of the median is (1, 3). Against A's constant 6: ratios (1/6, 3/6), point 2/6.
    df = pd.DataFrame({"g": ["A"] * 40 + ["B"] * 3, "seg": "all", "discount": [6.0] * 40 + [1.0, 2.0, 3.0]})
    result = ea.audit(
        df,
        auditor="marketing",
        sensitive=["g"],
        options={"segment": "seg", "offer": "discount"},
        thresholds={"min_group_size": 3},  # the quality gate would block a group of 3 otherwise
    )
    b = offer_rows(result)["B"]
    assert (b["median_ci_low"], b["median"], b["median_ci_high"]) == (1.0, 2.0, 3.0)
    assert (b["median_ratio_ci_low"], b["median_ratio"], b["median_ratio_ci_high"]) == pytest.approx(
        (1 / 6, 2 / 6, 3 / 6), abs=1e-12
    )
    # on continuous offers the interval is a proper one around the sample median
    df = offers()
    for group, row in offer_rows(run(df, segment="seg", offer="discount")).items():
        median = df.loc[df["g"] == group, "discount"].median()
        assert row["median_ci_low"] < median < row["median_ci_high"]


# --- spec and data errors -------------------------------------------------------------------


def spec_error(**kwargs: Any) -> str:
    mapping = {"sensitive": ["g"], "options": {"segment": "seg"}} | kwargs
    with pytest.raises(SpecError) as caught:
        ea.audit(customers(), auditor="marketing", **mapping)
    return str(caught.value)


def test_spec_needs_an_attribute_and_a_segment_or_campaign() -> None:
    assert "needs at least one attribute" in spec_error(sensitive=[])
    assert "neither 'segment' nor 'campaigns'" in spec_error(options={})
    assert "options.segment (the column holding the segments) is missing" in spec_error(
        options={"segments": {"gold": "favourable"}}
    )


def test_spec_errors_name_the_key_and_suggest_the_nearest_value() -> None:
    message = spec_error(options={"segmnt": "seg"})
    assert "options.segmnt: unknown option for the marketing auditor. Did you mean 'segment'" in message
    message = spec_error(options={"segment": "seg", "segments": {"gold": "favourble"}})
    assert (
        "options.segments: Value error, gold: 'favourble' is not a direction. Did you mean 'favourable'"
        in message
    )
    assert "columns.decision is not used by the marketing auditor" in spec_error(decision="promo")
    assert "give the estimated attribute its own name" in spec_error(
        options={"segment": "seg", "estimated": {"g": {"A": "p_a", "B": "p_b"}}}
    )
    assert "a sensitive attribute" in spec_error(options={"segment": "seg", "features": ["g"]})


def test_american_spelling_of_directions_is_accepted() -> None:
    result = run(
        customers(), segment="seg", segments={"gold": "Favorable"}, campaigns={"promo": "unfavorable"}
    )
    assert result.context["marketing"]["segments"]["gold"]["direction"] == "favourable"
    assert result.context["marketing"]["campaigns"] == {"promo": "unfavourable"}


def test_data_errors_name_the_option_and_suggest_near_values() -> None:
    with pytest.raises(DataError, match=r"options.segments declares 'glod'.*Did you mean 'gold'"):
        run(customers(), segment="seg", segments={"glod": "favourable"})
    with pytest.raises(
        ColumnNotFoundError, match=r"'segm' \(options.segment in the spec\).*Did you mean 'seg'"
    ):
        ea.audit(customers(), auditor="marketing", sensitive=["g"], gate="warn", options={"segment": "segm"})
    with pytest.raises(ColumnNotFoundError, match=r"options.segment in the spec"):
        run(customers(), segment="segm")  # checked before the gate, whatever its mode
    bad = customers().assign(promo=["maybe"] * 3 + ["yes"] * 97)
    with pytest.raises(DataError, match=r"options.campaigns.promo.*'maybe' \(3 rows\)"):
        run(bad, campaigns={"promo": "favourable"})
    priced = customers().assign(price=["cheap"] * 100)
    options = {"segment": "seg", "offer": "price"}
    assert ea.audit(priced, auditor="marketing", sensitive=["g"], options=options).verdict == "blocked"
    with pytest.raises(DataError, match=r"options.offer\) should be numeric"):
        ea.audit(priced, auditor="marketing", sensitive=["g"], gate="warn", options=options)


def test_expectations_are_great_expectations_json() -> None:
    spec = spec_from_mapping(
        {
            "equityaudit": 1,
            "name": "m",
            "auditor": "marketing",
            "data": {"path": "d.csv"},
            "columns": {"sensitive": ["sex"]},
            "options": {
                "segment": "segment",
                "campaigns": {"email_promo": "favourable"},
                "offer": "discount_pct",
                "estimated": {"race": dict(PROBABILITY_COLUMNS)},
            },
        }
    )
    declared = get_auditor("marketing").expectations(spec)
    assert all(set(e) == {"type", "kwargs", "meta"} for e in declared)
    types = [e["type"] for e in declared]
    assert types.count("expect_column_to_exist") == 3 + len(PROBABILITY_COLUMNS)
    (total,) = [e for e in declared if e["type"] == "expect_multicolumn_sum_to_equal"]
    assert total["kwargs"]["column_list"] == list(PROBABILITY_COLUMNS.values())
    assert total["kwargs"]["sum_total"] == 1
    assert "expect_column_values_to_be_in_type_list" in types


# --- command line ---------------------------------------------------------------------------


def test_cli_runs_the_example_audit(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["run", "audits/marketing.yaml", "--out", str(tmp_path), "--format", "json,md"]
    )
    assert result.exit_code == 1, result.output  # the premium segment fails
    assert "segment premium by race_ethnicity: inclusion rate" in result.output
    assert (tmp_path / "marketing-segments.md").is_file()


def test_cli_lists_the_auditor_and_makes_the_dataset(tmp_path: Path) -> None:
    listed = CliRunner().invoke(main, ["auditors"])
    assert "marketing" in listed.output
    out = tmp_path / "m.csv"
    made = CliRunner().invoke(
        main, ["datasets", "make", "marketing", "--rows", "50", "--seed", "3", "--out", str(out)]
    )
    assert made.exit_code == 0, made.output
    pd.testing.assert_frame_equal(pd.read_csv(out), pd.read_csv(_csv(make_marketing(50, seed=3), tmp_path)))


def _csv(frame: pd.DataFrame, folder: Path) -> Path:
    path = folder / "expected.csv"
    frame.to_csv(path, index=False)
    return path


def test_an_estimated_reference_group_below_the_minimum_makes_the_comparison_undecided() -> None:
    # From the hand computation above: Y (the most included: rate 0.6875) has weighted count 1.6 and
    # effective size 2.73, so its size is floor(min(1.6, 2.73)) = 1; X has floor(min(2.4, 3.14)) = 2.
    # With min_group_size 2, X is large enough but its reference Y is not.
    result = ea.audit(
        estimated_customers(),
        auditor="marketing",
        sensitive=[],
        thresholds={"min_group_size": 2},
        options={
            "segment": "seg",
            "segments": {"gold": "favourable"},
            "estimated": {"race": {"X": "p_x", "Y": "p_y"}},
        },
    )
    (finding,) = [f for f in result.findings if f.table == "segment gold by race (estimated)"]
    assert finding.group == {"race": "X"} and finding.reference == {"race": "Y"}
    assert finding.status == "insufficient_data"
    assert "the reference group has only 1 row (minimum 2)" in finding.message
