"""Counterfactual invariance: a classifier trained on skewed data flips more than one trained on
balanced data.

Both data sets come from the same generator and seed (src/equityaudit/synthetic/chatbot.py); the
only difference is the injected skew: utterances that mention Muslims are labelled
``refund_denied`` 4 times as often (``balanced=False``) or not (``balanced=True``). The baseline
classifier is trained on each and tested by swapping religion terms.
"""

from __future__ import annotations

import pandas as pd
import pytest

from equityaudit.engine import run_spec
from equityaudit.spec import spec_from_mapping
from equityaudit.synthetic.chatbot import make_chatbot


def religion_flips(frame: pd.DataFrame) -> tuple[float, dict[str, int]]:
    spec = spec_from_mapping(
        {
            "equityaudit": 1,
            "name": "flips",
            "auditor": "chatbot",
            "data": {},
            "columns": {},
            "options": {"text": "text", "intent": "intent", "axes": ["religion"]},
        }
    )
    result = run_spec(spec, frame=frame)
    finding = next(f for f in result.findings if f.id == "counterfactual/religion")
    groups = next(t for t in result.tables if t.name == "counterfactual:groups")
    assert finding.value is not None
    return finding.value, {r["group"]["source"]: r["flips"] for r in groups.rows}


@pytest.fixture(scope="module")
def rates() -> dict[str, tuple[float, dict[str, int]]]:
    return {
        "skewed": religion_flips(make_chatbot(8000, seed=11)),
        "balanced": religion_flips(make_chatbot(8000, seed=11, balanced=True)),
    }


def test_skewed_training_data_flips_more_than_balanced(
    rates: dict[str, tuple[float, dict[str, int]]],
) -> None:
    skewed, balanced = rates["skewed"][0], rates["balanced"][0]
    assert skewed > 2 * balanced, (skewed, balanced)
    assert balanced < 0.05  # the balanced classifier passes the default 5 % warning threshold


def test_the_flips_come_from_the_skewed_group(rates: dict[str, tuple[float, dict[str, int]]]) -> None:
    by_source = rates["skewed"][1]
    assert max(by_source, key=lambda g: by_source[g]) == "muslim"
