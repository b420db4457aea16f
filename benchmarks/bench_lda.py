"""An LDA search (``equityaudit lda``) on 100,000 training rows of a 20-feature logistic pipeline.

Run from the repository root::

    .venv/bin/python benchmarks/bench_lda.py                      # 100k training rows, full grid
    .venv/bin/python benchmarks/bench_lda.py --train-rows 10000 --output /tmp/lda.json   # a quick look

Target (issue 15): a search of at least 20 candidates on 100k training rows in under 5 minutes on
a 2-core machine.

**Data.** Synthetic, from ``numpy.random.default_rng(seed)``: ``sex`` (Female/Male, half each),
``race`` (four categories, unequal shares), 20 numeric features ``f00``…``f19`` (standard normal;
``f00``–``f03`` shifted by sex and ``f04`` by race, so they carry the groups as proxies do) and a
label ``hired`` (Yes/No) drawn from a logistic model of the features with a penalty on Female
applicants. The model is ``StandardScaler`` + ``LogisticRegression`` fitted on the training rows
and saved with skops; the spec (auditor ``decisions``, ``model.outcome: hired``) audits
``--held-out-rows`` held-out rows drawn the same way. Generation and the model's first fit are
not timed.

**What is timed** (wall clock, ``time.perf_counter``, one run): :func:`equityaudit.lda.lda_search`
end to end with the full candidate grid — loading and scoring the spec, reading the training
file, every candidate's fit and evaluation, the what-if. The per-candidate lines it reports are
printed as they come. The JSON (``--output``, default benchmarks/results/lda.json) records the
wall time, the number of candidates (and of LDAs and front members), the parameters, the commit
and the machine's load before the run (``provenance.py``).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from provenance import machine_state, provenance

FEATURES = [f"f{i:02d}" for i in range(20)]
TARGET_SECONDS = 300.0
TARGET_CANDIDATES = 20


def applicants(rows: int, rng: np.random.Generator) -> pd.DataFrame:
    """Synthetic applicants: sex, race, 20 features (five of them proxies) and the label ``hired``."""
    female = rng.random(rows) < 0.5
    race = rng.choice(["White", "Black", "Hispanic", "Asian"], size=rows, p=[0.55, 0.2, 0.15, 0.1])
    x = rng.normal(size=(rows, len(FEATURES)))
    x[:, :4] -= 0.4 * female[:, None]
    x[:, 4] += np.where(race == "White", 0.5, 0.0)
    weights = np.linspace(1.0, 0.05, len(FEATURES))
    logit = -1.0 + x @ weights / 2 - 0.3 * female
    hired = rng.random(rows) < 1 / (1 + np.exp(-logit))
    frame = pd.DataFrame(x, columns=FEATURES)
    frame.insert(0, "race", race)
    frame.insert(0, "sex", np.where(female, "Female", "Male"))
    frame["hired"] = np.where(hired, "Yes", "No")
    return frame


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-rows", type=int, default=100_000)
    parser.add_argument("--held-out-rows", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--output", type=Path, default=Path("benchmarks/results/lda.json"))
    args = parser.parse_args()
    state = machine_state()

    import skops.io as sio
    import yaml
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from equityaudit.lda import lda_search

    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        train, held = applicants(args.train_rows, rng), applicants(args.held_out_rows, rng)
        train.to_csv(root / "train.csv", index=False)
        held.to_csv(root / "held_out.csv", index=False)
        model = make_pipeline(StandardScaler(), LogisticRegression()).fit(
            train[FEATURES], train["hired"].eq("Yes")
        )
        sio.dump(model, root / "model.skops")
        spec = {
            "equityaudit": 1,
            "name": "bench-lda",
            "auditor": "decisions",
            "data": {"path": "held_out.csv", "kind": "test", "test_data_reason": "synthetic rows held out"},
            "columns": {"sensitive": ["sex", "race"]},
            "model": {
                "path": "model.skops",
                "features": FEATURES,
                "outcome": {"column": "hired", "positive": ["Yes"]},
            },
        }
        (root / "spec.yaml").write_text(yaml.safe_dump(spec))
        started = time.perf_counter()
        search = lda_search(
            root / "spec.yaml", root / "train.csv", on_progress=lambda line: print(line, flush=True)
        )
        seconds = time.perf_counter() - started
    candidates = len(search.candidates)
    front = sum(c.on_front for c in search.candidates)
    passed = seconds < TARGET_SECONDS and candidates >= TARGET_CANDIDATES
    print(
        f"LDA search: {candidates} candidates (+{len(search.what_if)} what-if, {len(search.skipped)} skipped) "
        f"on {args.train_rows:,} training rows x {len(FEATURES)} features, evaluated on "
        f"{args.held_out_rows:,} held-out rows: {seconds:.1f} s wall "
        f"(target < {TARGET_SECONDS:.0f} s with >= {TARGET_CANDIDATES} candidates: {'PASS' if passed else 'MISS'})"
    )
    print(search.summary())
    record = {
        "benchmark": "lda",
        "train_rows": args.train_rows,
        "held_out_rows": args.held_out_rows,
        "features": len(FEATURES),
        "seed": args.seed,
        "grid": "full",
        "seconds": round(seconds, 2),
        "candidates": candidates,
        "what_if": len(search.what_if),
        "skipped": search.skipped,
        "front": front,
        "ldas": len(search.ldas),
        "target": {"seconds": TARGET_SECONDS, "candidates": TARGET_CANDIDATES, "passed": passed},
        **state,
        **provenance(),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
