"""Query-set control over every view shown: no linear combination of views isolates a few members.

A pooled view shows sums over a set of submissions (every shown cell is the sum of the pooled
submissions' parts of it). Whoever has seen views ``V1 … Vn`` can add and subtract them with any
coefficients: ``V1 + V2 − V3`` is the sum over the submissions in the first two and not the third,
and so on. Comparing views two at a time misses most of these (one pool per vendor, added up and
subtracted from the whole pool, leaves the submissions under no vendor).

**The rule.** Write each view as its indicator vector over submissions. A combination isolates
the set of members owning the submissions it weights (its *support*); the registry refuses a
view when some combination of it and the views shown before has a support owned by at least one
and fewer than ``min_members`` members — and the views shown before did not already.

**How it is decided.** Submissions in exactly the same views are indistinguishable to any
combination, so they are grouped into *atoms* (classes of the same membership pattern); a view
is then a 0/1 row over atoms, and the combinations are the row space ``R`` of the views' matrix
``A``. For a set ``S`` of members, the combinations supported on ``S``'s submissions are ``R``
intersected with the coordinates of the atoms owned wholly by ``S`` (an atom that also holds
another member's submission cannot be weighted without weighting that member); its dimension is
``rank(A) − rank(A without those atoms' columns)``. So ``S`` is isolated exactly when that
difference is positive. With ``Q`` an orthonormal basis of ``R`` (one SVD of ``A``), the
difference is the number of singular values equal to 1 of ``Q``'s columns of those atoms (as
``Q Qᵀ = I``, a vector of ``R`` lies in those coordinates exactly when its norm stays there) — a
small SVD for every set of fewer than ``min_members`` members owning an atom wholly. This is necessary and sufficient over the real
numbers for the submission-level sums; a cell-level combination (cells of several tables, from
views that suppressed different cells) restricted to one finest cell is again a combination of
whole views, so the test covers those too.

**Limits.** Inequalities are not part of it: that counts are not negative and that a listed
group holds someone can narrow a combination's unknowns without isolating them (the suppression's
LP audit bounds that within one view; the randomized suite checks it across views). Statistics
that are not sums (the Mantel–Haenszel tables) are treated as if they were: a view that changes
them by one member's submissions is refused the same way, a conservative reading.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Mapping, Sequence

import numpy as np

__all__ = ["isolated_members", "newly_isolated"]

_TOLERANCE = 1e-10
"""Singular values below this times the largest and the matrix's larger side count as zero
(numpy's ``matrix_rank`` takes machine epsilon, 2.2e-16: a 0/1 matrix's are far from either)."""


def isolated_members(
    views: Sequence[Collection[int]], owner: Mapping[int, int], *, min_members: int = 3
) -> dict[frozenset[int], int]:
    """The sets of fewer than ``min_members`` members some combination of the views isolates.

    Parameters
    ----------
    views
        Each view's submissions (their sequence numbers).
    owner
        Each submission's member.
    min_members
        Fewest members a combination may isolate.

    Returns
    -------
    dict
        Each isolated set, with the dimension of the combinations that isolate it (how many
        independent combinations).

    Examples
    --------
    Submissions 1–7 of members a–g: the whole pool, the pool of vendor V (a, b, c) and that of
    vendor W (d, e, f). Any two differ by at least four members; the whole pool minus the other
    two is member g's submission alone:

    >>> owner = dict(zip(range(1, 8), "abcdefg"))
    >>> isolated_members([set(range(1, 8)), {1, 2, 3}, {4, 5, 6}], owner)
    {frozenset({'g'}): 1}
    >>> isolated_members([set(range(1, 8)), {1, 2, 3}], owner)
    {}
    >>> isolated_members([{1, 2, 3, 4}, {1, 2, 3}], owner)  # the classic pair: d joined
    {frozenset({'d'}): 1}
    """
    deficits = _deficits(views, owner, min_members)
    found: dict[frozenset[int], int] = {}
    for group in sorted(deficits, key=len):  # a larger set only for combinations its parts lack
        inner = max((deficits.get(group - {m}, 0) for m in group if len(group) > 1), default=0)
        if deficits[group] > inner:
            found[group] = deficits[group]
    return found


def _deficits(
    views: Sequence[Collection[int]], owner: Mapping[int, int], min_members: int
) -> dict[frozenset[int], int]:
    """For each set of fewer than ``min_members`` members, the dimension of the combinations of
    views supported on their submissions (only the sets where it is positive)."""
    seqs = sorted(set().union(*map(set, views))) if views else []
    if not seqs:
        return {}
    patterns: dict[tuple[bool, ...], list[int]] = {}
    for seq in seqs:
        patterns.setdefault(tuple(seq in view for view in views), []).append(seq)
    atom_owners = [frozenset(owner[s] for s in atom) for atom in patterns.values()]
    matrix = np.array([[1.0 if pattern[i] else 0.0 for pattern in patterns] for i in range(len(views))])
    # an orthonormal basis Q of the row space (r x atoms); since Q Q^T = I, the combinations
    # supported on the atoms T are as many as Q's columns T have singular values of 1
    _, singular, vt = np.linalg.svd(matrix, full_matrices=False)
    basis = vt[singular > float(singular[0]) * max(matrix.shape) * _TOLERANCE]
    small = {o for o in atom_owners if len(o) < min_members}
    members = sorted(set().union(*small), key=repr) if small else []
    deficits: dict[frozenset[int], int] = {}
    for size in range(1, min_members):
        for group in map(frozenset, itertools.combinations(members, size)):
            inside = [i for i, o in enumerate(atom_owners) if o <= group]
            if not inside:
                continue
            values = np.linalg.svd(basis[:, inside], compute_uv=False)
            dimension = int((values > 1.0 - 1e-8).sum())
            if dimension:
                deficits[group] = dimension
    return deficits


def newly_isolated(
    earlier: Sequence[Collection[int]],
    candidate: Collection[int],
    owner: Mapping[int, int],
    *,
    min_members: int = 3,
) -> list[frozenset[int]]:
    """The sets of fewer than ``min_members`` members that showing ``candidate`` after ``earlier``
    would isolate and ``earlier`` alone did not (or not as many ways), smallest first.

    Views shown before the rule (or before a member's submission was known to be small) may
    already isolate a set; showing the candidate is refused only for what it adds.

    Examples
    --------
    >>> owner = dict(zip(range(1, 8), "abcdefg"))
    >>> newly_isolated([set(range(1, 8)), {1, 2, 3}], {4, 5, 6}, owner)
    [frozenset({'g'})]
    >>> newly_isolated([set(range(1, 8)), {1, 2, 3}], {1, 2, 3}, owner)  # shown before: nothing new
    []
    """
    before = _deficits(earlier, owner, min_members)
    after = _deficits([*earlier, candidate], owner, min_members)
    grown = {group for group, dimension in after.items() if dimension > before.get(group, 0)}
    # the smallest sets: a set grows with any set inside it
    added = [group for group in grown if not any(other < group for other in grown)]
    return sorted(added, key=lambda group: (len(group), sorted(map(repr, group))))
