"""Each analysis of the chatbot auditor, called directly on a few hand-made utterances.

Every analysis is a function of an immutable :class:`Utterances` value that returns a new
:class:`Analysis`; these tests call each one without the engine, the gate or the judging step,
and work out every expected number in the comments. The lexicon is cut to the gender axis, whose
groups are women, men and trans_nonbinary (the last takes no part in counterfactual swaps).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

import equityaudit as ea
from backends import CONSTRUCTORS, Constructor
from equityaudit.auditors.chatbot.classifiers import TrainedModel
from equityaudit.auditors.chatbot.counterfactual import counterfactual_invariance
from equityaudit.auditors.chatbot.intents import intent_skew
from equityaudit.auditors.chatbot.lexicon import Lexicon
from equityaudit.auditors.chatbot.options import CounterfactualOptions, FlipThresholds, ResponseGapOptions
from equityaudit.auditors.chatbot.representation import representation
from equityaudit.auditors.chatbot.responses import response_gaps
from equityaudit.auditors.chatbot.utterances import Analysis, Utterances
from equityaudit.judging import Evidence
from equityaudit.results import Table
from equityaudit.spec import Thresholds

GENDER = Lexicon.default().with_overrides(axes=["gender"])


def utterances(texts: list[str], **kwargs: Any) -> Utterances:
    return Utterances.match(GENDER, texts, **kwargs)


def evidence(analysis: Analysis, evidence_id: str) -> Evidence:
    return next(e for e in analysis.evidence if e.id == evidence_id)


def row(table: Table, **group: str) -> dict[str, Any]:
    return next(r for r in table.rows if r["group"] == group)


def test_representation_shares_against_parity_and_coverage() -> None:
    # 6 utterances mention women, 2 men, none trans or nonbinary people, 2 no gender: 8 mentions.
    # By default the target is parity among the groups the data mentions: 1/2 for women and men.
    data = utterances(["a woman asked"] * 6 + ["a man asked"] * 2 + ["hello"] * 2)
    analysis = representation(data, targets={}, thresholds=Thresholds(min_group_size=5))

    (table,) = analysis.tables
    women, men = row(table, gender="women"), row(table, gender="men")
    # share 6/8 = 0.75, ratio 0.75 / 0.5 = 1.5; share 2/8 = 0.25, ratio 0.5; 6 of 10 utterances
    assert (women["mentions"], women["axis_mentions"], women["mention_share"]) == (6, 8, 0.75)
    assert (women["mention_share_ratio"], men["mention_share_ratio"]) == (1.5, 0.5)
    assert women["mention_rate"] == 0.6
    # Wilson 95% for 6/8, z = 1.96: centre (0.75 + z²/16) / (1 + z²/8) = 0.6689, half-width
    # z·sqrt(0.75·0.25/8 + z²/256) / (1 + z²/8) = 0.2596: 0.4093–0.9285, ÷ 0.5 → 0.8186–1.8570
    assert women["mention_share_ci_low"] == pytest.approx(0.40928, abs=1e-4)
    assert women["mention_share_ratio_ci_high"] == pytest.approx(1.85704, abs=1e-4)
    # exact binomial, two-sided, 6 of 8 at 1/2: P(X ≥ 6) + P(X ≤ 2) = 2·(28 + 8 + 1)/256 = 74/256
    assert women["p_value"] == men["p_value"] == 74 / 256
    absent = next(r for r in table.rows if r["group_id"] == "trans_nonbinary")
    assert (absent["n"], absent["excluded_reason"]) == (0, "absent")

    # women above the band [0.8, 1.25] are judged against its upper edge, men against its lower
    over, under = (
        evidence(analysis, "representation/gender/women"),
        evidence(analysis, "representation/gender/men"),
    )
    assert (over.value, over.threshold, over.adverse, over.details["represented"]) == (
        1.5,
        1.25,
        "above",
        "over",
    )
    assert (under.value, under.threshold, under.adverse, under.details["represented"]) == (
        0.5,
        0.8,
        "below",
        "under",
    )
    assert over.family == under.family == "representation:gender"
    assert over.too_small is None  # 8 mentions ≥ min_group_size 5
    coverage = evidence(analysis, "coverage/gender")
    assert (coverage.value, coverage.details["absent"], coverage.ceiling) == (
        1.0,
        ["trans_nonbinary"],
        "warn",
    )

    (counts,) = analysis.counts
    # (any): the 8 utterances that mention a gender; (none): the other 2
    assert [(r["group"]["gender"], r["n"]) for r in counts.rows] == [
        ("women", 6),
        ("men", 2),
        ("trans_nonbinary", 0),
        ("(any)", 8),
        ("(none)", 2),
    ]


def test_intent_skew_against_utterances_that_mention_no_gender() -> None:
    # 4 utterances mention women (3 refund, 1 status), 4 mention no gender (1 refund, 3 status).
    texts = ["a woman asked"] * 4 + ["hello"] * 4
    intents = ["refund", "refund", "refund", "status", "refund", "status", "status", "status"]
    data = utterances(texts, intents=intents)
    analysis = intent_skew(data, thresholds=Thresholds(min_group_size=2), min_intent_count=1)

    (table,) = analysis.tables
    women = row(table, gender="women", intent="refund")
    # P(refund | women) = 3/4, P(refund | no gender) = 1/4: ratio 3, difference 0.5
    assert (women["n"], women["with_intent"], women["intent_rate"]) == (4, 3, 0.75)
    assert women["intent_rate_ratio"] == pytest.approx(3.0)
    assert women["intent_rate_difference"] == pytest.approx(0.5)
    # Katz: exp(ln 3 ± 1.96·sqrt(1/3 − 1/4 + 1/1 − 1/4)) = exp(1.0986 ± 1.7892) = 0.5013–17.955
    assert women["intent_rate_ratio_ci_low"] == pytest.approx(0.5013, abs=1e-3)
    assert women["intent_rate_ratio_ci_high"] == pytest.approx(17.955, abs=1e-2)
    # Fisher mid-p of [[3, 1], [1, 3]]: the tables' probabilities are 1, 16, 36, 16, 1 (/70); the
    # observed (16) is as probable as one other and more than two: 2/70 + ½·32/70 = 18/70
    assert women["p_value"] == pytest.approx(18 / 70)
    men = row(table, gender="men", intent="refund")
    assert (men["n"], men["note"]) == (0, "fewer than 2 utterances mention this group: not judged")

    # judged: women and (any) (the same 4 utterances) for each intent; men and trans_nonbinary are
    # below min_group_size, (none) is the reference
    assert [e.id for e in analysis.evidence] == [
        "intent/gender/women/refund",
        "intent/gender/(any)/refund",
        "intent/gender/women/status",
        "intent/gender/(any)/status",
    ]
    skew = evidence(analysis, "intent/gender/women/status")
    # P(status | women) = 1/4 against 3/4: ratio 1/3, below 1, so judged against the band's 0.8
    assert (skew.value, skew.threshold, skew.adverse) == (pytest.approx(1 / 3), 0.8, "below")
    assert skew.details["reference_n"] == 4
    assert skew.rates == (0.25, pytest.approx(0.75))
    (counts,) = analysis.counts
    assert {(r["group"]["gender"], r["group"]["intent"]): r["n"] for r in counts.rows}[
        ("(none)", "refund")
    ] == 1

    assert intent_skew(utterances(texts), thresholds=Thresholds(), min_intent_count=1) == Analysis()


def test_response_gaps_refusal_rate_and_length() -> None:
    # 5 utterances mention women, one of them without a response (left out): 4 responses, 2 of them
    # refusals ("I can't help", "we cannot"), of 4, 4, 2 and 2 words. 4 utterances mention no
    # gender: 4 responses of 4 words each, 1 refusal.
    texts = ["a woman asked"] * 5 + ["hello"] * 4
    responses = [
        "I can't help here",
        "We cannot help there",
        "All done",
        "Sent today",
        None,
        "Your order ships today",
        "Your refund is done",
        "The parcel arrives tomorrow",
        "I can't help them",
    ]
    data = utterances(texts, responses=responses)
    analysis = response_gaps(
        data, thresholds=Thresholds(min_group_size=2, bootstrap=200), gaps=ResponseGapOptions()
    )

    (table,) = analysis.tables
    women = row(table, gender="women")
    # refusal rate 2/4 against 1/4; for an adverse outcome the ratio is reference ÷ group = 0.5
    assert (women["n"], women["refusals"], women["refusal_rate"]) == (4, 2, 0.5)
    assert women["refusal_rate_ratio"] == pytest.approx(0.5)
    # Fisher mid-p of [[2, 2], [1, 3]] (margins 4, 4 and 3, 5): probabilities 5, 30, 30, 5 (/70);
    # the observed (30) ties with one other, two are less probable: 10/70 + ½·60/70 = 40/70
    assert women["p_value"] == pytest.approx(40 / 70)
    # mean length 12/4 = 3 words against 16/4 = 4: difference −1, −1/4 relative
    assert (women["words_mean"], women["words_difference"]) == (3.0, -1.0)
    # Welch: s² = 4/3 and 0, t = −1 / sqrt(4/3 / 4) = −√3 with 4 − 1 = 3 degrees of freedom; the
    # t(3) CDF is ½ + (1/π)((t/√3) / (1 + t²/3) + atan(t/√3)), at √3: ½ + (1/π)(½ + π/4) = 0.90915,
    # so two-sided p = 2 · (1 − 0.90915) = 0.18169
    assert women["words_p_value"] == pytest.approx(0.18169, abs=1e-5)

    refusal = evidence(analysis, "response/gender/women/refusal_rate")
    assert (refusal.value, refusal.threshold, refusal.rates) == (pytest.approx(0.5), 0.8, (0.5, 0.25))
    length = evidence(analysis, "response/gender/women/words")
    # the gap is the difference over the reference's mean, against −options.response_gaps.length
    assert (length.value, length.threshold, length.details["reference_mean"]) == (-0.25, -0.2, 4.0)
    assert {e.id.rsplit("/", 2)[1] for e in analysis.evidence} == {"women", "(any)"}

    (counts,) = analysis.counts
    sums = {
        r["group"]["gender"]: (r["n"], r["refusals"], r["words_sum"], r["words_sum_of_squares"])
        for r in counts.rows
    }
    # 16 + 16 + 4 + 4 = 40 and 4 · 16 = 64
    assert sums["women"] == (4, 2, 12, 40)
    assert sums["(none)"] == (4, 1, 16, 64)
    assert analysis.context["responses"]["with_response"] == 8
    assert analysis.context["responses"]["refusals"] == 3
    assert analysis.context["responses"]["bootstrap"] == {
        "replicates": 200,
        "set_by": "thresholds.bootstrap",
        "seed": 0,
    }
    assert analysis.notes == ()  # the note on the default replicates comes only with bootstrap: 0

    assert response_gaps(utterances(texts), thresholds=Thresholds(), gaps=ResponseGapOptions()) == Analysis()


def _refund_for_women_with_orders(batch: list[str]) -> NDArray[Any]:
    """A classifier that is not invariant: ``refund`` only for a woman's order."""
    return np.array(["refund" if "woman" in t and "order" in t else "status" for t in batch])


def test_counterfactual_flip_rate_of_a_classifier_that_depends_on_gender() -> None:
    # Women ↔ men swaps only (trans_nonbinary takes no part): each utterance gives one pair.
    # Women: 2 about an order (refund → status: flips), 1 not (status → status). Men: 1 about an
    # order (status → refund: flips), 2 not. 6 pairs, 3 flips.
    texts = [
        "a woman asked about an order",
        "a woman asked about an order again",
        "a woman said hello",
        "a man asked about an order",
        "a man said hello",
        "a man said hi",
        "hello",
    ]
    data = utterances(texts)
    analysis = counterfactual_invariance(
        data,
        model=TrainedModel(_refund_for_women_with_orders, {"kind": "test"}),
        settings=CounterfactualOptions(),
        limits=FlipThresholds(warn=0.05, fail=0.10),
        thresholds=Thresholds(min_group_size=5),
    )

    axes, groups = analysis.tables
    (gender,) = axes.rows
    assert (gender["n"], gender["flips"], gender["flip_rate"]) == (6, 3, 0.5)
    # Wilson 95% for 3/6: centre 0.5, half-width 1.96·sqrt(0.25/6 + 1.96²/144) / (1 + 1.96²/6) = 0.3124
    assert (gender["flip_rate_ci_low"], gender["flip_rate_ci_high"]) == (
        pytest.approx(0.18762, abs=1e-4),
        pytest.approx(0.81238, abs=1e-4),
    )
    assert [(r["group_id"], r["n"], r["flips"]) for r in groups.rows] == [
        ("women", 3, 2),
        ("men", 3, 1),
        ("trans_nonbinary", 0, 0),
    ]
    (flip,) = analysis.evidence
    # exact one-sided binomial, 3 or more of 6 at 0.10:
    # 1 − (0.9⁶ + 6·0.1·0.9⁵ + 15·0.01·0.9⁴) = 1 − (0.531441 + 0.354294 + 0.098415) = 0.01585
    assert flip.p_value == pytest.approx(0.01585)
    assert (flip.value, flip.threshold, flip.adverse, flip.too_small) == (0.5, 0.10, "above", None)
    assert flip.details["examples"][0] == {
        "text": "a woman asked about an order",
        "counterfactual": "a man asked about an order",
        "intent_before": "refund",
        "intent_after": "status",
    }
    assert analysis.context["counterfactual"]["pairs"] == 6
    assert analysis.context["classifier"] == {"kind": "test"}

    off = CounterfactualOptions(enabled=False)
    untested = counterfactual_invariance(
        data, model=None, settings=off, limits=FlipThresholds(), thresholds=Thresholds()
    )
    assert untested == Analysis(
        notes=("counterfactual invariance was not tested (options.counterfactual.enabled: false)",)
    )
    no_intents = counterfactual_invariance(
        data, model=None, settings=CounterfactualOptions(), limits=FlipThresholds(), thresholds=Thresholds()
    )
    assert no_intents.tables == () and "needs intents to train a baseline classifier" in no_intents.notes[0]


def test_the_utterances_value_cannot_be_changed_by_an_analysis() -> None:
    data = utterances(["a woman asked", "hello"], intents=["refund", "status"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.texts = ()  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        data.mentions["gender/women"][0] = False
    with pytest.raises(ValueError, match="read-only"):
        data.any_axis["gender"][1] = True
    with pytest.raises(TypeError):
        data.mentions["gender/men"] = data.mentions["gender/women"]  # type: ignore[index]
    assert data.intents is not None
    with pytest.raises(ValueError, match="read-only"):
        data.intents[0] = "status"


def test_the_chatbot_audit_is_the_same_on_every_backend(constructor: Constructor) -> None:
    """The audit of 600 synthetic utterances on each backend equals the pandas one, table for table."""
    data = ea.make_chatbot(600, seed=7)
    options = {
        "text": "text",
        "intent": "intent",
        "response": "response",
        "language": "en",
        "counterfactual": {"enabled": False},
    }

    def run(frame: object) -> tuple[list[object], list[object]]:
        result = ea.audit(
            frame, auditor="chatbot", options=options, kind="test", test_data_reason="synthetic"
        )
        return [t.model_dump() for t in result.tables], [f.model_dump() for f in result.findings]

    expected = run(CONSTRUCTORS["pandas"](data))
    assert expected[0] and expected[1]
    assert run(constructor(data)) == expected
