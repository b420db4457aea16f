"""Pooled collective audits, suppression, benchmark and results views."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from registry_kit import BIG, RETAIL, Setup, audit, member_frame
from statsmodels.stats.contingency_tables import StratifiedTable

import equityaudit as ea
import equityaudit.engine
from equityaudit.errors import UndefinedMetricWarning
from equityaudit.registry.pooling import pool_counts, pooled_audit
from equityaudit.registry.suppression import suppress
from equityaudit.spec_loading import spec_from_mapping
from equityaudit.standards import find_standard

SMALL = {  # a small member: one cell of 4 people
    ("W", "under40"): (40, 16),
    ("W", "over 40"): (4, 1),
    ("m", "under40"): (35, 14),
    ("m", "over 40"): (30, 13),
}


def _rows(table: Any) -> list[dict[str, Any]]:
    return [dict(row) for row in table.rows]


def test_pooled_counts_are_the_sums_of_members_counts(setup: Setup) -> None:
    setup.publish()
    alice, bob = setup.add_member("alice"), setup.add_member("bob")
    one, two = audit(member_frame(BIG)), audit(member_frame(SMALL))
    assert alice.submit(alice.sign(one)).status_code == 201
    assert bob.submit(bob.sign(two)).status_code == 201
    pooled = setup.http.get(f"/v1/standards/{RETAIL}/pooled", headers=setup.admin()).json()["result"]
    expected: dict[tuple[str, ...], dict[str, int]] = {}
    for result in (one, two):
        for row in result.counts[0].rows:
            cell = expected.setdefault(tuple(row["group"].values()), {"n": 0, "selected": 0})
            cell["n"] += row["n"]
            cell["selected"] += row["selected"]
    assert expected[("Female", "40 and over")] == {"n": 84, "selected": 25}  # 80 + 4, 24 + 1: by hand
    shown = {
        (r["group"]["sex"], r["group"]["age_band"]): {"n": r["n"], "selected": r["selected"]}
        for r in pooled["counts"][0]["rows"]
    }
    assert shown == expected
    assert pooled["data"]["rows"] == 420 + 109
    assert pooled["audit"]["standard"] == {
        "id": "retail-screening",
        "version": "2026.1",
        "sha256": find_standard(RETAIL).sha256,
    }
    assert pooled["context"]["pooled"]["members"] == 2


RETAIL_SPEC = {
    "equityaudit": 1,
    "name": "all",
    "auditor": "decisions",
    "standard": RETAIL,
    "data": {},
    "columns": {"sensitive": ["gender", "age_group"], "decision": "hired"},
}
"""A single audit under the consortium standard of every member's rows together."""


def _concatenated_audit(frames: list[pd.DataFrame], spec: dict[str, Any]) -> Any:
    return equityaudit.engine.run_spec(spec_from_mapping(spec), frame=pd.concat(frames, ignore_index=True))


def test_pooled_metrics_equal_a_single_audit_of_the_concatenated_data() -> None:
    standard = find_standard(RETAIL)
    frames = [member_frame(BIG), member_frame(SMALL), member_frame(BIG, labels={"F": "woman", "M": "men"})]
    results = [audit(frame) for frame in frames]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        tables, findings = pooled_audit(
            standard, pool_counts(standard, [r.counts[0].model_dump() for r in results])
        )
    single = _concatenated_audit(frames, RETAIL_SPEC)
    assert [t.model_dump() for t in tables] == [t.model_dump() for t in single.tables]
    assert [f.model_dump() for f in findings] == [f.model_dump() for f in single.findings]
    women_over_40 = next(f for f in findings if f.group == {"sex": "Female", "age_band": "40 and over"})
    assert women_over_40.details["selected"] == 24 + 1 + 24 and women_over_40.details["n"] == 80 + 4 + 80


def test_the_pooled_route_gives_the_verdict_and_findings_of_a_single_audit(setup: Setup) -> None:
    """Over HTTP, as a member sees it: three members submit (no cell under the minimum, so nothing
    is suppressed); the pooled view's tables, findings and verdict are a single audit's of the three
    members' rows concatenated."""
    setup.publish()
    other = {("F", "<40"): (100, 41), ("F", "40+"): (70, 20), ("M", "<40"): (110, 60), ("M", "40+"): (60, 30)}
    frames = [member_frame(BIG), member_frame(BIG, labels={"F": "woman", "M": "men"}), member_frame(other)]
    members = [setup.add_member(name) for name in ("alice", "bob", "carol")]
    for member, frame in zip(members, frames, strict=True):
        assert member.submit(member.sign(audit(frame))).status_code == 201
    answer = setup.http.get(f"/v1/standards/{RETAIL}/pooled", headers=members[0].headers())
    assert answer.status_code == 200, answer.text
    pooled = ea.AuditResult.model_validate(answer.json()["result"])
    single = _concatenated_audit(frames, RETAIL_SPEC)
    summed = [t for t in pooled.tables if not t.name.startswith("stratified:")]
    assert [t.model_dump() for t in summed] == [t.model_dump() for t in single.tables]
    assert [(f.id, f.value, f.ci_low, f.ci_high, f.p_adjusted, f.status) for f in pooled.findings] == [
        (f.id, f.value, f.ci_low, f.ci_high, f.p_adjusted, f.status) for f in single.findings
    ]
    assert pooled.verdict == single.verdict
    assert pooled.context["pooled"]["members"] == 3


def test_pooled_ll144_equals_a_single_hiring_audit_of_the_concatenated_data() -> None:
    standard = find_standard("nyc-ll144@2023")
    halves = [ea.make_hiring(3000, seed=1), ea.make_hiring(2500, seed=2)]
    spec = {
        "equityaudit": 1,
        "name": "ll144",
        "auditor": "hiring",
        "standard": "nyc-ll144@2023",
        "data": {},
        "columns": {"sensitive": ["sex", "race_ethnicity"], "decision": "advanced"},
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        members = [equityaudit.engine.run_spec(spec_from_mapping(spec), frame=half) for half in halves]
        tables, findings = pooled_audit(
            standard, pool_counts(standard, [m.counts[0].model_dump() for m in members])
        )
        single = _concatenated_audit(halves, spec)
    assert [t.model_dump() for t in tables] == [t.model_dump() for t in single.tables]
    assert [(f.id, f.value, f.p_adjusted, f.status) for f in findings] == [
        (f.id, f.value, f.p_adjusted, f.status) for f in single.findings
    ]


def test_suppression_hides_small_cells_and_their_complements() -> None:
    by = ("sex", "age")
    finest = {("F", "a"): 5, ("F", "b"): 30, ("F", "c"): 40, ("M", "a"): 50, ("M", "b"): 60, ("M", "c"): 70}
    hidden = suppress(finest, by, min_cell=11)
    cross = hidden[by]
    assert ("F", "a") in cross  # primary
    # its row (F) and its column (a) each hide a second cell, so neither total gives it away
    assert len({c for c in cross if c[0] == "F"}) >= 2 and len({c for c in cross if c[1] == "a"}) >= 2
    for line in [[c for c in finest if c[0] == s] for s in "FM"] + [
        [c for c in finest if c[1] == a] for a in "abc"
    ]:
        assert sum(c in cross for c in line) != 1
    assert hidden[("sex",)] == set() and hidden[("age",)] == set() and hidden[()] == set()


def test_a_small_category_is_hidden_with_a_second_one_in_its_table() -> None:
    finest = {("A",): 4, ("B",): 30, ("C",): 50}
    hidden = suppress(finest, ("race",), min_cell=11)
    assert hidden[("race",)] == {("A",), ("B",)}  # B, the smallest other, or A = total - B - C


def test_a_hidden_total_is_not_left_derivable_from_its_parts() -> None:
    finest = {("F", "a"): 6, ("F", "b"): 3, ("M", "a"): 40, ("M", "b"): 45}
    hidden = suppress(finest, ("sex", "age"), min_cell=11)
    assert ("F",) in hidden[("sex",)] and ("M",) in hidden[("sex",)]  # F (9) is small, so M = total - F hides
    assert hidden[("sex", "age")] >= {("F", "a"), ("F", "b")}
    for parent in hidden[("sex",)]:  # no hidden total is the sum of shown parts
        parts = [c for c in finest if c[0] == parent[0]]
        assert any(c in hidden[("sex", "age")] for c in parts)


def test_pooled_view_suppresses_small_cells(setup: Setup) -> None:
    setup.publish()
    alice = setup.add_member("alice")
    assert alice.submit(alice.sign(audit(member_frame(SMALL)))).status_code == 201
    result = setup.http.get(f"/v1/standards/{RETAIL}/pooled", headers=setup.admin()).json()["result"]
    counts = {tuple(r["group"].values()): r for r in result["counts"][0]["rows"]}
    # (Female, 40+) has 4: hidden; every line of the 2x2 then needs a second hidden cell: all four go
    assert all(row == {"group": row["group"], "suppressed": True} for row in counts.values())
    cross = next(t for t in result["tables"] if t["name"] == "sex*age_band")
    assert all(row["n"] is None and row["suppressed"] for row in cross["rows"])
    sex = next(t for t in result["tables"] if t["name"] == "sex")
    assert {r["group"]["sex"]: r["n"] for r in sex["rows"]} == {"Female": 44, "Male": 65}
    hidden = [f for f in result["findings"] if f["table"] == "sex*age_band"]
    assert hidden and all(f["value"] is None and f["details"] == {"suppressed": True} for f in hidden)
    assert result["context"]["suppressed_cells"] == 4
    assert "4 cell(s) suppressed" in result["notes"][-1]


def test_pooled_view_filters_by_vendor_tool(setup: Setup) -> None:
    setup.publish()
    alice, bob = setup.add_member("alice"), setup.add_member("bob")
    alice.submit(alice.sign(audit(member_frame(BIG)), tool="ScreenPro", vendor="Acme"))
    bob.submit(bob.sign(audit(member_frame(BIG), name="b"), tool="HireFast", vendor="Other"))
    both = setup.http.get(f"/v1/standards/{RETAIL}/pooled", headers=setup.admin()).json()["result"]
    only = setup.http.get(f"/v1/standards/{RETAIL}/pooled?tool=ScreenPro", headers=setup.admin()).json()[
        "result"
    ]
    assert both["data"]["rows"] == 840 and only["data"]["rows"] == 420
    assert only["context"]["pooled"]["filters"] == {"tool": "ScreenPro"}
    none = setup.http.get(f"/v1/standards/{RETAIL}/pooled?vendor=Nobody", headers=setup.admin())
    assert none.status_code == 404


def _cells(selected_old_women: int) -> dict[tuple[str, str], tuple[int, int]]:
    return {**BIG, ("F", "40+"): (80, selected_old_women)}


def test_benchmark_shows_distributions_and_the_callers_percentile(setup: Setup) -> None:
    setup.publish()
    members = [setup.add_member(name) for name in ("alice", "bob", "carol")]
    for member, selected in zip(members, (16, 24, 32), strict=True):
        assert (
            member.submit(member.sign(audit(member_frame(_cells(selected)), name=member.name))).status_code
            == 201
        )
    view = setup.http.get(f"/v1/standards/{RETAIL}/benchmark", headers=members[1].headers()).json()
    by_id = {m["id"]: m for m in view["metrics"]}
    rate = by_id["rate:sex*age_band/selection_rate/Female/40 and over"]
    # the rates themselves, from each member's counts: 16/80, 24/80, 32/80 = 0.2, 0.3, 0.4
    assert (rate["statistic"], rate["members"], rate["yours"]) == ("rate", 3, pytest.approx(0.3))
    # no member's own value: each quantile is the mean of the three members nearest it, (0.2+0.3+0.4)/3
    assert rate["distribution"] == pytest.approx({"p25": 0.3, "median": 0.3, "p75": 0.3})
    metric = by_id["impact_ratio:sex*age_band/selection_rate/Female/40 and over"]
    # ratios to the max-rate group (Male, Under 40: 65/130 = 0.5): 16/80 / 0.5 = 0.4, 0.6, 0.8
    assert metric["statistic"] == "impact_ratio" and metric["members"] == 3
    assert metric["distribution"] == pytest.approx({"p25": 0.6, "median": 0.6, "p75": 0.6})
    assert metric["yours"] == pytest.approx(0.6)
    assert metric["percentile"] == 50.0  # one below, one equal (half), one above, of three
    observer = setup.add_member("olga", role="observer")
    seen = setup.http.get(f"/v1/standards/{RETAIL}/benchmark", headers=observer.headers()).json()
    assert next(m for m in seen["metrics"] if m["id"] == metric["id"])["yours"] is None


def test_benchmark_hides_distributions_of_fewer_than_three_members(setup: Setup) -> None:
    setup.publish()
    alice, bob = setup.add_member("alice"), setup.add_member("bob")
    assert alice.submit(alice.sign(audit(member_frame(BIG)))).status_code == 201
    assert bob.submit(bob.sign(audit(member_frame(SMALL), name="b"))).status_code == 201
    view = setup.http.get(f"/v1/standards/{RETAIL}/benchmark", headers=alice.headers()).json()
    assert all(m["distribution"] is None and m["percentile"] is None for m in view["metrics"])
    small = [m for m in view["metrics"] if m["id"].endswith("Female/40 and over")]
    assert small[0]["members"] == 1  # Bob's 4 women over 40 are below the minimum cell size: left out


def test_results_are_pseudonymous_unless_a_member_opts_in(setup: Setup) -> None:
    setup.publish()
    alice, bob = setup.add_member("alice"), setup.add_member("bob")
    assert alice.submit(alice.sign(audit(member_frame(BIG)))).status_code == 201
    assert bob.submit(bob.sign(audit(member_frame(SMALL), name="b"))).status_code == 201
    view = setup.http.get(f"/v1/standards/{RETAIL}/results", headers=alice.headers()).json()
    names = [r["member"] for r in view["results"]]
    assert "alice" not in names and "bob" not in names
    assert all(name.startswith("member-") and len(name) == 15 for name in names)
    assert [r["yours"] for r in view["results"]] == [True, False]
    bobs = view["results"][1]["findings"]
    assert (
        next(f for f in bobs if f["id"].endswith("Female/40 and over"))["value"] is None
    )  # 4 people: hidden
    assert setup.http.patch("/v1/me", json={"public": True}, headers=bob.headers()).json()["public"] is True
    named = setup.http.get(f"/v1/standards/{RETAIL}/results", headers=alice.headers()).json()
    assert [r["member"] for r in named["results"]][1] == "bob"
    assert "counts" not in named["results"][0]


def test_a_suppressed_pooled_result_renders_as_the_usual_reports(setup: Setup, tmp_path: Any) -> None:
    from equityaudit.report import write_reports
    from equityaudit.results import AuditResult

    setup.publish()
    alice = setup.add_member("alice")
    assert alice.submit(alice.sign(audit(member_frame(SMALL)))).status_code == 201
    payload = setup.http.get(f"/v1/standards/{RETAIL}/pooled", headers=setup.admin()).json()["result"]
    files = write_reports(AuditResult.model_validate(payload), tmp_path, ("json", "md", "html", "junit"))
    assert [p.suffix for p in files.written] == [".json", ".md", ".html", ".xml"]
    assert "suppressed" in (tmp_path / f"{payload['audit']['name']}.md").read_text()


def test_a_member_of_a_pool_of_fewer_than_three_cannot_view_it(setup: Setup) -> None:
    # with two members, the pool minus alice's own counts is bob's counts: alice is refused
    setup.publish()
    members = [setup.add_member(name) for name in ("alice", "bob", "carol")]
    for member in members[:2]:
        assert member.submit(member.sign(audit(member_frame(BIG)))).status_code == 201
    refused = setup.http.get(f"/v1/standards/{RETAIL}/pooled", headers=members[0].headers())
    assert refused.status_code == 403
    assert refused.json()["error"] == (
        f"the pooled view of {RETAIL} holds the counts of 2 member(s), yours among them; a pool of fewer "
        "than 3 members is shown only to the admin, as it would reveal a member's own counts (one member), "
        "or the other's to a member who subtracts its own (two). Pool with fewer filters, or wait until "
        "more members submit."
    )
    observer = setup.add_member("olga", role="observer")  # two members' counts side by side: refused too
    assert setup.http.get(f"/v1/standards/{RETAIL}/pooled", headers=observer.headers()).status_code == 403
    assert setup.http.get(f"/v1/standards/{RETAIL}/pooled", headers=setup.admin()).status_code == 200
    # a third member: no single other member's counts can be isolated any more
    assert members[2].submit(members[2].sign(audit(member_frame(BIG)))).status_code == 201
    assert setup.http.get(f"/v1/standards/{RETAIL}/pooled", headers=members[0].headers()).status_code == 200


def test_a_filtered_pool_of_fewer_than_three_members_is_refused_to_all_but_the_admin(setup: Setup) -> None:
    setup.publish()
    alice, bob, carol = (setup.add_member(name) for name in ("alice", "bob", "carol"))
    assert alice.submit(alice.sign(audit(member_frame(BIG), name="a"), tool="Tiny")).status_code == 201
    for member in (bob, carol):
        signed = member.sign(audit(member_frame(BIG), name=member.name), tool="ScreenPro", vendor="Acme")
        assert member.submit(signed).status_code == 201
    observer = setup.add_member("olga", role="observer")
    everyone = f"/v1/standards/{RETAIL}/pooled"
    assert setup.http.get(everyone, headers=bob.headers()).status_code == 200  # three members
    for query, members in (("?tool=Tiny", 1), ("?tool=ScreenPro", 2), ("?vendor=Acme", 2)):
        for who in (alice, bob, carol, observer):  # in the pool or not, member or observer
            refused = setup.http.get(everyone + query, headers=who.headers())
            assert refused.status_code == 403, (query, who.name)
            assert f"holds the counts of {members} member(s)" in refused.json()["error"]
        admin = setup.http.get(everyone + query, headers=setup.admin()).json()["result"]
        assert admin["data"]["rows"] == 420 * members  # BIG: 120 + 80 + 130 + 90 applicants each
    tiny = setup.http.get(everyone + "?tool=Tiny", headers=bob.headers()).json()["error"]
    assert tiny.startswith(f"the pooled view of {RETAIL} (tool 'Tiny') holds the counts of 1 member(s); ")


def test_one_members_several_tools_are_not_a_benchmark_distribution(setup: Setup) -> None:
    setup.publish()
    alice, bob = setup.add_member("alice"), setup.add_member("bob")
    for i, tool in enumerate(("T1", "T2", "T3")):  # one member, three tools: three latest submissions
        signed = alice.sign(audit(member_frame(_cells(16 + 8 * i)), name=tool), tool=tool, vendor="Acme")
        assert alice.submit(signed).status_code == 201
    assert bob.submit(bob.sign(audit(member_frame(BIG), name="b"), vendor="Other")).status_code == 201
    observer = setup.add_member("olga", role="observer")
    for who in (bob, observer):
        view = setup.http.get(f"/v1/standards/{RETAIL}/benchmark?vendor=Acme", headers=who.headers()).json()
        assert view["members"] == 1
        assert view["metrics"] and all(m["members"] == 1 and m["submissions"] == 3 for m in view["metrics"])
        assert all(m["distribution"] is None and m["percentile"] is None for m in view["metrics"])


def test_a_member_cannot_subtract_a_filtered_pool_from_the_whole_one(setup: Setup) -> None:
    # a, b, c use tool X and d tool Y: the whole pool minus the tool-X pool is d's counts alone
    setup.publish()
    members = [setup.add_member(name) for name in ("a", "b", "c", "d")]
    for member, tool in zip(members, ("X", "X", "X", "Y"), strict=True):
        assert (
            member.submit(member.sign(audit(member_frame(BIG), name=member.name), tool=tool)).status_code
            == 201
        )
    observer = setup.add_member("olga", role="observer")
    everyone = f"/v1/standards/{RETAIL}/pooled"
    assert setup.http.get(everyone, headers=members[0].headers()).status_code == 200  # four members
    refused = setup.http.get(everyone + "?tool=X", headers=members[0].headers())
    assert refused.status_code == 403
    assert "filtered by tool 'X' is shown to the admin and observers only" in refused.json()["error"]
    watched = setup.http.get(everyone + "?tool=X", headers=observer.headers())
    assert watched.status_code == 403
    assert "differs from the pool with no filter by the submissions of 1 member(s)" in watched.json()["error"]
    assert setup.http.get(everyone + "?tool=X", headers=setup.admin()).status_code == 200
    for name in ("e", "f"):  # two more tool-Y members: the filter now leaves out three of today's six
        member = setup.add_member(name)
        assert member.submit(member.sign(audit(member_frame(BIG), name=name), tool="Y")).status_code == 201
    # ... but the whole pool of a, b, c and d was shown before: it minus the tool-X pool is d's counts
    shown = setup.http.get(everyone + "?tool=X", headers=observer.headers())
    assert shown.status_code == 403
    assert (
        "differs from a pool shown earlier by the submissions of fewer than 3 members"
        in shown.json()["error"]
    )
    assert (
        setup.http.get(everyone + "?tool=X", headers=setup.admin()).json()["result"]["data"]["rows"]
        == 3 * 420
    )


def test_the_pooled_view_combines_members_as_strata_and_says_when_summing_misleads(setup: Setup) -> None:
    """Simpson's paradox across employers: within each member women are selected at 0.8 of men's
    rate or better, but the member that selects few people hires mostly women, so the summed counts
    put women at 0.55. The stratified table gives statsmodels' Mantel–Haenszel ratio and says the
    two conclusions differ."""
    setup.publish()
    few = {("F", "<40"): (300, 24), ("F", "40+"): (100, 8), ("M", "<40"): (60, 6), ("M", "40+"): (40, 4)}
    many = {
        ("F", "<40"): (60, 36),
        ("F", "40+"): (40, 24),
        ("M", "<40"): (240, 180),
        ("M", "40+"): (160, 120),
    }
    mid = {("F", "<40"): (100, 40), ("F", "40+"): (100, 40), ("M", "<40"): (100, 45), ("M", "40+"): (100, 45)}
    members = [setup.add_member(name) for name in ("alice", "bob", "carol")]
    for member, cells in zip(members, (few, many, mid), strict=True):
        assert member.submit(member.sign(audit(member_frame(cells)))).status_code == 201
    answer = setup.http.get(f"/v1/standards/{RETAIL}/pooled", headers=setup.admin())
    assert answer.status_code == 200, answer.text
    pooled = ea.AuditResult.model_validate(answer.json()["result"])
    table = next(t for t in pooled.tables if t.name == "stratified:sex")
    assert table.reference == {"sex": "Male"}
    women = next(r for r in table.rows if r["group"] == {"sex": "Female"})
    # per member, women (selected, n) against men (selected, n), ages summed by hand
    a, n1 = [32, 60, 80], [400, 100, 200]
    c, n0 = [10, 300, 90], [100, 400, 200]
    tables = [[[a[i], n1[i] - a[i]], [c[i], n0[i] - c[i]]] for i in range(3)]
    reference = StratifiedTable([np.array(t, dtype=float) for t in tables])  # a list of 2x2 tables
    assert women["stratified_ratio"] == pytest.approx(reference.riskratio_pooled, rel=1e-12)
    assert women["cmh_p_value"] == pytest.approx(reference.test_null_odds().pvalue, rel=1e-9)
    assert women["homogeneity_p_value"] == pytest.approx(
        reference.test_equal_odds(adjust=True).pvalue, rel=1e-9
    )
    assert women["summed_ratio"] == pytest.approx((172 / 700) / (400 / 700))  # 0.43: below 0.8
    assert women["stratified_ratio"] >= 0.8 and women["conclusions_differ"] is True
    assert women["members"] == 3
    assert any(
        "stratified:sex: Female against Male has a summed impact ratio of 0.430" in n for n in pooled.notes
    )
