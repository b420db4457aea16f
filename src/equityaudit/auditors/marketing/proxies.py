"""Proxy analysis: does a segmentation feature reveal a sensitive attribute?

For every feature and observed sensitive attribute, over every row (from the rows in memory, or,
when those are the seeded, stratified sample of ``options.sample_rows`` rows that the result
states in ``data.sample``, from one grouped aggregation per feature on the backend, a numeric
feature binned at the sample's deciles; :mod:`equityaudit.sampling`):

- a categorical feature: Cramér's V of the feature × attribute table;
- a numeric feature: the correlation ratio η across the attribute's categories;
- both: normalised mutual information, a numeric feature cut into ``options.proxy_bins``
  equal-frequency bins (deciles by default; missing values form their own bin).

Then, on a seeded random sample of at most ``options.proxy_rows`` customers (20,000) of the rows in memory, the
stratified k-fold cross-validated one-vs-rest macro AUC of predicting the attribute from each
feature alone (the feature's conditional distribution: the best classifier on that feature) and
from all features together (a logistic regression on every feature's one-hot values and bins).
Categories of the attribute with fewer than ``max(min_group_size, folds)`` sampled customers
are left out of the AUC. A categorical feature's 200 most frequent values are kept and the rest
pooled as ``(other)``.

An AUC at or above ``options.proxy_auc_fail`` (0.7, "acceptable discrimination" in Hosmer &
Lemeshow's scale) fails, at or above ``options.proxy_auc_warn`` (0.6) warns. Estimated
attributes are not analysed: their probabilities are usually computed *from* geography (BISG
uses the ZIP code), so a geographic feature would predict them by construction.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np
from numpy.typing import NDArray

from equityaudit.auditors.marketing.data import Prepared
from equityaudit.auditors.marketing.options import MarketingOptions
from equityaudit.frames import rows_for_python
from equityaudit.results import Finding, Status, finite_or_none
from equityaudit.spec import AuditSpec
from equityaudit.stats.association import (
    correlation_ratio,
    cramers_v,
    cross_validated_auc,
    normalized_mutual_information,
    quantile_cuts,
)
from equityaudit.values import UNKNOWN

__all__ = ["MAX_LEVELS", "PROXY_METHODS", "proxy_analysis"]

MAX_LEVELS = 200
"""Most values of a categorical feature kept apart; rarer ones are pooled as ``(other)``."""
OTHER = "(other)"
MISSING = "(missing)"

PROXY_METHODS = {
    "cramers_v": "Cramér's V of the feature × attribute table, no continuity correction "
    "(scipy.stats.contingency.association)",
    "correlation_ratio": "correlation ratio η of a numeric feature across the attribute's categories",
    "nmi": "normalised mutual information (arithmetic mean of the entropies, as scikit-learn's "
    "normalized_mutual_info_score); numeric features in equal-frequency bins",
    "auc": "stratified k-fold cross-validated one-vs-rest macro ROC AUC; one feature: its conditional "
    "distribution; all features: logistic regression on one-hot values and bins",
}


class _Feature:
    """One feature's codes for every row, and the labels behind them."""

    def __init__(
        self, name: str, kind: str, labels: list[str], codes: NDArray[np.int64], extra: dict[str, Any]
    ):
        self.name = name
        self.kind = kind
        self.labels = labels
        self.codes = codes
        self.extra = extra


def _encode(prepared: Prepared, feature: str, *, numeric: bool, bins: int) -> _Feature:
    """Integer codes of a feature: categorical values (top :data:`MAX_LEVELS`) or numeric bins."""
    import pandas as pd

    series = prepared.data[feature]
    if numeric:
        values = series.to_numpy().astype(np.float64)
        cuts = quantile_cuts(values, bins=bins)
        finite = np.isfinite(values)
        codes = np.searchsorted(cuts, values, side="left").astype(np.int64)
        codes[~finite] = cuts.size + 1
        labels = [f"bin {i + 1}" for i in range(cuts.size + 1)] + [MISSING]
        mean = float(values[finite].mean()) if finite.any() else math.nan
        return _Feature(feature, "numeric", labels, codes, {"cuts": cuts.tolist(), "mean": mean})
    why = "the proxy analysis (pandas numbers a feature's values for scikit-learn)"
    raw = rows_for_python(prepared.data, [feature], why=why)[feature]
    factor_codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    counts = np.bincount(factor_codes[factor_codes >= 0], minlength=len(uniques))
    keep = np.argsort(-counts, kind="stable")[:MAX_LEVELS]
    names = [str(u).strip() for u in uniques.tolist()]
    labels = [names[i] for i in keep]
    lookup = np.full(len(uniques) + 1, len(labels), dtype=np.int64)  # pooled: (other)
    lookup[keep] = np.arange(len(keep))
    pooled = len(uniques) > MAX_LEVELS
    labels.append(OTHER)
    labels.append(MISSING)
    lookup[len(uniques)] = len(labels) - 1
    codes = lookup[np.where(factor_codes < 0, len(uniques), factor_codes)]
    return _Feature(feature, "categorical", labels, codes, {"levels": len(uniques), "pooled": pooled})


def proxy_analysis(
    prepared: Prepared, spec: AuditSpec, options: MarketingOptions
) -> tuple[dict[str, Any], list[Finding], list[str]]:
    """Association measures and cross-validated AUCs of every feature for every observed attribute."""
    attributes = list(spec.columns.sensitive)
    notes: list[str] = []
    if options.estimated:
        notes.append(
            f"the proxy analysis covers observed attributes only; estimated ones ({sorted(options.estimated)}) "
            "are usually computed from geography, which would make a geographic feature predict them by "
            "construction"
        )
    if not options.features or not attributes:
        return {}, [], notes
    data = prepared.data
    features = [
        _encode(prepared, f, numeric=f in prepared.numeric_features, bins=options.proxy_bins)
        for f in options.features
    ]
    attribute_codes = {a: _attribute_codes(prepared, a) for a in attributes}

    # Association: per feature and attribute, a count of (feature value or bin) x (category) and,
    # for a numeric feature, per-category centred sums; over every row even when the rows in memory
    # are a sample (then one grouped aggregation per feature on the backend).
    if prepared.sample is None:
        association = _association(prepared, features, attributes, attribute_codes)
    else:
        association = _association_of_every_row(prepared, features, attributes)

    # Predictive test on a seeded sample.
    rng = np.random.default_rng(spec.thresholds.seed)
    rows_total = len(data)
    sample = np.sort(rng.choice(rows_total, size=min(options.proxy_rows, rows_total), replace=False))
    stacked = np.column_stack([f.codes[sample] for f in features])
    minimum = max(spec.thresholds.min_group_size, options.proxy_folds)
    context: dict[str, Any] = {
        "methods": dict(PROXY_METHODS),
        "sample_rows": int(sample.size),
        "folds": options.proxy_folds,
    }
    findings: list[Finding] = []
    for attribute in attributes:
        labels, codes = attribute_codes[attribute]
        y = np.array(labels, dtype=object)[codes[sample]]
        counted = Counter(y.tolist())
        kept = sorted(c for c, n in counted.items() if c != UNKNOWN and n >= minimum)
        dropped = sorted(c for c, n in counted.items() if c != UNKNOWN and n < minimum)
        rows_used = np.isin(y, kept)
        result: dict[str, Any] = {"classes": kept, "left_out": dropped, "rows": int(rows_used.sum())}
        if dropped:
            notes.append(
                f"proxy analysis of {attribute!r}: categories {dropped} have fewer than {minimum} customers in "
                "the sample and are left out of the AUCs"
            )
        ranking = []
        if len(kept) < 2:
            findings.append(_insufficient(attribute, kept, minimum))
            for feature in features:
                ranking.append({"feature": feature.name, **association[attribute][feature.name], "auc": None})
            result["ranking"] = ranking
            context[attribute] = result
            continue
        for j, feature in enumerate(features):
            auc = cross_validated_auc(
                stacked[rows_used][:, [j]],
                y[rows_used],
                model="frequency",
                folds=options.proxy_folds,
                seed=spec.thresholds.seed,
            )
            measures = association[attribute][feature.name]
            status = _status(auc.auc, options)
            ranking.append(
                {
                    "feature": feature.name,
                    **measures,
                    "auc": auc.auc,
                    "fold_aucs": list(auc.fold_aucs),
                    "per_class": auc.per_class,
                    "status": status,
                }
            )
            findings.append(_finding(attribute, feature.name, auc, measures, status, options, result["rows"]))
        ranking.sort(key=lambda r: -(r["auc"] or 0.0))
        result["ranking"] = ranking
        if len(features) > 1:
            joint = cross_validated_auc(
                stacked[rows_used],
                y[rows_used],
                model="logistic",
                folds=options.proxy_folds,
                seed=spec.thresholds.seed,
            )
            status = _status(joint.auc, options)
            result["all_features"] = {
                "features": [f.name for f in features],
                "auc": joint.auc,
                "fold_aucs": list(joint.fold_aucs),
                "per_class": joint.per_class,
                "converged": joint.converged,
                "status": status,
            }
            findings.append(
                _finding(
                    attribute,
                    None,
                    joint,
                    {},
                    status,
                    options,
                    result["rows"],
                    names=[f.name for f in features],
                )
            )
        context[attribute] = result
    context["features"] = {
        f.name: {"kind": f.kind, **{k: v for k, v in f.extra.items() if k != "mean"}} for f in features
    }
    return context, findings, notes


def _association(
    prepared: Prepared,
    features: list[_Feature],
    attributes: list[str],
    attribute_codes: dict[str, tuple[list[str], NDArray[np.int64]]],
) -> dict[str, dict[str, dict[str, Any]]]:
    """Association measures of every feature and attribute from the rows in memory (every row)."""
    data = prepared.data
    association: dict[str, dict[str, dict[str, Any]]] = {a: {} for a in attributes}
    for feature in features:
        x = None
        if feature.kind == "numeric":
            x = data[feature.name].to_numpy().astype(np.float64) - feature.extra["mean"]
        for attribute in attributes:
            labels, codes = attribute_codes[attribute]
            known = [i for i, label in enumerate(labels) if label != UNKNOWN]
            width = len(labels)
            cells = np.bincount(feature.codes * width + codes, minlength=len(feature.labels) * width)
            table = cells.reshape(len(feature.labels), width)[:, known]
            if x is None:
                association[attribute][feature.name] = _measures(feature.kind, table)
            else:
                present = np.isfinite(x)
                n = np.bincount(codes[present], minlength=width)[known]
                total = np.bincount(codes[present], weights=x[present], minlength=width)[known]
                squares = np.bincount(codes[present], weights=x[present] ** 2, minlength=width)[known]
                association[attribute][feature.name] = _measures(feature.kind, table, (n, total, squares))
    return association


def _measures(kind: str, table: NDArray[Any], sums: tuple[Any, Any, Any] | None = None) -> dict[str, Any]:
    """NMI of a feature x category table, and Cramér's V (categorical) or η (numeric, from ``sums``)."""
    measures: dict[str, Any] = {"kind": kind, "nmi": finite_or_none(normalized_mutual_information(table))}
    if sums is None:
        measures["cramers_v"] = finite_or_none(cramers_v(table))
    else:
        measures["correlation_ratio"] = finite_or_none(correlation_ratio(*sums))
    return measures


def _association_of_every_row(
    prepared: Prepared, features: list[_Feature], attributes: list[str]
) -> dict[str, dict[str, dict[str, Any]]]:
    """Association measures over every row, one grouped aggregation per feature on the backend.

    Used when the rows in memory are a sample. A categorical feature keeps its :data:`MAX_LEVELS`
    most frequent values over every row (the rest pooled, missing apart); a numeric feature is
    binned at the sample's cut points (its equal-frequency bins, :func:`quantile_cuts`), and its
    per-category sums are centred on the sample's mean (any common centre gives the same η).
    """
    import narwhals as nw

    from equityaudit.auditors.marketing.data import collected
    from equityaudit.values import null_as_none

    association: dict[str, dict[str, dict[str, Any]]] = {a: {} for a in attributes}
    for feature in features:
        if feature.kind == "numeric":
            x = nw.col(feature.name).cast(nw.Float64)
            finite = x.is_finite().fill_null(False)
            cuts = feature.extra["cuts"]
            inside = nw.sum_horizontal(*((x > c).cast(nw.Int64) for c in cuts)) if cuts else nw.lit(0)
            centred = nw.when(finite).then(x - feature.extra["mean"]).otherwise(0.0)
            extended = prepared.frame.with_columns(
                nw.when(finite).then(inside).otherwise(len(cuts) + 1).cast(nw.Int64).alias("__key"),
                finite.cast(nw.Int64).alias("__finite"),
                centred.alias("__d"),
                (centred * centred).alias("__dd"),
            )
            sums = [nw.col(c).sum() for c in ("__finite", "__d", "__dd")]
        else:
            extended = prepared.frame.with_columns(nw.col(feature.name).alias("__key"))
            sums = []
        rows = collected(
            extended.group_by(["__key", *attributes], drop_null_keys=False).agg(nw.len().alias("__n"), *sums),
            "<data>",
        ).rows(named=True)
        if feature.kind == "numeric":
            row_of = {i: i for i in range(len(feature.labels))}
        else:
            sizes: dict[Any, int] = {}
            for r in rows:
                key = null_as_none(r["__key"])
                if key is not None:
                    sizes[key] = sizes.get(key, 0) + int(r["__n"])
            kept = sorted(sizes, key=lambda v: -sizes[v])[:MAX_LEVELS]
            row_of = {value: i for i, value in enumerate(kept)}
        for attribute in attributes:
            labels = sorted({prepared.labeller(r[attribute]) for r in rows} | {UNKNOWN})
            column_of = {label: j for j, label in enumerate(label for label in labels if label != UNKNOWN)}
            height = len(feature.labels) if feature.kind == "numeric" else len(row_of) + 2
            table = np.zeros((height, len(column_of)), dtype=np.int64)
            n, total, squares = (np.zeros(len(column_of)) for _ in range(3))
            for r in rows:
                label = prepared.labeller(r[attribute])
                if label == UNKNOWN:
                    continue
                j = column_of[label]
                key = null_as_none(r["__key"])
                if feature.kind == "numeric":
                    i = int(key)
                    n[j] += float(r["__finite"] or 0)
                    total[j] += float(r["__d"] or 0.0)
                    squares[j] += float(r["__dd"] or 0.0)
                else:
                    i = height - 1 if key is None else row_of.get(key, height - 2)  # (missing), (other)
                table[i, j] += int(r["__n"])
            association[attribute][feature.name] = _measures(
                feature.kind, table, (n, total, squares) if feature.kind == "numeric" else None
            )
    return association


def _attribute_codes(prepared: Prepared, attribute: str) -> tuple[list[str], NDArray[np.int64]]:
    import pandas as pd

    why = "the proxy analysis (pandas numbers the attribute's groups)"
    raw = rows_for_python(prepared.data, [attribute], why=why)[attribute]
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    reported = [prepared.labeller(u) for u in uniques.tolist()]
    labels = sorted(set(reported) | {UNKNOWN})
    position = {label: i for i, label in enumerate(labels)}
    lookup = np.array([position[r] for r in reported] + [position[UNKNOWN]], dtype=np.int64)
    return labels, lookup[np.where(codes < 0, len(reported), codes)]


def _status(auc: float, options: MarketingOptions) -> Status:
    if auc >= options.proxy_auc_fail:
        return "fail"
    if auc >= options.proxy_auc_warn:
        return "warn"
    return "pass"


def _insufficient(attribute: str, kept: list[str], minimum: int) -> Finding:
    return Finding(
        id=f"proxy:{attribute}/proxy_auc/(all features)",
        metric="proxy_auc",
        kind="test",
        table=f"proxy:{attribute}",
        group={"feature": "(all features)"},
        value=None,
        status="insufficient_data",
        message=(
            f"Proxy analysis of {attribute}: fewer than two categories have {minimum} or more customers in the "
            f"sample ({kept or 'none'}), so whether the features predict {attribute} cannot be tested."
        ),
        details={"attribute": attribute},
    )


def _finding(
    attribute: str,
    feature: str | None,
    auc: Any,
    measures: dict[str, Any],
    status: Status,
    options: MarketingOptions,
    rows: int,
    *,
    names: list[str] | None = None,
) -> Finding:
    how = f"cross-validated over {options.proxy_folds} folds of {rows:,} customers"
    if feature is None:
        names = names or []
        several = len(names) > 1
        subject = (
            f"The segmentation features together ({', '.join(names)})"
            if several
            else f"The segmentation feature ({', '.join(names)})"
        )
    else:
        several = False
        subject = feature
        parts = []
        if measures.get("cramers_v") is not None:
            parts.append(f"Cramér's V {measures['cramers_v']:.2f}")
        if measures.get("correlation_ratio") is not None:
            parts.append(f"correlation ratio {measures['correlation_ratio']:.2f}")
        if measures.get("nmi") is not None:
            parts.append(f"normalised mutual information {measures['nmi']:.2f}")
        if parts:
            how += "; " + ", ".join(parts)
    # one feature is "it" and takes "predicts"; several are "they"/"them" and take "predict"
    they, them = ("they", "them") if several else ("it", "it")
    predict, carry = ("predict", "carry") if several else ("predicts", "carries")
    head = f"{subject} {predict} {attribute} with AUC {auc.auc:.2f} ({how})"
    if status == "fail":
        message = (
            f"{head}: segmenting on {them} reproduces {attribute} lines. Check whether the segments that use "
            f"{them} need {them}, and see the targeting findings."
        )
    elif status == "warn":
        message = (
            f"{head}: {they} {carry} some information about {attribute} (AUC at or above "
            f"{options.proxy_auc_warn:g}); a segment built on {them} may partly follow {attribute} lines."
        )
    else:
        message = (
            f"{head}: below the {options.proxy_auc_warn:g} warning level; {they} {carry} little information "
            f"about {attribute}."
        )
    if not auc.converged:
        message += " (The logistic regression stopped at its iteration limit in some folds.)"
    label = feature if feature is not None else "(all features)"
    return Finding(
        id=f"proxy:{attribute}/proxy_auc/{label}",
        metric="proxy_auc",
        kind="test",
        table=f"proxy:{attribute}",
        group={"feature": label},
        value=auc.auc,
        threshold=options.proxy_auc_fail,
        status=status,
        message=message,
        details={
            "attribute": attribute,
            "feature": label,
            "features": names or [feature],
            **measures,
            "per_class": auc.per_class,
            "fold_aucs": list(auc.fold_aucs),
            "model": auc.model,
            "rows": rows,
            "warn_threshold": options.proxy_auc_warn,
            "fail_threshold": options.proxy_auc_fail,
        },
    )
