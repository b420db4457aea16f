"""``equityaudit standards list|show|validate``: the standards audits can conform to."""

from __future__ import annotations

import json
from pathlib import Path

import click

__all__ = ["standards_group"]


@click.group("standards")
def standards_group() -> None:
    """List, show and validate standards (bundled, local, or files)."""


@standards_group.command("list")
def list_command() -> None:
    """List the available standards: id@version, auditor, sha256 and where each comes from."""
    from equityaudit.report.escaping import terminal_plain
    from equityaudit.standards import list_standards

    rows = [("standard", "auditor", "sha256", "source", "title")]
    for ref, (standard, where) in list_standards().items():
        rows.append((ref, standard.auditor, standard.sha256[:12], where, standard.title))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        click.echo(  # a standard's text may come from a registry: printed as text, controls shown
            terminal_plain(
                "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[4]
            )
        )


@standards_group.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the parsed document as JSON (as published).")
def show_command(name: str, as_json: bool) -> None:
    """Show standard NAME (id@version or a file): its rule, taxonomy and sha256."""
    from equityaudit.report.escaping import terminal_plain
    from equityaudit.standards import find_standard

    standard = find_standard(name, base=Path.cwd(), origin="standards show")
    if as_json:
        click.echo(json.dumps(standard.document, indent=2, sort_keys=True, ensure_ascii=False))
        return
    rule = standard.decision
    click.echo(terminal_plain(f"{standard.ref}: {standard.title}"))
    click.echo(f"sha256: {standard.sha256}")
    if standard.authority:
        click.echo(terminal_plain(f"authority: {standard.authority}"))
    click.echo(
        f"auditor: {standard.auditor}; metrics: {', '.join(standard.metrics)} ({standard.metrics_required})"
    )
    click.echo(
        f"rule: ratio to the {rule.reference.replace('_', ' ')} group below {rule.impact_ratio:g} "
        + ("and significant " if rule.require_significance else "")
        + f"fails; alpha {standard.alpha:g}, {standard.correction} correction, min group size "
        f"{rule.min_group_size}, min cell size {standard.min_cell_size}"
    )
    taxonomy = standard.taxonomy
    click.echo(
        f"taxonomy ({'intersectional' if taxonomy.intersectional else 'each attribute alone'}; "
        f"unmapped labels: {taxonomy.unmapped}):"
    )
    for attribute, definition in taxonomy.attributes.items():
        aliases = f" (also columns {', '.join(definition.columns)})" if definition.columns else ""
        click.echo(terminal_plain(f"  {attribute}{aliases}"))
        for category, labels in definition.categories.items():
            mapped = f" <- {', '.join(map(str, labels))}" if labels else ""
            click.echo(terminal_plain(f"    {category}{mapped}"))
    for note in standard.notes:
        click.echo(terminal_plain(f"note: {note}"))


@standards_group.command("validate")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
def validate_command(file: Path) -> None:
    """Validate a standard FILE; print its id@version and sha256 (exit 2 when invalid)."""
    from equityaudit.standards import load_standard_file

    standard = load_standard_file(file)
    click.echo(f"ok: {file} is a valid standard {standard.ref}, sha256 {standard.sha256}")
