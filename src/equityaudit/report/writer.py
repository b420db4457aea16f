"""Writing a result's files (JSON and the chosen reports) without clobbering a user's files.

The rules, each for a reason:

- a file is named ``<stem><suffix>``, where the stem is the audit's name made a safe file name by
  :func:`~equityaudit.report.escaping.file_stem` (a result JSON received from someone else may
  name itself ``../../x``), and the suffix a format's validated ending; the name itself stays, as
  written, inside every report;
- nothing is written outside the output folder: each target's parent must be that folder;
- an existing file equityaudit did not write is never replaced without ``--force``;
- a symbolic link in the output folder is never written through (it could point at any file the
  user can write): without ``--force`` the write is refused; with ``--force`` the link itself is
  replaced by a regular file, and what it pointed at is left untouched. Files are opened with
  ``O_NOFOLLOW`` where the platform has it, so a link made between the check and the write is not
  followed either.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from equityaudit.errors import OutputError, PluginError, SpecError
from equityaudit.report.escaping import file_stem
from equityaudit.report.formats import MARKER, ReportFile
from equityaudit.results import AuditResult

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["MARKER", "ReportFiles", "write_reports"]


def _ours(path: Path, file: ReportFile) -> bool:
    """Whether equityaudit wrote this file, as the report file that would replace it recognises
    its own (by default: it carries :data:`MARKER`)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return file.owned(text)


class ReportFiles:
    """What :func:`write_reports` wrote, and what it skipped with the reason."""

    def __init__(self) -> None:
        self.written: list[Path] = []
        self.skipped: list[str] = []


def write_reports(
    result: AuditResult, out_dir: Path, formats: Sequence[str], *, force: bool = False
) -> ReportFiles:
    """Write ``<name><suffix>`` files for each format; refuse to replace files equityaudit did not write.

    ``formats`` are names of registered report formats (``equityaudit formats`` lists them).
    Every report is rendered from the result as its JSON stores it (read back, as ``equityaudit
    report`` reads it), so a report never depends on anything the JSON does not hold. A format
    that does not apply to the result (the LL144 summary, for any but a hiring audit) is skipped
    and the reason recorded.
    """
    from equityaudit.plugins import list_formats

    registered = list_formats()
    unknown = [name for name in formats if name not in registered]
    if unknown:
        raise SpecError(f"unknown output format {unknown[0]!r}; expected one of {', '.join(registered)}.")
    # Render what is stored, as `equityaudit report` reads it back: the JSON's sorted keys and all,
    # so a report written by `run` and one rendered later from the result file are the same.
    result = AuditResult.model_validate_json(result.to_json())
    files = ReportFiles()
    planned: list[tuple[Path, str, ReportFile]] = []
    for name in formats:
        fmt = registered[name][0]
        reason = fmt.reason_to_skip(result) if fmt.reason_to_skip is not None else None
        if reason is not None:
            files.skipped.append(f"{fmt.name}: {reason}")
            continue
        for file in fmt.files:
            planned.append((out_dir / f"{file_stem(result.audit.name)}{file.suffix}", fmt.name, file))
    for path, _, file in planned:  # check every target before writing any
        if path.parent != out_dir:  # file_stem and the suffix rule keep it so; checked all the same
            raise OutputError(f"{path}: not inside the output folder {out_dir}; refusing to write it.")
        if path.is_symlink():
            if not force:
                raise SpecError(
                    f"{path} is a symbolic link (to {os.readlink(path)}); refusing to write through it, "
                    "since it could point at any file. Remove it, choose another --out folder, or pass "
                    "--force to replace the link (not what it points at) with the report."
                )
            continue
        if path.exists() and not force and not _ours(path, file):
            raise SpecError(
                f"{path} exists and was not written by equityaudit; refusing to overwrite it. "
                "Choose another --out folder, or pass --force to replace it."
            )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for path, name, file in planned:
            content = file.render(result)
            if isinstance(content, str):
                content = content.encode("utf-8")
            elif not isinstance(content, bytes):
                raise PluginError(
                    f"report format {name!r} rendered its {file.suffix!r} file as {type(content).__name__}; "
                    "a renderer returns str or bytes. Fix the plugin that provides it."
                )
            _write_contained(path, content)
            files.written.append(path)
    except OSError as exc:
        raise OutputError(
            f"{out_dir}: cannot write the reports there ({exc.strerror or exc}). Choose a folder you can "
            "write to with --out."
        ) from None
    return files


def _write_contained(path: Path, content: bytes) -> None:
    """Write ``path`` as a regular file, never through a symbolic link (one found there, under
    ``--force``, is removed first)."""
    if path.is_symlink():
        path.unlink()
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    descriptor = os.open(path, flags, 0o666)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
