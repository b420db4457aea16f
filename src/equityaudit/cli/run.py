"""``equityaudit run`` and ``equityaudit demo``: run audits, print a summary, write reports."""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from equityaudit.cli.formats import DEFAULT_FORMATS, FormatOption, parse_formats
from equityaudit.errors import ExitCode, OutputError, SpecError, UndefinedMetricWarning
from equityaudit.report.escaping import github_message, github_property
from equityaudit.results import AuditResult

if TYPE_CHECKING:
    from equityaudit.quality.gate import GateEngine

__all__ = ["demo_command", "exit_code_for", "run_command"]


def with_result_json(formats: tuple[str, ...], *, no_json: bool = False) -> tuple[str, ...]:
    """The formats to write: the result JSON first (the source every report cites), unless ``no_json``."""
    if no_json:
        if "json" in formats:
            raise click.BadParameter(
                "--no-json contradicts --format json; drop one of them.", param_hint="--no-json"
            )
        return formats
    return ("json", *(f for f in formats if f != "json"))


def collect_specs(target: Path) -> list[Path]:
    """The spec files to run: the file itself, or every ``*.yaml``/``*.yml`` in a folder, sorted."""
    if target.is_dir():
        specs = sorted([*target.glob("*.yaml"), *target.glob("*.yml")])
        if not specs:
            raise SpecError(
                f"{target}: no spec files (*.yaml, *.yml) in this folder. Create one with 'equityaudit init DATA'."
            )
        return specs
    if not target.exists():
        raise SpecError(f"{target}: no such spec file or folder.")
    return [target]


def exit_code_for(verdicts: Sequence[str], *, fail_on: str = "fail") -> ExitCode:
    """Exit code of a run: blocked (3) over failed (1) over passed (0); ``fail_on="warn"`` fails on warn."""
    if "blocked" in verdicts:
        return ExitCode.BLOCKED
    if "fail" in verdicts or (fail_on == "warn" and "warn" in verdicts):
        return ExitCode.FAILED
    return ExitCode.OK


def github_annotations(result: AuditResult) -> list[str]:
    """``::error``/``::warning`` workflow commands for a result's failed and warned findings."""
    lines = []
    if result.verdict == "blocked":
        failed = [c for c in result.gate.checks if not c.passed]
        lines.append(
            f"::error title={github_property(f'equityaudit {result.audit.name}: blocked')}::"
            + github_message("; ".join(f"{c.name} ({c.column or 'table'}): {c.message}" for c in failed))
        )
    for finding in result.findings:
        if finding.status in ("fail", "warn"):
            level = "error" if finding.status == "fail" else "warning"
            title = github_property(f"equityaudit {result.audit.name}: {finding.table}")
            lines.append(f"::{level} title={title}::{github_message(finding.message)}")
    return lines


def _github_step_summary(result: AuditResult) -> None:
    from equityaudit.report.markdown import render_markdown

    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        try:
            with open(summary, "a", encoding="utf-8") as handle:
                handle.write(render_markdown(result) + "\n")
        except OSError as exc:
            click.echo(
                "::warning title=equityaudit::"
                + github_message(f"cannot write the step summary to {summary}: {exc}")
            )
    for line in github_annotations(result):
        click.echo(line)


def run_specs(
    specs: list[Path],
    *,
    out: Path,
    formats: tuple[str, ...],
    fail_on: str = "fail",
    gate: str = "enforce",
    quiet: bool = False,
    force: bool = False,
    junit_xml: Path | None = None,
    redact: bool = False,
    gate_engine: GateEngine = "compiled",
) -> ExitCode:
    """Run each spec, print its summary, write its reports; return the overall exit code.

    ``redact``: results cite row ids instead of quoting the data (the chatbot auditor's examples).
    """
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

    from equityaudit.cli.summary import print_run_total, print_summary
    from equityaudit.engine import run_spec
    from equityaudit.frames import progress_console
    from equityaudit.report import write_reports
    from equityaudit.spec_loading import load_spec

    loaded = [load_spec(path) for path in specs]  # every spec is checked before any audit runs
    names = [spec.name for spec in loaded]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SpecError(
            f"several specs share the name {', '.join(map(repr, duplicates))}; their reports would overwrite "
            "each other. Give each spec a unique 'name'."
        )
    if junit_xml is not None:
        _check_writable(junit_xml)
    on_github = os.environ.get("GITHUB_ACTIONS") == "true"
    results = []
    stderr = Console(stderr=True)
    show_progress = not quiet and stderr.is_terminal
    # a large file's SHA-256 pass shows its bytes on the same console as the phase line
    progress_token = progress_console.set(stderr if show_progress else None)
    try:
        for position, spec in enumerate(loaded, start=1):
            # a transient spinner on stderr while one audit runs, naming its phase; gone before the
            # summary prints, so the two never interleave
            progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}", markup=False),  # a spec name is text, never markup
                TimeElapsedColumn(),
                console=stderr,
                transient=True,
                disable=not show_progress,
            )
            with progress:
                prefix = f"[{position}/{len(loaded)}] {spec.name}"
                task = progress.add_task(prefix, total=None)

                def on_phase(
                    name: str, task: TaskID = task, progress: Progress = progress, prefix: str = prefix
                ) -> None:
                    progress.update(task, description=f"{prefix}: {name}")
                    progress.refresh()  # each phase is drawn as it starts, however short

                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UndefinedMetricWarning)  # the notes in the result say it
                    result = run_spec(
                        spec,
                        gate="warn" if gate == "warn" else "enforce",
                        redact=redact,
                        on_phase=on_phase,
                        gate_engine=gate_engine,
                    )
                on_phase("writing reports")
                files = write_reports(result, out, formats, force=force)
            if not quiet:
                print_summary(result, files.written)
                for reason in files.skipped:
                    click.echo(f"skipped {reason}")
            if on_github:
                _github_step_summary(result)
            results.append(result)
    finally:
        progress_console.reset(progress_token)
    if len(results) > 1 and not quiet:
        print_run_total(results)
    if junit_xml is not None:
        from equityaudit.report.junit import render_junit

        try:
            junit_xml.parent.mkdir(parents=True, exist_ok=True)
            junit_xml.write_text(
                render_junit(results, fail_on="warn" if fail_on == "warn" else "fail"), encoding="utf-8"
            )
        except OSError as exc:
            raise OutputError(f"{junit_xml}: cannot write the JUnit file ({exc.strerror or exc}).") from None
        if not quiet:
            click.echo(f"Wrote {junit_xml}")
    return exit_code_for([r.verdict for r in results], fail_on=fail_on)


def _check_writable(path: Path) -> None:
    if path.exists() and "<testsuites" not in path.read_text(encoding="utf-8", errors="replace")[:2048]:
        raise SpecError(
            f"{path} exists and is not a JUnit file equityaudit wrote; refusing to overwrite it. Choose another "
            "--junit-xml path."
        )


gate_engine_option = click.option(
    "--gate-engine",
    type=click.Choice(["compiled", "gx"]),  # equityaudit.quality.GATE_ENGINES, without importing it
    default="compiled",
    show_default=True,
    help="compiled: the gate's built-in checks run as aggregations where the data lives; "
    "gx: great-expectations validates every check on the rows in pandas.",
)
"""``--gate-engine``, for every command that runs a gate."""


@click.command("run")
@click.argument("target", type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("reports"),
    show_default=True,
    help="Folder for the result JSON and reports.",
)
@click.option(
    "--format",
    "formats",
    cls=FormatOption,
    default=DEFAULT_FORMATS,
    show_default=True,
    callback=lambda c, p, v: parse_formats(v),
    help="Comma-separated report formats: {reports} (json accepted too). The result JSON "
    "(NAME.json) is written whatever the formats, unless --no-json: every report cites its sha256, and "
    "'report' and 'compare' read it.",
)
@click.option(
    "--no-json",
    is_flag=True,
    help="Do not write the result JSON (the reports then cite a result that is not kept).",
)
@click.option(
    "--junit-xml",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Also write one JUnit XML file for all audits (one test case per finding).",
)
@click.option(
    "--fail-on",
    type=click.Choice(["fail", "warn"]),
    default="fail",
    show_default=True,
    help="Exit 1 on failures only, or on warnings too.",
)
@click.option("--strict", is_flag=True, help="Same as --fail-on warn.")
@click.option(
    "--gate",
    type=click.Choice(["enforce", "warn"]),
    default="enforce",
    show_default=True,
    help="warn: run even when the quality gate fails, recording each failed check as a warning.",
)
@gate_engine_option
@click.option("--force", is_flag=True, help="Replace output files that equityaudit did not write.")
@click.option(
    "--redact", is_flag=True, help="Cite row ids instead of quoting the data in examples (chatbot auditor)."
)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors (and CI annotations).")
def run_command(
    target: Path,
    out: Path,
    formats: tuple[str, ...],
    junit_xml: Path | None,
    fail_on: str,
    strict: bool,
    gate: str,
    gate_engine: GateEngine,
    force: bool,
    redact: bool,
    quiet: bool,
    no_json: bool,
) -> None:
    """Run the audit in spec file TARGET, or every *.yaml and *.yml spec in folder TARGET.

    \b
    Exit codes: 0 every audit passed (warnings allowed unless --fail-on warn),
    1 an audit failed its thresholds, 2 usage or spec error,
    3 the quality gate blocked an audit, 4 internal error.
    Under GitHub Actions (GITHUB_ACTIONS=true) also writes the job's step summary
    and ::error / ::warning annotations.
    """
    code = run_specs(
        collect_specs(target),
        out=out,
        formats=with_result_json(formats, no_json=no_json),
        fail_on="warn" if strict else fail_on,
        gate=gate,
        quiet=quiet,
        force=force,
        junit_xml=junit_xml,
        redact=redact,
        gate_engine=gate_engine,
    )
    raise SystemExit(int(code))


@click.command("demo")
@click.option(
    "--audits",
    "audits_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("audits"),
    show_default=True,
    help="Folder of example specs.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("reports/demo"),
    show_default=True,
    help="Folder for the reports.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def demo_command(audits_dir: Path, out: Path, quiet: bool) -> None:
    """Run the example audits (audits/) on the bundled datasets (datasets/) and write reports.

    The example audits find the disparities injected into the synthetic data, so some of them
    fail: the demo exits 0 when every audit ran, whatever its verdict.
    """
    if not audits_dir.is_dir():
        raise SpecError(
            f"{audits_dir}: folder of example specs not found. Run 'equityaudit demo' from the root of an "
            "equityaudit checkout, or pass --audits PATH."
        )
    run_specs(collect_specs(audits_dir), out=out, formats=("json", "md", "html"), quiet=quiet)
    if not quiet:
        click.echo(f"Reports written to {out}/")
