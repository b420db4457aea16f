"""Calibration of counterfactual sensitivity: how often a model that barely reads sex fails, and one that does.

Run from the repository root::

    .venv/bin/python benchmarks/bench_counterfactual.py                # 5 scenarios x 250 audits, ~45 s
    .venv/bin/python benchmarks/bench_counterfactual.py --runs 1000 --rows 2000

A verdict is a claim about the model on the population its held-out rows are drawn from. Each
scenario fixes one model and simulates that claim:

1. a logistic regression is fitted on 20,000 synthetic training rows (``sex`` coded 0/1, two
   standard normal features ``x1`` and ``x2``, a label that depends on the features only), then
   its coefficient of ``sex`` is **set** to the scenario's value ``b`` — so the model reads the
   column with exactly that weight — and saved with skops;
2. the model's **true flip share** per group is computed on 500,000 population rows: the share
   of a group's rows whose decision (probability ≥ 0.5) changes when ``sex`` is flipped;
3. ``--runs`` times, ``--rows`` held-out rows are drawn afresh from the population (seeded
   ``numpy.random.Generator``) and audited by the ``decisions`` auditor through ``model:``, with
   the engine's own steps minus the quality gate (as ``bench_calibration.py`` does):
   ``engine.prepare`` (scoring, flips), the counterfactual counts, and the auditor's ``run``, which
   judges the counterfactual evidence together with its selection-rate comparisons (one Holm
   family per audit); the quality gate never changes a finding;
4. the script counts the audits in which at least one counterfactual finding (``metric:
   decision_change_rate``) is ``fail``, with its Monte Carlo 95% Wilson interval.

Scenarios (``thresholds.counterfactual`` 0.05, alpha 0.05, Holm):

* ``ignores`` — ``b = 0``: the model reads ``sex`` and ignores it; the true share is 0 (null);
* ``tiny`` — ``b`` set so that the larger group's true share is 2% (null: below the threshold);
* ``at-threshold`` — ``b`` set so that the larger group's true share is 5%, the hardest null;
* ``moderate`` / ``large`` — ``b`` set so that the larger group's true share is 8% / 15%
  (alternatives).

The null scenarios must fail at most about alpha (the script exits 1 when a null scenario's FAIL
rate's Wilson interval lies wholly above 0.05); the alternative should fail almost always.

Recorded output (the defaults: ``--runs 250 --rows 1000``, seed 0; 2 cores shared with other
work, 33 s; benchmarks/results/counterfactual.json)::

    Counterfactual sensitivity: FAIL rate over 250 audits of 1000 held-out rows each (thresholds.counterfactual 0.05, alpha 0.05, Holm; 33 s)
    scenario             b  true share sex=0   sex=1  FAIL rate  95% CI          kind
    ignores         0.0000             0.00%   0.00%       0.0%  0.0%–1.5%     null
    tiny            0.0502             1.98%   2.00%       0.0%  0.0%–1.5%     null
    at-threshold    0.1237             4.91%   5.00%       3.2%  1.6%–6.2%     null
    moderate        0.1984             8.00%   8.00%      92.0%  88.0%–94.8%     alternative
    large           0.3679            14.96%  15.00%     100.0%  98.5%–100.0%     alternative

Status of the 500 group findings per scenario: ignores all pass; tiny 479 pass, 21 inconclusive;
at-threshold 12 pass, 255 inconclusive, 225 warn, 8 fail; moderate 392 fail, 103 warn, 5
inconclusive; large all fail.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from provenance import ROOT, machine_state, provenance

ALPHA = 0.05
LIMIT = 0.05
POPULATION = 500_000
TRAINING = 20_000


@dataclass(frozen=True)
class Scenario:
    name: str
    target: float | None
    """The larger group's true flip share the coefficient is set for (None: b = 0)."""
    null: bool


SCENARIOS = (
    Scenario("ignores", None, True),
    Scenario("tiny", 0.02, True),
    Scenario("at-threshold", 0.05, True),
    Scenario("moderate", 0.08, False),
    Scenario("large", 0.15, False),
)


def draw(rng: np.random.Generator, rows: int) -> pd.DataFrame:
    """Rows of the population: sex (0/1, 45% 1), x1, x2 standard normal."""
    return pd.DataFrame(
        {
            "sex": (rng.random(rows) < 0.45).astype(np.int64),
            "x1": rng.normal(size=rows),
            "x2": rng.normal(size=rows),
        }
    )


def fitted_model(seed: int) -> Any:
    """A logistic regression on sex, x1 and x2, fitted to a label that depends on x1 and x2 only."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(seed)
    train = draw(rng, TRAINING)
    label = 0.8 * train["x1"] - 0.5 * train["x2"] + rng.logistic(size=TRAINING) > 0.3
    return LogisticRegression().fit(train[["sex", "x1", "x2"]], label)


def flip_shares(model: Any, population: pd.DataFrame, b: float) -> dict[int, float]:
    """Each group's true share of decisions that change when sex is flipped, with sex's coefficient b."""
    w = model.coef_[0]
    base = model.intercept_[0] + w[1] * population["x1"].to_numpy() + w[2] * population["x2"].to_numpy()
    sex = population["sex"].to_numpy()
    own = base + b * sex
    other = base + b * (1 - sex)
    changed = (own >= 0) != (other >= 0)  # probability >= 0.5 <=> logit >= 0
    return {g: float(changed[sex == g].mean()) for g in (0, 1)}


def coefficient_for(model: Any, population: pd.DataFrame, target: float) -> float:
    """The sex coefficient at which the larger group's true flip share is ``target`` (bisection)."""
    low, high = 0.0, 10.0
    for _ in range(40):
        middle = (low + high) / 2
        if max(flip_shares(model, population, middle).values()) < target:
            low = middle
        else:
            high = middle
    return low  # the largest coefficient whose share is still below the target


def wilson(x: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def audit_findings(frame: pl.DataFrame, spec: Any) -> list[Any]:
    """The engine's steps after the quality gate: prepare (score, flip), count the flips, the auditor."""
    from equityaudit.auditors.base import AuditContext
    from equityaudit.engine import _counterfactual, prepare

    prepared = prepare(spec, frame=frame)
    counterfactual = _counterfactual(prepared, prepared.source.frame)
    context = AuditContext(
        source=prepared.source.name, options=prepared.options, model_evidence=tuple(counterfactual.evidence)
    )
    return prepared.auditor.run(prepared.source.frame, prepared.spec, context).findings


def run_scenario(scenario: Scenario, *, runs: int, rows: int, seed: int, folder: Path) -> dict[str, Any]:
    import skops.io as sio

    from equityaudit.spec_loading import spec_from_mapping

    model = fitted_model(seed)
    population = draw(np.random.default_rng(seed + 1), POPULATION)
    b = 0.0 if scenario.target is None else coefficient_for(model, population, scenario.target)
    model.coef_[0][0] = b
    truth = flip_shares(model, population, b)
    path = folder / f"{scenario.name}.skops"
    sio.dump(model, path)
    spec = spec_from_mapping(
        {
            "equityaudit": 1,
            "name": f"counterfactual-{scenario.name}",
            "auditor": "decisions",
            "data": {"kind": "test", "test_data_reason": "simulated held-out rows"},
            "columns": {"sensitive": ["sex"]},
            "model": {"path": str(path), "features": ["sex", "x1", "x2"]},
            "thresholds": {"counterfactual": LIMIT, "alpha": ALPHA},
        },
        origin=f"bench_counterfactual:{scenario.name}",
    )
    rng = np.random.default_rng(seed + 2)
    failed = 0
    statuses: dict[str, int] = {}
    started = time.perf_counter()
    for _ in range(runs):
        held_out = pl.from_pandas(draw(rng, rows))  # polars: the engine's default backend, 3x faster here
        findings = [f for f in audit_findings(held_out, spec) if f.metric == "decision_change_rate"]
        failed += any(f.status == "fail" for f in findings)
        for finding in findings:
            statuses[finding.status] = statuses.get(finding.status, 0) + 1
    low, high = wilson(failed, runs)
    return {
        "scenario": scenario.name,
        "null": scenario.null,
        "coefficient": b,
        "true_flip_share": {f"sex={g}": share for g, share in truth.items()},
        "runs": runs,
        "rows": rows,
        "fail_rate": failed / runs,
        "fail_rate_ci": [low, high],
        "statuses": dict(sorted(statuses.items())),
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=250, help="audits per scenario (default 250)")
    parser.add_argument("--rows", type=int, default=1000, help="held-out rows per audit (default 1000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--output", type=Path, default=ROOT / "benchmarks" / "results" / "counterfactual.json"
    )
    args = parser.parse_args()
    state = machine_state()
    started = time.perf_counter()
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for scenario in SCENARIOS:
            results.append(
                run_scenario(scenario, runs=args.runs, rows=args.rows, seed=args.seed, folder=Path(folder))
            )
    seconds = time.perf_counter() - started
    print(
        f"Counterfactual sensitivity: FAIL rate over {args.runs} audits of {args.rows} held-out rows each "
        f"(thresholds.counterfactual {LIMIT}, alpha {ALPHA}, Holm; {seconds:.0f} s)"
    )
    print(
        f"{'scenario':<14} {'b':>7} {'true share sex=0':>17} {'sex=1':>7} {'FAIL rate':>10}  {'95% CI':<15} kind"
    )
    wrong = []
    for r in results:
        low, high = r["fail_rate_ci"]
        truth = r["true_flip_share"]
        kind = "null" if r["null"] else "alternative"
        print(
            f"{r['scenario']:<14} {r['coefficient']:>7.4f} {truth['sex=0']:>17.2%} {truth['sex=1']:>7.2%} "
            f"{r['fail_rate']:>10.1%}  {low:.1%}–{high:.1%}{'':<4} {kind}"
        )
        if r["null"] and low > ALPHA:
            wrong.append(r["scenario"])
    record = {
        "benchmark": "counterfactual",
        "machine": state,
        "provenance": provenance(),
        "configuration": {
            "runs": args.runs,
            "rows": args.rows,
            "seed": args.seed,
            "limit": LIMIT,
            "alpha": ALPHA,
        },
        "seconds": round(seconds, 1),
        "scenarios": results,
        "null_fail_rate_above_alpha": wrong,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {args.output}")
    if wrong:
        print(f"MISS: null scenario(s) failing more often than alpha: {', '.join(wrong)}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
