"""Cell suppression: hide small cells, and every cell that would let one be derived from totals.

The released tables of a pooled audit are the grand total, each attribute alone, and the cross
of all attributes (the counts). A **cell** is one group of one table, and its size is its ``n``.

* **Primary suppression** (the threshold and dominance rules): a cell with ``0 < n < min_cell``
  is hidden; with members' contributions given, so is a cell to which fewer than
  ``min_members`` members contribute, or whose ``n`` less any one member's contribution is
  below ``min_cell`` — that member would learn the rest, the others' total, exactly (a member
  that resubmits with more people in a small cell makes it large, but not large without it).
* **Secondary suppression**: for every pair of released tables where one (``P``) is by a subset
  of the other's (``S``) attributes, the cells of ``S`` that share a cell of ``P`` form a *slab*
  whose sizes add up to that ``P`` cell. A slab whose ``P`` cell is shown must not hide exactly
  one cell (it would be the total minus the rest): the smallest shown non-empty cell of the slab
  is hidden too — or, when there is none, the ``P`` cell itself. A hidden ``P`` cell whose slab
  hides nothing could be re-added from its parts: the slab's smallest cell is hidden too.
  This repeats until nothing changes.
* **The audit of the whole system** (:func:`feasible_ranges`): what is shown — every released
  table's shown cells, the grand total, and which groups exist at all (a group not listed is
  known to be empty; a listed one has at least one person) — is a system of linear equations in
  the finest cells' sizes. For each hidden cell, linear programming (scipy's HiGHS) finds the
  smallest and largest size it can have given everything shown. A hidden cell whose range is
  narrower than ``min_width`` — by default ``(min_cell - 1) // 2``, 5 people for the default
  minimum of 11, half the width of "between 1 and ``min_cell - 1``", which is all that hiding a
  small cell says of it — is pinned down too closely, so the smallest shown
  finest cell next to it (sharing all but one attribute's value) is hidden too, the slabs closed
  again (or, with none left, the smallest shown total that holds it), and the audit repeated until
  every hidden cell's range is at least ``min_width`` wide.

Hiding a cell hides all its counts (``selected``, ``tp``, …) together, which are additive over
the same slabs, so they are protected by the same rule. Empty groups (``n = 0``) are not cells.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence

__all__ = ["Cell", "feasible_ranges", "suppress"]

Cell = tuple[str, ...]
"""The values of a group, in the order of its table's attributes."""


def _marginal(finest: Mapping[Cell, int], by: Sequence[str], subset: Sequence[str]) -> dict[Cell, int]:
    positions = [list(by).index(a) for a in subset]
    sizes: dict[Cell, int] = defaultdict(int)
    for cell, n in finest.items():
        sizes[tuple(cell[p] for p in positions)] += n
    return {cell: n for cell, n in sizes.items() if n > 0}


def suppress(
    finest: Mapping[Cell, int],
    by: Sequence[str],
    *,
    min_cell: int,
    released: Sequence[Sequence[str]] | None = None,
    contributions: Mapping[Cell, Sequence[int]] | None = None,
    min_members: int = 3,
    min_width: float | None = None,
) -> dict[tuple[str, ...], set[Cell]]:
    """The hidden cells of each released table (keyed by the table's attributes).

    Parameters
    ----------
    finest
        ``n`` of every group of the cross of ``by``.
    by
        The attributes of ``finest``.
    min_cell
        Smallest cell that may be shown.
    released
        The tables shown (each a subset of ``by``, in ``by``'s order); default: the total, each
        attribute alone and the full cross.
    contributions
        Each finest cell's ``n`` per member (the same members, in the same order, for every
        cell); with it the dominance rule applies, and without it only the threshold.
    min_members
        Fewest members that must contribute to a shown cell (with ``contributions``).
    min_width
        Narrowest feasible range a hidden cell may have given everything shown; default
        ``(min_cell - 1) // 2`` (5 for the default minimum cell of 11): half of what hiding a
        small cell says of it (1 to ``min_cell - 1`` people). ``0`` skips the audit.

    Examples
    --------
    Two sexes by two age bands; (F, old) has 4 people. It is hidden, and so is one more cell in
    its row and in its column, then the fourth cell closes the square:

    >>> finest = {("F", "old"): 4, ("F", "young"): 40, ("M", "old"): 30, ("M", "young"): 50}
    >>> hidden = suppress(finest, ("sex", "age"), min_cell=11)
    >>> sorted(hidden[("sex", "age")])
    [('F', 'old'), ('F', 'young'), ('M', 'old'), ('M', 'young')]
    >>> hidden[("sex",)], hidden[("age",)]
    (set(), set())
    """
    by = tuple(by)
    tables = [tuple(t) for t in released] if released is not None else [(), *((a,) for a in by), by]
    tables = list(dict.fromkeys(tables))
    sizes = {t: _marginal(finest, by, t) for t in tables}
    hidden: dict[tuple[str, ...], set[Cell]] = {
        t: {cell for cell, n in sizes[t].items() if n < min_cell} for t in tables
    }
    if contributions is not None:
        for t in tables:
            for cell, shares in _marginal_shares(contributions, by, t).items():
                present = [share for share in shares if share > 0]
                if len(present) < min_members or sum(present) - max(present) < min_cell:
                    hidden[t].add(cell)
    width = float((min_cell - 1) // 2 if min_width is None else min_width)
    _close_slabs(sizes, hidden, tables)
    finest_table = by
    # Hiding more only removes equations, so a range only widens: a cell found wide stays wide,
    # and each round re-checks only the cells found narrow and the cells newly hidden.
    pending = {(t, cell) for t in tables for cell in hidden[t]}
    while width > 0 and finest_table in sizes and pending:
        before = {(t, cell) for t in tables for cell in hidden[t]}
        narrow = [
            (t, cell)
            for (t, cell), (low, high) in feasible_ranges(finest, by, hidden, only=pending).items()
            if high - low < width
        ]
        if not narrow:
            break
        added = False
        for t, cell in narrow:
            neighbour = _smallest_shown_neighbour(finest, by, t, cell, hidden[finest_table])
            if neighbour is not None:
                hidden[finest_table].add(neighbour)
                added = True
                break
        if not added:  # no finest cell left to hide next to them: hide the smallest shown total holding one
            total = _smallest_shown_total(finest, by, tables, hidden, narrow, sizes)
            if total is not None:
                hidden[total[0]].add(total[1])
        _close_slabs(sizes, hidden, tables)
        newly = {(t, cell) for t in tables for cell in hidden[t]} - before
        if not newly:  # everything is hidden and a cell is still pinned by the known total: no more to do
            break
        pending = set(narrow) | newly
    return hidden


def _close_slabs(
    sizes: Mapping[tuple[str, ...], Mapping[Cell, int]],
    hidden: dict[tuple[str, ...], set[Cell]],
    tables: Sequence[tuple[str, ...]],
) -> None:
    """Hide cells until no slab hides exactly one cell under a shown total, nor a hidden total's parts none."""
    pairs = [(s, p) for s in tables for p in tables if set(p) < set(s)]
    changed = True
    while changed:
        changed = False
        for s, p in pairs:
            positions = [s.index(a) for a in p]
            slabs: dict[Cell, list[Cell]] = defaultdict(list)
            for cell in sizes[s]:
                slabs[tuple(cell[i] for i in positions)].append(cell)
            for parent, children in slabs.items():
                inside = [c for c in children if c in hidden[s]]
                if parent not in hidden[p] and len(inside) == 1:
                    shown = sorted((sizes[s][c], c) for c in children if c not in hidden[s])
                    if shown:
                        hidden[s].add(shown[0][1])
                    else:
                        hidden[p].add(parent)
                    changed = True
                elif parent in hidden[p] and not inside and children:
                    hidden[s].add(min(children, key=lambda c: (sizes[s][c], c)))
                    changed = True


def _smallest_shown_total(
    finest: Mapping[Cell, int],
    by: Sequence[str],
    tables: Sequence[tuple[str, ...]],
    hidden: Mapping[tuple[str, ...], set[Cell]],
    narrow: Sequence[tuple[tuple[str, ...], Cell]],
    sizes: Mapping[tuple[str, ...], Mapping[Cell, int]],
) -> tuple[tuple[str, ...], Cell] | None:
    """The smallest shown cell of a coarser released table (not the grand total, which is always
    known) that holds a finest cell of a narrow hidden cell, else the smallest shown one of all."""
    inside: set[Cell] = set()
    for table, cell in narrow:
        positions = [list(by).index(a) for a in table]
        inside |= {c for c in finest if finest[c] > 0 and tuple(c[p] for p in positions) == cell}
    candidates = []
    coarser = [t for t in tables if t and t != tuple(by)]
    for table in coarser:
        positions = [list(by).index(a) for a in table]
        for c in inside:
            key = tuple(c[p] for p in positions)
            if key not in hidden[table]:
                candidates.append((sizes[table][key], table, key))
    if not candidates:  # the totals pinning it hold other cells: the smallest shown total of all
        candidates = [(n, t, key) for t in coarser for key, n in sizes[t].items() if key not in hidden[t]]
    if not candidates:
        return None
    _, table, key = min(candidates)
    return table, key


def _marginal_shares(
    contributions: Mapping[Cell, Sequence[int]], by: Sequence[str], subset: Sequence[str]
) -> dict[Cell, list[int]]:
    positions = [list(by).index(a) for a in subset]
    shares: dict[Cell, list[int]] = {}
    for cell, per_member in contributions.items():
        key = tuple(cell[p] for p in positions)
        total = shares.setdefault(key, [0] * len(per_member))
        for i, n in enumerate(per_member):
            total[i] += n
    return {cell: share for cell, share in shares.items() if sum(share) > 0}


def _smallest_shown_neighbour(
    finest: Mapping[Cell, int], by: Sequence[str], table: tuple[str, ...], cell: Cell, hidden: set[Cell]
) -> Cell | None:
    """The smallest shown finest cell that differs in one attribute from a finest cell inside ``cell``."""
    positions = [list(by).index(a) for a in table]
    inside = [c for c in finest if finest[c] > 0 and tuple(c[p] for p in positions) == cell]
    candidates = [
        c
        for c in finest
        if finest[c] > 0
        and c not in hidden
        and any(sum(a != b for a, b in zip(c, member, strict=True)) <= 1 for member in inside)
    ]
    if not candidates:
        candidates = [c for c in finest if finest[c] > 0 and c not in hidden]
    return min(candidates, key=lambda c: (finest[c], c)) if candidates else None


def feasible_ranges(
    finest: Mapping[Cell, int],
    by: Sequence[str],
    hidden: Mapping[tuple[str, ...], set[Cell]],
    *,
    only: set[tuple[tuple[str, ...], Cell]] | None = None,
) -> dict[tuple[tuple[str, ...], Cell], tuple[float, float]]:
    """The smallest and largest size each hidden cell can have, given everything shown.

    Unknowns: the size of every finest cell that has people (a group with none is not listed,
    so it is known to be empty; a listed group has at least one). Equations: each shown cell of
    every table in ``hidden`` (the released tables) equals the sum of the finest cells inside it.
    Each hidden cell's range (or only those in ``only``, as ``(table, cell)``) is then two linear
    programs (scipy's HiGHS). An unbounded range is ``inf`` wide.

    Examples
    --------
    The issue's case: total 450, Female 246, Under 40 223, Female/Under 40 132, Male/40+ 110, and
    everything else hidden. Male/Unknown is 3 whatever the hidden cells hold:

    >>> finest = {("F", "<40"): 132, ("F", "40+"): 100, ("F", "?"): 14,
    ...           ("M", "<40"): 91, ("M", "40+"): 110, ("M", "?"): 3}
    >>> shown_finest = {("F", "<40"), ("M", "40+")}
    >>> hidden = {(): set(), ("sex",): set(), ("age",): {("40+",), ("?",)},
    ...           ("sex", "age"): set(finest) - shown_finest}
    >>> ranges = feasible_ranges(finest, ("sex", "age"), hidden)
    >>> ranges[(("sex", "age"), ("M", "?"))]
    (3.0, 3.0)
    """
    from scipy.optimize import linprog

    by = tuple(by)
    cells = sorted(c for c, n in finest.items() if n > 0)
    index = {c: i for i, c in enumerate(cells)}
    rows: list[list[float]] = []
    values: list[float] = []
    for table, cells_hidden in {(): set(), **hidden}.items():  # the grand total is data.rows: always known
        if table == ():
            cells_hidden = set()
        positions = [by.index(a) for a in table]
        groups: dict[Cell, list[int]] = defaultdict(list)
        for c in cells:
            groups[tuple(c[p] for p in positions)].append(index[c])
        for group, members in groups.items():
            if group in cells_hidden:
                continue
            row = [0.0] * len(cells)
            for i in members:
                row[i] = 1.0
            rows.append(row)
            values.append(float(sum(finest[cells[i]] for i in members)))
    ranges: dict[tuple[tuple[str, ...], Cell], tuple[float, float]] = {}
    bounds = [(1.0, None)] * len(cells)
    for table, cells_hidden in hidden.items():
        positions = [by.index(a) for a in table]
        for group in sorted(cells_hidden):
            if only is not None and (table, group) not in only:
                continue
            objective = [1.0 if tuple(c[p] for p in positions) == group else 0.0 for c in cells]
            if not any(objective):
                continue
            low = linprog(objective, A_eq=rows or None, b_eq=values or None, bounds=bounds, method="highs")
            high = linprog(
                [-x for x in objective], A_eq=rows or None, b_eq=values or None, bounds=bounds, method="highs"
            )
            lowest = float(low.fun) if low.status == 0 and low.fun is not None else -math.inf
            highest = -float(high.fun) if high.status == 0 and high.fun is not None else math.inf
            ranges[(table, group)] = (round(lowest, 9), round(highest, 9))
    return ranges
