"""The command line, as a user meets it: exit codes and the exact error line for each bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from equityaudit.cli import main

SPEC = """\
equityaudit: {version}
name: {name}
auditor: {auditor}
data: {{path: {data}}}
columns: {{sensitive: [{sensitive}], decision: {decision}}}
"""


def write_spec(
    folder: Path,
    *,
    name: str = "t",
    data: str = "data.csv",
    version: int = 1,
    auditor: str = "decisions",
    sensitive: str = "sex",
    decision: str = "hired",
) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(
        SPEC.format(
            version=version, name=name, auditor=auditor, data=data, sensitive=sensitive, decision=decision
        )
    )
    return path


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "data.csv").write_text("sex,hired\n" + "F,yes\nF,no\nM,yes\nM,no\n" * 200)
    return tmp_path


def test_missing_data_file(folder: Path) -> None:
    spec = write_spec(folder, data="dta.csv")
    code, out = invoke("run", str(spec), "--out", str(folder / "out"))
    assert code == 2
    assert out.splitlines()[-1] == (
        f"error: {spec}: data.path: {folder / 'dta.csv'}: data file not found. Did you mean 'data.csv'? "
        "Check data.path in the spec."
    )


def test_data_path_that_is_a_folder(folder: Path) -> None:
    (folder / "exports").mkdir()
    (folder / "exports" / "applicants.csv").write_text("sex,hired\nF,1\n")
    spec = write_spec(folder, data="exports")
    code, out = invoke("run", str(spec), "--out", str(folder / "out"))
    assert code == 2
    assert " ".join(out.split()).endswith(
        f"error: {spec}: data.path: {folder / 'exports'}: is a folder; expected a data file (.csv, "
        ".parquet or .jsonl). It holds 'applicants.csv'. Set data.path in the spec to the file itself."
    )


def test_missing_spec_file(tmp_path: Path) -> None:
    code, out = invoke("run", str(tmp_path / "nope.yaml"))
    assert code == 2
    assert out.splitlines()[-1] == f"error: {tmp_path / 'nope.yaml'}: no such spec file or folder."


def test_unknown_column(folder: Path) -> None:
    spec = write_spec(folder, sensitive="gender")
    code, out = invoke("run", str(spec), "--out", str(folder / "out"))
    assert code == 2
    assert out.splitlines()[-1] == (
        f"error: {folder / 'data.csv'}: column 'gender' (columns.sensitive[0] in the spec) is not in the data. "
        "Columns in the data: 'hired', 'sex'."
    )


def test_unknown_column_suggests_the_nearest(folder: Path) -> None:
    spec = write_spec(folder, decision="hird")
    code, out = invoke("run", str(spec), "--out", str(folder / "out"))
    assert code == 2
    assert out.splitlines()[-1].endswith(
        "column 'hird' (columns.decision in the spec) is not in the data. Did you mean 'hired'?"
    )


def blocked_check(out_dir: Path, column: str) -> dict[str, object]:
    result = json.loads((out_dir / "t.json").read_text())
    assert result["verdict"] == "blocked"
    assert result["findings"] == []
    failed = [c for c in result["gate"]["checks"] if not c["passed"] and c["column"] == column]
    assert len(failed) >= 1
    return failed[0]


def test_non_binary_decision_blocks_and_lists_values_and_counts(folder: Path) -> None:
    # the quality gate (not the auditor) stops stray decision values: exit 3, nothing audited
    (folder / "data.csv").write_text("sex,hired\n" + "F,yes\nM,no\n" * 30 + "F,maybe\nM,Maybe\nM,maybe\n")
    spec = write_spec(folder)
    code, out = invoke("run", str(spec), "--out", str(folder / "out"))
    assert code == 3, out
    check = blocked_check(folder / "out", "hired")
    assert check["unexpected_count"] == 3
    assert str(check["message"]).startswith(
        "3 of 63 values of 'hired' are not binary: 'maybe' (2), 'Maybe' (1); expected 1/0, true/false, yes/no or Y/N"
    )
    assert "Quality gate: BLOCKED" in out


def test_empty_file(folder: Path) -> None:
    (folder / "data.csv").write_text("")
    spec = write_spec(folder)
    code, out = invoke("run", str(spec), "--out", str(folder / "out"))
    assert code == 2
    assert out.splitlines()[-1] == (
        f"error: {spec}: data.path: {folder / 'data.csv'}: the file is empty; expected a header row and data rows."
    )


def test_header_without_rows(folder: Path) -> None:
    (folder / "data.csv").write_text("sex,hired\n")
    spec = write_spec(folder)
    code, out = invoke("run", str(spec), "--out", str(folder / "out"))
    assert code == 2
    assert out.splitlines()[-1] == (
        f"error: {folder / 'data.csv'}: the data has a header but no rows; expected at least one row to audit."
    )


def test_all_sensitive_values_missing_blocks(folder: Path) -> None:
    (folder / "data.csv").write_text("sex,hired\n" + ",yes\n,no\n" * 20)
    spec = write_spec(folder)
    code, out = invoke("run", str(spec), "--out", str(folder / "out"))
    assert code == 3, out
    check = blocked_check(folder / "out", "sex")
    assert check["unexpected_count"] == 40
    assert str(check["message"]).startswith(
        "40 of 40 rows (100.0%) of 'sex' are missing or say unknown: missing (40); at most 20.0% allowed."
    )


def test_sensitive_values_all_unknown_is_a_data_error(folder: Path) -> None:
    # the gate counts 'unknown' as missing and would block (exit 3); with --gate warn the audit goes on,
    # and the counts refuse a sensitive column with no known value (exit 2)
    (folder / "data.csv").write_text("sex,hired\n" + "unknown,yes\nprefer not to say,no\n" * 20)
    spec = folder / "t.yaml"
    spec.write_text(
        SPEC.format(
            version=1, name="t", auditor="decisions", data="data.csv", sensitive="sex", decision="hired"
        )
        + "quality: {expectations: []}\n"
    )
    code, out = invoke("run", str(spec), "--out", str(folder / "out"), "--gate", "warn")
    assert code == 2, out
    assert out.splitlines()[-1] == (
        f"error: {folder / 'data.csv'}: column 'sex' (columns.sensitive) has no known values: all 40 rows are "
        "missing or unknown. Fill in the column, or remove it from columns.sensitive."
    )


def test_wrong_spec_version(folder: Path) -> None:
    spec = write_spec(folder, version=2)
    code, out = invoke("run", str(spec))
    assert code == 2
    assert out.splitlines()[-1] == (
        f"error: {spec}: key 'equityaudit': expected spec format version 1, found 2. Start the spec with "
        "'equityaudit: 1' (this version of equityaudit reads only format 1)."
    )


def test_unknown_auditor(folder: Path) -> None:
    spec = write_spec(folder, auditor="hirring")
    code, out = invoke("run", str(spec))
    assert code == 2
    assert out.splitlines()[-1] == (
        f"error: {spec}: key 'auditor': unknown auditor 'hirring'. Did you mean 'hiring'? "
        "Run 'equityaudit auditors' to list the installed ones."
    )


def test_unknown_spec_key_names_the_nearest(folder: Path) -> None:
    spec = folder / "typo.yaml"
    spec.write_text(
        SPEC.format(
            version=1, name="t", auditor="decisions", data="data.csv", sensitive="sex", decision="hired"
        )
        + "treshold: {impact_ratio: 0.8}\n"
    )
    code, out = invoke("run", str(spec))
    assert code == 2
    assert out.splitlines()[-2:] == [
        f"error: {spec}: invalid spec (1 problem):",
        "  - treshold: unknown key 'treshold'. Did you mean 'thresholds'?",
    ]


def test_run_writes_results_and_exit_code_follows_verdict(folder: Path) -> None:
    # F: 200 of 400 hired, M: 200 of 400 -> ratio 1.0, 95% CI 0.87-1.15 (above 0.8): a pass
    spec = write_spec(folder)
    code, out = invoke("run", str(spec), "--out", str(folder / "out"), "--format", "json,md")
    assert code == 0, out
    payload = json.loads((folder / "out" / "t.json").read_text())
    assert payload["verdict"] == "pass"
    assert payload["findings"][0]["value"] == 1.0
    assert (folder / "out" / "t.md").read_text().startswith("<!-- written by equityaudit -->")


def test_failing_audit_exits_1(folder: Path) -> None:
    # F: 8 of 80 hired, M: 40 of 80 -> ratio 0.2, significant: a fail
    (folder / "data.csv").write_text(
        "sex,hired\n" + "F,yes\n" * 8 + "F,no\n" * 72 + "M,yes\n" * 40 + "M,no\n" * 40
    )
    code, _ = invoke("run", str(write_spec(folder)), "--out", str(folder / "out"))
    assert code == 1


def test_strict_fails_on_warnings(folder: Path) -> None:
    # F: 6 of 30 (0.20), M: 9 of 30 (0.30): ratio 0.667 but far from significant -> warn
    (folder / "data.csv").write_text(
        "sex,hired\n" + "F,yes\n" * 6 + "F,no\n" * 24 + "M,yes\n" * 9 + "M,no\n" * 21
    )
    spec = write_spec(folder)
    assert invoke("run", str(spec), "--out", str(folder / "out"))[0] == 0
    assert invoke("run", str(spec), "--out", str(folder / "out"), "--strict")[0] == 1


def test_run_refuses_to_overwrite_a_users_file(folder: Path) -> None:
    out_dir = folder / "out"
    out_dir.mkdir()
    (out_dir / "t.md").write_text("my notes\n")
    code, out = invoke("run", str(write_spec(folder)), "--out", str(out_dir))
    assert code == 2
    assert "refusing to overwrite it" in out.splitlines()[-1]
    assert (out_dir / "t.md").read_text() == "my notes\n"


def test_unknown_format(folder: Path) -> None:
    code, out = invoke("run", str(write_spec(folder)), "--format", "pdf")
    assert code == 2
    assert "unknown format(s) 'pdf'; choose from json, md" in out


def test_folder_of_specs_runs_each(folder: Path) -> None:
    write_spec(folder, name="one")
    write_spec(folder, name="two")
    code, out = invoke("run", str(folder), "--out", str(folder / "out"), "--quiet")
    assert code == 0 and out == ""
    assert sorted(p.name for p in (folder / "out").glob("*.json")) == ["one.json", "two.json"]


def test_schema_commands_print_json_schema() -> None:
    for which, title in (("spec", "AuditSpec"), ("result", "equityaudit.result/2")):
        code, out = invoke("schema", which)
        assert code == 0
        assert json.loads(out)["title"] == title


def test_datasets_make_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "h.csv"
    assert invoke("datasets", "make", "hiring", "--rows", "50", "--out", str(target))[0] == 0
    assert len(target.read_text().splitlines()) == 51
    code, out = invoke("datasets", "make", "hiring", "--rows", "50", "--out", str(target))
    assert code == 2 and "refusing to overwrite" in out


def test_init_proposes_roles_and_writes_a_spec_that_runs(tmp_path: Path) -> None:
    data = tmp_path / "applicants.csv"
    assert invoke("datasets", "make", "hiring", "--rows", "400", "--out", str(data))[0] == 0
    spec = tmp_path / "audits" / "applicants.yaml"
    code, out = invoke("init", str(data), "--auditor", "hiring", "--out", str(spec), "--yes")
    assert code == 0, out
    assert "sensitive: sex, race_ethnicity" in out
    assert "decision:  advanced" in out
    assert "score:     screen_score" in out
    text = spec.read_text()
    assert "path: ../applicants.csv" in text
    code, out = invoke("run", str(spec), "--out", str(tmp_path / "out"), "--quiet")
    assert code in (0, 1), out  # it ran: pass or fail, not a spec error
    assert invoke("init", str(data), "--out", str(spec), "--yes")[0] == 2  # no silent overwrite


def test_init_for_marketing_proposes_segments_campaigns_offer_and_features(tmp_path: Path) -> None:
    data = tmp_path / "customers.csv"
    assert invoke("datasets", "make", "marketing", "--rows", "600", "--out", str(data))[0] == 0
    spec = tmp_path / "audits" / "customers.yaml"
    code, out = invoke("init", str(data), "--auditor", "marketing", "--out", str(spec), "--yes")
    assert code == 0, out
    # age is audited in bands, so it is no segmentation feature (the proxy analysis tests those against it)
    assert "sensitive: sex, race_ethnicity, age" in out
    assert "segment:   segment" in out
    assert "campaigns: email_promo, price_increase" in out  # the two yes/no and 1/0 flags
    assert "offer:     discount_pct" in out
    assert "features:  postcode, annual_spend, tenure_years, visits_per_month" in out  # not p_* nor ids
    from equityaudit.spec import GroupBands
    from equityaudit.spec_loading import load_spec

    loaded = load_spec(spec)
    options = loaded.options
    assert options["campaigns"] == {"email_promo": "favourable", "price_increase": "unfavourable"}
    assert set(options["segments"]) == {"premium", "loyal", "new", "bargain", "standard"}
    assert options["offer_favourable"] == "higher"
    assert isinstance(loaded.columns.groups["age"], GroupBands)
    # the run, on the proposals as written: age is counted in its bands (600 customers over 60 raw ages
    # would leave no age with 30 rows, and the gate would block)
    code, out = invoke("run", str(spec), "--out", str(tmp_path / "out"), "--quiet", "--format", "json")
    assert code in (0, 1), out  # it ran: pass or fail, not a spec error
    import json

    result = json.loads((tmp_path / "out" / "customers.json").read_text())
    assert [g["column"] for g in result["data"]["groups"]] == ["age"]


def test_init_for_chatbot_finds_the_text_intent_and_response_columns(tmp_path: Path) -> None:
    data = tmp_path / "logs.csv"
    assert invoke("datasets", "make", "chatbot", "--rows", "400", "--out", str(data))[0] == 0
    spec = tmp_path / "audits" / "logs.yaml"
    code, out = invoke("init", str(data), "--auditor", "chatbot", "--out", str(spec), "--yes")
    assert code == 0, out
    assert "text:      text" in out and "intent:    intent" in out and "response:  response" in out
    from equityaudit.spec_loading import load_spec

    loaded = load_spec(spec)
    assert loaded.columns.id == "utterance_id"  # type: ignore[union-attr]
    assert loaded.options["language"] == "en"
    assert "refund_denied" in loaded.options["labels"]
    code, out = invoke("run", str(spec), "--out", str(tmp_path / "out"), "--quiet")
    assert code in (0, 1), out


def test_init_quotes_values_yaml_would_misread(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    rows = "".join(
        f"{i},{'F' if i % 2 else 'M'},{seg},{i % 2}\n" for i, seg in enumerate(["yes", "a: b"] * 40)
    )
    data.write_text("customer_id,sex,segment,flag\n" + rows)
    spec = tmp_path / "d.yaml"
    assert invoke("init", str(data), "--auditor", "marketing", "--out", str(spec), "--yes")[0] == 0
    from equityaudit.spec_loading import load_spec

    assert set(load_spec(spec).options["segments"]) == {"yes", "a: b"}  # not True, not a mapping


def test_version_and_help() -> None:
    code, out = invoke("--help")
    assert code == 0 and "Exit codes: 0 passed" in out
    code, out = invoke("--version")
    assert code == 0 and out.startswith("equityaudit, version ")


def test_option_columns_are_checked_before_the_gate(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("utterance,intent\nhello,greet\n")
    spec = tmp_path / "c.yaml"
    spec.write_text(
        "equityaudit: 1\nname: c\nauditor: chatbot\ndata: {path: d.csv}\noptions: {text: utterence, intent: intent}\n"
    )
    code, out = invoke("run", str(spec), "--out", str(tmp_path / "o"))
    assert code == 2
    assert out.splitlines()[-1] == (
        f"error: {tmp_path / 'd.csv'}: column 'utterence' (options.text in the spec) is not in the data. "
        "Did you mean 'utterance'?"
    )


@pytest.mark.parametrize("suffix", ["csv", "parquet", "jsonl"])
def test_datasets_make_writes_the_format_its_extension_names(tmp_path: Path, suffix: str) -> None:
    from equityaudit.frames import read_source

    target = tmp_path / f"h.{suffix}"
    assert invoke("datasets", "make", "hiring", "--rows", "60", "--out", str(target))[0] == 0
    frame = read_source(target).frame.collect()
    assert frame.shape[0] == 60
    assert "race_ethnicity" in frame.columns


def test_datasets_make_refuses_an_unknown_extension(tmp_path: Path) -> None:
    code, out = invoke("datasets", "make", "hiring", "--out", str(tmp_path / "h.xlsx"))
    assert code == 2
    assert "cannot tell which format to write from the extension '.xlsx'" in out


def test_init_reads_a_semicolon_separated_file_and_writes_a_spec_that_loads(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    data.write_text("sex;hired\n" + "F;yes\nM;no\n" * 40)
    spec = tmp_path / "audits" / "d.yaml"
    code, out = invoke("init", str(data), "--auditor", "decisions", "--out", str(spec), "--yes")
    assert code == 0, out
    assert "separated by ';'" in out
    text = spec.read_text()
    assert 'separator: ";"' in text
    assert f"equityaudit run {spec}" in text
    spec_model = ea_load(spec)
    assert spec_model.data.separator == ";"  # type: ignore[attr-defined]


def ea_load(path: Path) -> object:
    from equityaudit.spec_loading import load_spec

    return load_spec(path)


def test_demo_runs_every_example_audit_and_can_run_again(tmp_path: Path) -> None:
    """``equityaudit demo`` (the README's first command): every spec in audits/ gets its result JSON,
    Markdown and HTML report; a second run replaces its own files without --force."""
    out = tmp_path / "demo"
    for _ in range(2):
        result = CliRunner().invoke(main, ["demo", "--out", str(out), "--quiet"])
        assert result.exit_code == 0, result.output
    names = {json.loads(p.read_text())["audit"]["name"] for p in out.glob("*.json")}
    specs = sorted(Path("audits").glob("*.yaml"))
    assert len(names) == len(specs) >= 4
    for name in names:
        assert {p.name for p in out.glob(f"{name}.*")} == {f"{name}.json", f"{name}.md", f"{name}.html"}
    verdicts = {json.loads(p.read_text())["verdict"] for p in out.glob("*.json")}
    assert "blocked" not in verdicts and "fail" in verdicts  # the examples find their injected biases
