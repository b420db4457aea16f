"""``compare``: the tolerance at its edge, and a changed spec that removes failing findings."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

import equityaudit as ea
from equityaudit.cli import main
from equityaudit.compare import compare_results


def decisions_result(f_hired: int) -> ea.AuditResult:
    """F: 10 × f_hired of 1,000 hired, M: 500 of 1,000 -> ratio f_hired / 50."""
    hired = 10 * f_hired
    frame = pd.DataFrame(
        {
            "sex": ["F"] * 1000 + ["M"] * 1000,
            "hired": [1] * hired + [0] * (1000 - hired) + [1] * 500 + [0] * 500,
        }
    )
    return ea.audit(frame, auditor="decisions", sensitive="sex", decision="hired", name="screen")


def with_value(result: ea.AuditResult, value: float) -> ea.AuditResult:
    """The same result with its one finding's ratio set to ``value`` (status unchanged)."""
    (finding,) = result.findings
    return result.model_copy(update={"findings": [finding.model_copy(update={"value": value})]})


def test_a_drop_of_exactly_max_drop_is_within_tolerance() -> None:
    assert 0.9 - 0.88 > 0.02  # the floating-point premise: 0.020000000000000018
    baseline = decisions_result(45)  # F 450/1000 vs M 500/1000: ratio 0.45 / 0.5 = 0.9
    assert baseline.findings[0].value == 0.9
    report = compare_results(baseline, with_value(baseline, 0.88), max_drop=0.02)
    assert not report.regressed
    assert [c.movement for c in report.changes] == ["unchanged"]
    # just beyond: 0.9 -> 0.879 is a drop of 0.021
    report = compare_results(baseline, with_value(baseline, 0.879), max_drop=0.02)
    assert [c.reason for c in report.regressions] == ["moved away from parity by 0.021 (tolerance 0.02)"]
    # and a rise of exactly max_drop is not an improvement either
    assert [c.movement for c in compare_results(with_value(baseline, 0.88), baseline).changes] == [
        "unchanged"
    ]


def two_specs(tmp_path: Path) -> tuple[Path, Path]:
    """Race A: 100 of 200 hired, race B: 40 of 200; sex alternates F, M within each, so F 70/200, M 70/200.

    B's ratio is 0.2 / 0.5 = 0.4, z = 0.3 / sqrt(0.35 * 0.65 * 2 / 200) = 6.3: a fail. The baseline spec
    audits sex and race, the current one only sex.
    """
    rows = []
    for race, hired in (("A", 100), ("B", 40)):
        rows += [f"{'FM'[i % 2]},{race},{int(i < hired)}" for i in range(200)]
    (tmp_path / "d.csv").write_text("sex,race,hired\n" + "\n".join(rows) + "\n")
    specs = []
    for name, sensitive in (("base.yaml", "[sex, race]"), ("cur.yaml", "[sex]")):
        spec = tmp_path / name
        spec.write_text(
            "equityaudit: 1\nname: screen\nauditor: decisions\ndata: {path: d.csv}\n"
            f"columns: {{sensitive: {sensitive}, decision: hired}}\n"
        )
        specs.append(spec)
    return specs[0], specs[1]


def run(spec: Path, out: Path) -> Path:
    CliRunner().invoke(main, ["run", str(spec), "--out", str(out), "-q"])
    return out / "screen.json"


def test_dropping_an_attribute_does_not_hide_failing_findings(tmp_path: Path) -> None:
    base_spec, cur_spec = two_specs(tmp_path)
    baseline, current = run(base_spec, tmp_path / "a"), run(cur_spec, tmp_path / "b")
    base = json.loads(baseline.read_text())
    cur_ids = {f["id"] for f in json.loads(current.read_text())["findings"]}
    gone = [f["id"] for f in base["findings"] if f["id"] not in cur_ids and f["status"] in ("warn", "fail")]
    statuses = {f["id"]: f["status"] for f in base["findings"]}
    assert statuses["race/selection_rate/B"] == "fail"
    assert "race/selection_rate/B" in gone

    out = CliRunner().invoke(main, ["compare", str(baseline), str(current)])
    assert out.exit_code == 1, out.output
    lines = out.output.splitlines()
    assert lines[0].startswith("Note: the spec changed between the two results (spec_sha256 ")
    regressed = [line for line in lines if line.startswith("REGRESSED")]
    assert len(regressed) == len(gone)
    assert any(
        line.startswith("REGRESSED  race/selection_rate/B: 0.400 (fail) -> absent; was fail in the baseline")
        for line in regressed
    )
    assert (
        f"{len(gone)} finding(s) that were warn or fail in the baseline are gone from the current result: "
        in (out.output.replace("\n", " "))
    )
    assert f"Regression: {len(gone)} finding(s) got worse than the baseline." in lines

    allowed = CliRunner().invoke(main, ["compare", str(baseline), str(current), "--allow-removed"])
    assert allowed.exit_code == 0, allowed.output
    assert "Note: the spec changed between the two results" in allowed.output
    assert "(allowed by --allow-removed)." in allowed.output
    assert "No regression." in allowed.output


def test_changed_thresholds_are_reported(tmp_path: Path) -> None:
    baseline = decisions_result(45)
    thresholds = {**(baseline.audit.thresholds or {}), "impact_ratio": 0.9}
    current = baseline.model_copy(
        update={"audit": baseline.audit.model_copy(update={"thresholds": thresholds})}
    )
    report = compare_results(baseline, current)
    assert report.setup_changes == ["the thresholds changed between the two results: impact_ratio 0.8 -> 0.9"]
    assert compare_results(baseline, baseline).setup_changes == []


def test_a_result_of_schema_1_still_reads_renders_and_compares(tmp_path: Path) -> None:
    # Schema 1 had no 'inconclusive': it called an interval straddling the threshold without a
    # significant difference 'insufficient_data'. Such a result (the example audit, written as 0.1
    # wrote it) is read, rendered and compared with a current result without a false regression.
    current = tmp_path / "current.json"
    ea.run("audits/hiring.yaml").write(current)
    payload = json.loads(current.read_text())
    assert any(f["status"] == "inconclusive" for f in payload["findings"])
    payload["schema"] = "equityaudit.result/1"
    for finding in payload["findings"]:
        if finding["status"] == "inconclusive":
            finding["status"] = "insufficient_data"
    old = tmp_path / "old.json"
    old.write_text(json.dumps(payload), encoding="utf-8")
    assert ea.read_result(old).schema_ == "equityaudit.result/1"
    rendered = CliRunner().invoke(main, ["report", str(old), "--out", str(tmp_path / "r"), "--format", "md"])
    assert rendered.exit_code == 0, rendered.output
    assert "INSUFFICIENT DATA" in (tmp_path / "r" / "hiring-screening.md").read_text()
    compared = CliRunner().invoke(main, ["compare", str(old), str(current)])
    assert compared.exit_code == 0, compared.output
    assert "No regression." in compared.output
