"""Multiple-comparison control: Holm and Benjamini–Hochberg adjusted p-values, weighted or not.

Every function takes p-values (``nan`` for a test that could not be run) and returns them
adjusted, as a float64 numpy array in the same order; ``nan`` entries stay ``nan`` and do not count
toward the number of tests. The judging rule adjusts all of an audit's p-values together with
:func:`adjust_p`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["adjust_p", "benjamini_hochberg", "holm"]

FloatArray = NDArray[np.float64]


def _p_values(p_values: ArrayLike) -> FloatArray:
    p = np.asarray(p_values, dtype=np.float64)
    bad = ~np.isnan(p) & ((p < 0) | (p > 1))
    if np.any(bad):
        raise ValueError(f"Expected p-values between 0 and 1 (or nan), found {p[bad].ravel()[:5].tolist()}.")
    return p


def _adjust(p_values: ArrayLike, adjust_sorted: Callable[[FloatArray], FloatArray]) -> FloatArray:
    """Apply a step-wise adjustment to the non-missing p-values in ascending order, keeping the input's
    order and shape; ``nan`` entries stay ``nan`` and do not count."""
    p = _p_values(p_values)
    flat = p.ravel()
    out = np.full(flat.shape, np.nan)
    present = np.flatnonzero(~np.isnan(flat))
    if present.size:
        order = present[np.argsort(flat[present], kind="stable")]
        out[order] = np.minimum(adjust_sorted(flat[order]), 1.0)
    return out.reshape(p.shape)


def _holm_sorted(p: FloatArray) -> FloatArray:
    m = p.size
    return np.maximum.accumulate((m - np.arange(m)) * p)


def _bh_sorted(p: FloatArray) -> FloatArray:
    m = p.size
    return np.minimum.accumulate((m * p / np.arange(1, m + 1))[::-1])[::-1]


def adjust_p(p_values: ArrayLike, method: str, *, weights: ArrayLike | None = None) -> FloatArray:
    """Adjusted p-values by ``method``: ``holm``, ``bh`` (Benjamini–Hochberg) or ``none``.

    With ``weights`` (one per p-value, positive; rescaled to sum to 1 over the non-missing
    p-values) the step-down is Holm's weighted one (Holm 1979, §4): with the p-values sorted by
    :math:`p_i / w_i`, the adjusted value is
    :math:`\\min(1, \\max_{j \\le i} p_{(j)} \\sum_{l \\ge j} w_{(l)} / w_{(j)})`, which is
    Holm's when the weights are equal; ``bh`` applies Benjamini–Hochberg to :math:`p_i / (m w_i)`
    (Genovese, Roeder and Wasserman 2006). Family-wise error (or false discovery) control holds
    whatever the weights, as long as they are fixed before the data are seen.

    Examples
    --------
    >>> adjust_p([0.01, 0.04], "holm").tolist(), adjust_p([0.01, 0.04], "none").tolist()
    ([0.02, 0.04], [0.01, 0.04])

    Weights 3/4 and 1/4: 0.01 / 0.75 sorts first and is multiplied by 1 / 0.75; 0.04 then by 1:

    >>> [round(v, 6) for v in adjust_p([0.01, 0.04], "holm", weights=[3, 1]).tolist()]
    [0.013333, 0.04]
    """
    if weights is not None:
        return _weighted(p_values, weights, method)
    if method == "holm":
        return holm(p_values)
    if method == "bh":
        return benjamini_hochberg(p_values)
    if method == "none":
        return _p_values(p_values)
    raise ValueError(f"Expected a correction of 'holm', 'bh' or 'none', found {method!r}.")


def _weighted(p_values: ArrayLike, weights: ArrayLike, method: str) -> FloatArray:
    """Weighted Holm or Benjamini–Hochberg adjustment (see :func:`adjust_p`)."""
    if method not in ("holm", "bh", "none"):
        raise ValueError(f"Expected a correction of 'holm', 'bh' or 'none', found {method!r}.")
    p = _p_values(p_values).ravel()
    w = np.asarray(weights, dtype=np.float64).ravel()
    if w.shape != p.shape or np.any(~np.isfinite(w)) or np.any(w <= 0):
        raise ValueError("Expected one positive, finite weight per p-value.")
    out = np.full(p.shape, np.nan)
    present = np.flatnonzero(~np.isnan(p))
    if not present.size or method == "none":
        out[present] = p[present]
        return out
    share = w[present] / w[present].sum()
    scaled = p[present] / share  # p_i / w_i
    order = np.argsort(scaled, kind="stable")
    if method == "holm":
        remaining = np.cumsum(share[order][::-1])[::-1]  # sum of the weights not yet rejected
        adjusted = np.maximum.accumulate(p[present][order] * remaining / share[order])
    else:
        m = present.size
        q = scaled[order] / m
        adjusted = np.minimum.accumulate((m * q / np.arange(1, m + 1))[::-1])[::-1]
    result = np.empty(present.size)
    result[order] = np.minimum(adjusted, 1.0)
    out[present] = result
    return out


def holm(p_values: ArrayLike) -> FloatArray:
    """Holm's step-down adjusted p-values (family-wise error control).

    With the ``m`` non-missing p-values sorted, :math:`p_{(1)} \\le \\dots \\le p_{(m)}`, the
    adjusted value is :math:`\\min(1, \\max_{j \\le i} (m - j + 1)\\,p_{(j)})`. ``nan`` entries
    stay ``nan`` and do not count toward ``m``.

    Parameters
    ----------
    p_values : array_like of float
        Raw p-values, any shape.

    Returns
    -------
    ndarray of float64
        Adjusted p-values, same shape and order as the input.

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03, 0.005, np.nan])
    array([0.03, 0.06, 0.06, 0.02,  nan])
    """
    return _adjust(p_values, _holm_sorted)


def benjamini_hochberg(p_values: ArrayLike) -> FloatArray:
    """Benjamini–Hochberg step-up adjusted p-values (false discovery rate control).

    With the ``m`` non-missing p-values sorted, :math:`p_{(1)} \\le \\dots \\le p_{(m)}`, the
    adjusted value is :math:`\\min(1, \\min_{j \\ge i} m\\,p_{(j)}/j)`. ``nan`` entries stay
    ``nan`` and do not count toward ``m``.

    Parameters
    ----------
    p_values : array_like of float
        Raw p-values, any shape.

    Returns
    -------
    ndarray of float64
        Adjusted p-values, same shape and order as the input.

    Examples
    --------
    >>> benjamini_hochberg([0.01, 0.04, 0.03, 0.005, np.nan])
    array([0.02, 0.04, 0.04, 0.02,  nan])
    """
    return _adjust(p_values, _bh_sorted)
