"""A model's quality by group, beyond rates: AUC, calibration, score gaps and shortlists.

For a model audit (a spec's ``model:`` giving a probability or a score), :func:`model_quality`
adds descriptive tables — not judged, no finding, the verdict unchanged — for each grouping the
audit compares (each sensitive column, and their cross):

``model:<by>``
    per group: ``n``, ``positives`` (rows whose true label is 1), the **AUC** of the group's rows
    with a DeLong interval (:func:`delong_auc`), ``mean_score``, ``observed_rate``, the
    **calibration-in-the-large** ``mean_score − observed_rate`` with a normal interval (probabilities
    only), the **standardised mean difference** of the group's scores against the other rows'
    (:func:`standardised_mean_difference`) and the **two-sample Kolmogorov–Smirnov** statistic
    and p-value of the group's scores against the other rows' (``scipy.stats.ks_2samp``).
``calibration:<by>``
    a reliability table (probabilities only): per group and each non-empty bin of ten equal-width
    probability bins, the rows, the mean predicted probability and the observed rate with its
    Wilson interval. Bins are closed on the right, the first on both sides — [0, 0.1], (0.1, 0.2],
    …, (0.9, 1] — the binning of ``sklearn.calibration.calibration_curve(strategy="uniform")``.
``shortlist:<by>``
    selection rates and impact ratios for the top 5 %, …, 50 % of rows
    (:func:`equityaudit.shortlist.shortlist_table`); needs no label.

The true label is ``columns.outcome`` when the auditor takes it, else ``model.outcome``
(:attr:`equityaudit.spec.AuditSpec.model_label`); without one, the AUC and calibration tables are
skipped and a note says so. For a model whose output is a ``score`` (not a probability) the
calibration columns and table are skipped, with a note. Intervals are at the level
``1 − thresholds.alpha``.

The score, label and sensitive columns leave the data's backend once, through
:func:`equityaudit.frames.rows_for_python`: ranks, AUCs and KS statistics need the rows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from equityaudit.frames import rows_for_python
from equityaudit.results import Table
from equityaudit.shortlist import shortlist_range_sentence, shortlist_table
from equityaudit.spec import AuditSpec, LabelledColumn
from equityaudit.stats.inference import wilson_interval
from equityaudit.values import UNKNOWN, binary_mapping, null_as_none, sensitive_label

__all__ = [
    "CALIBRATION_BINS",
    "ModelTables",
    "delong_auc",
    "model_quality",
    "reliability_bins",
    "standardised_mean_difference",
]

CALIBRATION_BINS = 10
"""Equal-width probability bins of the reliability table."""


@dataclass
class ModelTables:
    """The descriptive model tables of one audit and their notes."""

    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def model_quality(
    frame: nw.LazyFrame[Any],
    spec: AuditSpec,
    *,
    score: str,
    groupings: Sequence[tuple[str, ...]],
    origin: str = "<data>",
) -> ModelTables:
    """The shortlist, model-quality and calibration tables of a model audit (module docstring).

    Parameters
    ----------
    frame
        The scored rows (groups already named).
    spec
        The audit's spec: sensitive columns, unknown values, thresholds, the model and its label.
    score
        The column of the model's output.
    groupings
        The groupings to describe (each sensitive column, and their cross).
    origin
        The data source, for messages.

    Returns
    -------
    ModelTables
        ``shortlist:<by>`` for every grouping; with a true label, ``model:<by>``; with a label
        and probabilities, ``calibration:<by>``; a note for each sentence and each skipped table.

    Examples
    --------
    >>> import pandas as pd
    >>> from equityaudit.spec_loading import spec_from_mapping
    >>> df = pd.DataFrame({"sex": ["F", "M"] * 6, "s": [.1, .2, .3, .4, .5, .6, .7, .8, .9, .15, .25, .35],
    ...                    "y": [0, 0, 0, 1, 1, 1, 1, 0, 1, 0, 1, 1]})
    >>> spec = spec_from_mapping({"equityaudit": 1, "name": "t", "auditor": "decisions", "data": {"path": "x.csv"},
    ...     "columns": {"sensitive": ["sex"], "decision": "d", "outcome": "y"}, "thresholds": {"min_group_size": 1}})
    >>> tables = model_quality(nw.from_native(df).lazy(), spec, score="s", groupings=[("sex",)])
    >>> [t.name for t in tables.tables]
    ['shortlist:sex', 'model:sex', 'calibration:sex']
    >>> [(r["group"]["sex"], r["n"], r["positives"], round(r["auc"], 4)) for r in tables.tables[1].rows]
    [('F', 6, 4, 0.875), ('M', 6, 3, 0.6667)]
    """
    sensitive = list(spec.columns.sensitive)
    label = spec.model_label
    label_key, outcome = label if label is not None else ("columns.outcome", None)
    label_column = outcome.column if isinstance(outcome, LabelledColumn) else outcome
    wanted = list(dict.fromkeys([*sensitive, score, *([label_column] if label_column else [])]))
    rows = rows_for_python(
        frame, wanted, why="AUC, calibration and shortlists by group rank the rows' scores", origin=origin
    )
    scores = rows[score].to_numpy(dtype=np.float64)
    result = ModelTables()
    scored = np.isfinite(scores)
    if not scored.all():  # a model that gives no number for a row (an ONNX graph fed a NaN): leave it out
        result.notes.append(
            f"{int((~scored).sum())} of {len(scores)} rows have no model output (NaN) and are left out of "
            "the shortlists, AUC and calibration by group."
        )
        rows, scores = rows[scored].reset_index(drop=True), scores[scored]
    truth: NDArray[np.int64] | None = None
    if outcome is not None and label_column is not None:
        raw = rows[label_column].map(null_as_none)
        tally = {value: int(count) for value, count in raw.value_counts(dropna=False).items()}
        mapping = binary_mapping(tally, outcome, key=label_key, origin=origin)
        truth = raw.map(mapping).to_numpy(dtype=np.int64)
    probability = spec.model is None or spec.model.output == "probability"
    alpha = spec.thresholds.alpha
    unknown = list(spec.columns.unknown_values)
    labels = {column: _labels(rows[column], unknown) for column in sensitive}
    own = spec.model.shortlist if spec.model is not None else None
    if own is not None:  # how the model's own shortlist fell: the rows tied with the k-th
        from equityaudit.models import shortlist_decision

        _, info = shortlist_decision(scores, own, name=origin, where="model.threshold")
        result.notes.append(
            f"The model's shortlist ({info.rule}) selects the rows whose output is {info.sentence}."
        )
    ordered = np.sort(scores)  # once, for every grouping's shortlists
    for by in groupings:
        groups = _positions(labels, by)
        shortlist = shortlist_table(scores, groups, by=by, spec=spec, score=score, ordered=ordered)
        result.tables.append(shortlist)
        result.notes.append(shortlist_range_sentence(shortlist))
        if truth is not None:
            result.tables.append(
                _quality_table(scores, truth, groups, by=by, probability=probability, alpha=alpha)
            )
            if probability:
                result.tables.append(_calibration_table(scores, truth, groups, by=by, alpha=alpha))
    if truth is None:
        result.notes.append(
            "Model quality by group (AUC, calibration, score differences) was skipped: the data has no true "
            "label. Name the column holding each row's actual outcome under model.outcome (or "
            "columns.outcome for an auditor that takes one) to add it."
        )
    elif not probability:
        result.notes.append(
            "Calibration (calibration-in-the-large and the reliability table) was skipped: the model's "
            "output is a score, not a probability, so its values cannot be compared with observed rates."
        )
    return result


def _labels(column: pd.Series[Any], unknown: Sequence[str]) -> tuple[NDArray[np.intp], list[str]]:
    """Each row's group label (:func:`~equityaudit.values.sensitive_label`) as a code into the
    returned names, worked out once per distinct value (a missing value is Unknown)."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    named = [sensitive_label(v, unknown=unknown) for v in uniques] + [UNKNOWN]
    names = list(dict.fromkeys(named))  # two raw values may share a label
    to_name = np.array([names.index(n) for n in named], dtype=np.intp)
    return to_name[codes], names  # code -1 (a missing value) takes the last entry, Unknown


def _positions(
    labels: Mapping[str, tuple[NDArray[np.intp], list[str]]], by: Sequence[str]
) -> dict[tuple[str, ...], NDArray[np.intp]]:
    """Each group (a tuple of labels) and the positions of its rows, groups sorted.

    The columns' codes are combined into one integer per row and the rows sorted by it once
    (stable, so each group's positions stay in row order), rather than grouping text.
    """
    combined = np.zeros(len(labels[by[0]][0]), dtype=np.int64)
    for column in by:
        codes, names = labels[column]
        combined = combined * len(names) + codes
    order = np.argsort(combined, kind="stable")
    values, starts = np.unique(combined[order], return_index=True)
    groups: dict[tuple[str, ...], NDArray[np.intp]] = {}
    for value, positions in zip(values, np.split(order, starts[1:]), strict=True):
        key: list[str] = []
        rest = int(value)
        for column in reversed(by):
            names = labels[column][1]
            rest, code = divmod(rest, len(names))
            key.append(names[code])
        groups[tuple(reversed(key))] = positions.astype(np.intp)
    return dict(sorted(groups.items()))


def delong_auc(scores: NDArray[np.float64], truth: NDArray[np.int64]) -> tuple[float | None, float | None]:
    """The AUC of ``scores`` for ``truth`` and its DeLong variance (DeLong, DeLong & Clarke-Pearson 1988).

    The AUC is the probability that a positive row scores above a negative one, ties counting
    one half (the Mann–Whitney statistic over m positives and n negatives). Its variance is
    DeLong's: with each positive's placement :math:`V_{10}(x_i)` (the share of negatives it
    outscores) and each negative's :math:`V_{01}(y_j)` (the share of positives that outscore it),
    :math:`\\widehat{\\mathrm{Var}} = s^2_{10}/m + s^2_{01}/n`, computed from midranks as Sun &
    Xu (2014) do. The interval is ``AUC ± z·√Var``, clipped to [0, 1].

    Returns
    -------
    tuple
        The AUC (None without both a positive and a negative) and its variance (None with fewer
        than two of either).

    Examples
    --------
    Positives 0.9, 0.8, 0.4 outscore 3, 3 and 2 of the negatives 0.7, 0.3, 0.1 (placements 1, 1,
    2/3; AUC 8/9, variance of the placements 1/27); the negatives are outscored by 2, 3 and 3
    positives (placements 2/3, 1, 1; variance 1/27): Var = (1/27)/3 + (1/27)/3 = 2/81.

    >>> auc, var = delong_auc(np.array([0.9, 0.8, 0.4, 0.7, 0.3, 0.1]), np.array([1, 1, 1, 0, 0, 0]))
    >>> round(auc, 4), round(var, 5), round(2 / 81, 5)
    (0.8889, 0.02469, 0.02469)
    """
    from scipy.stats import rankdata

    positive, negative = scores[truth == 1], scores[truth == 0]
    m, n = len(positive), len(negative)
    if not m or not n:
        return None, None
    ranks = rankdata(np.concatenate([positive, negative]))
    auc = float((ranks[:m].sum() - m * (m + 1) / 2) / (m * n))
    if m < 2 or n < 2:
        return auc, None
    v10 = (ranks[:m] - rankdata(positive)) / n  # each positive: share of negatives below it
    v01 = 1 - (ranks[m:] - rankdata(negative)) / m  # each negative: share of positives above it
    return auc, float(np.var(v10, ddof=1) / m + np.var(v01, ddof=1) / n)


def standardised_mean_difference(group: NDArray[np.float64], rest: NDArray[np.float64]) -> float | None:
    """(mean of ``group`` − mean of ``rest``) over the pooled standard deviation √((s²₁ + s²₂)/2).

    None when either side has fewer than two values or both are constant.

    Examples
    --------
    >>> standardised_mean_difference(np.array([1.0, 2.0, 3.0]), np.array([2.0, 3.0, 4.0]))
    -1.0
    """
    if len(group) < 2 or len(rest) < 2:
        return None
    pooled = math.sqrt((float(np.var(group, ddof=1)) + float(np.var(rest, ddof=1))) / 2)
    if pooled == 0:
        return None
    return (float(group.mean()) - float(rest.mean())) / pooled


def _quality_table(
    scores: NDArray[np.float64],
    truth: NDArray[np.int64],
    groups: Mapping[tuple[str, ...], NDArray[np.intp]],
    *,
    by: tuple[str, ...],
    probability: bool,
    alpha: float,
) -> Table:
    from scipy.stats import ks_2samp, norm

    z = float(norm.ppf(1 - alpha / 2))
    level = f"{100 * (1 - alpha):g}%"
    rows: list[dict[str, Any]] = []
    everyone = np.ones(len(scores), dtype=bool)
    for group, positions in groups.items():
        mine, y = scores[positions], truth[positions]
        others = everyone.copy()
        others[positions] = False
        rest = scores[others]
        notes: list[str] = []
        auc, variance = delong_auc(mine, y)
        row: dict[str, Any] = {
            "group": dict(zip(by, group, strict=True)),
            "n": len(positions),
            "positives": int(y.sum()),
            "auc": auc,
            "auc_ci_low": None,
            "auc_ci_high": None,
            "mean_score": float(mine.mean()),
            "observed_rate": float(y.mean()),
        }
        if auc is None:
            notes.append("AUC undefined: the group's rows are all positive or all negative")
        elif variance is None:
            notes.append("no AUC interval: fewer than two positives or two negatives")
        else:
            half = z * math.sqrt(variance)
            row["auc_ci_low"], row["auc_ci_high"] = max(0.0, auc - half), min(1.0, auc + half)
        if probability:
            gap = mine - y
            citl = float(gap.mean())
            row["calibration_in_the_large"] = citl
            row["calibration_in_the_large_ci_low"] = row["calibration_in_the_large_ci_high"] = None
            if len(gap) >= 2:
                half = z * float(np.std(gap, ddof=1)) / math.sqrt(len(gap))
                row["calibration_in_the_large_ci_low"] = citl - half
                row["calibration_in_the_large_ci_high"] = citl + half
        row["smd"] = standardised_mean_difference(mine, rest)
        if len(rest):
            ks = ks_2samp(mine, rest)
            row["ks_statistic"], row["ks_p_value"] = float(ks.statistic), float(ks.pvalue)
        else:
            row["ks_statistic"] = row["ks_p_value"] = None
            notes.append("no other rows to compare scores with")
        row["note"] = "; ".join(notes) or None
        rows.append(row)
    return Table(
        name=f"model:{'*'.join(by)}",
        by=list(by),
        metric="auc",
        numerator="positives",
        denominator="n",
        reference=None,
        subject="the model's quality on each group's rows, against the true label",
        methods={
            "auc": f"the group's own ROC AUC (ties count one half); {level} DeLong interval, AUC ± z·SE "
            "clipped to [0, 1]",
            **(
                {
                    "calibration_in_the_large": "mean predicted probability − observed rate of the group; "
                    f"{level} normal interval of the mean of (probability − label)"
                }
                if probability
                else {}
            ),
            "smd": "standardised mean difference of the group's scores against the other rows': "
            "difference of means over √((s²₁ + s²₂)/2)",
            "ks": "two-sample Kolmogorov–Smirnov test of the group's scores against the other rows' "
            "(scipy.stats.ks_2samp, two-sided)",
            "other_rows": "every row not in the group, Unknown included",
            "judging": "descriptive: not judged, no finding",
        },
        rows=rows,
    )


def reliability_bins(probabilities: NDArray[np.float64], bins: int = CALIBRATION_BINS) -> NDArray[np.intp]:
    """Each probability's bin among ``bins`` equal-width bins: [0, 1/b], (1/b, 2/b], …, as scikit-learn bins them.

    Examples
    --------
    >>> reliability_bins(np.array([0.0, 0.1, 0.1001, 0.95, 1.0])).tolist()
    [0, 0, 1, 9, 9]
    """
    edges = np.linspace(0.0, 1.0, bins + 1)
    return np.searchsorted(edges[1:-1], probabilities).astype(np.intp)


def _calibration_table(
    scores: NDArray[np.float64],
    truth: NDArray[np.int64],
    groups: Mapping[tuple[str, ...], NDArray[np.intp]],
    *,
    by: tuple[str, ...],
    alpha: float,
) -> Table:
    binned = reliability_bins(scores)
    edges = np.linspace(0.0, 1.0, CALIBRATION_BINS + 1)
    rows: list[dict[str, Any]] = []
    for group, positions in groups.items():
        mine, y, where = scores[positions], truth[positions], binned[positions]
        n = np.bincount(where, minlength=CALIBRATION_BINS)
        positives = np.bincount(where, weights=y, minlength=CALIBRATION_BINS).astype(np.int64)
        predicted = np.bincount(where, weights=mine, minlength=CALIBRATION_BINS)
        low, high = wilson_interval(positives, n, alpha=alpha)
        for b in np.flatnonzero(n):
            rows.append(
                {
                    "group": dict(zip(by, group, strict=True)),
                    "bin": int(b) + 1,
                    "bin_low": round(float(edges[b]), 10),
                    "bin_high": round(float(edges[b + 1]), 10),
                    "n": int(n[b]),
                    "positives": int(positives[b]),
                    "mean_predicted": float(predicted[b] / n[b]),
                    "observed_rate": float(positives[b] / n[b]),
                    "observed_rate_ci_low": float(low[b]),
                    "observed_rate_ci_high": float(high[b]),
                }
            )
    return Table(
        name=f"calibration:{'*'.join(by)}",
        by=list(by),
        metric="observed_rate",
        numerator="positives",
        denominator="n",
        reference=None,
        subject=f"reliability of the model's probabilities: {CALIBRATION_BINS} equal-width bins, each "
        "group's mean predicted probability against its observed rate",
        methods={
            "bins": f"{CALIBRATION_BINS} equal-width bins [0, 0.1], (0.1, 0.2], …, (0.9, 1] (as "
            "sklearn.calibration.calibration_curve with strategy='uniform'); empty bins are left out",
            "observed_rate_ci": f"Wilson score interval, {100 * (1 - alpha):g}%",
            "judging": "descriptive: not judged, no finding",
        },
        rows=rows,
    )
