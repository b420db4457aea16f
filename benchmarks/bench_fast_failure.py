"""Benchmark how fast ``equityaudit run`` reports a data error, and how fast ``--help`` answers.

Run from the repository root::

    .venv/bin/python benchmarks/bench_fast_failure.py [--runs 7]

Each case runs as a whole process (``python -m equityaudit ...``), ``--runs`` times after one
warm-up run, and the minimum and median wall-clock seconds are printed:

- ``header-only``: a spec whose CSV file has a header and no rows (exit 2);
- ``malformed``: a spec whose CSV file has a line with one field more than the header (exit 2);
- ``help``: ``equityaudit --help``.

Both data errors must be reported before great-expectations, scipy or pandas is imported
(docs: DESIGN §8): target well under 1 s. The spec is audits/hiring.yaml pointed at a small file
written to a temporary folder. Results go to ``benchmarks/results/fast_failure.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from provenance import machine_state, provenance

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "benchmarks" / "results" / "fast_failure.json"
TARGET_S = 1.0


def write_cases(folder: Path) -> dict[str, list[str]]:
    """The spec files and the command line of each case, written into ``folder``."""
    lines = (ROOT / "datasets" / "hiring.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0]
    (folder / "header-only.csv").write_text(header + "\n", encoding="utf-8")
    extra = lines[5] + ",extra"  # one field more than the header on line 6
    (folder / "malformed.csv").write_text(
        "\n".join([*lines[:5], extra, *lines[6:50]]) + "\n", encoding="utf-8"
    )
    spec = (ROOT / "audits" / "hiring.yaml").read_text(encoding="utf-8")
    cases: dict[str, list[str]] = {}
    for name in ("header-only", "malformed"):
        text = spec.replace("path: ../datasets/hiring.csv", f"path: {name}.csv").replace(
            "name: hiring-screening", f"name: {name}"
        )
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
        cases[name] = ["run", str(folder / f"{name}.yaml"), "--out", str(folder / "reports")]
    cases["help"] = ["--help"]
    return cases


def time_case(args: list[str], *, runs: int) -> dict[str, Any]:
    """Wall-clock seconds of ``python -m equityaudit ARGS``, ``runs`` times after one warm-up."""
    command = [sys.executable, "-m", "equityaudit", *args]
    seconds = []
    codes = set()
    for i in range(runs + 1):
        start = time.perf_counter()
        proc = subprocess.run(command, capture_output=True, text=True, check=False, env=os.environ)
        elapsed = time.perf_counter() - start
        codes.add(proc.returncode)
        if i > 0:
            seconds.append(elapsed)
    return {
        "min_s": round(min(seconds), 3),
        "median_s": round(statistics.median(seconds), 3),
        "runs": runs,
        "exit_codes": sorted(codes),
        "last_stderr": proc.stderr.strip()[:300],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="counted runs of each case (default 7)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args()
    state = machine_state()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, case_args in write_cases(Path(tmp)).items():
            results[name] = time_case(case_args, runs=args.runs)
            figure = results[name]
            print(
                f"{name:12s} min {figure['min_s']:.3f} s  median {figure['median_s']:.3f} s  exit {figure['exit_codes']}"
            )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps(
            {
                "benchmark": "fast_failure",
                "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "target_s": TARGET_S,
                "python": sys.version.split()[0],
                "machine": state,
                **provenance(),
                "cases": results,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"Wrote {args.output}")


if __name__ == "__main__":
    main()
