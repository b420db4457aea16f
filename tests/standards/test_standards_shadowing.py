"""A bundled standard cannot be shadowed: a file reusing its id@version with other content is refused."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

import equityaudit.engine
from equityaudit.cli import main
from equityaudit.errors import SpecError
from equityaudit.spec_loading import spec_from_mapping
from equityaudit.standards import bundled_standards, find_standard, list_standards, standard_sha256

RETAIL = "retail-screening@2026.1"
# pinned in tests/test_standards_model.py::test_bundled_standards_never_change_silently
BUNDLED_SHA = "db0745d270607363ac8e607230cdbc893d2aa74f474186b76dcf0f2e8d3da7b5"


def _shadow(tmp_path: Path, *, impact_ratio: float = 0.7, name: str = "shadow.yaml") -> tuple[Path, str]:
    """The bundled retail standard with its impact-ratio threshold changed; returns the file and its sha256."""
    document = dict(bundled_standards()[RETAIL].document)
    document["decision"] = {**document["decision"], "impact_ratio": impact_ratio}
    path = tmp_path / name
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path, standard_sha256(document)


def _message(path: Path, sha: str) -> str:
    return (
        f"{path}: standard {RETAIL} reuses the id@version of a bundled standard with other content "
        f"(sha256 {sha}; the bundled {RETAIL} has sha256 {BUNDLED_SHA}). A bundled standard cannot be "
        "shadowed: give this standard a new version (e.g. version: 2026.1-local) or a new id."
    )


def test_validate_refuses_a_file_reusing_a_bundled_ref_naming_both_hashes(tmp_path: Path) -> None:
    path, sha = _shadow(tmp_path)
    assert sha != BUNDLED_SHA
    ran = CliRunner().invoke(main, ["standards", "validate", str(path)])
    assert ran.exit_code == 2
    assert ran.output == f"error: {_message(path, sha)}\n"


def test_an_exact_copy_of_a_bundled_standard_is_accepted(tmp_path: Path) -> None:
    path, sha = _shadow(tmp_path, impact_ratio=0.8)  # 0.8 is the bundled value: the same content
    assert sha == BUNDLED_SHA
    ran = CliRunner().invoke(main, ["standards", "validate", str(path)])
    assert ran.exit_code == 0, ran.output
    assert ran.output == f"ok: {path} is a valid standard {RETAIL}, sha256 {BUNDLED_SHA}\n"


def test_a_new_version_of_the_same_content_is_accepted(tmp_path: Path) -> None:
    path, _ = _shadow(tmp_path)
    path.write_text(path.read_text().replace("version: '2026.1'", "version: 2026.1-local"))
    assert find_standard(str(path)).ref == "retail-screening@2026.1-local"


def test_a_spec_naming_the_shadow_file_is_refused_before_it_runs(tmp_path: Path) -> None:
    path, sha = _shadow(tmp_path)
    spec = spec_from_mapping(
        {
            "equityaudit": 1,
            "name": "member-audit",
            "auditor": "decisions",
            "standard": str(path),
            "data": {"kind": "historical"},
            "columns": {"sensitive": ["gender"], "decision": "hired"},
        }
    )
    frame = pd.DataFrame({"gender": ["f", "m"] * 20, "hired": [1, 0, 0, 1] * 10})
    with pytest.raises(SpecError) as caught:
        equityaudit.engine.run_spec(spec, frame=frame)
    assert _message(path, sha) in str(caught.value)


def test_a_shadow_in_a_standards_folder_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path, sha = _shadow(tmp_path)
    monkeypatch.setenv("EQUITYAUDIT_STANDARDS_PATH", str(tmp_path))
    with pytest.raises(SpecError) as caught:
        list_standards()
    assert str(caught.value) == _message(path, sha)
