"""Rates from counts: every metric equityaudit reports is a proportion numerator / denominator.

Because each metric is a ratio of two counts of the same group, one interval method (Wilson),
one ratio method and one difference method serve them all, and a pooled audit recomputes them
exactly from summed counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["METRICS", "Metric", "cell_arrays", "derive_cells", "proportion"]


@dataclass(frozen=True)
class Metric:
    """A rate defined as ``numerator / denominator`` of two count columns."""

    name: str
    numerator: str
    denominator: str
    label: str
    favourable: bool = True
    """Whether a higher value is better for the group (selection, TPR) or worse (FPR, FNR)."""


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("selection_rate", "selected", "n", "selection rate"),
        Metric("favourable_rate", "not_selected", "n", "favourable rate (share not receiving the decision)"),
        Metric("scoring_rate", "above", "n", "scoring rate (share above the sample median)"),
        Metric("base_rate", "positives", "n", "base rate (share with a positive outcome)"),
        Metric("tpr", "tp", "positives", "true positive rate"),
        Metric("fpr", "fp", "negatives", "false positive rate", favourable=False),
        Metric("fnr", "fn", "positives", "false negative rate", favourable=False),
        Metric("tnr", "tn", "negatives", "true negative rate"),
        Metric("ppv", "tp", "selected", "positive predictive value"),
        Metric("npv", "tn", "not_selected", "negative predictive value"),
        Metric("fdr", "fp", "selected", "false discovery rate", favourable=False),
        Metric("for", "fn", "not_selected", "false omission rate", favourable=False),
        Metric("accuracy", "correct", "n", "accuracy"),
    )
}
"""The rates equityaudit knows, by name."""

ERROR_RATE_METRICS = ("tpr", "fpr", "fnr", "tnr", "ppv", "npv", "fdr", "for", "accuracy")


def derive_cells(table: pd.DataFrame) -> pd.DataFrame:
    """Add the confusion-matrix cells implied by ``n``, ``selected``, ``positives`` and ``tp``.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"n": [10], "selected": [4], "positives": [5], "tp": [3]})
    >>> derive_cells(t).iloc[0].to_dict()  # doctest: +NORMALIZE_WHITESPACE
    {'n': 10, 'selected': 4, 'positives': 5, 'tp': 3, 'not_selected': 6, 'negatives': 5,
     'fp': 1, 'fn': 2, 'tn': 4, 'correct': 7}
    """
    out = table.copy()
    _add_cells(out)
    return out


def cell_arrays(table: pd.DataFrame, by: Sequence[str]) -> dict[str, NDArray[np.int64]]:
    """The count columns of a table (those not in ``by``) and the cells :func:`derive_cells` adds, as int64 arrays.

    The same numbers, in the same column order, as ``derive_cells(table)`` without its ``by``
    columns, computed on numpy arrays: a rate table needs the arrays, and building a frame
    column by column costs more than the arithmetic on a few dozen groups.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"sex": ["F"], "n": [10], "selected": [4], "positives": [5], "tp": [3]})
    >>> {k: v.tolist() for k, v in cell_arrays(t, ["sex"]).items()}  # doctest: +NORMALIZE_WHITESPACE
    {'n': [10], 'selected': [4], 'positives': [5], 'tp': [3], 'not_selected': [6], 'negatives': [5],
     'fp': [1], 'fn': [2], 'tn': [4], 'correct': [7]}
    """
    out = {c: table[c].to_numpy(dtype=np.int64) for c in table.columns if c not in by}
    _add_cells(out)
    return out


def _add_cells(out: Any) -> None:
    """Add the derived cells to ``out``, a frame or a mapping of arrays (both index by column name)."""
    if "selected" in out:
        out["not_selected"] = out["n"] - out["selected"]
    if "positives" in out:
        out["negatives"] = out["n"] - out["positives"]
    if {"tp", "selected", "positives"} <= set(out):
        out["fp"] = out["selected"] - out["tp"]
        out["fn"] = out["positives"] - out["tp"]
        out["tn"] = out["n"] - out["selected"] - out["fn"]
        out["correct"] = out["tp"] + out["tn"]


def proportion(numerator: ArrayLike, denominator: ArrayLike) -> NDArray[np.float64]:
    """``numerator / denominator``, NaN (undefined) where the denominator is zero.

    Examples
    --------
    >>> proportion([1, 0, 3], [4, 0, 3]).tolist()
    [0.25, nan, 1.0]
    """
    num = np.asarray(numerator, dtype=np.float64)
    den = np.asarray(denominator, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def available(table: pd.DataFrame) -> list[str]:
    """Names of the metrics whose count columns the table has."""
    return [m.name for m in METRICS.values() if {m.numerator, m.denominator} <= set(table.columns)]
