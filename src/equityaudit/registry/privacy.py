"""Differential privacy of the pooled views the registry shows observers (a standard's ``privacy:``).

**Unit and sensitivity.** The unit protected is one applicant record of one submission. A
record sits in one cell (one combination of the taxonomy's categories, Unknown included) of one
member's counts, and adding or removing it changes that cell's ``n`` by 1 and each other count
column (``selected``, ``positives``, ``tp``) by at most 1. So over the vector of every member's
count of every cell and column, one record moves ``k`` coordinates (``k`` count columns) by at most
1 each: L1 sensitivity ``k`` and L2 sensitivity ``√k`` (:func:`sensitivity`).

**Mechanism.** OpenDP's ``make_laplace`` (discrete Laplace, ε-DP, scale ``b = k / ε``) or
``make_gaussian`` (discrete Gaussian, ρ-zCDP converted to (ε, δ)-DP, its scale found by OpenDP's
``binary_search_param``) adds noise to every coordinate of that vector — every cell of the
taxonomy, present or not, so which cells exist is not revealed either (:func:`draw`). Everything
shown is computed from the noisy counts alone (:func:`post_process`: each count rounded, at least 0,
a sub-count no larger than its ``n``; the pool is the members' noisy counts summed), which is
post-processing and keeps the guarantee: rates, ratios, findings, the stratified tables, and the
threshold rule (a cell whose pooled noisy count is below the minimum cell size is left out).

OpenDP is imported only here and only when a standard declares ``privacy:`` (the ``dp`` extra).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from equityaudit.errors import EquityAuditError
from equityaudit.standards import Standard
from equityaudit.standards.model import Privacy
from equityaudit.stats.counts import GroupCounts
from equityaudit.values import UNKNOWN

__all__ = ["add_noise", "cells", "draw", "noise_scale", "post_process", "privacy_loss", "sensitivity"]


def sensitivity(columns: Sequence[str]) -> tuple[int, float]:
    """L1 and L2 sensitivity of the vector of members' cell counts with these count columns.

    Examples
    --------
    >>> sensitivity(["n", "selected"])
    (2, 1.4142135623730951)
    """
    return len(columns), math.sqrt(len(columns))


def _opendp() -> Any:
    try:
        import opendp.prelude as dp
    except ImportError:  # pragma: no cover - the dp extra is part of dev
        raise EquityAuditError(
            "this standard declares privacy: its pooled views need OpenDP; install equityaudit[dp]"
        ) from None
    dp.enable_features("contrib")
    return dp


def _measurement(privacy: Privacy, scale: float) -> Any:
    """OpenDP's measurement adding the standard's noise of ``scale`` to a vector of integer counts."""
    dp = _opendp()
    if privacy.mechanism == "laplace":
        return dp.m.make_laplace(dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int), scale=scale)
    gaussian = dp.m.make_gaussian(
        dp.vector_domain(dp.atom_domain(T=int)), dp.l2_distance(T=float), scale=scale
    )
    return dp.c.make_fix_delta(dp.c.make_zCDP_to_approxDP(gaussian), privacy.delta)


def noise_scale(privacy: Privacy, columns: Sequence[str]) -> float:
    """The noise scale that spends ``epsilon_per_view`` on one view: ``k / ε`` for Laplace; for
    Gaussian the smallest σ OpenDP finds (ε, δ)-DP at L2 sensitivity ``√k``.

    Examples
    --------
    >>> from equityaudit.standards.model import Privacy
    >>> noise_scale(Privacy(mechanism="laplace", epsilon_per_view=0.5, budget=5), ["n", "selected"])
    4.0
    """
    l1, l2 = sensitivity(columns)
    if privacy.mechanism == "laplace":
        return l1 / privacy.epsilon_per_view
    dp = _opendp()
    target = (privacy.epsilon_per_view, privacy.delta)
    return float(dp.binary_search_param(lambda s: _measurement(privacy, s), d_in=l2, d_out=target, T=float))


def privacy_loss(privacy: Privacy, scale: float, columns: Sequence[str]) -> float:
    """The ε OpenDP's own privacy map gives one view of noise ``scale`` at the columns' sensitivity."""
    l1, l2 = sensitivity(columns)
    if privacy.mechanism == "laplace":
        return float(_measurement(privacy, scale).map(l1))
    return float(_measurement(privacy, scale).map(l2)[0])


def add_noise(privacy: Privacy, scale: float, values: Sequence[int]) -> list[int]:
    """The values with OpenDP's integer noise of ``scale`` added (a fresh draw each call; OpenDP's
    sampler is cryptographically seeded and cannot be seeded)."""
    return [int(v) for v in _measurement(privacy, scale)([int(v) for v in values])]


def cells(standard: Standard) -> list[tuple[str, ...]]:
    """Every cell of the standard's taxonomy, Unknown included: what a noisy view releases.

    Examples
    --------
    >>> from equityaudit.standards import find_standard
    >>> len(cells(find_standard("retail-screening@2026.1")))  # (2 + Unknown) × (2 + Unknown)
    9
    """
    categories = [[*a.categories, UNKNOWN] for a in standard.taxonomy.attributes.values()]
    return list(itertools.product(*categories))


def _exact(counts: GroupCounts, columns: Sequence[str]) -> dict[tuple[str, ...], dict[str, int]]:
    width = len(counts.by)
    return {
        tuple(str(v) for v in row[:width]): {c: int(x) for c, x in zip(columns, row[width:], strict=True)}
        for row in counts.table[[*counts.by, *columns]].itertuples(index=False)
    }


def draw(
    standard: Standard, privacy: Privacy, scale: float, members: Sequence[GroupCounts], columns: Sequence[str]
) -> list[list[dict[str, Any]]]:
    """Every member's count of every cell and column with noise added, in one draw: per member, one
    row per cell ``{"group": …, column: noisy count, …}`` (raw: a count may be negative)."""
    attributes = list(standard.taxonomy.attributes)
    domain = cells(standard)
    exact = [_exact(m, columns) for m in members]
    values = [own.get(cell, {}).get(c, 0) for own in exact for cell in domain for c in columns]
    noisy = iter(add_noise(privacy, scale, values))
    return [
        [
            {"group": dict(zip(attributes, cell, strict=True)), **{c: next(noisy) for c in columns}}
            for cell in domain
        ]
        for _ in members
    ]


def _clamped(cell: dict[str, int]) -> dict[str, int]:
    n = max(0, cell["n"])
    out = {c: n if c == "n" else min(max(0, v), n) for c, v in cell.items()}
    if "tp" in out and "positives" in out:
        out["tp"] = min(out["tp"], out["positives"])
    return out


def _counts(
    by: tuple[str, ...],
    columns: Sequence[str],
    table: dict[tuple[str, ...], dict[str, int]],
    shown: set[tuple[str, ...]],
) -> GroupCounts:
    kept = sorted((cell, _clamped(values)) for cell, values in table.items() if cell in shown)
    frame = pd.DataFrame(
        [(*cell, *(values[c] for c in columns)) for cell, values in kept if values["n"] > 0],
        columns=[*by, *columns],
    )
    for column in columns:
        frame[column] = frame[column].astype("int64")
    return GroupCounts(by, frame)


def post_process(
    standard: Standard, released: Sequence[Sequence[dict[str, Any]]], columns: Sequence[str]
) -> tuple[GroupCounts, list[GroupCounts]]:
    """The pool and each member's counts from a noisy release: the pool sums the members' raw noisy
    counts; each count is then at least 0, a sub-count at most its ``n`` (``tp`` at most
    ``positives``); a cell whose pooled noisy ``n`` is below the standard's minimum cell size is
    left out of the pool and of every member's counts (the threshold rule, on noisy counts), and
    so are cells with no one.

    Examples
    --------
    >>> from equityaudit.standards import find_standard
    >>> std = find_standard("retail-screening@2026.1")
    >>> cell = {"sex": "Female", "age_band": "Under 40"}
    >>> a = [{"group": cell, "n": 25, "selected": 30}]
    >>> b = [{"group": cell, "n": -2, "selected": -1}]
    >>> pool, (one, two) = post_process(std, [a, b], ["n", "selected"])
    >>> pool.table.to_dict("records"), one.table.to_dict("records"), len(two.table)
    ([{'sex': 'Female', 'age_band': 'Under 40', 'n': 23, 'selected': 23}], [{'sex': 'Female', 'age_band': 'Under 40', 'n': 25, 'selected': 25}], 0)
    >>> len(post_process(std, [[{"group": cell, "n": 10, "selected": 1}]], ["n", "selected"])[0].table)
    0
    """
    by = tuple(standard.taxonomy.attributes)
    pooled: dict[tuple[str, ...], dict[str, int]] = {}
    members = []
    for rows in released:
        own = {tuple(str(r["group"][a]) for a in by): {c: int(r[c]) for c in columns} for r in rows}
        for cell, values in own.items():
            total = pooled.setdefault(cell, dict.fromkeys(columns, 0))
            for c in columns:
                total[c] += values[c]
        members.append(own)
    shown = {cell for cell, values in pooled.items() if values["n"] >= standard.min_cell_size}
    return _counts(by, columns, pooled, shown), [_counts(by, columns, own, shown) for own in members]
