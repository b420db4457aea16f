"""Renderers read a table's and a finding's structure from fields, not from their names."""

from __future__ import annotations

import json
from pathlib import Path

import equityaudit as ea
from equityaudit.report.html import render_html
from equityaudit.report.markdown import render_markdown
from equityaudit.results import read_result
from paths import ROOT


def test_hiring_stage_tables_and_findings_carry_their_stage() -> None:
    result = ea.run(ROOT / "audits" / "hiring.yaml")
    staged = {t.name: (t.stage, t.cumulative) for t in result.tables if t.stage is not None}
    # the example funnel applied → interview → offer: two stages after the first, each with a
    # stage-to-stage and a cumulative table, by sex, race/ethnicity and their cross
    assert {stage for stage, _ in staged.values()} == {"interview", "offer"}
    assert staged["stage:offer_cumulative_rate:sex"] == ("offer", True)
    assert staged["stage:interview_rate:race_ethnicity"] == ("interview", False)
    assert all(f.stage == staged[f.table][0] for f in result.findings if f.table in staged)
    assert all(f.stage is None for f in result.findings if f.table not in staged)


def test_marketing_tables_carry_subject_estimate_and_direction() -> None:
    result = ea.run(ROOT / "audits" / "marketing.yaml")
    by_name = {t.name: t for t in result.tables}
    premium = by_name["segment premium by sex"]
    assert (premium.subject, premium.estimated, premium.favourable) == ("segment premium", False, True)
    estimated = [t for t in result.tables if t.name.endswith("(estimated)")]
    assert estimated and all(t.estimated for t in estimated)
    unfavourable = [t for t in result.tables if str(t.methods.get("ratio", "")).startswith("unfavourable")]
    assert unfavourable and all(not t.favourable for t in unfavourable)


def test_a_result_written_before_the_fields_renders_the_same(tmp_path: Path) -> None:
    """A stored result without the fields (as written before they existed) reads them from its names."""
    for spec in ("hiring.yaml", "marketing.yaml"):
        result = ea.run(ROOT / "audits" / spec)
        payload = json.loads(result.to_json())
        for table in payload["tables"]:
            for field in ("stage", "cumulative", "subject", "estimated", "favourable"):
                del table[field]
        for finding in payload["findings"]:
            del finding["stage"]
        old = tmp_path / f"old-{spec}.json"
        old.write_text(json.dumps(payload))
        upgraded = read_result(old)
        assert [t.model_dump() for t in upgraded.tables] == [t.model_dump() for t in result.tables]
        assert [f.model_dump() for f in upgraded.findings] == [f.model_dump() for f in result.findings]
        assert render_markdown(upgraded) == render_markdown(result)
        assert render_html(upgraded) == render_html(result)
