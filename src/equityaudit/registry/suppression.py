"""Cell suppression: hide small cells, and every cell that would let one be derived from totals.

The released tables of a pooled audit are the grand total, each attribute alone, and the cross
of all attributes (the counts). A **cell** is one group of one table, and its size is its ``n``.

* **Primary suppression**: a cell with ``0 < n < min_cell`` is hidden.
* **Secondary suppression**: for every pair of released tables where one (``P``) is by a subset
  of the other's (``S``) attributes, the cells of ``S`` that share a cell of ``P`` form a *slab*
  whose sizes add up to that ``P`` cell. A slab whose ``P`` cell is shown must not hide exactly
  one cell (it would be the total minus the rest): the smallest shown non-empty cell of the slab
  is hidden too — or, when there is none, the ``P`` cell itself. A hidden ``P`` cell whose slab
  hides nothing could be re-added from its parts: the slab's smallest cell is hidden too.
  This repeats until nothing changes.

Hiding a cell hides all its counts (``selected``, ``tp``, …) together, which are additive over
the same slabs, so they are protected by the same rule. Empty groups (``n = 0``) are not cells.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

__all__ = ["Cell", "suppress"]

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
    return hidden
