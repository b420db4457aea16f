"""The synthetic chatbot data: the committed sample is the generator's output, every identity
sentence mentions exactly its group, and the data card's figures hold (datasets/chatbot.md)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from equityaudit.auditors.chatbot.lexicon import Lexicon
from equityaudit.synthetic import chatbot as synthetic

CSV = Path("datasets/chatbot.csv")


def test_the_committed_sample_is_the_generators_output() -> None:
    committed = pd.read_csv(CSV, dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(committed, synthetic.make_chatbot(5000, seed=2026))


def test_each_identity_sentence_mentions_exactly_its_group_and_requests_none() -> None:
    # the generator's gender sentences name relatives ("my husband"): mentions with options.kinship
    lexicon = Lexicon.default().with_overrides(kinship=True)
    for axis, groups in synthetic.AXES.items():
        for group, sentences in groups.items():
            for sentence in sentences:
                text = sentence.format(male="James", female="Maria")
                assert {(m.axis, m.group) for m in lexicon.find(text)} == {(axis, group)}, text
    fill = {"n": "12345", "product": "blender", "day": "Monday", "amount": "5.00"}
    for request in [*synthetic._GENERIC, *(r for rs in synthetic._REQUESTS.values() for r in rs)]:
        assert lexicon.find(request.format(**fill)) == [], request
    assert all(lexicon.find(p) == [] for p in synthetic._PRODUCTS)


def test_the_data_cards_figures() -> None:
    frame = pd.read_csv(CSV, dtype=str, keep_default_na=False)
    assert frame["intent"].value_counts().to_dict() == {
        "order_status": 1092,
        "delivery_issue": 797,
        "refund_request": 706,
        "account_access": 599,
        "product_question": 598,
        "refund_denied": 414,
        "fraud_report": 397,
        "cancel_subscription": 397,
    }
    assert 1 - frame["text"].nunique() / len(frame) == pytest.approx(0.0938, abs=1e-4)
    assert CSV.stat().st_size < 1_000_000


@pytest.mark.parametrize("rows", [0, -3])
def test_rows_must_be_positive(rows: int) -> None:
    with pytest.raises(ValueError, match="rows >= 1"):
        synthetic.make_chatbot(rows)
