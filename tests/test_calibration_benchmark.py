"""benchmarks/bench_calibration.py draws the data its scenarios say, and writes its figures.

Each generator is checked on one large draw: an observed rate must lie within ``Z_TOLERANCE``
binomial standard deviations of the rate the scenario plants, ``sqrt(p (1 - p) / n)`` with ``n``
the observed denominator. Four standard deviations (two-sided probability 6e-5 per check) keep
a correct generator from failing by chance, while a wrong one misses by far more at these sizes:
at n = 100,000 and p = 0.21 the tolerance is 4 x 0.0013 = 0.005, against 0.09 between the rates
of the disadvantaged group and the others.
"""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import polars as pl
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "bench_calibration.py"
RECORDED = ROOT / "benchmarks" / "results" / "calibration.json"
Z_TOLERANCE = 4.0


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    """The script as a module; it imports its neighbour provenance.py, as when run as a script."""
    if str(SCRIPT.parent) not in sys.path:
        sys.path.insert(0, str(SCRIPT.parent))
    spec = importlib.util.spec_from_file_location("bench_calibration", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


def assert_rate(successes: int, n: int, expected: float, what: str) -> None:
    """``successes / n`` within ``Z_TOLERANCE`` binomial standard deviations of ``expected``."""
    sd = math.sqrt(expected * (1 - expected) / n)
    observed = successes / n
    assert abs(observed - expected) <= Z_TOLERANCE * sd, (
        f"{what}: observed {observed:.4f} of {n}, expected {expected} ± {Z_TOLERANCE} x {sd:.4f}"
    )


def test_decisions_groups_get_their_rates_and_error_rates(bench: ModuleType) -> None:
    rng = np.random.default_rng(1)
    rates = {"A": 0.3, "B": 0.3 * 0.7}
    frame = bench.decisions_frame(rng, rates, rows_per_group=100_000)
    assert frame.height == 200_000
    for group, rate in rates.items():
        selected = frame.filter(pl.col("group") == group)["selected"]
        assert_rate(int(selected.sum()), selected.len(), rate, f"selection rate of {group}")

    labels = bench.Labels(base_rate=0.5, tpr=0.6, fpr=0.3)
    assert labels.selection_rate == pytest.approx(0.45)  # 0.5 x 0.6 + 0.5 x 0.3
    frame = bench.decisions_frame(rng, {"A": 0.45}, rows_per_group=100_000, labels=labels)
    qualified = frame.filter(pl.col("qualified") == 1)["selected"]
    unqualified = frame.filter(pl.col("qualified") == 0)["selected"]
    assert_rate(qualified.len(), frame.height, 0.5, "base rate")
    assert_rate(int(qualified.sum()), qualified.len(), 0.6, "TPR")
    assert_rate(int(unqualified.sum()), unqualified.len(), 0.3, "FPR")


def test_applicants_have_the_planted_shares_and_cell(bench: ModuleType) -> None:
    rng = np.random.default_rng(2)
    rows = 200_000
    frame = bench.applicants_frame(
        rng, rows=rows, rate=0.3, cell_factor={("Female", "Black or African American"): 0.7}
    )
    for column, shares in (("sex", bench.SEX_SHARES), ("race_ethnicity", bench.RACE_SHARES)):
        for value, share in shares.items():
            assert_rate(int((frame[column] == value).sum()), rows, share, f"share of {value}")
    cells = frame.group_by("sex", "race_ethnicity").agg(pl.len(), pl.col("advanced").sum())
    for sex, race, n, advanced in cells.iter_rows():
        planted = 0.3 * 0.7 if (sex, race) == ("Female", "Black or African American") else 0.3
        assert_rate(advanced, n, planted, f"selection rate of {sex} x {race}")

    scored = bench.applicants_frame(rng, rows=rows, rate=0.3, score=True)
    assert_rate(int(scored["advanced"].sum()), rows, 0.3, "share of scores above the 70th percentile")


def test_marketing_premium_segment_and_probabilities(bench: ModuleType) -> None:
    rng = np.random.default_rng(3)
    rows = 200_000
    frame = bench.marketing_frame(rng, rows=rows, premium_factor={"Black": 0.7})
    premium = bench.SEGMENT_SHARES["premium"]
    by_race = (
        frame.drop_nulls("race_ethnicity")  # unreported: a mixture of every category, Black included
        .group_by("race_ethnicity")
        .agg(pl.len(), (pl.col("segment") == "premium").sum())
    )
    for race, n, included in by_race.iter_rows():
        planted = 0.7 * premium if race == "Black" else premium
        assert_rate(included, n, planted, f"premium rate of {race}")
    # every row's estimated probabilities sum to 1 (thousandths), as the quality gate demands
    totals = frame.select(pl.sum_horizontal(list(bench.PROBABILITY_COLUMNS.values())))
    assert (totals.to_series() - 1.0).abs().max() < 1e-9


def test_chatbot_intent_skew(bench: ModuleType) -> None:
    from equityaudit.auditors.chatbot.lexicon import Lexicon, column_name

    axis, group, intent = bench.SKEWED
    pool, _ = bench.chatbot_pool(8_000)
    base = float((pool["intent"] == intent).mean())  # the balanced pool: the same mix in every group
    frame = bench.chatbot_frame(np.random.default_rng(4), rows=100_000, intent_skew=4.0, pool_rows=8_000)
    mentions = Lexicon.default().mention_frame(frame["text"])[column_name(axis, group)].to_numpy()
    skewed = (frame["intent"] == intent).to_numpy()
    assert_rate(int(skewed[mentions].sum()), int(mentions.sum()), 4.0 * base, "skewed intent, in the group")
    assert_rate(int(skewed[~mentions].sum()), int((~mentions).sum()), base, "skewed intent, elsewhere")


def test_main_writes_the_figures(bench: ModuleType, tmp_path: Path) -> None:
    recorded_before = RECORDED.read_bytes() if RECORDED.exists() else None
    out = tmp_path / "calibration.json"
    argv = ["--runs", "2", "--scenario", "decisions-5x200", "--workers", "1", "--gate-check", "1"]
    assert bench.main([*argv, "--output", str(out)]) == 0

    record = json.loads(out.read_text())
    for key in ("git_commit", "src_uncommitted_changes", "cpu_count", "load_average_1min", "configuration"):
        assert key in record
    assert record["configuration"]["runs"] == {"decisions-5x200": 2}
    assert list(record["scenarios"]) == ["decisions-5x200"]
    figures = record["scenarios"]["decisions-5x200"]
    assert figures["runs"] == 2
    assert set(figures["any_fail"]) == {"count", "rate", "ci95"}
    assert set(figures["status_shares"]) >= {"fail", "warn", "insufficient_data", "pass"}
    # 5 groups: 4 compared with the reference in each of the 2 audits
    assert sum(figures["status_counts"].values()) == 8
    assert figures["parameters"]["rows_per_group"] == 200
    assert figures["gate_check"] == {"runs": 1, "gate_passed": 1, "findings_identical": 1}
    # the recorded results are only written when --output is left at its default
    assert (RECORDED.read_bytes() if RECORDED.exists() else None) == recorded_before
