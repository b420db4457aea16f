"""``equityaudit auditors`` and ``equityaudit schema``: what is installed, and the formats."""

from __future__ import annotations

import json

import click

__all__ = ["auditors_command", "schema_command"]


@click.command("auditors")
def auditors_command() -> None:
    """List the installed auditors, the plugin providing each, and the column roles they use."""
    from equityaudit.plugins import list_auditors

    rows = [("auditor", "plugin", "column roles (? = optional)", "summary")]
    for name, (auditor, plugin) in list_auditors().items():
        roles = ", ".join(
            f"{role}{'' if need == 'required' else '?'}"
            for role, need in auditor.roles.items()
            if need != "unused"
        )
        rows.append((name, plugin, roles, auditor.summary))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        click.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[3]
        )


@click.command("schema")
@click.argument("which", type=click.Choice(["spec", "result"]))
def schema_command(which: str) -> None:
    """Print the JSON Schema of the audit spec or of the result."""
    if which == "spec":
        from equityaudit.spec import spec_json_schema

        schema = spec_json_schema()
    else:
        from equityaudit.results import result_json_schema

        schema = result_json_schema()
    click.echo(json.dumps(schema, indent=2, sort_keys=True))
