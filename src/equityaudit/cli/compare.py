"""``equityaudit compare``: gate a release on a baseline result."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import click

__all__ = ["compare_command"]


class _Tolerance(click.FloatRange):
    """A finite, non-negative float: ``nan`` or ``inf`` would let every regression through."""

    name = "tolerance"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number; expected a tolerance such as 0.02.", param, ctx)
        return float(number)


@click.command("compare")
@click.argument("baseline", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("current", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--max-drop",
    type=_Tolerance(min=0),
    default=0.02,
    show_default=True,
    help="How far a metric may move away from parity before it counts as a regression.",
)
@click.option(
    "--allow-removed",
    is_flag=True,
    help="Do not count a finding that was warn or fail in the baseline and is gone from CURRENT "
    "(say, after dropping an attribute from the spec) as a regression.",
)
@click.option("--all", "show_all", is_flag=True, help="List unchanged findings too.")
def compare_command(
    baseline: Path, current: Path, max_drop: float, allow_removed: bool, show_all: bool
) -> None:
    """Compare CURRENT with BASELINE (result JSON files of the same audit).

    Exits 1 when a metric got worse beyond --max-drop, a finding turned from pass to warn or
    fail, a new finding is warn or fail, or a finding that was warn or fail is gone (unless
    --allow-removed); 2 when the results cannot be compared (different auditor or standard,
    garbled file). Says so when the spec or the thresholds changed between the two results.
    """
    from equityaudit.compare import compare_results
    from equityaudit.registry.semantics import edit_warning
    from equityaudit.report.escaping import terminal_plain
    from equityaudit.results import read_result

    results = {path: read_result(path) for path in (baseline, current)}
    for path, result in results.items():
        warning = edit_warning(result, str(path))
        if warning:
            click.echo(warning, err=True)
    report = compare_results(
        results[baseline], results[current], max_drop=max_drop, allow_removed=allow_removed
    )
    for change in report.setup_changes:
        click.echo(terminal_plain(f"Note: {change}."))

    def value(v: float | None, status: str | None) -> str:
        return "absent" if status is None else f"{'—' if v is None else f'{v:.3f}'} ({status})"

    shown = [c for c in report.changes if show_all or c.movement != "unchanged"]
    order = {"regressed": 0, "new": 1, "improved": 2, "removed": 3, "unchanged": 4}
    for c in sorted(shown, key=lambda c: order[c.movement]):
        click.echo(  # ids and reasons hold the results' group labels: printed as text, controls shown
            terminal_plain(
                f"{c.movement.upper():9}  {c.id}: {value(c.baseline_value, c.baseline_status)} -> "
                f"{value(c.current_value, c.current_status)}; {c.reason}"
            )
        )
    tally = {m: sum(c.movement == m for c in report.changes) for m in order}
    click.echo(", ".join(f"{n} {m}" for m, n in tally.items() if n) or "no findings to compare")
    gone = [c for c in report.changes if c.current_status is None and c.baseline_status in ("warn", "fail")]
    if gone:
        click.echo(
            f"{len(gone)} finding(s) that were warn or fail in the baseline are gone from the current result: "
            + ", ".join(terminal_plain(c.id) for c in gone)
            + (" (allowed by --allow-removed)." if allow_removed else ".")
        )
    if report.regressed:
        click.echo(f"Regression: {len(report.regressions)} finding(s) got worse than the baseline.")
        raise SystemExit(1)
    click.echo("No regression.")
