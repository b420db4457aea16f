"""The chatbot auditor judges representation, intent skew and response gaps by the one rule of
``equityaudit.judging`` (docs/chatbot.md, "How findings are judged"): beyond the threshold, ``fail``
when significant after correction, otherwise ``warn`` — or ``fail`` regardless with
``thresholds.require_significance: false``; on the right side with an interval reaching past the
threshold and no significant difference, ``inconclusive``.

The frame below is made by hand so that each comparison is beyond its threshold but far from
significant; every expected number is worked out in the comments.
"""

from __future__ import annotations

from math import comb
from typing import Any

import pandas as pd
import pytest

from equityaudit.engine import run_spec
from equityaudit.results import AuditResult, Finding
from equityaudit.spec_loading import spec_from_mapping

REFUSAL = "I'm sorry but I can't help with that."  # "i'm sorry but" is a lexicon refusal phrase
ANSWER = "Done, thank you."

# 19 utterances mention women, 11 men (30 mention a gender: the "(any)" group), 40 mention none.
# intent refund_request: 9 of the 30 (0.3) against 8 of the 40 (0.2); the rest are order_status.
# refusals: 3 of the 30 responses (0.1) against 2 of the 40 (0.05).
ROWS = (
    [("my wife asked", "refund_request", REFUSAL)] * 3
    + [("my wife asked", "refund_request", ANSWER)] * 6
    + [("my wife asked", "order_status", ANSWER)] * 10
    + [("my husband asked", "order_status", ANSWER)] * 11
    + [("hello there", "refund_request", REFUSAL)] * 2
    + [("hello there", "refund_request", ANSWER)] * 6
    + [("hello there", "order_status", ANSWER)] * 32
)


def audit(**thresholds: Any) -> AuditResult:
    frame = pd.DataFrame(
        {
            "text": [f"{text} about order {i}" for i, (text, _, _) in enumerate(ROWS)],
            "intent": [intent for _, intent, _ in ROWS],
            "response": [response for _, _, response in ROWS],
        }
    )
    spec = spec_from_mapping(
        {
            "equityaudit": 1,
            "name": "chatbot-judging",
            "auditor": "chatbot",
            "data": {},
            "thresholds": thresholds,
            "options": {
                "text": "text",
                "intent": "intent",
                "response": "response",
                "axes": ["gender"],
                "population_shares": {"gender": {"women": 0.5, "men": 0.5}},  # the former name of targets
                "kinship": True,  # "my wife", "my husband" are the gender mentions here
                "counterfactual": {"enabled": False},
            },
        }
    )
    return run_spec(spec, frame=frame)


def finding(result: AuditResult, finding_id: str) -> Finding:
    return next(f for f in result.findings if f.id == finding_id)


# representation: men are 11 of 30 gender mentions against a target share of 0.5: 0.3667 / 0.5
# intent skew: refund_request in 9/30 = 0.3 of "(any)" against 8/40 = 0.2 of "(none)": 1.5, above
#   the band's upper edge 1 / 0.8 = 1.25
# refusals: the reference's rate ÷ the group's = (2/40) / (3/30) = 0.05 / 0.1 = 0.5 < 0.8
BEYOND = {
    "representation/gender/men": (11 / 30) / 0.5,
    "intent/gender/(any)/refund_request": (9 / 30) / (8 / 40),
    "response/gender/(any)/refusal_rate": (2 / 40) / (3 / 30),
}


@pytest.fixture(scope="module")
def default() -> AuditResult:
    return audit()


@pytest.mark.parametrize("finding_id", list(BEYOND))
def test_beyond_the_threshold_but_not_significant_warns(default: AuditResult, finding_id: str) -> None:
    found = finding(default, finding_id)
    assert found.value == pytest.approx(BEYOND[finding_id])
    assert found.p_adjusted is not None and found.p_adjusted >= 0.05
    assert found.status == "warn", found.message
    assert "but not statistically significant" in found.message


@pytest.mark.parametrize("finding_id", list(BEYOND))
def test_require_significance_false_fails_every_comparison(finding_id: str) -> None:
    found = finding(audit(require_significance=False), finding_id)
    assert found.value == pytest.approx(BEYOND[finding_id])
    assert found.status == "fail"
    assert "not statistically significant" in found.message
    assert "thresholds.require_significance is false" in found.message


def test_the_representation_p_value_by_hand(default: AuditResult) -> None:
    # exact two-sided binomial test of 11 of 30 at p = 0.5 (symmetric): 2 × P(X ≤ 11)
    by_hand = 2 * sum(comb(30, k) for k in range(12)) / 2**30
    assert by_hand == pytest.approx(0.2005, abs=1e-4)
    assert finding(default, "representation/gender/men").p_value == pytest.approx(by_hand)


def test_inside_the_band_with_a_wide_interval_is_inconclusive_whatever_require_significance(
    default: AuditResult,
) -> None:
    # order_status: 21/30 = 0.7 of "(any)" against 32/40 = 0.8 of "(none)": 0.875, inside 0.8–1.25;
    # Katz interval: log SE = sqrt(0.3/21 + 0.2/32) = 0.1433, so 0.875 × exp(∓1.96 × 0.1433)
    # = 0.661–1.159, reaching below 0.8, and the difference is not significant: inconclusive
    for result in (default, audit(require_significance=False)):
        found = finding(result, "intent/gender/(any)/order_status")
        assert found.value == pytest.approx(0.7 / 0.8)
        assert (found.ci_low, found.ci_high) == (
            pytest.approx(0.661, abs=1e-3),
            pytest.approx(1.159, abs=1e-3),
        )
        assert found.status == "inconclusive", found.message
        assert "inconclusive" in found.message
