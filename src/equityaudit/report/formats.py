"""What a report format is: a name, the files it writes and how each is rendered from a result.

A plugin provides formats through the ``equityaudit_report_formats`` hook
(:mod:`equityaudit.hookspecs`); the built-in ones (:mod:`equityaudit.report.builtin_formats`) are
provided the same way. ``equityaudit run --format NAME`` and ``equityaudit report --format NAME``
then write each of the format's files as ``<audit name><suffix>`` in the output folder.

Examples
--------
A format that writes the verdict as one line of text:

>>> def verdict(result):
...     return f"{MARKER}\\n{result.audit.name}: {result.verdict}\\n"
>>> fmt = ReportFormat(name="verdict", title="verdict line", files=(ReportFile(".verdict.txt", verdict),))
>>> fmt.files[0].suffix
'.verdict.txt'
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from equityaudit.errors import PluginError

if TYPE_CHECKING:
    from equityaudit.results import AuditResult

__all__ = ["MARKER", "ReportFile", "ReportFormat", "carries_marker"]

MARKER = "<!-- written by equityaudit -->"
"""Carried by every text report, so a later run knows the file is its own to replace."""

_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
_SUFFIX = re.compile(r"\.[A-Za-z0-9][A-Za-z0-9_.-]*")


def carries_marker(text: str) -> bool:
    """Whether a file's text carries :data:`MARKER` in its first 4,096 characters."""
    return MARKER in text[:4096]


@dataclass(frozen=True)
class ReportFile:
    """One file of a report format: written as ``<audit name><suffix>``, rendered from the result.

    Parameters
    ----------
    suffix
        Ends the file's name, after the audit's name: ``.html``, ``.ll144.csv``.
    render
        The file's content from the result: text (written as UTF-8) or bytes. It reads the result
        and computes nothing the result does not hold.
    owned
        Whether an existing file's text (read as UTF-8, undecodable bytes replaced) is one
        equityaudit wrote, so that a later run may replace it; any other file is never overwritten
        without ``--force``. By default, whether it carries :data:`MARKER` near its start, so a
        text format puts the marker in a comment of its own syntax.
    """

    suffix: str
    render: Callable[[AuditResult], str | bytes]
    owned: Callable[[str], bool] = carries_marker

    def __post_init__(self) -> None:
        if not _SUFFIX.fullmatch(self.suffix):
            raise PluginError(
                f"report file suffix {self.suffix!r} is not a file name ending: expected a dot, then "
                "letters, digits, '.', '_' or '-' (e.g. '.html', '.ll144.csv')."
            )


@dataclass(frozen=True)
class ReportFormat:
    """A report format, as ``--format`` names it, and the files it writes.

    Parameters
    ----------
    name
        What ``--format`` takes: lower-case letters, digits, ``-`` and ``_``; unique among the
        registered formats.
    title
        A few words naming what it writes (``HTML report``), for listings and messages.
    files
        The files it writes, each with its own suffix and renderer.
    default
        Whether ``equityaudit run`` writes it when ``--format`` is not given.
    reason_to_skip
        Why a result cannot have this report (the LL144 summary exists only for hiring audits), or
        None when it can; a skipped format is reported with the reason, not written.
    """

    name: str
    title: str
    files: tuple[ReportFile, ...]
    default: bool = False
    reason_to_skip: Callable[[AuditResult], str | None] | None = None

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise PluginError(
                f"report format name {self.name!r} is not one --format can take: expected lower-case "
                "letters, digits, '-' or '_', starting with a letter or digit (e.g. 'html', 'pdf')."
            )
        if not self.files:
            raise PluginError(f"report format {self.name!r} writes no file: give it at least one ReportFile.")
        suffixes = [f.suffix for f in self.files]
        if len(set(suffixes)) < len(suffixes):
            raise PluginError(
                f"report format {self.name!r} writes two files with the same suffix: {suffixes}."
            )
