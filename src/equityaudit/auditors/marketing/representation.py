"""Representation: each segment's composition against the whole customer base.

For group :math:`g` with :math:`n_g` of the base's :math:`N` customers and :math:`x_g` of the
segment's :math:`S` members, the **representation ratio** is

.. math:: RR_g = \\frac{x_g / S}{n_g / N},

1 when the group makes up the same share of the segment as of the base, 2 when twice that share.
The **total variation distance** :math:`\\tfrac12 \\sum_g |x_g/S - n_g/N|` is the share of the
segment that would have to change group for its make-up to match the base.

**Interval.** Conditioning on the customer base (the group sizes are known, not sampled), the
segment is the random part. Since :math:`RR_g = r_g / (w_g r_g + 1 - w_g)` where
:math:`r_g = (x_g/n_g) / ((S - x_g)/(N - n_g))` is the ratio of the group's inclusion rate to
everyone else's and :math:`w_g = n_g/N` is fixed, and this map is increasing in :math:`r_g`, the
Katz log interval of :math:`r_g` — two independent samples, the group and the rest — maps
exactly onto an interval for :math:`RR_g`. For estimated membership the same is done on
effective counts from the linearised variance of each weighted inclusion rate
(:func:`~equityaudit.stats.weighted.linearised_effective_size`): the group weighted by :math:`p`,
the rest of the base by :math:`1 - p`, whose sums follow from the group's because each known
customer's probabilities sum to 1 (:math:`\\sum (1-p) = N - n_g`,
:math:`\\sum (1-p)^2 = N - 2n_g + \\sum p^2`, and over the segment's members
:math:`\\sum (1-p)^2 = S - 2x_g + \\sum p^2`).

**Test.** Pearson's chi-square test of homogeneity of the inclusion rate across the known groups
(equivalently, of the segment's make-up against the rest of the base). Each table's test is a
family of one hypothesis in the audit's single judgement, adjusted with every other p-value of
the audit (:func:`equityaudit.judging.judge`).

**Status** (:func:`representation_evidence`): ``pass`` when the distance is at most the limit;
above it ``warn`` — with a significant test, the make-up differs; without, it may be chance —
never ``fail``: make-up alone is not disadvantage (targeting judges that); ``insufficient_data``
when the segment has fewer than ``min_group_size`` known members.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from equityaudit.auditors.comparison import adjusted_p_text
from equityaudit.auditors.grouping import table_name
from equityaudit.auditors.marketing.data import Outcome
from equityaudit.judging import Evidence, Judgement, meets
from equityaudit.results import Status, Table, finite_or_none
from equityaudit.spec import Thresholds
from equityaudit.stats.inference import chi_square_test, ratio_interval, wilson_interval
from equityaudit.stats.weighted import linearised_effective_size
from equityaudit.values import UNKNOWN

__all__ = [
    "REPRESENTATION_METHODS",
    "STATUS_CEILING",
    "Representation",
    "representation_evidence",
    "representation_ratio_interval",
]

FloatArray = NDArray[np.float64]

REPRESENTATION_METHODS = {
    "segment_share_ci": "Wilson score interval of the group's share of the segment",
    "representation_ratio": "group's share of the segment / group's share of the customer base",
    "representation_ratio_ci": "Katz log interval of the group's inclusion rate over the rest of the base's, "
    "mapped onto the representation ratio by RR = r / (w r + 1 - w), w = the group's base share",
    "total_variation_distance": "half the sum over groups of |share of segment - share of base|",
    "p_value": "Pearson chi-square test of homogeneity of inclusion across known groups",
}

ESTIMATED_METHODS = {
    "representation_ratio_ci": REPRESENTATION_METHODS["representation_ratio_ci"]
    + "; estimated membership: on effective counts from the linearised variance of the group's and the "
    "rest's weighted inclusion rates",
    "p_value": REPRESENTATION_METHODS["p_value"]
    + ", on effective counts (estimated membership; approximate)",
}
"""What an estimated-membership representation table computes differently."""


def representation_ratio_interval(
    included: FloatArray,
    n: FloatArray,
    *,
    rest_included: FloatArray,
    rest_n: FloatArray,
    base_share: FloatArray,
    alpha: float = 0.05,
    fractional: bool = False,
) -> tuple[FloatArray, FloatArray]:
    """Interval of the representation ratio from the Katz interval of group vs rest inclusion rates.

    Examples
    --------
    Group A: 30 of its 100 customers are in the segment; the other 300 customers contribute 30
    (segment of 60 from a base of 400). RR = (30/60) / (100/400) = 2.

    >>> lo, hi = representation_ratio_interval(np.array([30.0]), np.array([100.0]),
    ...     rest_included=np.array([30.0]), rest_n=np.array([300.0]), base_share=np.array([0.25]))
    >>> bool(lo[0] < 2.0 < hi[0]), bool(hi[0] < 4.0)  # RR can never exceed 1 / 0.25
    (True, True)
    """
    low, high = ratio_interval(included, n, rest_included, rest_n, alpha=alpha, fractional=fractional)
    w = base_share

    def to_rr(r: FloatArray) -> FloatArray:
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            mapped = r / (w * r + 1.0 - w)
        return np.where(np.isinf(r), 1.0 / w, mapped)

    return to_rr(low), to_rr(high)


@dataclass
class Representation:
    """One segment's representation table by one grouping, and the facts its finding needs."""

    outcome: Outcome
    table: Table
    tvd: float | None
    p_value: float | None
    segment_size: float
    """Members of the segment whose group is known (weighted for estimated membership)."""
    estimated: bool


def representation_table(
    outcome: Outcome,
    by: tuple[str, ...],
    groups: list[tuple[str, ...]],
    n: FloatArray,
    included: FloatArray,
    *,
    alpha: float,
    squares: FloatArray | None = None,
    included_squares: FloatArray | None = None,
    name_suffix: str = "",
) -> Representation:
    """The representation table of ``outcome`` by ``by``.

    ``n`` and ``included`` are per group (whole counts, or weighted counts for estimated
    membership, with ``squares`` the per-group sums of squared probabilities and
    ``included_squares`` the same over the segment's members). Groups with an unknown attribute
    are reported and left out of every share.
    """
    estimated = squares is not None
    known = np.array([UNKNOWN not in g for g in groups])
    total = float(n[known].sum())
    size = float(included[known].sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        base_share = np.where(known, n / total if total > 0 else np.nan, np.nan)
        segment_share = np.where(known, included / size if size > 0 else np.nan, np.nan)
        ratio = segment_share / base_share
    if estimated:
        assert squares is not None and included_squares is not None
        n_eff = linearised_effective_size(included, n, squares, included_squares)
        rest_weight = total - n
        rest_squares = np.maximum(total - 2.0 * n + squares, 0.0)  # sum of (1 - p)^2 over the known base
        rest_included = size - included
        # sum of (1 - p)^2 over the segment's known members
        rest_included_squares = np.maximum(size - 2.0 * included + included_squares, 0.0)
        rest_eff = linearised_effective_size(rest_included, rest_weight, rest_squares, rest_included_squares)
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = included / n
            rest_rate = rest_included / rest_weight
        x_eff = np.nan_to_num(rate * n_eff)
        rest_x_eff = np.nan_to_num(rest_rate * rest_eff)
        low, high = representation_ratio_interval(
            np.minimum(x_eff, np.nan_to_num(n_eff)),
            np.nan_to_num(n_eff),
            rest_included=np.minimum(rest_x_eff, np.nan_to_num(rest_eff)),
            rest_n=np.nan_to_num(rest_eff),
            base_share=base_share,
            alpha=alpha,
            fractional=True,
        )
        share_low, share_high = wilson_interval(
            np.nan_to_num(segment_share) * size, np.full(n.shape, size), alpha=alpha, fractional=True
        )
    else:
        low, high = representation_ratio_interval(
            included,
            n,
            rest_included=np.where(known, size - included, 0.0),
            rest_n=np.where(known, total - n, 0.0),
            base_share=base_share,
            alpha=alpha,
        )
        share_low, share_high = wilson_interval(
            np.where(known, included, 0.0), np.full(n.shape, size if size > 0 else 0.0), alpha=alpha
        )
    valid = known & (total - n > 0)
    tvd = 0.5 * float(np.nansum(np.abs(segment_share[known] - base_share[known]))) if size > 0 else math.nan
    usable = known & (n > 0)
    if estimated:
        with np.errstate(invalid="ignore", divide="ignore"):
            x = np.nan_to_num(included / n * n_eff)
        statistic, dof, p_value = chi_square_test(x[usable], np.nan_to_num(n_eff)[usable], fractional=True)
    else:
        statistic, dof, p_value = chi_square_test(included[usable], n[usable])
    rows: list[dict[str, Any]] = []
    for i, group in enumerate(groups):
        note = None
        if not known[i]:
            note = "unknown category: counted and reported, left out of every share"
        elif not valid[i]:
            note = "the only known group: its ratio is 1 by definition"
        row: dict[str, Any] = {
            "group": dict(zip(by, group, strict=True)),
            "n": _count(n[i], estimated),
            "in_segment": _count(included[i], estimated),
            "segment_size": _count(size, estimated),
            "base_share": finite_or_none(base_share[i]),
            "segment_share": finite_or_none(segment_share[i]),
            "segment_share_ci_low": finite_or_none(share_low[i]) if known[i] else None,
            "segment_share_ci_high": finite_or_none(share_high[i]) if known[i] else None,
            "segment_share_ratio": finite_or_none(ratio[i]),
            "segment_share_ratio_ci_low": finite_or_none(low[i]) if valid[i] else None,
            "segment_share_ratio_ci_high": finite_or_none(high[i]) if valid[i] else None,
            "representation_ratio": finite_or_none(ratio[i]),
            "reference": False,
            "excluded": not bool(known[i]),
            "excluded_reason": None if known[i] else "unknown",
            "note": note if not estimated else "; ".join(filter(None, ["estimated membership", note])),
        }
        if estimated:
            row["estimated"] = True
        rows.append(row)
    label = f"{outcome.label}" + name_suffix
    table = Table(
        name=f"representation:{outcome.label}:{table_name(by)}{name_suffix}",
        subject=outcome.label,
        estimated=estimated,
        by=list(by),
        metric="segment_share",
        numerator="in_segment",
        denominator="segment_size",
        reference=None,
        methods=dict(REPRESENTATION_METHODS, **(ESTIMATED_METHODS if estimated else {})),
        rows=rows,
        tests={
            "total_variation_distance": finite_or_none(tvd),
            "chi_square": {
                "statistic": finite_or_none(statistic),
                "dof": int(dof),
                "p_value": finite_or_none(p_value),
            },
        },
        notes=[
            f"composition of {label} against the whole customer base: segment_share is the group's share "
            "of the segment, its ratio (the representation ratio) the share of the segment over the share "
            "of the base"
        ],
    )
    return Representation(
        outcome=outcome,
        table=table,
        tvd=finite_or_none(tvd),
        p_value=finite_or_none(p_value),
        segment_size=size,
        estimated=estimated,
    )


def _count(value: float, estimated: bool) -> int | float:
    return round(float(value), 6) if estimated else int(value)


STATUS_CEILING: Status = "warn"
"""The worst status a representation finding can have: make-up alone is not disadvantage."""


def representation_evidence(
    items: list[Representation], thresholds: Thresholds, *, tvd_threshold: float
) -> list[Evidence]:
    """One piece of evidence per representation table: its total variation distance against the
    threshold, for the audit's single judgement (:func:`equityaudit.judging.judge`).

    Each table is a family of one hypothesis — its chi-square test of homogeneity — adjusted with
    every other p-value of the audit. The distance has no interval, so under the judging rule it
    is ``pass`` at or under ``tvd_threshold`` and, above it, ``warn`` whether or not the test is
    significant after correction (the message says which: a significant difference, or one that
    may be chance). Representation *describes* a segment; whether a group is disadvantaged is the
    targeting finding's call, so a significant distance above the limit — ``fail`` for any other
    finding — is capped at ``warn`` (the evidence's ``ceiling``, recorded in
    ``details.status_ceiling``). ``insufficient_data`` only when the segment has fewer than ``min_group_size``
    members of known groups, or no distance can be computed.
    """
    evidence = []
    for item in items:
        table = item.table
        known = [r for r in table.rows if not r["excluded"] and r["segment_share"] is not None]
        if not known:
            continue
        over = max(known, key=lambda r: r["segment_share"] - r["base_share"])
        under = min(known, key=lambda r: r["segment_share"] - r["base_share"])
        top = max(known, key=lambda r: abs(r["segment_share"] - r["base_share"]))
        too_small = None
        if item.tvd is None:
            too_small = "undefined"
        elif item.segment_size < thresholds.min_group_size:
            size = f"{item.segment_size:.0f}" if item.estimated else f"{int(item.segment_size)}"
            too_small = (
                f"only {size} members of known groups (minimum {thresholds.min_group_size}): too few to judge"
            )
        evidence.append(
            Evidence(
                id=f"{table.name}/total_variation_distance",
                metric="total_variation_distance",
                kind="difference",
                table=table.name,
                group=top["group"],
                reference=None,
                value=item.tvd,
                ci_low=None,
                ci_high=None,
                p_value=item.p_value,
                threshold=tvd_threshold,
                adverse="above",
                family=table.name,
                too_small=too_small,
                describe=_describer(item, over, under, tvd_threshold, too_small),
                details={
                    "rate": "segment_share",
                    "segment": item.outcome.name,
                    "kind": item.outcome.kind,
                    "by": table.by,
                    "segment_size": _count(item.segment_size, item.estimated),
                    "most_over_represented": _summary(over),
                    "most_under_represented": _summary(under),
                    "estimated": item.estimated,
                },
                ceiling=STATUS_CEILING,
            )
        )
    return evidence


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "group": row["group"],
        "segment_share": row["segment_share"],
        "base_share": row["base_share"],
        "representation_ratio": row["representation_ratio"],
        "ci_low": row["segment_share_ratio_ci_low"],
        "ci_high": row["segment_share_ratio_ci_high"],
    }


def _describe(row: dict[str, Any]) -> str:
    who = ", ".join(row["group"].values())
    ratio = row["representation_ratio"]
    low, high = row["segment_share_ratio_ci_low"], row["segment_share_ratio_ci_high"]
    interval = f", 95% CI {low:.2f}–{high:.2f}" if low is not None and high is not None else ""
    return (
        f"{who} make up {100 * row['segment_share']:.1f}% of it against {100 * row['base_share']:.1f}% of "
        f"the customer base (representation ratio {ratio:.2f}{interval})"
    )


def _describer(
    item: Representation,
    over: dict[str, Any],
    under: dict[str, Any],
    limit: float,
    too_small: str | None,
) -> Callable[[Judgement], str]:
    """The message writer of one representation finding."""

    def describe(judgement: Judgement) -> str:
        by = table_name(item.table.by)
        prefix = "Estimated membership: " if item.estimated else ""
        head = f"{prefix}{item.outcome.label} by {by}: {_describe(over)}; {_describe(under)}."
        tvd = item.tvd
        if tvd is None:
            return f"{head} The segment has no member of a known group, so its make-up cannot be compared."
        if too_small is not None:
            return f"{head} {too_small[0].upper()}{too_small[1:]}."
        distance = f"Total variation distance {tvd:.3f}"
        p_text = adjusted_p_text(judgement.p_adjusted, judgement.correction)
        if meets(tvd, limit, "above"):
            return f"{head} {distance}, within the {limit:g} limit: its make-up matches the customer base."
        if judgement.significant:
            return (
                f"{head} {distance}, above the {limit:g} limit and statistically significant after "
                f"correcting for the number of comparisons ({p_text}): the segment's make-up differs from the "
                "customer base's. A warning, not a failure: the targeting findings say whether that "
                "disadvantages a group; check which features define this segment."
            )
        return (
            f"{head} {distance}, above the {limit:g} limit but not statistically significant after "
            f"correcting for the number of comparisons ({p_text}); with this few customers it may be "
            "chance. Monitor it and collect more data."
        )

    return describe
