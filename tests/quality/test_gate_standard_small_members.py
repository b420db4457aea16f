"""Under a standard, a member too small to compare groups is audited (insufficient_data), not blocked.

The member: 60 applicants labelled its own way. Per cell (gender, age_group): W/<40 14, W/40+ 14,
m/<40 14, m/40+ 14, and 4 applicants who gave neither ("prefer not to say", which stays Unknown).
So every known group of the standard's attributes has 28 rows (W: 14 + 14, ...), under the
standard's min_group_size of 30. Selected: W/<40 7, W/40+ 3, m/<40 7, m/40+ 6, unknown 1.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from click.testing import CliRunner

import equityaudit.engine
from equityaudit.cli import main
from equityaudit.spec_loading import spec_from_mapping

RETAIL = "retail-screening@2026.1"
CELLS = {("W", "<40"): (14, 7), ("W", "40+"): (14, 3), ("m", "<40"): (14, 7), ("m", "40+"): (14, 6)}


def member() -> pd.DataFrame:
    rows = []
    for (gender, age), (n, selected) in CELLS.items():
        rows += [{"gender": gender, "age_group": age, "hired": int(i < selected)} for i in range(n)]
    rows += [
        {"gender": "prefer not to say", "age_group": "prefer not to say", "hired": int(i < 1)}
        for i in range(4)
    ]
    return pd.DataFrame(rows)


def mapping(**changes: Any) -> dict[str, Any]:
    return {
        "equityaudit": 1,
        "name": "small-member",
        "auditor": "decisions",
        "standard": RETAIL,
        "data": {"path": "member.csv"},
        "columns": {"sensitive": ["gender", "age_group"], "decision": "hired"},
        **changes,
    }


def test_the_member_is_as_described() -> None:
    frame = member()
    assert len(frame) == 60
    assert frame["gender"].value_counts().to_dict() == {"W": 28, "m": 28, "prefer not to say": 4}
    assert int(frame["hired"].sum()) == 7 + 3 + 7 + 6 + 1


def test_a_small_member_is_audited_with_a_warning_under_a_standard(tmp_path: Path) -> None:
    member().to_csv(tmp_path / "member.csv", index=False)
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(mapping(), sort_keys=False))
    result = CliRunner().invoke(main, ["run", str(tmp_path / "spec.yaml"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output  # not 3: the gate does not block
    saved = json.loads((tmp_path / "out" / "small-member.json").read_text())
    assert saved["verdict"] == "warn"
    assert saved["gate"]["passed"] is True
    groups = [c for c in saved["gate"]["checks"] if c["name"] == "equityaudit_group_sizes"]
    assert [(c["column"], c["passed"], c["observed"]) for c in groups] == [
        ("sex", False, {"Female": 28, "Male": 28}),
        ("age_band", False, {"40 and over": 28, "Under 40": 28}),
    ]
    assert all(
        "A warning, not a block: under the standard retail-screening@2026.1" in c["message"] for c in groups
    )
    assert [c["name"] for c in saved["gate"]["checks"] if not c["passed"]] == ["equityaudit_group_sizes"] * 2
    assert saved["findings"] and {f["status"] for f in saved["findings"]} == {"insufficient_data"}
    (counts,) = saved["counts"]
    by_group = {(r["group"]["sex"], r["group"]["age_band"]): (r["n"], r["selected"]) for r in counts["rows"]}
    assert by_group[("Female", "Under 40")] == (14, 7)
    assert by_group[("Female", "40 and over")] == (14, 3)
    assert by_group[("Male", "Under 40")] == (14, 7)
    assert by_group[("Male", "40 and over")] == (14, 6)
    assert by_group[("Unknown", "Unknown")] == (4, 1)
    assert any("warns instead of blocking" in note for note in saved["notes"])


def test_without_a_standard_the_same_member_is_blocked() -> None:
    frame = member().rename(columns={"gender": "sex", "age_group": "age_band"})
    spec = spec_from_mapping(
        {
            k: v
            for k, v in mapping(columns={"sensitive": ["sex", "age_band"], "decision": "hired"}).items()
            if k != "standard"
        }
    )
    result = equityaudit.engine.run_spec(spec, frame=frame)
    assert result.verdict == "blocked"
    assert [c.column for c in result.gate.checks if not c.passed] == ["sex", "age_band"]
