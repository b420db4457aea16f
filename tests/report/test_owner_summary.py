"""The owner's summary: plain sentences read off the result, the same in every report, first in each."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

import equityaudit as ea
from equityaudit.cli.summary import print_summary
from equityaudit.report.html import render_html
from equityaudit.report.markdown import render_markdown
from equityaudit.report.owner_summary import owner_summary
from equityaudit.results import AuditResult, Finding

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def hiring() -> AuditResult:
    return ea.run(ROOT / "audits" / "hiring.yaml")


def _finding(result: AuditResult, finding_id: str) -> Finding:
    (finding,) = [f for f in result.findings if f.id == finding_id]
    return finding


def test_hiring_summary_reads_the_results_own_numbers(hiring: AuditResult) -> None:
    sentences = owner_summary(hiring)
    assert 3 <= len(sentences) <= 5
    audited, verdict, disparity, unsettled, next_step = sentences
    assert audited == (
        "This audit (hiring-screening) ran the hiring auditor on 5,000 rows of historical data from "
        "datasets/hiring.csv, 1 January 2026 to 30 June 2026, comparing groups by sex, race_ethnicity "
        "and sex × race_ethnicity."
    )
    failed = sum(f.status == "fail" for f in hiring.findings)
    assert verdict.startswith(f"The verdict is fail: {failed} of the {len(hiring.findings)} comparisons")
    # Of the failed findings, Black or African American applicants' selection rate (against Asian
    # applicants') has the largest shortfall: 47 selections, more than any other failure's.
    black = _finding(hiring, "race_ethnicity/selection_rate/Black or African American")
    shortfall = black.details["shortfall"]
    assert shortfall == max(f.details["shortfall"] for f in hiring.findings if f.status == "fail")
    assert disparity == (
        "The largest disparity: Black or African American applicants were selected at a rate of "
        f"{black.details['rate']:.1%} against {black.details['reference_rate']:.1%} for Asian applicants "
        f"(ratio {black.value:.3f}); {shortfall:.0f} more Black or African American applicants would need "
        "to have been selected to reach four-fifths of Asian applicants' rate."
    )
    assert "25.0% against 39.9%" in disparity and "; 47 more" in disparity  # the numbers, by hand
    inconclusive = [f for f in hiring.findings if f.status == "inconclusive"]
    most = max(f.details["rows_to_settle"] for f in inconclusive)
    assert unsettled.startswith(f"{len(inconclusive)} findings are inconclusive")
    assert f"about {most:,} rows per group" in unsettled and most == 15000
    assert next_step.startswith("Next step: review how the tool treats Black or African American applicants")


def test_markdown_html_and_terminal_show_the_summary_first(hiring: AuditResult) -> None:
    summary = " ".join(owner_summary(hiring))
    markdown = render_markdown(hiring)
    assert summary in markdown  # no HTML in the Markdown summary, so nothing needs escaping
    assert markdown.index(summary) < markdown.index("## Findings") < markdown.index("| status |")
    page = render_html(hiring)
    escaped = summary.replace("'", "&#39;")
    assert escaped in page
    assert page.index(escaped) < page.index('id="findings"') < page.index("At a glance")
    console = Console(file=StringIO(), width=10_000, highlight=False)
    print_summary(hiring, [], console=console)
    assert summary in console.file.getvalue()  # type: ignore[attr-defined]


def _result(findings: list[dict[str, Any]], *, verdict: str, gate_passed: bool = True) -> AuditResult:
    now = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
    return AuditResult.model_validate(
        {
            "tool": {"name": "equityaudit", "version": "0.1.0"},
            "audit": {"name": "loans", "auditor": "thirdparty", "spec_sha256": None, "date": "2026-11-23"},
            "data": {"source": "loans.csv", "sha256": None, "rows": 1200, "kind": "test"},
            "started_at": now,
            "finished_at": now,
            "gate": {
                "passed": gate_passed,
                "checks": [
                    {
                        "name": "expect_column_values_to_not_be_null",
                        "column": "sex",
                        "passed": gate_passed,
                        "message": "300 rows have no sex",
                    }
                ],
            },
            "findings": findings,
            "verdict": verdict,
        }
    )


def _bare(status: str, **fields: Any) -> dict[str, Any]:
    """A third-party auditor's finding: no details at all."""
    return {
        "id": f"sex/approval/{status}",
        "metric": "approval_rate",
        "kind": "ratio",
        "table": "sex",
        "group": {"sex": "F"},
        "reference": {"sex": "M"},
        "value": 0.9,
        "status": status,
        "message": "…",
        **fields,
    }


def test_a_pass_only_result_says_so_plainly() -> None:
    sentences = owner_summary(_result([_bare("pass"), _bare("pass", id="two")], verdict="pass"))
    assert sentences == [
        "This audit (loans) ran the thirdparty auditor on 1,200 rows of test data from loans.csv, "
        "comparing groups by sex.",
        "The verdict is pass: all 2 comparisons ruled out a disparity beyond the threshold.",
        "Next step: no action is needed now; audit again on a schedule and after any change to the tool.",
    ]


def test_a_blocked_result_says_the_gate_stopped_it() -> None:
    sentences = owner_summary(_result([], verdict="blocked", gate_passed=False))
    assert sentences[1:] == [
        "The quality gate stopped this audit before any conclusion could be drawn: the data failed 1 of "
        "its 1 check(s) (300 rows have no sex).",
        "Next step: fix the data problems the quality gate lists and run the audit again.",
    ]
    markdown = render_markdown(_result([], verdict="blocked", gate_passed=False))
    assert markdown.index("The quality gate stopped this audit") < markdown.index("## Findings")


def test_a_finding_without_details_gets_generic_wording() -> None:
    result = _result(
        [_bare("fail", value=0.55), _bare("inconclusive", id="i"), _bare("pass", id="p")], verdict="fail"
    )
    sentences = owner_summary(result)
    assert sentences[2] == "The most serious finding concerns the group F (approval rate, value 0.550): fail."
    assert sentences[3] == (
        "1 finding is inconclusive: the data fit both a disparity and none, and more data would settle it."
    )
    assert sentences[4].startswith("Next step: review how the tool treats the group F")
    render_markdown(result), render_html(result)  # the renderers take it too


def test_an_adverse_decision_counts_fewer_people_receiving_it() -> None:
    details = {"rate": 0.6, "reference_rate": 0.9, "shortfall": 12, "n": 100}
    finding = _bare("fail", metric="favourable_rate", value=0.6 / 0.9, threshold=0.8, details=details)
    result = _result([finding], verdict="fail").model_copy(
        update={"audit": _result([], verdict="pass").audit.model_copy(update={"auditor": "decisions"})}
    )
    assert owner_summary(result)[2] == (
        "The largest disparity: F people were spared the decision 60.0% of the time against 90.0% for M "
        "people (ratio 0.667); 12 fewer F people would need to have received the decision to reach "
        "four-fifths of M people's rate of not receiving it."
    )


def test_the_docs_show_the_hiring_examples_real_summary(hiring: AuditResult) -> None:
    docs = (ROOT / "docs" / "reports.md").read_text(encoding="utf-8")
    assert f"> {' '.join(owner_summary(hiring))}\n" in docs


def test_an_estimate_on_its_threshold_is_not_sized_in_absurd_rows() -> None:
    """1,200 rows audited: 120,000 rows per group (100 times) is the most the summary calls realistic."""
    settle = [800, 2_000, 5_000, 14_000_000]  # the last sits on its threshold
    findings = [
        _bare("inconclusive", id=f"i{k}", details={"rows_to_settle": rows}) for k, rows in enumerate(settle)
    ]
    sentences = owner_summary(_result(findings, verdict="warn"))
    # half of the four need at most the 2nd smallest, 2,000 rows
    assert sentences[2] == (
        "4 findings are inconclusive: the data fit both a disparity and none; about 2,000 rows per group "
        "would settle half of them, but the least certain (the group F, approval rate) sits so close to its "
        "threshold that no realistic amount of data would."
    )
    realistic = [
        _bare("inconclusive", id=f"i{k}", details={"rows_to_settle": r}) for k, r in enumerate(settle[:3])
    ]
    assert owner_summary(_result(realistic, verdict="warn"))[2].endswith(
        "about 5,000 rows per group would settle even the least certain (the group F, approval rate)."
    )
