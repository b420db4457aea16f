"""``equityaudit report``: render reports from a stored result, never recomputing a number."""

from __future__ import annotations

from pathlib import Path

import click

from equityaudit.cli.formats import FormatOption, parse_formats

__all__ = ["report_command"]


@click.command("report")
@click.argument("result_file", metavar="RESULT.json", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--format",
    "formats",
    cls=FormatOption,
    default="html,md",
    show_default=True,
    callback=lambda c, p, v: parse_formats(v),
    help="Comma-separated: {formats}.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder for the reports [default: the result's folder].",
)
@click.option("--force", is_flag=True, help="Replace output files that equityaudit did not write.")
def report_command(result_file: Path, formats: tuple[str, ...], out: Path | None, force: bool) -> None:
    """Render reports from RESULT.json (written by 'equityaudit run')."""
    from equityaudit.errors import ResultError
    from equityaudit.plugins import get_format, list_formats
    from equityaudit.registry.semantics import edit_warning
    from equityaudit.report import write_reports
    from equityaudit.results import read_result

    result = read_result(result_file)
    warning = edit_warning(result, str(result_file))
    if warning:
        click.echo(warning, err=True)
    files = write_reports(
        result, out or result_file.parent, tuple(f for f in formats if f != "json"), force=force
    )
    for reason in files.skipped:
        if len(formats) == 1:  # the one report asked for cannot be written: an error, not a note
            raise ResultError(f"{result_file}: cannot write the {get_format(formats[0]).title}: {reason}.")
        click.echo(f"skipped {reason}", err=True)
    for path in files.written:
        click.echo(f"Wrote {path}")
    if not files.written and not files.skipped:
        reports = [name for name in list_formats() if name != "json"]
        choices = (
            " or ".join([", ".join(reports[:-1]), reports[-1]]) if len(reports) > 1 else "".join(reports)
        )
        click.echo(f"Nothing to write: {result_file} is the JSON result itself; choose {choices}.")
