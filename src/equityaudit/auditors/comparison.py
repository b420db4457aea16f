"""Group counts to result tables and judged findings: the machinery auditors share.

:func:`rate_table` turns :class:`~equityaudit.stats.counts.GroupCounts` into a
:class:`~equityaudit.results.Table` — every group's rates with intervals, ratios and
differences to the reference group, tests and shortfall — and into :class:`Comparison` records.
:func:`judge` then adjusts all of an audit's p-values together (Holm or Benjamini–Hochberg) and
turns each comparison into a :class:`~equityaudit.results.Finding` with a status and a message
a non-statistician can read.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from equityaudit.auditors.grouping import table_name
from equityaudit.errors import DataError, UndefinedMetricWarning, counted, did_you_mean
from equityaudit.frames import UNKNOWN
from equityaudit.judging import (
    MAX_GROUPS,
    Evidence,
    Judgement,
    meets,
    pairwise_family,
    settle_text,
    too_many_groups,
)
from equityaudit.judging import judge as judge_evidence
from equityaudit.numbers import fmt_p
from equityaudit.results import Finding, Table, finite_or_none
from equityaudit.spec import Reference, Thresholds
from equityaudit.stats.counts import GroupCounts
from equityaudit.stats.disparity import METHODS, choose_reference, compare_to_reference
from equityaudit.stats.inference import chi_square_test, shortfall
from equityaudit.stats.rates import Metric, cell_arrays, proportion

__all__ = [
    "Comparison",
    "adjusted_p_text",
    "comparison_evidence",
    "judge",
    "rate_table",
    "row_column",
    "row_comparison",
    "row_details",
    "settle_text_in",
]


def adjusted_p_text(p_adjusted: float | None, correction: str = "") -> str:
    """How a finding's message states its adjusted p-value: three significant digits, and a p too
    small for a double (stored as 0) as ``< 1e-300`` rather than 0.

    Examples
    --------
    >>> adjusted_p_text(3.2106e-07, "Holm"), adjusted_p_text(0.0, "Holm"), adjusted_p_text(None)
    ('Holm-adjusted p = 3.21e-07', 'Holm-adjusted p < 1e-300', 'p not available')
    >>> adjusted_p_text(0.0213)
    'adjusted p = 0.0213'
    """
    if p_adjusted is None:
        return "p not available"
    label = f"{correction}-adjusted p" if correction else "adjusted p"
    shown = fmt_p(p_adjusted)  # the reports' rule: an underflow to 0 reads "< 1e-300"
    return f"{label} {shown}" if shown.startswith("<") else f"{label} = {shown}"


@dataclass
class Comparison:
    """One group's rate compared with the reference group's, before judging."""

    table: str
    metric: Metric
    group: dict[str, str]
    reference: dict[str, str]
    n: int
    rate: float | None
    reference_rate: float | None
    ratio: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    details: dict[str, Any] = field(default_factory=dict)
    reference_n: int | None = None
    """Rows of the reference group (its rate's denominator); None when unknown."""
    favourable: bool = True
    """Whether a higher rate is better for the group (selection) or worse (an unfavourable
    segment); for an unfavourable rate the ratio is the reference's rate over the group's."""
    family: str = ""
    """The family of hypotheses its test belongs to (default: its table and metric)."""
    family_p: Mapping[Hashable, float | None] | None = None
    """Every p-value of the family when it holds more than the table's comparisons: with a
    data-chosen reference, every pair of judgeable groups (:func:`~equityaudit.judging.pairwise_family`)."""
    hypothesis: Hashable | None = None
    """This comparison's key in ``family_p``."""


def rate_table(
    counts: GroupCounts,
    *,
    metric: Metric,
    thresholds: Thresholds,
    reference: Reference = "max_rate",
    extra_metrics: Sequence[Metric] = (),
    excluded: Mapping[tuple[str, ...], str] | None = None,
    reference_min_n: int | None = None,
    name: str | None = None,
    compare: bool = True,
    origin: str = "<data>",
    favourable: bool = True,
    subject: str | None = None,
    stage: str | None = None,
    cumulative: bool = False,
) -> tuple[Table, list[Comparison]]:
    """Build the table of one rate by the counts' attributes, and its comparisons.

    Parameters
    ----------
    counts
        Per-group counts.
    metric
        The table's primary rate; ratios to the reference are judged on it.
    thresholds
        The spec's thresholds (impact ratio, alpha, minimum group size, bootstrap).
    reference
        ``max_rate``, ``largest`` or ``{attribute: value}`` (used when it names every attribute
        of this table; otherwise ``max_rate``, with a note).
    extra_metrics
        More rates reported per group with the same reference (TPR, FPR, …).
    excluded
        Groups left out of comparisons, with the reason (e.g. the LL144 2 % rule). Groups with an
        ``Unknown`` attribute are always left out.
    reference_min_n
        With ``max_rate``, prefer reference groups at least this large (default: the minimum
        group size); 1 takes the highest rate whatever the group's size (as LL144 does).
    name
        Table name; default ``table_name(counts.by)``.
    compare
        Whether to return comparisons for judging (False: a descriptive table).
    origin
        The data source, for messages.
    favourable
        Whether being counted in the numerator is good for a group (selection: the default) or
        bad (inclusion in an unfavourable segment). When False, ``max_rate`` means the
        *least*-included group, each ratio is the reference's rate over the group's (so that a
        ratio below the threshold still marks a disadvantaged group), and ``shortfall`` is the
        fewest removals from the numerator that would lift the ratio to the threshold.
    """
    excluded = dict(excluded or {})
    name = name or table_name(counts.by)
    cells = cell_arrays(counts.table, counts.by)  # count columns and derived cells (fp, tn, ...)
    keys = [[str(v) for v in counts.table[b].tolist()] for b in counts.by]
    groups: list[tuple[str, ...]] = (
        list(zip(*keys, strict=True)) if keys else [() for _ in range(len(counts.table))]
    )
    notes: list[str] = []
    reasons: dict[int, str] = {}
    for i, group in enumerate(groups):
        if UNKNOWN in group:
            reasons[i] = "unknown category: counted and reported, left out of comparisons"
        elif group in excluded:
            reasons[i] = excluded[group]
    eligible = np.array([i not in reasons for i in range(len(groups))])
    successes = cells[metric.numerator]
    totals = cells[metric.denominator]
    # a single column's count of groups was checked by the quality gate, an intersection's is
    # checked here: every known group is a row of each table and report, and pairs to test
    known = sum(UNKNOWN not in group for group in groups)
    if known > MAX_GROUPS:
        raise too_many_groups(known, origin=origin, column=name, intersection=len(counts.by) > 1)
    judgeable = np.flatnonzero(eligible & (totals >= thresholds.min_group_size))

    rule: Any = reference
    if isinstance(reference, dict):
        if set(counts.by) <= set(reference):
            wanted = tuple(reference[b] for b in counts.by)
            if wanted not in groups:
                present = sorted({g[counts.by.index(a)] for g in groups for a in counts.by if a in reference})
                raise DataError(
                    f"{origin}: reference group {dict(zip(counts.by, wanted, strict=True))} is not in "
                    f"the data. {did_you_mean(' '.join(wanted), present)}"
                )
            rule = groups.index(wanted)
            if not eligible[rule]:
                raise DataError(
                    f"{origin}: reference group {dict(zip(counts.by, wanted, strict=True))} cannot "
                    f"be the reference: {reasons[rule]}. Choose another in the spec's 'reference'."
                )
        else:
            rule = "max_rate"
            notes.append(
                "the spec's reference does not name every attribute of this table; the group "
                "with the highest rate is the reference"
            )
    min_n = thresholds.min_group_size if reference_min_n is None else reference_min_n
    if rule == "max_rate" and not favourable:
        rule = "min_rate"
    ref = choose_reference(successes, totals, eligible=eligible, rule=rule, min_n=min_n)
    if ref is None:
        raise DataError(
            f"{origin}: no group of {list(counts.by)} can serve as the reference: every group is "
            "unknown, excluded or empty. Check that the sensitive columns hold known values."
        )
    stats = compare_to_reference(
        successes,
        totals,
        reference=ref,
        alpha=thresholds.alpha,
        bootstrap=thresholds.bootstrap,
        seed=thresholds.seed,
        invert=not favourable,
    )
    reference_rate = float(stats["rate"][ref])
    reference_rates = np.full(len(groups), reference_rate if math.isfinite(reference_rate) else np.nan)
    if favourable:
        short = shortfall(successes, totals, reference_rates, threshold=thresholds.impact_ratio)
    else:
        short = _excess(successes, totals, reference_rates, threshold=thresholds.impact_ratio)
    extras: dict[str, dict[str, np.ndarray[Any, np.dtype[np.float64]]]] = {}
    if extra_metrics:  # every extra metric in one vectorised call: (metrics × groups) counts
        stacked = compare_to_reference(
            np.stack([cells[m.numerator] for m in extra_metrics]),
            np.stack([cells[m.denominator] for m in extra_metrics]),
            reference=ref,
            alpha=thresholds.alpha,
            tests=False,
            invert=not favourable,
        )
        extras = {m.name: {k: v[row] for k, v in stacked.items()} for row, m in enumerate(extra_metrics)}
    reference_group = dict(zip(counts.by, groups[ref], strict=True))
    family = f"{name}/{metric.name}"
    family_p = None
    if compare and rule in ("max_rate", "min_rate"):
        # the reference was chosen by the data as the extreme rate: the family is every pair of
        # groups that can be judged (known, not excluded, large enough), see equityaudit.judging
        family_p = pairwise_family(
            [groups[i] for i in judgeable], successes[judgeable].tolist(), totals[judgeable].tolist()
        )
    # every array as Python values once (ints; floats or None for undefined), not element by element
    counted = {c: values.tolist() for c, values in cells.items()}
    families = []
    for prefix, values, m in [(metric.name, stats, metric)] + [
        (em.name, extras[em.name], em) for em in extra_metrics
    ]:
        python = {key: [finite_or_none(v) for v in array.tolist()] for key, array in values.items()}
        columns = [(row_column(prefix, key), key in _RATE_KEYS, python[key]) for key in values]
        families.append((m, columns, python["rate"], python["ratio"]))
    rows: list[dict[str, Any]] = []
    comparisons: list[Comparison] = []
    undefined_seen: set[str] = set()
    for i, group in enumerate(groups):
        row: dict[str, Any] = {"group": dict(zip(counts.by, group, strict=True))}
        row.update({c: values[i] for c, values in counted.items()})
        row_notes: list[str] = []
        compared = bool(eligible[i])
        for m, columns, rates, ratios in families:
            for column, always, shown in columns:
                row[column] = shown[i] if compared or always else None
            if rates[i] is None:
                row_notes.append(f"{m.name} undefined: no {m.denominator.replace('_', ' ')} in this group")
                undefined_seen.add(m.name)
            elif compared and ratios[i] is None:
                row_notes.append(f"{m.name} ratio undefined: the reference group's {m.name} is zero")
                undefined_seen.add(f"{m.name}_ratio")
        row["shortfall"] = finite_or_none(short[i]) if compared else None
        row["reference"] = i == ref
        row["excluded"] = not compared
        row["excluded_reason"] = None if compared else "unknown" if UNKNOWN in group else "small_category"
        if not compared:
            row_notes.insert(0, reasons[i])
        elif totals[i] < thresholds.min_group_size:
            unit = "rows" if metric.denominator == "n" else metric.denominator.replace("_", " ")
            row_notes.insert(0, f"fewer than {thresholds.min_group_size} {unit}: insufficient data to judge")
        row["note"] = "; ".join(row_notes) or None
        rows.append(row)
        if compare and compared and i != ref:
            comparisons.append(
                Comparison(
                    table=name,
                    metric=metric,
                    group=row["group"],
                    reference=reference_group,
                    n=int(totals[i]),
                    reference_n=int(totals[ref]),
                    reference_rate=finite_or_none(reference_rate),
                    **row_comparison(row, metric),
                    details={
                        **row_details(row, metric),
                        "p_value_fisher": row["p_value_fisher"],
                        "shortfall": row["shortfall"],
                        "selected": int(successes[i]),
                        "denominator": int(totals[i]),
                    },
                    favourable=favourable,
                    family=family,
                    family_p=family_p,
                    hypothesis=frozenset((group, groups[ref])) if family_p is not None else None,
                )
            )
    if undefined_seen:
        warnings.warn(
            f"{name}: {', '.join(sorted(undefined_seen))} undefined for some groups (zero denominator); "
            "reported as null with a note",
            UndefinedMetricWarning,
            stacklevel=2,
        )
    usable = eligible & (totals > 0)
    statistic, dof, p_chi = chi_square_test(successes[usable], totals[usable])
    methods = {k: v for k, v in METHODS.items() if k != "ratio_ci_bootstrap"}
    if thresholds.bootstrap:
        methods["ratio_ci"] = (
            f"{METHODS['ratio_ci_bootstrap']} ({thresholds.bootstrap} replicates) for {metric.name}"
            + (f"; {METHODS['ratio_ci']} for the other rates" if extra_metrics else "")
        )
    if not favourable:
        methods["ratio"] = (
            "unfavourable outcome: the least-included group's rate divided by this group's rate "
            "(below 1: this group is included more often)"
        )
        methods["shortfall"] = "fewest removals from the numerator that lift the ratio to the threshold"
    methods["chi_square"] = "Pearson chi-square test of homogeneity across compared groups"
    table = Table(
        name=name,
        by=list(counts.by),
        metric=metric.name,
        numerator=metric.numerator,
        denominator=metric.denominator,
        reference=reference_group,
        methods=methods,
        rows=rows,
        notes=notes,
        tests={
            "chi_square": {
                "statistic": finite_or_none(statistic),
                "dof": int(dof),
                "p_value": finite_or_none(p_chi),
            }
        },
        subject=subject,
        stage=stage,
        cumulative=cumulative,
        favourable=favourable,
    )
    return table, comparisons


_RATE_KEYS = frozenset({"rate", "rate_ci_low", "rate_ci_high"})
"""The keys of :func:`compare_to_reference` shown for groups left out of comparisons too."""


def row_comparison(row: Mapping[str, Any], metric: Metric) -> dict[str, Any]:
    """A table row's rate, ratio, ratio interval and p-value, as :class:`Comparison` fields."""
    return {
        "rate": row[metric.name],
        "ratio": row[f"{metric.name}_ratio"],
        "ci_low": row[f"{metric.name}_ratio_ci_low"],
        "ci_high": row[f"{metric.name}_ratio_ci_high"],
        "p_value": row["p_value"],
    }


def row_details(row: Mapping[str, Any], metric: Metric) -> dict[str, Any]:
    """A table row's difference, its interval and the z-test p-value, for a comparison's details."""
    return {
        "difference": row[f"{metric.name}_difference"],
        "difference_ci_low": row[f"{metric.name}_difference_ci_low"],
        "difference_ci_high": row[f"{metric.name}_difference_ci_high"],
        "p_value_z": row["p_value_z"],
    }


def row_column(metric: str, key: str) -> str:
    """Row column for a key of :func:`compare_to_reference`: rate_ci_low → <metric>_ci_low, …"""
    if key == "rate":
        return metric
    if key.startswith("rate_"):
        return f"{metric}_{key.removeprefix('rate_')}"
    if key.startswith(("ratio", "difference")):
        return f"{metric}_{key}"
    return key  # test statistics and p-values, which only the primary metric has


def _excess(
    successes: np.ndarray[Any, np.dtype[np.int64]],
    n: np.ndarray[Any, np.dtype[np.int64]],
    reference_rate: np.ndarray[Any, np.dtype[np.float64]],
    *,
    threshold: float,
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Fewest removals from a group's unfavourable count for ``reference_rate / rate >= threshold``.

    The least whole :math:`k \\ge 0` with :math:`(x - k)/n \\le r/t`, i.e.
    :math:`\\max(0, \\lceil x - n r / t \\rceil)`; NaN where ``n`` is 0 or the reference rate is
    undefined. A target that is whole in exact arithmetic is not pushed up by rounding error.
    """
    x = successes.astype(np.float64)
    size = n.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        allowed = size * reference_rate / threshold
        needed = np.maximum(np.ceil(x - allowed - 1e-9 * np.maximum(1.0, allowed)), 0.0)
    return np.where((size == 0) | np.isnan(reference_rate), np.nan, needed)


def judge(comparisons: Sequence[Comparison], thresholds: Thresholds) -> list[Finding]:
    """Judge these comparisons as one audit (:func:`equityaudit.judging.judge`), worst first.

    For an audit with other findings too, collect every :func:`comparison_evidence` and
    :func:`error_rate_gap_evidence` and judge them together, so that they share one family.
    """
    return judge_evidence([comparison_evidence(c, thresholds) for c in comparisons], thresholds)


def comparison_evidence(comparison: Comparison, thresholds: Thresholds) -> Evidence:
    """A ratio comparison as evidence for :func:`equityaudit.judging.judge`.

    Too small to judge (``insufficient_data``) when the group or the reference group is below the
    minimum group size, counted in the rate's denominator, or the ratio is undefined.
    """
    c = comparison
    reason = _insufficient(c, thresholds)
    rates = None
    if c.rate is not None and c.reference_rate is not None:
        rates = (c.rate, c.reference_rate)

    def describe(judgement: Judgement) -> str:
        return _ratio_message(c, judgement, thresholds, reason)

    return Evidence(
        id=f"{c.table}/{c.metric.name}/" + "/".join(c.group.values()),
        metric=c.metric.name,
        kind="ratio",
        table=c.table,
        group=c.group,
        reference=c.reference,
        value=c.ratio,
        ci_low=c.ci_low,
        ci_high=c.ci_high,
        p_value=c.p_value,
        threshold=thresholds.impact_ratio,
        family=c.family or f"{c.table}/{c.metric.name}",
        family_p=c.family_p,
        hypothesis=c.hypothesis,
        too_small=reason,
        rates=rates,
        describe=describe,
        details={**c.details, "rate": c.rate, "reference_rate": c.reference_rate, "n": c.n},
    )


def _pct(value: float | None) -> str:
    return "undefined" if value is None else f"{100 * value:.1f}%"


def _denominator_count(c: Comparison, count: int) -> str:
    """A group's size as the rate counts it: ``12 rows``, or ``3 interviewed`` for a stage rate."""
    if c.metric.denominator == "n":
        return counted(count, "row")
    return f"{count} {c.metric.denominator.replace('_', ' ')} (the rate's denominator)"


def _insufficient(c: Comparison, thresholds: Thresholds) -> str | None:
    """Why a comparison cannot be judged whatever its interval (too small, or undefined), or None."""
    minimum = thresholds.min_group_size
    if c.ratio is None:
        return "undefined"
    if c.n < minimum:
        return f"only {_denominator_count(c, c.n)} (minimum {minimum}): too few to judge"
    if c.reference_n is not None and c.reference_n < minimum:
        return (
            f"the reference group has only {_denominator_count(c, c.reference_n)} (minimum {minimum}), "
            "too few to compare with"
        )
    return None


def _ratio_message(c: Comparison, judgement: Judgement, thresholds: Thresholds, reason: str | None) -> str:
    status = judgement.status
    who = ", ".join(c.group.values())
    ref = ", ".join(c.reference.values())
    label = c.metric.label
    base = f"{who}: {label} {_pct(c.rate)} vs {_pct(c.reference_rate)} for {ref}"
    if not c.favourable:
        base += " (the least included)"
    if c.ratio is None:
        zero = "the reference rate is zero" if c.favourable else "this group's rate is zero"
        return f"{base}; the ratio is undefined ({zero}), so it cannot be judged."
    interval = (
        f" (95% CI {c.ci_low:.2f}–{c.ci_high:.2f})" if c.ci_low is not None and c.ci_high is not None else ""
    )
    ratio = f"ratio {c.ratio:.3f}{interval}"
    p_text = adjusted_p_text(judgement.p_adjusted, judgement.correction)
    threshold = f"{thresholds.impact_ratio:g}"
    if status == "insufficient_data":
        return f"{base}, {ratio}; {reason}. Collect more data before relying on the figure."
    if status == "inconclusive":
        return (
            f"{base}, {ratio}; its interval reaches below the {threshold} threshold and the difference is "
            f"not statistically significant after correcting for the number of comparisons ({p_text}): "
            "the data fit adverse impact and no difference at all, so this is inconclusive. "
            + settle_text_in(judgement.rows_to_settle, c.metric.denominator, (c.n, c.reference_n))
        )
    if status == "pass":
        return f"{base}, {ratio}: at or above the {threshold} threshold."
    if meets(c.ratio, thresholds.impact_ratio):
        return (
            f"{base}, {ratio}: at or above the {threshold} threshold, but the difference is "
            f"statistically significant ({p_text}) and the interval reaches below the threshold: "
            "a smaller difference can still be adverse impact (29 CFR 1607.4(D)). Review it."
        )
    short = c.details.get("shortfall")
    unit = {
        "scoring_rate": "applicant(s) scoring above the median",
        "favourable_rate": "person(s) not receiving the decision",
    }.get(c.metric.name, "selection(s)")
    need = f" {int(short)} more {unit} in this group would reach the threshold." if short else ""
    if not c.favourable:
        ratio = f"{ratio}, that is {1 / c.ratio:.2f} times as often" if c.ratio > 0 else ratio
        need = f" {int(short)} fewer inclusion(s) of this group would reach the threshold." if short else ""
    if status == "fail":
        return (
            f"{base}, {ratio}: below the {threshold} threshold and statistically "
            f"significant ({p_text}).{need} Review how the tool treats this group."
        )
    return (
        f"{base}, {ratio}: below the {threshold} threshold, but not statistically "
        f"significant ({p_text}); it may be chance. Monitor it and collect more data.{need}"
    )


def settle_text_in(rows: int | None, denominator: str, now: tuple[int | None, ...]) -> str:
    """:func:`~equityaudit.judging.settle_text` in the rate's denominator (rows, positives, ...)."""
    return settle_text(rows, "rows" if denominator == "n" else denominator.replace("_", " "), now)


def share(counts: GroupCounts) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Each group's share of the rows whose attributes are all known."""
    n = counts.table["n"].to_numpy(dtype=np.float64)
    known = np.array(
        [UNKNOWN not in tuple(map(str, g)) for g in counts.table[list(counts.by)].itertuples(index=False)]
    )
    return proportion(n, np.full_like(n, n[known].sum()))
