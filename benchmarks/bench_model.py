"""Benchmark a model audit: scoring held-out rows with a model file, then auditing the decisions.

Run from the repository root::

    .venv/bin/python benchmarks/bench_model.py [--rows 1000000] [--features 20] [--repeat 3]

It generates ``--rows`` synthetic held-out rows (``--features`` standard-normal features, ``sex``
and a five-category ``race``, a label that depends on two features), fits a 20-feature logistic
pipeline (``StandardScaler`` → ``LogisticRegression``) on 20,000 other rows, saves it with skops
and exports it to ONNX (skl2onnx), and writes the held-out rows to Parquet. It then times

* the model's own ``predict_proba`` on the held-out features (a numpy array in memory): the
  baseline, what scoring costs with nothing else;
* reading the features from the Parquet file with pandas and ``predict_proba`` on that frame:
  what a user's own scoring script costs;
* onnxruntime's own ``run`` on the same array, the ONNX baseline;
* ``equityaudit.audit`` of the rows already scored (sex, race and the decision, a polars frame in
  memory): the audit alone, gate included, without reading a file or scoring;
* ``equityaudit.audit`` of the Parquet file with ``model={"path": …skops}`` and with the ONNX file:
  reading the file and its sha256, loading the model, scoring, the quality gate, the decisions
  auditor's tables, tests and findings by sex, race and their cross, and the threshold sweep.

The first audit of a process also imports and configures great-expectations (seconds, a fixed
cost measured by ``bench_gate.py`` and ``bench_fast_failure.py``); like every other measurement
here it is a warm-up and is not reported. Each measurement is the best of ``--repeat`` runs.

Checks: the skops and ONNX audits' per-group selection rates agree to 1e-6 (ONNX computes in
float32), and each equals the rate of ``predict_proba(X)[:, 1] >= 0.5`` computed here with
pandas; the script exits 1 when a value differs.

Target (issue 15): the audit of 1M scored rows within 2x the time of the model's own
``predict_proba``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

import equityaudit

THRESHOLD = 0.5


def best_of(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """One warm-up, then the best wall time of ``repeat`` runs, and the last run's value."""
    value = run()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        value = run()
        times.append(time.perf_counter() - started)
    return min(times), value


def make_data(rows: int, features: int, seed: int) -> tuple[pd.DataFrame, list[str]]:
    """Held-out rows: features, sex, race and a label driven by the first two features."""
    rng = np.random.default_rng(seed)
    names = [f"x{i:02d}" for i in range(features)]
    frame = pd.DataFrame(rng.normal(size=(rows, features)), columns=names)
    frame["sex"] = rng.choice(["female", "male"], rows)
    frame["race"] = rng.choice(["A", "B", "C", "D", "E"], rows, p=[0.5, 0.2, 0.15, 0.1, 0.05])
    frame["label"] = (frame["x00"] + 0.5 * frame["x01"] + rng.normal(size=rows) > 0).astype(int)
    return frame, names


def selection_rates(result: equityaudit.AuditResult, by: str) -> dict[str, float]:
    """Each group's selection rate in the audit's table by ``by``."""
    table = next(t for t in result.tables if t.name == by)
    return {row["group"][by]: row["selection_rate"] for row in table.rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)

    import onnxruntime as ort
    import skops.io as sio
    from skl2onnx import to_onnx
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    held_out, names = make_data(args.rows, args.features, args.seed)
    train, _ = make_data(20_000, args.features, args.seed + 1)
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(train[names], train["label"])
    work = Path(tempfile.mkdtemp(prefix="bench-model-"))
    sio.dump(model, work / "model.skops")
    onnx_model = to_onnx(model, train[names].to_numpy(np.float32)[:1], options={"zipmap": False})
    (work / "model.onnx").write_bytes(onnx_model.SerializeToString())
    parquet = work / "held-out.parquet"
    pl.from_pandas(held_out).write_parquet(parquet)
    features = held_out[names].to_numpy()
    session = ort.InferenceSession(str(work / "model.onnx"), providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name
    features32 = features.astype(np.float32)

    def audit(path: Path) -> equityaudit.AuditResult:
        return equityaudit.audit(
            parquet,
            auditor="decisions",
            sensitive=["sex", "race"],
            model={"path": str(path), "features": names, "threshold": THRESHOLD},
            kind="test",
            test_data_reason="benchmark: synthetic held-out rows",
        )

    print(f"{args.rows:,} held-out rows, {args.features} features, best of {args.repeat} after a warm-up")
    timings: dict[str, float] = {}
    timings["predict_proba (numpy, in memory)"], proba = best_of(
        lambda: model.predict_proba(features), args.repeat
    )
    timings["read Parquet + predict_proba (pandas)"], _ = best_of(
        lambda: model.predict_proba(pd.read_parquet(parquet, columns=names)), args.repeat
    )
    timings["onnxruntime run (float32, in memory)"], _ = best_of(
        lambda: session.run(None, {input_name: features32}), args.repeat
    )
    scored = pl.from_pandas(held_out[["sex", "race"]]).with_columns(
        pl.Series("decision", (proba[:, 1] >= THRESHOLD).astype(np.int64))
    )
    timings["audit of the scored rows (polars, in memory)"], _ = best_of(
        lambda: equityaudit.audit(
            scored, auditor="decisions", sensitive=["sex", "race"], decision="decision"
        ),
        args.repeat,
    )
    timings["audit, skops model (Parquet file)"], skops_result = best_of(
        lambda: audit(work / "model.skops"), args.repeat
    )
    timings["audit, ONNX model (Parquet file)"], onnx_result = best_of(
        lambda: audit(work / "model.onnx"), args.repeat
    )
    width = max(map(len, timings))
    for name, seconds in timings.items():
        print(f"  {name:<{width}}  {seconds:7.3f} s")

    ratio = timings["audit, skops model (Parquet file)"] / timings["predict_proba (numpy, in memory)"]
    print(f"\naudit (skops) / predict_proba: {ratio:.2f}x   target <= 2x: {'PASS' if ratio <= 2 else 'MISS'}")
    from_file = (
        timings["audit, skops model (Parquet file)"] / timings["read Parquet + predict_proba (pandas)"]
    )
    print(f"audit (skops) / read Parquet + predict_proba: {from_file:.2f}x")
    audit_only = (
        timings["audit of the scored rows (polars, in memory)"] / timings["predict_proba (numpy, in memory)"]
    )
    print(f"audit of the scored rows / predict_proba: {audit_only:.2f}x")
    onnx_ratio = timings["audit, ONNX model (Parquet file)"] / timings["onnxruntime run (float32, in memory)"]
    print(f"audit (ONNX) / onnxruntime run: {onnx_ratio:.2f}x")

    expected = pd.Series(proba[:, 1] >= THRESHOLD).groupby(held_out["sex"].to_numpy()).mean().to_dict()
    ok = True
    for name, result in (("skops", skops_result), ("ONNX", onnx_result)):
        found = selection_rates(result, "sex")
        for group, rate in expected.items():
            if abs(found[group] - rate) > 1e-6:
                ok = False
                print(f"MISMATCH {name} {group}: audit {found[group]!r}, predict_proba {rate!r}")
    print(f"per-group selection rates equal predict_proba's (skops and ONNX, 1e-6): {'yes' if ok else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
