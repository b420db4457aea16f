"""Coverage and width of the ratio intervals: Katz log, percentile bootstrap, MOVER-R, the bootstrap path.

Run from the repository root::

    .venv/bin/python benchmarks/bench_intervals.py                # the full grid, ~5 min on 2 cores
    .venv/bin/python benchmarks/bench_intervals.py --sizes 10 20 50 --replicates 500   # quick look

For every group size ``n`` (the same for the group and the reference), group rate ``p`` and
reference rate ``r`` of the grid (default n ∈ {10, 20, 50, 200, 1000}, p ∈ {0.02, 0.05, 0.2,
0.5, 0.95}, r ∈ {0.3, 0.6}) it computes, for the true ratio p / r,

* the **coverage** of each 95 % interval: the probability that it contains p / r, summed exactly
  over every table (x1, x2) of two independent binomials, weighted by its probability (the tails
  beyond probability 1e-9 on either side of each binomial are left out: under 4e-9 of the mass).
  The audit reports no ratio to a reference with none selected (the ratio is undefined), so
  coverage is conditional on x2 > 0; ``p_reference_none`` gives the share left out;
* the **median width** (upper − lower bound) over the same tables and weights;
* the coverage given that the group has **none selected** (x1 = 0), where that has probability
  above 1e-3;

for four intervals of the ratio:

``katz``
    ``ratio_interval``: Katz log interval with the zero-count corrections, the audit's default.
``percentile``
    ``bootstrap_rate_intervals(..., min_count=0)``: the percentile bootstrap over resampled counts,
    everywhere (what ``thresholds.bootstrap: N`` gave before).
``mover_r``
    ``mover_ratio_interval``: MOVER-R from the two groups' Wilson intervals (Donner & Zou 2012).
``bootstrap_path``
    ``bootstrap_rate_intervals(...)`` as the audit calls it now: the percentile bootstrap where
    both groups have at least ``MIN_BOOTSTRAP_COUNT`` (10) selected and as many not selected,
    MOVER-R elsewhere.

A bootstrap interval is one realisation per table (``--replicates`` replicates, default 1,000,
seeded with ``--seed``): its coverage is exact over tables, up to the Monte Carlo error of each
table's percentiles. For context it also gives the Wilson interval's coverage of the group's rate.

It then prints the four intervals on fixed tables with a zero count (a group with none selected,
a reference at 100 %, large groups). Checks: every interval but the percentile bootstrap contains
its estimate on every table of the grid, and no interval but the percentile bootstrap gives a
group with none selected an upper bound of 0; the script exits 1 if one fails. Results go to
``benchmarks/results/intervals.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats

ROOT = Path(__file__).resolve().parent.parent

from provenance import provenance  # noqa: E402 - beside this script

DEFAULT_OUTPUT = ROOT / "benchmarks" / "results" / "intervals.json"
METHODS = ("katz", "percentile", "mover_r", "bootstrap_path")
TAIL = 1e-9  # binomial tail mass left out on each side
ZERO_COUNT_TABLES = [  # (x1, n1, x2, n2)
    (0, 20, 6, 20),
    (0, 1, 6, 31),
    (0, 10, 5, 5),
    (0, 50, 30, 50),
    (0, 1000, 300, 1000),
    (1, 20, 6, 20),
    (5, 5, 0, 10),
]

Bounds = tuple[NDArray[np.float64], NDArray[np.float64]]


def support(n: int, p: float) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Counts of Binomial(n, p) outside the two TAIL tails, and their probabilities."""
    low = max(int(stats.binom.ppf(TAIL, n, p)) - 1, 0)
    high = min(int(stats.binom.isf(TAIL, n, p)) + 1, n)
    x = np.arange(low, high + 1)
    return x, stats.binom.pmf(x, n, p)


def bootstrap_bounds(
    x1: NDArray[np.int64], x2: NDArray[np.int64], n: int, *, replicates: int, seed: int, min_count: int | None
) -> Bounds:
    """Ratio bounds of bootstrap_rate_intervals for every table (x1[i], x2[j]): one call per x2."""
    from equityaudit.stats.bootstrap import bootstrap_rate_intervals

    rng = np.random.default_rng(seed)
    low = np.empty((x1.size, x2.size))
    high = np.empty((x1.size, x2.size))
    extra = {} if min_count is None else {"min_count": min_count}
    for j, reference in enumerate(x2):
        lo, hi = bootstrap_rate_intervals(
            np.append(x1, reference),
            np.full(x1.size + 1, n),
            reference_index=-1,
            replicates=replicates,
            seed=rng,
            **extra,
        )["ratio"]
        low[:, j], high[:, j] = lo[:-1], hi[:-1]
    return low, high


def weighted_median(values: NDArray[np.float64], weights: NDArray[np.float64]) -> float:
    """Median of ``values`` under ``weights`` (inf allowed; nan values left out)."""
    keep = ~np.isnan(values)
    values, weights = values[keep], weights[keep]
    if values.size == 0:
        return float("nan")
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, cumulative[-1] / 2.0)])


def grid_point(n: int, p: float, r: float, *, replicates: int, seed: int) -> dict[str, Any]:
    """Coverage, median width and checks of every method at one (n, p, r)."""
    from equityaudit.stats.inference import mover_ratio_interval, ratio_interval, wilson_interval

    x1, w1 = support(n, p)
    x2, w2 = support(n, r)
    table_x1, table_x2 = np.meshgrid(x1, x2, indexing="ij")
    weight = np.outer(w1, w2)
    true = p / r
    bounds: dict[str, Bounds] = {
        "katz": ratio_interval(table_x1, n, table_x2, n),
        "percentile": bootstrap_bounds(x1, x2, n, replicates=replicates, seed=seed, min_count=0),
        "mover_r": mover_ratio_interval(table_x1, n, table_x2, n),
        "bootstrap_path": bootstrap_bounds(x1, x2, n, replicates=replicates, seed=seed, min_count=None),
    }
    reported = table_x2 > 0  # the audit reports no ratio to a reference with none selected
    none = reported & (table_x1 == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        estimate = (table_x1 / n) / (table_x2 / n)
    out: dict[str, Any] = {
        "n": n,
        "p": p,
        "reference_rate": r,
        "true_ratio": true,
        "p_reference_none": float(stats.binom.pmf(0, n, r)),
        "p_group_none": float(stats.binom.pmf(0, n, p)),
        "methods": {},
        "failed_checks": [],
    }
    for method, (low, high) in bounds.items():
        covered = reported & (low <= true) & (true <= high)
        width = np.where(reported, high - low, np.nan)
        entry = {
            "coverage": float(weight[covered].sum() / weight[reported].sum()),
            "median_width": weighted_median(width.ravel(), weight.ravel()),
            "coverage_group_none": (
                float(weight[covered & none].sum() / weight[none].sum())
                if weight[none].sum() > 1e-3
                else None
            ),
        }
        out["methods"][method] = entry
        if method != "percentile":
            inside = (low <= estimate) & (estimate <= high)
            if not inside[reported].all():
                out["failed_checks"].append(f"{method}: an interval misses its estimate")
            if none.any() and not (high[none] > 0).all():
                out["failed_checks"].append(f"{method}: a group with none selected gets an upper bound of 0")
    rate_low, rate_high = wilson_interval(x1, n)
    out["wilson_rate_coverage"] = float(w1[(rate_low <= p) & (p <= rate_high)].sum() / w1.sum())
    return out


def zero_count_rows(*, replicates: int, seed: int) -> list[dict[str, Any]]:
    """The four intervals on the fixed zero-count tables."""
    from equityaudit.stats.bootstrap import bootstrap_rate_intervals
    from equityaudit.stats.inference import mover_ratio_interval, ratio_interval

    rows = []
    for x1, n1, x2, n2 in ZERO_COUNT_TABLES:
        percentile = bootstrap_rate_intervals(
            [x1, x2], [n1, n2], reference_index=1, replicates=replicates, seed=seed, min_count=0
        )["ratio"]
        path = bootstrap_rate_intervals(
            [x1, x2], [n1, n2], reference_index=1, replicates=replicates, seed=seed
        )
        intervals = {
            "katz": [float(v) for v in ratio_interval(x1, n1, x2, n2)],
            "percentile": [float(v[0]) for v in percentile],
            "mover_r": [float(v) for v in mover_ratio_interval(x1, n1, x2, n2)],
            "bootstrap_path": [float(v[0]) for v in path["ratio"]],
        }
        rows.append({"table": [x1, n1, x2, n2], "intervals": intervals})
    return rows


def fmt(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "-"
    if np.isnan(value):
        return "nan"
    return "inf" if np.isinf(value) else f"{value:.{digits}f}"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 20, 50, 200, 1000], help="n per group")
    parser.add_argument(
        "--rates", type=float, nargs="+", default=[0.02, 0.05, 0.2, 0.5, 0.95], help="group rates p"
    )
    parser.add_argument(
        "--reference-rates", type=float, nargs="+", default=[0.3, 0.6], help="reference rates r"
    )
    parser.add_argument("--replicates", type=int, default=1000, help="bootstrap replicates per table")
    parser.add_argument("--seed", type=int, default=2026, help="seed of the bootstrap")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="JSON output file")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    load = round(os.getloadavg()[0], 2)  # before anything is measured
    import equityaudit
    from equityaudit.stats.bootstrap import MIN_BOOTSTRAP_COUNT

    started = time.perf_counter()
    grid = []
    header = f"  {'n':>5} {'p':>5} {'r':>4}  " + "  ".join(f"{m:>19}" for m in METHODS) + "  wilson(rate)"
    print("coverage / median width of 95 % ratio intervals (coverage given x2 > 0; exact over tables)")
    print(header)
    for n in args.sizes:
        for p in args.rates:
            for r in args.reference_rates:
                point = grid_point(n, p, r, replicates=args.replicates, seed=args.seed)
                grid.append(point)
                cells = "  ".join(
                    f"{fmt(point['methods'][m]['coverage']):>9} / {fmt(point['methods'][m]['median_width']):>7}"
                    for m in METHODS
                )
                print(
                    f"  {n:>5} {p:>5} {r:>4}  {cells}  {fmt(point['wilson_rate_coverage']):>12}", flush=True
                )

    print("\ncoverage given the group has none selected (x1 = 0), where P(x1 = 0) > 1e-3")
    print(f"  {'n':>5} {'p':>5} {'r':>4}  {'P(x1=0)':>8}  " + "  ".join(f"{m:>14}" for m in METHODS))
    for point in grid:
        if point["methods"]["katz"]["coverage_group_none"] is None:
            continue
        cells = "  ".join(f"{fmt(point['methods'][m]['coverage_group_none']):>14}" for m in METHODS)
        print(
            f"  {point['n']:>5} {point['p']:>5} {point['reference_rate']:>4}  {fmt(point['p_group_none']):>8}  {cells}"
        )

    zero = zero_count_rows(replicates=args.replicates, seed=args.seed)
    print("\nintervals on tables with a zero count (x1/n1 against the reference x2/n2)")
    print(f"  {'table':<18} " + "  ".join(f"{m:>17}" for m in METHODS))
    for row in zero:
        x1, n1, x2, n2 = row["table"]
        cells = "  ".join(
            f"{fmt(row['intervals'][m][0]):>7}–{fmt(row['intervals'][m][1]):<9}" for m in METHODS
        )
        print(f"  {f'{x1}/{n1} vs {x2}/{n2}':<18} {cells}")

    summary = {
        method: {
            "min_coverage": min(point["methods"][method]["coverage"] for point in grid),
            "min_coverage_n_ge_20": min(
                (point["methods"][method]["coverage"] for point in grid if point["n"] >= 20), default=None
            ),
        }
        for method in METHODS
    }
    print("\nlowest coverage on the grid (all n / n >= 20):")
    for method, values in summary.items():
        print(f"  {method:<15} {fmt(values['min_coverage'])} / {fmt(values['min_coverage_n_ge_20'])}")
    failed = [f"n={p['n']} p={p['p']} r={p['reference_rate']}: {c}" for p in grid for c in p["failed_checks"]]
    runtime = time.perf_counter() - started
    print(f"\nchecks: {'all passed' if not failed else '; '.join(failed)}")
    print(f"runtime {runtime:.0f} s")

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps(
            {
                "benchmark": "intervals",
                "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "machine": {
                    "nproc": os.cpu_count(),
                    "platform": platform.platform(),
                    "python": platform.python_version(),
                    "equityaudit": equityaudit.__version__,
                    "numpy": np.__version__,
                    "load_average_1min": load,
                    **provenance(),
                },
                "config": {
                    "sizes": args.sizes,
                    "rates": args.rates,
                    "reference_rates": args.reference_rates,
                    "replicates": args.replicates,
                    "seed": args.seed,
                    "confidence": 0.95,
                    "binomial_tail_left_out": TAIL,
                    "min_bootstrap_count": MIN_BOOTSTRAP_COUNT,
                },
                "grid": grid,
                "zero_count_tables": zero,
                "summary": summary,
                "failed_checks": failed,
                "runtime_s": round(runtime, 1),
            },
            indent=2,
        )
        + "\n"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
