"""The hiring auditor against NYC Local Law 144 (6 RCNY §5-300 to §5-304), case by case.

Every expected number is derived in the test from the counts written into its frame, with the
arithmetic in the comments; p-values come from the textbook formula (z test, with ``math.erfc``)
or from ``scipy.stats`` (Fisher's exact test, the hypergeometric pmf for the mid-p); the
committed sample is checked against pandas computing the same rates straight from the CSV.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from pathlib import Path
from statistics import NormalDist
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pytest
from scipy import stats

import equityaudit as ea
from backends import Constructor
from equityaudit.results import AuditResult, Table
from paths import ROOT

REPO = ROOT
HIRING_CSV = REPO / "datasets" / "hiring.csv"

Z95 = NormalDist().inv_cdf(0.975)  # 1.959964…, from the standard library
TOL = 1e-12

BACKENDS: dict[str, Callable[[pd.DataFrame], Any]] = {
    "pandas": lambda df: df,
    "polars": pl.from_pandas,
    "duckdb": duckdb.from_df,
}

RACE = "race_ethnicity"
WHITE = "White"
BLACK = "Black or African American"
HISPANIC = "Hispanic or Latino"
ASIAN = "Asian"
AIAN = "American Indian or Alaska Native"


def applicants(column: str, counts: Mapping[str | None, tuple[int, int]]) -> pd.DataFrame:
    """One row per applicant: ``counts`` maps a category to (applicants, selected)."""
    values: list[str | None] = []
    hired: list[int] = []
    for category, (n, selected) in counts.items():
        values += [category] * n
        hired += [1] * selected + [0] * (n - selected)
    return pd.DataFrame({column: pd.Series(values, dtype=object), "hired": hired})


def table(result: AuditResult, name: str) -> Table:
    (found,) = [t for t in result.tables if t.name == name]
    return found


def row(result: AuditResult, name: str, *values: str) -> dict[str, Any]:
    """The row of ``name`` whose group values are ``values`` (in the table's ``by`` order)."""
    t = table(result, name)
    (found,) = [r for r in t.rows if tuple(r["group"][b] for b in t.by) == values]
    return found


# --- scoring rate: strictly above the median of the whole sample ---------------------------

# Scores, sorted: Female 5 5 6 9 · Male 5 7 8 9 10 · sex unknown 1 2 3 5
# Whole sample (13 scores): 1 2 3 5 5 5 5 6 7 8 9 9 10 → median = 7th value = 5, tied 4 times.
# Scoring rate = share strictly above 5:
#   Female: 6, 9         → 2/4 = 0.5
#   Male:   7, 8, 9, 10  → 4/5 = 0.8
#   unknown: none        → 0/4
# Impact ratio Female = 0.5 / 0.8 = 0.625.
# Had ties counted as above (>= 5): Female 4/4 and Male 5/5 (ratio 1.0); had the median left out
# the unknown rows (known scores 5 5 5 6 7 8 9 9 10 → median 7): Female 1/4, Male 3/5.
TIE_SCORES = {
    "Female": [5, 5, 6, 9],
    "Male": [5, 7, 8, 9, 10],
    None: [1],
    "": [2],
    "Unknown": [3, 5],
}


def audit_tiny(data: Any, **kwargs: Any) -> ea.AuditResult:
    """An audit of tiny hand-made data: every group counts (min_group_size 1), so the quality gate's
    group-size check passes and the arithmetic under test is reached."""
    thresholds = {"min_group_size": 1, **kwargs.pop("thresholds", {})}
    return ea.audit(data, thresholds=thresholds, **kwargs)


def test_scoring_rate_counts_only_scores_strictly_above_the_whole_sample_median(
    constructor: Constructor,
) -> None:
    sex: list[str | None] = []
    score: list[float] = []
    for category, scores in TIE_SCORES.items():
        sex += [category] * len(scores)
        score += [float(s) for s in scores]
    df = pd.DataFrame({"sex": pd.Series(sex, dtype=object), "score": score})
    # 4 of 13 rows have sex missing or unknown (None, "", "Unknown" twice): 30.8 %, over the gate's
    # default 20 % for missing and unknown values together
    result = audit_tiny(
        constructor(df),
        auditor="hiring",
        sensitive=["sex"],
        score="score",
        quality={"max_missing": {"sex": 0.5}},
    )
    ll144 = result.context["ll144"]
    assert ll144["median_score"] == 5.0
    assert ll144["metric"] == "scoring_rate"
    assert ll144["unknown_count"] == {"sex": 4}
    assert [t.name for t in result.tables] == ["sex"]  # a score alone: the scoring rate is primary
    female, male = row(result, "sex", "Female"), row(result, "sex", "Male")
    assert (female["n"], female["above"], female["scoring_rate"]) == (4, 2, 0.5)
    assert (male["n"], male["above"], male["scoring_rate"]) == (5, 4, 0.8)
    assert female["impact_ratio"] == pytest.approx(0.625, abs=TOL)
    assert male["impact_ratio"] == 1.0
    assert male["reference"] is True
    unknown = row(result, "sex", "Unknown")
    assert (unknown["n"], unknown["above"], unknown["excluded"]) == (4, 0, True)
    assert unknown["impact_ratio"] is None


def test_scoring_rate_even_sample_median_is_the_mean_of_the_middle_two() -> None:
    # Scores 1 2 3 4 5 6 → median (3 + 4) / 2 = 3.5: Female {1, 3, 5} has 5 above (1/3),
    # Male {2, 4, 6} has 4 and 6 above (2/3); impact ratio Female = (1/3) / (2/3) = 0.5.
    df = pd.DataFrame({"sex": ["Female", "Male"] * 3, "score": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})
    result = audit_tiny(df, auditor="hiring", sensitive=["sex"], score="score")
    assert result.context["ll144"]["median_score"] == 3.5
    assert row(result, "sex", "Female")["above"] == 1
    assert row(result, "sex", "Male")["above"] == 2
    assert row(result, "sex", "Female")["impact_ratio"] == pytest.approx(0.5, abs=TOL)


def test_decision_and_score_give_selection_and_scoring_tables() -> None:
    # Female: hired 1 of 4, scores 5 5 6 9; Male: hired 3 of 5, scores 5 7 8 9 10.
    # Median of all 9 scores (5 5 5 6 7 8 9 9 10) = 7: Female above 1/4, Male 3/5.
    df = pd.DataFrame(
        {
            "sex": ["Female"] * 4 + ["Male"] * 5,
            "hired": [1, 0, 0, 0, 1, 1, 1, 0, 0],
            "score": [5.0, 5.0, 6.0, 9.0, 5.0, 7.0, 8.0, 9.0, 10.0],
        }
    )
    result = audit_tiny(df, auditor="hiring", sensitive=["sex"], decision="hired", score="score")
    assert [t.name for t in result.tables] == ["sex", "scoring:sex"]
    assert result.context["ll144"]["metric"] == "selection_rate"
    assert result.context["ll144"]["median_score"] == 7.0
    # selection: 0.25 / 0.6; scoring: 0.25 / 0.6 as well, from different counts
    assert row(result, "sex", "Female")["selected"] == 1
    assert row(result, "scoring:sex", "Female")["above"] == 1
    assert row(result, "scoring:sex", "Male")["above"] == 3
    assert row(result, "sex", "Female")["impact_ratio"] == pytest.approx(0.25 / 0.6, abs=TOL)
    assert row(result, "scoring:sex", "Female")["impact_ratio"] == pytest.approx(0.25 / 0.6, abs=TOL)


# --- unknown sex: counted, reported, left out of the comparisons ---------------------------


def test_unknown_sex_is_counted_reported_and_left_out_of_comparisons() -> None:
    known = {"Female": (40, 20), "Male": (40, 30)}
    # 9 unknowns, all selected (rate 1.0, above every known category): missing, "" and "Unknown"
    with_unknown = {**known, None: (3, 3), "": (2, 2), "Unknown": (4, 4)}
    base = ea.audit(applicants("sex", known), auditor="hiring", sensitive=["sex"], decision="hired")
    result = ea.audit(applicants("sex", with_unknown), auditor="hiring", sensitive=["sex"], decision="hired")
    assert result.context["ll144"]["unknown_count"] == {"sex": 9}
    assert result.context["ll144"]["applicants"] == 89  # 40 + 40 + 9
    unknown = row(result, "sex", "Unknown")
    assert (unknown["n"], unknown["selected"], unknown["selection_rate"]) == (9, 9, 1.0)
    assert unknown["excluded"] is True
    assert unknown["reference"] is False
    assert unknown["impact_ratio"] is None
    assert unknown["selection_rate_ratio"] is None
    assert unknown["p_value"] is None
    assert "unknown" in unknown["note"]
    # The reference is the highest *known* rate: Male 30/40 = 0.75; Female 20/40 = 0.5 → 2/3.
    assert table(result, "sex").reference == {"sex": "Male"}
    assert row(result, "sex", "Female")["impact_ratio"] == pytest.approx(0.5 / 0.75, abs=TOL)
    # Adding unknown rows changes nothing about the known categories' rows or findings.
    for sex in ("Female", "Male"):
        assert row(result, "sex", sex) == row(base, "sex", sex)
    assert all("Unknown" not in f.group.values() for f in result.findings)
    assert [f.model_dump() for f in result.findings] == [f.model_dump() for f in base.findings]


def test_unknown_in_either_attribute_leaves_the_intersection_out() -> None:
    df = pd.DataFrame(
        {
            "sex": ["Female"] * 40 + ["Male"] * 40 + [""] * 4 + ["Female"] * 6,
            RACE: [WHITE] * 84 + ["Unknown"] * 6,
            "hired": [1] * 20 + [0] * 20 + [1] * 30 + [0] * 10 + [1] * 4 + [1] * 6,
        }
    )
    # race has one known category only, which the quality gate blocks; proceed with --gate warn
    result = audit_tiny(df, auditor="hiring", sensitive=["sex", RACE], decision="hired", gate="warn")
    assert result.context["ll144"]["unknown_count"] == {"sex": 4, RACE: 6}
    # By sex, Female counts her 6 rows of unknown race: 26 of 46 selected.
    assert (row(result, "sex", "Female")["n"], row(result, "sex", "Female")["selected"]) == (46, 26)
    cross = f"sex*{RACE}"
    assert row(result, cross, "Female", "Unknown")["excluded"] is True
    assert row(result, cross, "Unknown", WHITE)["excluded"] is True
    assert row(result, cross, "Female", "Unknown")["impact_ratio"] is None
    # Intersection: Female/White 20/40 = 0.5 vs Male/White 30/40 = 0.75 → 2/3.
    assert table(result, cross).reference == {"sex": "Male", RACE: WHITE}
    assert row(result, cross, "Female", WHITE)["impact_ratio"] == pytest.approx(2 / 3, abs=TOL)
    assert {tuple(f.group.values()) for f in result.findings if f.table == cross} == {("Female", WHITE)}


# --- categories under 2 % -------------------------------------------------------------------

# White 150/300 = 0.5, Black 57/190 = 0.3, Asian 9/9 = 1.0, 20 unknown (all selected).
# Known applicants: 300 + 190 + 9 = 499 → Asian share 9/499 = 1.80 % < 2 %.
SMALL = {WHITE: (300, 150), BLACK: (190, 57), ASIAN: (9, 9), None: (20, 20)}
JUSTIFICATION = "nine applicants are too few for a meaningful impact ratio"


def test_small_category_is_included_with_a_note_without_justification() -> None:
    result = ea.audit(applicants(RACE, SMALL), auditor="hiring", sensitive=[RACE], decision="hired")
    # Asian has the highest rate (1.0) and is the reference: White 0.5, Black 0.3.
    assert table(result, RACE).reference == {RACE: ASIAN}
    asian = row(result, RACE, ASIAN)
    assert (asian["excluded"], asian["impact_ratio"]) == (False, 1.0)
    assert row(result, RACE, WHITE)["impact_ratio"] == pytest.approx(0.5, abs=TOL)
    assert row(result, RACE, BLACK)["impact_ratio"] == pytest.approx(0.3, abs=TOL)
    notes = [n for n in result.notes if n.startswith("categories under 2 %")]
    assert len(notes) == 1
    assert f"{ASIAN} (1.80%)" in notes[0]
    assert "included" in notes[0]
    # the reference has 9 applicants (< min_group_size 30): the ratios are LL144's, but no
    # comparison can be judged, and the table and the result say what to do
    small_reference = (
        f"the highest-rate category, {ASIAN}, has only 9 applicants (minimum 30): LL144's impact ratios "
        "to it are reported, but no comparison in this table can be judged. A category under 2 % of "
        "applicants may be left out of impact ratios with a justification "
        "(options.exclude_small_categories); otherwise collect more data."
    )
    assert small_reference in table(result, RACE).notes
    assert f"{RACE}: {small_reference}" in result.notes
    assert {f.status for f in result.findings if f.table == RACE} == {"insufficient_data"}
    (small,) = result.context["ll144"]["small_categories"]
    assert small["group"] == {RACE: ASIAN}
    assert small["n"] == 9
    assert small["share"] == pytest.approx(9 / 499, abs=TOL)
    assert result.context["ll144"]["exclusion_justification"] is None


def test_small_category_is_excluded_with_justification_and_cannot_be_the_reference() -> None:
    result = ea.audit(
        applicants(RACE, SMALL),
        auditor="hiring",
        sensitive=[RACE],
        decision="hired",
        options={"exclude_small_categories": {"justification": JUSTIFICATION}},
    )
    asian = row(result, RACE, ASIAN)
    assert asian["excluded"] is True
    assert asian["impact_ratio"] is None
    assert asian["selection_rate_ratio"] is None
    assert asian["reference"] is False
    assert (asian["n"], asian["selection_rate"]) == (9, 1.0)  # still reported
    assert "1.80%" in asian["note"]
    assert JUSTIFICATION in asian["note"]
    # The reference moves to the highest remaining rate, White 0.5: Black 0.3 / 0.5 = 0.6.
    assert table(result, RACE).reference == {RACE: WHITE}
    assert row(result, RACE, WHITE)["impact_ratio"] == 1.0
    assert row(result, RACE, BLACK)["impact_ratio"] == pytest.approx(0.6, abs=TOL)
    assert {f.group[RACE] for f in result.findings} == {BLACK}
    assert not [n for n in result.notes if "under 2 %" in n]
    assert result.context["ll144"]["exclusion_justification"] == JUSTIFICATION
    assert [s["group"] for s in result.context["ll144"]["small_categories"]] == [{RACE: ASIAN}]


def test_category_at_exactly_two_percent_is_not_small() -> None:
    # Asian 10 of 500 known applicants = 2.00 %: not *under* 2 %, so never excluded.
    counts = {WHITE: (300, 150), BLACK: (190, 57), ASIAN: (10, 10)}
    result = ea.audit(
        applicants(RACE, counts),
        auditor="hiring",
        sensitive=[RACE],
        decision="hired",
        options={"exclude_small_categories": {"justification": JUSTIFICATION}},
    )
    assert result.context["ll144"]["small_categories"] == []
    assert row(result, RACE, ASIAN)["excluded"] is False
    assert table(result, RACE).reference == {RACE: ASIAN}


def test_exclusion_needs_a_real_justification() -> None:
    with pytest.raises(ea.SpecError, match="exclude_small_categories"):
        ea.audit(
            applicants(RACE, SMALL),
            auditor="hiring",
            sensitive=[RACE],
            decision="hired",
            options={"exclude_small_categories": {"justification": "small"}},
        )


# --- a category with no selections ----------------------------------------------------------


def test_category_with_no_selections() -> None:
    # White 60/100 = 0.6 (reference), Black 0/50.
    result = ea.audit(
        applicants(RACE, {WHITE: (100, 60), BLACK: (50, 0)}),
        auditor="hiring",
        sensitive=[RACE],
        decision="hired",
    )
    black = row(result, RACE, BLACK)
    assert black["selection_rate"] == 0.0
    assert black["impact_ratio"] == 0.0
    assert black["selection_rate_ratio"] == 0.0
    # Wilson interval at x = 0: lower 0, upper z²/(n + z²) = 3.8415 / 53.8415 = 0.07135.
    assert black["selection_rate_ci_low"] == 0.0
    assert black["selection_rate_ci_high"] == pytest.approx(Z95**2 / (50 + Z95**2), rel=1e-9)
    # Shortfall: ceil(0.8 × 0.6 × 50 − 0) = ceil(24) = 24 more selections.
    assert black["shortfall"] == 24
    # The ratio is 0, so its interval starts at 0; the upper bound is the Katz bound with 0.5 added
    # to every cell (a count is zero):
    #   ratio' = (0.5/50.5) / (60.5/100.5) = 0.016447
    #   se = sqrt(1/0.5 − 1/50.5 + 1/60.5 − 1/100.5) = sqrt(1.986753) = 1.409522
    #   upper = ratio' × exp(1.959964 × se) = 0.260546
    log_ratio = math.log(0.5 / 50.5) - math.log(60.5 / 100.5)
    se = math.sqrt(1 / 0.5 - 1 / 50.5 + 1 / 60.5 - 1 / 100.5)
    assert black["selection_rate_ratio_ci_low"] == 0.0
    assert black["selection_rate_ratio_ci_high"] == pytest.approx(math.exp(log_ratio + Z95 * se), rel=1e-9)
    # z test, pooled: p̄ = 60/150 = 0.4, se = sqrt(0.4 × 0.6 × (1/50 + 1/100)) = 0.0848528,
    # z = (0 − 0.6) / 0.0848528 = −7.0711, p = erfc(7.0711/√2) ≈ 1.5e-12.
    z = (0.0 - 0.6) / math.sqrt(0.4 * 0.6 * (1 / 50 + 1 / 100))
    assert black["z"] == pytest.approx(z, rel=1e-9)
    assert black["p_value_z"] == pytest.approx(math.erfc(abs(z) / math.sqrt(2)), rel=1e-6)
    fisher = stats.fisher_exact([[0, 50], [60, 40]]).pvalue
    assert black["p_value_fisher"] == pytest.approx(fisher, rel=1e-9)
    (finding,) = result.findings
    # ratio 0 < 0.8, and with one comparison Holm leaves the mid-p (≈ 1.6e-15) unchanged.
    assert finding.status == "fail"
    assert finding.value == 0.0
    assert finding.p_adjusted == finding.p_value
    assert finding.details["shortfall"] == 24


def test_impact_ratio_is_undefined_when_nobody_is_selected() -> None:
    # White 0/100, Black 0/50: the highest rate is 0, every impact ratio is 0/0.
    with pytest.warns(ea.UndefinedMetricWarning):
        result = ea.audit(
            applicants(RACE, {WHITE: (100, 0), BLACK: (50, 0)}),
            auditor="hiring",
            sensitive=[RACE],
            decision="hired",
        )
    for race in (WHITE, BLACK):
        assert row(result, RACE, race)["selection_rate"] == 0.0
        assert row(result, RACE, race)["impact_ratio"] is None, race
        assert row(result, RACE, race)["selection_rate_ratio_ci_low"] is None, race
    assert "ratio undefined: the reference group's selection_rate is zero" in row(result, RACE, BLACK)["note"]
    assert result.findings[0].status == "insufficient_data"


# --- reference and impact ratio --------------------------------------------------------------


def test_highest_rate_category_is_the_reference_and_impact_ratio_is_rate_over_highest() -> None:
    # White 90/200 = 0.45, Hispanic 90/150 = 0.6 (highest), Black 36/120 = 0.3, Asian 40/80 = 0.5
    counts = {WHITE: (200, 90), HISPANIC: (150, 90), BLACK: (120, 36), ASIAN: (80, 40)}
    result = ea.audit(applicants(RACE, counts), auditor="hiring", sensitive=[RACE], decision="hired")
    assert table(result, RACE).reference == {RACE: HISPANIC}
    expected = {WHITE: 0.45 / 0.6, HISPANIC: 1.0, BLACK: 0.3 / 0.6, ASIAN: 0.5 / 0.6}
    for race, ratio in expected.items():
        r = row(result, RACE, race)
        assert r["impact_ratio"] == pytest.approx(ratio, abs=TOL)
        assert r["impact_ratio"] == r["selection_rate_ratio"]
        assert r["reference"] is (race == HISPANIC)
    findings = {f.group[RACE]: f for f in result.findings}
    assert set(findings) == {WHITE, BLACK, ASIAN}
    for race, finding in findings.items():
        assert finding.value == pytest.approx(expected[race], abs=TOL)
        assert finding.reference == {RACE: HISPANIC}


# --- four-fifths rule: status, tests, Holm --------------------------------------------------

# White 120/200 = 0.6 is the reference.
#   Black     60/200 = 0.30 → ratio 0.5,    highly significant          → fail
#   Hispanic  27/60  = 0.45 → ratio 0.75,   raw mid-p 0.046, Holm ×2    → warn
#   AIAN       1/10  = 0.10 → ratio 0.167,  10 rows < 30                 → insufficient_data
#   Asian     55/100 = 0.55 → ratio 0.9167 ≥ 0.8                         → pass
# Asian 550/1000 = 0.55 vs White 120/200 = 0.6: ratio 0.917, Katz se = sqrt(1/550 − 1/1000 + 1/120 − 1/200)
# = 0.0644, 95% CI 0.917 × exp(±1.96 × 0.0644) = 0.808–1.04: wholly above 0.8, a pass. (With 55/100 the
# interval, 0.74–1.13, would span both 0.8 and parity: too uncertain to judge.)
FOUR_FIFTHS = {WHITE: (200, 120), BLACK: (200, 60), HISPANIC: (60, 27), AIAN: (10, 1), ASIAN: (1000, 550)}


def holm_by_hand(p: dict[str, float]) -> dict[str, float]:
    """Holm: sort ascending, multiply the j-th smallest by (m − j), keep the running maximum."""
    m = len(p)
    adjusted: dict[str, float] = {}
    running = 0.0
    for j, (key, value) in enumerate(sorted(p.items(), key=lambda kv: kv[1])):
        running = max(running, min(1.0, (m - j) * value))
        adjusted[key] = running
    return adjusted


def mid_p_by_hand(x1: int, n1: int, x2: int, n2: int) -> float:
    """Fisher mid-p from the hypergeometric pmf: P(less probable) + ½ P(as probable)."""
    total, selected = n1 + n2, x1 + x2
    support = np.arange(max(0, n1 - (total - selected)), min(selected, n1) + 1)
    pmf = stats.hypergeom.pmf(support, total, selected, n1)
    observed = stats.hypergeom.pmf(x1, total, selected, n1)
    tie = np.isclose(pmf, observed, rtol=1e-7, atol=0)
    return float(pmf[(pmf < observed) & ~tie].sum() + 0.5 * pmf[tie].sum())


def test_four_fifths_statuses_with_holm_adjusted_p_values() -> None:
    result = ea.audit(applicants(RACE, FOUR_FIFTHS), auditor="hiring", sensitive=[RACE], decision="hired")
    findings = {f.group[RACE]: f for f in result.findings}
    assert set(findings) == {BLACK, HISPANIC, AIAN, ASIAN}
    raw = {race: f.p_value for race, f in findings.items()}
    assert all(p is not None for p in raw.values())
    # LL144's reference is the highest-rate category, chosen by the data, so the family is every
    # pair of the categories large enough to judge (White, Black, Hispanic, Asian: 6 pairs); AIAN
    # (10 rows < 30) is insufficient data by size and spends none of the significance level.
    judged = {race: FOUR_FIFTHS[race] for race in (WHITE, BLACK, HISPANIC, ASIAN)}
    pairs = {
        (a, b): mid_p_by_hand(judged[a][1], judged[a][0], judged[b][1], judged[b][0])
        for i, a in enumerate(judged)
        for b in list(judged)[i + 1 :]
    }
    adjusted = holm_by_hand({f"{a}|{b}": p for (a, b), p in pairs.items()})
    for race in (BLACK, HISPANIC, ASIAN):
        assert findings[race].p_value == pytest.approx(pairs[(WHITE, race)], rel=1e-9)
        assert findings[race].p_adjusted == pytest.approx(adjusted[f"{WHITE}|{race}"], rel=1e-9)
    assert findings[BLACK].status == "fail"
    assert findings[BLACK].value == pytest.approx(0.5, abs=TOL)
    assert findings[BLACK].p_adjusted < 0.05
    # Hispanic: significant alone, not after Holm over the 6 pairs.
    assert raw[HISPANIC] < 0.05 <= adjusted[f"{WHITE}|{HISPANIC}"]
    assert findings[HISPANIC].value == pytest.approx(0.75, abs=TOL)
    assert findings[HISPANIC].status == "warn"
    # AIAN: ratio far below 0.8 and significant alone, but 10 rows < min_group_size 30: not tested.
    assert raw[AIAN] < 0.05
    assert findings[AIAN].p_adjusted is None
    assert findings[AIAN].status == "insufficient_data"
    assert findings[ASIAN].value == pytest.approx(0.55 / 0.6, abs=TOL)
    assert findings[ASIAN].ci_low == pytest.approx(
        0.55 / 0.6 * math.exp(-1.959964 * math.sqrt(1 / 550 - 1 / 1000 + 1 / 120 - 1 / 200)), rel=1e-5
    )
    assert findings[ASIAN].status == "pass"
    assert result.verdict == "fail"
    # Shortfalls: ceil(0.8 × 0.6 × n − x): Black 96 − 60 = 36, Hispanic 28.8 − 27 → 2,
    # AIAN 4.8 − 1 → 4, Asian 480 − 550 < 0 → 0.
    shortfall = {race: row(result, RACE, race)["shortfall"] for race in findings}
    assert shortfall == {BLACK: 36, HISPANIC: 2, AIAN: 4, ASIAN: 0}


def test_four_fifths_z_and_fisher_p_values_by_hand() -> None:
    result = ea.audit(applicants(RACE, FOUR_FIFTHS), auditor="hiring", sensitive=[RACE], decision="hired")
    # Black vs White, pooled z: p̄ = (60 + 120)/400 = 0.45,
    # se = sqrt(0.45 × 0.55 × (1/200 + 1/200)) = sqrt(0.002475) = 0.0497494,
    # z = (0.30 − 0.60) / 0.0497494 = −6.0302, p = erfc(6.0302/√2) = 1.64e-9.
    black = row(result, RACE, BLACK)
    z = (0.30 - 0.60) / math.sqrt(0.45 * 0.55 * (1 / 200 + 1 / 200))
    assert black["z"] == pytest.approx(z, rel=1e-9)
    assert black["p_value_z"] == pytest.approx(math.erfc(abs(z) / math.sqrt(2)), rel=1e-6)
    n_ref, x_ref = FOUR_FIFTHS[WHITE]
    for race in (BLACK, HISPANIC, AIAN, ASIAN):
        n, x = FOUR_FIFTHS[race]
        r = row(result, RACE, race)
        fisher = stats.fisher_exact([[x, n - x], [x_ref, n_ref - x_ref]]).pvalue
        assert r["p_value_fisher"] == pytest.approx(fisher, rel=1e-9), race
        assert r["p_value"] == pytest.approx(mid_p_by_hand(x, n, x_ref, n_ref), rel=1e-9), race
        # The finding's p-value is the mid-p; the others sit in its details.
        finding = next(f for f in result.findings if f.group[RACE] == race)
        assert finding.p_value == r["p_value"]
        assert finding.details["p_value_z"] == r["p_value_z"]
        assert finding.details["p_value_fisher"] == r["p_value_fisher"]


# --- multi-stage funnel ---------------------------------------------------------------------

# Furthest stage reached (applied only / interview / offer):
#   Female: 10 / 6 / 4 (n 20)   Male: 8 / 7 / 5 (n 20)   sex missing: 1 / 1 / 1 (n 3)
# Reached interview = interview + offer: Female 10, Male 12, unknown 2.
# Reached offer: Female 4, Male 5, unknown 1.
#   interview rate (among applied): Female 10/20 = 0.5,  Male 12/20 = 0.6 → ratio 5/6
#   interview cumulative (of all):  the same (everyone applied)
#   offer rate (among interviewed): Female 4/10 = 0.4,   Male 5/12 → ratio 0.4/(5/12) = 0.96
#   offer cumulative (of all):      Female 4/20 = 0.2,   Male 5/20 = 0.25 → ratio 0.8
FUNNEL = {"Female": (10, 6, 4), "Male": (8, 7, 5), None: (1, 1, 1)}
STAGES = ["applied", "interview", "offer"]


def funnel_frame() -> pd.DataFrame:
    sex: list[str | None] = []
    stage: list[str] = []
    for category, counts in FUNNEL.items():
        for name, k in zip(STAGES, counts, strict=True):
            sex += [category] * k
            stage += [name] * k
    advanced = ["No" if s == "applied" else "Yes" for s in stage]
    return pd.DataFrame({"sex": pd.Series(sex, dtype=object), "stage": stage, "advanced": advanced})


def test_stage_tables_give_conditional_and_cumulative_rates() -> None:
    result = audit_tiny(
        funnel_frame(),
        auditor="hiring",
        sensitive=["sex"],
        decision="advanced",
        stage="stage",
        options={"stages": STAGES},
    )
    assert [t.name for t in result.tables] == [
        "sex",
        "stage:interview_rate:sex",
        "stage:interview_cumulative_rate:sex",
        "stage:offer_rate:sex",
        "stage:offer_cumulative_rate:sex",
    ]
    expected = {
        # metric: ({sex: rate}, Female's ratio to Male)
        "interview_rate": ({"Female": 0.5, "Male": 0.6}, 0.5 / 0.6),
        "interview_cumulative_rate": ({"Female": 0.5, "Male": 0.6}, 0.5 / 0.6),
        "offer_rate": ({"Female": 0.4, "Male": 5 / 12}, 0.96),
        "offer_cumulative_rate": ({"Female": 0.2, "Male": 0.25}, 0.8),
    }
    for metric, (rates, ratio) in expected.items():
        name = f"stage:{metric}:sex"
        assert table(result, name).metric == metric
        assert table(result, name).reference == {"sex": "Male"}
        for sex, rate in rates.items():
            assert row(result, name, sex)[metric] == pytest.approx(rate, abs=TOL), (name, sex)
        assert row(result, name, "Female")[f"{metric}_ratio"] == pytest.approx(ratio, abs=TOL)
        unknown = row(result, name, "Unknown")
        assert unknown["excluded"] is True
        assert unknown[f"{metric}_ratio"] is None
    counts = {
        sex: tuple(row(result, "sex", sex)[f"reached_{s}"] for s in STAGES)
        for sex in ("Female", "Male", "Unknown")
    }
    assert counts == {"Female": (20, 10, 4), "Male": (20, 12, 5), "Unknown": (3, 2, 1)}
    # Unknown row's own rates are still reported: offer among interviewed 1/2.
    assert row(result, "stage:offer_rate:sex", "Unknown")["offer_rate"] == 0.5
    # Conditional rates are judged; cumulative ones are descriptive. Reaching interview is the
    # decision itself ("advanced"), so that stage is reported but judged once, as the selection rate.
    judged = {f.table for f in result.findings}
    assert judged == {"sex", "stage:offer_rate:sex"}
    assert any("not tested twice" in note for note in table(result, "stage:interview_rate:sex").notes)
    assert result.context["ll144"]["stages"] == STAGES


def test_stage_column_needs_the_stage_order() -> None:
    with pytest.raises(ea.SpecError, match=r"options\.stages"):
        ea.audit(funnel_frame(), auditor="hiring", sensitive=["sex"], decision="advanced", stage="stage")


# --- test data ---------------------------------------------------------------------------------


def test_test_data_requires_a_reason() -> None:
    df = applicants("sex", {"Female": (40, 20), "Male": (40, 30)})
    with pytest.raises(ea.SpecError, match="test_data_reason"):
        ea.audit(df, auditor="hiring", sensitive=["sex"], decision="hired", kind="test")
    reason = "the tool has not been used yet; applicants were simulated"
    result = ea.audit(
        df, auditor="hiring", sensitive=["sex"], decision="hired", kind="test", test_data_reason=reason
    )
    assert result.data.kind == "test"
    assert result.context["ll144"]["data_kind"] == "test"
    assert result.context["ll144"]["test_data_reason"] == reason
    assert any(reason in note for note in result.notes)


# --- the committed sample ----------------------------------------------------------------------


def test_committed_sample_matches_pandas() -> None:
    result = ea.audit(
        HIRING_CSV,
        auditor="hiring",
        sensitive=["sex", RACE],
        decision="advanced",
        score="screen_score",
    )
    df = pd.read_csv(HIRING_CSV)
    known = df.dropna(subset=["sex"])
    selection = known.groupby("sex")["advanced"].apply(lambda s: (s == "Yes").mean())
    median = df["screen_score"].median()  # over all 5,000 rows, sex known or not
    scoring = known.groupby("sex")["screen_score"].apply(lambda s: (s > median).mean())
    assert result.context["ll144"]["applicants"] == len(df) == 5000
    assert result.context["ll144"]["unknown_count"] == {
        "sex": int(df["sex"].isna().sum()),
        RACE: int(df[RACE].isna().sum()),
    }
    assert result.context["ll144"]["median_score"] == pytest.approx(median, abs=TOL)
    assert selection["Male"] > selection["Female"]
    assert row(result, "sex", "Female")["impact_ratio"] == pytest.approx(
        selection["Female"] / selection["Male"], abs=TOL
    )
    assert row(result, "sex", "Male")["impact_ratio"] == 1.0
    assert row(result, "scoring:sex", "Female")["impact_ratio"] == pytest.approx(
        scoring["Female"] / scoring.max(), abs=TOL
    )
    # Categories under 2 % of applicants with known race (pandas: share of non-missing rows).
    shares = df[RACE].value_counts(normalize=True)
    small = {
        s["group"][RACE]: s["share"]
        for s in result.context["ll144"]["small_categories"]
        if s["table"] == RACE
    }
    assert small == pytest.approx(shares[shares < 0.02].to_dict(), abs=TOL)
    assert set(small) == {AIAN, "Native Hawaiian or Other Pacific Islander"}


# --- §5-303 facts the spec leaves unsaid --------------------------------------------------------


def audit_spec_mapping(data: dict[str, Any], options: dict[str, Any] | None = None) -> ea.AuditResult:
    """A hiring audit of the spec ``data`` block as written (``ea.audit`` always states data.kind)."""
    from equityaudit.engine import run_spec
    from equityaudit.spec_loading import spec_from_mapping

    spec = spec_from_mapping(
        {
            "equityaudit": 1,
            "name": "unsaid",
            "auditor": "hiring",
            "data": data,
            "columns": {"sensitive": ["sex"], "decision": "hired"},
            "options": options or {},
        },
        origin="test",
    )
    return run_spec(spec, frame=applicants("sex", {"Female": (40, 20), "Male": (40, 30)}))


def test_unstated_distribution_date_and_data_kind_are_noted_not_assumed() -> None:
    result = audit_spec_mapping({})
    block = result.context["ll144"]
    assert block["distribution_date"] is None
    assert block["data_kind_stated"] is False
    assert block["unstated"] == ["options.distribution_date", "data.kind"]
    notes = [n for n in result.notes if n.startswith("LL144 summary incomplete")]
    assert len(notes) == 2
    assert "options.distribution_date" in notes[0] and "§5-303" in notes[0]
    assert "data.kind" in notes[1]


def test_stated_distribution_date_and_data_kind_leave_no_note() -> None:
    result = audit_spec_mapping({"kind": "historical"}, {"distribution_date": "2025-03-01"})
    block = result.context["ll144"]
    assert (block["distribution_date"], block["data_kind"], block["data_kind_stated"]) == (
        "2025-03-01",
        "historical",
        True,
    )
    assert block["unstated"] == []
    assert not [n for n in result.notes if n.startswith("LL144 summary incomplete")]


# --- the intersection is not optional -------------------------------------------------------------


def test_intersectional_false_is_refused_for_the_hiring_auditor(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from equityaudit.cli import main

    df = pd.DataFrame(
        {"sex": ["Female", "Male"] * 40, RACE: [WHITE] * 40 + [BLACK] * 40, "hired": [1, 0] * 40}
    )
    reason = (
        "columns.intersectional is false, but the hiring auditor audits sex, race/ethnicity and their "
        "intersection, as NYC Local Law 144 requires impact ratios for the intersectional categories "
        "(6 RCNY §5-301); remove 'intersectional: false', or use 'auditor: decisions' for an audit without "
        "the intersection."
    )
    with pytest.raises(ea.SpecError) as caught:
        audit_tiny(df, auditor="hiring", sensitive=["sex", RACE], decision="hired", intersectional=False)
    assert str(caught.value) == f"<spec>: {reason}"
    df.to_csv(tmp_path / "d.csv", index=False)
    spec = tmp_path / "s.yaml"
    spec.write_text(
        "equityaudit: 1\nname: s\nauditor: hiring\ndata: {path: d.csv}\n"
        f"columns: {{sensitive: [sex, {RACE}], decision: hired, intersectional: false}}\n"
    )
    out = CliRunner().invoke(main, ["run", str(spec), "--out", str(tmp_path / "r")])
    assert out.exit_code == 2
    assert f"{spec}: {reason}" in " ".join(out.output.split())
    # stated true, or left out, the intersection is audited
    for given in ({"intersectional": True}, {}):
        result = audit_tiny(df, auditor="hiring", sensitive=["sex", RACE], decision="hired", **given)
        assert "sex*race_ethnicity" in [t.name for t in result.tables]


def test_categories_outside_the_eeo1_list_are_noted() -> None:
    # 'Black' and 'Latino' are not EEO-1 labels ('Black or African American', 'Hispanic or
    # Latino'); 'White' is. The audit runs, and its notes name the two to map.
    data = applicants("race_ethnicity", {WHITE: (100, 40), "Black": (100, 30), "Latino": (100, 35)})
    result = audit_tiny(data, auditor="hiring", sensitive="race_ethnicity", decision="hired")
    (note,) = [n for n in result.notes if "outside the EEO-1 list" in n]
    assert note.startswith(
        "column 'race_ethnicity' has categories outside the EEO-1 list: ['Black', 'Latino']; LL144 audits "
        "use the EEO-1 categories ["
    )
    assert note.endswith("Map them before a public audit.")
    clean = applicants("race_ethnicity", {WHITE: (100, 40), BLACK: (100, 30), HISPANIC: (100, 35)})
    mapped = audit_tiny(clean, auditor="hiring", sensitive="race_ethnicity", decision="hired")
    assert not [n for n in mapped.notes if "outside the EEO-1 list" in n]
