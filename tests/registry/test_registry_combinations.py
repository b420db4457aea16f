"""Which members a linear combination of pooled views isolates, against a search of combinations.

:func:`isolated_members` decides by ranks over atoms; here every combination of the views with
small integer coefficients is formed submission by submission, and the members owning its
non-zero entries are read off. A set the search isolates must be reported (or one inside it), and
every reported set must be isolated by some combination the search finds.
"""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from equityaudit.registry.differencing import isolated_members, newly_isolated

COEFFICIENTS = range(-3, 4)


def _searched(views: list[set[int]], owner: dict[int, int]) -> set[frozenset[int]]:
    """The owner sets (of one or two members) of every non-zero combination with coefficients -3…3."""
    seqs = sorted(owner)
    found = set()
    for weights in itertools.product(COEFFICIENTS, repeat=len(views)):
        combination = {s: sum(w for w, view in zip(weights, views, strict=True) if s in view) for s in seqs}
        members = frozenset(owner[s] for s, value in combination.items() if value != 0)
        if 0 < len(members) < 3:
            found.add(members)
    return found


@st.composite
def systems(draw: st.DrawFn) -> tuple[list[set[int]], dict[int, int]]:
    size = draw(st.integers(2, 7))
    owner = {seq: draw(st.integers(0, 4)) for seq in range(size)}
    views = draw(st.lists(st.sets(st.sampled_from(sorted(owner)), min_size=1), min_size=1, max_size=4))
    return views, owner


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(system=systems())
def test_the_rank_test_agrees_with_a_search_of_combinations(
    system: tuple[list[set[int]], dict[int, int]],
) -> None:
    views, owner = system
    owner = {s: m for s, m in owner.items() if any(s in v for v in views)}
    reported = set(isolated_members(views, owner))
    searched = _searched(views, owner)
    for members in searched:  # everything the search isolates is reported, or a set inside it
        assert any(found <= members for found in reported), (members, reported)
    for found in reported:  # everything reported is isolated by a combination the search finds
        assert found in searched, (found, searched)


def test_a_view_adds_only_what_it_isolates_anew() -> None:
    """Submissions 1–7 of members a–g; the whole pool and vendor V's were shown. Vendor W's pool
    would make the whole less V's less W's g's submission; the whole pool again adds nothing."""
    owner = dict(zip(range(1, 8), "abcdefg", strict=True))
    shown = [set(range(1, 8)), {1, 2, 3}]
    assert newly_isolated(shown, {4, 5, 6}, owner) == [frozenset("g")]
    assert newly_isolated(shown, set(range(1, 8)), owner) == []
    # already isolated before (d joined between two views): asking either again adds nothing
    joined = [{1, 2, 3}, {1, 2, 3, 4}]
    assert isolated_members(joined, owner) == {frozenset("d"): 1}
    assert newly_isolated(joined, {1, 2, 3, 4}, owner) == []
