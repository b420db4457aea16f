"""Benchmark the quality gate: the default suite on a million rows, GX's import, ``--help``.

Run from the repository root::

    .venv/bin/python benchmarks/bench_gate.py [--rows 1000000] [--repeat 3]

It makes ``--rows`` synthetic applicants (``equityaudit.synthetic.make_hiring``), writes them
to a Parquet file, and times ``equityaudit.quality.run_gate`` with the default suite of
``audits/hiring.yaml`` (sex and race/ethnicity filled in with groups large enough, decision
binary, score numeric, stage among the stages, every column present: 15 checks, no
``quality:`` rules) on

* a polars scan of the Parquet file (what ``equityaudit run`` does with a file),
* a pandas frame and a duckdb relation of the same rows (``equityaudit.audit(frame)``),

each with the default engine (``compiled``: the built-in checks as aggregations on the backend)
and with ``gx`` (the suite's columns converted to pandas and validated by great-expectations), and,
for the polars scan, how much of the ``gx`` time is the conversion of the suite's columns to
pandas (``equityaudit.frames.rows_for_python``). It also times, each in a fresh interpreter, the import of
great-expectations (paid once per process, the first time a gate runs), the first gate of a
process (import, ephemeral context, the gate), and ``equityaudit --help``; and it checks with
``python -X importtime`` that ``import equityaudit.cli`` does not import great-expectations.

Targets: the gate under 1 s on a million rows beyond the one-off import; ``--help`` under
0.5 s. Timing rule: a warm-up run, then ``--repeat`` runs, best reported. Results go to
``benchmarks/results/gate.json``. Exit status 0 whatever the targets (1 if a gate fails on the
clean synthetic data, which would be a bug).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

from provenance import provenance  # noqa: E402 - beside this script

DEFAULT_OUTPUT = ROOT / "benchmarks" / "results" / "gate.json"
CLI = ROOT / ".venv" / "bin" / "equityaudit"
TARGET_GATE_S = 1.0
TARGET_HELP_S = 0.5


def best_of(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Best wall time of ``repeat`` runs after one warm-up, and the last run's value."""
    value = run()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        value = run()
        times.append(time.perf_counter() - start)
    return min(times), value


def fresh(code: str, runs: int) -> float:
    """Best time (s) a snippet reports for itself in ``runs`` fresh interpreters."""
    env = {**os.environ, "EQUITYAUDIT_NO_ENTRYPOINTS": "1"}
    times = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
        )
        times.append(float(done.stdout.strip().splitlines()[-1]))
    return min(times)


def time_help(runs: int) -> float:
    """Best wall time of ``equityaudit --help`` as a subprocess."""
    command = [str(CLI) if CLI.exists() else "equityaudit", "--help"]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return min(times)


def cli_imports_gx() -> bool:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import equityaudit.cli"],
        capture_output=True,
        text=True,
        check=True,
    )
    return "great_expectations" in done.stderr


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of synthetic applicants")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs after the warm-up")
    parser.add_argument("--fresh-runs", type=int, default=3, help="fresh interpreters per import timing")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="JSON output file")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    load = round(os.getloadavg()[0], 2)  # before anything is measured
    os.environ.setdefault("EQUITYAUDIT_NO_ENTRYPOINTS", "1")
    import duckdb
    import narwhals as nw
    import polars as pl

    import equityaudit
    from equityaudit.frames import read_source, rows_for_python
    from equityaudit.plugins import get_auditor
    from equityaudit.quality import build_suite, run_gate
    from equityaudit.spec_loading import load_spec
    from equityaudit.synthetic.hiring import make_hiring

    spec = load_spec(ROOT / "audits" / "hiring.yaml")
    auditor = get_auditor(spec.auditor)
    print(f"making {args.rows:,} synthetic applicants ...", flush=True)
    frame = make_hiring(args.rows, seed=2026)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        parquet = Path(folder) / "applicants.parquet"
        pl.from_pandas(frame).write_parquet(parquet)
        sources = {
            "polars scan of Parquet": lambda: read_source(parquet).frame,
            "pandas frame": lambda: read_source(frame).frame,
            "duckdb relation": lambda: read_source(duckdb.from_df(frame)).frame,
        }
        checks = 0
        for engine in ("compiled", "gx"):
            for label, source in sources.items():
                seconds, outcome = best_of(
                    lambda source=source, engine=engine: run_gate(source(), spec, auditor, engine=engine),
                    args.repeat,
                )
                if not outcome.gate.passed:
                    print(f"error: the gate failed on clean synthetic data ({label})", file=sys.stderr)
                    return 1
                checks = len(outcome.gate.checks)
                results[f"{label} ({engine})"] = seconds
        lazy = nw.from_native(pl.scan_parquet(parquet))
        suite = build_suite(spec, auditor, schema=dict(lazy.collect_schema()))
        columns = suite.columns(lazy.collect_schema().names())
        conversion, _ = best_of(lambda: rows_for_python(lazy, columns, why="the benchmark"), args.repeat)

    gx_import = fresh(
        "import os, time, warnings; os.environ.setdefault('GX_ANALYTICS_ENABLED', 'false');"
        "warnings.simplefilter('ignore'); t = time.perf_counter();"
        "import great_expectations, great_expectations.expectations; print(time.perf_counter() - t)",
        args.fresh_runs,
    )
    first_gate = {
        engine: fresh(
            "import time, pandas as pd\n"
            "from equityaudit.frames import read_source\nfrom equityaudit.plugins import get_auditor\n"
            "from equityaudit.quality import run_gate\nfrom equityaudit.spec_loading import spec_from_mapping\n"
            "df = pd.DataFrame({'sex': ['F', 'M'] * 50, 'hired': ['yes', 'no'] * 50})\n"
            "spec = spec_from_mapping({'equityaudit': 1, 'name': 'x', 'auditor': 'decisions',"
            " 'data': {'path': 'x.csv'}, 'columns': {'sensitive': 'sex', 'decision': 'hired'}})\n"
            "t = time.perf_counter(); run_gate(read_source(df).frame, spec, get_auditor('decisions'),"
            f" engine={engine!r})\n"
            "print(time.perf_counter() - t)",
            args.fresh_runs,
        )
        for engine in ("compiled", "gx")
    }
    help_s = time_help(5)
    gx_in_cli = cli_imports_gx()

    print(f"\nquality gate, default suite of audits/hiring.yaml ({checks} checks), {args.rows:,} rows")
    print(f"  {'measurement':<48} {'best':>9}  target")
    for label, seconds in results.items():
        status = "PASS" if seconds < TARGET_GATE_S else "MISS"
        print(f"  {'gate, ' + label:<48} {seconds:>8.3f}s  < {TARGET_GATE_S:g} s  {status}")
    print(
        f"  {'  of which (gx): suite columns to pandas (polars)':<48} {conversion:>8.3f}s  ({len(columns)} columns)"
    )
    print(f"  {'import great_expectations (fresh interpreter)':<48} {gx_import:>8.3f}s  once per process")
    for engine, seconds in first_gate.items():
        print(f"  {f'first gate of a process ({engine})':<48} {seconds:>8.3f}s  100 rows")
    status = "PASS" if help_s < TARGET_HELP_S else "MISS"
    print(f"  {'equityaudit --help (subprocess)':<48} {help_s:>8.3f}s  < {TARGET_HELP_S:g} s  {status}")
    print(f"  {'import equityaudit.cli imports great_expectations':<48} {gx_in_cli!s:>9}  False")

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps(
            {
                "benchmark": "gate",
                "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "machine": {
                    "nproc": os.cpu_count(),
                    "platform": platform.platform(),
                    "python": platform.python_version(),
                    "equityaudit": equityaudit.__version__,
                    "load_average_1min": load,
                    **provenance(),
                },
                "config": {
                    "rows": args.rows,
                    "repeat": args.repeat,
                    "fresh_runs": args.fresh_runs,
                    "spec": "audits/hiring.yaml",
                    "checks": checks,
                    "columns": columns,
                },
                "gate_s": results,
                "conversion_s": conversion,
                "gx_import_s": gx_import,
                "first_gate_s": first_gate,
                "help_s": help_s,
                "cli_imports_gx": gx_in_cli,
                "targets": {"gate_s": TARGET_GATE_S, "help_s": TARGET_HELP_S},
            },
            indent=2,
        )
        + "\n"
    )
    print(f"\nwrote {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
