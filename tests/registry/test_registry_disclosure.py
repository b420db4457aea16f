"""Attacks on the pooled view's suppression, each reproduced and now recovering nothing.

The numbers are the issue's: a member's small cell recovered by resubmitting into it, and a
suppressed cell derived by subtraction from released margins, the known total and the cells
known to be empty.
"""

from __future__ import annotations

from typing import Any

import pytest
from registry_kit import BIG, RETAIL, Setup, audit, member_frame

from equityaudit.registry.suppression import feasible_ranges, suppress

BY = ("sex", "age")


def _women_over_40(result: dict[str, Any]) -> dict[str, Any]:
    cross = next(t for t in result["tables"] if t["name"] == "sex*age_band")
    return next(r for r in cross["rows"] if r["group"] == {"sex": "Female", "age_band": "40 and over"})


def test_resubmitting_into_a_small_cell_does_not_reveal_the_other_members_part(setup: Setup) -> None:
    """B has Female/40+ with 4 applicants, 1 selected (suppressed). A resubmits, adding 20 applicants
    and 10 selections to that cell: without the dominance rule the pool showed 24/11, and 24 − 20,
    11 − 10 gave B's 4/1. With it the cell stays hidden: removing A's 20 leaves 4 < 11."""
    setup.publish()
    a, b, c = (setup.add_member(name) for name in ("alice", "bob", "carol"))
    without = {cell: value for cell, value in BIG.items() if cell != ("F", "40+")}
    small = {**without, ("F", "40+"): (4, 1)}
    assert a.submit(a.sign(audit(member_frame(without)))).status_code == 201
    assert b.submit(b.sign(audit(member_frame(small)))).status_code == 201
    assert c.submit(c.sign(audit(member_frame(without)))).status_code == 201
    before = setup.http.get(f"/v1/standards/{RETAIL}/pooled", headers=a.headers()).json()["result"]
    assert _women_over_40(before)["n"] is None  # 4 people: below the minimum cell of 11
    resubmitted = {**without, ("F", "40+"): (20, 10)}
    assert a.submit(a.sign(audit(member_frame(resubmitted)))).status_code == 201
    after = setup.http.get(f"/v1/standards/{RETAIL}/pooled", headers=a.headers()).json()["result"]
    row = _women_over_40(after)
    assert row["n"] is None and row["selected"] is None and row["suppressed"] is True
    stored = [r for r in after["counts"][0]["rows"] if r["group"] == row["group"]]
    assert stored == [{"group": row["group"], "suppressed": True}]
    # the admin, who reads every submission anyway, sees the cell: 20 + 4 applicants, 10 + 1 selected
    admin = setup.http.get(f"/v1/standards/{RETAIL}/pooled", headers=setup.admin()).json()["result"]
    assert (_women_over_40(admin)["n"], _women_over_40(admin)["selected"]) == (24, 11)


def test_an_observer_cannot_subtract_a_pool_that_leaves_out_no_member(setup: Setup) -> None:
    """a, b and c use tool X; c also tool Y. ``tool=X`` leaves out no member, but the whole pool
    minus it is c's tool-Y submission exactly: refused, to observers as to members."""
    setup.publish()
    members = {name: setup.add_member(name) for name in ("a", "b", "c")}
    for name, tool in (("a", "X"), ("b", "X"), ("c", "X"), ("c", "Y")):
        result = audit(member_frame(BIG), name=f"{name}-{tool}")
        assert members[name].submit(members[name].sign(result, tool=tool, vendor="V")).status_code == 201
    observer = setup.add_member("olga", role="observer")
    pooled = f"/v1/standards/{RETAIL}/pooled"
    assert setup.http.get(pooled, headers=observer.headers()).status_code == 200
    answer = setup.http.get(pooled + "?tool=X", headers=observer.headers())
    assert answer.status_code == 403
    assert "differs from the pool with no filter by the submissions of 1 member(s)" in answer.json()["error"]


def test_nested_filters_cannot_isolate_one_member(setup: Setup) -> None:
    """Six members under tool X, one of them from vendor W: ``vendor=W`` alone is refused (one
    member), and so is ``tool=X&vendor=V``, whose difference with ``tool=X`` is that member — and
    ``tool=X`` too, for the same pair: with no memory of who asked first, neither of two pools that
    differ by one member is shown to observers. The whole pool is."""
    setup.publish()
    for i, vendor in enumerate(("V", "V", "V", "V", "V", "W")):
        member = setup.add_member(f"m{i}")
        result = audit(member_frame(BIG), name=f"m{i}")
        assert member.submit(member.sign(result, tool="X", vendor=vendor)).status_code == 201
    for i in range(3):  # three members under another tool, so tool=X leaves out three
        member = setup.add_member(f"y{i}")
        assert (
            member.submit(
                member.sign(audit(member_frame(BIG), name=f"y{i}"), tool="Y", vendor="V")
            ).status_code
            == 201
        )
    observer = setup.add_member("olga", role="observer")
    pooled = f"/v1/standards/{RETAIL}/pooled"
    assert setup.http.get(pooled, headers=observer.headers()).status_code == 200
    assert setup.http.get(pooled + "?vendor=W", headers=observer.headers()).status_code == 403
    assert setup.http.get(pooled + "?tool=X", headers=observer.headers()).status_code == 403
    nested = setup.http.get(pooled + "?tool=X&vendor=V", headers=observer.headers())
    assert nested.status_code == 403
    assert "by the submissions of 1 member(s)" in nested.json()["error"]
    assert setup.http.get(pooled + "?tool=X&vendor=V", headers=setup.admin()).status_code == 200


def test_a_cell_that_two_members_alone_fill_is_hidden() -> None:
    """Three members pool; only two have anyone in one cell. Each could subtract its own part and
    read the other's, so the cell is hidden although it holds 30 people."""
    finest = {("F", "old"): 30, ("F", "young"): 90, ("M", "old"): 60, ("M", "young"): 90}
    contributions = {
        ("F", "old"): [15, 15, 0],
        ("F", "young"): [30, 30, 30],
        ("M", "old"): [20, 20, 20],
        ("M", "young"): [30, 30, 30],
    }
    hidden = suppress(finest, BY, min_cell=11, contributions=contributions)
    assert ("F", "old") in hidden[BY]
    assert suppress(finest, BY, min_cell=11)[BY] == set()  # by size alone nothing is small


def test_a_suppressed_cell_is_not_left_derivable_from_the_released_system() -> None:
    """The issue's case: total 450, Female 246, Under 40 223, Female/Under 40 132 and Male/40+ 110
    shown, the structural zero Unknown-sex cells known empty: Male/Unknown = 450 − 246 − 91 − 110 = 3.
    The rule of slabs alone leaves exactly that; the LP audit hides more until no hidden cell's
    feasible range is narrower than 5 people (min_cell 11: (11 − 1) // 2)."""
    finest = {
        ("Female", "Under 40"): 132,
        ("Female", "40 and over"): 100,
        ("Female", "Unknown"): 14,
        ("Male", "Under 40"): 91,
        ("Male", "40 and over"): 110,
        ("Male", "Unknown"): 3,
    }
    assert sum(finest.values()) == 450
    slabs_only = suppress(finest, BY, min_cell=11, min_width=0)
    hidden_by_hand = {  # the release the issue attacked: the margins shown, four cells hidden
        (): set(),
        ("sex",): set(),
        ("age",): {("40 and over",), ("Unknown",)},
        BY: {("Female", "40 and over"), ("Female", "Unknown"), ("Male", "Under 40"), ("Male", "Unknown")},
    }
    assert feasible_ranges(finest, BY, hidden_by_hand)[(BY, ("Male", "Unknown"))] == (3.0, 3.0)
    for hidden in (slabs_only, suppress(finest, BY, min_cell=11)):
        assert ("Male", "Unknown") in hidden[BY]
    audited = suppress(finest, BY, min_cell=11)
    ranges = feasible_ranges(finest, BY, audited)
    assert ranges and min(high - low for low, high in ranges.values()) >= 5


def test_the_benchmark_of_three_members_shows_no_members_value(setup: Setup) -> None:
    """Three members' rates 16/80, 24/80 and 36/80 (0.2, 0.3, 0.45): min / median / max showed each
    one's exactly. Every quantile is now the mean of three members' values: (0.2 + 0.3 + 0.45) / 3."""
    setup.publish()
    members = [setup.add_member(name) for name in ("alice", "bob", "carol")]
    for member, selected in zip(members, (16, 24, 36), strict=True):
        cells = {**BIG, ("F", "40+"): (80, selected)}
        assert member.submit(member.sign(audit(member_frame(cells), name=member.name))).status_code == 201
    view = setup.http.get(f"/v1/standards/{RETAIL}/benchmark", headers=members[0].headers()).json()
    rate = next(
        m for m in view["metrics"] if m["id"] == "rate:sex*age_band/selection_rate/Female/40 and over"
    )
    assert set(rate["distribution"]) == {"p25", "median", "p75"}
    for value in rate["distribution"].values():
        assert value == pytest.approx((0.2 + 0.3 + 0.45) / 3)
        assert all(abs(value - own) > 1e-9 for own in (0.2, 0.3, 0.45))


def test_a_member_joining_is_not_revealed_by_the_pool_before_and_after(setup: Setup) -> None:
    """An observer saw the pool of a, b and c. d joins: the new pool minus the old one would be d's
    counts exactly, so the old release is shown again, with a note, until at least three members'
    submissions set a new one apart (e and f join: d, e, f)."""
    setup.publish()
    pooled = f"/v1/standards/{RETAIL}/pooled"
    observer = setup.add_member("olga", role="observer")

    def join(name: str) -> None:
        member = setup.add_member(name)
        assert member.submit(member.sign(audit(member_frame(BIG), name=name))).status_code == 201

    for name in ("a", "b", "c"):
        join(name)
    first = setup.http.get(pooled, headers=observer.headers()).json()["result"]
    assert first["data"]["rows"] == 3 * 420  # BIG: 420 applicants per member
    join("d")
    held = setup.http.get(pooled, headers=observer.headers()).json()["result"]
    assert held["data"]["rows"] == 3 * 420 and held["context"]["pooled"]["members"] == 3
    assert any("newer submissions join it once at least 3 members" in note for note in held["notes"])
    assert setup.http.get(pooled, headers=setup.admin()).json()["result"]["data"]["rows"] == 4 * 420
    join("e")
    join("f")
    fresh = setup.http.get(pooled, headers=observer.headers()).json()["result"]
    assert fresh["data"]["rows"] == 6 * 420 and fresh["context"]["pooled"]["members"] == 6


def test_three_pools_added_and_subtracted_do_not_isolate_a_member(setup: Setup) -> None:
    """Vendor V's members a, b and c, vendor W's d, e and f, and g under no vendor. Any two of the
    whole pool, vendor V's and vendor W's differ by four members or more, so every pairwise rule
    lets each through; but the whole pool minus the other two is g's counts. The observer saw the
    whole pool and vendor V's: vendor W's is refused, naming the combination."""
    setup.publish()
    observer = setup.add_member("olga", role="observer")
    for name, vendor in (*((n, "V") for n in "abc"), *((n, "W") for n in "def"), ("g", None)):
        member = setup.add_member(name)
        result = audit(member_frame(BIG), name=name)
        signed = member.sign(result, vendor=vendor) if vendor else member.sign(result)
        assert member.submit(signed).status_code == 201
    pooled = f"/v1/standards/{RETAIL}/pooled"
    assert setup.http.get(pooled, headers=observer.headers()).json()["result"]["data"]["rows"] == 7 * 420
    assert setup.http.get(pooled + "?vendor=V", headers=observer.headers()).status_code == 200
    refused = setup.http.get(pooled + "?vendor=W", headers=observer.headers())
    assert refused.status_code == 403
    assert refused.json()["error"].startswith(
        f"the pooled view of {RETAIL} (vendor 'W'), added to and subtracted from the 2 pool(s) shown earlier, "
        "would isolate the submissions of 1 member(s)"
    )
    # each pair alone is far apart: shown first, vendor W's pool is fine, and so is the whole pool after it
    admin = setup.http.get(pooled + "?vendor=W", headers=setup.admin()).json()["result"]
    assert admin["data"]["rows"] == 3 * 420
