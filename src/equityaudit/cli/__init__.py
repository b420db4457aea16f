"""The ``equityaudit`` command line: a thin layer over the library, one module per command group.

Subcommands are imported only when invoked, so ``equityaudit --help`` stays fast. Errors a user
can cause print one clear message and exit with the code of :class:`equityaudit.errors.ExitCode`;
anything else is a bug, reported with exit code 4. Output piped into a reader that stops early
(``| head``) ends the command quietly with status 141, as for a process ended by SIGPIPE.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from typing import Any

import click

from equityaudit.version import __version__

__all__ = ["main"]

BROKEN_PIPE = 141
"""Exit status when the reader of the output went away (128 + SIGPIPE, as a shell reports it)."""

_COMMANDS = {
    "run": ("equityaudit.cli.run", "run_command"),
    "demo": ("equityaudit.cli.run", "demo_command"),
    "init": ("equityaudit.cli.init", "init_command"),
    "auditors": ("equityaudit.cli.info", "auditors_command"),
    "formats": ("equityaudit.cli.formats", "formats_command"),
    "schema": ("equityaudit.cli.info", "schema_command"),
    "datasets": ("equityaudit.cli.datasets", "datasets_group"),
    "report": ("equityaudit.cli.report", "report_command"),
    "compare": ("equityaudit.cli.compare", "compare_command"),
    "lda": ("equityaudit.cli.lda", "lda_command"),
    "check": ("equityaudit.cli.check", "check_command"),
    "standards": ("equityaudit.cli.standards", "standards_group"),
    "keys": ("equityaudit.cli.keys", "keys_group"),
    "sign": ("equityaudit.cli.keys", "sign_command"),
    "verify": ("equityaudit.cli.keys", "verify_command"),
    "registry": ("equityaudit.cli.registry", "registry_group"),
}

_SUMMARIES = {
    "run": "Run audits from a spec file or a folder of specs.",
    "demo": "Run the example audits on the bundled datasets and write reports.",
    "init": "Inspect a data file and write a commented audit spec for it.",
    "auditors": "List the installed auditors.",
    "formats": "List the installed report formats.",
    "schema": "Print the JSON Schema of the spec or the result.",
    "datasets": "Make synthetic example datasets.",
    "report": "Render reports (HTML, Markdown, JUnit, LL144 summary) from a result JSON.",
    "compare": "Compare a result with a baseline; exit 1 on a regression.",
    "lda": "Search for a less discriminatory alternative to a spec's model (refit candidates).",
    "check": "Run only the quality gate of specs; export a spec's suite as great-expectations JSON.",
    "standards": "List, show and validate the standards audits conform to (LL144, EEOC, consortia).",
    "keys": "Generate the Ed25519 key pair that signs results.",
    "sign": "Sign a result: a DSSE envelope carrying an in-toto statement.",
    "verify": "Verify a signed result offline against a public key.",
    "registry": "Run or use a consortium registry: members, standards, signed submissions, pooled audits.",
}

REPORT_BUGS = "https://github.com/equityaudit/equityaudit/issues"


def _skip_collection_at_exit() -> None:
    """Spare the interpreter's last garbage collection when the process ends.

    A run imports great-expectations, pandas and scipy: millions of objects that live until the
    process ends. The collection Python runs while shutting down walks them all, for nothing
    (about 0.5 s of CPU, an eighth of a ``run`` of 5,000 rows). Freezing them at exit (``atexit``
    runs before that collection) leaves their memory to the operating system. Files the commands
    write are closed by ``with`` blocks before this, and the standard streams are flushed by the
    interpreter after it.
    """
    import atexit
    import gc

    atexit.unregister(gc.freeze)  # once, however many commands one process runs (tests run many)
    atexit.register(gc.freeze)


class _LazyGroup(click.Group):
    def main(self, *args: Any, **kwargs: Any) -> Any:
        _skip_collection_at_exit()
        return super().main(*args, **kwargs)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in _COMMANDS:
            return None
        module, attribute = _COMMANDS[cmd_name]
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, _SUMMARIES[name]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        from equityaudit.errors import EquityAuditError

        try:
            return super().invoke(ctx)
        except EquityAuditError as exc:
            from equityaudit.report.escaping import terminal_plain

            # a message quotes paths, keys and values from the user's files: each of its lines is
            # printed as text, with control and bidirectional characters shown as escapes
            lines = str(exc).split("\n")
            click.echo("error: " + "\n".join(terminal_plain(line) for line in lines), err=True)
            ctx.exit(int(exc.exit_code))
        except (click.ClickException, click.exceptions.Exit, click.Abort, KeyboardInterrupt):
            raise
        except BrokenPipeError:  # the reader went away (``equityaudit … | head``): stop quietly
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # so the flush at exit does not fail again
            ctx.exit(BROKEN_PIPE)
        except Exception:
            click.echo(traceback.format_exc(), err=True)
            click.echo(
                f"internal error: this is a bug in equityaudit {__version__}. Please report it at "
                f"{REPORT_BUGS} with the traceback above and the command you ran.",
                err=True,
            )
            ctx.exit(4)


@click.group(
    cls=_LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="equityaudit")
def main() -> None:
    """Audit automated decisions (hiring, marketing, chatbots) for demographic bias.

    \b
    Exit codes: 0 passed, 1 failed thresholds, 2 usage or spec error,
                3 blocked by the quality gate, 4 internal error.
    """


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
