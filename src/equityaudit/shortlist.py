"""Shortlists of a model audit: selection rates and impact ratios by group when the top k rows are taken.

A model used to shortlist (``model.threshold: {top_k: 50}`` or ``{top_share: 0.1}``) selects the
rows with the highest output rather than those above a fixed cut-off. :func:`shortlist_table`
shows what every shortlist size on a grid would do — the top 5 %, 10 %, …, 50 % of the rows
(:data:`SHARES`), and the model's own shortlist when it has one: for each, the cut-off is the
k-th highest output (k = ⌈share × rows⌉), a row is selected when its output is at least that (so
rows tied with the k-th are all selected, as :func:`equityaudit.models.shortlist_decision` does),
and each group's selection rate and impact ratio (its rate over the highest rate among the
compared groups, those with ``n ≥ thresholds.min_group_size`` that are not Unknown) are reported.
The shortlist sizes at which every compared group has an impact ratio of at least
``thresholds.impact_ratio`` are stated as a sentence (:func:`shortlist_range_sentence`) and kept in
the table's ``tests``. Descriptive: not judged, no finding, the verdict unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from equityaudit.errors import listed
from equityaudit.judging import meets
from equityaudit.results import Table
from equityaudit.spec import AuditSpec, Shortlist
from equityaudit.values import UNKNOWN

__all__ = ["SHARES", "shortlist_range_sentence", "shortlist_table"]

SHARES = tuple(round(0.05 * i, 2) for i in range(1, 11))
"""The shares of rows on the shortlist grid: 0.05, 0.10, …, 0.50."""


def shortlist_table(
    scores: NDArray[np.float64],
    groups: Mapping[tuple[str, ...], NDArray[np.intp]],
    *,
    by: tuple[str, ...],
    spec: AuditSpec,
    score: str,
    ordered: NDArray[np.float64] | None = None,
) -> Table:
    """Selection rate and impact ratio by group for the top 5 %, …, 50 % of rows (and the model's own shortlist).

    Parameters
    ----------
    scores
        The model's output for every row scored.
    groups
        Each group of the grouping ``by`` and the positions of its rows in ``scores``.
    by
        The sensitive columns of the grouping.
    spec
        The audit's spec: its thresholds, and the model's shortlist if it has one.
    score
        The name of the score column, for the table's subject.
    ordered
        ``scores`` sorted ascending, when the caller has them (one sort for every grouping).

    Returns
    -------
    Table
        ``shortlist:<by>``: one row per group and shortlist size (``share``, ``k``, ``cut_off``,
        ``n``, ``selected``, ``selection_rate``, ``impact_ratio``, ``compared``), and in ``tests``
        the sizes at which every compared group meets the impact-ratio threshold.

    Examples
    --------
    >>> from equityaudit.spec_loading import spec_from_mapping
    >>> spec = spec_from_mapping({"equityaudit": 1, "name": "t", "auditor": "decisions", "data": {"path": "x.csv"},
    ...     "columns": {"sensitive": ["sex"], "decision": "d"}, "thresholds": {"min_group_size": 1}})
    >>> scores = np.arange(20, dtype=float)   # F holds the ten lowest, M the ten highest
    >>> groups = {("F",): np.arange(10), ("M",): np.arange(10, 20)}
    >>> table = shortlist_table(scores, groups, by=("sex",), spec=spec, score="s")
    >>> [(r["group"]["sex"], r["share"], r["k"], r["selected"]) for r in table.rows][9:12]
    [('F', 0.5, 10, 0), ('M', 0.05, 1, 1), ('M', 0.1, 2, 2)]
    >>> shortlist_range_sentence(table)
    'Shortlists by sex: at none of the 10 shortlist sizes (top 5% to top 50%) does every compared group have an impact ratio of at least 0.8.'
    """
    rows_scored = len(scores)
    ordered = np.sort(scores) if ordered is None else ordered
    # each shortlist size once: k → (its name, its share of the rows, whether it is the model's own)
    entries: dict[int, tuple[str, float, bool]] = {}
    for share in SHARES:
        entries.setdefault(
            Shortlist(top_share=share).size(rows_scored), (f"top {100 * share:g}%", share, False)
        )
    own = spec.model.shortlist if spec.model is not None else None
    if own is not None and own.size(rows_scored) <= rows_scored:
        k = own.size(rows_scored)
        entries[k] = (own.text, k / rows_scored if own.top_share is None else own.top_share, True)
    sizes = [(label, share, k, model) for k, (label, share, model) in sorted(entries.items())]
    minimum = spec.thresholds.min_group_size
    compared = {
        group: UNKNOWN not in group and len(positions) >= minimum for group, positions in groups.items()
    }
    rows: list[dict[str, Any]] = []
    meeting: list[int] = []
    model_k: int | None = None
    for index, (name, share, k, model) in enumerate(sizes):
        cut = float(ordered[rows_scored - k])
        selected = {group: int((scores[positions] >= cut).sum()) for group, positions in groups.items()}
        rates = {
            group: selected[group] / len(groups[group]) if len(groups[group]) else None for group in groups
        }
        highest = max((rates[g] or 0.0 for g in groups if compared[g]), default=0.0)
        for group in sorted(groups):
            rate = rates[group]
            rows.append(
                {
                    "group": dict(zip(by, group, strict=True)),
                    "shortlist": name,
                    "share": share,
                    "k": k,
                    "cut_off": cut,
                    "n": len(groups[group]),
                    "selected": selected[group],
                    "selection_rate": rate,
                    "impact_ratio": rate / highest if rate is not None and highest > 0 else None,
                    "compared": compared[group],
                    **({"model": True} if model else {}),
                }
            )
        ratios = [r["impact_ratio"] for r in rows[-len(groups) :] if r["compared"]]
        if ratios and all(r is not None and meets(r, spec.thresholds.impact_ratio) for r in ratios):
            meeting.append(index)
        if model:
            model_k = index
    rows.sort(
        key=lambda row: tuple(row["group"].values())
    )  # group by group, as the sweep (stable: k order kept)
    return Table(
        name=f"shortlist:{'*'.join(by)}",
        by=list(by),
        metric="selection_rate",
        numerator="selected",
        denominator="n",
        reference=None,
        subject=f"shortlists of {score}: the k rows with the highest output (k = ⌈share × {rows_scored}⌉)",
        methods={
            "shortlist": "the cut-off is the k-th highest output of all rows scored; a row is selected when "
            "its output is at least the cut-off, so rows tied with the k-th are selected too",
            "impact_ratio": "the group's selection rate over the highest rate among the compared groups "
            f"(n ≥ {minimum}, not Unknown) on the same shortlist; null when no compared group is selected",
            "judging": "descriptive: not judged, no finding",
        },
        rows=rows,
        tests={
            "meets_impact_ratio": {
                "threshold": spec.thresholds.impact_ratio,
                "shortlists": [_label(sizes[i]) for i in meeting],
                "ranges": [[_label(sizes[lo]), _label(sizes[hi])] for lo, hi in _runs(meeting)],
                "swept": len(sizes),
                "first": _label(sizes[0]),
                "last": _label(sizes[-1]),
                "model_shortlist": None if model_k is None else _label(sizes[model_k]),
                "model_meets": None if model_k is None else model_k in meeting,
            }
        },
    )


def _label(size: tuple[str, float, int, bool]) -> str:
    return size[0]


def _runs(indices: Sequence[int]) -> list[tuple[int, int]]:
    """Consecutive indices as runs: [0, 1, 2, 5] → [(0, 2), (5, 5)]."""
    runs: list[tuple[int, int]] = []
    for i in indices:
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def shortlist_range_sentence(table: Table) -> str:
    """The sentence stating for which shortlist sizes every compared group meets the impact-ratio threshold.

    Examples
    --------
    >>> table = Table(name="shortlist:sex", by=["sex"], metric="selection_rate", numerator="selected",
    ...     denominator="n", reference=None, rows=[], tests={"meets_impact_ratio": {"threshold": 0.8,
    ...     "shortlists": ["top 5%", "top 10%", "top 30%"], "ranges": [["top 5%", "top 10%"], ["top 30%", "top 30%"]],
    ...     "swept": 10, "first": "top 5%", "last": "top 50%", "model_shortlist": "top 20%", "model_meets": False}})
    >>> print(shortlist_range_sentence(table))
    Shortlists by sex: every compared group has an impact ratio of at least 0.8 for the top 5% to top 10% and top 30% (3 of the 10 shortlist sizes, top 5% to top 50%); the model's shortlist (top 20%) is not among them.
    """
    meets_ = table.tests["meets_impact_ratio"]
    by = " × ".join(table.by)
    limit = f"{meets_['threshold']:g}"
    span = f"{meets_['first']} to {meets_['last']}"
    runs = [lo if lo == hi else f"{lo} to {hi}" for lo, hi in meets_["ranges"]]
    if not runs:
        sentence = (
            f"Shortlists by {by}: at none of the {meets_['swept']} shortlist sizes ({span}) does every "
            f"compared group have an impact ratio of at least {limit}."
        )
    else:
        sentence = (
            f"Shortlists by {by}: every compared group has an impact ratio of at least {limit} for the "
            f"{listed(runs)} ({len(meets_['shortlists'])} of the {meets_['swept']} shortlist sizes, {span})."
        )
    model = meets_.get("model_shortlist")
    if model is not None:
        sentence = sentence[:-1] + (
            f"; the model's shortlist ({model}) is {'among them' if meets_['model_meets'] else 'not among them'}."
        )
    return sentence
