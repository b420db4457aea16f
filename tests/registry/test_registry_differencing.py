"""A randomized adversary against the pooled views: no sequence of views isolates a member's counts.

Hypothesis draws a consortium (3 to 7 members, each with one or two tools, small random counts by
sex and age band, small cells included), submitted over HTTP, and a sequence of actions:
resubmissions, members joining, and pooled views asked by members (no filter) and by an observer
(random ``tool``/``vendor`` filters). A third of the consortia are built for an attack of three
views that no pair shows: three members under vendor V, three under vendor W and one under
vendor U, and in each round an observer asks for the whole pool, vendor V's and vendor W's in a
random order — the whole less the other two is vendor U's member. After each view the test
records what the caller was shown: every shown cell's ``n`` and ``selected`` per released table,
the grand total (``data.rows``), which groups exist, and the submissions the view pooled (the
registry names them to the admin only; the adversary is granted them anyway, read from the
registry's release step). It knows the ground truth — which member made which submission, with
which counts — and checks, for every member as the adversary (its own submissions known) and for
an observer with no submissions:

1. **Pairwise differencing**: two recorded views whose submissions differ only by one other
   member's (after the adversary takes out its own) never show, in a cell shown in both, a
   difference that is that member's non-zero contribution.
2. **Linear differencing across every view**: the shown cells of all recorded views, as linear
   equations in the submissions' cell sizes (the adversary's own known, groups not listed
   known empty), determine no other submission's non-zero size of any released cell, nor any
   member's total in a view (a target is determined exactly when it lies in the equations' row
   space: its projection on their null space is zero).
3. **Narrowing across every view**: each other submission's, and each other member's (in a view),
   small size of a released cell (1 to ``min_cell - 1``) has, given the same equations, that no
   count is negative and that a listed group holds someone, a feasible range (two linear programs,
   scipy's HiGHS) at least ``(min_cell - 1) // 2`` wide — the width the registry's own audit
   promises for a hidden cell.
4. **The LP audit of each view**: given everything the view shows, every hidden cell's feasible
   range is at least ``(min_cell - 1) // 2`` wide (:func:`feasible_ranges`).

Checks 1 and 3 were seen to fail with the registry's rule they guard switched off (query-set
control across releases; the dominance rule), and check 2 with the combinations of three or more
views switched off (:func:`equityaudit.registry.differencing.newly_isolated`), on the vendor
attacks of both halves. With the filter-lattice rule switched off they still pass: the memory of releases alone refuses every filtered pool these examples draw that is
one or two members apart from another view. Check 3 found that the grand total escaped the
dominance rule (the regression test at the end). Not checked: the stratified tables (a
Mantel–Haenszel ratio is not linear in the counts), the results and benchmark views.

The registry runs on SQLite only here (a fresh file per example): the storage backends are
compared by the rest of the registry suite, and this suite is about what the views disclose.
Bounded like the hostile suite (a fixed seed, a fixed number of examples, a deadline per
example): 20 examples in two halves of 10 with their own seeds, which pytest-xdist runs side by
side, about 27 s each on two idle cores.
"""

from __future__ import annotations

import itertools
import os
import warnings
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from registry_kit import BIG, RETAIL, Member, Setup, audit, member_frame

from equityaudit.errors import UndefinedMetricWarning
from equityaudit.registry import pooling
from equityaudit.registry.app import create_app
from equityaudit.registry.storage import Registry
from equityaudit.registry.suppression import feasible_ranges

BY = ("sex", "age_band")
SEXES = {"F": "Female", "M": "Male"}
AGES = {"<40": "Under 40", "40+": "40 and over"}
FINEST = [(sex, age) for sex in SEXES for age in AGES]
TABLES = {"sex": ("sex",), "age_band": ("age_band",), "sex*age_band": BY}
RELEASED: list[tuple[str, ...]] = [(), ("sex",), ("age_band",), BY]
MIN_CELL = 11  # retail-screening@2026.1's min_cell_size
MIN_WIDTH = (MIN_CELL - 1) // 2  # the width the LP audit promises (docs/consortium.md, Suppression)
TOOLS = [("X", "V"), ("Y", "V"), ("X", "W"), ("Y", "W")]

DIFFERENCING = settings(
    max_examples=10,  # per half: two halves of different seeds run side by side on pytest-xdist's workers
    deadline=timedelta(seconds=20),
    derandomize=False,  # each half has its own fixed @seed: the same consortia on every run
    database=None,
    phases=[p for p in Phase if p is not Phase.shrink or not os.environ.get("EQUITYAUDIT_NO_SHRINK")],
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

Cells = dict[tuple[str, str], tuple[int, int]]
Group = tuple[tuple[str, ...], tuple[str, ...]]


# ---- the consortium and the actions -------------------------------------------------------------


@st.composite
def cells(draw: st.DrawFn) -> Cells:
    """One submission's (applicants, selected) by sex and age band: small cells (1 to 10) and empty
    ones as often as large ones, at least two cells with people."""
    drawn: Cells = {}
    for cell in FINEST:
        n = draw(st.one_of(st.just(0), st.integers(1, MIN_CELL - 1), st.integers(MIN_CELL, 60)))
        drawn[cell] = (n, draw(st.integers(0, n)))
    if sum(n > 0 for n, _ in drawn.values()) < 2:
        drawn[FINEST[0]] = (drawn[FINEST[0]][0] + 12, drawn[FINEST[0]][1])
        drawn[FINEST[3]] = (drawn[FINEST[3]][0] + 15, drawn[FINEST[3]][1] + 3)
    return drawn


@dataclass
class Scenario:
    tools: list[list[tuple[str, str]]]  # each member's (tool, vendor) pairs
    first: int  # members submitting before any action
    initial: list[list[Cells]]  # each member's first submission per tool
    actions: list[tuple[Any, ...]]


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    # a third of the consortia are built for an attack of three views: vendor V's members, vendor
    # W's and one under vendor U, so that each vendor's pool passes every pairwise rule and the
    # whole pool less V's and W's is the last member's submission
    partitioned = draw(st.integers(0, 2)) == 0
    if partitioned:
        tools = [[("X", "V")]] * 3 + [[("X", "W")]] * 3 + [[("X", "U")]]
        size = first = len(tools)
    else:
        size = draw(st.integers(3, 7))
        common = draw(st.sampled_from(TOOLS))  # most members use one tool, so filtered pools can be shown
        tools = [
            draw(
                st.one_of(
                    st.just([common]),
                    st.lists(st.sampled_from(TOOLS), min_size=1, max_size=2, unique_by=lambda t: t[0]),
                )
            )
            for _ in range(size)
        ]
        first = draw(st.integers(3, size))
    initial = [[draw(cells()) for _ in member] for member in tools]
    joined = first
    actions: list[tuple[Any, ...]] = []
    for _ in range(draw(st.integers(1, 2) if partitioned else st.integers(2, 4))):  # changes, then views
        for _ in range(draw(st.integers(1, 3))):
            kind = draw(st.sampled_from(["resubmit", "wave", "wave", "join"]))
            if kind == "join" and joined < size:
                actions.append(("join", joined))
                joined += 1
            else:  # one member, or several at once (a new release needs three members' submissions)
                most = 1 if kind == "resubmit" else 4
                movers = draw(st.lists(st.integers(0, joined - 1), min_size=1, max_size=most, unique=True))
                for who in movers:
                    tool = draw(st.integers(0, len(tools[who]) - 1))
                    actions.append(("resubmit", who, tool, draw(cells())))
        if partitioned:  # the whole pool, vendor V's and vendor W's, in any order: the whole less both
            sweep: list[dict[str, str]] = [{}, {"vendor": "V"}, {"vendor": "W"}]
            actions += [("view", None, filters) for filters in draw(st.permutations(sweep))]
            continue
        for _ in range(draw(st.integers(1, 3))):
            if draw(st.booleans()):
                actions.append(("view", draw(st.integers(0, joined - 1)), {}))  # members: no filter
            else:
                tool = draw(st.sampled_from([None, "X", "Y"]))
                vendor = draw(st.sampled_from([None, "V", "W"]))
                filters = {k: v for k, v in (("tool", tool), ("vendor", vendor)) if v is not None}
                actions.append(("view", None, filters))
    return Scenario(tools, first, initial, actions)


# ---- what was submitted, and what a view showed ---------------------------------------------------


@dataclass
class Truth:
    """Who made each submission, and its (n, selected) per finest cell in the standard's names."""

    owner: dict[int, int] = field(default_factory=dict)
    counts: dict[int, dict[tuple[str, str], tuple[int, int]]] = field(default_factory=dict)

    def part(self, seq: int, table: tuple[str, ...], group: tuple[str, ...]) -> tuple[int, int]:
        n = selected = 0
        for cell, (cn, cs) in self.counts[seq].items():
            if tuple(cell[BY.index(a)] for a in table) == group:
                n, selected = n + cn, selected + cs
        return n, selected


@dataclass
class View:
    """What one pooled view showed its (non-admin) caller."""

    seqs: frozenset[int]
    shown: dict[Group, tuple[int, int]]  # (table, group) -> (n, selected); the total under ((), ())
    listed: set[tuple[str, str]]  # the finest groups the view lists (others are known empty)
    hidden: dict[tuple[str, ...], set[tuple[str, ...]]]


def _view(result: dict[str, Any], seqs: frozenset[int]) -> View:
    shown: dict[Group, tuple[int, int]] = {((), ()): (result["data"]["rows"], -1)}
    hidden: dict[tuple[str, ...], set[tuple[str, ...]]] = {t: set() for t in RELEASED}
    for table in result["tables"]:
        if table["name"] not in TABLES:
            continue
        attrs = TABLES[table["name"]]
        for row in table["rows"]:
            group = tuple(row["group"][a] for a in attrs)
            if row.get("n") is None:
                hidden[attrs].add(group)
            else:
                shown[(attrs, group)] = (row["n"], row["selected"])
    listed = {  # a group listed with n = 0 is as empty as one not listed; a hidden one holds someone
        (r["group"]["sex"], r["group"]["age_band"]) for r in result["counts"][0]["rows"] if r.get("n", 1) > 0
    }
    return View(seqs, shown, listed, hidden)


def _registry(folder: Path) -> tuple[Registry, TestClient, Setup]:
    registry = Registry.open(f"sqlite:///{folder / 'registry.sqlite3'}")
    token = registry.bootstrap()
    assert token is not None
    http = TestClient(create_app(registry, max_body=256 * 1024))
    return registry, http, Setup(registry, http, token)


def _submit(member: Member, index: int, tool: tuple[str, str], drawn: Cells, truth: Truth, who: int) -> None:
    name = f"{member.name}-{tool[0]}-{len(truth.owner)}"
    with warnings.catch_warnings():  # a member who selected nobody has no ratios: the result's notes say so
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        result = audit(member_frame(drawn), name=name)
    answer = member.submit(member.sign(result, tool=tool[0], vendor=tool[1]))
    assert answer.status_code == 201, answer.text
    seq = answer.json()["seq"]
    truth.owner[seq] = who
    truth.counts[seq] = {(SEXES[s], AGES[a]): v for (s, a), v in drawn.items() if v[0] > 0}


def run(scenario: Scenario, folder: Path) -> tuple[Truth, list[View]]:
    """Play the scenario against a fresh registry; return the ground truth and every view shown."""
    registry, http, setup = _registry(folder)
    truth = Truth()
    views: list[View] = []
    pooled: list[frozenset[int]] = []  # the submissions of each view the registry released

    def released(*args: Any, **kwargs: Any) -> tuple[list[Any], str | None]:
        rows, note = release(*args, **kwargs)
        pooled.append(frozenset(r.seq for r in rows))
        return rows, note

    release = pooling._released
    try:
        with http, mock.patch.object(pooling, "_released", released):
            setup.publish()
            observer = setup.add_member("olga", role="observer")
            members = [setup.add_member(f"m{i}") for i in range(len(scenario.tools))]

            def join(i: int) -> None:
                for tool, drawn in zip(scenario.tools[i], scenario.initial[i], strict=True):
                    _submit(members[i], i, tool, drawn, truth, i)

            for i in range(scenario.first):
                join(i)
            for action in scenario.actions:
                if action[0] == "join":
                    join(action[1])
                elif action[0] == "resubmit":
                    _, i, t, drawn = action
                    _submit(members[i], i, scenario.tools[i][t], drawn, truth, i)
                else:
                    _, i, filters = action
                    caller = observer if i is None else members[i]
                    pooled.clear()
                    answer = http.get(
                        f"/v1/standards/{RETAIL}/pooled", params=filters, headers=caller.headers()
                    )
                    assert answer.status_code in (200, 403, 404, 422), answer.text
                    if answer.status_code == 200:
                        views.append(_view(answer.json()["result"], pooled[-1]))
    finally:
        registry.engine.dispose()
    return truth, views


# ---- the adversary's checks -------------------------------------------------------------------------


def _true_cell(
    truth: Truth, seqs: frozenset[int], table: tuple[str, ...], group: tuple[str, ...]
) -> tuple[int, int]:
    parts = [truth.part(s, table, group) for s in seqs]
    return sum(p[0] for p in parts), sum(p[1] for p in parts)


def check_views_are_the_pools(truth: Truth, views: list[View]) -> None:
    """Every shown number is the sum of the pooled submissions' (so the model below is the registry's)."""
    for view in views:
        for (table, group), (n, selected) in view.shown.items():
            true_n, true_selected = _true_cell(truth, view.seqs, table, group)
            assert n == true_n and selected in (-1, true_selected), (table, group)


def pairwise_leaks(truth: Truth, views: list[View], adversary: int | None) -> list[str]:
    """Cells shown in two views whose submissions differ only by one member's besides the adversary's,
    where the difference less the adversary's own is that member's non-zero contribution."""
    leaks = []
    for one, two in itertools.combinations(views, 2):
        apart = one.seqs ^ two.seqs
        others = {truth.owner[s] for s in apart} - {adversary}
        if len(others) != 1:
            continue
        (member,) = others
        for key in one.shown.keys() & two.shown.keys():
            table, group = key
            own = [s for s in apart if truth.owner[s] == adversary]
            known = sum(truth.part(s, table, group)[0] * (1 if s in two.seqs else -1) for s in own)
            recovered = two.shown[key][0] - one.shown[key][0] - known
            theirs = [
                sum(truth.part(s, table, group)[0] for s in view.seqs if truth.owner[s] == member)
                for view in (one, two)
            ]
            if recovered != 0 and abs(recovered) in theirs and 0 in theirs:
                leaks.append(
                    f"adversary {adversary}: member {member}'s {table or 'total'} {group} = {abs(recovered)} "
                    f"by differencing views of submissions {sorted(one.seqs)} and {sorted(two.seqs)}"
                )
    return leaks


def _system(
    truth: Truth, views: list[View], adversary: int | None
) -> tuple[dict[tuple[int, tuple[str, str]], int], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """What the adversary knows as linear equations ``matrix @ x = values`` in the other
    submissions' finest cell sizes ``x``, and ``someone @ x >= least`` for the finest cells known
    to hold someone (less the adversary's own people in them)."""
    seqs = sorted({s for v in views for s in v.seqs if truth.owner[s] != adversary})
    unknown = {(s, c): i for i, (s, c) in enumerate(itertools.product(seqs, sorted(_finest_names())))}
    rows: list[np.ndarray] = []
    values: list[float] = []
    someone: list[np.ndarray] = []
    least: list[float] = []
    for view in views:
        theirs = [s for s in view.seqs if truth.owner[s] != adversary]
        own = [s for s in view.seqs if truth.owner[s] == adversary]
        for (table, group), (n, _) in view.shown.items():
            rows.append(_indicator(unknown, theirs, table, group))
            values.append(n - sum(truth.part(s, table, group)[0] for s in own))
        for cell in _finest_names():
            if cell in view.listed:
                someone.append(_indicator(unknown, theirs, BY, cell))
                least.append(1.0 - sum(truth.part(s, BY, cell)[0] for s in own))
                continue
            for s in theirs:  # known empty: every submission of the view holds none of it
                rows.append(_indicator(unknown, [s], BY, cell))
                values.append(0.0)
    return unknown, np.array(rows), np.array(values), np.array(someone), np.array(least)


def _targets(
    truth: Truth, views: list[View], adversary: int | None
) -> list[tuple[str, list[int], Group, int]]:
    """Each other submission's, and each other member's within a view, size of each released cell."""
    groups = [
        (t, g) for t in RELEASED for g in sorted({tuple(c[BY.index(a)] for a in t) for c in _finest_names()})
    ]
    targets = []
    for s in sorted({s for v in views for s in v.seqs if truth.owner[s] != adversary}):
        for table, group in groups:
            targets.append(
                (
                    f"submission {s} (member {truth.owner[s]})",
                    [s],
                    (table, group),
                    truth.part(s, table, group)[0],
                )
            )
    for seqs in sorted({v.seqs for v in views}, key=sorted):
        for member in sorted({truth.owner[s] for s in seqs} - {adversary}):
            theirs = sorted(s for s in seqs if truth.owner[s] == member)
            for table, group in groups:
                value = sum(truth.part(s, table, group)[0] for s in theirs)
                targets.append(
                    (f"member {member} in the view of {sorted(seqs)}", theirs, (table, group), value)
                )
    return targets


def linear_leaks(truth: Truth, views: list[View], adversary: int | None) -> list[str]:
    """Targets (a submission's size of a released cell, a member's in a view) that the recorded
    views' equations determine exactly, with the adversary's own submissions known."""
    unknown, matrix, _, _, _ = _system(truth, views, adversary)
    if not unknown:
        return []
    _, singular, vt = np.linalg.svd(matrix)
    rank = int((singular > 1e-9 * max(1.0, singular[0])).sum())
    null = vt[rank:]
    return [
        f"adversary {adversary}: {who}'s {table or 'total'} {group} = {value} is determined by the views"
        for who, seqs, (table, group), value in _targets(truth, views, adversary)
        if value > 0 and np.abs(null @ _indicator(unknown, seqs, table, group)).max(initial=0.0) < 1e-7
    ]


def narrowed_small_cells(truth: Truth, views: list[View], adversary: int | None) -> list[str]:
    """Small contributions (1 to MIN_CELL - 1) whose feasible range, given every recorded view, the
    adversary's own submissions and that no one's count is negative, is narrower than MIN_WIDTH."""
    from scipy.optimize import linprog

    unknown, matrix, values, someone, least = _system(truth, views, adversary)
    if not unknown:
        return []
    found = []
    for who, seqs, (table, group), value in _targets(truth, views, adversary):
        if not 0 < value < MIN_CELL:
            continue
        objective = _indicator(unknown, seqs, table, group)
        ends = []
        for sign in (1.0, -1.0):
            solved = linprog(
                sign * objective,
                A_eq=matrix,
                b_eq=values,
                A_ub=-someone if len(someone) else None,
                b_ub=-least if len(someone) else None,
                bounds=(0, None),
                method="highs",
            )
            assert solved.status in (0, 3), f"the adversary's system is inconsistent: {solved.message}"
            ends.append(sign * solved.fun if solved.status == 0 else sign * np.inf)  # 3: unbounded
        if ends[1] - ends[0] < MIN_WIDTH:
            found.append(
                f"adversary {adversary}: {who}'s {table or 'total'} {group} = {value} lies in "
                f"[{ends[0]:g}, {ends[1]:g}] given the views"
            )
    return found


def _finest_names() -> list[tuple[str, str]]:
    return [(SEXES[s], AGES[a]) for s, a in FINEST]


def _indicator(
    unknown: dict[tuple[int, tuple[str, str]], int],
    seqs: list[int],
    table: tuple[str, ...],
    group: tuple[str, ...],
) -> np.ndarray:
    row = np.zeros(len(unknown))
    for s in seqs:
        for cell in _finest_names():
            if tuple(cell[BY.index(a)] for a in table) == group and (s, cell) in unknown:
                row[unknown[(s, cell)]] = 1.0
    return row


def narrow_hidden_cells(truth: Truth, view: View) -> list[str]:
    """Hidden cells of one view whose feasible range, given all it shows, is narrower than MIN_WIDTH."""
    finest: dict[tuple[str, ...], int] = {}
    for cell in _finest_names():
        n = _true_cell(truth, view.seqs, BY, cell)[0]
        if n > 0:
            finest[cell] = n
    ranges = feasible_ranges(finest, BY, view.hidden)
    return [
        f"view of {sorted(view.seqs)}: hidden {table} {group} lies in [{low:g}, {high:g}]"
        for (table, group), (low, high) in ranges.items()
        if high - low < MIN_WIDTH
    ]


# ---- the property -------------------------------------------------------------------------------------


def _no_view_isolates_a_member(scenario: Scenario, folder: Path) -> None:
    truth, views = run(scenario, folder)
    check_views_are_the_pools(truth, views)
    adversaries: list[int | None] = [None, *range(len(scenario.tools))]
    leaks = [leak for a in adversaries for leak in pairwise_leaks(truth, views, a)]
    assert not leaks, "\n".join(leaks[:10])
    leaks = [leak for a in adversaries for leak in linear_leaks(truth, views, a)]
    assert not leaks, "\n".join(leaks[:10])
    leaks = [leak for a in adversaries for leak in narrowed_small_cells(truth, views, a)]
    assert not leaks, "\n".join(leaks[:10])
    narrow = [line for view in views for line in narrow_hidden_cells(truth, view)]
    assert not narrow, "\n".join(narrow[:10])


@pytest.mark.slow  # about 30 s a half; in the default suite
@seed(2026)
@DIFFERENCING
@given(scenario=scenarios())
def test_no_sequence_of_pooled_views_isolates_a_member(
    scenario: Scenario, tmp_path_factory: pytest.TempPathFactory
) -> None:
    _no_view_isolates_a_member(scenario, tmp_path_factory.mktemp("differencing"))


@pytest.mark.slow
@seed(1978)
@DIFFERENCING
@given(scenario=scenarios())
def test_no_sequence_of_pooled_views_isolates_a_member_second_half(
    scenario: Scenario, tmp_path_factory: pytest.TempPathFactory
) -> None:
    _no_view_isolates_a_member(scenario, tmp_path_factory.mktemp("differencing"))


def test_a_dominant_member_cannot_narrow_the_others_totals(tmp_path: Path) -> None:
    """Three members: m0 with 420 applicants (BIG), m1 with 2 and m2 with 1, in different cells. The
    pool showed data.rows = 423 (the grand total is always shown, and the dominance rule did not
    apply to it): m0 subtracted its own 420 and bounded m1's total, and each of its cells, to
    [0, 3] — narrower than the width the LP audit promises for a small cell ((11 - 1) // 2 = 5).
    Found by ``narrowed_small_cells``; the pool is now refused to members and observers, as a cell
    would be hidden, until the others hold at least the minimum cell size."""
    big = {cell: (n, s) for cell, (n, s) in BIG.items()}
    scenario = Scenario(
        tools=[[TOOLS[0]]] * 3,
        first=3,
        initial=[[big], [{("F", "<40"): (2, 1)}], [{("M", "40+"): (1, 0)}]],
        actions=[("view", 0, {})],
    )
    registry, http, setup = _registry(tmp_path)
    truth = Truth()
    try:
        with http:
            setup.publish()
            members = [setup.add_member(f"m{i}") for i in range(3)]
            for i, (drawn,) in enumerate(scenario.initial):
                _submit(members[i], i, TOOLS[0], drawn, truth, i)
            pooled = f"/v1/standards/{RETAIL}/pooled"
            answer = http.get(pooled, headers=members[0].headers())
            assert answer.status_code == 403
            assert "all but 3 of them one member's" in answer.json()["error"]
            admin = http.get(pooled, headers=setup.admin()).json()["result"]
            assert admin["data"]["rows"] == 420 + 2 + 1  # BIG's 120 + 80 + 130 + 90, and 2 and 1
            # what the view showed before: the others' every cell bounded by 3 people
            result = http.get(pooled, headers=setup.admin()).json()["result"]
            shown = _view(result, frozenset(result["context"]["pooled"]["submissions"]))
            narrowed = narrowed_small_cells(truth, [shown], 0)
            assert (
                "adversary 0: submission 2 (member 1)'s total () = 2 lies in [0, 3] given the views"
                in narrowed
            )
    finally:
        registry.engine.dispose()
