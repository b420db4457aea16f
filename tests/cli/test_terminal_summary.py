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


def test_a_p_value_below_the_smallest_double_reads_below_1e_300(tmp_path: Path) -> None:
    # F 1,000 of 20,000 hired (5 %), M 10,000 of 20,000 (50 %): z = (0.5 - 0.05) / sqrt(0.275 *
    # 0.725 * (2 / 20000)) = 101.0, so the two-sided p is about 2 * phi(101) / 101 ~ 1e-2218, far
    # below the smallest double (~5e-324): it is stored as 0 and must not read as "0".
    f_rows = "F,1\n" * 1000 + "F,0\n" * 19000
    m_rows = "M,1\n" * 10000 + "M,0\n" * 10000
    (tmp_path / "d.csv").write_text("sex,hired\n" + f_rows + m_rows)
    spec = tmp_path / "s.yaml"
    spec.write_text(
        "equityaudit: 1\nname: s\nauditor: decisions\ndata: {path: d.csv}\n"
        "columns: {sensitive: [sex], decision: hired}\n"
    )
    out = CliRunner(env={"COLUMNS": "200"}).invoke(
        main, ["run", str(spec), "--out", str(tmp_path / "r"), "--format", "md"]
    )
    assert out.exit_code == 1, out.output
    result = json.loads((tmp_path / "r" / "s.json").read_text())
    (finding,) = [f for f in result["findings"] if f["group"] == {"sex": "F"}]
    assert finding["p_adjusted"] == 0.0
    assert "Holm-adjusted p < 1e-300" in finding["message"]
    (row,) = [line for line in out.output.splitlines() if line.startswith("F ")]
    assert "< 1e-300" in row and " 0 " not in row
    assert "| < 1e-300 |" in (tmp_path / "r" / "s.md").read_text()


def test_equal_groups_still_show_their_size(tmp_path: Path) -> None:
    # F and M have 1,000 rows each (the same denominator in every row): the column is still n, the
    # group's size; a share table with one shared total would show each group's own count instead.
    spec = write_spec(tmp_path, "{}")
    out = CliRunner().invoke(main, ["run", str(spec), "--out", str(tmp_path / "r")])
    assert out.exit_code == 0, out.output
    header = next(line for line in out.output.splitlines() if line.lstrip().startswith("group"))
    assert header.split()[:2] == ["group", "n"]
    assert "1000" in out.output


def test_a_folder_of_audits_ends_with_one_line_each_and_a_total(tmp_path: Path) -> None:
    # 'fair': F and M 500/1000 each (ratio 1, a pass); 'unfair': F 300/1000 against M 500/1000
    # (ratio 0.6, z = 9.1: a fail)
    folder = tmp_path / "audits"
    folder.mkdir()
    (folder / "fair.csv").write_text("sex,hired\n" + "F,1\nF,0\nM,1\nM,0\n" * 500)
    (folder / "unfair.csv").write_text(
        "sex,hired\n" + "F,1\n" * 300 + "F,0\n" * 700 + "M,1\n" * 500 + "M,0\n" * 500
    )
    for name in ("fair", "unfair"):
        (folder / f"{name}.yaml").write_text(
            f"equityaudit: 1\nname: {name}\nauditor: decisions\ndata: {{path: {name}.csv}}\n"
            "columns: {sensitive: [sex], decision: hired}\n"
        )
    out = CliRunner().invoke(main, ["run", str(folder), "--out", str(tmp_path / "r")])
    assert out.exit_code == 1, out.output
    lines = [line.rstrip() for line in out.output.splitlines()]
    total = lines.index("Total: 2 audits: 1 fail, 1 pass")
    assert lines[total - 2 : total] == ["fair    PASS     1 pass", "unfair  FAIL     1 fail"]
