"""What every benchmark records about the code and machine it measured.

``git_commit`` is the checkout's HEAD; ``src_uncommitted_changes`` says whether the imported
equityaudit package differs from it (None when that cannot be told: no git, or a package
installed from elsewhere); ``load_average_1min`` is taken before anything is measured, so a
figure taken on a busy machine says so.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def git(*args: str) -> str | None:
    """Output of a git command in the checkout holding this script; None without git or a checkout."""
    try:
        proc = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    except OSError:
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def machine_state() -> dict[str, Any]:
    """The machine's CPU count and 1-minute load average; call it before measuring anything."""
    try:
        load: float | None = round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):  # not available on this platform
        load = None
    return {"cpu_count": os.cpu_count(), "load_average_1min": load}


def provenance() -> dict[str, Any]:
    """Which code was measured: the checkout's commit and whether the imported package differs."""
    import equityaudit

    package = Path(equityaudit.__file__).resolve().parent
    commit = git("rev-parse", "HEAD")
    dirty: bool | None = None
    if commit is not None and package.is_relative_to(ROOT):
        status = git("status", "--porcelain", "--", str(package))
        dirty = None if status is None else bool(status)
    return {
        "git_commit": commit,
        "src_uncommitted_changes": dirty,
        "equityaudit_imported_from": str(
            package.relative_to(ROOT) if package.is_relative_to(ROOT) else package
        ),
    }
