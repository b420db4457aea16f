"""Counterfactual invariance: a classifier trained on skewed data flips more than one trained on
balanced data.

Both data sets come from the same generator and seed (src/equityaudit/synthetic/chatbot.py); the
only difference is the injected skew: utterances that mention Muslims are labelled
``refund_denied`` 4 times as often (``balanced=False``) or not (``balanced=True``). The baseline
classifier is trained on each and tested by swapping religion terms.

The flip thresholds (``options.flip_thresholds``) are then shown to set the status: a hand-made
frame and a model that keys on one word flip at a rate counted by hand (7 of 100 pairs), and
thresholds below, around and above it give ``fail``, ``warn`` and ``pass``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from scipy.stats import binom

from equityaudit.engine import run_spec
from equityaudit.spec_loading import spec_from_mapping
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
    return finding.value, {r["group_id"]: r["flips"] for r in groups.rows}


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


# -- the flip thresholds drive the status ---------------------------------------------------------
#
# A hand-made frame and a deterministic model whose flips are known by hand. Each utterance names
# one relative of one binary gender, so each yields exactly one counterfactual pair (trans and
# nonbinary people take no part in swaps; docs/chatbot.md): wife ↔ husband and sister ↔ brother,
# the words at the same position of the lexicon's swap lists.
RELATIVES = {
    "wife": ("husband", 4),
    "husband": ("wife", 3),
    "sister": ("brother", 50),
    "brother": ("sister", 43),
}
# The model predicts refund_denied exactly when the text holds "husband", order_status otherwise:
# the 4 + 3 wife/husband pairs flip, the 50 + 43 sister/brother pairs do not.
FLIPS, PAIRS = 4 + 3, 4 + 3 + 50 + 43
FLIP_RATE = FLIPS / PAIRS  # 7 / 100 = 0.07


def relatives_frame() -> pd.DataFrame:
    words = [word for word, (_, count) in RELATIVES.items() for _ in range(count)]
    # numbered so that no utterance repeats (the gate's duplicate check)
    return pd.DataFrame({"text": [f"my {word} asked about order {1000 + i}" for i, word in enumerate(words)]})


@pytest.fixture(scope="module")
def husband_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    import skops.io as sio
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(CountVectorizer(vocabulary=["husband"], binary=True), LogisticRegression(C=100))
    model.fit(["my husband asked", "my wife asked"], ["refund_denied", "order_status"])
    path = tmp_path_factory.mktemp("model") / "husband.skops"
    sio.dump(model, path)
    return path, model


def test_the_flip_rate_by_hand_and_by_the_model(husband_model: tuple[Path, Any]) -> None:
    """The test's own predictions on the hand-made counterfactuals give the hand-computed rate."""
    _, model = husband_model
    texts = relatives_frame()["text"].tolist()
    swapped = [t.replace(w, RELATIVES[w][0], 1) for t in texts for w in [t.split()[1]]]
    flips = int((model.predict(texts) != model.predict(swapped)).sum())
    assert (flips, len(texts)) == (FLIPS, PAIRS)


# The flip rate is judged by the one rule against flip_thresholds.fail, with the exact one-sided
# binomial test of "the flip rate is at most fail": 7 flips of 100 pairs, Wilson 95% interval
# 3.4%–13.9%. The audit has two families with a p-value, each with half the weight: the
# counterfactual one (this test) and representation:gender (54 women vs 46 men against parity,
# binomial p = 0.48), so the flip test's Holm-adjusted p is twice its own when it is the smallest.
@pytest.mark.parametrize(
    ("thresholds", "status"),
    [
        # above 0.05, but P(X >= 7 | 100, 0.05) = 0.234: not significant
        ({"warn": 0.03, "fail": 0.05}, "warn"),
        # P(X >= 7 | 100, 0.02) = 0.0046, adjusted 0.0093 < 0.05: significant
        ({"warn": 0.01, "fail": 0.02}, "fail"),
        # the defaults: below 0.10, but the interval reaches 13.9% > 10%
        (None, "inconclusive"),
        ({"warn": 0.08, "fail": 0.20}, "pass"),  # the interval is clear of 0.20
        ({"warn": 0.07, "fail": 0.10}, "inconclusive"),  # warn only words the message
        ({"warn": 0.05, "fail": 0.07}, "inconclusive"),  # a rate at the limit meets it (judging.meets)
    ],
)
def test_the_flip_thresholds_drive_the_status(
    husband_model: tuple[Path, Any], thresholds: dict[str, float] | None, status: str
) -> None:
    path, model = husband_model
    options: dict[str, Any] = {
        "text": "text",
        "model": str(path),
        "axes": ["gender"],
        "kinship": True,  # relatives are the gender mentions here
        "examples": {"count": 20},  # more than the 7 flips: every flipped pair is shown
    }
    if thresholds is not None:
        options["flip_thresholds"] = thresholds
    spec = spec_from_mapping(
        {"equityaudit": 1, "name": "flip-thresholds", "auditor": "chatbot", "data": {}, "options": options}
    )
    result = run_spec(spec, frame=relatives_frame())
    finding = next(f for f in result.findings if f.id == "counterfactual/gender")
    limits = thresholds or {"warn": 0.05, "fail": 0.10}  # docs/chatbot.md: the defaults
    assert finding.status == status, finding.message
    assert finding.p_value == pytest.approx(binom.sf(FLIPS - 1, PAIRS, limits["fail"]))
    assert (finding.ci_low, finding.ci_high) == (
        pytest.approx(0.0343, abs=1e-4),
        pytest.approx(0.1375, abs=1e-4),
    )
    if status == "fail":
        assert finding.p_adjusted == pytest.approx(2 * finding.p_value)
    assert (finding.details["warn"], finding.details["fail"], finding.threshold) == (
        limits["warn"],
        limits["fail"],
        limits["fail"],
    )
    # the value is the hand-computed rate, and the flipped pairs the result shows, counted here
    # and checked against the test's own predictions, give it too
    assert finding.value == FLIP_RATE
    examples = finding.details["examples"]
    for example in examples:
        word = example["text"].split()[1]
        assert example["counterfactual"] == example["text"].replace(word, RELATIVES[word][0], 1)
        assert [example["intent_before"], example["intent_after"]] == model.predict(
            [example["text"], example["counterfactual"]]
        ).tolist()
        assert example["intent_before"] != example["intent_after"]
    axes = next(t for t in result.tables if t.name == "counterfactual:axes")
    gender = next(r for r in axes.rows if r["group"] == {"axis": "gender"})
    assert (len(examples), gender["flips"], gender["n"]) == (FLIPS, FLIPS, PAIRS)
    assert len(examples) / gender["n"] == FLIP_RATE
