"""The terminal summary's verdict line counts every status behind the verdict, gate warnings too."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from equityaudit.cli import main


def write_spec(folder: Path, quality: str) -> Path:
    # F 500/1000 and M 500/1000 hired: ratio 1.0, interval about 0.9-1.1, above 0.8: a pass
    (folder / "d.csv").write_text("sex,hired\n" + "F,1\nF,0\nM,1\nM,0\n" * 500)
    spec = folder / "s.yaml"
    spec.write_text(
        "equityaudit: 1\nname: s\nauditor: decisions\ndata: {path: d.csv}\n"
        f"columns: {{sensitive: [sex], decision: hired}}\nquality: {quality}\n"
    )
    return spec


def verdict_line(output: str) -> str:
    return next(line.rstrip() for line in output.splitlines() if line.startswith("Verdict:"))


def test_gate_warn_counts_failed_checks_in_the_verdict_line(tmp_path: Path) -> None:
    # two failed checks: M is not among the allowed values, and 2,000 rows are fewer than min_rows
    spec = write_spec(tmp_path, "{allowed: {sex: [F]}, min_rows: 5000}")
    out = CliRunner().invoke(main, ["run", str(spec), "--out", str(tmp_path / "r"), "--gate", "warn"])
    assert out.exit_code == 0, out.output
    result = json.loads((tmp_path / "r" / "s.json").read_text())
    assert [f["status"] for f in result["findings"]] == ["pass"]
    assert sum(not c["passed"] for c in result["gate"]["checks"]) == 2
    assert verdict_line(out.output) == "Verdict: WARN  (1 pass, 2 gate warnings)"


def test_one_gate_warning_and_none(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, "{allowed: {sex: [F]}}")
    out = CliRunner().invoke(main, ["run", str(spec), "--out", str(tmp_path / "r"), "--gate", "warn"])
    assert verdict_line(out.output) == "Verdict: WARN  (1 pass, 1 gate warning)"
    spec = write_spec(tmp_path, "{}")
    out = CliRunner().invoke(main, ["run", str(spec), "--out", str(tmp_path / "r")])
    assert verdict_line(out.output) == "Verdict: PASS  (1 pass)"


def test_a_blocked_audit_counts_no_gate_warnings(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, "{allowed: {sex: [F]}}")
    out = CliRunner().invoke(main, ["run", str(spec), "--out", str(tmp_path / "r")])
    assert out.exit_code == 3
    assert verdict_line(out.output) == "Verdict: BLOCKED  (no comparisons)"
