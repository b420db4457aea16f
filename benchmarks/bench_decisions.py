"""Benchmark the ``decisions`` auditor against fairlearn's MetricFrame and a bare polars group_by.

Run from the repository root::

    .venv/bin/python benchmarks/bench_decisions.py [--rows 200000 2000000] [--repeat 3]

It generates synthetic decisions (sex x race, group-dependent selection and qualification
rates), then times

* ``equityaudit.audit(..., auditor="decisions")`` on a polars and on a pandas frame;
* three fairlearn ``MetricFrame`` objects (by sex, by race, by both) with selection rate, TPR,
  FPR and FNR on the pandas frame, the reference implementation;
* a bare polars ``group_by(["sex", "race"]).agg(...)`` producing the same counts (the lower
  bound) and, for information, the same in pandas;
* ``bootstrap_rate_intervals`` (1,000 replicates) on the per-intersection counts of the largest
  frame, and the end-to-end audit with ``thresholds={"bootstrap": 1000}``;
* ``equityaudit --help`` as a subprocess, and ``python -X importtime -c "import equityaudit"``.

It checks that every group's selection rate, TPR, FPR and FNR equal MetricFrame's to 1e-12
(and that the audit's counts equal the bare group_by's), prints a table and the targets with
PASS/MISS, and writes everything to ``benchmarks/results/decisions.json``.

Timing rule: each measurement runs once as a warm-up, then ``--repeat`` times, and the best
run is reported. When the warm-up alone takes ``--slow`` seconds or more (fairlearn at 2M
rows), the warm-up is the single reported run: at that duration a warm-up changes nothing
and repeating would only make the benchmark long. The table says which rule applied.

Exit status: 0 when the script ran (whatever the targets), 1 when a value differs from
fairlearn or a count from the bare group_by.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import math
import os
import platform
import re
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
from provenance import git

import equityaudit
from equityaudit.stats.bootstrap import bootstrap_rate_intervals

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "benchmarks" / "results" / "decisions.json"
CLI = ROOT / ".venv" / "bin" / "equityaudit"

SENSITIVE = ("sex", "race")
GROUPINGS: tuple[tuple[str, ...], ...] = (("sex",), ("race",), ("sex", "race"))
METRICS = ("selection_rate", "tpr", "fpr", "fnr")
TOLERANCE = 1e-12

# Synthetic population: category shares and group effects on the two rates.
SEX = ("Female", "Male")
SEX_SHARE = (0.52, 0.48)
RACE = ("White", "Black", "Hispanic", "Asian", "Other")
RACE_SHARE = (0.55, 0.15, 0.15, 0.10, 0.05)
QUALIFIED_BASE = 0.45
QUALIFIED_SEX = (0.00, 0.02)
QUALIFIED_RACE = (0.03, -0.04, -0.02, 0.05, 0.00)
SELECT_IF_QUALIFIED = 0.60
SELECT_IF_NOT = 0.15
SELECT_SEX = (0.90, 1.00)
SELECT_RACE = (1.00, 0.78, 0.85, 1.05, 0.92)

TARGET_SPEEDUP = 100.0
TARGET_OVERHEAD = 3.0
TARGET_BOOTSTRAP_S = 1.0
TARGET_HELP_S = 0.5


# --------------------------------------------------------------------------------------------
# data


def make_decisions(rows: int, seed: int) -> pl.DataFrame:
    """Synthetic decisions with group-dependent qualification and selection rates."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(len(SEX), size=rows, p=SEX_SHARE)
    race = rng.choice(len(RACE), size=rows, p=RACE_SHARE)
    p_qualified = QUALIFIED_BASE + np.take(QUALIFIED_SEX, sex) + np.take(QUALIFIED_RACE, race)
    qualified = (rng.random(rows) < p_qualified).astype(np.int64)
    factor = np.take(SELECT_SEX, sex) * np.take(SELECT_RACE, race)
    p_selected = np.where(qualified == 1, SELECT_IF_QUALIFIED, SELECT_IF_NOT) * factor
    selected = (rng.random(rows) < p_selected).astype(np.int64)
    return pl.DataFrame(
        {
            "sex": np.asarray(SEX, dtype=object)[sex],
            "race": np.asarray(RACE, dtype=object)[race],
            "selected": selected,
            "qualified": qualified,
        },
        schema={"sex": pl.String, "race": pl.String, "selected": pl.Int64, "qualified": pl.Int64},
    )


# --------------------------------------------------------------------------------------------
# timing


@dataclass
class Timing:
    """Wall-clock runs of one measurement and how they were taken."""

    runs: list[float]
    warmup: float | None
    rule: str

    @property
    def best(self) -> float:
        return min(self.runs)

    def to_dict(self) -> dict[str, Any]:
        return {"best_s": self.best, "runs_s": self.runs, "warmup_s": self.warmup, "rule": self.rule}


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def measure(fn: Callable[[], Any], *, repeat: int, slow: float) -> tuple[Timing, Any]:
    """Best of ``repeat`` after one warm-up; a warm-up of ``slow`` seconds or more is the only run."""
    first, value = _timed(fn)
    if first >= slow or repeat < 1:
        return Timing([first], None, f"1 run (took >= {slow:g} s: no warm-up)"), value
    runs = []
    for _ in range(repeat):
        elapsed, value = _timed(fn)
        runs.append(elapsed)
    return Timing(runs, first, f"best of {repeat} after warm-up"), value


def fmt_time(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "n/a"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1.0:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def fmt_ratio(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:,.1f}×" if value < 1000 else f"{value:,.0f}×"


# --------------------------------------------------------------------------------------------
# the contenders


def run_audit(frame: Any, *, bootstrap: int = 0) -> equityaudit.AuditResult:
    thresholds = {"bootstrap": bootstrap} if bootstrap else None
    return equityaudit.audit(
        frame,
        auditor="decisions",
        sensitive=list(SENSITIVE),
        decision="selected",
        outcome="qualified",
        thresholds=thresholds,
    )


def run_auditor_step(frame: Any) -> Any:
    """The auditor alone (one grouped count, then the statistics), as the engine calls it after the
    quality gate: the part of an audit that the bare group_by lower bound is comparable with."""
    from equityaudit.auditors.base import AuditContext
    from equityaudit.frames import read_source
    from equityaudit.spec_loading import spec_from_mapping

    spec = spec_from_mapping(
        {
            "equityaudit": 1,
            "name": "bench",
            "auditor": "decisions",
            "data": {},
            "columns": {"sensitive": list(SENSITIVE), "decision": "selected", "outcome": "qualified"},
        }
    )
    auditor = equityaudit.get_auditor("decisions")
    source = read_source(frame)
    return auditor.run(source.frame, spec, AuditContext(source=source.name, options=auditor.options_model()))


def run_metricframes(frame: pd.DataFrame) -> dict[tuple[str, ...], pd.DataFrame]:
    from fairlearn.metrics import (
        MetricFrame,
        false_negative_rate,
        false_positive_rate,
        selection_rate,
        true_positive_rate,
    )

    metrics = {
        "selection_rate": selection_rate,
        "tpr": true_positive_rate,
        "fpr": false_positive_rate,
        "fnr": false_negative_rate,
    }
    out = {}
    for by in GROUPINGS:
        features = frame[by[0]] if len(by) == 1 else frame[list(by)]
        mf = MetricFrame(
            metrics=metrics,
            y_true=frame["qualified"],
            y_pred=frame["selected"],
            sensitive_features=features,
        )
        out[by] = mf.by_group
    return out


def polars_counts(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.group_by(list(SENSITIVE)).agg(
        pl.len().alias("n"),
        pl.col("selected").sum().alias("selected"),
        pl.col("qualified").sum().alias("positives"),
        (pl.col("selected") * pl.col("qualified")).sum().alias("tp"),
    )


def pandas_counts(frame: pd.DataFrame) -> pd.DataFrame:
    return (
        frame.assign(tp=frame["selected"] * frame["qualified"])
        .groupby(list(SENSITIVE), observed=True, sort=False)
        .agg(
            n=("selected", "size"),
            selected=("selected", "sum"),
            positives=("qualified", "sum"),
            tp=("tp", "sum"),
        )
    )


# --------------------------------------------------------------------------------------------
# checks


def compare_with_fairlearn(
    result: equityaudit.AuditResult, by_group: dict[tuple[str, ...], pd.DataFrame], label: str
) -> list[str]:
    """Mismatches between the audit's tables and MetricFrame.by_group (empty when identical)."""
    problems = []
    for by, theirs in by_group.items():
        table = next((t for t in result.tables if tuple(t.by) == by), None)
        if table is None:
            problems.append(f"{label}: no table by {list(by)} in the result")
            continue
        ours = {tuple(str(row["group"][b]) for b in by): row for row in table.rows}
        keys = [k if isinstance(k, tuple) else (k,) for k in theirs.index]
        keys = [tuple(str(v) for v in k) for k in keys]
        for extra in sorted(set(ours) - set(keys)):
            problems.append(f"{label}: group {extra} by {list(by)} is not in MetricFrame")
        for key, (_, values) in zip(keys, theirs.iterrows(), strict=True):
            row = ours.get(key)
            if row is None:
                problems.append(f"{label}: group {key} by {list(by)} is missing from the result")
                continue
            for metric in METRICS:
                mine, ref = row.get(metric), float(values[metric])
                same = (mine is None and math.isnan(ref)) or (
                    mine is not None and abs(float(mine) - ref) <= TOLERANCE
                )
                if not same:
                    problems.append(
                        f"{label}: {metric} of {key} by {list(by)}: equityaudit {mine!r}, fairlearn {ref!r}"
                    )
    return problems


def compare_counts(result: equityaudit.AuditResult, bare: pl.DataFrame, label: str) -> list[str]:
    """Mismatches between the audit's stored counts and the bare polars group_by."""
    finest = next((c for c in result.counts if tuple(c.by) == SENSITIVE), None)
    if finest is None:
        return [f"{label}: no counts by {list(SENSITIVE)} in the result"]
    ours = {
        tuple(r["group"][b] for b in SENSITIVE): {k: r[k] for k in ("n", "selected", "positives", "tp")}
        for r in finest.rows
    }
    theirs = {
        (r["sex"], r["race"]): {k: r[k] for k in ("n", "selected", "positives", "tp")}
        for r in bare.to_dicts()
    }
    if ours == theirs:
        return []
    return [f"{label}: counts differ from the bare group_by: {ours} != {theirs}"]


# --------------------------------------------------------------------------------------------
# CLI and imports


def time_help(runs: int = 5) -> dict[str, Any]:
    if not CLI.exists():
        return {"available": False, "reason": f"{CLI.relative_to(ROOT)} does not exist"}
    command = [str(CLI), "--help"]
    first = subprocess.run(command, capture_output=True, text=True, check=False)
    if first.returncode != 0:
        last = (first.stderr.strip().splitlines() or ["(no output)"])[-1]
        return {"available": False, "reason": f"exit {first.returncode}: {last}"}
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return {
        "available": True,
        "command": "equityaudit --help",
        "best_s": min(times),
        "runs_s": times,
        "rule": f"best of {runs} after 1 untimed run",
    }


_IMPORTTIME = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def _importtime(statement: str) -> list[tuple[str, int]]:
    """(module, cumulative µs) for every import ``python -X importtime -c statement`` makes."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        capture_output=True,
        text=True,
        check=False,
    )
    found = []
    for line in proc.stderr.splitlines():
        match = _IMPORTTIME.match(line)
        if match:
            found.append((match.group(4), int(match.group(2))))
    return found


def import_profile(statement: str, root: str, top: int = 8) -> dict[str, Any]:
    """Cumulative import time of ``root`` in ``statement`` and its heaviest top-level packages.

    Interpreter start-up imports (those ``python -c pass`` makes too) are left out. One run:
    import times are noisy, read them as an indication.
    """
    startup = {name for name, _ in _importtime("pass")}
    entries = _importtime(statement)
    total = next((cum for name, cum in entries if name == root), None)
    packages = [
        (name, cum)
        for name, cum in entries
        if "." not in name and name not in startup and not name.startswith("equityaudit")
    ]
    packages.sort(key=lambda item: item[1], reverse=True)
    return {
        "command": f'python -X importtime -c "{statement}"',
        "total_s": None if total is None else total / 1e6,
        "top_packages": [{"package": name, "cumulative_s": cum / 1e6} for name, cum in packages[:top]],
    }


# --------------------------------------------------------------------------------------------
# machine


def machine_info() -> dict[str, Any]:
    def version(dist: str) -> str | None:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return None

    cpu = None
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory_gb = None
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        match = re.search(r"MemTotal:\s+(\d+) kB", meminfo.read_text())
        memory_gb = round(int(match.group(1)) / 1024**2, 1) if match else None

    return {
        "nproc": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu": cpu,
        "memory_gb": memory_gb,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "load_average_1min": round(os.getloadavg()[0], 2),  # before anything is measured
        "git_commit": git("rev-parse", "HEAD"),
        "git_src_dirty": bool(git("status", "--porcelain", "--", "src")),
        "packages": {
            dist: version(dist)
            for dist in (
                "equityaudit",
                "polars",
                "pandas",
                "numpy",
                "scipy",
                "narwhals",
                "pyarrow",
                "pydantic",
                "fairlearn",
                "scikit-learn",
                "duckdb",
            )
        },
    }


# --------------------------------------------------------------------------------------------
# main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[200_000, 2_000_000], help="frame sizes")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs after the warm-up")
    parser.add_argument(
        "--slow",
        type=float,
        default=5.0,
        help="a first run at least this long (s) is the only run (default 5)",
    )
    parser.add_argument("--replicates", type=int, default=1000, help="bootstrap replicates")
    parser.add_argument("--seed", type=int, default=20240917, help="seed of the synthetic data")
    parser.add_argument(
        "--skip-fairlearn", action="store_true", help="skip MetricFrame (no speed-up, no check)"
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="JSON output file")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = sorted(set(args.rows))
    largest = sizes[-1]
    machine = machine_info()
    began = time.perf_counter()
    print(
        f"equityaudit {machine['packages']['equityaudit']} · decisions auditor benchmark · "
        f"{machine['nproc']} CPUs · Python {machine['python']} · polars "
        f"{machine['packages']['polars']} · pandas {machine['packages']['pandas']} · fairlearn "
        f"{machine['packages']['fairlearn']}"
    )
    print(
        f"rows {', '.join(f'{n:,}' for n in sizes)} · repeat {args.repeat} after a warm-up "
        f"(a first run >= {args.slow:g} s is the only run) · seed {args.seed}\n"
    )

    measurements: list[dict[str, Any]] = []
    by_size: dict[int, dict[str, Any]] = {}
    problems: list[str] = []
    largest_counts: pl.DataFrame | None = None
    largest_polars: pl.DataFrame | None = None
    audit_largest: Timing | None = None

    def record(name: str, rows: int | None, timing: Timing) -> None:
        measurements.append({"name": name, "rows": rows, **timing.to_dict()})
        rows_text = f"{rows:>10,}" if rows else " " * 10
        print(f"  {name:<38} {rows_text}  {fmt_time(timing.best):>10}  {timing.rule}", flush=True)

    print(f"  {'measurement':<38} {'rows':>10}  {'best':>10}  how")
    print(f"  {'-' * 38} {'-' * 10}  {'-' * 10}  {'-' * 32}")
    for rows in sizes:
        frame_pl = make_decisions(rows, args.seed)
        frame_pd = frame_pl.to_pandas()
        times: dict[str, Timing] = {}

        times["bare_polars"], bare = measure(
            lambda f=frame_pl: polars_counts(f), repeat=args.repeat, slow=args.slow
        )
        record("polars group_by (lower bound)", rows, times["bare_polars"])
        times["bare_pandas"], _ = measure(
            lambda f=frame_pd: pandas_counts(f), repeat=args.repeat, slow=args.slow
        )
        record("pandas groupby (info)", rows, times["bare_pandas"])

        times["audit_polars"], result_pl = measure(
            lambda f=frame_pl: run_audit(f), repeat=args.repeat, slow=args.slow
        )
        record("equityaudit.audit (polars)", rows, times["audit_polars"])
        times["audit_pandas"], result_pd = measure(
            lambda f=frame_pd: run_audit(f), repeat=args.repeat, slow=args.slow
        )
        record("equityaudit.audit (pandas)", rows, times["audit_pandas"])
        times["auditor_polars"], _ = measure(
            lambda f=frame_pl: run_auditor_step(f), repeat=args.repeat, slow=args.slow
        )
        record("  of which the auditor step (polars)", rows, times["auditor_polars"])

        problems += compare_counts(result_pl, bare, f"{rows:,} rows, polars")
        problems += compare_counts(result_pd, bare, f"{rows:,} rows, pandas")
        if not args.skip_fairlearn:
            times["metricframe"], by_group = measure(
                lambda f=frame_pd: run_metricframes(f), repeat=args.repeat, slow=args.slow
            )
            record("fairlearn MetricFrame x3 (pandas)", rows, times["metricframe"])
            problems += compare_with_fairlearn(result_pl, by_group, f"{rows:,} rows, polars")
            problems += compare_with_fairlearn(result_pd, by_group, f"{rows:,} rows, pandas")

        mf = times.get("metricframe")
        by_size[rows] = {
            "speedup_vs_metricframe_pandas": mf.best / times["audit_pandas"].best if mf else None,
            "speedup_vs_metricframe_polars": mf.best / times["audit_polars"].best if mf else None,
            # the auditor step (counts + statistics) against the bare count; the quality gate's
            # great-expectations validation comes on top and is benchmarked by bench_gate.py
            "overhead_vs_polars_group_by": times["auditor_polars"].best / times["bare_polars"].best,
            "audit_with_gate_vs_polars_group_by": times["audit_polars"].best / times["bare_polars"].best,
            "overhead_pandas_vs_pandas_groupby": times["audit_pandas"].best / times["bare_pandas"].best,
        }
        if rows == largest:
            largest_counts, largest_polars = bare.sort(list(SENSITIVE)), frame_pl
            audit_largest = times["audit_polars"]
        del frame_pd, result_pd, result_pl

    # Bootstrap: resamples the per-intersection counts, so rows only enter through n.
    assert largest_counts is not None and largest_polars is not None and audit_largest is not None
    successes = largest_counts["selected"].to_numpy()
    totals = largest_counts["n"].to_numpy()
    reference = int(np.argmax(successes / totals))
    boot, _ = measure(
        lambda: bootstrap_rate_intervals(
            successes, totals, reference_index=reference, replicates=args.replicates, seed=0
        ),
        repeat=args.repeat,
        slow=args.slow,
    )
    record(f"bootstrap_rate_intervals ({args.replicates:,} reps)", largest, boot)
    boot_e2e, _ = measure(
        lambda: run_audit(largest_polars, bootstrap=args.replicates),
        repeat=args.repeat,
        slow=args.slow,
    )
    record(f"audit + bootstrap {args.replicates:,} (polars)", largest, boot_e2e)

    cli = time_help()
    if cli["available"]:
        print(
            f"  {'equityaudit --help (subprocess)':<38} {'':>10}  {fmt_time(cli['best_s']):>10}  {cli['rule']}"
        )
    else:
        print(f"  CLI not available yet ({cli['reason']})")
    imports = [
        import_profile("import equityaudit", "equityaudit"),
        import_profile("import equityaudit.engine", "equityaudit.engine"),
    ]
    for profile in imports:
        label = profile["command"].removeprefix("python -X importtime -c ").strip('"')
        print(f"  {label + ' (importtime)':<38} {'':>10}  {fmt_time(profile['total_s']):>10}  1 run")
        if profile["top_packages"]:
            heaviest = ", ".join(
                f"{p['package']} {fmt_time(p['cumulative_s'])}" for p in profile["top_packages"]
            )
            print(f"      heaviest: {heaviest}")

    print("\n  ratios by size")
    print(
        f"  {'rows':>10}  {'vs MetricFrame (pandas)':>24}  {'vs MetricFrame (polars)':>24}  {'overhead vs polars group_by':>28}"
    )
    for rows, ratios in by_size.items():
        print(
            f"  {rows:>10,}  {fmt_ratio(ratios['speedup_vs_metricframe_pandas']):>24}  "
            f"{fmt_ratio(ratios['speedup_vs_metricframe_polars']):>24}  "
            f"{fmt_ratio(ratios['overhead_vs_polars_group_by']):>28}"
        )

    print()
    if args.skip_fairlearn:
        print(
            "values identical: not checked (--skip-fairlearn); counts checked against group_by:",
            "yes" if not problems else "NO",
        )
    elif problems:
        print("values identical: NO")
    else:
        print(f"values identical: yes (selection_rate, tpr, fpr, fnr of every group, to {TOLERANCE:g})")
    for problem in problems[:50]:
        print(f"  mismatch: {problem}")

    def target(name: str, value: float | None, goal: str, ok: bool | None, shown: str) -> dict[str, Any]:
        status = "n/a" if ok is None else "PASS" if ok else "MISS"
        return {"name": name, "value": value, "target": goal, "status": status, "shown": shown}

    speedup = by_size[largest]["speedup_vs_metricframe_pandas"]
    overhead = by_size[largest]["overhead_vs_polars_group_by"]
    targets = [
        target(
            f"speed-up vs MetricFrame at {largest:,} rows (pandas input)",
            speedup,
            f">= {TARGET_SPEEDUP:g}x",
            None if speedup is None else speedup >= TARGET_SPEEDUP,
            fmt_ratio(speedup),
        ),
        target(
            f"auditor step vs polars group_by at {largest:,} rows",
            overhead,
            f"<= {TARGET_OVERHEAD:g}x",
            overhead <= TARGET_OVERHEAD,
            fmt_ratio(overhead),
        ),
        target(
            f"bootstrap {args.replicates:,} replicates on {largest:,}-row counts",
            boot.best,
            f"< {TARGET_BOOTSTRAP_S:g} s",
            boot.best < TARGET_BOOTSTRAP_S,
            fmt_time(boot.best),
        ),
        target(
            "equityaudit --help",
            cli.get("best_s"),
            f"< {TARGET_HELP_S:g} s",
            cli["best_s"] < TARGET_HELP_S if cli["available"] else None,
            fmt_time(cli.get("best_s")) if cli["available"] else "CLI not available yet",
        ),
    ]
    print("\n  targets")
    for t in targets:
        print(f"  {t['status']:<5} {t['name']:<58} {t['shown']:>12}  (target {t['target']})")
    increment = boot_e2e.best - audit_largest.best
    print(
        f"  info  end-to-end audit with bootstrap {args.replicates:,} at {largest:,} rows: "
        f"{fmt_time(boot_e2e.best)} ({fmt_time(increment)} more than without)"
    )
    elapsed = time.perf_counter() - began
    print(f"\n  benchmark wall time {elapsed:.0f} s")

    document = {
        "benchmark": "decisions",
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine,
        "config": {
            "rows": sizes,
            "repeat": args.repeat,
            "slow_s": args.slow,
            "replicates": args.replicates,
            "seed": args.seed,
            "skip_fairlearn": args.skip_fairlearn,
            "audit_call": 'equityaudit.audit(frame, auditor="decisions", sensitive=["sex", "race"], '
            'decision="selected", outcome="qualified")',
            "metricframe": "3 MetricFrames (sex, race, sex x race) with selection_rate, "
            "true_positive_rate, false_positive_rate, false_negative_rate on pandas input",
        },
        "measurements": measurements,
        "ratios": {str(rows): ratios for rows, ratios in by_size.items()},
        "bootstrap": {
            "groups": len(totals),
            "reference_index": reference,
            "direct": boot.to_dict(),
            "end_to_end": boot_e2e.to_dict(),
            "end_to_end_increment_s": increment,
        },
        "cli_help": cli,
        "import_time": imports,
        "values_identical": None if args.skip_fairlearn else not problems,
        "mismatches": problems,
        "targets": [{k: v for k, v in t.items() if k != "shown"} for t in targets],
        "wall_time_s": elapsed,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(document, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    print(f"  wrote {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
