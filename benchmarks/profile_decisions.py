"""Profile one ``decisions`` audit with cProfile, on the same synthetic data as bench_decisions.py.

Run from the repository root::

    .venv/bin/python benchmarks/profile_decisions.py [--rows 2000000] [--backend polars]
        [--sort cumulative] [--top 30] [--bootstrap 0] [--save profile.pstats]

One untimed warm-up audit runs first (imports, plugin discovery), then the profiled one. The
listing is restricted to functions in ``equityaudit``, scipy, numpy, pandas, polars and
narwhals, i.e. it hides the profiler's own frames and the standard library.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_decisions import make_decisions, run_audit


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--backend", choices=["polars", "pandas"], default="polars")
    parser.add_argument("--seed", type=int, default=20240917)
    parser.add_argument("--sort", default="cumulative", help="pstats sort key (cumulative, tottime)")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--bootstrap", type=int, default=0, help="bootstrap replicates (0: none)")
    parser.add_argument("--save", type=Path, help="also write the raw pstats file here")
    args = parser.parse_args()

    frame = make_decisions(args.rows, args.seed)
    data = frame if args.backend == "polars" else frame.to_pandas()
    run_audit(data, bootstrap=args.bootstrap)
    start = time.perf_counter()
    run_audit(data, bootstrap=args.bootstrap)
    plain = time.perf_counter() - start

    profiler = cProfile.Profile()
    profiler.enable()
    run_audit(data, bootstrap=args.bootstrap)
    profiler.disable()
    print(f"{args.rows:,} rows, {args.backend}: audit {plain:.3f} s without the profiler\n")
    stats = pstats.Stats(profiler)
    stats.sort_stats(args.sort).print_stats(r"equityaudit|scipy|numpy|pandas|polars|narwhals", args.top)
    if args.save:
        stats.dump_stats(args.save)
    return 0


if __name__ == "__main__":
    sys.exit(main())
