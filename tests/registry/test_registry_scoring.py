"""Pooled LL144 scoring rates: members' audits by score combined by Mantel–Haenszel, never summed.

A member's scoring rate is the share of a group scoring above that member's own median, so two
members' ``above`` counts do not add up. The pooled view of a hiring standard keeps each scoring
audit a stratum; every figure here is checked against statsmodels' ``StratifiedTable`` on the
members' tables written below, and the members' scoring submissions obey the disclosure rules of
the summed counts (threshold, dominance, release memory, differencing).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from registry_kit import Member, Setup, data_digest
from statsmodels.stats.contingency_tables import StratifiedTable

import equityaudit as ea
import equityaudit.engine
from equityaudit.errors import UndefinedMetricWarning
from equityaudit.registry.stratification import scoring_tables
from equityaudit.report import write_reports
from equityaudit.report.markdown import render_markdown
from equityaudit.signing import sign_result
from equityaudit.spec import Thresholds
from equityaudit.spec_loading import spec_from_mapping

LL144 = "nyc-ll144@2023"
POOLED = f"/v1/standards/{LL144}/pooled"
SEX = {"F": "Female", "M": "Male"}
RACE = {"W": "White", "B": "Black or African American"}

Cells = dict[tuple[str, str], tuple[int, ...]]

# Each member's applicants by (sex, race): (applicants, scoring above the member's own median[,
# selected]). Fewer than half of each member's applicants score above, so its median is the low
# score (0) and "above" is exactly the applicants given the high score (10).
ALPHA: Cells = {("F", "W"): (60, 10), ("F", "B"): (40, 6), ("M", "W"): (80, 20), ("M", "B"): (40, 8)}
BRAVO: Cells = {("F", "W"): (30, 9), ("F", "B"): (20, 5), ("M", "W"): (50, 20), ("M", "B"): (30, 10)}
CHARLIE: Cells = {("F", "W"): (100, 15), ("F", "B"): (50, 5), ("M", "W"): (90, 30), ("M", "B"): (60, 15)}
DELTA: Cells = {("F", "W"): (40, 12), ("F", "B"): (30, 3), ("M", "W"): (70, 25), ("M", "B"): (30, 9)}


def scoring_frame(cells: Cells) -> pd.DataFrame:
    """A member's applicants: the ``above`` of each cell score 10, the rest 0 (and the first
    ``selected`` of each cell advanced, when given)."""
    rows = []
    for (sex, race), (n, above, *selected) in cells.items():
        for i in range(n):
            row = {"sex": SEX[sex], "race_ethnicity": RACE[race], "screen_score": 10 if i < above else 0}
            if selected:
                row["advanced"] = int(i >= n - selected[0])
            rows.append(row)
    return pd.DataFrame(rows)


def ll144_audit(cells: Cells, *, name: str, scores: bool = True) -> ea.AuditResult:
    frame = scoring_frame(cells)
    columns: dict[str, Any] = {"sensitive": ["sex", "race_ethnicity"]}
    if scores:
        columns["score"] = "screen_score"
    if "advanced" in frame:
        columns["decision"] = "advanced"
    spec = {
        "equityaudit": 1,
        "name": name,
        "auditor": "hiring",
        "standard": LL144,
        "data": {},
        "columns": columns,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        return equityaudit.engine.run_spec(spec_from_mapping(spec), frame=frame)


def submit(member: Member, cells: Cells, *, scores: bool = True, **metadata: str) -> int:
    name = f"{member.name}-{len(cells)}-{sum(v[0] for v in cells.values())}"
    result = ll144_audit(cells, name=name, scores=scores)
    envelope = sign_result(result.to_dict(), member.key, data_digest=data_digest(result), metadata=metadata)
    answer = member.submit(envelope)
    assert answer.status_code == 201, answer.text
    return int(answer.json()["seq"])


def _margin(cells: Cells, group: tuple[str | None, str | None]) -> tuple[int, int]:
    """(above, n) of the applicants in ``group`` ((sex, race), None for any)."""
    inside = [v for (sex, race), v in cells.items() if group[0] in (None, sex) and group[1] in (None, race)]
    return sum(v[1] for v in inside), sum(v[0] for v in inside)


def statsmodels_table(
    members: list[Cells], group: tuple[Any, Any], reference: tuple[Any, Any]
) -> StratifiedTable:
    """One 2x2 table per member: rows the group and the reference, columns above and not above."""
    tables = []
    for cells in members:
        a, n1 = _margin(cells, group)
        c, n0 = _margin(cells, reference)
        tables.append(np.array([[a, n1 - a], [c, n0 - c]], dtype=float))
    return StratifiedTable(tables)


def key(group: dict[str, str]) -> tuple[str | None, str | None]:
    """A table's group as (sex, race) in the members' short labels, None for an attribute not in it."""
    short = {v: k for k, v in {**SEX, **RACE}.items()}
    return short.get(group.get("sex", "")), short.get(group.get("race_ethnicity", ""))


def _scoring(result: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in result["tables"] if t["name"] == f"stratified:scoring:{name}")


def _row(table: dict[str, Any], group: dict[str, str]) -> dict[str, Any]:
    return next(r for r in table["rows"] if r["group"] == group)


def _publish_ll144(setup: Setup) -> None:
    setup.publish(LL144)


def test_the_frames_score_above_their_own_median_as_written() -> None:
    """The members' tables above are what the hiring auditor counts: ``above`` per cell, by hand."""
    for cells in (ALPHA, BRAVO, CHARLIE, DELTA):
        frame = scoring_frame(cells)
        median = frame["screen_score"].median()
        assert median == 0  # fewer than half score 10
        counted = frame.assign(above=frame["screen_score"] > median).groupby(["sex", "race_ethnicity"])[
            "above"
        ]
        assert {k: int(v) for k, v in counted.sum().items()} == {
            (SEX[s], RACE[r]): above for (s, r), (_, above, *_) in cells.items()
        }
        result = ll144_audit(cells, name="check")
        stored = {tuple(row["group"].values()): row["above"] for row in result.counts[0].rows}
        assert stored == {(SEX[s], RACE[r]): above for (s, r), (_, above, *_) in cells.items()}


def test_scoring_tables_equal_statsmodels_on_members_tables() -> None:
    """The Mantel–Haenszel ratio, CMH and Breslow–Day (Tarone) p-values of every comparison of
    every table, and the reference (the category with the largest ratio against the largest one),
    each from statsmodels on the same per-member tables."""
    members = [ALPHA, BRAVO, CHARLIE, DELTA]
    strata = [
        (i, {(SEX[s], RACE[r]): (v[1], v[0]) for (s, r), v in cells.items()})
        for i, cells in enumerate(members)
    ]
    orders = {"sex": ["Male", "Female"], "race_ethnicity": list(RACE.values())}
    tables = scoring_tables(strata, ["sex", "race_ethnicity"], orders, Thresholds(), {})
    assert [t.name for t in tables] == [
        "stratified:scoring:sex",
        "stratified:scoring:race_ethnicity",
        "stratified:scoring:sex*race_ethnicity",
    ]
    for table in tables:
        groups = [key(r["group"]) for r in table.rows] + [key(table.reference or {})]
        sizes = {g: sum(_margin(m, g)[1] for m in members) for g in groups}
        base = max(groups, key=lambda g: sizes[g])
        ratios = {
            g: 1.0 if g == base else statsmodels_table(members, g, base).riskratio_pooled for g in groups
        }
        assert key(table.reference or {}) == max(groups, key=lambda g: ratios[g]), table.name
        for row in table.rows:
            reference = statsmodels_table(members, key(row["group"]), key(table.reference or {}))
            assert row["stratified_ratio"] == pytest.approx(reference.riskratio_pooled, rel=1e-12)
            assert row["cmh_p_value"] == pytest.approx(reference.test_null_odds().pvalue, rel=1e-9)
            assert row["homogeneity_p_value"] == pytest.approx(
                reference.test_equal_odds(adjust=True).pvalue, rel=1e-9
            )
            assert row["members"] == 4
            assert "summed_ratio" not in row and "conclusions_differ" not in row


def test_the_pooled_view_combines_scoring_only_members_as_strata(setup: Setup, tmp_path: Path) -> None:
    """Three members audited by score alone: the pooled view sums their applicants (``n``, never
    ``above``), judges nothing, and gives each comparison across the three audits as statsmodels does."""
    _publish_ll144(setup)
    members = [setup.add_member(name) for name in ("alpha", "bravo", "charlie")]
    for member, cells in zip(members, (ALPHA, BRAVO, CHARLIE), strict=True):
        submit(member, cells)
    answer = setup.http.get(POOLED, headers=members[0].headers())
    assert answer.status_code == 200, answer.text
    result = answer.json()["result"]
    assert result["data"]["rows"] == 220 + 130 + 300  # each member's applicants, by hand
    assert all("above" not in row for row in result["counts"][0]["rows"])
    assert all(t["name"].startswith("stratified:scoring:") for t in result["tables"])
    assert result["findings"] == [] and result["verdict"] == "pass"
    assert "submissions" not in result["context"]["pooled"]  # which log entries: the admin's only
    sex = _scoring(result, "sex")
    assert sex["reference"] == {"sex": "Male"}
    women = _row(sex, {"sex": "Female"})
    reference = statsmodels_table([ALPHA, BRAVO, CHARLIE], ("F", None), ("M", None))
    assert women["stratified_ratio"] == pytest.approx(reference.riskratio_pooled, rel=1e-12)
    assert women["cmh_p_value"] == pytest.approx(reference.test_null_odds().pvalue, rel=1e-9)
    assert women["homogeneity_p_value"] == pytest.approx(
        reference.test_equal_odds(adjust=True).pvalue, rel=1e-9
    )
    assert women["members"] == 3
    assert any("The summed scoring rate is not shown" in note for note in result["notes"])
    assert any("No finding is judged" in note for note in result["notes"])
    # every report renders it
    text = render_markdown(ea.AuditResult.model_validate(result))
    assert "stratified:scoring:sex" in text and "summed ratio" not in text
    files = write_reports(ea.AuditResult.model_validate(result), tmp_path, ("json", "md", "html", "junit"))
    assert [p.suffix for p in files.written] == [".json", ".md", ".html", ".xml"]
    assert "stratified:scoring:sex" in (tmp_path / f"{result['audit']['name']}.html").read_text()


def test_scoring_audits_are_combined_beside_the_summed_selections(setup: Setup) -> None:
    """Three members with decisions and scores, one by score alone: the selections of the three are
    summed and audited; the scores of all four are combined as strata."""
    _publish_ll144(setup)
    members = [setup.add_member(name) for name in ("alpha", "bravo", "charlie", "delta")]
    for member, cells in zip(members[:3], (ALPHA, BRAVO, CHARLIE), strict=True):
        submit(member, {cell: (n, above, above // 2 + 3) for cell, (n, above) in cells.items()})
    submit(members[3], DELTA)
    result = setup.http.get(POOLED, headers=setup.admin()).json()["result"]
    assert result["data"]["rows"] == 220 + 130 + 300  # the decisions' applicants; delta scored only
    assert result["context"]["pooled"]["members"] == 3
    assert len(result["context"]["pooled"]["scoring_submissions"]) == 4
    assert any(t["name"] == "sex" and t["metric"] == "selection_rate" for t in result["tables"])
    women = _row(_scoring(result, "race_ethnicity"), {"race_ethnicity": "Black or African American"})
    reference = statsmodels_table([ALPHA, BRAVO, CHARLIE, DELTA], (None, "B"), (None, "W"))
    assert _scoring(result, "race_ethnicity")["reference"] == {"race_ethnicity": "White"}
    assert women["stratified_ratio"] == pytest.approx(reference.riskratio_pooled, rel=1e-12)
    assert women["cmh_p_value"] == pytest.approx(reference.test_null_odds().pvalue, rel=1e-9)
    assert women["members"] == 4


def test_a_scoring_only_member_joining_is_held_back_like_any_other(setup: Setup) -> None:
    """An observer saw the scoring strata of alpha, bravo and charlie. Delta joins by score alone:
    the new strata beside the old would be the old plus delta's, so the old release is shown again
    (its figures unchanged) until three members' submissions set a new one apart. Before, scoring
    submissions were left out of the pool — and of the release memory."""
    _publish_ll144(setup)
    observer = setup.add_member("olga", role="observer")
    members = [setup.add_member(name) for name in ("alpha", "bravo", "charlie", "delta")]
    for member, cells in zip(members[:3], (ALPHA, BRAVO, CHARLIE), strict=True):
        submit(member, cells)
    first = setup.http.get(POOLED, headers=observer.headers()).json()["result"]
    submit(members[3], DELTA)
    held = setup.http.get(POOLED, headers=observer.headers()).json()["result"]
    assert held["data"]["rows"] == first["data"]["rows"] == 650
    assert _scoring(held, "sex") == _scoring(first, "sex")
    assert any("newer submissions join it" in note for note in held["notes"])
    admin = setup.http.get(POOLED, headers=setup.admin()).json()["result"]
    assert _row(_scoring(admin, "sex"), {"sex": "Female"})["members"] == 4


def test_a_scoring_cell_two_members_fill_shows_no_figure(setup: Setup) -> None:
    """Charlie has no Black applicants: the Black cells of the scoring strata hold two members'
    people each (alpha's and bravo's), so either could subtract its own part; their rows are
    hidden (and the cells that would give them away by subtraction). The admin sees them."""
    _publish_ll144(setup)
    members = [setup.add_member(name) for name in ("alpha", "bravo", "charlie")]
    white_only = {cell: value for cell, value in CHARLIE.items() if cell[1] == "W"}
    for member, cells in zip(members, (ALPHA, BRAVO, white_only), strict=True):
        submit(member, cells)
    result = setup.http.get(POOLED, headers=members[2].headers()).json()["result"]
    race = _scoring(result, "race_ethnicity")
    black = _row(race, {"race_ethnicity": "Black or African American"})
    assert black["suppressed"] is True and black["stratified_ratio"] is None and black["members"] is None
    cross = _scoring(result, "sex*race_ethnicity")
    for row in cross["rows"]:
        if row["group"]["race_ethnicity"] == "Black or African American":
            assert row["stratified_ratio"] is None
    admin = setup.http.get(POOLED, headers=setup.admin()).json()["result"]
    shown = _row(_scoring(admin, "race_ethnicity"), {"race_ethnicity": "Black or African American"})
    reference = statsmodels_table([ALPHA, BRAVO, white_only], (None, "B"), (None, "W"))
    assert shown["stratified_ratio"] == pytest.approx(reference.riskratio_pooled, rel=1e-12)
    assert shown["members"] == 2


def test_a_members_decisions_are_not_hidden_among_others_scores(setup: Setup) -> None:
    """Alpha, bravo, charlie and delta audit decisions and scores; the observer saw their pool.
    Delta resubmits, and echo and foxtrot join by score alone: the views differ by three members'
    submissions, but their summed selections by delta's alone (new minus old is delta's change).
    Each part of the view is compared on its own, so the old release is shown again."""
    _publish_ll144(setup)
    observer = setup.add_member("olga", role="observer")
    names = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot")
    members = [setup.add_member(name) for name in names]
    both = [
        {cell: (n, above, above // 2 + 3) for cell, (n, above) in c.items()} for c in (ALPHA, BRAVO, CHARLIE)
    ]
    for member, cells in zip(members[:4], [*both, both[0]], strict=True):
        submit(member, cells)
    first = setup.http.get(POOLED, headers=observer.headers()).json()["result"]
    assert first["data"]["rows"] == 220 + 130 + 300 + 220
    more = {cell: (n + 10, above, selected + 5) for cell, (n, above, selected) in both[0].items()}
    submit(members[3], more)
    submit(members[4], DELTA)
    submit(members[5], BRAVO)
    held = setup.http.get(POOLED, headers=observer.headers()).json()["result"]
    assert held["data"]["rows"] == first["data"]["rows"]  # not 40 more: delta's change stays hidden
    assert any("newer submissions join it" in note for note in held["notes"])


def test_a_filter_leaving_out_one_members_scores_is_refused(setup: Setup) -> None:
    """Under tool X: alpha to delta with decisions alone, echo to golf by score alone. Under tool Y:
    hotel by score alone, india to kilo with decisions alone. ``tool=X`` leaves out four members in all and
    three members' decisions — far enough apart for the summed counts — but of the scoring strata
    only hotel's audit: the whole pool's strata beside tool X's would be hotel's. Refused."""
    _publish_ll144(setup)
    observer = setup.add_member("olga", role="observer")
    with_decisions = {cell: (n, above, above // 2 + 3) for cell, (n, above) in ALPHA.items()}
    plan = [
        *((name, with_decisions, "X") for name in ("alpha", "bravo", "charlie", "delta")),
        *((name, BRAVO, "X") for name in ("echo", "foxtrot", "golf")),
        ("hotel", CHARLIE, "Y"),
        *((name, with_decisions, "Y") for name in ("india", "juliet", "kilo")),
    ]
    for name, cells, tool in plan:
        submit(setup.add_member(name), cells, scores=cells is not with_decisions, tool=tool)
    assert setup.http.get(POOLED, headers=observer.headers()).status_code == 200
    refused = setup.http.get(POOLED + "?tool=X", headers=observer.headers())
    assert refused.status_code == 403
    assert "by the submissions of 1 member(s) in the scoring strata" in refused.json()["error"]
    assert setup.http.get(POOLED + "?tool=X", headers=setup.admin()).status_code == 200
