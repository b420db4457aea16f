"""Representation against a stated target, coverage, and over-representation (docs/chatbot.md,
"Representation").

Each frame is made by hand; every expected number is worked out in the comments. The gender axis
of the lexicon has three groups: women, men, trans_nonbinary.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from scipy.stats import binomtest

from equityaudit.engine import run_spec
from equityaudit.results import AuditResult, Finding
from equityaudit.spec_loading import spec_from_mapping


def audit(counts: dict[str, int], *, thresholds: dict[str, Any] | None = None, **options: Any) -> AuditResult:
    texts = {
        "women": "a woman asked",
        "men": "a man asked",
        "trans_nonbinary": "I am nonbinary",
        "none": "hello",
    }
    rows = [f"{texts[group]} about order {group}-{i}" for group, n in counts.items() for i in range(n)]
    spec = spec_from_mapping(
        {
            "equityaudit": 1,
            "name": "representation",
            "auditor": "chatbot",
            "data": {},
            "thresholds": thresholds or {},
            "options": {"text": "text", "axes": ["gender"], **options},
        }
    )
    return run_spec(spec, frame=pd.DataFrame({"text": rows}))


def finding(result: AuditResult, finding_id: str) -> Finding:
    return next(f for f in result.findings if f.id == finding_id)


def test_two_balanced_groups_pass_and_the_absent_one_is_a_coverage_warning() -> None:
    # 200 women, 200 men, no trans or nonbinary mention: parity among the two mentioned, 1/2 each.
    # Wilson 95% interval of 200/400: 0.5 ± 1.96 × sqrt(0.25/400 + 1.96²/(4 × 400²)) / (1 + 1.96²/400)
    # = 0.5 ± 0.04877, so the ratio's is 0.9025–1.0975, clear of the band 0.8–1.25: pass. trans_nonbinary is not judged (no FAIL at 0 %), but named as absent.
    for thresholds in (None, {"require_significance": False}):
        result = audit({"women": 200, "men": 200, "none": 50}, thresholds=thresholds)
        assert [f.status for f in result.findings if f.id.startswith("representation/")] == ["pass", "pass"]
        men = finding(result, "representation/gender/men")
        assert men.value == pytest.approx(1.0)
        assert (men.ci_low, men.ci_high) == (pytest.approx(0.9025, abs=1e-4), pytest.approx(1.0975, abs=1e-4))
        coverage = finding(result, "coverage/gender")
        assert coverage.status == "warn"  # also with require_significance: false
        assert coverage.value == 1
        assert coverage.details["absent"] == ["trans_nonbinary"]
        assert "never mentioned: transgender or nonbinary people" in coverage.message
        assert not [f for f in result.findings if f.status == "fail"]
        table = next(t for t in result.tables if t.name == "gender")
        trans = next(r for r in table.rows if r["group_id"] == "trans_nonbinary")
        assert (trans["excluded"], trans["excluded_reason"], trans["target_share"]) == (True, "absent", None)


def test_display_names_and_per_group_counts() -> None:
    result = audit({"women": 200, "men": 200, "trans_nonbinary": 40})
    table = next(t for t in result.tables if t.name == "gender")
    # the lexicon's display names (name:, else label:), the group's own mentions, the axis total
    assert [(r["group"]["gender"], r["group_id"], r["mentions"]) for r in table.rows] == [
        ("women", "women", 200),
        ("men", "men", 200),
        ("trans/nonbinary", "trans_nonbinary", 40),
    ]
    assert {r["axis_mentions"] for r in table.rows} == {440}
    assert finding(result, "representation/gender/trans_nonbinary").group == {"gender": "trans/nonbinary"}
    assert finding(result, "coverage/gender").status == "pass"


def test_target_shares_under_and_over_representation() -> None:
    # targets women 0.75, men 0.25; 200 of each: shares 0.5. Women 0.5 / 0.75 = 0.667 < 0.8, men
    # 0.5 / 0.25 = 2.0 > 1.25; both binomial tests reject far beyond alpha: women under-, men
    # over-represented, both fail. trans_nonbinary is neither targeted nor mentioned: not judged.
    result = audit({"women": 200, "men": 200, "none": 50}, targets={"gender": {"women": 0.75, "men": 0.25}})
    women, men = finding(result, "representation/gender/women"), finding(result, "representation/gender/men")
    assert women.value == pytest.approx(0.5 / 0.75) and men.value == pytest.approx(2.0)
    assert women.p_value == pytest.approx(binomtest(200, 400, 0.75).pvalue)
    assert men.p_value == pytest.approx(binomtest(200, 400, 0.25).pvalue)
    assert (women.status, men.status) == ("fail", "fail")
    assert "under-represented" in women.message and "over-represented" in men.message
    assert (women.threshold, men.threshold) == (0.8, 1.25)
    assert women.reference == {"gender": "target share"}
    coverage = finding(result, "coverage/gender")
    assert (coverage.status, coverage.value) == ("pass", 0)
    assert "not in options.targets: transgender or nonbinary people (not judged)" in coverage.message


def test_over_representation_against_parity_is_named() -> None:
    # 300 women, 100 men: parity 1/2; women 0.75 / 0.5 = 1.5 over-represented, men 0.25 / 0.5 = 0.5
    # under-represented; binomial p of 300 of 400 at 0.5 is about 1e-24: both fail
    result = audit({"women": 300, "men": 100})
    women, men = finding(result, "representation/gender/women"), finding(result, "representation/gender/men")
    assert (women.value, men.value) == (pytest.approx(1.5), pytest.approx(0.5))
    assert (women.status, men.status) == ("fail", "fail")
    assert women.details["represented"] == "over" and "over-represented" in women.message
    assert men.details["represented"] == "under" and "under-represented" in men.message


def test_a_list_of_groups_is_parity_among_them_and_an_absent_named_group_is_judged() -> None:
    # parity 1/3 among the three named: trans_nonbinary 0 of 400 (Wilson upper 3.84 / 403.84 =
    # 0.0095, ratio at most 0.029) fails; women and men 0.5 × 3 = 1.5 are over-represented
    result = audit({"women": 200, "men": 200}, targets={"gender": ["women", "men", "trans_nonbinary"]})
    trans = finding(result, "representation/gender/trans_nonbinary")
    assert trans.value == 0 and trans.ci_high == pytest.approx(3 * 3.8415 / 403.8415, abs=1e-3)
    assert trans.status == "fail"
    assert finding(result, "representation/gender/women").value == pytest.approx(1.5)
    assert finding(result, "coverage/gender").status == "pass"


def test_too_few_mentions_is_insufficient_data() -> None:
    # 10 + 10 mentions < min_group_size 30: neither share nor an absence can be judged
    result = audit({"women": 10, "men": 10, "none": 30})
    assert {f.id: f.status for f in result.findings} == {
        "representation/gender/women": "insufficient_data",
        "representation/gender/men": "insufficient_data",
        "coverage/gender": "insufficient_data",
    }


def test_population_shares_is_still_read_as_targets() -> None:
    old = audit({"women": 300, "men": 100}, population_shares={"gender": {"women": 0.75, "men": 0.25}})
    new = audit({"women": 300, "men": 100}, targets={"gender": {"women": 0.75, "men": 0.25}})
    assert [(f.id, f.status, f.value) for f in old.findings] == [
        (f.id, f.status, f.value) for f in new.findings
    ]
    assert finding(new, "representation/gender/men").status == "pass"  # exactly on target: 1.0


def test_kinship_words_are_not_gender_mentions_by_default() -> None:
    frame = pd.DataFrame({"text": [f"this is for my son, order {i}" for i in range(40)]})
    spec = spec_from_mapping(
        {
            "equityaudit": 1,
            "name": "kin",
            "auditor": "chatbot",
            "data": {},
            "options": {"text": "text", "axes": ["gender"]},
        }
    )
    result = run_spec(spec, frame=frame)
    counts = next(c for c in result.counts if c.name == "mentions:gender")
    assert {r["group"]["gender"]: r["n"] for r in counts.rows}["men"] == 0
    assert result.context["chatbot"]["kinship"] == {"counted": False, "utterances_with_kinship_words": 40}
    assert any("40 utterances name a relative or partner" in note for note in result.notes)
