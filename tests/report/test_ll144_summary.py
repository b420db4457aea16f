"""The LL144 public summary (6 RCNY §5-303): what it says when the spec leaves facts unsaid, the
source and explanation of the data in the CSV, and the small categories beside their justification."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

import equityaudit as ea
from equityaudit.cli import main
from equityaudit.report.ll144 import render_ll144_csv, render_ll144_html, render_ll144_markdown
from paths import ROOT

REPO = ROOT
CSV_HEADER = "sex,hired\n" + "Female,1\n" * 20 + "Female,0\n" * 20 + "Male,1\n" * 30 + "Male,0\n" * 10


def write_spec(tmp_path: Path, data: str = "", options: str = "") -> Path:
    (tmp_path / "d.csv").write_text(CSV_HEADER)
    spec = tmp_path / "s.yaml"
    spec.write_text(
        "equityaudit: 1\nname: unsaid\nauditor: hiring\n"
        f"data: {{path: d.csv{data}}}\n"
        "columns: {sensitive: [sex], decision: hired}\n"
        f"options: {{audit_date: 2026-02-01{options}}}\n"
    )
    return spec


@pytest.fixture
def unsaid(tmp_path: Path) -> ea.AuditResult:
    return ea.run(write_spec(tmp_path))


def test_summary_says_unstated_facts_are_not_stated_and_warns(unsaid: ea.AuditResult) -> None:
    text = render_ll144_markdown(unsaid)
    assert "- **Distribution date of the tool:** not stated in the spec (options.distribution_date)" in text
    assert "- **Data:** historical or test data: not stated in the spec (data.kind)" in text
    assert "historical data;" not in text  # never claims what the user did not say
    assert (
        "> **Warning: this summary is incomplete. 6 RCNY §5-303 requires the distribution date of the tool "
        "and whether historical or test data was audited, which the audit's spec does not state; set "
        "options.distribution_date, data.kind and run the audit again.**"
    ) in text
    page = render_ll144_html(unsaid)
    assert "Warning: this summary is incomplete." in page
    assert "not stated in the spec (options.distribution_date)" in page
    (row, *_) = csv.DictReader(io.StringIO(render_ll144_csv(unsaid)))
    assert (row["distribution_date"], row["data_kind"]) == ("", "not stated in the spec")


def test_summary_of_a_complete_spec_has_no_warning(tmp_path: Path) -> None:
    result = ea.run(
        write_spec(tmp_path, data=", kind: historical", options=", distribution_date: 2025-03-01")
    )
    text = render_ll144_markdown(result)
    assert "Warning" not in text
    assert "- **Distribution date of the tool:** 2025-03-01" in text
    assert "- **Data:** historical data; no description given" in text


def test_terminal_warns_when_the_ll144_summary_is_incomplete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    out = CliRunner().invoke(main, ["run", str(write_spec(tmp_path)), "--out", str(tmp_path / "r")])
    # Female 20/40 vs Male 30/40: ratio 0.5 / 0.75 = 0.667, below 0.8; z = 0.25 / sqrt(0.625 * 0.375 * 2 / 40)
    # = 2.31, p = 0.021 < 0.05: a fail
    assert out.exit_code == 1, out.output
    assert (
        "warning: the LL144 summary (6 RCNY §5-303) is incomplete: options.distribution_date, data.kind "
        "not stated in the spec"
    ) in out.output
    complete = write_spec(tmp_path, data=", kind: test, test_data_reason: simulated applicants")
    complete.write_text(
        complete.read_text().replace("audit_date:", "distribution_date: 2025-03-01, audit_date:")
    )
    out = CliRunner().invoke(main, ["run", str(complete), "--out", str(tmp_path / "r")])
    assert "incomplete" not in out.output


def test_csv_carries_the_source_and_explanation_of_the_data(tmp_path: Path) -> None:
    reason = "the tool has not been used yet; applicants were simulated"
    spec = write_spec(
        tmp_path, data=f", kind: test, test_data_reason: '{reason}', description: 'Simulated pool'"
    )
    rows = list(csv.DictReader(io.StringIO(render_ll144_csv(ea.run(spec)))))
    assert {
        (r["data_source"], r["data_description"], r["test_data_reason"], r["data_kind"]) for r in rows
    } == {(str(tmp_path / "d.csv"), "Simulated pool", reason, "test")}


@pytest.fixture(scope="module")
def hiring() -> ea.AuditResult:
    return ea.run(REPO / "audits" / "hiring.yaml")


def test_excluded_small_categories_are_listed_beside_the_justification(hiring: ea.AuditResult) -> None:
    # shares from pandas: a category's rows over the rows whose sex and race/ethnicity are both known
    # (the intersection table), or whose race/ethnicity is known (the race/ethnicity table)
    df = pd.read_csv(REPO / "datasets" / "hiring.csv")
    both = df.dropna(subset=["sex", "race_ethnicity"])
    crossed = both.groupby(["sex", "race_ethnicity"]).size() / len(both)
    race = df["race_ethnicity"].value_counts(normalize=True)
    expected = [f"{c} ({100 * s:.2f}%)" for c, s in sorted(race[race < 0.02].items())]
    expected += [f"{sex}, {c} ({100 * s:.2f}%)" for (sex, c), s in sorted(crossed[crossed < 0.02].items())]
    assert "Female, Two or More Races (1.82%)" in expected  # the category the old text left unexplained
    line = next(
        line
        for line in render_ll144_markdown(hiring).splitlines()
        if line.startswith("- **Categories under 2 % left out of impact ratios:**")
    )
    listed, justification = line.split(". Justification given: ")
    assert listed.split(":** ")[1].split("; ") == expected
    assert justification == hiring.context["ll144"]["exclusion_justification"]
    assert "Two or More Races" in justification  # the example spec's text names what it excludes
    assert "Female, Two or More Races (1.82%)" in render_ll144_html(hiring)


def test_small_categories_without_a_justification_are_listed_as_included() -> None:
    # Asian 9 of 499 known applicants = 1.80 %
    frame = pd.DataFrame(
        {"race": ["White"] * 300 + ["Black"] * 190 + ["Asian"] * 9, "hired": [1, 0] * 249 + [1]}
    )
    result: Any = ea.audit(frame, auditor="hiring", sensitive=["race"], decision="hired", gate="warn")
    text = render_ll144_markdown(result)
    assert (
        "included in impact ratios: the spec gives no justification for leaving them out):** Asian (1.80%)"
        in text
    )
