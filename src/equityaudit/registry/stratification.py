"""A pooled audit's comparisons kept within members: Mantel–Haenszel across members, beside the sum.

The pooled audit (:mod:`equityaudit.registry.pooling`) sums members' counts per group. Summing
2x2 tables across dissimilar employers can reverse a conclusion (Simpson's paradox), so for each
comparison of a pooled rate table — a group against the table's reference group — this module
also combines the members' own comparisons, each member a stratum
(:func:`equityaudit.stats.stratified.mantel_haenszel`): the Mantel–Haenszel impact ratio with its
interval, the Cochran–Mantel–Haenszel test, and the Breslow–Day (Tarone) test that the members
share one comparison. Each table, ``stratified:<by>``, is descriptive (its rows are not findings);
a note names each comparison whose summed and stratified impact ratios fall on different sides of
the standard's threshold, and each whose members differ significantly.

Only aggregates leave here: a row combines at least the pool's minimum of members, and the pooled
view suppresses its rows exactly as it suppresses the summed table's (a row of a suppressed group,
and the comparisons with a suppressed reference, are hidden).

**Scoring rates** (NYC LL144 audits by score, :func:`scoring_tables`): a member's scoring rate is
the share of a group scoring above that member's *own* median, so the ``above`` counts of two
members do not add up — the summed scoring rate is meaningless and is never computed. Each
submission (each audit, with its own median) is one stratum instead, and the tables
``stratified:scoring:<by>`` give, for every category against the reference, the Mantel–Haenszel
ratio of scoring rates with its interval, the CMH test and the Breslow–Day (Tarone) test. The
reference is the category scoring highest within members, as LL144's impact ratio compares with
the highest-rate category: of the categories shown, the one with the largest Mantel–Haenszel
ratio against the category with the most applicants. Rows of categories that the scoring
submissions' own suppression hides are hidden, and so is the reference's choice among them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from equityaudit.auditors.grouping import groupings, table_name
from equityaudit.judging import meets
from equityaudit.results import Table
from equityaudit.spec import Thresholds
from equityaudit.stats.counts import GroupCounts
from equityaudit.stats.stratified import Stratified, mantel_haenszel
from equityaudit.values import UNKNOWN

__all__ = ["disagreement_notes", "document_cells", "finest_cells", "scoring_tables", "stratified_tables"]


def stratified_tables(
    pooled: Sequence[Table],
    members: Sequence[Mapping[tuple[str, ...], tuple[int, ...]]],
    attributes: Sequence[str],
    thresholds: Thresholds,
) -> list[Table]:
    """One ``stratified:<by>`` table per pooled rate table with a reference.

    Parameters
    ----------
    pooled
        The pooled audit's tables (their ``reference`` and rows give the comparisons).
    members
        Each member's finest cells (all its submissions in the pool summed), one stratum each:
        ``(selected, n)`` by the labels of ``attributes`` (:func:`document_cells`). Plain numbers,
        not frames: a pool of 1,000 members has 1,000 strata.
    attributes
        The attributes of the finest cells, in order.
    thresholds
        The standard's thresholds (``impact_ratio``, ``alpha``).
    """
    tables: list[Table] = []
    for table in pooled:
        if table.reference is None or table.metric != "selection_rate" or ":" in table.name:
            continue
        by = list(table.by)
        per_member = [_marginal(cells, attributes, by) for cells in members]
        reference = tuple(table.reference[b] for b in by)
        rows: list[dict[str, Any]] = []
        for row in table.rows:
            group = tuple(str(row["group"][b]) for b in by)
            if group == reference or row.get("excluded"):
                continue
            a = [cells.get(group, (0, 0))[0] for cells in per_member]
            n1 = [cells.get(group, (0, 0))[1] for cells in per_member]
            c = [cells.get(reference, (0, 0))[0] for cells in per_member]
            n0 = [cells.get(reference, (0, 0))[1] for cells in per_member]
            combined = mantel_haenszel(a, n1, c, n0, alpha=thresholds.alpha)
            summed = _ratio(sum(a), sum(n1), sum(c), sum(n0))
            out = {
                "group": dict(row["group"]),
                "members": combined.strata,
                "summed_ratio": summed,
                "stratified_ratio": _finite(combined.ratio),
                "stratified_ratio_ci_low": _finite(combined.ci_low),
                "stratified_ratio_ci_high": _finite(combined.ci_high),
                "cmh_p_value": _finite(combined.p_value),
                "homogeneity_p_value": _finite(combined.homogeneity_p),
                "conclusions_differ": _differ(summed, combined.ratio, thresholds.impact_ratio),
            }
            rows.append(out)
        if rows:
            tables.append(_table(table, rows, thresholds))
    return tables


def disagreement_notes(tables: Sequence[Table], thresholds: Thresholds) -> list[str]:
    """A note for each shown comparison whose summed and stratified conclusions differ, and each
    whose members differ significantly; rows hidden by suppression (their figures null) say nothing."""
    notes = []
    for table in tables:
        if not table.name.startswith("stratified:") or table.reference is None:
            continue
        reference = ", ".join(table.reference.values())
        for row in table.rows:
            label = ", ".join(row["group"].values())
            summed, stratified = row.get("summed_ratio"), row.get("stratified_ratio")
            if row.get("conclusions_differ") and summed is not None and stratified is not None:
                notes.append(
                    f"{table.name}: {label} against {reference} has a summed impact ratio of {summed:.3f} "
                    f"but {stratified:.3f} within members (Mantel–Haenszel): summing members' counts "
                    f"changes which side of the threshold {thresholds.impact_ratio:g} it falls on; read "
                    "the members' own audits before the pooled figure."
                )
            homogeneity = row.get("homogeneity_p_value")
            if homogeneity is not None and homogeneity < thresholds.alpha:
                notes.append(
                    f"{table.name}: members differ in how {label} fares against {reference} "
                    f"(Breslow–Day–Tarone p = {homogeneity:.3g}): one pooled figure hides real differences "
                    "between employers."
                )
    return notes


def document_cells(
    attributes: Sequence[str], documents: Sequence[Mapping[str, Any]], *, count: str = "selected"
) -> dict[tuple[str, ...], tuple[int, ...]]:
    """A member's stored counts (one document per submission) summed into ``(count, n)`` by finest
    cell, ``count`` being ``selected`` (or ``above``, for one submission's scoring stratum).

    Examples
    --------
    >>> doc = {"by": ["sex"], "rows": [{"group": {"sex": "F"}, "n": 5, "selected": 2}]}
    >>> document_cells(["sex"], [doc, doc])
    {('F',): (4, 10)}
    """
    cells: dict[tuple[str, ...], tuple[int, ...]] = {}
    for document in documents:
        for row in document["rows"]:
            key = tuple(str(row["group"][a]) for a in attributes)
            selected, n = cells.get(key, (0, 0))
            cells[key] = (selected + int(row.get(count, 0)), n + int(row["n"]))
    return cells


def scoring_tables(
    strata: Sequence[tuple[int, Mapping[tuple[str, ...], tuple[int, ...]]]],
    attributes: Sequence[str],
    orders: Mapping[str, Sequence[str]],
    thresholds: Thresholds,
    hidden: Mapping[tuple[str, ...], set[tuple[str, ...]]],
) -> list[Table]:
    """One ``stratified:scoring:<by>`` table per grouping of an LL144 audit: scoring rates combined
    across members' audits, each a stratum; no summed scoring rate.

    Parameters
    ----------
    strata
        Each scoring submission as ``(member id, finest cells)``, the cells ``(above, n)`` by the
        labels of ``attributes`` — ``above`` counting the applicants scoring above that
        submission's own median.
    attributes
        The attributes of the finest cells, in order (every one alone, then all crossed, are the
        tables, as the hiring auditor's).
    orders
        Each attribute's categories in the taxonomy's order (the rows' order).
    thresholds
        The standard's thresholds (``alpha``).
    hidden
        The suppressed cells of the scoring submissions' own counts, keyed by the table's
        attributes (:func:`~equityaudit.registry.suppression.suppress`): their rows show no figure,
        and none of them is the reference.

    Examples
    --------
    Three members, each scoring women above its median at half men's rate (12 of 60 against 24 of
    60, and so on): the combined ratio is 0.5 whatever each member's own median is.

    >>> from equityaudit.spec import Thresholds
    >>> strata = [(i, {("F",): (12 * k, 60 * k), ("M",): (24 * k, 60 * k)}) for i, k in enumerate((1, 2, 3))]
    >>> (table,) = scoring_tables(strata, ["sex"], {"sex": ["M", "F"]}, Thresholds(), {})
    >>> table.name, table.reference, round(table.rows[0]["stratified_ratio"], 3), table.rows[0]["members"]
    ('stratified:scoring:sex', {'sex': 'M'}, 0.5, 3)
    """
    tables: list[Table] = []
    for by in groupings(list(attributes), intersectional=True):
        per_stratum = [(member, _marginal(cells, attributes, by)) for member, cells in strata]
        sizes: dict[tuple[str, ...], int] = {}
        for _, cells in per_stratum:
            for key, (_, n) in cells.items():
                sizes[key] = sizes.get(key, 0) + n
        categories = [key for key in _ordered(sizes, by, orders) if sizes[key] > 0 and UNKNOWN not in key]
        if len(categories) < 2:
            continue
        hidden_here = hidden.get(tuple(by), set())
        candidates = [key for key in categories if key not in hidden_here]

        reference: tuple[str, ...] | None = None
        if candidates:
            base = max(candidates, key=lambda key: sizes[key])  # the first of the largest, in order
            ratios = {
                key: 1.0 if key == base else _combined(per_stratum, key, base, thresholds).ratio
                for key in candidates
            }
            finite = [key for key in candidates if not math.isnan(ratios[key])]
            reference = max(finite, key=lambda key: ratios[key]) if finite else None
        rows: list[dict[str, Any]] = []
        for group in categories:
            if group == reference:
                continue
            label = dict(zip(by, group, strict=True))
            if reference is None or group in hidden_here:
                why = (
                    "suppressed: fewer than the minimum cell size, fewer than 3 members, or a cell that "
                    "would let such a cell be derived"
                    if group in hidden_here
                    else "comparisons hidden: every category that could be the reference is suppressed"
                )
                rows.append(
                    {"group": label, **dict.fromkeys(_SCORING_FIGURES), "suppressed": True, "note": why}
                )
                continue
            result = _combined(per_stratum, group, reference, thresholds)
            members = {
                member
                for member, cells in per_stratum
                if cells.get(group, (0, 0))[1] > 0 and cells.get(reference, (0, 0))[1] > 0
            }
            rows.append(
                {
                    "group": label,
                    "members": len(members),
                    "stratified_ratio": _finite(result.ratio),
                    "stratified_ratio_ci_low": _finite(result.ci_low),
                    "stratified_ratio_ci_high": _finite(result.ci_high),
                    "cmh_p_value": _finite(result.p_value),
                    "homogeneity_p_value": _finite(result.homogeneity_p),
                }
            )
        tables.append(_scoring_table(by, reference, rows, thresholds))
    return tables


def _combined(
    strata: Sequence[tuple[int, Mapping[tuple[str, ...], tuple[int, int]]]],
    group: tuple[str, ...],
    reference: tuple[str, ...],
    thresholds: Thresholds,
) -> Stratified:
    a = [cells.get(group, (0, 0))[0] for _, cells in strata]
    n1 = [cells.get(group, (0, 0))[1] for _, cells in strata]
    c = [cells.get(reference, (0, 0))[0] for _, cells in strata]
    n0 = [cells.get(reference, (0, 0))[1] for _, cells in strata]
    return mantel_haenszel(a, n1, c, n0, alpha=thresholds.alpha)


_SCORING_FIGURES = (
    "members",
    "stratified_ratio",
    "stratified_ratio_ci_low",
    "stratified_ratio_ci_high",
    "cmh_p_value",
    "homogeneity_p_value",
)


def _ordered(
    sizes: Mapping[tuple[str, ...], int], by: Sequence[str], orders: Mapping[str, Sequence[str]]
) -> list[tuple[str, ...]]:
    def rank(key: tuple[str, ...]) -> tuple[tuple[int, str], ...]:
        order = [list(orders.get(b, ())) for b in by]
        return tuple(
            (values.index(v), v) if v in values else (len(values), v)
            for v, values in zip(key, order, strict=True)
        )

    return sorted(sizes, key=rank)


def _scoring_table(
    by: Sequence[str], reference: tuple[str, ...] | None, rows: list[dict[str, Any]], thresholds: Thresholds
) -> Table:
    return Table(
        name=f"stratified:scoring:{table_name(by)}",
        by=list(by),
        metric="scoring_rate",
        numerator="above",
        denominator="n",
        reference=dict(zip(by, reference, strict=True)) if reference is not None else None,
        subject="each member's audit a stratum (its own median): scoring rates combined across members; "
        "the summed scoring rate is not shown, as members' medians differ",
        methods={
            "reference": "the category scoring highest within members: of the categories shown, the one "
            "with the largest Mantel–Haenszel ratio against the category with the most applicants",
            "stratified_ratio": "Mantel–Haenszel ratio of scoring rates (share above each audit's own "
            f"median) across members' audits (Greenland & Robins 1985), with a {1 - thresholds.alpha:.0%} "
            "Wald interval on the log scale (Greenland–Robins variance)",
            "cmh_p_value": "Cochran–Mantel–Haenszel test of equal scoring rates within members' audits "
            "(no continuity correction)",
            "homogeneity_p_value": "Breslow–Day test with Tarone's correction that members' audits share one "
            "odds ratio (chi-square, strata − 1 degrees of freedom)",
        },
        rows=rows,
    )


def finest_cells(counts: GroupCounts, columns: Sequence[str]) -> dict[tuple[str, ...], tuple[int, ...]]:
    """A counts table's cells as plain Python: each group's values of ``columns``, by its labels."""
    table = counts.table
    keys = zip(*(table[a].astype(str).tolist() for a in counts.by), strict=True)
    values = zip(*(table[c].astype("int64").tolist() for c in columns), strict=True)
    return dict(zip(keys, values, strict=True))


def _marginal(
    cells: Mapping[tuple[str, ...], tuple[int, ...]], attributes: Sequence[str], by: Sequence[str]
) -> Mapping[tuple[str, ...], tuple[int, int]]:
    positions = [list(attributes).index(b) for b in by]
    sums: dict[tuple[str, ...], tuple[int, int]] = {}
    for cell, (selected, n) in cells.items():
        key = tuple(cell[p] for p in positions)
        before = sums.get(key, (0, 0))
        sums[key] = (before[0] + selected, before[1] + n)
    return sums


def _ratio(a: int, n1: int, c: int, n0: int) -> float | None:
    if not n1 or not n0 or not c:
        return None
    return (a / n1) / (c / n0)


def _finite(value: float) -> float | None:
    return None if math.isnan(value) else value


def _differ(summed: float | None, stratified: float, threshold: float) -> bool:
    if summed is None or math.isnan(stratified):
        return False
    return meets(summed, threshold) != meets(stratified, threshold)


def _table(pooled: Table, rows: list[dict[str, Any]], thresholds: Thresholds) -> Table:
    by = list(pooled.by)
    return Table(
        name=f"stratified:{pooled.name}",
        by=by,
        metric="selection_rate",
        numerator="selected",
        denominator="n",
        reference=pooled.reference,
        subject="each member a stratum: the comparisons combined across members, beside the summed counts'",
        methods={
            "summed_ratio": "the group's selection rate over the reference's, members' counts summed (the "
            "pooled table's impact ratio)",
            "stratified_ratio": "Mantel–Haenszel risk ratio across members (Greenland & Robins 1985), with a "
            f"{1 - thresholds.alpha:.0%} Wald interval on the log scale (Greenland–Robins variance)",
            "cmh_p_value": "Cochran–Mantel–Haenszel test of equal selection within members (no continuity "
            "correction)",
            "homogeneity_p_value": "Breslow–Day test with Tarone's correction that members share one odds "
            "ratio (chi-square, members − 1 degrees of freedom)",
            "conclusions_differ": f"the summed and stratified ratios fall on different sides of "
            f"{thresholds.impact_ratio:g}",
        },
        rows=rows,
    )
