"""``equityaudit datasets make``: synthetic example datasets with documented, injected disparities."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["datasets_group"]


@click.group("datasets")
def datasets_group() -> None:
    """Make synthetic example datasets."""


@datasets_group.command("make")
@click.argument("kind", type=click.Choice(["hiring", "marketing", "chatbot"]))
@click.option("--rows", type=click.IntRange(min=1), default=5000, show_default=True, help="Number of rows.")
@click.option("--seed", type=int, default=2026, show_default=True, help="Random seed (same seed, same data).")
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="CSV file to write [default: datasets/<kind>.csv].",
)
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
def make_command(kind: str, rows: int, seed: int, out: Path | None, force: bool) -> None:
    """Write a synthetic KIND dataset as CSV, Parquet or JSONL, by the file's extension.

    See datasets/<kind>.md for what is injected.
    """
    from equityaudit.errors import SpecError
    from equityaudit.synthetic.chatbot import make_chatbot
    from equityaudit.synthetic.hiring import make_hiring
    from equityaudit.synthetic.marketing import make_marketing

    out = out or Path("datasets") / f"{kind}.csv"
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet", ".jsonl"):
        raise SpecError(
            f"--out {out}: cannot tell which format to write from the extension {out.suffix!r}: expected "
            ".csv, .parquet or .jsonl."
        )
    if out.exists() and not force:
        raise SpecError(
            f"{out} exists; refusing to overwrite it. Pass --force to replace it, or choose --out."
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    make = {"hiring": make_hiring, "marketing": make_marketing, "chatbot": make_chatbot}[kind]
    frame = make(rows, seed=seed)
    if suffix == ".parquet":
        frame.to_parquet(out, index=False)
    elif suffix == ".jsonl":
        frame.to_json(out, orient="records", lines=True, force_ascii=False)
    else:
        frame.to_csv(out, index=False)
    click.echo(f"Wrote {rows} rows to {out}")
