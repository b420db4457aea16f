"""How comparisons become statuses: the rules of auditors/comparison.judge, with hand-built cases."""

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


def test_a_ratio_above_the_threshold_with_an_interval_spanning_threshold_and_parity_is_undecided() -> None:
    # A 17/40 vs B 20/40: ratio 0.85; Katz se = sqrt(1/17 − 1/40 + 1/20 − 1/40) = 0.2865,
    # 95% CI 0.85 × exp(±1.96 × 0.2865) = 0.485–1.49: it reaches below 0.8 and above 1.
    result = audit({"A": (40, 17), "B": (40, 20)})
    finding = result.findings[0]
    se = math.sqrt(1 / 17 - 1 / 40 + 1 / 20 - 1 / 40)
    assert finding.ci_low == pytest.approx(0.85 * math.exp(-1.959964 * se), rel=1e-5)
    assert finding.status == "insufficient_data"
    assert (
        "its interval reaches below the 0.8 threshold and the difference is not statistically significant"
        in (finding.message)
    )
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


def test_a_reference_group_below_the_minimum_size_makes_the_comparison_undecided() -> None:
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
    or undecided (not), never a pass; a pass has its whole interval at or above 0.8."""
    result = ea.run("audits/hiring.yaml")
    ratios = [
        f for f in result.findings if f.kind == "ratio" and f.value is not None and f.ci_low is not None
    ]
    reaching = [f for f in ratios if f.value >= 0.8 and f.ci_low < 0.8]
    assert reaching  # the example has such groups (Hispanic or Latino: 0.852, 0.73-0.99)
    for f in reaching:
        significant = f.p_adjusted is not None and f.p_adjusted < 0.05
        assert f.status == ("warn" if significant else "insufficient_data"), f.id
    assert all(f.ci_low >= 0.8 for f in ratios if f.status == "pass")
    hispanic = next(f for f in reaching if f.id == "race_ethnicity/selection_rate/Hispanic or Latino")
    assert hispanic.status == "insufficient_data"
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
