"""The chatbot result says how many bootstrap replicates its response-gap intervals used, and what
set that number, so that it never contradicts ``audit.thresholds.bootstrap``.

docs/chatbot.md: ``thresholds.bootstrap`` defaults to 0, which for this auditor means its default
of 2,000 replicates; any other value is used as given.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from equityaudit.engine import run_spec
from equityaudit.results import AuditResult
from equityaudit.spec_loading import spec_from_mapping

# 40 utterances mention women, 40 mention no gender; the responses vary in tone and length so
# that a bootstrap over more than one replicate has an interval of some width
TEXTS = [f"my wife asked about order {i}" for i in range(40)] + [f"hello about order {i}" for i in range(40)]
RESPONSES = ["Great news, it has shipped!", "Sorry, it is late.", "It is on its way to you now."] * 26 + [
    "Okay.",
    "Thanks!",
]


def audit(**thresholds: Any) -> AuditResult:
    spec = spec_from_mapping(
        {
            "equityaudit": 1,
            "name": "chatbot-bootstrap",
            "auditor": "chatbot",
            "data": {},
            "thresholds": thresholds,
            "options": {
                "text": "text",
                "response": "response",
                "axes": ["gender"],
                "kinship": True,  # the texts name relatives ("my wife")
                "counterfactual": {"enabled": False},
            },
        }
    )
    return run_spec(spec, frame=pd.DataFrame({"text": TEXTS, "response": RESPONSES}))


def women_row(result: AuditResult) -> dict[str, Any]:
    table = next(t for t in result.tables if t.name == "response:gender")
    return next(r for r in table.rows if r["group"]["gender"] == "women")


def test_the_default_is_recorded_where_thresholds_bootstrap_reads_0() -> None:
    result = audit()
    assert result.audit.thresholds is not None and result.audit.thresholds["bootstrap"] == 0
    recorded = result.context["chatbot"]["responses"]["bootstrap"]
    assert recorded["replicates"] == 2000  # docs/chatbot.md: 0 means this auditor's 2,000
    assert "default" in recorded["set_by"] and "thresholds.bootstrap is 0" in recorded["set_by"]
    assert recorded["seed"] == 0  # thresholds.seed's default
    table = next(t for t in result.tables if t.name == "response:gender")
    assert table.methods["mean_ci"].startswith("percentile bootstrap, 2000 resamples")
    assert any("2000 bootstrap replicates" in note for note in result.notes)
    row = women_row(result)
    assert row["sentiment_mean_ci_low"] < row["sentiment_mean_ci_high"]


def test_a_given_count_is_recorded_and_used() -> None:
    # one replicate: every percentile interval is that replicate's mean, so low == high
    result = audit(bootstrap=1)
    assert result.audit.thresholds is not None and result.audit.thresholds["bootstrap"] == 1
    recorded = result.context["chatbot"]["responses"]["bootstrap"]
    assert recorded == {"replicates": 1, "set_by": "thresholds.bootstrap", "seed": 0}
    assert not any("bootstrap replicates" in note for note in result.notes)
    row = women_row(result)
    assert row["sentiment_mean_ci_low"] == pytest.approx(row["sentiment_mean_ci_high"])
    assert row["words_difference_ci_low"] == pytest.approx(row["words_difference_ci_high"])
