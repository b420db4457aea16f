"""Benchmark audits at scale: ``equityaudit run`` on 1M, 10M (and 100M) Parquet rows per engine.

Run from the repository root::

    .venv/bin/python benchmarks/bench_scale.py                 # 1M and 10M rows
    .venv/bin/python benchmarks/bench_scale.py --sizes 1000000 # one size
    .venv/bin/python benchmarks/bench_scale.py --with-100m     # also 100M rows (~1.2 GB on disk, minutes)

The data is synthetic decisions with labels: ``sex`` (2 values) × ``race_age`` (7 values) = 14
intersectional groups, a 0/1 ``decision`` and a 0/1 ``outcome`` (ground truth), with the
selection rate of one group lowered so the audit has something to find. It is generated once per
size, in chunks of a million rows written with pyarrow (the generator's memory does not grow with
the size), and cached outside the repository in ``~/.cache/equityaudit/bench-scale/``
(``--cache DIR`` or ``EQUITYAUDIT_BENCH_CACHE`` to move it).

For each size and engine (``data.engine``: polars, duckdb, and spark ``local[2]`` when pyspark is
importable and the spec accepts it; otherwise a printed note) it measures, each in a fresh
child process so that ``resource.getrusage(RUSAGE_CHILDREN)`` gives that one run's peak RSS:

* ``equityaudit run SPEC --format json`` end to end (decisions auditor, the gate on): wall time
  and peak RSS;
* a bare GROUP BY computing the same counts on the same engine (polars ``scan_parquet`` →
  ``group_by`` with its streaming engine; duckdb SQL ``GROUP BY``; spark ``groupBy``): the time
  of its second run (imports, the session's start and a first run excluded, as for the audit in
  process) and the child's peak RSS;
* the audit in process (``equityaudit.run(spec)`` after a warm-up run, so imports and the gate's
  one-off set-up are excluded) and its ratio to the bare group-by.

It prints a Markdown table and writes ``benchmarks/results/scale.json``. Figures taken on a
loaded machine are noisy: the 1-minute load average is recorded beside them.
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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

from provenance import machine_state, provenance  # noqa: E402 - beside this script

DEFAULT_OUTPUT = ROOT / "benchmarks" / "results" / "scale.json"
DEFAULT_CACHE = Path(
    os.environ.get("EQUITYAUDIT_BENCH_CACHE", Path.home() / ".cache" / "equityaudit" / "bench-scale")
)
CHUNK = 1_000_000
SEX = ["Female", "Male"]
RACE_AGE = ["White <40", "White 40+", "Black", "Hispanic", "Asian", "Two or More", "Other"]
ENGINES = ("polars", "duckdb", "spark")

# --------------------------------------------------------------------------------------------
# data


def generate(rows: int, cache: Path, *, seed: int = 2026) -> Path:
    """The Parquet file of ``rows`` synthetic decisions, made once (chunk by chunk) and cached."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = cache / f"decisions-{rows}.parquet"
    if path.exists():
        return path
    cache.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    schema = pa.schema(
        [("sex", pa.string()), ("race_age", pa.string()), ("decision", pa.int8()), ("outcome", pa.int8())]
    )
    sex_values = pa.array(SEX)
    race_values = pa.array(RACE_AGE)
    started = time.perf_counter()
    with pq.ParquetWriter(partial, schema, compression="zstd") as writer:
        for i, start in enumerate(range(0, rows, CHUNK)):
            n = min(CHUNK, rows - start)
            rng = np.random.default_rng([seed, i])
            sex = rng.integers(0, len(SEX), n)
            race = rng.choice(len(RACE_AGE), size=n, p=[0.3, 0.2, 0.15, 0.15, 0.1, 0.05, 0.05])
            outcome = rng.random(n) < 0.4
            p = np.where(outcome, 0.6, 0.2) * np.where((sex == 0) & (race == 2), 0.75, 1.0)
            decision = rng.random(n) < p
            table = pa.table(
                {
                    "sex": pa.DictionaryArray.from_arrays(pa.array(sex, pa.int32()), sex_values).cast(
                        pa.string()
                    ),
                    "race_age": pa.DictionaryArray.from_arrays(pa.array(race, pa.int32()), race_values).cast(
                        pa.string()
                    ),
                    "decision": pa.array(decision.astype(np.int8)),
                    "outcome": pa.array(outcome.astype(np.int8)),
                },
                schema=schema,
            )
            writer.write_table(table, row_group_size=CHUNK)
    partial.rename(path)
    print(
        f"generated {path} ({rows:,} rows, {path.stat().st_size / 1e6:,.0f} MB) in {time.perf_counter() - started:.1f} s"
    )
    return path


def write_spec(data: Path, engine: str, folder: Path) -> Path:
    """The decisions spec of one file and engine (gate on, intersectional, labels)."""
    spec = folder / f"scale-{engine}.yaml"
    spec.write_text(
        "equityaudit: 1\n"
        f"name: scale-{engine}\n"
        "auditor: decisions\n"
        f"data: {{path: {json.dumps(str(data))}, engine: {engine}}}\n"
        "columns:\n"
        "  sensitive: [sex, race_age]\n"
        "  intersectional: true\n"
        "  decision: decision\n"
        "  outcome: outcome\n",
        encoding="utf-8",
    )
    return spec


# --------------------------------------------------------------------------------------------
# measuring in a fresh child

_MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
print(json.dumps({"wall_s": wall, "peak_rss_bytes": peak, "returncode": proc.returncode,
                  "stdout": proc.stdout[-4000:], "stderr": proc.stderr[-4000:]}))
"""


def measured(command: list[str], *, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Wall time, peak RSS, exit status and output tails of one command, run in a fresh process."""
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command], capture_output=True, text=True, check=True, env=env
    )
    return dict(json.loads(proc.stdout))


GROUP_BY = {
    "polars": """
import sys, time, polars as pl
query = pl.scan_parquet(sys.argv[1]).group_by(["sex", "race_age"]).agg(
    pl.len().alias("n"), pl.col("decision").sum().alias("selected"), pl.col("outcome").sum().alias("positives"),
    (pl.col("decision") * pl.col("outcome")).sum().alias("true_positives"))
query.collect(engine="streaming")  # warm-up, as the in-process audit has
start = time.perf_counter()
counts = query.collect(engine="streaming")
print("MEASURED", time.perf_counter() - start, len(counts))
""",
    "duckdb": """
import sys, time, duckdb
query = (f"SELECT sex, race_age, count(*) AS n, sum(decision) AS selected, sum(outcome) AS "
    f"positives, sum(decision * outcome) AS true_positives FROM read_parquet('{sys.argv[1]}') "
    "GROUP BY sex, race_age")
duckdb.sql(query).fetchall()  # warm-up, as the in-process audit has
start = time.perf_counter()
counts = duckdb.sql(query).fetchall()
print("MEASURED", time.perf_counter() - start, len(counts))
""",
    "spark": """
import sys, time
from pyspark.sql import SparkSession, functions as F
spark = SparkSession.builder.master("local[2]").getOrCreate()
def query():
    return (spark.read.parquet(sys.argv[1]).groupBy("sex", "race_age").agg(
        F.count("*").alias("n"), F.sum("decision").alias("selected"), F.sum("outcome").alias("positives"),
        F.sum(F.col("decision") * F.col("outcome")).alias("true_positives")).collect())
query()  # warm-up (the session's start and first query), as the in-process audit has
start = time.perf_counter()
counts = query()
print("MEASURED", time.perf_counter() - start, len(counts))
spark.stop()
""",
}

IN_PROCESS = """
import sys, time, warnings
warnings.simplefilter("ignore")
import equityaudit
equityaudit.run(sys.argv[1])  # warm-up: imports, the gate's one-off set-up
start = time.perf_counter()
result = equityaudit.run(sys.argv[1])
print("MEASURED", time.perf_counter() - start, result.verdict, result.data.rows)
"""


def _script(folder: Path, name: str, code: str) -> str:
    """The child's code as a file: under ``python -c`` pyspark's import (which great-expectations
    makes when pyspark is installed) takes the interpreter for a doctest run and exits when
    Spark Connect's dependencies are missing."""
    path = folder / f"{name}.py"
    path.write_text(code, encoding="utf-8")
    return str(path)


def _reported(run: dict[str, Any]) -> float | None:
    """The seconds a child printed on its ``MEASURED`` line (None when it failed: its error is printed)."""
    for line in run["stdout"].splitlines():
        if line.startswith("MEASURED "):
            return float(line.split()[1])
    print(f"  a measurement failed (exit {run['returncode']}): {run['stderr'].strip()[-600:]}")
    return None


def bench_engine(data: Path, rows: int, engine: str, folder: Path) -> dict[str, Any]:
    """The CLI run, the bare group-by and the in-process audit of one file on one engine."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    spec = write_spec(data, engine, folder)
    cli = measured(
        [
            sys.executable,
            "-m",
            "equityaudit",
            "run",
            str(spec),
            "--format",
            "json",
            "-q",
            "--force",
            "--out",
            str(folder / f"out-{engine}"),
        ],
        env=env,
    )
    if cli["returncode"] not in (0, 1):
        return {
            "engine": engine,
            "rows": rows,
            "skipped": f"equityaudit run exited {cli['returncode']}: "
            + (cli["stderr"].strip().splitlines() or ["(no message)"])[-1],
        }
    bare = measured(
        [sys.executable, _script(folder, f"group_by_{engine}", GROUP_BY[engine]), str(data)], env=env
    )
    bare_query = _reported(bare)
    inproc = measured([sys.executable, _script(folder, "in_process", IN_PROCESS), str(spec)], env=env)
    audit_s = _reported(inproc)
    return {
        "engine": engine,
        "rows": rows,
        "cli_wall_s": cli["wall_s"],
        "cli_peak_rss_bytes": cli["peak_rss_bytes"],
        "cli_exit": cli["returncode"],
        "group_by_s": bare_query,
        "group_by_peak_rss_bytes": bare["peak_rss_bytes"],
        "audit_in_process_s": audit_s,
        "audit_peak_rss_bytes": inproc["peak_rss_bytes"],
        "audit_over_group_by": audit_s / bare_query if audit_s and bare_query else None,
    }


def _mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value / 2**20:,.0f} MiB"


def _s(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} s"


def markdown(rows: list[dict[str, Any]]) -> str:
    """The measured figures as a Markdown table."""
    lines = [
        "| rows | engine | `run --format json` | peak RSS | bare GROUP BY | its peak RSS | audit in process | ÷ GROUP BY |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        if "skipped" in r:
            lines.append(f"| {r['rows']:,} | {r['engine']} | skipped: {r['skipped']} | | | | | |")
            continue
        ratio = r["audit_over_group_by"]
        lines.append(
            f"| {r['rows']:,} | {r['engine']} | {_s(r['cli_wall_s'])} | {_mb(r['cli_peak_rss_bytes'])} | "
            f"{_s(r['group_by_s'])} | {_mb(r['group_by_peak_rss_bytes'])} | {_s(r['audit_in_process_s'])} | "
            f"{'n/a' if ratio is None else f'{ratio:.1f}×'} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--with-100m", action="store_true", help="also 100,000,000 rows (disk and minutes)")
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    state = machine_state()
    sizes = sorted(set(args.sizes) | ({100_000_000} if args.with_100m else set()))
    engines = list(args.engines)
    if "spark" in engines:
        try:
            import pyspark  # noqa: F401
        except ImportError:
            print("note: pyspark is not importable: the spark engine is skipped (install the 'spark' extra)")
            engines.remove("spark")
    measured_rows = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        for rows in sizes:
            data = generate(rows, args.cache)
            for engine in engines:
                print(f"measuring {rows:,} rows on {engine} ...", flush=True)
                measured_rows.append(bench_engine(data, rows, engine, Path(tmp)))
    table = markdown(measured_rows)
    print()
    print(table)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps(
            {
                "benchmark": "scale",
                "recorded_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "machine": {"platform": platform.platform(), "python": platform.python_version(), **state},
                **provenance(),
                "results": measured_rows,
                "markdown": table,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"\nwrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
