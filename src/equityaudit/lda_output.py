"""An LDA search's outputs: its JSON, its Markdown report, its terminal table and its saved candidates.

Every piece of user text (the spec's name, file paths, group and column names) goes through the
escaping function of its format (:mod:`equityaudit.report.escaping`). Files follow the rules of
``equityaudit run --out`` (:mod:`equityaudit.report.writer`): named from the spec's name made a
safe file stem, written only inside the chosen folder, never through a symbolic link, and never
replacing a file equityaudit did not write unless ``force``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from equityaudit.errors import OutputError, SpecError
from equityaudit.lda import SCHEMA, Candidate, LdaSearch
from equityaudit.report.escaping import file_stem, markdown_cell, markdown_code, markdown_text, terminal_text
from equityaudit.report.formats import MARKER

if TYPE_CHECKING:
    from rich.table import Table

__all__ = [
    "check_lda_files",
    "check_saved_files",
    "lda_json",
    "lda_markdown",
    "lda_table",
    "save_front",
    "write_lda_files",
]


def lda_json(search: LdaSearch) -> str:
    """The search as JSON (schema ``equityaudit.lda/1``): sorted keys, two-space indent, no NaN."""
    return json.dumps(search.to_dict(), sort_keys=True, indent=2, allow_nan=False, ensure_ascii=False) + "\n"


def _number(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _marks(candidate: Candidate) -> str:
    marks = []
    if candidate.kind == "current":
        marks.append("current")
    if candidate.lda:
        marks.append("LDA")
    if candidate.on_front:
        marks.append("front")
    return ", ".join(marks)


def lda_markdown(search: LdaSearch) -> str:
    """The search as a Markdown report (every user text escaped for Markdown)."""
    current = search.current.evaluation
    lines = [
        MARKER,
        f"# Less discriminatory alternatives: {markdown_text(search.name)}",
        "",
        markdown_text(search.summary()),
        "",
        f"- Model: {markdown_code(search.model['path'])} ({markdown_text(search.model['type'])}), "
        f"features {', '.join(markdown_code(f) for f in search.model['features'])}, output "
        f"{markdown_text(search.model['output'])}"
        + (f" at threshold {search.model['threshold']:g}" if search.model["threshold"] is not None else ""),
        f"- Training rows: {markdown_code(search.train['source'])} ({search.train['rows']:,} rows)",
        f"- Held-out rows: {markdown_code(search.held_out['source'])} ({search.held_out['rows']:,} rows); "
        f"true label {markdown_code(search.label)}",
        f"- Groupings compared: {', '.join(markdown_code(g) for g in search.groupings)} (groups of at least "
        f"{search.thresholds['min_group_size']:g} rows, not Unknown); reductions constrain "
        f"{markdown_code(search.sensitive)}",
        f"- Tolerance: an LDA is at most {search.tolerance:g} less accurate than the current model "
        f"({current.accuracy:.4f}) and has a higher worst impact ratio; grid {markdown_text(search.grid)}",
        "",
        "## Candidates",
        "",
        "Current model first, then the Pareto front, then the rest, each by accuracy.",
        "",
    ]
    groupings = search.groupings
    header = [
        "",
        "candidate",
        "accuracy",
        "Δ accuracy",
        "worst ratio",
        *[f"ratio {g}" for g in groupings],
        "selected",
        "saved",
    ]
    lines.append("| " + " | ".join(markdown_cell(h) for h in header) + " |")
    lines.append(
        "|"
        + "|".join(["---", "---", "---:", "---:", "---:", *["---:"] * len(groupings), "---:", "---"])
        + "|"
    )
    for candidate in search.ordered():
        lines.append(_markdown_row(candidate, current.accuracy, groupings))
    if search.what_if:
        lines += ["", "## What-if: group-specific thresholds", ""]
        for candidate in search.what_if:
            lines.append(f"> {markdown_text(candidate.caveat or '')}")
            lines.append("")
        lines.append("| " + " | ".join(markdown_cell(h) for h in header) + " |")
        lines.append(
            "|"
            + "|".join(["---", "---", "---:", "---:", "---:", *["---:"] * len(groupings), "---:", "---"])
            + "|"
        )
        for candidate in search.what_if:
            lines.append(_markdown_row(candidate, current.accuracy, groupings))
    if search.skipped:
        lines += ["", "## Skipped", ""]
        lines += [f"- {markdown_code(s['id'])}: {markdown_text(s['reason'])}" for s in search.skipped]
    lines += ["", "## How each candidate was made", ""]
    lines += [
        f"- {markdown_code(c.id)}: {markdown_text(c.description)}"
        for c in [*search.ordered(), *search.what_if]
    ]
    lines += ["", "## Methods", ""]
    methods = search.to_dict()["methods"]
    lines += [f"- {markdown_text(key)}: {markdown_text(text)}" for key, text in methods.items()]
    return "\n".join(lines) + "\n"


def _markdown_row(candidate: Candidate, current_accuracy: float, groupings: Sequence[str]) -> str:
    e = candidate.evaluation
    cells = [
        _marks(candidate) or ("what-if" if candidate.what_if else ""),
        candidate.name,
        f"{e.accuracy:.4f}",
        f"{e.accuracy - current_accuracy:+.4f}",
        _number(e.worst_impact_ratio),
        *[_number(e.impact_ratios.get(g)) for g in groupings],
        f"{e.selection_rate:.1%}",
        Path(candidate.saved).name if candidate.saved else "",
    ]
    return "| " + " | ".join(markdown_cell(c) for c in cells) + " |"


def lda_table(search: LdaSearch) -> Table:
    """The candidates as a rich table for the terminal (text through :func:`terminal_text`)."""
    from rich.table import Table

    current = search.current.evaluation
    table = Table(title=terminal_text(f"LDA search: {search.name}"), title_justify="left", box=None)
    for name, justify in (
        ("", "left"),
        ("candidate", "left"),
        ("accuracy", "right"),
        ("Δ acc.", "right"),
        ("worst ratio", "right"),
        ("worst by", "left"),
        ("selected", "right"),
    ):
        # the marks, ids and groupings never wrap; a number column is at least its header's width
        table.add_column(
            name,
            justify="right" if justify == "right" else "left",
            no_wrap=name in ("", "candidate", "worst by"),
            min_width=len(name),
        )
    for candidate in [*search.ordered(), *search.what_if]:
        e = candidate.evaluation
        style = "bold green" if candidate.lda else "bold" if candidate.kind == "current" else ""
        table.add_row(
            terminal_text(_marks(candidate) or ("what-if" if candidate.what_if else ""), style),
            terminal_text(candidate.id, style),
            f"{e.accuracy:.4f}",
            f"{e.accuracy - current.accuracy:+.4f}",
            _number(e.worst_impact_ratio),
            terminal_text(e.worst_grouping or ""),
            f"{e.selection_rate:.1%}",
        )
    return table


def _slug(identifier: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", identifier).strip("-.")


def _planned(out: Path, stem: str, suffix: str) -> Path:
    path = out / f"{file_stem(stem)}{suffix}"
    if path.parent != out:  # file_stem keeps it so; checked all the same
        raise OutputError(f"{path}: not inside the output folder {out}; refusing to write it.")
    return path


def _guard(path: Path, *, force: bool, ours: bool) -> None:
    if path.is_symlink():
        if not force:
            raise SpecError(
                f"{path} is a symbolic link (to {os.readlink(path)}); refusing to write through it. Remove it, "
                "choose another folder, or pass --force to replace the link (not what it points at)."
            )
        return
    if path.exists() and not force and not ours:
        raise SpecError(
            f"{path} exists and was not written by equityaudit; refusing to overwrite it. Choose another "
            "folder, or pass --force to replace it."
        )


def _write(path: Path, content: bytes) -> None:
    if path.is_symlink():
        path.unlink()
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    with os.fdopen(os.open(path, flags, 0o666), "wb") as handle:
        handle.write(content)


def _ours_json(path: Path) -> bool:
    try:
        return bool(json.loads(path.read_text(encoding="utf-8")).get("schema") == SCHEMA)
    except (OSError, ValueError, AttributeError):
        return False


def _ours_markdown(path: Path) -> bool:
    try:
        return MARKER in path.read_text(encoding="utf-8", errors="replace")[:4096]
    except OSError:
        return False


def check_lda_files(name: str, out: Path, *, force: bool = False) -> None:
    """Refuse, before any work, the files :func:`write_lda_files` would refuse to write.

    A file in ``out`` that equityaudit did not write (a JSON of another schema, a Markdown file
    without the report marker), or a symbolic link, is replaced only with ``force``.
    """
    for suffix, ours in ((".lda.json", _ours_json), (".lda.md", _ours_markdown)):
        path = _planned(out, name, suffix)
        _guard(path, force=force, ours=path.exists() and ours(path))


def check_saved_files(search_name: str, folder: Path, *, force: bool = False) -> None:
    """Refuse, before any work, a ``--save`` folder holding saved candidates (replaced only with ``force``)."""
    if force or not folder.is_dir():
        return
    existing = sorted(folder.glob(f"{file_stem(search_name + '.lda.')}*.skops"))
    if existing:
        raise SpecError(
            f"{folder} already holds saved candidates ({', '.join(p.name for p in existing[:3])}"
            f"{', …' if len(existing) > 3 else ''}); refusing to overwrite them. Choose another --save folder, "
            "or pass --force to replace them."
        )


def write_lda_files(search: LdaSearch, out: Path, *, force: bool = False) -> list[Path]:
    """Write ``NAME.lda.json`` and ``NAME.lda.md`` into ``out``; return their paths.

    A file there that equityaudit did not write is replaced only with ``force`` (:func:`check_lda_files`).
    """
    planned = [
        (_planned(out, search.name, ".lda.json"), _ours_json, lda_json(search)),
        (_planned(out, search.name, ".lda.md"), _ours_markdown, lda_markdown(search)),
    ]
    check_lda_files(search.name, out, force=force)
    try:
        out.mkdir(parents=True, exist_ok=True)
        for path, _, content in planned:
            _write(path, content.encode("utf-8"))
    except OSError as exc:
        raise OutputError(f"{out}: cannot write the LDA files there ({exc.strerror or exc}).") from None
    return [path for path, _, _ in planned]


def save_front(search: LdaSearch, folder: Path, *, force: bool = False) -> list[Path]:
    """Save each candidate on the Pareto front (but the current model, already a file) as a skops file.

    Files are ``NAME.lda.<candidate id>.skops``; each candidate's ``saved`` records its path. An
    existing file is replaced only with ``force`` (a skops file cannot say who wrote it).
    """
    import skops.io as sio

    chosen: list[tuple[Candidate, Path]] = []
    for candidate in search.ordered():
        if candidate.on_front and candidate.estimator is not None:
            path = _planned(folder, f"{search.name}.lda.{_slug(candidate.id)}", ".skops")
            _guard(path, force=force, ours=False)
            chosen.append((candidate, path))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for candidate, path in chosen:
            _write(path, sio.dumps(candidate.estimator))
            candidate.saved = str(path)
    except OSError as exc:
        raise OutputError(f"{folder}: cannot save the candidates there ({exc.strerror or exc}).") from None
    return [path for _, path in chosen]
