"""``equityaudit check`` and the gate as ``equityaudit run`` shows and records it (CliRunner)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from conftest import clean_frame
from equityaudit.cli import main

WriteCase = Callable[..., Path]


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def defective() -> pd.DataFrame:
    frame = clean_frame()
    frame.loc[[5, 6], "hired"] = "maybe"
    return frame


def test_check_passes_clean_data(write_case: WriteCase) -> None:
    code, out = invoke("check", str(write_case(clean_frame())))
    assert code == 0, out
    assert "Quality gate: passed (12 checks)" in out


def test_check_blocks_defective_data_and_says_what_to_fix(write_case: WriteCase) -> None:
    code, out = invoke("check", str(write_case(defective())))
    assert code == 3
    assert "BLOCKED" in out and "1 of 12 checks failed" in out
    assert "expect_column_values_to_match_regex" in out
    assert "'maybe' (2)" in out and "To fix:" in out


def test_check_verbose_lists_every_check(write_case: WriteCase) -> None:
    code, out = invoke("check", "-v", str(write_case(clean_frame())))
    assert code == 0
    assert sum(line.startswith("ok ") for line in out.splitlines()) == 12


def test_check_a_folder_exits_3_when_any_gate_fails(write_case: WriteCase, tmp_path: Path) -> None:
    write_case(defective(), name="bad")
    (tmp_path / "good.yaml").write_text(
        (tmp_path / "bad.yaml").read_text().replace("name: bad", "name: good")
    )
    code, out = invoke("check", str(tmp_path))
    assert code == 3
    assert "bad · decisions" in out and "good · decisions" in out


def test_check_spec_error_exits_2(write_case: WriteCase) -> None:
    code, out = invoke("check", str(write_case(clean_frame(), auditor="decisionz")))
    assert code == 2
    assert out.splitlines()[-1].startswith("error: ")


def test_export_suite_writes_gx_json_that_gx_reads(write_case: WriteCase, tmp_path: Path) -> None:
    spec = write_case(clean_frame(), quality={"allowed": {"race": ["A", "B", "C"]}})
    target = tmp_path / "exported" / "suite.json"
    code, out = invoke("check", str(spec), "--export-suite", str(target))
    assert code == 0, out
    suite = json.loads(target.read_text())
    assert suite["name"] == "equityaudit.spec"
    types = [e["type"] for e in suite["expectations"]]
    assert types.count("expect_column_to_exist") == 4 and "expect_column_values_to_be_in_set" in types
    assert all("id" not in e for e in suite["expectations"])
    allowed = next(e for e in suite["expectations"] if e["type"] == "expect_column_values_to_be_in_set")
    assert allowed["kwargs"] == {"column": "race", "value_set": ["A", "B", "C"]}
    assert allowed["meta"]["equityaudit"]["source"] == "quality.allowed.race"
    groups = suite["meta"]["equityaudit"]["checks_outside_gx"]
    assert [(g["column"], g["min_group_size"]) for g in groups] == [("sex", 30), ("race", 30)]

    # a data team's own GX reads it and runs it on the same data
    from equityaudit.quality.gx_runner import runner

    gx = runner().gx
    with runner().active():
        loaded = gx.ExpectationSuite(**suite)
        batch = runner().batch_definition.get_batch(batch_parameters={"dataframe": clean_frame()})
        assert batch.validate(loaded).success


def test_exported_suite_imports_back_into_a_spec(write_case: WriteCase, tmp_path: Path) -> None:
    exported = tmp_path / "suite.json"
    spec = write_case(clean_frame(), quality={"allowed": {"race": ["A", "B", "C"]}})
    assert invoke("check", str(spec), "--export-suite", str(exported))[0] == 0
    frame = clean_frame()
    frame.loc[3, "race"] = "Q"
    importing = write_case(frame, name="importing", quality={"suite": "suite.json"})
    code, out = invoke("check", str(importing))
    assert code == 3
    assert "'Q' (1)" in out  # the imported allowed-values expectation caught it


def test_export_refuses_to_overwrite_a_users_file(write_case: WriteCase, tmp_path: Path) -> None:
    spec = write_case(clean_frame())
    theirs = tmp_path / "suite.json"
    theirs.write_text('{"name": "their own suite", "expectations": []}')
    code, out = invoke("check", str(spec), "--export-suite", str(theirs))
    assert code == 2
    assert out.splitlines()[-1] == (
        f"error: {theirs} exists and was not written by equityaudit; refusing to overwrite it. "
        "Choose another file, or pass --force to replace it."
    )
    assert json.loads(theirs.read_text())["name"] == "their own suite"
    assert invoke("check", str(spec), "--export-suite", str(theirs), "--force")[0] == 0
    assert json.loads(theirs.read_text())["name"] == "equityaudit.spec"
    assert invoke("check", str(spec), "--export-suite", str(theirs))[0] == 0  # ours now: replaced


def test_export_needs_a_single_spec(write_case: WriteCase, tmp_path: Path) -> None:
    write_case(clean_frame(), name="one")
    write_case(clean_frame(), name="two")
    code, out = invoke("check", str(tmp_path), "--export-suite", str(tmp_path / "s.json"))
    assert code == 2
    assert "--export-suite writes the suite of one spec" in out


def test_export_happens_even_when_the_gate_fails(write_case: WriteCase, tmp_path: Path) -> None:
    code, _ = invoke("check", str(write_case(defective())), "--export-suite", str(tmp_path / "s.json"))
    assert code == 3 and (tmp_path / "s.json").is_file()


def test_check_on_a_header_without_rows_is_a_data_error(write_case: WriteCase, tmp_path: Path) -> None:
    spec = write_case(clean_frame().head(0))
    code, out = invoke("check", str(spec))
    assert code == 2
    assert out.splitlines()[-1] == (
        f"error: {tmp_path / 'data.csv'}: the data has a header but no rows; expected at least one row to audit."
    )


# --- the gate inside `equityaudit run` --------------------------------------------------------


def test_blocked_audit_never_writes_a_result_claiming_pass(write_case: WriteCase, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    code, out = invoke("run", str(write_case(defective())), "--out", str(out_dir))
    assert code == 3
    payload = json.loads((out_dir / "spec.json").read_text())
    assert payload["verdict"] == "blocked"
    assert payload["gate"]["passed"] is False and payload["gate"]["mode"] == "enforce"
    assert payload["tables"] == [] and payload["findings"] == [] and payload["counts"] == []
    check = next(c for c in payload["gate"]["checks"] if not c["passed"])
    assert (check["column"], check["unexpected_count"], check["unexpected_values"]) == ("hired", 2, ["maybe"])
    assert "BLOCKED" in out and "'maybe' (2)" in out
    report = (out_dir / "spec.md").read_text()
    assert "**BLOCKED**: 1 of 12 checks failed" in report and "'maybe'" in report


def test_gate_warn_runs_the_audit_and_records_each_failed_check(
    write_case: WriteCase, tmp_path: Path
) -> None:
    frame = clean_frame()
    frame.loc[7, "id"] = frame.loc[6, "id"]  # a duplicated id: the rates are still computable
    out_dir = tmp_path / "out"
    code, out = invoke("run", str(write_case(frame)), "--out", str(out_dir), "--gate", "warn")
    payload = json.loads((out_dir / "spec.json").read_text())
    assert payload["verdict"] in ("warn", "fail") and payload["verdict"] != "pass"
    assert code == (1 if payload["verdict"] == "fail" else 0)
    assert payload["gate"] == {**payload["gate"], "passed": False, "mode": "warn"}
    assert payload["tables"]  # the audit ran
    assert any("--gate warn" in note for note in payload["notes"])
    assert "each failed check a warning" in " ".join(out.split())
    report = (out_dir / "spec.md").read_text()
    assert "the audit ran anyway (`--gate warn`)" in report
    assert "expect_column_values_to_be_unique" in report


@pytest.mark.parametrize("gate", ["enforce", "warn"])
def test_no_result_of_a_failed_gate_is_a_pass(write_case: WriteCase, tmp_path: Path, gate: str) -> None:
    frame = clean_frame()
    frame.loc[7, "id"] = frame.loc[6, "id"]  # on its own, this data would pass the audit
    out_dir = tmp_path / gate
    code, _ = invoke("run", str(write_case(frame)), "--out", str(out_dir), "--gate", gate)
    verdict = json.loads((out_dir / "spec.json").read_text())["verdict"]
    assert verdict == {"enforce": "blocked", "warn": "warn"}[gate]
    assert code == {"enforce": 3, "warn": 0}[gate]


def test_gate_warn_on_data_the_auditor_cannot_read_is_still_an_error(
    write_case: WriteCase, tmp_path: Path
) -> None:
    # --gate warn lets the audit run; the auditor still refuses a decision of 'maybe' (exit 2)
    code, out = invoke("run", str(write_case(defective())), "--out", str(tmp_path / "o"), "--gate", "warn")
    assert code == 2
    assert "should be binary" in out.splitlines()[-1]
    assert not (tmp_path / "o" / "spec.json").exists()


def test_check_and_run_say_the_same_with_either_gate_engine(write_case: WriteCase, tmp_path: Path) -> None:
    spec = write_case(defective(), quality={"ranges": {"score": [0, 50]}, "allowed": {"race": ["A", "B"]}})
    compiled = invoke("check", str(spec), "-v")
    by_gx = invoke("check", str(spec), "-v", "--gate-engine", "gx")
    assert compiled == by_gx
    assert compiled[0] == 3 and "expect_column_values_to_be_between" in compiled[1]
    results = []
    for engine in ("compiled", "gx"):
        out = tmp_path / engine
        code, _ = invoke("run", str(spec), "--out", str(out), "--format", "json", "--gate-engine", engine)
        assert code == 3
        (written,) = out.glob("*.json")
        results.append(json.loads(written.read_text())["gate"])
    assert results[0] == results[1]


def test_an_unknown_gate_engine_is_a_usage_error(write_case: WriteCase) -> None:
    code, out = invoke("check", str(write_case(clean_frame())), "--gate-engine", "spark")
    assert code == 2
    assert "'spark' is not one of 'compiled', 'gx'" in out
