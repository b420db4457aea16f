"""``equityaudit lda``: search for a less discriminatory alternative to a spec's model."""

from __future__ import annotations

from pathlib import Path

import click

from equityaudit.errors import ExitCode

__all__ = ["lda_command"]


@click.command("lda")
@click.argument("spec", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--train",
    "train",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="The training rows (CSV, Parquet, JSONL): the model's features, the sensitive column and the "
    "label column, named as in the held-out data.",
)
@click.option(
    "--sensitive",
    default=None,
    help="The sensitive column the fairlearn reductions constrain (default: the spec's first).",
)
@click.option(
    "--tolerance",
    type=click.FloatRange(min=0, max=1, max_open=True),
    default=0.01,
    show_default=True,
    help="An LDA's accuracy may be this much lower than the current model's (0.01: one percentage point).",
)
@click.option(
    "--candidates",
    "grid",
    type=click.Choice(["full", "quick"]),
    default="full",
    show_default=True,
    help="The candidate grid: full, or quick (fewer regularisation steps, demographic parity only).",
)
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Random state of the what-if's predictions."
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="What to print: a table and a summary, or the search's JSON.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Also write NAME.lda.json and NAME.lda.md into this folder.",
)
@click.option(
    "--save",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Save the candidates on the Pareto front as skops files (NAME.lda.<id>.skops) into this folder.",
)
@click.option("--force", is_flag=True, help="Replace output files that equityaudit did not write.")
@click.option("--fail-if-lda", is_flag=True, help="Exit 1 when a less discriminatory alternative is found.")
@click.option("-q", "--quiet", is_flag=True, help="No progress lines on stderr.")
def lda_command(
    spec: Path,
    train: Path,
    sensitive: str | None,
    tolerance: float,
    grid: str,
    seed: int,
    output_format: str,
    out: Path | None,
    save: Path | None,
    force: bool,
    fail_if_lda: bool,
    quiet: bool,
) -> None:
    """Refit candidates of SPEC's model on --train and report the accuracy / impact-ratio Pareto front.

    Candidates: the model refitted as is, without each feature, with stronger regularisation, and
    fairlearn's ExponentiatedGradient and GridSearch reductions; each is evaluated on SPEC's held-out
    rows (which need the true label: model.outcome). Group-specific thresholds are shown as a
    what-if only: they are not lawful for US employment decisions (Civil Rights Act of 1991 §106).

    \b
    Exit codes: 0 the search ran (whether or not an LDA was found; with
    --fail-if-lda, 1 when one was), 2 usage, spec or data error, 4 internal error.
    """
    from rich.console import Console

    from equityaudit.lda import lda_search
    from equityaudit.lda_output import (
        check_lda_files,
        check_saved_files,
        lda_json,
        lda_table,
        save_front,
        write_lda_files,
    )
    from equityaudit.report.escaping import terminal_text
    from equityaudit.spec_loading import load_spec

    if not spec.is_file():
        raise click.BadParameter(f"{spec}: no such spec file.", param_hint="SPEC")
    name = load_spec(spec).name
    if out is not None:  # refuse before minutes of fitting, not after
        check_lda_files(name, out, force=force)
    if save is not None:
        check_saved_files(name, save, force=force)

    def progress(line: str) -> None:
        if not quiet:  # a feature's name is user text: control characters shown, not sent
            click.echo(terminal_text(line).plain, err=True)

    search = lda_search(
        spec,
        train,
        sensitive=sensitive,
        tolerance=tolerance,
        grid="quick" if grid == "quick" else "full",
        seed=seed,
        on_progress=progress,
    )
    written = []
    if save is not None:
        written += save_front(search, save, force=force)
    if out is not None:
        written += write_lda_files(search, out, force=force)
    if output_format == "json":
        click.echo(lda_json(search), nl=False)
    else:
        console = Console(width=max(Console().width, 110))  # the table's seven columns
        console.print(lda_table(search))
        console.print(terminal_text(search.summary()))
        if search.what_if:
            console.print(terminal_text(f"what-if: {search.what_if[0].caveat}"))
        for skipped in search.skipped:
            console.print(terminal_text(f"skipped {skipped['id']}: {skipped['reason']}"))
    for path in written:
        click.echo(f"Wrote {path}", err=True)
    raise SystemExit(int(ExitCode.FAILED if fail_if_lda and search.ldas else ExitCode.OK))
