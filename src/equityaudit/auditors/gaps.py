"""Error-rate gaps between groups (equal opportunity, equalized odds) as evidence for the judging rule.

A gap is the largest difference of the true (or false) positive rate between two groups of a
rate table, taken over the groups where the rate is defined and large enough to compare; its
family is every pair of those groups (the two groups are chosen by the data).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from equityaudit.auditors.comparison import adjusted_p_text, settle_text_in
from equityaudit.judging import Evidence, Judgement, meets, pairwise_family
from equityaudit.results import Table, finite_or_none
from equityaudit.spec import Thresholds
from equityaudit.stats.inference import difference_interval

__all__ = ["error_rate_gap_evidence"]


_GAP_RATES = {
    "tpr": ("tp", "positives", "true positive rate"),
    "fpr": ("fp", "negatives", "false positive rate"),
}


@dataclass
class _Gap:
    """The largest difference of one error rate between two groups of a table."""

    rate: str
    value: float | None
    high: dict[str, str]
    low: dict[str, str]
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    family: str
    family_p: dict[Hashable, float | None]
    hypothesis: Hashable | None
    rates: tuple[float, float] | None
    sizes: tuple[int, int]
    too_small: str | None


def _gap(table: Table, rate: str, thresholds: Thresholds) -> _Gap | None:
    """The gap of ``rate`` over the compared groups where it is defined, or None with fewer than
    two such groups. Only groups with at least ``min_group_size`` in the rate's denominator are
    judged; the pair of extremes is tested within the family of every pair of them."""
    numerator, denominator, _ = _GAP_RATES[rate]
    defined = [r for r in table.rows if not r["excluded"] and r.get(rate) is not None and r[denominator] > 0]
    if len(defined) < 2:
        return None
    minimum = thresholds.min_group_size
    judged = [r for r in defined if r[denominator] >= minimum]
    family = f"{table.name}/{rate} pairs"
    if len(judged) < 2:
        high, low = max(defined, key=lambda r: r[rate]), min(defined, key=lambda r: r[rate])
        return _Gap(
            rate,
            float(high[rate] - low[rate]),
            high["group"],
            low["group"],
            None,
            None,
            None,
            family,
            {},
            None,
            None,
            (high[denominator], low[denominator]),
            f"fewer than two groups have at least {minimum} {denominator} (the {rate.upper()}'s denominator): "
            "too few to judge",
        )
    keys = [tuple(r["group"].values()) for r in judged]
    family_p = pairwise_family(keys, [r[numerator] for r in judged], [r[denominator] for r in judged])
    high, low = max(judged, key=lambda r: r[rate]), min(judged, key=lambda r: r[rate])
    lo, hi = difference_interval(
        high[numerator], high[denominator], low[numerator], low[denominator], alpha=thresholds.alpha
    )
    hypothesis = frozenset((tuple(high["group"].values()), tuple(low["group"].values())))
    return _Gap(
        rate,
        float(high[rate] - low[rate]),
        high["group"],
        low["group"],
        finite_or_none(lo),
        finite_or_none(hi),
        family_p.get(hypothesis),
        family,
        family_p,
        hypothesis,
        (float(high[rate]), float(low[rate])),
        (int(high[denominator]), int(low[denominator])),
        None,
    )


def error_rate_gap_evidence(table: Table, thresholds: Thresholds) -> list[Evidence]:
    """Equal-opportunity (TPR) and equalized-odds (the larger of the TPR and FPR gaps) evidence
    of one table.

    Each gap is the largest difference between two compared groups where its rate is defined
    (fairlearn's ``between_groups`` difference), over the groups with at least
    ``min_group_size`` in the rate's denominator (positives for the TPR, negatives for the FPR),
    with the Newcombe interval of that pair. The pair of extremes is chosen by the data, so its
    test belongs to the family of every pair of those groups.
    """
    tpr, fpr = _gap(table, "tpr", thresholds), _gap(table, "fpr", thresholds)
    evidence = []
    if tpr is not None:
        evidence.append(_gap_evidence(table, "equal_opportunity_difference", tpr, thresholds))
    if tpr is not None and fpr is not None:
        if tpr.too_small or fpr.too_small:
            worst = tpr if tpr.too_small else fpr
        else:
            worst = max((tpr, fpr), key=lambda g: g.value or 0.0)
        evidence.append(_gap_evidence(table, "equalized_odds_difference", worst, thresholds))
    return evidence


def _gap_evidence(table: Table, metric: str, gap: _Gap, thresholds: Thresholds) -> Evidence:
    limit = f"{thresholds.difference:g}"
    _, denominator, rate_name = _GAP_RATES[gap.rate]

    def describe(judgement: Judgement) -> str:
        head = (
            f"{metric.replace('_', ' ')} by {table.name}: the {rate_name} differs by "
            f"{_pp(gap.value)} points between {', '.join(gap.high.values())} and "
            f"{', '.join(gap.low.values())}"
        )
        if gap.ci_low is not None:
            head += f" (95% CI {_pp(gap.ci_low)} to {_pp(gap.ci_high)})"
        p_text = adjusted_p_text(judgement.p_adjusted, judgement.correction)
        tail = {
            "insufficient_data": f"; {gap.too_small}. Collect more outcomes before relying on the figure.",
            "pass": f"; within the {limit} limit, and the interval is clear of it.",
            "inconclusive": f"; within the {limit} limit, but the interval reaches above it and the difference "
            f"is not statistically significant after correcting for the number of comparisons ({p_text}): "
            "inconclusive. " + settle_text_in(judgement.rows_to_settle, denominator, gap.sizes),
            "fail": f"; above the {limit} limit and statistically significant after correcting for the number "
            f"of comparisons ({p_text}). Check whether the tool errs more often for one of these groups.",
        }.get(judgement.status)
        if tail is None:  # warn: one side of the limit without the evidence to match
            if gap.value is not None and meets(gap.value, thresholds.difference, "above"):
                tail = (
                    f"; within the {limit} limit, but the difference is statistically significant "
                    f"({p_text}) and the interval reaches above the limit. Review it."
                )
            else:
                tail = (
                    f"; above the {limit} limit, but not statistically significant after correcting for "
                    f"the number of comparisons ({p_text}); it may be chance. Monitor it."
                )
        return head + tail

    return Evidence(
        id=f"{table.name}/{metric}",
        metric=metric,
        kind="difference",
        table=table.name,
        group=gap.low,
        reference=gap.high,
        value=gap.value,
        ci_low=gap.ci_low,
        ci_high=gap.ci_high,
        p_value=gap.p_value,
        threshold=thresholds.difference,
        adverse="above",
        family=gap.family,
        family_p=gap.family_p,
        hypothesis=gap.hypothesis,
        too_small=gap.too_small,
        rates=gap.rates,
        describe=describe,
        details={"rate": gap.rate, "high": gap.high, "low": gap.low, "sizes": list(gap.sizes)},
    )


def _pp(value: float | None) -> str:
    return "undefined" if value is None else f"{100 * value:.1f}"
