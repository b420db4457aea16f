"""The result document: canonical JSON, stable hash, reading back, refusing garbled files."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import equityaudit as ea
from equityaudit.errors import ResultError
from equityaudit.results import canonical_json, verdict_of


@pytest.fixture
def result() -> ea.AuditResult:
    frame = pd.DataFrame({"sex": ["F"] * 60 + ["M"] * 60, "hired": [1] * 12 + [0] * 48 + [1] * 30 + [0] * 30})
    return ea.audit(frame, auditor="decisions", sensitive="sex", decision="hired")


def test_canonical_json_is_sorted_and_compact() -> None:
    assert canonical_json({"b": 1.0, "a": [1e-7, "é"]}) == '{"a":[1e-7,"é"],"b":1}'.encode()
    with pytest.raises(ValueError, match="canonical JSON"):
        canonical_json({"x": float("nan")})


def test_hash_is_stable_across_write_and_read(tmp_path: Path, result: ea.AuditResult) -> None:
    path = result.write(tmp_path / "r.json")
    again = ea.read_result(path)
    assert again.sha256 == result.sha256
    assert again == result


def test_undefined_metrics_are_null_with_a_note() -> None:
    # M has no negatives (everyone qualified): FPR undefined for M
    frame = pd.DataFrame(
        {"sex": ["F"] * 40 + ["M"] * 40, "hired": [1, 0] * 40, "good": [1, 0] * 20 + [1] * 40}
    )
    with pytest.warns(ea.UndefinedMetricWarning, match="fpr"):
        result = ea.audit(frame, auditor="decisions", sensitive="sex", decision="hired", outcome="good")
    male = next(r for r in result.tables[0].rows if r["group"] == {"sex": "M"})
    assert male["fpr"] is None and male["tnr"] is None
    assert "fpr undefined: no negatives in this group" in male["note"]


def test_read_result_refuses_newer_schema(tmp_path: Path, result: ea.AuditResult) -> None:
    payload = result.to_dict()
    payload["schema"] = "equityaudit.result/3"
    path = tmp_path / "new.json"
    path.write_text(json.dumps(payload))
    with pytest.raises(ResultError, match=r"result schema 'equityaudit.result/3' is not supported"):
        ea.read_result(path)


def test_read_result_refuses_garbled_files(tmp_path: Path, result: ea.AuditResult) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    with pytest.raises(ResultError, match=r"bad.json: not a JSON result file"):
        ea.read_result(path)
    payload = result.to_dict()
    del payload["verdict"]
    path.write_text(json.dumps(payload))
    with pytest.raises(ResultError, match=r"garbled result: verdict: Field required"):
        ea.read_result(path)


def test_table_lookup(result: ea.AuditResult) -> None:
    frame = result.table("sex")
    assert list(frame["sex"]) == ["F", "M"]
    with pytest.raises(KeyError, match="no table 'race' in this result; its tables are 'sex'"):
        result.table("race")


def test_verdict_rules() -> None:
    assert verdict_of([]) == "pass"
    assert verdict_of(["pass", "insufficient_data"]) == "warn"
    assert verdict_of(["warn", "fail", "pass"]) == "fail"
    assert verdict_of(["pass"], gate_passed=False) == "blocked"


def test_groups_keep_the_table_order_after_a_round_trip(tmp_path: Path) -> None:
    # 'sex' sorts after 'race', so sorted JSON lists race first; reading back restores the table's order
    frame = pd.DataFrame(
        {"sex": ["F", "M"] * 40, "race": ["A"] * 40 + ["B"] * 40, "hired": [1, 0, 0, 1] * 20}
    )
    result = ea.audit(frame, auditor="decisions", sensitive=["sex", "race"], decision="hired")
    again = ea.read_result(result.write(tmp_path / "r.json"))
    cross = next(t for t in again.tables if t.name == "sex*race")
    assert [list(row["group"]) for row in cross.rows] == [["sex", "race"]] * len(cross.rows)
    assert all(list(f.group) == ["sex", "race"] for f in again.findings if f.table == "sex*race")
    assert again.sha256 == result.sha256


def test_audit_accepts_a_standard() -> None:
    # eeoc-four-fifths@1978 audits sex and race separately; the result embeds the standard's hash
    frame = pd.DataFrame(
        {
            "sex": ["F", "M"] * 60,
            "race": ["White"] * 60 + ["Black"] * 60,
            "hired": [1] * 12 + [0] * 48 + [1] * 30 + [0] * 30,
        }
    )
    result = ea.audit(
        frame,
        auditor="decisions",
        sensitive=["sex", "race"],
        decision="hired",
        standard="eeoc-four-fifths@1978",
    )
    assert result.audit.standard is not None
    assert (result.audit.standard.id, result.audit.standard.version) == ("eeoc-four-fifths", "1978")
    assert len(result.audit.standard.sha256) == 64
    assert [t.name for t in result.tables] == ["sex", "race_ethnicity"]


def test_run_spec_reports_its_phases() -> None:
    phases: list[str] = []
    ea.run_spec(ea.load_spec("audits/screening-errors.yaml"), on_phase=phases.append)
    assert phases == ["loading", "quality gate", "auditing"]


def test_a_nan_in_a_table_or_finding_is_refused(result: ea.AuditResult) -> None:
    # an undefined metric must be written as null with a note; NaN would silently turn into null
    table = result.tables[0]
    rows = [dict(table.rows[0], selection_rate=float("nan")), *table.rows[1:]]
    with pytest.raises(ValueError, match=r"table 'sex' rows\[0\].selection_rate is NaN or infinite"):
        type(table).model_validate({**table.model_dump(), "rows": rows})


def write_payload(tmp_path: Path, payload: dict[str, object]) -> Path:
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(payload))
    return path


def test_read_result_refuses_a_verdict_its_findings_contradict(
    tmp_path: Path, result: ea.AuditResult
) -> None:
    # F 12/60 = 0.2 vs M 30/60 = 0.5: ratio 0.4, z = 0.3 / sqrt(0.35 * 0.65 * 2 / 60) = 3.45: a fail
    assert [f.status for f in result.findings] == ["fail"] and result.verdict == "fail"
    payload = result.to_dict()
    payload["verdict"] = "pass"
    path = write_payload(tmp_path, payload)
    message = (
        f"{path}: garbled result: key 'verdict' is 'pass', but its findings (1 fail) and quality gate "
        "(passed: true, mode enforce, 0 failed check(s), each a warning when the audit ran) make it 'fail'. "
        "The file was edited or damaged; re-run the audit."
    )
    with pytest.raises(ResultError) as caught:
        ea.read_result(path)
    assert str(caught.value) == message
    from click.testing import CliRunner

    from equityaudit.cli import main

    out = CliRunner().invoke(main, ["report", str(path), "--out", str(tmp_path / "r")])
    assert out.exit_code == 2
    assert message in " ".join(out.output.split())
    assert not (tmp_path / "r").exists()


def test_read_result_refuses_a_result_without_findings(tmp_path: Path, result: ea.AuditResult) -> None:
    payload = result.to_dict()
    del payload["findings"]
    path = write_payload(tmp_path, payload)
    with pytest.raises(ResultError) as caught:
        ea.read_result(path)
    assert str(caught.value) == (
        f"{path}: garbled result: key 'findings' is missing; expected a list of findings (empty only when no "
        "comparison was made), found no such key. Re-run the audit to write a complete result."
    )


def test_failed_gate_checks_count_in_the_verdict_read_back(tmp_path: Path) -> None:
    # F 500/1000 and M 500/1000: ratio 1.0, interval above 0.8: a pass; the quality rule allows only F,
    # so its check fails
    frame = pd.DataFrame({"sex": ["F"] * 1000 + ["M"] * 1000, "hired": [1, 0] * 1000})
    kwargs = {
        "auditor": "decisions",
        "sensitive": "sex",
        "decision": "hired",
        "quality": {"allowed": {"sex": ["F"]}},
    }
    ran = ea.audit(frame, gate="warn", **kwargs)  # type: ignore[arg-type]
    assert [f.status for f in ran.findings] == ["pass"]
    assert ran.verdict == "warn"  # the failed check counts as a warning
    assert ea.read_result(ran.write(tmp_path / "warn.json")).verdict == "warn"
    payload = ran.to_dict()
    payload["verdict"] = "pass"
    with pytest.raises(
        ResultError,
        match=r"key 'verdict' is 'pass', but its findings \(1 pass\) and quality gate "
        r"\(passed: false, mode warn, 1 failed check\(s\).* make it 'warn'",
    ):
        ea.read_result(write_payload(tmp_path, payload))
    blocked = ea.audit(frame, **kwargs)  # type: ignore[arg-type]
    assert blocked.verdict == "blocked"
    assert ea.read_result(blocked.write(tmp_path / "blocked.json")).verdict == "blocked"
    payload = blocked.to_dict()
    payload["verdict"] = "pass"
    with pytest.raises(
        ResultError, match=r"key 'verdict' is 'pass', but its findings \(none\).* make it 'blocked'"
    ):
        ea.read_result(write_payload(tmp_path, payload))


def test_read_result_refuses_a_finding_edited_away_from_its_table(tmp_path: Path) -> None:
    # Female's ratio in the example is 0.795 (fail); an edit that makes it 0.95 and 'pass' (and keeps
    # the verdict, which other failures still make 'fail') disagrees with the table row it came from
    result = ea.run("audits/hiring.yaml")
    payload = json.loads(result.to_json())
    finding = next(f for f in payload["findings"] if f["id"] == "sex/selection_rate/Female")
    stored = finding["value"]
    finding.update(value=0.95, status="pass")
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(payload))
    with pytest.raises(ResultError) as raised:
        ea.read_result(path)
    assert str(raised.value) == (
        f"{path}: garbled result: finding 'sex/selection_rate/Female' has value 0.95, but its table 'sex' "
        f"says selection_rate_ratio = {stored!r} for that group. The file was edited or damaged; re-run the "
        "audit (and sign results that leave your hands: equityaudit sign)."
    )
