"""Writing a gate's suite as great-expectations JSON, without clobbering a user's file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from equityaudit.errors import SpecError

__all__ = ["write_suite"]


def _ours(path: Path) -> bool:
    """Whether equityaudit wrote this file (a suite whose meta says so)."""
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    meta = payload.get("meta") if isinstance(payload, dict) else None
    ours = meta.get("equityaudit") if isinstance(meta, dict) else None
    return isinstance(ours, dict) and str(ours.get("generated_by", "")).startswith("equityaudit")


def write_suite(suite: dict[str, Any], path: str | Path, *, force: bool = False) -> Path:
    """Write a suite (great-expectations JSON) to ``path``; refuse to replace a file equityaudit did not write.

    Raises
    ------
    SpecError
        ``path`` exists, was not written by equityaudit, and ``force`` is false.
    """
    path = Path(path)
    if path.exists() and not force and not _ours(path):
        raise SpecError(
            f"{path} exists and was not written by equityaudit; refusing to overwrite it. "
            "Choose another file, or pass --force to replace it."
        )
    if path.is_dir():
        raise SpecError(f"{path} is a folder; give --export-suite a file name, e.g. {path / 'suite.json'}.")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(suite, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
