"""Offer value parity: the mean and median offer by group, with bootstrap intervals and ratios.

The mean and median of each group are exact (all of the group's non-missing offers). Their
intervals, and the intervals of each group's mean and median ratios to the reference group's,
come from one **percentile bootstrap that resamples offers within each group** (stratified:
every replicate keeps each group's size), with replicates drawn independently per group. A
group with more than ``m`` offers (``options.offer_bootstrap_rows``, default 2,000) is first
subsampled to ``m`` values (seeded), and each replicate's deviation from the subsample's
statistic is scaled by :math:`\\sqrt{m / n}` and added to the full-data statistic — the spread
of a mean or median shrinks as :math:`1/\\sqrt{n}`, so the interval has the width the full
group would give while the cost stays fixed (a rescaled m-out-of-n bootstrap; Bickel, Götze &
van Zwet 1997). For offers taking few distinct values the median's interval can collapse to a
point.

The reference group has the highest mean when a higher offer is favourable (a discount, a credit
limit) and the lowest when a lower one is (a price); each ratio is oriented so that below 1 is
worse for the group. Each comparison is evidence for the audit's single judgement
(:func:`equityaudit.judging.judge`), with the ratio's bootstrap interval and Welch's t test (from
each group's n, mean and variance). The reference is the extreme mean, chosen by the data, so
each offer table's family holds every pair of its judgeable groups (known, at least
``min_group_size`` offers; :func:`welch_pairwise_family`), adjusted with every other p-value of
the audit. Against ``options.offer_ratio`` (default 0.9) the rule's words: ``fail`` below it and
significant, ``warn`` below it and not significant (or at or above it, significant, with the
interval reaching below), ``inconclusive`` at or above it with the interval reaching below and
no significant difference, ``pass`` at or above it with the interval clear; fewer than
``min_group_size`` offers in the group or the reference is ``insufficient_data``.

When the data has more rows than ``options.sample_rows`` the rows in memory are a stratified
sample (:mod:`equityaudit.sampling`): each group's n, mean and variance (so the means, their
ratios and Welch's test) are still aggregations over every row, while the medians and the
bootstrap replicates come from the group's sampled offers, rescaled by :math:`\\sqrt{m / N}` with
:math:`N` the group's offers in the whole data (the context's ``sample`` says so).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from itertools import combinations
from typing import Any, Literal

import narwhals as nw
import numpy as np
from numpy.typing import NDArray

from equityaudit.auditors.comparison import adjusted_p_text
from equityaudit.auditors.grouping import table_name
from equityaudit.auditors.marketing.data import Prepared, collected
from equityaudit.frames import rows_for_python
from equityaudit.judging import Evidence, Judgement, meets
from equityaudit.results import finite_or_none
from equityaudit.spec import Thresholds
from equityaudit.values import UNKNOWN

__all__ = ["OFFER_METHODS", "offer_parity", "welch_pairwise_family"]

FloatArray = NDArray[np.float64]

OFFER_METHODS = {
    "mean_ci": "percentile bootstrap, offers resampled within each group (groups over the row cap "
    "subsampled, spread rescaled by sqrt(m/n))",
    "median_ci": "same bootstrap as the mean",
    "mean_ratio_ci": "percentile bootstrap of the ratio of the group's mean to the reference group's",
    "median_ratio_ci": "percentile bootstrap of the ratio of the group's median to the reference group's "
    "(the same replicates as the medians' intervals)",
    "p_value": "Welch's two-sample t test of equal means, two-sided",
}


def _column_codes(prepared: Prepared, column: str) -> tuple[list[str], NDArray[np.int64]]:
    """A sensitive column's reported labels (sorted, ``Unknown`` included) and each row's label code."""
    import pandas as pd

    why = "the offer analysis (pandas numbers its groups)"
    raw = rows_for_python(prepared.data, [column], why=why)[column]
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    labels = [prepared.labeller(value) for value in uniques.tolist()]
    ordered = sorted(set(labels) | {UNKNOWN})
    position = {label: i for i, label in enumerate(ordered)}
    lookup = np.array([position[label] for label in labels] + [position[UNKNOWN]], dtype=np.int64)
    return ordered, lookup[np.where(codes < 0, len(labels), codes)]


def _group_codes(
    prepared: Prepared, columns: Sequence[str], cache: dict[str, tuple[list[str], NDArray[np.int64]]]
) -> tuple[list[tuple[str, ...]], NDArray[np.int64]]:
    """Each row's group over ``columns`` as one integer code, and the code → group table."""
    codes = np.zeros(len(prepared.data), dtype=np.int64)
    groups: list[tuple[str, ...]] = [()]
    for column in columns:
        if column not in cache:
            cache[column] = _column_codes(prepared, column)
        labels, column_codes = cache[column]
        codes = codes * len(labels) + column_codes
        groups = [(*g, label) for g in groups for label in labels]
    return groups, codes


def offer_parity(
    prepared: Prepared,
    groupings: Sequence[tuple[str, ...]],
    *,
    column: str,
    favourable: Literal["higher", "lower"],
    thresholds: Thresholds,
    ratio_threshold: float,
    replicates: int,
    max_rows: int,
) -> tuple[dict[str, Any], list[Evidence]]:
    """Per grouping, each group's offer statistics with intervals, and the evidence of each
    comparison with the reference group for the audit's single judgement
    (:func:`equityaudit.judging.judge`)."""
    from scipy import stats as scipy_stats

    values_all = prepared.data[column].to_numpy().astype(np.float64)
    has_offer = np.isfinite(values_all)
    rng = np.random.default_rng(thresholds.seed)
    alpha = thresholds.alpha
    tables: dict[str, Any] = {}
    pending: list[dict[str, Any]] = []
    cache: dict[str, tuple[list[str], NDArray[np.int64]]] = {}
    for by in groupings:
        groups, codes = _group_codes(prepared, by, cache)
        codes, values = codes[has_offer], values_all[has_offer]
        order = np.argsort(codes, kind="stable")
        codes, values = codes[order], values[order]
        bounds = np.searchsorted(codes, np.arange(len(groups) + 1))
        present = [i for i in range(len(groups)) if bounds[i + 1] > bounds[i]]
        stats: dict[int, dict[str, Any]] = {}
        draws: dict[int, tuple[FloatArray, FloatArray]] = {}
        moments = None if prepared.sample is None else _moments(prepared, by, column)
        for i in present:
            group_values = values[bounds[i] : bounds[i + 1]]
            full = None if moments is None else moments.get(groups[i])
            mean_boot, median_boot = _bootstrap(
                group_values, rng, replicates=replicates, max_rows=max_rows, whole=full
            )
            draws[i] = (mean_boot, median_boot)
            mean_low, mean_high = np.quantile(mean_boot, [alpha / 2, 1 - alpha / 2])
            median_low, median_high = np.quantile(median_boot, [alpha / 2, 1 - alpha / 2])
            n, mean, variance = (
                (
                    int(group_values.size),
                    float(group_values.mean()),
                    float(group_values.var(ddof=1)) if group_values.size > 1 else math.nan,
                )
                if full is None
                else full
            )
            stats[i] = {
                "n": n,
                "mean": mean,
                "variance": variance,
                "median": float(np.median(group_values)),
                "mean_ci_low": float(mean_low),
                "mean_ci_high": float(mean_high),
                "median_ci_low": float(median_low),
                "median_ci_high": float(median_high),
            }
        eligible = [i for i in present if UNKNOWN not in groups[i]]
        large = [i for i in eligible if stats[i]["n"] >= thresholds.min_group_size] or eligible
        if not large:
            continue
        pick = max if favourable == "higher" else min
        ref = pick(large, key=lambda i: (stats[i]["mean"], stats[i]["n"]))
        name = f"offer:{table_name(by)}"
        # the reference is the extreme mean, chosen by the data: the family is every pair of
        # judgeable groups (known, at least min_group_size offers), see equityaudit.judging
        judgeable = [i for i in eligible if stats[i]["n"] >= thresholds.min_group_size]
        family_p = welch_pairwise_family([groups[i] for i in judgeable], [stats[i] for i in judgeable])
        rows = []
        for i in present:
            group = dict(zip(by, groups[i], strict=True))
            s = stats[i]
            row: dict[str, Any] = {
                "group": group,
                "n": s["n"],
                **{k: finite_or_none(s[k]) for k in ("mean", "median", "mean_ci_low", "mean_ci_high")},
                **{k: finite_or_none(s[k]) for k in ("median_ci_low", "median_ci_high")},
                "reference": i == ref,
                "excluded": UNKNOWN in groups[i],
            }
            ratio, low, high = _ratio(
                s["mean"], stats[ref]["mean"], draws[i][0], draws[ref][0], favourable, alpha
            )
            row["mean_ratio"] = finite_or_none(ratio)
            median_ratio, median_low, median_high = _ratio(
                s["median"], stats[ref]["median"], draws[i][1], draws[ref][1], favourable, alpha
            )
            row["median_ratio"] = finite_or_none(median_ratio)
            row["mean_ratio_ci_low"] = finite_or_none(low) if i != ref else None
            row["mean_ratio_ci_high"] = finite_or_none(high) if i != ref else None
            row["median_ratio_ci_low"] = finite_or_none(median_low) if i != ref else None
            row["median_ratio_ci_high"] = finite_or_none(median_high) if i != ref else None
            p_value = None
            if i != ref and not row["excluded"]:
                p_value = _welch(s, stats[ref], scipy_stats)
                pending.append(
                    {
                        "table": name,
                        "row": row,
                        "reference": stats[ref],
                        "reference_group": dict(zip(by, groups[ref], strict=True)),
                        "family_p": family_p,
                        "hypothesis": frozenset((groups[i], groups[ref])),
                    }
                )
            row["p_value"] = finite_or_none(p_value)
            row["note"] = "unknown category: reported, not compared" if row["excluded"] else None
            rows.append(row)
        tables[name] = {"by": list(by), "reference": dict(zip(by, groups[ref], strict=True)), "rows": rows}
    evidence = [_evidence(item, thresholds, ratio_threshold, column, favourable) for item in pending]
    sampled = {}
    if prepared.sample is not None:
        sampled["sample"] = (
            f"n, mean and variance of each group over every row; medians and bootstrap replicates from the "
            f"{prepared.sample.rows:,}-row stratified sample (data.sample), rescaled to each group's offers"
        )
    return {
        **sampled,
        "column": column,
        "favourable": favourable,
        "methods": dict(OFFER_METHODS),
        "replicates": replicates,
        "bootstrap_rows": max_rows,
        "threshold": ratio_threshold,
        "tables": tables,
    }, evidence


def _moments(
    prepared: Prepared, by: Sequence[str], column: str
) -> dict[tuple[str, ...], tuple[int, float, float]]:
    """Each reported group's offers over every row: (n, mean, variance), from one aggregation.

    Sums are taken about a shift (the sample's mean) so the variance does not lose its digits to
    cancellation; raw values reported as one group (``Unknown``) are pooled.
    """
    sampled = prepared.data[column].to_numpy().astype(np.float64)
    finite = sampled[np.isfinite(sampled)]
    shift = float(finite.mean()) if finite.size else 0.0
    centred = nw.col(column).cast(nw.Float64) - shift
    aggregated = collected(
        prepared.frame.with_columns(centred.alias("__c"), (centred * centred).alias("__cc"))
        .group_by(list(by), drop_null_keys=False)
        .agg(
            nw.col(column).count().alias("__n"),
            nw.col("__c").sum().alias("__s"),
            nw.col("__cc").sum().alias("__ss"),
        ),
        "<data>",
    )
    pooled: dict[tuple[str, ...], list[float]] = {}
    for record in aggregated.rows(named=True):
        group = tuple(prepared.labeller(record[c]) for c in by)
        cell = pooled.setdefault(group, [0.0, 0.0, 0.0])
        cell[0] += float(record["__n"] or 0)
        cell[1] += float(record["__s"] or 0.0)
        cell[2] += float(record["__ss"] or 0.0)
    moments = {}
    for group, (n, s, ss) in pooled.items():
        if n == 0:
            continue
        variance = (ss - s * s / n) / (n - 1) if n > 1 else math.nan
        moments[group] = (int(n), shift + s / n, max(variance, 0.0) if n > 1 else math.nan)
    return moments


def _bootstrap(
    values: FloatArray,
    rng: np.random.Generator,
    *,
    replicates: int,
    max_rows: int,
    whole: tuple[int, float, float] | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Bootstrap replicates of the mean and median, rescaled when the group was subsampled.

    ``whole``: the group's (n, mean, variance) over every row when ``values`` are its offers in a
    sample of the data; the replicates' spread is then rescaled to that n and centred on that mean
    (and on the sample's median).
    """
    n = values.size
    sample = values if n <= max_rows else rng.choice(values, size=max_rows, replace=False)
    m = sample.size
    picks = sample[rng.integers(0, m, size=(replicates, m))]
    means = picks.mean(axis=1)
    medians = np.median(picks, axis=1)
    population, centre = (n, float(values.mean())) if whole is None else (whole[0], whole[1])
    if m == population:
        return means, medians
    scale = math.sqrt(m / population)
    return (
        centre + scale * (means - float(sample.mean())),
        float(np.median(values)) + scale * (medians - float(np.median(sample))),
    )


def _oriented(value: float, reference: float, favourable: str) -> float:
    """Ratio oriented so that below 1 is worse for the group; nan when it divides by zero."""
    numerator, denominator = (value, reference) if favourable == "higher" else (reference, value)
    return numerator / denominator if denominator > 0 and numerator >= 0 else math.nan


def _ratio(
    value: float,
    reference: float,
    boot: FloatArray,
    reference_boot: FloatArray,
    favourable: str,
    alpha: float,
) -> tuple[float, float, float]:
    """The oriented ratio of a statistic to the reference's, and the percentile interval of its replicates."""
    ratio = _oriented(value, reference, favourable)
    numerator, denominator = (boot, reference_boot) if favourable == "higher" else (reference_boot, boot)
    with np.errstate(divide="ignore", invalid="ignore"):
        replicated = np.where(denominator > 0, numerator / denominator, np.nan)
    finite = replicated[np.isfinite(replicated)]
    if finite.size * 2 < replicated.size:
        return ratio, math.nan, math.nan
    low, high = np.quantile(finite, [alpha / 2, 1 - alpha / 2])
    return ratio, float(low), float(high)


def _welch(group: dict[str, Any], reference: dict[str, Any], scipy_stats: Any) -> float | None:
    if group["n"] < 2 or reference["n"] < 2:
        return None
    if group["variance"] == 0 and reference["variance"] == 0:
        return None  # Welch's test is undefined without variance; no p-value is made up
    result = scipy_stats.ttest_ind_from_stats(
        group["mean"],
        math.sqrt(group["variance"]),
        group["n"],
        reference["mean"],
        math.sqrt(reference["variance"]),
        reference["n"],
        equal_var=False,
    )
    return finite_or_none(result.pvalue)


def _evidence(
    item: dict[str, Any], thresholds: Thresholds, limit: float, column: str, favourable: str
) -> Evidence:
    """One offer comparison as evidence for the audit's single judgement."""
    row, reference = item["row"], item["reference"]
    ratio = row["mean_ratio"]
    minimum = thresholds.min_group_size
    too_small = None
    if ratio is None:
        too_small = "undefined"
    elif row["n"] < minimum:
        too_small = f"only {row['n']} offers (minimum {minimum}): too few to judge"
    elif reference["n"] < minimum:
        too_small = f"the reference group has only {reference['n']} offers (minimum {minimum}), too few to compare with"
    who = ", ".join(row["group"].values())
    ref = ", ".join(item["reference_group"].values())
    better = "highest" if favourable == "higher" else "lowest"
    base = (
        f"{who}: mean {column} {row['mean']:.4g} (median {row['median']:.4g}) vs {reference['mean']:.4g} "
        f"(median {reference['median']:.4g}) for {ref}, the group with the {better} mean"
    )

    def describe(judgement: Judgement) -> str:
        if ratio is None:
            return f"{base}; the ratio is undefined (it divides by zero), so it cannot be judged."
        low, high = row["mean_ratio_ci_low"], row["mean_ratio_ci_high"]
        interval = f" (95% CI {low:.2f}–{high:.2f})" if low is not None and high is not None else ""
        head = f"{base}, ratio {ratio:.3f}{interval}"
        p_text = adjusted_p_text(judgement.p_adjusted, judgement.correction)
        status = judgement.status
        if status == "insufficient_data":
            return f"{head}; {too_small}."
        if status == "pass":
            return f"{head}: at or above the {limit:g} threshold."
        if status == "inconclusive":
            return (
                f"{head}: at or above the {limit:g} threshold, but the interval reaches below it and the "
                f"difference is not statistically significant after correcting for the number of comparisons "
                f"({p_text}): the data fit a lower offer for this group and no difference at all, so this is "
                "inconclusive. More offers in these groups would settle it."
            )
        if status == "fail":
            return (
                f"{head}: below the {limit:g} threshold and statistically significant ({p_text}). This group "
                "is offered less; check how offers are set."
            )
        if meets(ratio, limit):
            return (
                f"{head}: at or above the {limit:g} threshold, but the difference is statistically "
                f"significant ({p_text}) and the interval reaches below the threshold. Review it."
            )
        return (
            f"{head}: below the {limit:g} threshold, but not statistically significant ({p_text}); it may "
            "be chance. Monitor it."
        )

    return Evidence(
        id=f"{item['table']}/offer_mean/" + "/".join(row["group"].values()),
        metric="offer_mean",
        kind="ratio",
        table=item["table"],
        group=row["group"],
        reference=item["reference_group"],
        value=ratio,
        ci_low=row["mean_ratio_ci_low"],
        ci_high=row["mean_ratio_ci_high"],
        p_value=row["p_value"],
        threshold=limit,
        family=item["table"],
        family_p=item["family_p"],
        hypothesis=item["hypothesis"],
        too_small=too_small,
        describe=describe,
        details={
            "mean": row["mean"],
            "reference_mean": reference["mean"],
            "median": row["median"],
            "reference_median": reference["median"],
            "median_ratio": row["median_ratio"],
            "n": row["n"],
            "offer_column": column,
            "favourable": favourable,
        },
    )


def welch_pairwise_family(
    keys: Sequence[Hashable], stats: Sequence[dict[str, Any]]
) -> dict[Hashable, float | None]:
    """Every pair of groups as a hypothesis of equal mean offers, with Welch's p-value (None
    where the test is undefined). Keys are ``frozenset({key_a, key_b})``, as
    :func:`~equityaudit.judging.pairwise_family`'s: the family behind comparisons with the
    data-chosen reference (the group with the extreme mean).
    """
    from scipy import stats as scipy_stats

    return {
        frozenset((keys[i], keys[j])): _welch(stats[i], stats[j], scipy_stats)
        for i, j in combinations(range(len(keys)), 2)
    }
