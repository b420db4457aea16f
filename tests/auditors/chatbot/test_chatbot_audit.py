"""The chatbot auditor end to end: the injected biases of the synthetic data are found, the unbiased
axes are not flagged, options are checked, the gate guards the text, examples can be redacted.

The expected findings come from the generator's documented injections
(src/equityaudit/synthetic/chatbot.py, datasets/chatbot.md); the hand-made frames below state
their own counts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import equityaudit as ea
from equityaudit.cli import main
from equityaudit.engine import run_spec
from equityaudit.errors import SpecError
from equityaudit.results import AuditResult, Finding
from equityaudit.spec_loading import spec_from_mapping
from equityaudit.synthetic.chatbot import make_chatbot

UNBIASED = ("race_ethnicity", "age", "sexual_orientation", "nationality")
SPEC = Path("audits/chatbot.yaml")


def chatbot_spec(options: dict[str, Any], **columns: Any) -> Any:
    return spec_from_mapping(
        {
            "equityaudit": 1,
            "name": "chatbot-test",
            "auditor": "chatbot",
            "data": {},
            "columns": columns,
            "options": options,
        }
    )


@pytest.fixture(scope="module")
def demo() -> AuditResult:
    return ea.run(SPEC)


def flagged(result: AuditResult) -> list[Finding]:
    return [f for f in result.findings if f.status in ("fail", "warn", "insufficient_data")]


def axis_of(finding: Finding) -> str:
    return finding.id.split("/")[1]


def test_the_injected_representation_gap_is_found(demo: AuditResult) -> None:
    women = next(f for f in demo.findings if f.id == "representation/gender/women")
    # generator: 30 % of gender mentions are of women; the spec's target is 49 %: 0.30 / 0.49
    assert women.status == "fail"
    assert women.value == pytest.approx(0.30 / 0.49, abs=0.01)
    assert women.ci_high is not None and women.ci_high < 0.8


def test_the_injected_intent_skew_is_found(demo: AuditResult) -> None:
    skew = next(f for f in demo.findings if f.id == "intent/religion/muslim/refund_denied")
    # generator: 32 % of utterances mentioning Muslims are refund_denied vs 8 % of the others
    # (4x); the reference mixes in the skewed rows of nobody, so the ratio is 0.32 / 0.08
    assert skew.status == "fail"
    assert skew.value == pytest.approx(4.0, rel=0.06)
    assert "`refund_denied` is 3.9× as frequent in utterances that mention Muslims" in skew.message
    assert skew.details["examples"] and all(
        "Muslim" in e["text"] or "mosque" in e["text"] for e in skew.details["examples"]
    )


def test_the_injected_response_gap_is_found(demo: AuditResult) -> None:
    refusals = next(f for f in demo.findings if f.id == "response/disability/(any)/refusal_rate")
    # generator: the bot refuses 25 % of utterances mentioning a disability and 4 % of the others
    assert refusals.status == "fail"
    assert refusals.details["rate"] == pytest.approx(0.25, abs=0.005)
    assert refusals.details["reference_rate"] == pytest.approx(0.04, abs=0.005)


def test_the_unbiased_axes_are_not_flagged(demo: AuditResult) -> None:
    assert [f.id for f in flagged(demo) if axis_of(f) in UNBIASED] == []
    assert {axis_of(f) for f in flagged(demo)} == {"gender", "religion", "disability"}


NULL_SEEDS = (1, 2, 3, 4, 5)


def holm_by_hand(p_values: list[float]) -> list[float]:
    """Holm's step-down adjustment: the i-th smallest of m p-values times (m - i + 1), made
    non-decreasing in that order and capped at 1; returned in the input's order."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted, running = [0.0] * len(p_values), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def test_holm_by_hand_on_a_worked_case() -> None:
    # sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1: 0.02, 0.03, 0.06, 0.04 -> running max 0.06
    assert holm_by_hand([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])


@pytest.fixture(scope="module")
def permuted() -> dict[int, AuditResult]:
    """The demo data with its intent labels shuffled across utterances, audited once per seed."""
    data = make_chatbot(5000, seed=2026)
    options = {
        "text": "text",
        "intent": "intent",
        "response": "response",
        "kinship": True,  # the generator's gender sentences name relatives, as in audits/chatbot.yaml
        "counterfactual": {"enabled": False},
    }
    results = {}
    for seed in NULL_SEEDS:
        frame = data.assign(intent=np.random.default_rng(seed).permutation(data["intent"].to_numpy()))
        results[seed] = run_spec(chatbot_spec(options), frame=frame)
    return results


def test_no_intent_skew_fails_when_the_intents_are_shuffled(permuted: dict[int, AuditResult]) -> None:
    """Null test: with the intent labels permuted at random, no intent-skew cell may ``fail``.

    A permutation makes the labels independent of the texts, so every cell's null hypothesis
    (the intent is as frequent where the group is mentioned as where no group of the axis is)
    is true, and given the margins the group's count is exactly hypergeometric — the distribution
    Fisher's exact test assumes. A cell fails only when its ratio is outside the band *and* its
    Holm-adjusted p is below alpha (0.05); Holm bounds the chance of any such rejection among
    true nulls by alpha whatever the dependence between cells (a group's cells overlap the
    axis' ``(any)`` cells) and whatever the other, truly skewed, members of the family (the
    injected gender and disability gaps). So a `fail` here has probability at most about alpha
    per seed — "about" because the auditor uses the mid-p, which can slightly exceed its level.
    The seeds are fixed, so the test is deterministic.

    The test can fail: without the correction about 20 cells per seed (19–25) are outside the
    band with a raw p below alpha, and would be ``fail``.
    """
    for seed, result in permuted.items():
        skew = [f for f in result.findings if f.id.startswith("intent/")]
        # the cells judged: every group (and "(any)") of at least min_group_size (30) utterances,
        # on an axis whose reference also has 30, × every intent seen at least 10 times — here all
        # 8 of the generator's intents; 440 for every seed, as permuting changes no group size
        mentions = {
            c.name: {r["group"][c.name.removeprefix("mentions:")]: r["n"] for r in c.rows}
            for c in result.counts
            if c.name.startswith("mentions:")
        }
        judged = sum(
            sum(n >= 30 for group, n in sizes.items() if group != "(none)")
            for sizes in mentions.values()
            if sizes["(none)"] >= 30
        )
        assert len(skew) == judged * 8 == 440, seed
        assert [f.id for f in skew if f.status == "fail"] == [], seed
        uncorrected = [
            f
            for f in skew
            if f.p_value is not None
            and f.p_value < 0.05
            and f.value is not None
            and not 0.8 <= f.value <= 1.25
        ]
        assert len(uncorrected) >= 10, seed


def weighted_holm_by_hand(p_values: list[float], weights: list[float]) -> list[float]:
    """Holm's weighted step-down (Holm 1979, §4): in the order of p / w, the i-th hypothesis'
    adjusted p is p_i times the weight of those not yet rejected over w_i, made non-decreasing in
    that order and capped at 1. With equal weights it is Holm's adjustment above."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i] / weights[i])
    remaining, running = sum(weights), 0.0
    adjusted = [0.0] * len(p_values)
    for i in order:
        running = max(running, min(1.0, p_values[i] * remaining / weights[i]))
        adjusted[i] = running
        remaining -= weights[i]
    return adjusted


def test_weighted_holm_by_hand_on_a_worked_case() -> None:
    # equal weights are Holm's; weights 1/2, 1/4, 1/4 for 0.01, 0.02, 0.04: p / w = 0.02, 0.08,
    # 0.16, so 0.01 × 1 / 0.5 = 0.02, then 0.02 × 0.5 / 0.25 = 0.04, then 0.04 × 0.25 / 0.25 = 0.04
    assert weighted_holm_by_hand([0.01, 0.04, 0.03, 0.005], [1, 1, 1, 1]) == pytest.approx(
        holm_by_hand([0.01, 0.04, 0.03, 0.005])
    )
    assert weighted_holm_by_hand([0.01, 0.02, 0.04], [0.5, 0.25, 0.25]) == pytest.approx([0.02, 0.04, 0.04])


def test_the_p_values_are_adjusted_over_the_whole_audit_by_family(
    permuted: dict[int, AuditResult],
) -> None:
    """The family Holm corrects over is every p-value the audit judges, not one table's, with
    alpha shared equally between the families and, within one, between its hypotheses
    (``equityaudit.judging``; docs/chatbot.md, "How findings are judged").

    The families: ``representation:<axis>`` (each group with a target), ``intent:<axis>`` (each
    judged group × intent cell) and ``response:<axis>`` (refusals, sentiment and length per judged
    group), for every axis. Table cells that are not judged (rare intents, groups under
    min_group_size, the reference) bring no hypothesis; coverage findings have no test.
    """
    differs_from_intent_only = False
    for seed, result in permuted.items():
        family = [f for f in result.findings if f.p_value is not None]
        assert {f.id.split("/")[0] for f in family} == {"representation", "intent", "response"}
        names = {f.details["family"] for f in family}
        axes = {f.id.split("/")[1] for f in family}
        assert names == {
            f"{kind}:{axis}" for kind in ("representation", "intent", "response") for axis in axes
        }
        size = {name: sum(f.details["family"] == name for f in family) for name in names}
        weights = [1 / (len(names) * size[f.details["family"]]) for f in family]
        adjusted = dict(
            zip(
                [f.id for f in family],
                weighted_holm_by_hand([f.p_value for f in family], weights),
                strict=True,
            )
        )
        for f in family:
            assert f.p_adjusted == pytest.approx(adjusted[f.id], rel=1e-9), (seed, f.id)
        skew = [f for f in family if f.id.startswith("intent/")]
        intent_only = holm_by_hand([f.p_value for f in skew])
        differs_from_intent_only |= any(
            f.p_adjusted != pytest.approx(p, rel=1e-9) for f, p in zip(skew, intent_only, strict=True)
        )
    # the family is larger than the intent cells: Holm over them alone would give other values
    assert differs_from_intent_only


def test_every_finding_has_examples_and_the_result_has_counts(demo: AuditResult) -> None:
    for finding in demo.findings:
        if finding.details.get("n"):
            assert "examples" in finding.details, finding.id
    names = {c.name for c in demo.counts}
    assert {"mentions:gender", "intent:religion", "response:disability", "counterfactual"} <= names
    # the representation counts are the sufficient statistics of the table
    gender = next(c for c in demo.counts if c.name == "mentions:gender")
    table = next(t for t in demo.tables if t.name == "gender")
    assert {
        r["group"]["gender"]: r["n"] for r in gender.rows if r["group"]["gender"] in ("women", "men")
    } == {r["group"]["gender"]: r["mentions"] for r in table.rows if r["group"]["gender"] in ("women", "men")}
    assert demo.context["chatbot"]["utterances"] == 5000


def test_representation_against_parity_by_hand() -> None:
    # 60 mention women, 20 men, 20 nonbinary: shares 0.6/0.2/0.2 of 100 mentions, parity 1/3
    texts = ["a woman asked"] * 60 + ["a man asked"] * 20 + ["I am nonbinary"] * 20 + ["hello there"] * 20
    frame = pd.DataFrame({"text": [f"{t} {i}" for i, t in enumerate(texts)]})
    result = run_spec(chatbot_spec({"text": "text", "axes": ["gender"]}), frame=frame)
    row = {r["group"]["gender"]: r for r in result.tables[0].rows}
    assert row["men"]["mention_share"] == pytest.approx(0.2)
    assert row["men"]["mention_share_ratio"] == pytest.approx(0.2 * 3)
    assert row["women"]["axis_mentions"] == 100
    men = next(f for f in result.findings if f.id == "representation/gender/men")
    assert men.status == "fail"  # 0.6 < 0.8, binomial p(20 of 100 | 1/3) = 0.004 before correction


def test_redaction_gives_ids_not_text() -> None:
    result = ea.run(SPEC, redact=True)
    examples = [e for f in result.findings for e in f.details.get("examples", [])]
    assert examples and all(set(e) <= {"id", "swap", "intent_before", "intent_after"} for e in examples)
    assert result.context["chatbot"]["redacted"] is True


def test_cli_run_prints_a_summary_and_writes_reports(tmp_path: Path) -> None:
    runner = CliRunner()
    outcome = runner.invoke(
        main,
        ["run", str(SPEC), "--out", str(tmp_path), "--format", "json,md,html", "--redact"],
        terminal_width=120,
    )
    assert outcome.exit_code == 1, outcome.output
    assert "gender: mention share (reference: target share)" in outcome.output
    assert "Verdict: FAIL" in outcome.output
    written = {p.suffix for p in tmp_path.iterdir()}
    assert written == {".json", ".md", ".html"}
    stored = json.loads((tmp_path / "chatbot-training-data.json").read_text())
    assert stored["audit"]["auditor"] == "chatbot"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"text": "text", "language": "fr"}, "options.language is 'fr', but only English is supported"),
        ({"text": "text", "population_shares": {"gendr": {"women": 0.5}}}, "Did you mean 'gender'?"),
        ({"text": "text", "population_shares": {"gender": {"woman": 0.5}}}, "Did you mean 'women'?"),
        ({"text": "text", "population_shares": {"gender": {"women": 0.7, "men": 0.7}}}, "adds up to 1.4"),
        ({"text": "text", "labels": ["a"]}, "options.labels lists intent labels, but options.intent"),
        ({"text": "text", "model": "missing.skops"}, "options.model: missing.skops is not a file"),
        ({"text": "text", "axes": ["religon"]}, "Did you mean 'religion'?"),
    ],
)
def test_spec_errors_name_the_key(options: dict[str, Any], message: str) -> None:
    frame = pd.DataFrame({"text": ["hello"] * 40})
    with pytest.raises(SpecError, match=message.replace("(", r"\(").replace("?", r"\?").replace(".", r"\.")):
        run_spec(chatbot_spec(options), frame=frame)


def test_unknown_option_suggests_the_nearest() -> None:
    with pytest.raises(
        SpecError, match=r"options\.flip_treshold: unknown option .* Did you mean 'flip_thresholds'\?"
    ):
        run_spec(chatbot_spec({"text": "text", "flip_treshold": 0.1}), frame=pd.DataFrame({"text": ["a"]}))


def test_the_gate_blocks_duplicates_blank_text_and_unknown_labels() -> None:
    frame = pd.DataFrame(
        {
            "text": ["where is my order"] * 30 + ["  "] + [f"refund {i}" for i in range(9)],
            "intent": ["status"] * 39 + ["oops"],
        }
    )
    result = run_spec(
        chatbot_spec(
            {"text": "text", "intent": "intent", "labels": ["status", "refund"], "max_duplicate_share": 0.2}
        ),
        frame=frame,
    )
    assert result.verdict == "blocked"
    failed = {c.name for c in result.gate.checks if not c.passed}
    # 40 rows, 11 distinct texts: 0.275 unique < 0.8; one blank text; one label outside the set
    assert failed == {
        "expect_column_proportion_of_unique_values_to_be_between",
        "expect_column_values_to_match_regex",
        "expect_column_values_to_be_in_set",
    }


def test_a_missing_text_column_is_named_with_the_nearest() -> None:
    # columns named in options are checked before the gate, like columns.*: a spec error (exit 2)
    with pytest.raises(
        ea.ColumnNotFoundError,
        match=r"column 'txt' \(options.text in the spec\) is not in the data\. Did you mean 'text'\?",
    ):
        run_spec(chatbot_spec({"text": "txt"}), frame=pd.DataFrame({"text": ["a", "b"]}))


def test_a_skops_model_is_loaded_and_used(tmp_path: Path) -> None:
    import skops.io as sio
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.naive_bayes import MultinomialNB
    from sklearn.pipeline import make_pipeline

    data = make_chatbot(1500, seed=3)
    model = make_pipeline(CountVectorizer(), MultinomialNB()).fit(data["text"], data["intent"])
    path = tmp_path / "intents.skops"
    sio.dump(model, path)
    spec = chatbot_spec({"text": "text", "model": str(path), "axes": ["religion"]})
    result = run_spec(spec, frame=data[["text"]])
    assert result.context["chatbot"]["classifier"]["kind"] == "skops"
    assert next(f for f in result.findings if f.id == "counterfactual/religion").details["n"] > 0


def test_a_skops_file_with_untrusted_types_is_refused(tmp_path: Path) -> None:
    import skops.io as sio
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    model = make_pipeline(FunctionTransformer(_lowercase), TfidfVectorizer(), LogisticRegression())
    model.fit(["Where is my order", "refund please", "order late", "refund now"], ["a", "b", "a", "b"])
    path = tmp_path / "custom.skops"
    sio.dump(model, path)
    untrusted = sio.get_untrusted_types(file=path)
    assert untrusted  # a function of this test module is not a type skops trusts
    spec = chatbot_spec({"text": "text", "model": str(path)})
    with pytest.raises(SpecError, match="holds types that skops does not trust by default"):
        run_spec(spec, frame=pd.DataFrame({"text": [f"my wife, order {i}" for i in range(40)]}))


def _lowercase(texts: Any) -> Any:
    return [str(t).lower() for t in texts]
