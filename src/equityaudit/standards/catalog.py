"""Finding standards: the bundled ones, local folders, and files named by path.

A spec names a standard as ``id@version`` (``nyc-ll144@2023``) or as a path to a standard file
(relative to the spec). ``id@version`` is looked up among the standards bundled with
equityaudit, then in the folders listed in the ``EQUITYAUDIT_STANDARDS_PATH`` environment
variable (``os.pathsep``-separated; ``equityaudit registry standard get`` writes fetched
consortium standards to such a folder). A bundled standard cannot be shadowed.
"""

from __future__ import annotations

import functools
import os
from importlib import resources
from pathlib import Path

from equityaudit.errors import SpecError, did_you_mean
from equityaudit.spec_loading import load_yaml
from equityaudit.standards.model import Standard, parse_standard

__all__ = ["STANDARDS_PATH_ENV", "bundled_standards", "find_standard", "list_standards", "load_standard_file"]

STANDARDS_PATH_ENV = "EQUITYAUDIT_STANDARDS_PATH"


@functools.cache
def bundled_standards() -> dict[str, Standard]:
    """The standards shipped in ``equityaudit/standards/data``, by ``id@version``.

    Examples
    --------
    >>> sorted(bundled_standards())[:2]
    ['eeoc-four-fifths@1978', 'nyc-ll144@2023']
    """
    found: dict[str, Standard] = {}
    folder = resources.files("equityaudit.standards") / "data"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith((".yaml", ".yml")):
            continue
        standard = parse_standard(load_yaml(entry.read_bytes(), origin=entry.name), origin=entry.name)
        if entry.name.rsplit(".", 1)[0] != standard.ref:
            raise SpecError(f"bundled standard {entry.name} declares {standard.ref}; rename the file.")
        found[standard.ref] = standard
    return found


def load_standard_file(path: str | Path) -> Standard:
    """Read and validate a standard from a YAML (or JSON) file.

    A file may carry a bundled standard's ``id@version`` only with the bundled content (a copy):
    a bundled standard cannot be shadowed, or two results labelled alike would not be comparable.

    Raises
    ------
    SpecError
        The file is missing, not YAML, not a valid standard, or reuses a bundled standard's
        ``id@version`` with other content.
    """
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"{path}: standard file not found.")
    document = load_yaml(path.read_bytes(), origin=str(path))
    standard = parse_standard(document, origin=str(path))
    _refuse_shadowing(standard, origin=str(path))
    return standard


def _refuse_shadowing(standard: Standard, *, origin: str) -> None:
    """Refuse a standard that reuses a bundled ``id@version`` with a different sha256."""
    bundled = bundled_standards().get(standard.ref)
    if bundled is None or bundled.sha256 == standard.sha256:
        return
    raise SpecError(
        f"{origin}: standard {standard.ref} reuses the id@version of a bundled standard with other "
        f"content (sha256 {standard.sha256}; the bundled {standard.ref} has sha256 {bundled.sha256}). "
        "A bundled standard cannot be shadowed: give this standard a new version (e.g. "
        f"version: {standard.version}-local) or a new id."
    )


def _local_folders() -> list[Path]:
    value = os.environ.get(STANDARDS_PATH_ENV, "")
    return [Path(part) for part in value.split(os.pathsep) if part.strip()]


def list_standards() -> dict[str, tuple[Standard, str]]:
    """Every standard available by ``id@version``, with where it comes from (``bundled`` or a file)."""
    found: dict[str, tuple[Standard, str]] = {ref: (s, "bundled") for ref, s in bundled_standards().items()}
    for folder in _local_folders():
        if not folder.is_dir():
            continue
        for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml"), *folder.glob("*.json")]):
            standard = load_standard_file(path)
            found.setdefault(standard.ref, (standard, str(path)))
    return dict(sorted(found.items()))


def find_standard(name: str, *, base: Path | None = None, origin: str = "<spec>") -> Standard:
    """The standard a spec names: ``id@version`` or a path to a standard file.

    Raises
    ------
    SpecError
        No such standard; the message lists the available ones.
    """
    looks_like_path = name.endswith((".yaml", ".yml", ".json")) or "/" in name or os.sep in name
    if looks_like_path:
        path = Path(name)
        if not path.is_absolute() and base is not None:
            path = base / path
        if not path.is_file():
            raise SpecError(f"{origin}: key 'standard': standard file {str(path)!r} not found.")
        return load_standard_file(path)
    available = list_standards()
    if "@" not in name:
        versions = [ref for ref in available if ref.split("@", 1)[0] == name]
        hint = f" Available: {', '.join(versions)}." if versions else ""
        raise SpecError(
            f"{origin}: key 'standard': {name!r} names no version; write id@version (e.g. "
            f"nyc-ll144@2023) so results stay comparable.{hint}"
        )
    if name not in available:
        raise SpecError(
            f"{origin}: key 'standard': unknown standard {name!r}. {did_you_mean(name, available)} "
            f"Run 'equityaudit standards list'; a consortium standard is fetched with "
            f"'equityaudit registry standard get {name} --out DIR' and DIR added to {STANDARDS_PATH_ENV}."
        )
    return available[name][0]
