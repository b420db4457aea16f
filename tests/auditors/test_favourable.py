"""columns.decision.favourable: false — an adverse decision (a denial, a risk flag) is audited as
the rate of NOT receiving it, and every report says so."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import equityaudit as ea
from equityaudit.cli import main
from evidence import unavailable
from paths import REFERENCE_DATA

COMPAS = REFERENCE_DATA / "compas-scores-two-years.csv"


@pytest.fixture(scope="module")
def compas() -> pd.DataFrame:
    if not COMPAS.is_file():
        unavailable(f"{COMPAS} is missing")
    frame = pd.read_csv(COMPAS)
    frame = frame.loc[:, ~frame.columns.duplicated()]  # ProPublica's header repeats two columns
    return frame[["race", "sex", "score_text", "two_year_recid"]]


def test_a_risk_flag_is_audited_as_the_rate_of_not_being_flagged(compas: pd.DataFrame) -> None:
    # ProPublica's COMPAS: score_text High is a risk flag, bad for the defendant. Audited as
    # favourable, African-American defendants (flagged most often) would be the max-rate reference
    # and Caucasian defendants would "fail". With favourable: false the rate compared is the share
    # NOT flagged High; the reference is the group flagged least among those with >= 30 rows.
    not_high = (compas["score_text"] != "High").groupby(compas["race"]).agg(["mean", "size"])
    large = not_high[not_high["size"] >= 30]
    reference = large["mean"].idxmax()
    expected = not_high.loc["African-American", "mean"] / large["mean"].max()
    result = ea.audit(
        compas,
        auditor="decisions",
        sensitive="race",
        decision={
            "column": "score_text",
            "positive": "High",
            "negative": ["Low", "Medium"],
            "favourable": False,
        },
    )
    table = result.tables[0]
    assert table.metric == "favourable_rate"
    assert table.reference == {"race": reference}
    finding = next(f for f in result.findings if f.group == {"race": "African-American"})
    assert finding.value == pytest.approx(expected, rel=1e-12)
    assert finding.value < 0.8 and finding.status == "fail"
    assert "person(s) not receiving the decision in this group would reach the threshold" in finding.message
    caucasian = next(f for f in result.findings if f.group == {"race": "Caucasian"})
    assert caucasian.status != "fail"
    assert any("columns.decision.favourable is false" in note for note in result.notes)
    # the rate of receiving the decision stays in the table, for reference
    row = next(r for r in table.rows if r["group"] == {"race": "African-American"})
    flagged = (compas["score_text"] == "High")[compas["race"] == "African-American"].mean()
    assert row["selection_rate"] == pytest.approx(flagged, rel=1e-12)
    assert row["favourable_rate"] == pytest.approx(1 - flagged, rel=1e-12)


def test_every_report_says_the_decision_is_adverse(compas: pd.DataFrame, tmp_path: Path) -> None:
    data = tmp_path / "compas.csv"
    compas.to_csv(data, index=False)
    spec = tmp_path / "compas.yaml"
    spec.write_text(
        "equityaudit: 1\nname: compas-flags\nauditor: decisions\n"
        "data: {path: compas.csv, kind: historical}\n"
        "columns:\n  sensitive: [race]\n"
        "  decision: {column: score_text, positive: High, negative: [Low, Medium], favourable: false}\n",
        encoding="utf-8",
    )
    out = tmp_path / "reports"
    run = CliRunner().invoke(main, ["run", str(spec), "--out", str(out), "--format", "json,md,html", "-q"])
    assert run.exit_code == 1, run.output  # African-American defendants fail
    for suffix in ("md", "html"):
        text = (out / f"compas-flags.{suffix}").read_text(encoding="utf-8")
        assert "columns.decision.favourable is false" in text, suffix
        assert "favourable rate" in text, suffix


def test_init_writes_the_adverse_form_and_its_spec_runs(compas: pd.DataFrame, tmp_path: Path) -> None:
    data = tmp_path / "flags.csv"
    frame = compas.assign(flagged=(compas["score_text"] == "High").map({True: "yes", False: "no"}))
    frame[["race", "sex", "flagged"]].to_csv(data, index=False)
    spec = tmp_path / "flags.yaml"
    args = ["init", str(data), "--auditor", "decisions", "--decision", "flagged", "--adverse-decision"]
    made = CliRunner().invoke(main, [*args, "--yes", "--out", str(spec)])
    assert made.exit_code == 0, made.output
    assert 'decision: {column: flagged, positive: "yes", favourable: false}' in spec.read_text()
    run = CliRunner().invoke(main, ["run", str(spec), "--out", str(tmp_path / "r"), "-q"])
    assert run.exit_code == 1, run.output


def test_init_asks_about_the_direction_when_it_cannot_know(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    pd.DataFrame({"sex": ["F", "M"] * 40, "approved": ["yes", "no"] * 40}).to_csv(data, index=False)
    spec = tmp_path / "d.yaml"
    made = CliRunner().invoke(
        main, ["init", str(data), "--auditor", "decisions", "--yes", "--out", str(spec)]
    )
    assert made.exit_code == 0, made.output
    line = next(x for x in spec.read_text().splitlines() if x.strip().startswith("decision:"))
    assert line.endswith(
        "# CHECK: is receiving it good for the person? For a denial or a risk flag, use "
        "{column, positive, favourable: false}"
    )


def test_favourable_is_for_the_decision_only() -> None:
    frame = pd.DataFrame({"sex": ["F", "M"] * 40, "hired": [1, 0] * 40, "good": ["y", "n"] * 40})
    with pytest.raises(ea.SpecError, match=r"favourable applies to columns\.decision only"):
        ea.audit(
            frame,
            auditor="decisions",
            sensitive="sex",
            decision="hired",
            outcome={"column": "good", "positive": "y", "favourable": False},
        )
