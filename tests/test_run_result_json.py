"""``run`` keeps the result JSON that every report cites, whatever ``--format`` asks for."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from equityaudit.cli import main
from equityaudit.results import read_result


def write_spec(folder: Path) -> Path:
    # F 200/400 hired, M 200/400: ratio 1.0, a pass
    (folder / "data.csv").write_text("sex,hired\n" + "F,yes\nF,no\nM,yes\nM,no\n" * 200)
    spec = folder / "t.yaml"
    spec.write_text(
        "equityaudit: 1\nname: t\nauditor: decisions\ndata: {path: data.csv}\n"
        "columns: {sensitive: [sex], decision: hired}\n"
    )
    return spec


def test_reports_without_json_in_formats_still_write_the_result_they_cite(tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    out = CliRunner().invoke(
        main,
        ["run", str(write_spec(tmp_path)), "--out", str(out_dir), "--format", "md,junit"],
        env={"COLUMNS": "1000"},  # one line for the paths written
    )
    assert out.exit_code == 0, out.output
    assert sorted(p.name for p in out_dir.iterdir()) == ["t.json", "t.junit.xml", "t.md"]
    result = read_result(out_dir / "t.json")
    (cited,) = re.findall(r"[0-9a-f]{64}", (out_dir / "t.md").read_text())
    assert cited == result.sha256  # the Markdown report cites the very result written beside it
    assert f"Wrote {out_dir / 't.json'}, {out_dir / 't.md'}, {out_dir / 't.junit.xml'}" in out.output


def test_no_json_skips_the_result_and_contradicting_format_json_is_refused(tmp_path: Path) -> None:
    spec = str(write_spec(tmp_path))
    out = CliRunner().invoke(main, ["run", spec, "--out", str(tmp_path / "a"), "--format", "md", "--no-json"])
    assert out.exit_code == 0, out.output
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["t.md"]
    out = CliRunner().invoke(
        main, ["run", spec, "--out", str(tmp_path / "b"), "--format", "json", "--no-json"]
    )
    assert out.exit_code == 2
    assert "--no-json contradicts --format json; drop one of them." in out.output
    assert not (tmp_path / "b").exists()
    out = CliRunner().invoke(
        main, ["run", spec, "--out", str(tmp_path / "c"), "--no-json"]
    )  # default formats
    assert out.exit_code == 0, out.output
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == ["t.md"]


def test_help_says_the_result_json_is_always_written() -> None:
    out = CliRunner().invoke(main, ["run", "--help"], terminal_width=200)
    text = " ".join(out.output.split())
    assert "The result JSON (NAME.json) is written whatever the formats, unless --no-json" in text
    assert "--no-json" in text
