"""Stratified bootstrap that resamples per-group cell counts (not rows) and its intervals.

Each replicate draws every group's cells from a multinomial with the group's own size and
observed cell shares, so group sizes are fixed and a small group never vanishes from a
replicate. Undefined values (a rate of an empty group, a ratio to a zero reference rate) are
``np.nan``.

A percentile bootstrap of a rate, or of a ratio or difference of two rates, does not cover where
a group has few selected or few not selected: a group with none selected draws none in every
replicate, and its intervals collapse onto the estimate (its ratio interval is [0, 0]). At 20 per
group and a rate of 0.05 its ratio interval covers about 64 % of the time
(``benchmarks/bench_intervals.py``). :func:`bootstrap_rate_intervals` therefore uses it only
where every group involved has at least :data:`MIN_BOOTSTRAP_COUNT` selected and as many not
selected, and the score-based intervals (Wilson, MOVER-R, Newcombe) below that.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from equityaudit.errors import DataError
from equityaudit.stats.inference import difference_interval, mover_ratio_interval, wilson_interval

__all__ = ["MIN_BOOTSTRAP_COUNT", "bootstrap_rate_intervals", "percentile_interval", "resample_cells"]

FloatArray = NDArray[np.float64]

Seed = int | np.random.Generator | None

MIN_BOOTSTRAP_COUNT = 10
"""Fewest selected, and fewest not selected, each group of a quantity needs for its percentile
bootstrap interval; below it :func:`bootstrap_rate_intervals` uses the score-based interval. At 10
the percentile bootstrap of a ratio covers 0.94 or more of the time on the grid of
``benchmarks/bench_intervals.py`` (n from 10 to 1,000 per group, rates from 0.02 to 0.95)."""


def resample_cells(cells: ArrayLike, *, replicates: int = 1000, seed: Seed = None) -> NDArray[np.int64]:
    """Draw bootstrap replicates of per-group cell counts, stratified by group.

    Group ``g`` with cells :math:`c_g` and size :math:`n_g = \\sum_k c_{gk}` is redrawn as
    :math:`\\mathrm{Multinomial}(n_g, c_g / n_g)` in every replicate, independently of the other
    groups. Groups of size 0 stay all zeros.

    Parameters
    ----------
    cells : array_like of int, shape (G, K)
        Cell counts per group, e.g. ``K = 2`` for [selected, not selected] or ``K = 4`` for
        [tp, fp, fn, tn].
    replicates : int, default 1000
        Number of bootstrap replicates.
    seed : int, numpy.random.Generator or None
        Passed to :func:`numpy.random.default_rng`.

    Returns
    -------
    ndarray of int64, shape (replicates, G, K)
        The resampled cell counts; every replicate has the original group totals.

    Examples
    --------
    >>> draws = resample_cells([[3, 7], [0, 0]], replicates=5, seed=1)
    >>> draws.shape
    (5, 2, 2)
    >>> draws.sum(axis=2).tolist()
    [[10, 0], [10, 0], [10, 0], [10, 0], [10, 0]]
    """
    table = np.asarray(cells, dtype=np.float64)
    if table.ndim != 2:
        raise ValueError(
            f"Expected `cells` of shape (groups, cells), found shape {table.shape}. "
            "Stack the cell counts of each group as one row."
        )
    finite = np.isfinite(table)
    bad = ~finite | (table < 0) | (table != np.floor(np.where(finite, table, 0)))
    if np.any(bad):
        raise DataError(
            f"Expected `cells` to hold counts (non-negative whole numbers), found "
            f"{table[bad].ravel()[:5].tolist()}."
        )
    if isinstance(replicates, bool) or not isinstance(replicates, int) or replicates < 1:
        raise ValueError(f"Expected a positive whole number of `replicates`, found {replicates!r}.")
    counts = table.astype(np.int64)
    sizes = counts.sum(axis=1)
    groups, kinds = counts.shape
    if kinds == 0:
        return np.zeros((replicates, groups, 0), dtype=np.int64)
    # An empty group draws 0 items whatever its shares; give it valid shares (all in cell 0).
    placeholder = np.zeros(kinds)
    placeholder[0] = 1.0
    shares = np.where(sizes[:, None] > 0, counts / np.maximum(sizes, 1)[:, None], placeholder[None, :])
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(sizes, shares, size=(replicates, groups))
    return np.asarray(draws, dtype=np.int64)


def percentile_interval(
    samples: ArrayLike, *, alpha: float = 0.05, axis: int = 0
) -> tuple[FloatArray, FloatArray]:
    """Percentile bootstrap interval, ignoring ``nan`` replicates.

    The bounds are the ``alpha/2`` and ``1 - alpha/2`` quantiles (linear interpolation) of the
    non-``nan`` replicates along ``axis``. Where more than half of the replicates are ``nan``
    the statistic is undefined too often to summarise, and both bounds are ``nan``.

    Parameters
    ----------
    samples : array_like of float
        Bootstrap replicates of a statistic; replicates run along ``axis``.
    alpha : float, default 0.05
        One minus the confidence level.
    axis : int, default 0
        The replicate axis.

    Returns
    -------
    lower, upper : ndarray of float64
        Bounds, with ``axis`` removed from the shape.

    Examples
    --------
    >>> samples = np.array([[0.1, np.nan], [0.2, np.nan], [0.3, 1.0], [0.4, np.nan]])
    >>> percentile_interval(samples, alpha=0.5)
    (array([0.175,   nan]), array([0.325,   nan]))
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"Expected `alpha` strictly between 0 and 1, found {alpha!r}.")
    values = np.asarray(samples, dtype=np.float64)
    if values.ndim == 0 or values.shape[axis] == 0:
        raise ValueError(f"Expected at least one replicate along axis {axis}, found shape {values.shape}.")
    missing = np.isnan(values)
    too_sparse = missing.sum(axis=axis) * 2 > values.shape[axis]
    # Fill the positions we will discard so that nanquantile never sees an all-nan slice.
    values = np.where(np.expand_dims(too_sparse, axis), 0.0, values)
    bounds = np.nanquantile(values, [alpha / 2.0, 1.0 - alpha / 2.0], axis=axis)
    lower = np.where(too_sparse, np.nan, bounds[0])
    upper = np.where(too_sparse, np.nan, bounds[1])
    return np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64)


def bootstrap_rate_intervals(
    successes: ArrayLike,
    n: ArrayLike,
    *,
    reference_index: int,
    replicates: int = 1000,
    alpha: float = 0.05,
    seed: Seed = None,
    invert: bool = False,
    min_count: int = MIN_BOOTSTRAP_COUNT,
) -> dict[str, tuple[FloatArray, FloatArray]]:
    """Intervals for each group's rate and its ratio and difference to the reference group.

    Each group's [selected, not selected] counts are resampled with :func:`resample_cells`; in
    every replicate the rates, the ratio of each rate to the reference group's rate, and the
    difference from it are computed, and :func:`percentile_interval` summarises them — for the
    quantities whose groups (the group for a rate; the group and the reference for a ratio or a
    difference) each have at least ``min_count`` selected and ``min_count`` not selected. The
    others get score-based intervals, which keep close to their nominal coverage on small counts,
    where the percentile bootstrap does not: :func:`~equityaudit.stats.inference.wilson_interval`
    for a rate, :func:`~equityaudit.stats.inference.mover_ratio_interval` (MOVER-R) for a ratio
    and :func:`~equityaudit.stats.inference.difference_interval` (Newcombe) for a difference. So a
    group with none selected gets a ratio interval from 0 to a positive upper bound, never [0, 0].

    A ratio to a reference rate of 0 (inverted: a ratio over the group's rate of 0) is undefined,
    and so is its interval (``nan``); a bootstrap ratio interval is ``nan`` too where the ratio is
    undefined in more than half of the replicates. The reference's own ratio interval is [1, 1]
    and its difference interval [0, 0]. Rates of empty groups are ``nan``.

    Parameters
    ----------
    successes, n : array_like of int, 1-D
        Selected count and group size per group.
    reference_index : int
        Position of the reference group in ``successes`` and ``n``.
    replicates : int, default 1000
        Number of bootstrap replicates.
    alpha : float, default 0.05
        One minus the confidence level.
    seed : int, numpy.random.Generator or None
        Passed to :func:`numpy.random.default_rng`.
    invert : bool
        Compute the reference's rate over each group's (an unfavourable outcome's ratio) in every
        replicate, instead of each group's over the reference's.
    min_count : int, default MIN_BOOTSTRAP_COUNT (10)
        Fewest selected and fewest not selected each group of a quantity needs for its percentile
        bootstrap interval; 0 uses the percentile bootstrap for every quantity.

    Returns
    -------
    dict
        ``{"rate": (lo, hi), "ratio": (lo, hi), "difference": (lo, hi)}``, each bound a float64
        array with one entry per group.

    Examples
    --------
    >>> out = bootstrap_rate_intervals([30, 45, 0], [100, 100, 20], reference_index=1, seed=0)
    >>> sorted(out)
    ['difference', 'rate', 'ratio']
    >>> lo, hi = out["ratio"]
    >>> bool(lo[0] < 30 / 45 < hi[0]), float(lo[1]), float(hi[1])
    (True, 1.0, 1.0)

    None of 20 selected: the MOVER-R interval, from 0 to a positive upper bound.

    >>> float(lo[2]), round(float(hi[2]), 4)
    (0.0, 0.3661)
    """
    x = np.asarray(successes, dtype=np.float64)
    size = np.asarray(n, dtype=np.float64)
    if x.ndim != 1 or x.shape != size.shape:
        raise ValueError(
            f"Expected 1-D `successes` and `n` of equal length, found shapes {x.shape} and {size.shape}."
        )
    if np.any(x > size):
        raise DataError(
            f"Expected `successes` <= `n` in every group, found successes={x[x > size].tolist()} "
            f"with n={size[x > size].tolist()}."
        )
    groups = x.size
    if not -groups <= reference_index < groups:
        raise IndexError(
            f"Expected `reference_index` to point at one of the {groups} groups, found {reference_index}."
        )
    if isinstance(min_count, bool) or not isinstance(min_count, int) or min_count < 0:
        raise ValueError(f"Expected a non-negative whole number `min_count`, found {min_count!r}.")
    reference_index %= groups
    draws = resample_cells(np.stack([x, size - x], axis=1), replicates=replicates, seed=seed)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = draws[:, :, 0] / size
        reference = rate[:, [reference_index]]
        if invert:  # the reference's rate over each group's: undefined where the group's rate is 0
            ratio = np.where(rate > 0, reference / rate, np.nan)
        else:
            ratio = np.where(reference > 0, rate / reference, np.nan)
    difference = rate - reference
    percentile = {
        "rate": percentile_interval(rate, alpha=alpha),
        "ratio": percentile_interval(ratio, alpha=alpha),
        "difference": percentile_interval(difference, alpha=alpha),
    }

    # score-based intervals where a group has too few selected or not selected
    x_ref = np.full_like(x, x[reference_index])
    n_ref = np.full_like(size, size[reference_index])
    if invert:
        mover = mover_ratio_interval(x_ref, n_ref, x, size, alpha=alpha)
    else:
        mover = mover_ratio_interval(x, size, x_ref, n_ref, alpha=alpha)
    score = {
        "rate": wilson_interval(x, size, alpha=alpha),
        "ratio": mover,
        "difference": difference_interval(x, size, x_ref, n_ref, alpha=alpha),
    }
    enough = np.minimum(x, size - x) >= min_count
    use_bootstrap = {"rate": enough, "ratio": enough & enough[reference_index]}
    use_bootstrap["difference"] = use_bootstrap["ratio"]

    with np.errstate(divide="ignore", invalid="ignore"):
        observed = x / size
    ratio_undefined = ~(observed > 0) if invert else np.full(groups, not observed[reference_index] > 0)
    out: dict[str, tuple[FloatArray, FloatArray]] = {}
    for key, (boot_low, boot_high) in percentile.items():
        score_low, score_high = score[key]
        low = np.where(use_bootstrap[key], boot_low, score_low)
        high = np.where(use_bootstrap[key], boot_high, score_high)
        if key == "ratio":
            low = np.where(ratio_undefined, np.nan, low)
            high = np.where(ratio_undefined, np.nan, high)
            if observed[reference_index] > 0:
                low[reference_index] = high[reference_index] = 1.0
        elif key == "difference" and size[reference_index] > 0:
            low[reference_index] = high[reference_index] = 0.0
        out[key] = (np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64))
    return out
