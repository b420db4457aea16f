"""Association between a segmentation feature and a sensitive attribute, and proxy classifiers.

A feature is a *proxy* for a sensitive attribute when knowing it tells you the attribute:
segmenting customers on it then reproduces the attribute's lines even though the attribute was
never used. Three measures of association, each from counts or per-category sums (so they are
computed on the whole data after one grouped aggregation), and one predictive test:

- :func:`cramers_v` — Cramér's V of a categorical feature × attribute contingency table
  (``scipy.stats.contingency.association``, without continuity correction): 0 no association,
  1 the feature determines the attribute (or the reverse).
- :func:`correlation_ratio` — η of a numeric feature across the attribute's categories: the
  square root of the share of the feature's variance explained by the categories.
- :func:`normalized_mutual_information` — mutual information normalised by the arithmetic mean
  of the two entropies (scikit-learn's ``normalized_mutual_info_score`` default), from a
  contingency table; numeric features are binned first (see :func:`quantile_cuts`).
- :func:`cross_validated_auc` — how well a classifier predicts the attribute from one or all
  features, as the one-vs-rest macro ROC AUC over stratified k-fold cross-validation: 0.5 is
  chance, 1 perfect prediction.

scikit-learn is imported only inside :func:`cross_validated_auc`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "ProxyAUC",
    "correlation_ratio",
    "cramers_v",
    "cross_validated_auc",
    "normalized_mutual_information",
    "quantile_cuts",
]

FloatArray = NDArray[np.float64]


def _table(contingency: ArrayLike) -> FloatArray:
    """A 2-D table of non-negative counts with its empty rows and columns dropped."""
    table = np.asarray(contingency, dtype=np.float64)
    if table.ndim != 2:
        raise ValueError(f"Expected a 2-D contingency table, found shape {table.shape}.")
    if np.any(~np.isfinite(table) | (table < 0)):
        raise ValueError("Expected a contingency table of non-negative counts.")
    kept: FloatArray = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    return kept


def cramers_v(contingency: ArrayLike) -> float:
    """Cramér's V of a contingency table (rows: feature values, columns: attribute categories).

    :math:`V = \\sqrt{\\chi^2 / (N (\\min(r, c) - 1))}` with Pearson's :math:`\\chi^2` without
    continuity correction, computed by ``scipy.stats.contingency.association`` for a table of
    whole counts, and by the same formula for a weighted table (estimated group membership),
    which scipy refuses. Empty rows and columns are dropped first; with fewer than two of
    either the association is undefined (``nan``).

    Examples
    --------
    >>> round(cramers_v([[30, 10], [10, 30]]), 4)
    0.5
    >>> cramers_v([[5, 5]])
    nan
    """
    from scipy.stats.contingency import association

    table = _table(contingency)
    if min(table.shape) < 2:
        return math.nan
    if np.array_equal(table, np.round(table)):
        return float(association(table.astype(np.int64), method="cramer", correction=False))
    total = table.sum()
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / total
    chi2 = float(((table - expected) ** 2 / expected).sum())
    return float(math.sqrt(chi2 / (total * (min(table.shape) - 1))))


def correlation_ratio(count: ArrayLike, total: ArrayLike, sum_of_squares: ArrayLike) -> float:
    """Correlation ratio η of a numeric feature across categories, from per-category sums.

    For category :math:`k` with :math:`n_k` rows, :math:`s_k = \\sum (x - c)` and
    :math:`q_k = \\sum (x - c)^2` around any common centre :math:`c` (the overall mean keeps
    the sums accurate), :math:`\\eta^2 = SS_{between} / SS_{total}` with
    :math:`SS_{between} = \\sum_k s_k^2 / n_k - S^2/N` and :math:`SS_{total} = \\sum_k q_k - S^2/N`.
    Undefined (``nan``) when the feature is constant or fewer than two categories have rows.

    Examples
    --------
    >>> x = {"a": [1.0, 2.0, 3.0], "b": [4.0, 5.0, 6.0]}
    >>> n = [len(v) for v in x.values()]
    >>> s = [sum(v) for v in x.values()]
    >>> q = [sum(t * t for t in v) for v in x.values()]
    >>> round(correlation_ratio(n, s, q), 4)  # SS_between 13.5 of SS_total 17.5
    0.8783
    """
    n = np.asarray(count, dtype=np.float64)
    s = np.asarray(total, dtype=np.float64)
    q = np.asarray(sum_of_squares, dtype=np.float64)
    keep = n > 0
    n, s, q = n[keep], s[keep], q[keep]
    if n.size < 2:
        return math.nan
    grand = s.sum() ** 2 / n.sum()
    ss_total = q.sum() - grand
    ss_between = float((s * s / n).sum() - grand)
    scale = max(q.sum(), 1e-300)
    if ss_total <= 1e-12 * scale:
        return math.nan
    return float(math.sqrt(min(max(ss_between / ss_total, 0.0), 1.0)))


def _entropy(counts: FloatArray) -> float:
    total = counts.sum()
    p = counts[counts > 0] / total
    return float(-(p * np.log(p)).sum())


def normalized_mutual_information(contingency: ArrayLike) -> float:
    """Mutual information of a contingency table over the arithmetic mean of the two entropies.

    :math:`NMI = I(U; V) / ((H(U) + H(V))/2)`, natural logarithms (the base cancels). As in
    scikit-learn's ``normalized_mutual_info_score``, two constant labellings score 1 and a
    constant labelling against a varying one scores 0.

    Examples
    --------
    >>> round(normalized_mutual_information([[30, 10], [10, 30]]), 4)
    0.1887
    >>> normalized_mutual_information([[10, 0], [0, 10]])
    1.0
    """
    table = _table(contingency)
    if table.size == 0:
        return math.nan
    rows, columns = table.sum(axis=1), table.sum(axis=0)
    if rows.size == 1 and columns.size == 1:
        return 1.0
    if rows.size == 1 or columns.size == 1:
        return 0.0
    total = table.sum()
    nonzero = table > 0
    joint = table[nonzero] / total
    outer = np.outer(rows, columns)[nonzero] / (total * total)
    mutual = float((joint * (np.log(joint) - np.log(outer))).sum())
    mean_entropy = (_entropy(rows) + _entropy(columns)) / 2.0
    return float(min(max(mutual / mean_entropy, 0.0), 1.0))


def quantile_cuts(values: ArrayLike, *, bins: int = 10) -> FloatArray:
    """Cut points that split a numeric feature into (at most) ``bins`` equal-frequency bins.

    The interior quantiles ``1/bins, 2/bins, …`` (linear interpolation), duplicates removed, so
    a feature with few distinct values gets fewer bins. A value ``x`` falls in bin
    ``sum(x > cut)`` (the number of cut points strictly below it); missing values are binned
    apart by the caller.

    Examples
    --------
    >>> quantile_cuts(np.arange(1, 101), bins=4).tolist()
    [25.75, 50.5, 75.25]
    >>> quantile_cuts([1, 1, 1, 1, 2], bins=4).tolist()  # three cuts at 1: one remains
    [1.0]
    """
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size == 0 or bins < 2:
        return np.empty(0)
    return np.unique(np.quantile(x, np.arange(1, bins) / bins))


@dataclass(frozen=True)
class ProxyAUC:
    """Cross-validated one-vs-rest AUC of predicting a categorical attribute."""

    auc: float
    """Mean over folds of the macro (unweighted) mean of the classes' one-vs-rest AUCs."""
    fold_aucs: tuple[float, ...]
    """Macro AUC of each fold."""
    per_class: dict[str, float]
    """Each class's one-vs-rest AUC, averaged over folds."""
    rows: int
    """Rows the classifier saw (training and test over all folds)."""
    model: str
    """``frequency`` (one feature) or ``logistic`` (several)."""
    converged: bool = True
    """False when the logistic regression stopped at its iteration limit in some fold."""


def cross_validated_auc(
    codes: ArrayLike,
    labels: ArrayLike,
    *,
    model: Literal["frequency", "logistic"] = "logistic",
    folds: int = 5,
    seed: int = 0,
) -> ProxyAUC:
    """How well features predict a categorical attribute: stratified k-fold one-vs-rest macro AUC.

    Parameters
    ----------
    codes : array_like of int, shape (n, f)
        Each feature as integer codes (categories, or the bins of a numeric feature).
    labels : array_like, shape (n,)
        The attribute's category of each row (at least two categories, each with at least
        ``folds`` rows).
    model : {"frequency", "logistic"}
        ``frequency`` (one feature only): the attribute's distribution within the feature's
        value in the training folds, smoothed by one pseudo-row spread as the overall
        distribution — the best possible classifier on that one feature. ``logistic``: a
        multinomial logistic regression (scikit-learn, lbfgs, ``C=1``, ``tol=1e-3``) on the
        one-hot encoding of every feature's codes, i.e. an additive model over the features'
        values and bins.
    folds : int, default 5
        Number of stratified folds (shuffled with ``seed``).
    seed : int, default 0
        Seed of the fold assignment.

    Returns
    -------
    ProxyAUC
        The AUC is the mean over folds of the macro average of the classes' one-vs-rest AUCs
        (``roc_auc_score(..., multi_class="ovr", average="macro")``).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> race = rng.integers(0, 3, 3000)
    >>> postcode = race * 10 + rng.integers(0, 14, 3000)  # neighbourhoods overlap a little
    >>> result = cross_validated_auc(postcode[:, None], race, model="frequency")
    >>> 0.85 < result.auc < 1.0, len(result.fold_aucs)
    (True, 5)
    >>> noise = rng.integers(0, 10, (3000, 1))
    >>> round(cross_validated_auc(noise, race, model="frequency").auc, 1)
    0.5
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    x = np.asarray(codes)
    if x.ndim != 2:
        raise ValueError(f"Expected codes of shape (rows, features), found shape {x.shape}.")
    x = x.astype(np.int64)
    classes, y = np.unique(np.asarray(labels).astype(str), return_inverse=True)
    counts = np.bincount(y, minlength=classes.size)
    if classes.size < 2 or counts.min() < folds:
        raise ValueError(
            f"Expected at least two categories with at least {folds} rows each, found "
            f"{dict(zip(classes.tolist(), counts.tolist(), strict=True))}."
        )
    if model == "frequency" and x.shape[1] != 1:
        raise ValueError(f"The frequency model takes one feature, found {x.shape[1]}.")
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    fold_aucs: list[float] = []
    per_class = np.zeros(classes.size)
    converged = True
    encoded: Any = None
    if model == "logistic":
        from sklearn.preprocessing import OneHotEncoder

        encoded = OneHotEncoder(handle_unknown="ignore").fit_transform(x)
    for train, test in splitter.split(x, y):
        if model == "frequency":
            proba = _frequency_proba(x[train, 0], y[train], x[test, 0], classes.size)
        else:
            from sklearn.linear_model import LogisticRegression

            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ConvergenceWarning)
                fitted = LogisticRegression(C=1.0, tol=1e-3, max_iter=300).fit(encoded[train], y[train])
            if any(issubclass(w.category, ConvergenceWarning) for w in caught):
                converged = False  # reported on the result; the AUC of the last iterate is still valid
            for w in caught:
                if not issubclass(w.category, ConvergenceWarning):
                    warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
            proba = fitted.predict_proba(encoded[test])
        # one-vs-rest AUC of each class; their mean is scikit-learn's macro AUC
        # (roc_auc_score(multi_class="ovr", average="macro")), so each class is scored once
        fold = [float(roc_auc_score(y[test] == k, proba[:, k])) for k in range(classes.size)]
        fold_aucs.append(float(np.mean(fold)))
        per_class += np.asarray(fold) / folds
    return ProxyAUC(
        auc=float(np.mean(fold_aucs)),
        fold_aucs=tuple(fold_aucs),
        per_class=dict(zip(classes.tolist(), per_class.tolist(), strict=True)),
        rows=int(x.shape[0]),
        model=model,
        converged=converged,
    )


def _frequency_proba(
    train: NDArray[np.int64], y: NDArray[np.int64], test: NDArray[np.int64], k: int
) -> FloatArray:
    """P(class | feature value) from training counts, smoothed by one pseudo-row at the prior."""
    offset = train.min(initial=0) if train.size else 0
    low = min(offset, test.min(initial=0) if test.size else 0)
    width = int(max(train.max(initial=0), test.max(initial=0)) - low + 1)
    table = np.bincount((train - low) * k + y, minlength=width * k).reshape(width, k).astype(np.float64)
    prior = np.bincount(y, minlength=k) / max(y.size, 1)
    smoothed = (table + prior) / (table.sum(axis=1, keepdims=True) + 1.0)
    return np.asarray(smoothed[test - low], dtype=np.float64)
