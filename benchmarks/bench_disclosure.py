"""Can a suppressed cell of a pooled audit be derived from what is shown? An LP audit of random tables.

Run from the repository root::

    .venv/bin/python benchmarks/bench_disclosure.py [--tables 1000] [--seed 0] [--min-cell 11]

It draws ``--tables`` random 3x3 tables of counts (two attributes of three values each, the
shape of sex x age band with an Unknown category): each cell is empty with probability 0.1,
small (1 to ``min_cell - 1`` people) with probability 0.3, and large (``min_cell`` to 199)
otherwise. For each it releases what a pooled audit releases — the grand total, each attribute
alone and the cross — after suppression by

* **slabs only** (``min_width=0``): the rule of every row and column of a released total hiding
  zero or at least two cells, the rule before the LP audit existed;
* **slabs + LP audit** (the default): the same, then hiding more until every hidden cell's
  feasible range given everything shown is at least ``(min_cell - 1) // 2`` wide (5 people for
  a minimum cell of 11: half of "1 to ``min_cell - 1``", what hiding a small cell says of it);

and audits each result with :func:`equityaudit.registry.suppression.feasible_ranges` (linear
programming over the shown cells, the known total and the known empty cells). It prints, for
each rule, how many tables leave a hidden cell exactly derivable (range width 0), narrower than 5,
narrower than the stated width ``(min_cell - 1) // 2`` and narrower than ``min_cell - 2``; how many cells the rule hides on average; and the time per
table. Exit status 1 when the default rule leaves any hidden cell narrower than ``(min_cell - 1) // 2``.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from equityaudit.registry.suppression import feasible_ranges, suppress

BY = ("sex", "age")
SEXES = ("Female", "Male", "Unknown")
AGES = ("Under 40", "40 and over", "Unknown")


def random_table(rng: np.random.Generator, min_cell: int) -> dict[tuple[str, ...], int]:
    """One random 3x3 table of counts: empty, small or large cells."""
    table = {}
    for sex in SEXES:
        for age in AGES:
            kind = rng.choice(3, p=[0.1, 0.3, 0.6])
            table[(sex, age)] = (
                0
                if kind == 0
                else int(rng.integers(1, min_cell))
                if kind == 1
                else int(rng.integers(min_cell, 200))
            )
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tables", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--min-cell", type=int, default=11)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    tables = [random_table(rng, args.min_cell) for _ in range(args.tables)]
    rules = {"slabs only": 0.0, "slabs + LP audit": None}
    stated = (args.min_cell - 1) // 2  # the default rule's stated width
    print(f"{args.tables} random 3x3 tables, minimum cell {args.min_cell}, seed {args.seed}")
    print(
        f"{'rule':<18} {'exact':>6} {f'< {stated}':>6} {f'< {args.min_cell - 2}':>6} {'hidden/table':>13} {'ms/table':>9}"
    )
    failed = 0
    for name, width in rules.items():
        exact = under_5 = narrow = hidden_cells = 0
        started = time.perf_counter()
        audits = []
        for table in tables:
            hidden = suppress(table, BY, min_cell=args.min_cell, min_width=width)
            audits.append((table, hidden))
        elapsed = time.perf_counter() - started
        for table, hidden in audits:
            widths = [high - low for low, high in feasible_ranges(table, BY, hidden).values()]
            hidden_cells += sum(len(cells) for cells in hidden.values())
            exact += any(w < 1e-9 for w in widths)
            under_5 += any(w < stated for w in widths)
            narrow += any(w < args.min_cell - 2 for w in widths)
        print(
            f"{name:<18} {exact:>6} {under_5:>6} {narrow:>6} {hidden_cells / len(tables):>13.2f} "
            f"{1000 * elapsed / len(tables):>9.1f}"
        )
        if width is None:
            failed = under_5
    print(
        "columns: tables with a hidden cell whose feasible range is 0 wide (exactly derivable), narrower "
        "than the stated width (min_cell - 1) // 2, narrower than min_cell - 2 (what hiding a small cell says)"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
