"""How comparisons become statuses: the rule of equityaudit.judging, with hand-built cases."""

from __future__ import annotations

import math

import pandas as pd
import pytest

import equityaudit as ea


def audit(counts: dict[str, tuple[int, int]], **kwargs: object) -> ea.AuditResult:
    """A decisions audit of groups given as {group: (n, selected)}."""
    groups, hired = [], []
    for group, (n, selected) in counts.items():
        groups += [group] * n
        hired += [1] * selected + [0] * (n - selected)
    frame = pd.DataFrame({"group": groups, "hired": hired})
    return ea.audit(frame, auditor="decisions", sensitive="group", decision="hired", **kwargs)  # type: ignore[arg-type]


def test_a_ratio_above_the_threshold_with_an_interval_spanning_threshold_and_parity_is_inconclusive() -> None:
    # A 17/40 vs B 20/40: ratio 0.85; Katz se = sqrt(1/17 − 1/40 + 1/20 − 1/40) = 0.2865,
    # 95% CI 0.85 × exp(±1.96 × 0.2865) = 0.485–1.49: it reaches below 0.8 and above 1.
    result = audit({"A": (40, 17), "B": (40, 20)})
    finding = result.findings[0]
    se = math.sqrt(1 / 17 - 1 / 40 + 1 / 20 - 1 / 40)
    assert finding.ci_low == pytest.approx(0.85 * math.exp(-1.959964 * se), rel=1e-5)
    assert finding.status == "inconclusive"  # both groups have 40 >= 30 rows: not "insufficient"
    assert (
        "its interval reaches below the 0.8 threshold and the difference is not statistically significant"
        in (finding.message)
    )
    # rows per group for the interval to clear 0.8 with 80 % power at these rates:
    # V = (1 - 0.425)/0.425 + (1 - 0.5)/0.5 = 2.35294, (1.959964 + 0.841621)^2 = 7.84888,
    # ln(0.85/0.8)^2 = 0.0036752, n = 7.84888 x 2.35294 / 0.0036752 = 5025 -> 5,100 (2 figures, up)
    assert finding.details["rows_to_settle"] == 5100
    assert "About 5,100 rows per group would settle it" in finding.message
    assert result.verdict == "warn"  # never a silent pass


def test_a_significant_difference_whose_interval_reaches_below_the_threshold_warns() -> None:
    # A 850/2000 vs B 1000/2000: ratio 0.85, se = sqrt(1/850 − 1/2000 + 1/1000 − 1/2000) = 0.0342,
    # CI 0.85 × exp(±0.0670) = 0.795–0.909: the point meets 0.8, the interval reaches below it, and
    # z = 0.075 / sqrt(0.4625 × 0.5375 × 2/2000) = 4.76 (p ≈ 2e-6): 29 CFR 1607.4(D) -> a warning
    result = audit({"A": (2000, 850), "B": (2000, 1000)})
    assert result.findings[0].status == "warn"
    assert "at or above the 0.8 threshold, but the difference is statistically significant" in (
        result.findings[0].message
    )


def test_a_significant_difference_whose_interval_stays_above_the_threshold_passes() -> None:
    # A 900/2000 vs B 1000/2000: ratio 0.9, se = sqrt(1/900 − 1/2000 + 1/1000 − 1/2000) = 0.0333,
    # CI 0.9 × exp(±0.0653) = 0.843–0.961; z = 3.17 (p ≈ 0.0015): significant but clear of 0.8 -> pass
    result = audit({"A": (2000, 900), "B": (2000, 1000)})
    finding = result.findings[0]
    assert finding.ci_low is not None and 0.842 < finding.ci_low < 0.844
    assert finding.p_adjusted is not None and finding.p_adjusted < 0.01
    assert finding.status == "pass"


def test_a_reference_group_below_the_minimum_size_is_insufficient_data() -> None:
    # the hiring auditor takes the highest rate whatever the group's size (LL144): a 6-person group
    # at 100 % is the reference; the 1,000-row groups cannot be judged against it
    groups = ["White"] * 1000 + ["Asian"] * 1000 + ["Two or More Races"] * 6
    hired = [1] * 300 + [0] * 700 + [1] * 290 + [0] * 710 + [1] * 6
    frame = pd.DataFrame({"race_ethnicity": groups, "hired": hired})
    result = ea.audit(frame, auditor="hiring", sensitive="race_ethnicity", decision="hired", gate="warn")
    assert result.tables[0].reference == {"race_ethnicity": "Two or More Races"}
    large = [f for f in result.findings if f.group["race_ethnicity"] in ("White", "Asian")]
    assert [f.status for f in large] == ["insufficient_data", "insufficient_data"]
    assert all("the reference group has only 6 rows (minimum 30)" in f.message for f in large)


def test_a_ratio_of_exactly_four_fifths_meets_the_threshold() -> None:
    # A 600/1000 vs B 750/1000: the ratio is 4/5 exactly, 0.7999999999999999 in floating point.
    # 29 CFR 1607.4(D) flags a ratio *less than* four-fifths, so this is not a fail. Katz se =
    # sqrt(1/600 - 1/1000 + 1/750 - 1/1000) = 0.0316, CI 0.8 x exp(+-0.062) = 0.752-0.851, reaching
    # below 0.8; z = 0.15 / sqrt(0.675 x 0.325 x 2/1000) = 7.16: significant -> the 1607.4(D) warning.
    assert (600 / 1000) / (750 / 1000) < 0.8
    finding = audit({"A": (1000, 600), "B": (1000, 750)}).findings[0]
    assert finding.status == "warn"
    assert "ratio 0.800 (95% CI 0.75–0.85): at or above the 0.8 threshold" in finding.message
    assert finding.details["shortfall"] == 0


def test_an_interval_reaching_below_the_threshold_is_never_a_pass() -> None:
    """More evidence only moves a finding towards a decision: in the example hiring audit, every
    ratio at or above 0.8 whose interval reaches below 0.8 is a warning (significant after Holm)
    or inconclusive (not), never a pass; a pass has its whole interval at or above 0.8."""
    result = ea.run("audits/hiring.yaml")
    ratios = [
        f for f in result.findings if f.kind == "ratio" and f.value is not None and f.ci_low is not None
    ]
    reaching = [f for f in ratios if f.value >= 0.8 and f.ci_low < 0.8]
    assert reaching  # the example has such groups (Hispanic or Latino: 0.852, 0.73-0.99)
    for f in reaching:
        significant = f.p_adjusted is not None and f.p_adjusted < 0.05
        large = f.details["denominator"] >= 30 and f.details["n"] >= 30
        assert f.status == (
            "insufficient_data" if not large else "warn" if significant else "inconclusive"
        ), f.id
    assert all(f.ci_low >= 0.8 for f in ratios if f.status == "pass")
    hispanic = next(f for f in reaching if f.id == "race_ethnicity/selection_rate/Hispanic or Latino")
    assert hispanic.status == "inconclusive"
    assert "its interval reaches below the 0.8 threshold and the difference is not statistically" in (
        hispanic.message
    )


def test_stage_rates_count_a_group_by_the_stage_denominator() -> None:
    # 100 Hispanic applicants of whom 3 reach interview and all 3 an offer (offer rate 3/3 = 100 %),
    # 400 Black and 400 White applicants all interviewed, 180 of each offered (45 %). The offer
    # rate's denominator is those interviewed: Hispanic has 3, under min_group_size (30), so it is
    # neither the reference nor judged; the reference is the highest-rate category with at least 30
    # interviewed (Black, 45 %), and White's ratio is 1.
    rows = []
    for race, n, interviewed, offered in (
        ("Hispanic or Latino", 100, 3, 3),
        ("Black or African American", 400, 400, 180),
        ("White", 400, 400, 180),
    ):
        for i in range(n):
            stage = "offer" if i < offered else "interview" if i < interviewed else "applied"
            rows.append({"race_ethnicity": race, "stage": stage, "advanced": int(i < interviewed)})
    result = ea.audit(
        pd.DataFrame(rows),
        auditor="hiring",
        sensitive="race_ethnicity",
        decision="advanced",
        stage="stage",
        options={"stages": ["applied", "interview", "offer"]},
    )
    (offer,) = [t for t in result.tables if t.name == "stage:offer_rate:race_ethnicity"]
    assert offer.reference == {"race_ethnicity": "Black or African American"}
    findings = {f.group["race_ethnicity"]: f for f in result.findings if f.table == offer.name}
    assert findings["White"].value == pytest.approx(1.0)
    assert findings["Hispanic or Latino"].status == "insufficient_data"
    assert (
        "only 3 reached interview (the rate's denominator) (minimum 30)"
        in findings["Hispanic or Latino"].message
    )


def _mid_p(x1: int, n1: int, x2: int, n2: int) -> float:
    """Two-sided Fisher mid-p from scipy's hypergeometric distribution (independent of ours)."""
    from scipy.stats import hypergeom

    total, selected = n1 + n2, x1 + x2
    support = range(max(0, n1 - (total - selected)), min(selected, n1) + 1)
    pmf = [hypergeom.pmf(k, total, selected, n1) for k in support]
    observed = hypergeom.pmf(x1, total, selected, n1)
    less = sum(p for p in pmf if p < observed * (1 - 1e-7))
    equal = sum(p for p in pmf if abs(p - observed) <= observed * 1e-7)
    return float(less + 0.5 * equal)


def test_a_data_chosen_reference_is_judged_among_every_pair() -> None:
    # A 60/200, B 60/200, C 40/200. With max_rate the reference (A: tie, first) is chosen by the
    # data, so the family is the 3 pairs: C's Holm-adjusted p is 3 q with q = mid-p(C vs A) =
    # mid-p(C vs B) the two smallest (Holm: 3 q, then max(3 q, 2 q)). With a fixed reference
    # the family is the 2 comparisons with A: 2 q.
    counts = {"A": (200, 60), "B": (200, 60), "C": (200, 40)}
    q = _mid_p(40, 200, 60, 200)
    chosen = next(f for f in audit(counts).findings if f.group == {"group": "C"})
    fixed = next(f for f in audit(counts, reference={"group": "A"}).findings if f.group == {"group": "C"})
    assert chosen.p_value == pytest.approx(q, rel=1e-9)
    assert chosen.p_adjusted == pytest.approx(3 * q, rel=1e-9)
    assert fixed.p_adjusted == pytest.approx(2 * q, rel=1e-9)


def _labelled(groups: dict[str, tuple[int, int, int, int]]) -> pd.DataFrame:
    """Rows of {group: (positives, true positives, negatives, false positives)}."""
    rows = []
    for group, (positives, tp, negatives, fp) in groups.items():
        rows += [(group, 1, 1)] * tp + [(group, 0, 1)] * (positives - tp)
        rows += [(group, 1, 0)] * fp + [(group, 0, 0)] * (negatives - fp)
    return pd.DataFrame(rows, columns=["group", "hired", "good"])


def test_a_group_without_negatives_stays_in_the_true_positive_rate_gap() -> None:
    # A: TPR 25/35, B: 26/35, C: 35 of 35 positives selected and no negatives (FPR undefined).
    # The TPR gap is over the groups where the TPR is defined: C - A = 1 - 25/35 = 0.2857, as
    # fairlearn's equal_opportunity_difference on the same rows; its pair C vs A has mid-p
    # 4.6e-4, significant in any family of this audit (3 + 3 + 1 pairs) -> fail.
    fairlearn_metrics = pytest.importorskip("fairlearn.metrics")
    frame = _labelled({"A": (35, 25, 40, 10), "B": (35, 26, 40, 10), "C": (35, 35, 0, 0)})
    with pytest.warns(ea.UndefinedMetricWarning, match="fpr"):  # C's FPR: no negatives
        result = ea.audit(
            frame, auditor="decisions", sensitive="group", decision="hired", outcome="good", gate="warn"
        )
    gap = next(f for f in result.findings if f.metric == "equal_opportunity_difference")
    expected = fairlearn_metrics.equal_opportunity_difference(
        frame["good"], frame["hired"], sensitive_features=frame["group"]
    )
    assert gap.value == pytest.approx(expected, abs=1e-12) and gap.value == pytest.approx(10 / 35)
    assert (gap.reference, gap.group) == ({"group": "C"}, {"group": "A"})
    assert gap.p_value == pytest.approx(_mid_p(35, 35, 25, 35), rel=1e-9)
    assert gap.status == "fail"


def test_gaps_screen_groups_on_the_rates_denominator() -> None:
    # D has 108 rows but only 8 positives (none selected: TPR 0): below min_group_size 30 in the
    # TPR's denominator, it is left out of the TPR gap (which would otherwise be 0.74 - 0) but
    # kept in the FPR gap, where it has 100 negatives. The TPR gap is B - A = 26/35 - 25/35.
    frame = _labelled({"A": (35, 25, 40, 10), "B": (35, 26, 40, 10), "D": (8, 0, 100, 25)})
    result = ea.audit(
        frame, auditor="decisions", sensitive="group", decision="hired", outcome="good", gate="warn"
    )
    gap = next(f for f in result.findings if f.metric == "equal_opportunity_difference")
    assert gap.value == pytest.approx(1 / 35)
    assert {gap.group["group"], gap.reference["group"]} == {"A", "B"}  # type: ignore[index]
    assert gap.status == "pass" or gap.status == "inconclusive"


def test_findings_are_listed_worst_first() -> None:
    # A 20/100 fails against C 60/100; B 52/100 is inconclusive (ratio 0.867, CI reaching below
    # 0.8, not significant); E (12 rows) is insufficient data; D 60/100 passes? (ratio 1, CI
    # 0.80-1.25 reaches below 0.8: inconclusive). Whatever each gets, the order is the rule's.
    result = audit({"A": (100, 20), "B": (100, 52), "C": (100, 60), "D": (400, 236), "E": (12, 6)})
    statuses = [f.status for f in result.findings]
    assert statuses == sorted(
        statuses, key=["fail", "warn", "inconclusive", "insufficient_data", "pass"].index
    )
    assert statuses[0] == "fail" and "insufficient_data" in statuses


def test_a_ceiling_limits_how_bad_a_descriptive_finding_can_be() -> None:
    # One family of one hypothesis: the adjusted p is the raw 0.001 (weight 1), significant at
    # 0.05; a gap of 0.30 above a 0.10 limit fails, unless its evidence caps it at warn.
    from equityaudit.judging import Evidence, judge
    from equityaudit.spec import Thresholds

    def evidence(ceiling: str | None) -> Evidence:
        return Evidence(
            id="t/make-up", metric="total_variation_distance", kind="difference", table="t",
            group={}, reference=None, value=0.30, ci_low=None, ci_high=None, p_value=0.001,
            threshold=0.10, adverse="above", family="t", ceiling=ceiling,  # type: ignore[arg-type]
            describe=lambda judgement: judgement.status,
        )  # fmt: skip

    (free,) = judge([evidence(None)], Thresholds())
    (capped,) = judge([evidence("warn")], Thresholds())
    assert (free.status, free.p_adjusted) == ("fail", 0.001)
    assert (capped.status, capped.message, capped.details["status_ceiling"]) == ("warn", "warn", "warn")
