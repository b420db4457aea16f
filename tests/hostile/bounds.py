"""The shared harness of the hostile-input suite: a small valid audit, and the checks every input must pass."""

from __future__ import annotations

import random
import time
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, settings

from equityaudit.cli import main

EXAMPLE_SECONDS = 10.0
"""No single input may take longer than this (the hang bound), in the suite and in hypothesis' deadline."""

BOUNDED = settings(
    max_examples=40,
    deadline=timedelta(seconds=EXAMPLE_SECONDS),
    derandomize=True,  # the same examples on every run, so CI is reproducible
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

SPEC = {
    "equityaudit": 1,
    "name": "hostile",
    "auditor": "decisions",
    "data": {"path": "data.csv", "kind": "historical"},
    "columns": {"sensitive": "sex", "decision": "selected"},
    "thresholds": {"impact_ratio": 0.8, "alpha": 0.05, "min_group_size": 30},
}
"""A valid spec: every key of it is mutated in turn."""


def write_data(folder: Path, rows: int = 200) -> Path:
    rng = random.Random(16)
    lines = ["id,sex,selected"] + [f"{i},{rng.choice('FM')},{rng.choice(['Yes', 'No'])}" for i in range(rows)]
    path = folder / "data.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def invoke(args: list[str], *, seconds: float = EXAMPLE_SECONDS) -> tuple[int, str]:
    """Run the real command line in-process; assert a known exit code, a message, no traceback, no hang.

    ``seconds`` is the hang bound of this input (``EXAMPLE_SECONDS`` unless a test states a larger one).
    """
    started = time.monotonic()
    outcome = CliRunner().invoke(main, args, catch_exceptions=False)
    elapsed = time.monotonic() - started
    output = outcome.output
    assert outcome.exit_code in (0, 1, 2, 3), f"exit {outcome.exit_code} for {args}:\n{output[-3000:]}"
    assert "Traceback" not in output, output[-3000:]
    if outcome.exit_code == 2:
        assert output.strip(), f"exit 2 without a message for {args}"
    assert elapsed < seconds, f"{args} took {elapsed:.1f} s (bound {seconds:.0f} s)"
    return outcome.exit_code, output
