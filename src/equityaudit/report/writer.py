"""Writing a result's files (JSON and the chosen reports) without clobbering a user's files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from equityaudit.errors import OutputError, PluginError, SpecError
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
            planned.append((out_dir / f"{result.audit.name}{file.suffix}", fmt.name, file))
    for path, _, file in planned:  # check every target before writing any
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
                path.write_text(content, encoding="utf-8")
            elif isinstance(content, bytes):
                path.write_bytes(content)
            else:
                raise PluginError(
                    f"report format {name!r} rendered its {file.suffix!r} file as {type(content).__name__}; "
                    "a renderer returns str or bytes. Fix the plugin that provides it."
                )
            files.written.append(path)
    except OSError as exc:
        raise OutputError(
            f"{out_dir}: cannot write the reports there ({exc.strerror or exc}). Choose a folder you can "
            "write to with --out."
        ) from None
    return files
