"""The one judging rule: how every finding of an audit gets its status, with family-wise error control.

An analysis (a rate table's comparisons, an error-rate gap, a representation or intent-skew test)
does not judge its own findings. It hands :func:`judge` one :class:`Evidence` per finding — the
estimate, its interval, its raw p-value, the threshold and the side of it that is adverse — and
:func:`judge` judges all of an audit's evidence together:

1. **One family of hypotheses per audit.** Every p-value that could make a finding ``fail`` is
   adjusted together (Holm by default). The audit's significance level is shared equally between
   its *families* — the comparisons of one rate table, the pairs behind one gap, one
   representation table — and, within a family, equally between its hypotheses (a weighted Holm
   step-down, Holm 1979 §4), so an intersection table of 91 pairs does not drown the two-group
   table beside it, and the chance that an audit of truly equal groups fails at least once is at
   most ``alpha``.
2. **A data-chosen reference costs every pair.** When the reference group is the one with the
   highest rate (``max_rate``), comparing the others with it is comparing the extremes: the
   family then holds every pair of judgeable groups (:func:`pairwise_family`), not only the
   pairs with the reference, which is what keeps the false-FAIL rate at ``alpha``
   (``benchmarks/bench_calibration.py``).
3. **Five words, one meaning each** (:func:`status_of`), in order of severity:

   - ``fail``: on the adverse side of the threshold, and significant after correction;
   - ``warn``: on the adverse side but not significant (it may be chance), or on the right side
     with a significant difference whose interval reaches past the threshold (29 CFR 1607.4(D));
   - ``inconclusive``: on the right side, but the interval reaches past the threshold and the
     difference is not significant — the data fit both adverse impact and none; the finding says
     roughly how many rows per group would settle it (:func:`rows_to_settle`);
   - ``insufficient_data``: a group, or the rate's denominator, below ``min_group_size`` (or an
     undefined estimate) — judged by size alone, never by the interval;
   - ``pass``: on the right side with the interval clear of the threshold.

Findings come back ordered fail → warn → inconclusive → insufficient_data → pass.

A table compares at most :data:`MAX_GROUPS` groups (:func:`too_many_groups`): its family holds
every pair of them, so the work grows with the square of the count.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Literal

import numpy as np

from equityaudit.errors import DataError
from equityaudit.results import STATUSES, Finding, Status, finite_or_none
from equityaudit.spec import Thresholds
from equityaudit.stats.inference import adjust_p, fisher_exact_test, z_critical

__all__ = [
    "CORRECTION_NAMES",
    "MAX_GROUPS",
    "Evidence",
    "Judgement",
    "judge",
    "meets",
    "order_findings",
    "pairwise_family",
    "rows_to_settle",
    "settle_text",
    "status_of",
    "too_many_groups",
]

Adverse = Literal["below", "above"]
"""Which side of the threshold is adverse: ``below`` for a ratio (0.7 < 0.8 is adverse impact),
``above`` for a gap (a 12-point difference > a 10-point limit)."""

CORRECTION_NAMES = {"holm": "Holm", "bh": "Benjamini–Hochberg", "none": "no"}
"""How messages name the spec's ``thresholds.correction``."""

POWER = 0.8
"""The chance with which :func:`rows_to_settle`'s sample size settles an inconclusive finding."""


@dataclass(frozen=True)
class Judgement:
    """What :func:`judge` decided about one piece of evidence, handed to its message writer."""

    status: Status
    p_adjusted: float | None
    correction: str
    """The correction's name for messages (``Holm``, ``Benjamini–Hochberg``, ``no``)."""
    significant: bool
    rows_to_settle: int | None = None
    """For ``inconclusive``: rows per group that would settle it at the observed rates (or None)."""


@dataclass
class Evidence:
    """One finding before judging: the estimate, its interval and p-value, and how to word it.

    ``family`` names the family of hypotheses its p-value belongs to; ``family_p`` (shared by the
    evidence of one family) lists every p-value of that family, keyed by hypothesis, when the
    family holds hypotheses no finding reports (the pairs behind a data-chosen reference);
    otherwise the family is the evidence that names it. ``hypothesis`` is the evidence's key in
    ``family_p`` (default: its ``id``).
    """

    id: str
    metric: str
    kind: Literal["ratio", "difference", "rate", "test"]
    table: str
    group: dict[str, str]
    reference: dict[str, str] | None
    value: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    threshold: float
    family: str
    describe: Callable[[Judgement], str]
    adverse: Adverse = "below"
    too_small: str | None = None
    """Why it cannot be judged whatever its interval (a group below min_group_size, an undefined
    estimate), or None."""
    family_p: Mapping[Hashable, float | None] | None = None
    hypothesis: Hashable | None = None
    rates: tuple[float, float] | None = None
    """For :func:`rows_to_settle`: the compared rates (group, reference) behind a ratio or a gap."""
    ceiling: Status | None = None
    """The worst status this finding may get (``warn`` for a finding that describes rather than
    accuses: a segment's make-up, a category the data never mentions); None: no limit."""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> Hashable:
        return self.id if self.hypothesis is None else self.hypothesis


def meets(value: float, threshold: float, adverse: Adverse = "below") -> bool:
    """Whether ``value`` is on the right side of ``threshold`` (or on it), where a ratio that is
    exactly the threshold in exact arithmetic but a hair off in floating point
    (600/1000 ÷ 750/1000 = 0.7999999999999999) meets it; the EEOC's rule flags only a ratio
    *less than* four-fifths (29 CFR 1607.4(D)).

    Examples
    --------
    >>> (600 / 1000) / (750 / 1000) >= 0.8, meets((600 / 1000) / (750 / 1000), 0.8), meets(0.7999, 0.8)
    (False, True, False)
    >>> meets(0.1, 0.1, "above"), meets(0.12, 0.1, "above")
    (True, False)
    """
    tolerance = 1e-9 * max(1.0, abs(threshold))
    if adverse == "below":
        return value >= threshold - tolerance
    return value <= threshold + tolerance


def status_of(
    value: float | None,
    ci_low: float | None,
    ci_high: float | None,
    *,
    threshold: float,
    significant: bool,
    adverse: Adverse = "below",
    too_small: bool = False,
    require_significance: bool = True,
) -> Status:
    """The judging rule for one estimate (see the module docstring).

    Examples
    --------
    A ratio of 0.70 whose difference is significant fails; not significant, it warns:

    >>> status_of(0.70, 0.60, 0.82, threshold=0.8, significant=True)
    'fail'
    >>> status_of(0.70, 0.45, 1.10, threshold=0.8, significant=False)
    'warn'

    A ratio of 0.90 passes only when its interval is clear of the threshold; reaching below it,
    it is a warning when significant and inconclusive when not:

    >>> status_of(0.90, 0.84, 0.97, threshold=0.8, significant=True)
    'pass'
    >>> status_of(0.90, 0.78, 0.99, threshold=0.8, significant=True)
    'warn'
    >>> status_of(0.90, 0.70, 1.15, threshold=0.8, significant=False)
    'inconclusive'

    A gap is adverse above its limit, and a group too small is never judged by its interval:

    >>> status_of(0.12, 0.05, 0.19, threshold=0.1, significant=True, adverse="above")
    'fail'
    >>> status_of(0.50, 0.30, 0.70, threshold=0.1, significant=True, adverse="above", too_small=True)
    'insufficient_data'
    """
    if too_small or value is None:
        return "insufficient_data"
    if meets(value, threshold, adverse):
        far_end = ci_low if adverse == "below" else ci_high
        if far_end is None or meets(far_end, threshold, adverse):
            return "pass"
        return "warn" if significant else "inconclusive"
    return "fail" if significant or not require_significance else "warn"


def rows_to_settle(
    value: float,
    rates: tuple[float, float],
    *,
    threshold: float,
    kind: str,
    alpha: float,
    power: float = POWER,
) -> int | None:
    """Rows per group (in the rate's denominator) with which an inconclusive finding would be
    settled, if the observed rates were the true ones.

    "Settled" means that its ``1 - alpha`` interval would clear the threshold with probability
    ``power`` (80 %): for a ratio :math:`r` of rates :math:`p_1, p_2` on the log scale (Katz),
    :math:`n = (z_{1-\\alpha/2} + z_{power})^2 \\, V / \\ln(r/t)^2` with
    :math:`V = (1-p_1)/p_1 + (1-p_2)/p_2`; for a difference :math:`d` against a limit :math:`L`,
    :math:`n = (z_{1-\\alpha/2} + z_{power})^2 \\, (p_1(1-p_1) + p_2(1-p_2)) / (L - d)^2`, both
    with equal groups. Rounded up to two significant figures. None when it cannot be computed
    (a rate of 0 or 1 in a ratio, or an estimate exactly at the threshold, which no sample size
    settles).

    Examples
    --------
    Ratio 0.9 of 0.36 to 0.40 against 0.8: :math:`V = 0.64/0.36 + 0.6/0.4 = 3.2778`,
    :math:`(1.95996 + 0.84162)^2 = 7.8489`, :math:`\\ln(0.9/0.8)^2 = 0.013872`, so
    :math:`n = 7.8489 \\times 3.2778 / 0.013872 = 1854.6`, shown as 1,900:

    >>> rows_to_settle(0.9, (0.36, 0.40), threshold=0.8, kind="ratio", alpha=0.05)
    1900
    """
    p1, p2 = rates
    z = z_critical(alpha) + z_critical(2 * (1 - power))  # z_{1-alpha/2} + z_{power}
    if kind == "ratio":
        if not (0 < p1 < 1 and 0 < p2 < 1) or value <= 0:
            return None
        distance = math.log(value / threshold) ** 2
        variance = (1 - p1) / p1 + (1 - p2) / p2
    else:
        distance = (threshold - value) ** 2
        variance = p1 * (1 - p1) + p2 * (1 - p2)
    if distance <= 1e-12 or variance <= 0:
        return None
    n = z * z * variance / distance
    digits = max(0, math.ceil(math.log10(n)) - 2)
    return int(math.ceil(n / 10**digits) * 10**digits)


def settle_text(rows: int | None, unit: str, now: Sequence[int | None] = ()) -> str:
    """The sentence an inconclusive finding ends with: how much data would settle it.

    Examples
    --------
    >>> settle_text(7000, "rows", (874, 431))
    "About 7,000 rows per group would settle it if the rates stay as observed (now 874 and 431; 80% power at the audit's alpha)."
    >>> settle_text(510, "utterances")
    "About 510 utterances per group would settle it if the rates stay as observed (80% power at the audit's alpha)."
    >>> settle_text(None, "rows")
    'More data would settle it.'
    """
    if rows is None:
        return "More data would settle it."
    sizes = " and ".join(f"{n:,}" for n in now if n is not None)
    current = f"now {sizes}; " if sizes else ""
    return (
        f"About {rows:,} {unit} per group would settle it if the rates stay as observed ({current}"
        f"{POWER:.0%} power at the audit's alpha)."
    )


MAX_GROUPS = 200
"""The most groups one table of an audit compares (one sensitive column, or an intersection).

Every pair of a table's groups is a hypothesis of its family (:func:`pairwise_family`), one
exact test each: 200 groups are 19,900 tests (a few seconds); a sensitive column holding an id
or free text, with 100,000 distinct values, would be five billion (days, and the memory of the
pairs). More groups than this is a :class:`~equityaudit.errors.DataError`
(:func:`too_many_groups`), raised by the quality gate for a column before anything is counted.
"""


def too_many_groups(
    count: int, *, origin: str, column: str, examples: Sequence[str] = (), intersection: bool = False
) -> DataError:
    """The error for a sensitive column (or an intersection) with more than :data:`MAX_GROUPS` groups.

    It names the column and its count of groups, says why there is a limit and how to merge
    the values (``columns.groups``).

    Examples
    --------
    >>> print(too_many_groups(100_000, origin="data.csv", column="sex", examples=["g0", "g1"]))
    data.csv: column 'sex' (columns.sensitive) has 100,000 distinct values (for example 'g0', 'g1'); an audit compares at most 200 groups per table, because it tests every pair of groups and the work grows with the square of their count. A sensitive column holds a few categories (sex, race/ethnicity, age bands); a value for nearly every row means an id or free text. To fix: check that columns.sensitive names the right column, or merge its values into at most 200 groups with columns.groups (labels for raw values, bands for numbers; docs/spec.md, Named groups).
    """
    shown = ", ".join(repr(e if len(e) <= 40 else e[:40] + "…") for e in examples[:3])
    listed = f" (for example {shown})" if shown else ""
    if intersection:
        what = f"the intersection {column!r} (columns.intersectional) has {count:,} groups"
        fix = (
            "set columns.intersectional: false, or merge the values of its columns into fewer groups "
            "with columns.groups (labels for raw values, bands for numbers; docs/spec.md, Named groups)."
        )
    else:
        what = f"column {column!r} (columns.sensitive) has {count:,} distinct values{listed}"
        fix = (
            "check that columns.sensitive names the right column, or merge its values into at most "
            f"{MAX_GROUPS} groups with columns.groups (labels for raw values, bands for numbers; "
            "docs/spec.md, Named groups)."
        )
    return DataError(
        f"{origin}: {what}; an audit compares at most {MAX_GROUPS} groups per table, because it tests "
        "every pair of groups and the work grows with the square of their count. "
        + (
            ""
            if intersection
            else "A sensitive column holds a few categories (sex, race/ethnicity, age bands); a value "
            "for nearly every row means an id or free text. "
        )
        + f"To fix: {fix}"
    )


def pairwise_family(
    keys: Sequence[Hashable], successes: Sequence[int], totals: Sequence[int]
) -> dict[Hashable, float | None]:
    """Every pair of groups as a hypothesis of equal rates, with its Fisher mid-p value.

    The family behind comparisons with a data-chosen reference (the highest rate): comparing
    the others with the group that came out highest is comparing the extremes, so the
    multiplicity is that of every pair. Keys are ``frozenset({key_a, key_b})``.

    Examples
    --------
    >>> family = pairwise_family(["a", "b", "c"], [10, 20, 30], [50, 50, 50])
    >>> len(family), round(family[frozenset({"a", "c"})], 6)
    (3, 4.8e-05)
    """
    if len(keys) > MAX_GROUPS:  # callers check first (too_many_groups); this keeps a missed path from hanging
        raise ValueError(f"pairwise_family: {len(keys):,} groups, more than MAX_GROUPS ({MAX_GROUPS})")
    pairs = list(combinations(range(len(keys)), 2))
    if not pairs:
        return {}
    first = np.array([i for i, _ in pairs])
    second = np.array([j for _, j in pairs])
    x = np.asarray(successes, dtype=np.int64)
    n = np.asarray(totals, dtype=np.int64)
    _, mid_p = fisher_exact_test(x[first], n[first], x[second], n[second])
    return {
        frozenset((keys[i], keys[j])): finite_or_none(p)
        for (i, j), p in zip(pairs, mid_p.tolist(), strict=True)
    }


def judge(evidence: Sequence[Evidence], thresholds: Thresholds) -> list[Finding]:
    """Judge all of an audit's evidence together and return its findings, worst first.

    The p-values of every family are adjusted together by ``thresholds.correction``
    (:func:`adjusted_p_values`); each piece of evidence is then judged by :func:`status_of` at
    ``thresholds.alpha`` and worded by its own ``describe``.
    """
    alpha, correction = thresholds.alpha, thresholds.correction
    adjusted = adjusted_p_values(evidence, correction=correction)
    name = CORRECTION_NAMES[correction]
    findings = []
    for index, item in enumerate(evidence):
        p_adjusted = adjusted.get((item.family, item.key)) if item.too_small is None else None
        significant = p_adjusted is not None and p_adjusted < alpha
        status = status_of(
            item.value,
            item.ci_low,
            item.ci_high,
            threshold=item.threshold,
            significant=significant,
            adverse=item.adverse,
            too_small=item.too_small is not None,
            require_significance=thresholds.require_significance,
        )
        if item.ceiling is not None and STATUSES.index(status) < STATUSES.index(item.ceiling):
            status = item.ceiling
        settle = None
        if status == "inconclusive" and item.rates is not None and item.value is not None:
            settle = rows_to_settle(
                item.value, item.rates, threshold=item.threshold, kind=item.kind, alpha=alpha
            )
        judgement = Judgement(status, p_adjusted, name, significant, settle)
        details = {**item.details, "family": item.family, "index": index}
        if item.ceiling is not None:
            details["status_ceiling"] = item.ceiling
        if settle is not None:
            details["rows_to_settle"] = settle
        findings.append(
            Finding(
                id=item.id,
                metric=item.metric,
                kind=item.kind,
                table=item.table,
                group=item.group,
                reference=item.reference,
                value=item.value,
                ci_low=item.ci_low,
                ci_high=item.ci_high,
                p_value=item.p_value,
                p_adjusted=p_adjusted,
                threshold=item.threshold,
                status=status,
                message=item.describe(judgement),
                details=details,
                adverse=item.adverse,
            )
        )
    return order_findings(findings)


def adjusted_p_values(
    evidence: Iterable[Evidence], *, correction: str = "holm"
) -> dict[tuple[str, Hashable], float | None]:
    """Adjusted p-values of every hypothesis behind the evidence, keyed by (family, hypothesis).

    Evidence too small to judge brings no hypothesis. Each family with at least one p-value gets
    an equal share of the weight, split equally between its hypotheses; the weighted p-values are
    adjusted together by ``correction`` (:func:`~equityaudit.stats.inference.adjust_p`).
    """
    families: dict[str, dict[Hashable, float | None]] = {}
    for item in evidence:
        if item.too_small is not None:
            continue
        if item.family_p is not None:
            families.setdefault(item.family, dict(item.family_p))
        else:
            families.setdefault(item.family, {})[item.key] = item.p_value
    tested = {f: {k: p for k, p in members.items() if p is not None} for f, members in families.items()}
    tested = {f: members for f, members in tested.items() if members}  # families with a p-value
    keys: list[tuple[str, Hashable]] = []
    p_values: list[float] = []
    weights: list[float] = []
    for family, members in tested.items():
        for key, p in members.items():
            keys.append((family, key))
            p_values.append(p)
            weights.append(1.0 / (len(tested) * len(members)))
    if not keys:
        return {}
    adjusted = adjust_p(np.array(p_values), correction, weights=np.array(weights))
    return {key: finite_or_none(p) for key, p in zip(keys, adjusted.tolist(), strict=True)}


def order_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Findings worst first (fail, warn, inconclusive, insufficient_data, pass), otherwise in the
    order given."""
    return sorted(findings, key=lambda f: STATUSES.index(f.status))
