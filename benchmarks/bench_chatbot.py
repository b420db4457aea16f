"""Benchmark of the chatbot auditor: 100,000 synthetic utterances audited, with training and
flip-testing timed apart.

Run from the repository root::

    .venv/bin/python benchmarks/bench_chatbot.py [--rows 100000] [--output PATH]

It prints, and writes to ``--output`` (default benchmarks/results/chatbot.json), the figures
below next to where they were measured: ``git_commit`` (null outside a git checkout),
``src_uncommitted_changes`` (whether the imported equityaudit package differs from that commit;
null when it was imported from outside the checkout, ``equityaudit_imported_from``),
``cpu_count`` and ``load_average_1min`` when the script started (null where the platform has none).

- ``audit_without_classifier``: the whole audit (quality gate, lexicon matching, representation,
  intent skew, response gaps with the bootstrap) with the counterfactual test switched off —
  the figure the 30 s target is about;
- ``matching``: the lexicon over the text column alone (polars);
- ``training``: fitting the baseline TF-IDF + logistic-regression intent classifier;
- ``flip_testing``: making the counterfactual pairs and predicting them (2,000 utterances per axis);
- ``audit_with_classifier``: the whole audit with training and flip testing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("EQUITYAUDIT_NO_ENTRYPOINTS", "1")

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = ROOT / "benchmarks" / "results" / "chatbot.json"

from provenance import machine_state, provenance  # noqa: E402 - after the environment is set


def main() -> None:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT, help="JSON file for the figures (default: %(default)s)"
    )
    args = parser.parse_args()
    state = machine_state()  # first, before the benchmark itself loads the machine

    import polars as pl

    from equityaudit.auditors.chatbot.lexicon import Lexicon
    from equityaudit.engine import run_spec
    from equityaudit.spec_loading import spec_from_mapping
    from equityaudit.synthetic.chatbot import make_chatbot

    frame = pl.from_pandas(make_chatbot(args.rows, seed=7))
    options = {"text": "text", "intent": "intent", "response": "response", "max_duplicate_share": 0.5}

    def spec(counterfactual: bool) -> object:
        return spec_from_mapping(
            {
                "equityaudit": 1,
                "name": "bench",
                "auditor": "chatbot",
                "data": {},
                "columns": {"id": "utterance_id"},
                "options": {**options, "counterfactual": {"enabled": counterfactual}},
            }
        )

    figures: dict[str, Any] = {
        "rows": args.rows,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        **state,
        **provenance(),
    }
    run_spec(spec(False), frame=frame.head(2000))  # warm-up: imports, GX context
    started = time.perf_counter()
    Lexicon.default().mention_frame(frame["text"])
    figures["matching_seconds"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    result = run_spec(spec(False), frame=frame)
    figures["audit_without_classifier_seconds"] = round(time.perf_counter() - started, 2)
    figures["findings"] = len(result.findings)
    started = time.perf_counter()
    result = run_spec(spec(True), frame=frame)
    figures["audit_with_classifier_seconds"] = round(time.perf_counter() - started, 2)
    context = result.context["chatbot"]
    figures["training_seconds"] = context["classifier"]["training_seconds"]
    figures["flip_testing_seconds"] = context["counterfactual"]["seconds"]
    figures["counterfactual_pairs"] = context["counterfactual"]["pairs"]
    figures["response_scoring_seconds"] = context["responses"]["scoring_seconds"]
    for key, value in figures.items():
        print(f"{key:34} {value}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
