"""Machine-readable outputs for CI: JUnit XML, Markdown, the LL144 summary, compare, GitHub Actions."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import junitparser
import pandas as pd
import pytest
from click.testing import CliRunner
from markdown_it import MarkdownIt

import equityaudit as ea
from equityaudit.cli import main
from equityaudit.report.junit import render_junit
from equityaudit.report.ll144 import LL144_CSV_COLUMNS, render_ll144_csv, render_ll144_markdown
from equityaudit.report.markdown import render_markdown
from equityaudit.results import StandardRef


def decisions_result(f_hired: int, *, name: str = "screen") -> ea.AuditResult:
    """F: 10 × f_hired of 1,000 hired, M: 500 of 1,000 (large enough for every status to be decided)."""
    hired = 10 * f_hired
    frame = pd.DataFrame(
        {
            "sex": ["F"] * 1000 + ["M"] * 1000,
            "hired": [1] * hired + [0] * (1000 - hired) + [1] * 500 + [0] * 500,
        }
    )
    return ea.audit(frame, auditor="decisions", sensitive="sex", decision="hired", name=name)


@pytest.fixture(scope="module")
def hiring() -> ea.AuditResult:
    return ea.run("audits/hiring.yaml")


def test_junit_parses_and_carries_failures(hiring: ea.AuditResult, tmp_path: Path) -> None:
    path = tmp_path / "out.xml"
    path.write_text(render_junit([hiring]))
    xml = junitparser.JUnitXml.fromfile(str(path))
    suites = list(xml)
    assert [s.name for s in suites] == ["hiring-screening"]
    cases = list(suites[0])
    assert len(cases) == len(hiring.findings)
    failed = {
        case.name: case.result[0].message
        for case in cases
        if case.result and case.result[0]._tag == "failure"
    }
    expected = {f.id: f.message for f in hiring.findings if f.status == "fail"}
    assert failed == expected
    skipped = [case.name for case in cases if case.result and case.result[0]._tag == "skipped"]
    undecided = ("inconclusive", "insufficient_data")  # the data could not decide them: skipped
    assert skipped == [f.id for f in hiring.findings if f.status in undecided]
    assert suites[0].failures == len(expected)


def test_junit_fail_on_warn_makes_warnings_failures(hiring: ea.AuditResult) -> None:
    warns = sum(f.status == "warn" for f in hiring.findings)
    fails = sum(f.status == "fail" for f in hiring.findings)
    assert warns > 0
    xml = junitparser.JUnitXml.fromstring(render_junit([hiring], fail_on="warn"))
    assert next(iter(xml)).failures == fails + warns


def test_markdown_renders_with_tables(hiring: ea.AuditResult) -> None:
    text = render_markdown(hiring)
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    tables = [t for t in tokens if t.type == "table_open"]
    assert len(tables) == 1 + len(hiring.tables) + 1  # findings, one per result table, the gate checks
    assert "# hiring-screening: FAIL" in text
    female = next(f for f in hiring.findings if f.group == {"sex": "Female"} and f.table == "sex")
    assert female.message.replace("|", "\\|") in text


def test_ll144_csv_columns_are_pinned(hiring: ea.AuditResult) -> None:
    assert LL144_CSV_COLUMNS == (
        "audit_name", "audit_date", "distribution_date", "data_kind", "data_period_start", "data_period_end",
        "table", "category", "applicants", "selected", "rate_type", "rate", "impact_ratio",
        "included_in_impact_ratios", "note", "data_source", "data_description", "test_data_reason",
    )  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(render_ll144_csv(hiring))))
    assert tuple(rows[0]) == LL144_CSV_COLUMNS
    female = next(r for r in rows if r["table"] == "sex" and r["category"] == "Female")
    table_row = next(r for r in hiring.tables[0].rows if r["group"] == {"sex": "Female"})
    assert float(female["impact_ratio"]) == table_row["impact_ratio"]
    assert int(female["applicants"]) == table_row["n"]
    assert female["audit_date"] == "2026-11-23"
    assert female["distribution_date"] == "2026-01-01"
    # the source and explanation of the data (§5-303), as audits/hiring.yaml states them
    assert (female["data_kind"], female["data_source"]) == ("historical", "datasets/hiring.csv")
    assert female["data_description"] == hiring.data.description
    assert female["data_description"].startswith("Synthetic applicants to an SMB's job ads")
    unknown = next(r for r in rows if r["table"] == "sex" and r["category"] == "Unknown")
    assert unknown["impact_ratio"] == "" and unknown["included_in_impact_ratios"] == "False"
    assert int(unknown["applicants"]) == hiring.context["ll144"]["unknown_count"]["sex"]


def test_report_command_renders_from_the_stored_result(tmp_path: Path, hiring: ea.AuditResult) -> None:
    stored = hiring.write(tmp_path / "hiring-screening.json")
    out = CliRunner().invoke(
        main, ["report", str(stored), "--format", "md,junit,ll144", "--out", str(tmp_path / "r")]
    )
    assert out.exit_code == 0, out.output
    names = sorted(p.name for p in (tmp_path / "r").iterdir())
    assert names == [
        "hiring-screening.junit.xml", "hiring-screening.ll144.csv", "hiring-screening.ll144.html",
        "hiring-screening.ll144.md", "hiring-screening.md",
    ]  # fmt: skip


@pytest.mark.parametrize("spec", ["hiring", "screening-errors", "marketing", "chatbot"])
def test_run_and_report_write_the_same_files(tmp_path: Path, spec: str) -> None:
    """``report RESULT.json`` renders exactly what ``run`` rendered: reports come from the stored JSON."""
    formats = "md,html,junit,ll144" if spec == "hiring" else "md,html,junit"
    ran = CliRunner().invoke(
        main, ["run", f"audits/{spec}.yaml", "--out", str(tmp_path / "run"), "--format", formats, "--quiet"]
    )
    assert ran.exit_code in (0, 1), ran.output
    (stored,) = (tmp_path / "run").glob("*.json")
    again = CliRunner().invoke(
        main, ["report", str(stored), "--format", formats, "--out", str(tmp_path / "report")]
    )
    assert again.exit_code == 0, again.output
    written = sorted(p.name for p in (tmp_path / "run").iterdir() if p.suffix != ".json")
    assert written == sorted(p.name for p in (tmp_path / "report").iterdir())
    assert len(written) == (6 if spec == "hiring" else 3)
    for name in written:
        assert (tmp_path / "run" / name).read_text() == (tmp_path / "report" / name).read_text(), name


def test_stored_results_keep_the_spec_order_of_attributes(tmp_path: Path, hiring: ea.AuditResult) -> None:
    """Sorted JSON keys do not reorder a reference group or the LL144 unknown counts (sex, then race)."""
    text = render_markdown(ea.read_result(hiring.write(tmp_path / "h.json")))
    assert "Reference group: **Male, White**" in text  # the sex*race_ethnicity table, spec order
    summary = render_ll144_markdown(ea.read_result(tmp_path / "h.json"))
    unknown = hiring.context["ll144"]["unknown_count"]
    assert f"sex: {unknown['sex']}; race_ethnicity: {unknown['race_ethnicity']}" in summary


def test_ll144_refused_for_other_auditors(tmp_path: Path) -> None:
    stored = decisions_result(40).write(tmp_path / "screen.json")
    out = CliRunner().invoke(main, ["report", str(stored), "--format", "ll144"])
    assert out.exit_code == 2
    assert (
        "cannot write the LL144 summary: ll144: screen is a decisions audit, not a hiring audit" in out.output
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{garbled", "not a JSON result file"),
        (
            '{"schema": "equityaudit.result/9"}',
            "result schema 'equityaudit.result/9' is not supported by this version of equityaudit, which "
            "reads 'equityaudit.result/2'. It was written by a newer equityaudit: upgrade equityaudit",
        ),
        (
            '{"schema": "equityaudit.result/0"}',
            "It was written by an older equityaudit: re-run the audit with this version",
        ),
        ('{"schema": "something-else"}', "not an equityaudit result"),
    ],
)
def test_report_refuses_bad_results(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "r.json"
    path.write_text(content)
    out = CliRunner(env={"COLUMNS": "400"}).invoke(main, ["report", str(path)])
    assert out.exit_code == 2
    assert message in out.output
    assert CliRunner().invoke(main, ["compare", str(path), str(path)]).exit_code == 2


def write(result: ea.AuditResult, path: Path) -> str:
    result.write(path)
    return str(path)


def test_compare_improvement_exits_0(tmp_path: Path) -> None:
    # baseline F 400/1000 (ratio 0.8 to M's 500/1000), current F 480/1000 (ratio 0.96): closer to parity
    out = CliRunner().invoke(
        main,
        [
            "compare",
            write(decisions_result(40), tmp_path / "a.json"),
            write(decisions_result(48), tmp_path / "b.json"),
        ],
    )
    assert out.exit_code == 0, out.output
    assert "improved" in out.output and "No regression." in out.output


def test_compare_regression_beyond_tolerance_exits_1(tmp_path: Path) -> None:
    # ratio 0.96 -> 0.90: 0.06 further from parity, beyond the 0.02 default but within 0.1
    base, cur = (
        write(decisions_result(48), tmp_path / "a.json"),
        write(decisions_result(45), tmp_path / "b.json"),
    )
    out = CliRunner().invoke(main, ["compare", base, cur])
    assert out.exit_code == 1, out.output
    assert "moved away from parity by 0.060 (tolerance 0.02)" in out.output
    assert CliRunner().invoke(main, ["compare", base, cur, "--max-drop", "0.1"]).exit_code == 0
    # a tolerance that is not a finite number would let every regression through: a usage error
    for bad in ("nan", "inf"):
        refused = CliRunner().invoke(main, ["compare", base, cur, "--max-drop", bad])
        assert refused.exit_code == 2
        assert f"Invalid value for '--max-drop': {bad!r} is not a finite number" in refused.output


def test_compare_status_turning_to_fail_is_a_regression(tmp_path: Path) -> None:
    # ratio 0.9 (pass: its interval 0.82–0.99 stays above 0.8) -> 0.5 (fail)
    out = CliRunner().invoke(
        main,
        [
            "compare",
            write(decisions_result(45), tmp_path / "a.json"),
            write(decisions_result(25), tmp_path / "b.json"),
        ],
    )
    assert out.exit_code == 1
    assert "status went from pass to fail" in out.output


def test_compare_refuses_different_standards(tmp_path: Path) -> None:
    result = decisions_result(40)
    other = result.model_copy(
        update={
            "audit": result.audit.model_copy(
                update={"standard": StandardRef(id="eeoc-four-fifths", version="1978", sha256="0" * 64)}
            )
        }
    )
    out = CliRunner().invoke(
        main, ["compare", write(result, tmp_path / "a.json"), write(other, tmp_path / "b.json")]
    )
    assert out.exit_code == 2
    assert (
        "cannot compare results audited against different standards: baseline no standard, current eeoc-four-fifths@1978"
        in out.output
    )


def test_compare_refuses_different_auditors(tmp_path: Path, hiring: ea.AuditResult) -> None:
    renamed = hiring.model_copy(update={"audit": hiring.audit.model_copy(update={"name": "screen"})})
    out = CliRunner().invoke(
        main,
        ["compare", write(decisions_result(40), tmp_path / "a.json"), write(renamed, tmp_path / "b.json")],
    )
    assert out.exit_code == 2
    assert "cannot compare results of different auditors" in out.output


def test_compare_refuses_different_audits(tmp_path: Path, hiring: ea.AuditResult) -> None:
    out = CliRunner().invoke(
        main,
        ["compare", write(decisions_result(40), tmp_path / "a.json"), write(hiring, tmp_path / "b.json")],
    )
    assert out.exit_code == 2
    assert "cannot compare results of different audits: the baseline is 'screen'" in out.output


def test_compare_a_blocked_current_audit_is_a_regression(tmp_path: Path) -> None:
    baseline = decisions_result(48)
    frame = pd.DataFrame({"sex": ["F"] * 50, "hired": [1, 0] * 25})  # one group only: the gate blocks
    blocked = ea.audit(frame, auditor="decisions", sensitive="sex", decision="hired", name="screen")
    assert blocked.verdict == "blocked"
    out = CliRunner().invoke(
        main, ["compare", write(baseline, tmp_path / "a.json"), write(blocked, tmp_path / "b.json")]
    )
    assert out.exit_code == 1
    assert "the current audit was blocked by the quality gate" in out.output


def test_github_actions_summary_and_annotations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    out = CliRunner().invoke(main, ["run", "audits/hiring.yaml", "--out", str(tmp_path / "r"), "--quiet"])
    assert out.exit_code == 1
    errors = [
        line
        for line in out.output.splitlines()
        if line.startswith("::error title=equityaudit hiring-screening")
    ]
    result = json.loads((tmp_path / "r" / "hiring-screening.json").read_text())
    assert len(errors) == sum(f["status"] == "fail" for f in result["findings"])
    assert summary.read_text().startswith("# hiring-screening: FAIL")


def test_run_junit_xml_covers_every_audit(tmp_path: Path) -> None:
    target = tmp_path / "all.xml"
    out = CliRunner().invoke(
        main, ["run", "audits/", "--out", str(tmp_path / "r"), "--junit-xml", str(target), "-q"]
    )
    assert out.exit_code == 1
    suites = [s.name for s in junitparser.JUnitXml.fromfile(str(target))]
    expected = [ea.load_spec(path).name for path in sorted(Path("audits").glob("*.yaml"))]
    assert suites == expected
    assert "hiring-screening" in suites


def test_fail_on_warn(tmp_path: Path) -> None:
    # F 6/30 vs M 9/30: ratio 0.667, not significant -> warn
    data = tmp_path / "d.csv"
    data.write_text("sex,hired\n" + "F,1\n" * 6 + "F,0\n" * 24 + "M,1\n" * 9 + "M,0\n" * 21)
    spec = tmp_path / "s.yaml"
    spec.write_text(
        "equityaudit: 1\nname: s\nauditor: decisions\ndata: {path: d.csv}\ncolumns: {sensitive: sex, decision: hired}\n"
    )
    runner = CliRunner()
    assert runner.invoke(main, ["run", str(spec), "--out", str(tmp_path / "r"), "-q"]).exit_code == 0
    assert (
        runner.invoke(
            main, ["run", str(spec), "--out", str(tmp_path / "r"), "-q", "--fail-on", "warn"]
        ).exit_code
        == 1
    )


def test_markdown_escapes_html_in_group_labels() -> None:
    frame = pd.DataFrame({"grp": ["<script>alert(1)</script>"] * 100 + ["B"] * 100, "hired": [1, 0] * 100})
    result = ea.audit(frame, auditor="decisions", sensitive="grp", decision="hired", gate="warn")
    text = render_markdown(result)
    assert "<script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_bad_gate_mode_is_a_spec_error() -> None:
    frame = pd.DataFrame({"sex": ["F", "M"] * 40, "hired": [1, 0] * 40})
    with pytest.raises(ea.SpecError, match=r"gate: expected 'enforce' or 'warn', found 'off'"):
        ea.audit(frame, auditor="decisions", sensitive="sex", decision="hired", gate="off")  # type: ignore[arg-type]


def test_markdown_lists_the_examples_behind_flagged_findings() -> None:
    result = decisions_result(25)  # F 250/1000 vs M 500/1000: a fail
    failing = next(f for f in result.findings if f.status == "fail")
    changed = failing.model_copy(
        update={"details": {**failing.details, "examples": [{"id": "row 17"}, "a <b>"]}}
    )
    text = render_markdown(result.model_copy(update={"findings": [changed]}))
    assert "### Examples behind the flagged findings" in text
    assert "  - id: row 17" in text
    assert "  - a &lt;b&gt;" in text


def test_github_annotation_titles_escape_property_characters() -> None:
    # GitHub's workflow-command rules (actions/toolkit escapeProperty): in a property value
    # % -> %25, CR -> %0D, LF -> %0A, ':' -> %3A, ',' -> %2C; in the message only the first three.
    from equityaudit.cli.run import github_annotations

    result = decisions_result(25, name="screen")  # F 250/1000 vs M 500/1000: ratio 0.5, a fail
    (finding,) = result.findings
    odd = finding.model_copy(update={"table": "a,b:c%d\r\ne", "message": "x: 1, y%\n"})
    lines = github_annotations(result.model_copy(update={"findings": [odd]}))
    assert lines == ["::error title=equityaudit screen%3A a%2Cb%3Ac%25d%0D%0Ae::x: 1, y%25%0A"]
    (line,) = github_annotations(result)
    assert "%" in finding.message and "\n" not in finding.message  # "25.0% vs 50.0%"
    assert line == f"::error title=equityaudit screen%3A sex::{finding.message.replace('%', '%25')}"
