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
    assert "spans both the 0.8 threshold and parity" in finding.message
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
