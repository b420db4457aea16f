"""``equityaudit check``: run only the quality gate of specs, and export a spec's suite as GX JSON."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from equityaudit.cli.run import gate_engine_option
from equityaudit.errors import ExitCode

if TYPE_CHECKING:
    from equityaudit.quality.gate import GateEngine

__all__ = ["check_command"]


@click.command("check")
@click.argument("target", type=click.Path(path_type=Path))
@click.option(
    "--export-suite",
    "export_to",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Also write the spec's suite as great-expectations JSON to this file (one spec only).",
)
@click.option("--force", is_flag=True, help="Replace an --export-suite file that equityaudit did not write.")
@gate_engine_option
@click.option("-v", "--verbose", is_flag=True, help="List every check, not only the failed ones.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def check_command(
    target: Path, export_to: Path | None, force: bool, gate_engine: GateEngine, verbose: bool, quiet: bool
) -> None:
    """Run only the quality gate of spec TARGET, or of every *.yaml spec in folder TARGET.

    \b
    Exit codes: 0 every gate passed, 2 usage or spec error,
    3 a gate failed (its audit would be blocked).
    """

    from rich.text import Text

    from equityaudit.cli.run import collect_specs
    from equityaudit.cli.summary import print_gate, summary_console
    from equityaudit.engine import check_spec
    from equityaudit.quality.export import write_suite
    from equityaudit.report.escaping import terminal_text
    from equityaudit.spec_loading import load_spec

    paths = collect_specs(target)
    if export_to is not None and len(paths) > 1:
        raise click.UsageError(
            f"--export-suite writes the suite of one spec, but {target} holds {len(paths)} specs; "
            "name one spec file.",
        )
    specs = [load_spec(path) for path in paths]  # every spec is checked before any gate runs
    console = summary_console()
    blocked = False
    for spec in specs:
        outcome = check_spec(spec, gate_engine=gate_engine)
        blocked = blocked or not outcome.gate.passed
        if not quiet:
            console.rule(
                Text.assemble(
                    terminal_text(spec.name, "bold"),
                    terminal_text(f" · {spec.auditor} · {outcome.rows} rows"),
                    style="rule.text",
                )
            )
            console.print(terminal_text(f"data: {outcome.source}", "dim"))
            print_gate(outcome.gate, console=console, every_check=verbose)
            for note in outcome.notes:
                console.print(terminal_text(f"note: {note}", "dim"))
        if export_to is not None:
            written = write_suite(outcome.suite, export_to, force=force)
            if not quiet:
                console.print(
                    terminal_text(f"Wrote {written} ({len(outcome.suite['expectations'])} expectations)")
                )
    raise SystemExit(int(ExitCode.BLOCKED if blocked else ExitCode.OK))
