"""``equityaudit formats`` and the ``--format`` option: the report formats registered with the plugin manager."""

from __future__ import annotations

from typing import Any

import click

__all__ = ["DEFAULT_FORMATS", "FormatOption", "formats_command", "parse_formats"]


def parse_formats(value: str) -> tuple[str, ...]:
    """Parse ``--format json,md`` into registered report formats, or explain the mistake."""
    from equityaudit.plugins import list_formats

    registered = list_formats()
    chosen = tuple(dict.fromkeys(part.strip().lower() for part in value.split(",") if part.strip()))
    unknown = [f for f in chosen if f not in registered]
    if unknown or not chosen:
        raise click.BadParameter(
            f"unknown format(s) {', '.join(map(repr, unknown)) or '(none)'}; choose from {', '.join(registered)}, "
            "comma-separated (e.g. --format json,md,html).",
            param_hint="--format",
        )
    return chosen


DEFAULT_FORMATS = "(the default formats)"
"""The ``default`` of a :class:`FormatOption` that stands for every format registered as a default."""


class FormatOption(click.Option):
    """A ``--format`` option whose help lists the registered report formats.

    ``help`` may hold ``{formats}`` (every registered name) and ``{reports}`` (all but ``json``);
    a ``default`` of :data:`DEFAULT_FORMATS` stands for the formats ``run`` writes by default. The
    plugin manager is asked only when the help or the default is needed.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._help_template = self.help

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        from equityaudit.plugins import list_formats

        names = list(list_formats())
        if self._help_template is not None:
            self.help = self._help_template.format(
                formats=", ".join(names), reports=", ".join(n for n in names if n != "json")
            )
        return super().get_help_record(ctx)

    def get_default(self, ctx: click.Context, call: bool = True) -> Any:
        if self.default == DEFAULT_FORMATS:
            from equityaudit.plugins import list_formats

            return ",".join(name for name, (fmt, _) in list_formats().items() if fmt.default)
        return super().get_default(ctx, call=call)


@click.command("formats")
def formats_command() -> None:
    """List the installed report formats, the plugin providing each, and the files each writes.

    'run' writes the result JSON whatever --format says (unless --no-json), and the formats
    written by default when --format is not given.
    """
    from equityaudit.plugins import list_formats

    rows = [("format", "plugin", "files (NAME = the audit's name)", "what it writes")]
    for name, (fmt, plugin) in list_formats().items():
        files = ", ".join(f"NAME{file.suffix}" for file in fmt.files)
        rows.append((name, plugin, files, fmt.title + (" (written by default)" if fmt.default else "")))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        click.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[3]
        )
