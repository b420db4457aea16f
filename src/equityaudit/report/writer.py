"""Writing a result's files (JSON and the chosen reports) without clobbering a user's files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from equityaudit.errors import OutputError, SpecError
from equityaudit.results import AuditResult

__all__ = ["FORMATS", "MARKER", "ReportFiles", "write_reports"]

FORMATS = ("json", "md", "html", "junit", "ll144")
"""Output formats ``run --format`` and ``report --format`` accept."""

MARKER = "<!-- written by equityaudit -->"
"""Carried by every text report, so a later run knows the file is its own to replace."""


_LL144_CSV_COLUMNS_0_1 = (
    "audit_name", "audit_date", "distribution_date", "data_kind", "data_period_start", "data_period_end",
    "table", "category", "applicants", "selected", "rate_type", "rate", "impact_ratio",
    "included_in_impact_ratios", "note",
)  # fmt: skip
"""The LL144 CSV header before the data source columns were appended: still ours to replace."""


def _ours(path: Path) -> bool:
    """Whether equityaudit wrote this file (a result JSON, a marked report, or an LL144 CSV)."""
    from equityaudit.report.ll144 import LL144_CSV_COLUMNS

    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    if path.suffix == ".json":
        try:
            payload = json.loads(text)
        except json.JSONDecodeError:
            return False
        return isinstance(payload, dict) and str(payload.get("schema", "")).startswith("equityaudit.result/")
    if path.suffix == ".csv":
        header = text.split("\n", 1)[0].rstrip("\r")
        return header in (",".join(LL144_CSV_COLUMNS), ",".join(_LL144_CSV_COLUMNS_0_1))
    return MARKER in text[:4096]


class ReportFiles:
    """What :func:`write_reports` wrote, and what it skipped with the reason."""

    def __init__(self) -> None:
        self.written: list[Path] = []
        self.skipped: list[str] = []


def _renderers(result: AuditResult, fmt: str) -> list[tuple[str, Callable[[], str]]]:
    """(file suffix, renderer) pairs of one format."""
    if fmt == "json":
        return [(".json", lambda: result.to_json(indent=2) + "\n")]
    if fmt == "md":
        from equityaudit.report.markdown import render_markdown

        return [(".md", lambda: render_markdown(result, marker=MARKER))]
    if fmt == "html":
        from equityaudit.report.html import render_html

        return [(".html", lambda: render_html(result, marker=MARKER))]
    if fmt == "junit":
        from equityaudit.report.junit import render_junit

        return [(".junit.xml", lambda: render_junit([result]).replace("?>\n", f"?>\n{MARKER}\n", 1))]
    if fmt == "ll144":
        from equityaudit.report.ll144 import render_ll144_csv, render_ll144_html, render_ll144_markdown

        return [
            (".ll144.md", lambda: render_ll144_markdown(result, marker=MARKER)),
            (".ll144.csv", lambda: render_ll144_csv(result)),
            (".ll144.html", lambda: render_ll144_html(result, marker=MARKER)),
        ]
    raise SpecError(f"unknown output format {fmt!r}; expected one of {', '.join(FORMATS)}.")


def write_reports(
    result: AuditResult, out_dir: Path, formats: tuple[str, ...], *, force: bool = False
) -> ReportFiles:
    """Write ``<name><suffix>`` files for each format; refuse to replace files equityaudit did not write.

    Every report is rendered from the result as its JSON stores it (read back, as ``equityaudit
    report`` reads it), so a report never depends on anything the JSON does not hold. The LL144
    summary exists only for results of the hiring auditor; for others it is skipped and the reason
    recorded.
    """
    # Render what is stored, as `equityaudit report` reads it back: the JSON's sorted keys and all,
    # so a report written by `run` and one rendered later from the result file are the same.
    result = AuditResult.model_validate_json(result.to_json())
    files = ReportFiles()
    planned: list[tuple[Path, Callable[[], str]]] = []
    for fmt in formats:
        if fmt == "ll144" and "ll144" not in result.context:
            files.skipped.append(
                f"ll144: {result.audit.name} is a {result.audit.auditor} audit, not a hiring audit"
            )
            continue
        for suffix, render in _renderers(result, fmt):
            planned.append((out_dir / f"{result.audit.name}{suffix}", render))
    for path, _ in planned:  # check every target before writing any
        if path.exists() and not force and not _ours(path):
            raise SpecError(
                f"{path} exists and was not written by equityaudit; refusing to overwrite it. "
                "Choose another --out folder, or pass --force to replace it."
            )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for path, render in planned:
            path.write_text(render(), encoding="utf-8")
            files.written.append(path)
    except OSError as exc:
        raise OutputError(
            f"{out_dir}: cannot write the reports there ({exc.strerror or exc}). Choose a folder you can "
            "write to with --out."
        ) from None
    return files
