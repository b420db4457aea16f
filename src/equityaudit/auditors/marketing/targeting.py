"""Targeting: the rate at which each group is included in a segment or campaign, compared across groups.

Observed attributes go through the shared :func:`~equityaudit.auditors.comparison.rate_table`
(Wilson, Katz, Newcombe, z and Fisher mid-p, shortfall); for a favourable outcome the reference
is the most-included group, for an unfavourable one the least-included group, and the ratio is
oriented so that below the threshold always means *disadvantaged*. Estimated attributes get the
same table from weighted counts (:func:`weighted_rate_table`), every number labelled estimated.

Each table's comparisons are one family of hypotheses of the audit's single judgement
(:func:`equityaudit.judging.judge`). When the reference is chosen by the data (the most- or
least-included group: ``max_rate``), comparing with it is comparing the extremes, so the family
holds every pair of judgeable groups: Fisher mid-p for observed counts
(:func:`~equityaudit.judging.pairwise_family`), the two-proportion z test on effective counts for
estimated membership (:func:`weighted_pairwise_family`).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from itertools import combinations
from typing import Any, Literal

import numpy as np

from equityaudit.auditors.comparison import (
    Comparison,
    rate_table,
    row_column,
    row_comparison,
    row_details,
)
from equityaudit.auditors.grouping import table_name
from equityaudit.auditors.marketing.counts import WeightedCounts, square_key
from equityaudit.auditors.marketing.data import Outcome
from equityaudit.errors import DataError, did_you_mean
from equityaudit.results import Table, finite_or_none
from equityaudit.spec import AuditSpec
from equityaudit.stats.counts import GroupCounts
from equityaudit.stats.disparity import choose_reference
from equityaudit.stats.inference import chi_square_test, two_proportion_z_test
from equityaudit.stats.rates import Metric, proportion
from equityaudit.stats.weighted import WEIGHTED_METHODS, compare_weighted, linearised_effective_size

__all__ = [
    "ESTIMATED_NOTE",
    "inclusion_metric",
    "targeting_table",
    "weighted_pairwise_family",
    "weighted_rate_table",
]

ESTIMATED_NOTE = (
    "ESTIMATED: group membership is estimated from probabilities (e.g. BISG), not observed. Counts are "
    "sums of probabilities; intervals and tests use effective sizes from the linearised variance of each "
    "weighted rate; the estimates' own error is not included, and diffuse probabilities pull groups' rates "
    "together (disparities tend to be understated)."
)


def inclusion_metric(outcome: Outcome) -> Metric:
    """The rate of inclusion in an outcome, as a :class:`~equityaudit.stats.rates.Metric`."""
    return Metric(
        "inclusion_rate",
        "included",
        "n",
        f"rate of inclusion in {outcome.label}",
        favourable=outcome.direction != "unfavourable",
    )


def targeting_table(
    marginal: GroupCounts, outcome: Outcome, spec: AuditSpec, *, origin: str
) -> tuple[Table, list[Comparison]]:
    """One outcome's inclusion rates by the attributes of ``marginal`` (observed counts), with comparisons."""
    by = marginal.by
    table = marginal.table[[*by, "n", outcome.key]].rename(columns={outcome.key: "included"})
    metric = inclusion_metric(outcome)
    built, comparisons = rate_table(
        GroupCounts(by, table),
        metric=metric,
        thresholds=spec.thresholds,
        reference=spec.reference,
        name=f"{outcome.label} by {table_name(by)}",
        origin=origin,
        favourable=metric.favourable,
        subject=outcome.label,
    )
    built.notes.append(_direction_note(outcome))
    return built, comparisons


def _direction_note(outcome: Outcome) -> str:
    if outcome.direction == "unfavourable":
        return (
            f"{outcome.label} is declared unfavourable: the reference is the least-included group and the "
            "ratio is its rate over each group's, so a ratio below the threshold means the group is "
            "included more often"
        )
    return f"{outcome.label} is declared favourable: the reference is the most-included group"


def weighted_rate_table(
    counts: WeightedCounts, outcome: Outcome, spec: AuditSpec
) -> tuple[Table, list[Comparison]]:
    """One outcome's inclusion rates by an estimated attribute, from weighted counts."""
    attribute = counts.attribute
    thresholds = spec.thresholds
    metric = inclusion_metric(outcome)
    frame = counts.table
    categories = [str(c) for c in frame[attribute]]
    weight = frame["n"].to_numpy(dtype=np.float64)
    squares = frame["n_sq"].to_numpy(dtype=np.float64)
    included = frame[outcome.key].to_numpy(dtype=np.float64)
    included_squares = frame[square_key(outcome.key)].to_numpy(dtype=np.float64)
    n_eff = np.nan_to_num(linearised_effective_size(included, weight, squares, included_squares))
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(weight > 0, included / np.where(weight > 0, weight, 1.0), np.nan)
    rule: Literal["max_rate", "min_rate", "largest"] = (
        "largest" if spec.reference == "largest" else ("max_rate" if metric.favourable else "min_rate")
    )
    successes = np.where(np.isfinite(rate), rate, 0.0) * n_eff
    table_notes: list[str] = []
    origin = spec.origin
    explicit: int | None = None
    if isinstance(spec.reference, dict):
        wanted = spec.reference.get(attribute)
        if wanted is None:
            table_notes.append(
                f"the spec's reference names no {attribute!r} category; the rule {rule} chose it"
            )
        elif wanted not in categories:
            raise DataError(
                f"{origin}: reference {{{attribute}: {wanted!r}}} is not a category of {attribute!r}. "
                f"{did_you_mean(wanted, categories)}"
            )
        else:
            explicit = categories.index(wanted)
    ref = (
        explicit
        if explicit is not None
        else choose_reference(
            successes,
            n_eff,
            eligible=weight > 0,
            rule=rule,
            min_n=thresholds.min_group_size,
        )
    )
    name = f"{outcome.label} by {attribute} (estimated)"
    if ref is None:
        raise DataError(
            f"{origin}: no category of the estimated attribute {attribute!r} has any weight, so none can be "
            "the reference. Check its probability columns."
        )
    stats = compare_weighted(
        included,
        weight,
        squares,
        included_squares,
        reference=ref,
        alpha=thresholds.alpha,
        invert=not metric.favourable,
    )
    reference_group = {attribute: categories[ref]}
    reference_rate = finite_or_none(stats["rate"][ref])
    size = np.minimum(weight, n_eff)  # min_group_size applies to the smaller of the two
    family_p = None
    if explicit is None and rule != "largest":
        # the data chose the reference (the extreme rate): the family is every pair of judgeable
        # categories, tested as the comparisons are (z on effective counts), see equityaudit.judging
        judgeable = np.flatnonzero((weight > 0) & (size >= thresholds.min_group_size))
        x_eff = np.minimum(np.nan_to_num(proportion(included * n_eff, weight)), n_eff)  # as compare_weighted
        family_p = weighted_pairwise_family(
            [(categories[i],) for i in judgeable], x_eff[judgeable].tolist(), n_eff[judgeable].tolist()
        )
    rows: list[dict[str, Any]] = []
    comparisons: list[Comparison] = []
    for i, category in enumerate(categories):
        group = {attribute: category}
        row: dict[str, Any] = {
            "group": group,
            "n": round(float(weight[i]), 6),  # sums of probabilities: rounding noise removed
            "included": round(float(included[i]), 6),
            "n_effective": finite_or_none(n_eff[i]),
        }
        for key, values in stats.items():
            if key == "n_effective":
                continue
            column = row_column(metric.name, key)
            row[column] = finite_or_none(values[i])
        notes = ["estimated membership"]
        if min(weight[i], n_eff[i]) < thresholds.min_group_size:
            notes.append(
                f"weighted count or effective size under {thresholds.min_group_size}: insufficient data to judge"
            )
        if row[metric.name] is not None and row[f"{metric.name}_ratio"] is None and i != ref:
            notes.append(f"{metric.name} ratio undefined: a rate it divides by is zero")
        row.update(
            shortfall=None,
            reference=i == ref,
            excluded=False,
            excluded_reason=None,
            note="; ".join(notes),
            estimated=True,
        )
        rows.append(row)
        if i != ref and weight[i] > 0:
            comparisons.append(
                Comparison(
                    table=name,
                    metric=metric,
                    group=group,
                    reference=reference_group,
                    n=math.floor(
                        min(weight[i], n_eff[i])
                    ),  # the smaller: diffuse weights can make the effective size exceed the weight
                    reference_n=math.floor(min(weight[ref], n_eff[ref])),
                    reference_rate=reference_rate,
                    **row_comparison(row, metric),
                    details={
                        **row_details(row, metric),
                        "shortfall": None,
                        "selected": float(included[i]),
                        "denominator": float(weight[i]),
                        "n_effective": row["n_effective"],
                        "estimated": True,
                    },
                    favourable=metric.favourable,
                    family=f"{name}/{metric.name}",
                    family_p=family_p,
                    hypothesis=frozenset(((category,), (categories[ref],))) if family_p is not None else None,
                )
            )
    usable = (weight > 0) & (n_eff > 0)
    statistic, dof, p_chi = chi_square_test(successes[usable], n_eff[usable], fractional=True)
    methods = dict(WEIGHTED_METHODS)
    if not metric.favourable:
        methods["ratio"] = (
            "unfavourable outcome: the least-included group's rate divided by this group's rate "
            "(below 1: this group is included more often)"
        )
    methods["chi_square"] = (
        "Pearson chi-square test of homogeneity on effective counts (linearised variance; approximate)"
    )
    methods["min_group_size"] = "applied to the smaller of the weighted count and the effective size"
    table = Table(
        name=name,
        by=[attribute],
        metric=metric.name,
        numerator="included",
        denominator="n",
        reference=reference_group,
        methods=methods,
        rows=rows,
        notes=[ESTIMATED_NOTE, _direction_note(outcome), *table_notes],
        subject=outcome.label,
        estimated=True,
        favourable=metric.favourable,
        tests={
            "chi_square": {
                "statistic": finite_or_none(statistic),
                "dof": int(dof),
                "p_value": finite_or_none(p_chi),
            }
        },
    )
    return table, comparisons


def weighted_pairwise_family(
    keys: Sequence[Hashable], effective_included: Sequence[float], effective_n: Sequence[float]
) -> dict[Hashable, float | None]:
    """Every pair of estimated categories as a hypothesis of equal rates, with the pooled
    two-proportion z test's p-value on effective counts (the test each comparison reports; Fisher's
    exact test needs whole counts). Keys are ``frozenset({key_a, key_b})``, as
    :func:`~equityaudit.judging.pairwise_family`'s.

    Examples
    --------
    With whole counts the z test is the ordinary one: 20 of 50 against 30 of 50 gives z = -2.0,
    p = 0.0455:

    >>> family = weighted_pairwise_family(["a", "b"], [20.0, 30.0], [50.0, 50.0])
    >>> round(family[frozenset({"a", "b"})], 4)
    0.0455
    """
    pairs = list(combinations(range(len(keys)), 2))
    if not pairs:
        return {}
    x = np.asarray(effective_included, dtype=np.float64)
    n = np.asarray(effective_n, dtype=np.float64)
    first = np.array([i for i, _ in pairs])
    second = np.array([j for _, j in pairs])
    _, p = two_proportion_z_test(x[first], n[first], x[second], n[second], fractional=True)
    return {
        frozenset((keys[i], keys[j])): finite_or_none(value)
        for (i, j), value in zip(pairs, p.tolist(), strict=True)
    }
