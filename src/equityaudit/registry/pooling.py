"""The registry's views of a standard: members' results, the benchmark, the pooled collective audit.

**Pooled audit.** Members' counts (each submission's ``counts``, by the standard's attributes) are
summed per group into one :class:`~equityaudit.stats.counts.GroupCounts` and audited by the very
code an auditor runs on its own counts (:func:`~equityaudit.auditors.comparison.rate_table` and
:func:`~equityaudit.auditors.comparison.judge`, with the standard's thresholds and the auditor's
reference rule), so a pooled audit equals a single audit of the members' data concatenated. It is
an :class:`~equityaudit.results.AuditResult` whose cells are suppressed as
:mod:`equityaudit.registry.suppression` says; the usual reports render it. For a hiring standard
the summed counts are those of the results with a binary decision; results with scores are
combined as strata instead (:func:`~equityaudit.registry.stratification.scoring_tables`: a
scoring rate is relative to each member's own median, and never summed).

**Benchmark.** For each group of every table the standard audits, two statistics across members:
the rate (computed from each member's counts, so the same quantity for all) and the impact ratio
(each member's own finding, against that member's reference group) — each distribution shown only
when at least :data:`BENCHMARK_MIN_MEMBERS` members contribute — with the caller's own value and
percentile. A member's value for a group smaller than the standard's minimum cell size is left out.

Each member's latest submission per tool counts; members are named only if they opted in.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from equityaudit.auditors.comparison import (
    Comparison,
    comparison_evidence,
    judge,
    rate_table,
)
from equityaudit.auditors.gaps import error_rate_gap_evidence
from equityaudit.auditors.grouping import counts_record, groupings, table_name
from equityaudit.auditors.hiring import impact_ratio_table
from equityaudit.errors import UndefinedMetricWarning
from equityaudit.groups import in_group_order
from equityaudit.judging import judge as judge_evidence
from equityaudit.registry.differencing import newly_isolated
from equityaudit.registry.storage import Caller, Registry, RegistryError
from equityaudit.registry.stratification import (
    disagreement_notes,
    document_cells,
    finest_cells,
    scoring_tables,
    stratified_tables,
)
from equityaudit.registry.suppression import suppress
from equityaudit.results import AuditInfo, AuditResult, DataInfo, Finding, Gate, Table, Tool, verdict_of
from equityaudit.standards import Standard
from equityaudit.stats.counts import GroupCounts
from equityaudit.stats.rates import ERROR_RATE_METRICS, METRICS
from equityaudit.values import UNKNOWN
from equityaudit.version import __version__

__all__ = [
    "BENCHMARK_MIN_MEMBERS",
    "MIN_MEMBERS",
    "benchmark_view",
    "pool_counts",
    "pooled_audit",
    "pooled_view",
    "results_view",
]

MIN_MEMBERS = 3
"""Fewest members whose figures may be combined and shown to anyone but the admin.

A pooled audit (filters included) of fewer members is refused; a benchmark distribution of fewer
members is not shown. One member's pool is its own counts; two members' pool, less one's own,
is the other's.
"""

BENCHMARK_MIN_MEMBERS = MIN_MEMBERS
"""A metric's distribution across members is shown only when at least this many members contribute."""

_COMPARATIVE = ("ratio", "difference", "p_value", "z", "shortfall", "impact_ratio", "conclusions_differ")


def pool_counts(standard: Standard, tables: list[dict[str, Any]]) -> GroupCounts:
    """Sum members' counts per group (the count columns all of them have, but ``above``: a count of
    applicants scoring above each member's own median does not add up across members).

    Examples
    --------
    >>> from equityaudit.standards import find_standard
    >>> std = find_standard("eeoc-four-fifths@1978")
    >>> one = {"by": ["sex", "race_ethnicity"], "rows": [{"group": {"sex": "Female", "race_ethnicity": "White"}, "n": 5, "selected": 2}]}
    >>> two = {"by": ["sex", "race_ethnicity"], "rows": [{"group": {"sex": "Female", "race_ethnicity": "White"}, "n": 7, "selected": 1}]}
    >>> pool_counts(std, [one, two]).table.to_dict("records")
    [{'sex': 'Female', 'race_ethnicity': 'White', 'n': 12, 'selected': 3}]
    """
    attributes = list(standard.taxonomy.attributes)
    if not tables:
        raise RegistryError(f"no submissions for {standard.ref} match; nothing to pool", 404)
    columns: list[str] | None = None
    for table in tables:
        present = [c for c in (table["rows"][0] if table["rows"] else {}) if c != "group"]
        columns = present if columns is None else [c for c in columns if c in present]
    columns = [c for c in columns or ["n"] if c != "above"]
    totals: dict[tuple[str, ...], Counter[str]] = {}
    for table in tables:
        for row in table["rows"]:
            key = tuple(str(row["group"][a]) for a in attributes)
            cell = totals.setdefault(key, Counter())
            for column in columns:
                cell[column] += int(row[column])
    frame = pd.DataFrame(
        [(*group, *(cell[c] for c in columns)) for group, cell in sorted(totals.items())],
        columns=[*attributes, *columns],
    )
    for column in columns:
        frame[column] = frame[column].astype("int64")
    return GroupCounts(tuple(attributes), frame)


def pooled_audit(standard: Standard, counts: GroupCounts) -> tuple[list[Table], list[Finding]]:
    """Audit pooled counts exactly as the standard's auditor audits its own counts, its tables'
    rows in the taxonomy's order as a member's audit lists them."""
    tables, findings = _pooled_audit(standard, counts)
    orders = {a: list(d.categories) for a, d in standard.taxonomy.attributes.items()}
    return [t.model_copy(update={"rows": in_group_order(t.rows, orders)}) for t in tables], findings


def _pooled_audit(standard: Standard, counts: GroupCounts) -> tuple[list[Table], list[Finding]]:
    thresholds = standard.thresholds()
    attributes = list(counts.by)
    tables: list[Table] = []
    comparisons: list[Comparison] = []
    if "selected" not in counts.table:
        raise RegistryError(f"the pooled counts of {standard.ref} have no selections to audit", 422)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)  # the rows' notes say it
        if standard.auditor == "hiring":
            for by in groupings(attributes, intersectional=True):
                table, found = impact_ratio_table(
                    counts.marginal(by),
                    metric=METRICS["selection_rate"],
                    thresholds=thresholds,
                    excluded={},
                    name=table_name(by),
                    origin="pooled counts",
                )
                tables.append(table)
                comparisons += found
            return tables, judge(comparisons, thresholds)
        if standard.auditor != "decisions":
            raise RegistryError(
                f"pooled audits support the hiring and decisions auditors, not {standard.auditor}", 422
            )
        errors = "error_rates" in standard.metrics and {"positives", "tp"} <= set(counts.table.columns)
        extra = [METRICS[m] for m in ERROR_RATE_METRICS] if errors else []
        for by in groupings(attributes, intersectional=standard.taxonomy.intersectional):
            table, found = rate_table(
                counts.marginal(by),
                metric=METRICS["selection_rate"],
                thresholds=thresholds,
                reference=standard.decision.reference,
                extra_metrics=extra,
                origin="pooled counts",
            )
            tables.append(table)
            comparisons += found
        evidence = [comparison_evidence(c, thresholds) for c in comparisons]
        if errors:
            for table in tables:
                evidence += error_rate_gap_evidence(table, thresholds)
        findings = judge_evidence(evidence, thresholds)  # one family, as the auditor judges
    return tables, findings


def _refuse_differencing(
    registry: Registry,
    ref: str,
    standard: Standard,
    caller: Caller,
    pooled: Sequence[Any],
    filters: dict[str, str],
) -> None:
    """Refuse a filtered pool whose difference from any other pool anyone may see shows few members' counts.

    The whole pool minus a filtered one is the pool of the *submissions* the filter leaves out —
    one member's submissions under another tool although the filter leaves out no member — and
    two filtered pools differ by the submissions one has and the other has not (``tool=X`` minus
    ``tool=X&vendor=V``). So a filtered pool is compared, submission by submission, with every
    other pool of the standard's filter lattice (the whole pool, each tool, each vendor, each tool
    and vendor): each difference must be empty or hold submissions of at least
    :data:`MIN_MEMBERS` members — in each part of the view (:func:`_parts`: for a hiring standard
    the summed selections and the scoring strata apart, so that a difference of one member's
    decisions and two others' scores is one member's decisions). Members see the whole pool only:
    a member holds counts of its own to subtract too.
    """
    label = ", ".join(f"{k} {v!r}" for k, v in filters.items())
    if caller.role == "member":
        raise RegistryError(
            f"the pooled view of {ref} filtered by {label} is shown to the admin and observers only: the "
            "whole pool minus a filtered one is the pool of the members the filter leaves out, which can be "
            "a single member. View the whole pool, or ask the admin for the filtered audit.",
            403,
        )
    everyone = _poolable(standard, registry.latest(ref))
    # a vendor's filter can hold a member's older submission under a tool whose latest names
    # another vendor: it is in no other pool, and counts in the difference with each
    facts = _facts(standard, [*everyone, *pooled])
    mine = _shown_parts({r.seq for r in pooled}, facts)
    tools = sorted({r.tool for r in everyone if r.tool is not None})
    vendors = sorted({r.vendor for r in everyone if r.vendor is not None})
    views: list[dict[str, str]] = [{}]
    views += [{"tool": t} for t in tools] + [{"vendor": v} for v in vendors]
    views += [{"tool": t, "vendor": v} for t in tools for v in vendors]
    for other in views:
        if other == filters:
            continue
        theirs = {r.seq for r in everyone if all(getattr(r, k) == v for k, v in other.items())}
        if not theirs:
            continue
        for part, seqs in mine.items():
            apart = seqs ^ {s for s in theirs if part in facts[s][1]}
            differing = {facts[s][0] for s in apart}
            if 0 < len(differing) < MIN_MEMBERS:
                shown = ", ".join(f"{k} {v!r}" for k, v in other.items()) or "no filter"
                raise RegistryError(
                    f"the pooled view of {ref} filtered by {label} differs from the pool with {shown} by the "
                    f"submissions of {len(differing)} member(s){_PART_LABELS[part]}; the one minus the other "
                    f"would show their counts, so two pools anyone may see must differ by none or by at least "
                    f"{MIN_MEMBERS} members' submissions. Ask the admin for this audit.",
                    403,
                )


_PART_LABELS = {"counts": "", "selection": "", "scoring": " in the scoring strata"}


def _parts(standard: Standard, row: Any) -> frozenset[str]:
    """The parts of a pooled view a submission enters.

    ``counts`` for a decisions standard (its counts are summed). For a hiring standard:
    ``selection`` when it has a binary decision (summed, audited), ``scoring`` when it has scores
    (one stratum of the scoring tables; its ``above`` counts are never summed).
    """
    if standard.auditor != "hiring":
        return frozenset({"counts"})
    metrics = row.summary.get("metrics", [])
    rows = row.counts.get("rows") or [{}]
    parts = set()
    if "selection_rate" in metrics:
        parts.add("selection")
    if "scoring_rate" in metrics and "above" in rows[0]:
        parts.add("scoring")
    return frozenset(parts)


def _facts(standard: Standard, rows: Sequence[Any]) -> dict[int, tuple[int, frozenset[str]]]:
    """Each submission's member and parts, by sequence number."""
    return {r.seq: (r.member_id, _parts(standard, r)) for r in rows}


def _shown_parts(
    seqs: set[int] | frozenset[int] | list[int], facts: Mapping[int, tuple[int, frozenset[str]]]
) -> dict[str, set[int]]:
    """The submissions of each part a view of ``seqs`` shows: a part of fewer than
    :data:`MIN_MEMBERS` members is not shown (the summed part's view is refused; the scoring
    strata are left out)."""
    parts: dict[str, set[int]] = {}
    for seq in seqs:
        for part in facts[seq][1]:
            parts.setdefault(part, set()).add(seq)
    return {
        part: members for part, members in parts.items() if len({facts[s][0] for s in members}) >= MIN_MEMBERS
    }


def _released(
    registry: Registry, ref: str, standard: Standard, rows: list[Any], filters: dict[str, str]
) -> tuple[list[Any], str | None]:
    """The submissions a member's or observer's pooled view may show, given every view shown before.

    Query-set control across releases: a pool shown today minus one shown last week is the
    submissions that changed in between — with one member joining or resubmitting, that member's
    counts exactly — and whoever saw several pools can add and subtract all of them (one pool per
    vendor, summed and taken from the whole pool, leaves the submissions under no vendor). So
    every pooled view shown to a member or an observer is remembered (its submissions and
    filters), and a new one is shown only when no linear combination of it and the views shown
    before isolates the submissions of at least one and fewer than :data:`MIN_MEMBERS` members
    that the earlier views alone did not (:func:`equityaudit.registry.differencing.newly_isolated`),
    in any part of the view (:func:`_parts`). Otherwise the latest earlier view with the same
    filters is shown again (it adds nothing to what was shown), with a note; with no such view
    the request is refused (403). The admin's views are neither limited nor remembered.
    """
    current = {r.seq for r in rows}
    earlier = registry.releases(ref)
    seen = set(current).union(*(set(r.seqs) for r in earlier)) if earlier else set(current)
    facts = _facts(standard, registry.submissions_by_seq(seen))
    label = ", ".join(f"{k} {v!r}" for k, v in filters.items()) or "no filter"
    shown = _shown_parts(current, facts)
    problem = None
    for part, seqs in shown.items():
        owner = {s: facts[s][0] for s in seen if part in facts[s][1]}
        before = [_shown_parts(set(r.seqs), facts).get(part, set()) for r in earlier]
        pairwise = [len({owner[s] for s in seqs ^ other}) for other in before]
        if any(0 < apart < MIN_MEMBERS for apart in pairwise):
            problem = (
                f"the pooled view of {ref} ({label}) differs from a pool shown earlier by the submissions of "
                f"fewer than {MIN_MEMBERS} members{_PART_LABELS[part]}; the one minus the other would show "
                "their counts."
            )
            break
        isolated = newly_isolated([v for v in before if v], seqs, owner, min_members=MIN_MEMBERS)
        if isolated:
            problem = (
                f"the pooled view of {ref} ({label}), added to and subtracted from the {len(before)} pool(s) "
                f"shown earlier, would isolate the submissions of {len(isolated[0])} member(s)"
                f"{_PART_LABELS[part]} (a sum of some pools less others holds theirs alone), and so show "
                "their counts."
            )
            break
    if problem is None:
        registry.record_release(ref, filters, current)
        return rows, None
    same = [r for r in earlier if r.filters == filters]
    if not same:
        raise RegistryError(
            f"{problem} It is shown once at least {MIN_MEMBERS} members' submissions set it apart from every "
            "combination of the views shown before; until then ask the admin.",
            403,
        )
    last = same[-1]
    note = (
        f"This is the pooled view as released on {last.released_at}: newer submissions join it once at least "
        f"{MIN_MEMBERS} members' submissions set it apart from every combination of the views shown before, "
        "since a pool that differs from a sum of earlier ones by one or two members' submissions would show "
        "their counts by subtraction."
    )
    return registry.submissions_by_seq(last.seqs), note


def _refuse_dominated(ref: str, standard: Standard, rows: Sequence[Any]) -> None:
    """Refuse a pool whose people, but for one member's, are fewer than the minimum cell size.

    The grand total (``data.rows``) is always shown, so the dominance rule of the cells applies to
    it too: a member holding all but a few of the pool's people subtracts its own and learns that
    the others hold those few in all — every one of their cells, hidden or not, then lies between 0
    and that handful, narrower than the suppression's promised width.
    """
    totals: Counter[int] = Counter()
    for row in rows:
        totals[row.member_id] += sum(int(r["n"]) for r in row.counts["rows"])
    if not totals:
        return
    rest = sum(totals.values()) - max(totals.values())
    if rest < standard.min_cell_size:
        raise RegistryError(
            f"the pooled view of {ref} holds {sum(totals.values())} people, all but {rest} of them one "
            f"member's; the pool's total is always shown, so that member would learn that the others hold "
            f"fewer than {standard.min_cell_size} (the minimum cell size) in all. It is shown once the other "
            "members hold at least that many; until then ask the admin.",
            403,
        )


def _poolable(standard: Standard, rows: list[Any]) -> list[Any]:
    """The submissions a pooled view of the standard takes: for hiring, those with a binary decision
    or scores (:func:`_parts`)."""
    if standard.auditor == "hiring":
        return [r for r in rows if _parts(standard, r)]
    return rows


def _summed(standard: Standard, rows: list[Any]) -> list[Any]:
    """The submissions whose counts a pooled view sums: for hiring, those with a binary decision —
    or, when none has one, the scoring audits' applicants (``n`` alone: their ``above`` counts do
    not add up)."""
    if standard.auditor != "hiring":
        return rows
    selection = [r for r in rows if "selection" in _parts(standard, r)]
    return selection or rows


def _filters(tool: str | None, vendor: str | None) -> dict[str, str]:
    return {k: v for k, v in (("tool", tool), ("vendor", vendor)) if v is not None}


def pooled_view(
    registry: Registry,
    ref: str,
    *,
    tool: str | None = None,
    vendor: str | None = None,
    caller: Caller | None = None,
) -> AuditResult:
    """The pooled collective audit of a standard's latest submissions, suppressed.

    A pool of fewer than :data:`MIN_MEMBERS` members — after the filters — is refused (403) to
    every ``caller`` but an admin: a one-member pool is that member's counts, and a two-member
    pool minus one member's own counts is the other's. Filtered pools are refused to members, and
    shown to observers only when the members the filters leave out are none or at least
    :data:`MIN_MEMBERS` (see :func:`_refuse_differencing`); no view is shown to a member or an
    observer that some combination with the views shown before turns into one or two members'
    submissions (see :func:`_released`). ``caller=None`` (a script on the server) is not
    restricted. ``context.pooled.submissions`` is the admin's (and a script's) only.
    """
    standard = registry.standard(ref)
    started = dt.datetime.now(dt.UTC)
    rows = _poolable(standard, registry.latest(ref, tool=tool, vendor=vendor))
    contributors = {r.member_id for r in _summed(standard, rows)}
    if caller is not None and caller.role != "admin" and 0 < len(contributors) < MIN_MEMBERS:
        label = ", ".join(f"{k} {v!r}" for k, v in _filters(tool, vendor).items())
        yours = ", yours among them" if caller.id in contributors else ""
        raise RegistryError(
            f"the pooled view of {ref}{f' ({label})' if label else ''} holds the counts of "
            f"{len(contributors)} member(s){yours}; a pool of fewer than {MIN_MEMBERS} members is shown only "
            "to the admin, as it would reveal a member's own counts (one member), or the other's to a "
            "member who subtracts its own (two). Pool with fewer filters, or wait until more members submit.",
            403,
        )
    filters = _filters(tool, vendor)
    if caller is not None and caller.role != "admin" and filters:
        _refuse_differencing(registry, ref, standard, caller, rows, filters)
    held = None
    guarded = caller is not None and caller.role != "admin"
    if guarded:
        _refuse_dominated(ref, standard, _summed(standard, rows))
        rows, held = _released(registry, ref, standard, rows, filters)
    scored = [r for r in rows if "scoring" in _parts(standard, r)]
    rows = _summed(standard, rows)
    documents = {r.seq: r.counts for r in rows}
    if standard.auditor == "hiring" and not any("selection" in _parts(standard, r) for r in rows):
        # audits by score alone: their applicants add up, their counts above (also stored as
        # "selected", the score read as a decision) are each above its own median and do not
        documents = {
            seq: {**doc, "rows": [{"group": row["group"], "n": row["n"]} for row in doc["rows"]]}
            for seq, doc in documents.items()
        }
    counts = pool_counts(standard, list(documents.values()))
    by_member: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        by_member.setdefault(row.member_id, []).append(documents[row.seq])
    attributes = list(standard.taxonomy.attributes)
    member_cells = [document_cells(attributes, own) for own in by_member.values()]
    private: dict[str, Any] | None = None
    if standard.privacy is not None and caller is not None and caller.role == "observer":
        member_counts = [pool_counts(standard, own) for own in by_member.values()]
        counts, member_counts, private = _private_counts(
            registry, standard, filters, rows, counts, member_counts
        )
        member_cells = [
            finest_cells(m, [c for c in ("selected", "n") if c in m.table]) for m in member_counts
        ]
    if counts.total < standard.min_cell_size:
        raise RegistryError(
            f"the pooled data has {counts.total} rows, fewer than {standard.ref}'s minimum cell size "
            f"{standard.min_cell_size}; nothing can be shown",
            422,
        )
    tables, findings = pooled_audit(standard, counts) if "selected" in counts.table else ([], [])
    strata = stratified_tables(tables, member_cells, attributes, standard.thresholds())
    members = len({r.member_id for r in rows})
    label = ", ".join(f"{k} {v}" for k, v in filters.items())
    everyone_but_admin = caller is None or caller.role != "admin"
    scoring, scoring_notes = _scoring(
        standard, scored, guarded=everyone_but_admin, private=private is not None
    )
    scoring_members = len({r.member_id for r in scored})
    scoring_source = (
        f"; scoring rates of {len(scored)} submission(s) from {scoring_members} member(s), each a stratum"
        if scoring
        else ""
    )
    result = AuditResult(
        tool=Tool(version=__version__),
        audit=AuditInfo(
            name=f"pooled-{standard.id}-{standard.version}" + "".join(f"-{v}" for v in filters.values()),
            auditor=standard.auditor,
            spec_sha256=None,
            standard=standard.reference(),
            date=started.date(),
            thresholds=standard.thresholds().model_dump(mode="json"),
        ),
        data=DataInfo(
            source=f"registry: pooled counts of {len(rows)} submission(s) from {members} member(s)"
            + scoring_source
            + (f" ({label})" if label else ""),
            sha256=None,
            rows=counts.total,
            kind="historical",
            description=f"Members' counts summed per group under {standard.ref}; each member's latest "
            "submission per tool.",
        ),
        started_at=started,
        finished_at=dt.datetime.now(dt.UTC),
        gate=Gate(passed=True),
        tables=[*tables, *strata],
        findings=findings,
        counts=[counts_record(counts)],
        context={
            "pooled": {
                "standard": standard.ref,
                # which submissions (log entries) are pooled: the admin's only. Others would learn when a
                # held view moves on, and which entries a pool holds — a map for subtracting pools
                **({"submissions": [r.seq for r in rows]} if not guarded else {}),
                **({"scoring_submissions": [r.seq for r in scored]} if scored and not guarded else {}),
                "members": members,
                "filters": filters,
                "min_cell_size": standard.min_cell_size,
                **({"privacy": private} if private else {}),
            }
        },
        notes=[
            f"A collective audit: the counts of {members} member(s) summed per group and audited as one "
            f"data set under {standard.ref}.",
            *([held] if held else []),
            *([_privacy_note(private)] if private else []),
        ],
        verdict=verdict_of([f.status for f in findings]),
    )
    # the admin reads every submission anyway: the dominance rule guards what members and observers see.
    # Under differential privacy each member's counts carry noise of their own (and cells below the
    # minimum are left out already): the rule would read the noise of nearly empty cells as a few
    # members' counts and hide the large cells beside them, so it is not applied
    dominance = member_cells if everyone_but_admin and private is None else None
    shown = suppress_result(result, counts, min_cell=standard.min_cell_size, members=dominance)
    if not findings and scoring:
        scoring_notes.append(
            "No finding is judged: no pooled submission has a binary decision, and scoring rates are "
            "compared within members only (the stratified:scoring tables, descriptive)."
        )
    tables = [*shown.tables, *scoring]
    return shown.model_copy(
        update={
            "tables": tables,
            "notes": [*shown.notes, *scoring_notes, *disagreement_notes(tables, standard.thresholds())],
        }
    )


def _scoring(
    standard: Standard, scored: Sequence[Any], *, guarded: bool, private: bool
) -> tuple[list[Table], list[str]]:
    """The ``stratified:scoring:<by>`` tables of a hiring pool's scoring audits, suppressed, and notes.

    Each scoring submission is a stratum (its own median); the cells hidden are those the
    suppression of the scoring submissions' own applicants hides — the threshold, and for members
    and observers the dominance rule (at least :data:`MIN_MEMBERS` members in a cell, and the
    minimum cell size without any one member's part), with the secondary suppression and the LP
    audit, as for the summed counts. Fewer than :data:`MIN_MEMBERS` members' scoring audits are not
    combined for anyone but the admin; under differential privacy observers get no scoring
    tables (they are computed from exact counts, outside the guarantee).
    """
    if not scored:
        return [], []
    attributes = list(standard.taxonomy.attributes)
    members = {r.member_id for r in scored}
    if private:
        return [], [
            f"Scoring rates of {len(scored)} submission(s) are not shown: under {standard.ref}'s differential "
            "privacy observers read noisy counts only, and the scoring strata would be exact."
        ]
    if guarded and len(members) < MIN_MEMBERS:
        return [], [
            f"Scoring rates are not shown: {len(members)} member(s) submitted scores, fewer than "
            f"{MIN_MEMBERS}, so a combined figure would show a member's own."
        ]
    strata = [(r.member_id, document_cells(attributes, [r.counts], count="above")) for r in scored]
    finest: Counter[tuple[str, ...]] = Counter()
    shares: dict[tuple[str, ...], Counter[int]] = {}
    for member, cells in strata:
        for cell, (_, n) in cells.items():
            finest[cell] += n
            shares.setdefault(cell, Counter())[member] += n
    order = sorted(members)
    contributions = {cell: [share[m] for m in order] for cell, share in shares.items()} if guarded else None
    hidden = suppress(
        {cell: n for cell, n in finest.items() if n > 0},
        attributes,
        min_cell=standard.min_cell_size,
        contributions=contributions,
        min_members=MIN_MEMBERS,
    )
    orders = {a: list(d.categories) for a, d in standard.taxonomy.attributes.items()}
    tables = scoring_tables(strata, attributes, orders, standard.thresholds(), hidden)
    if not tables:
        return [], []
    note = (
        f"Scoring rates are combined within members: {', '.join(t.name for t in tables)} give the "
        f"Mantel–Haenszel ratio of each category's scoring rate to the reference's across {len(scored)} "
        f"scoring audit(s) of {len(members)} member(s), each audit a stratum. The summed scoring rate is "
        "not shown: a member's scoring rate is the share above its own median, so members' counts above "
        "their medians do not add up to anything."
    )
    return tables, [note]


def _private_counts(
    registry: Registry,
    standard: Standard,
    filters: dict[str, str],
    rows: Sequence[Any],
    counts: GroupCounts,
    members: list[GroupCounts],
) -> tuple[GroupCounts, list[GroupCounts], dict[str, Any]]:
    """An observer's pool and members' counts under the standard's differential privacy.

    The noisy counts of a view are drawn once per filters and submissions and kept: the same view
    asked again is the same release, served without spending more of the budget (a fresh draw
    would spend ε again, and averaging many draws would wash the noise out). Everything shown is
    computed from them (:mod:`equityaudit.registry.privacy`).
    """
    from equityaudit.registry import privacy as dp

    policy = standard.privacy
    assert policy is not None
    columns = counts.count_columns
    scale = dp.noise_scale(policy, columns)
    released = registry.private_release(
        standard.ref,
        filters,
        [r.seq for r in rows],
        mechanism=policy.mechanism,
        epsilon=policy.epsilon_per_view,
        delta=policy.delta,
        scale=scale,
        budget=policy.budget,
        draw=lambda: dp.draw(standard, policy, scale, members, columns),
    )
    pooled, noisy_members = dp.post_process(standard, released.counts, columns)
    l1, l2 = dp.sensitivity(columns)
    context = {
        "mechanism": policy.mechanism,
        "unit": "one applicant record of one submission",
        "count_columns": list(columns),
        "sensitivity_l1": l1,
        "sensitivity_l2": l2,
        "scale": released.scale,
        "epsilon": released.epsilon,
        "delta": released.delta,
        "fresh": released.fresh,
        "released_at": released.released_at,
        "epsilon_spent": released.spent,
        "delta_spent": released.spent_delta if released.delta is not None else None,
        "budget": policy.budget,
        "budget_left": max(0.0, policy.budget - released.spent),
    }
    return pooled, noisy_members, context


def _privacy_note(private: dict[str, Any]) -> str:
    kind = "Laplace" if private["mechanism"] == "laplace" else "Gaussian"
    guarantee = f"ε = {private['epsilon']:g}" + (
        f", δ = {private['delta']:g}" if private["delta"] is not None else ""
    )
    sensitivity = private["sensitivity_l1"] if kind == "Laplace" else f"{private['sensitivity_l2']:.4g} (L2)"
    spent = (
        f"this view spent ε = {private['epsilon']:g}"
        if private["fresh"]
        else f"this is the view released on {private['released_at']}, shown again at no cost"
    )
    return (
        f"Differentially private ({guarantee}): every member's count of each cell carries discrete {kind} noise "
        f"of scale {private['scale']:.4g} (one applicant record changes one cell's {len(private['count_columns'])} "
        f"counts by at most 1 each: sensitivity {sensitivity}); counts are rounded, at least 0, and every rate, "
        f"ratio and finding is computed from the noisy counts. Privacy budget: {spent}; "
        f"ε = {private['epsilon_spent']:g} of {private['budget']:g} spent, {private['budget_left']:g} left."
    )


def suppress_result(
    result: AuditResult,
    counts: GroupCounts,
    *,
    min_cell: int,
    members: Sequence[Mapping[tuple[str, ...], tuple[int, ...]]] | None = None,
) -> AuditResult:
    """Hide the suppressed cells' counts and figures, and comparisons with a hidden reference.

    With ``members`` (each member's finest cells as ``(selected, n)``, summing to ``counts``), the
    dominance rule applies too:
    a cell is hidden when fewer than :data:`MIN_MEMBERS` members contribute to it, or when what is
    left after removing any one member's contribution is below ``min_cell``
    (:func:`~equityaudit.registry.suppression.suppress`).
    """
    by = counts.by
    finest = {
        tuple(str(v) for v in row[: len(by)]): int(row[len(by)])
        for row in counts.table[[*by, "n"]].itertuples(index=False)
    }
    contributions = None
    if members is not None:
        contributions = {cell: [own.get(cell, (0, 0))[1] for own in members] for cell in finest}
    hidden = suppress(finest, by, min_cell=min_cell, contributions=contributions, min_members=MIN_MEMBERS)
    note = f"suppressed: fewer than {min_cell} people, or a cell that would let such a cell be derived from totals"

    def is_hidden(group: dict[str, str] | None) -> bool:
        if not group:
            return False
        key = tuple(group.keys())
        cells = hidden.get(key)
        return cells is not None and tuple(group.values()) in cells

    tables = []
    for table in result.tables:
        reference_hidden = is_hidden(table.reference)
        rows = []
        for row in table.rows:
            if is_hidden(row["group"]):
                row = {k: (v if k in ("group", "excluded", "reference") else None) for k, v in row.items()}
                row.update(suppressed=True, note=note)
            elif reference_hidden:
                row = {k: (None if any(part in k for part in _COMPARATIVE) else v) for k, v in row.items()}
                row["note"] = "comparisons hidden: the reference group is suppressed"
            rows.append(row)
        tables.append(table.model_copy(update={"rows": rows}))
    findings = []
    for finding in result.findings:
        if is_hidden(finding.group) or is_hidden(finding.reference):
            who = ", ".join(finding.group.values())
            finding = finding.model_copy(
                update={
                    "value": None,
                    "ci_low": None,
                    "ci_high": None,
                    "p_value": None,
                    "p_adjusted": None,
                    "details": {"suppressed": True},
                    "message": f"{who}: figures {note}. Status: {finding.status}.",
                }
            )
        findings.append(finding)
    count_rows = [
        {"group": row["group"], "suppressed": True} if is_hidden(row["group"]) else row
        for row in result.counts[0].rows
    ]
    suppressed = sum(len(cells) for table, cells in hidden.items() if table)
    context = {**result.context, "suppressed_cells": suppressed}
    notes = list(result.notes)
    if suppressed:
        notes.append(f"{suppressed} cell(s) {note} (minimum cell size {min_cell}).")
    return result.model_copy(
        update={
            "tables": tables,
            "findings": findings,
            "counts": [result.counts[0].model_copy(update={"rows": count_rows})],
            "context": context,
            "notes": notes,
        }
    )


def _name(registry: Registry, member_id: int, names: dict[int, tuple[str, bool]]) -> str:
    name, public = names.get(member_id, ("?", False))
    return name if public else registry.pseudonym(member_id)


def _refuse_exact_to_observers(standard: Standard, caller: Caller, view: str) -> None:
    """Under a standard's differential privacy observers read the noisy pooled views only: the
    results and benchmark views are computed from exact counts, outside the guarantee."""
    if standard.privacy is not None and caller.role == "observer":
        raise RegistryError(
            f"{standard.ref} declares differential privacy for observers: the {view} view is computed from "
            "members' exact counts, outside its guarantee, so observers read the pooled view only "
            "(its counts carry noise). Ask for the pooled view.",
            403,
        )


def results_view(
    registry: Registry, ref: str, caller: Caller, *, tool: str | None = None, vendor: str | None = None
) -> dict[str, Any]:
    """Each member's latest result under a standard: verdict and findings, no counts (refused to
    observers under a standard's differential privacy)."""
    standard = registry.standard(ref)
    _refuse_exact_to_observers(standard, caller, "results")
    names = registry.member_names()
    out = []
    for row in registry.latest(ref, tool=tool, vendor=vendor):
        findings = [
            {
                "id": f["id"],
                "status": f["status"],
                "value": f["value"] if (f.get("n") or 0) >= standard.min_cell_size else None,
            }
            for f in row.summary["findings"]
        ]
        out.append(
            {
                "member": _name(registry, row.member_id, names),
                "yours": row.member_id == caller.id,
                "seq": row.seq,
                "tool": row.tool,
                "vendor": row.vendor,
                "received_at": row.received_at,
                "verdict": row.summary["verdict"],
                "findings": findings,
            }
        )
    return {"standard": ref, "sha256": standard.sha256, "filters": _filters(tool, vendor), "results": out}


def _blended_quantile(values: list[float], q: float, *, k: int = BENCHMARK_MIN_MEMBERS) -> float:
    """The ``q`` quantile of the members' values as the mean of the ``k`` values nearest its rank.

    An order statistic is one member's exact value (with three members the minimum, the median
    and the maximum are each someone's), so no figure of the benchmark is a single member's: each
    is the mean of the ``k`` members' values whose ranks are nearest the quantile's position
    (``q · (n − 1)``; ties in distance go to the lower rank). With exactly ``k`` members every
    quantile is their mean, which a member who subtracts its own turns into the others' mean, not
    any one's value.

    Examples
    --------
    >>> _blended_quantile([0.2, 0.3, 0.4], 0.5), _blended_quantile([0.2, 0.3, 0.4], 0.25)
    (0.3, 0.3)
    >>> round(_blended_quantile([0.1, 0.2, 0.3, 0.4, 0.5, 0.9], 0.75), 4)  # ranks 3, 4, 5 of 0…5
    0.6
    """
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    nearest = sorted(range(len(ordered)), key=lambda i: (abs(i - position), i))[:k]
    return sum(ordered[i] for i in nearest) / len(nearest)


def _rates(standard: Standard, counts: dict[str, Any]) -> list[dict[str, Any]]:
    """A member's rates per group, from its counts: every grouping the standard audits.

    A rate is left out when its denominator is below the standard's minimum cell size, and the
    Unknown category is never a group. The marginals are summed in plain Python: a counts table
    holds a few dozen cells, and the view reads one per submission.
    """
    attributes = list(standard.taxonomy.attributes)
    rows = counts["rows"]
    present = set.intersection(*(set(r) - {"group"} for r in rows)) if rows else set()
    metrics = [m for m in METRICS.values() if {m.numerator, m.denominator} <= present]
    intersectional = standard.auditor == "hiring" or standard.taxonomy.intersectional
    rates = []
    for by in groupings(attributes, intersectional=intersectional):
        table = table_name(by)
        sums: dict[tuple[str, ...], Counter[str]] = {}
        for row in rows:
            key = tuple(str(row["group"][a]) for a in by)
            if UNKNOWN in key:
                continue
            cell = sums.setdefault(key, Counter())
            for column in present:
                cell[column] += int(row[column])
        for key in sorted(sums):
            cell = sums[key]
            for metric in metrics:
                if cell[metric.denominator] < standard.min_cell_size:
                    continue
                rates.append(
                    {
                        "id": f"rate:{table}/{metric.name}/" + "/".join(key),
                        "statistic": "rate",
                        "metric": metric.name,
                        "label": metric.label,
                        "table": table,
                        "group": dict(zip(by, key, strict=True)),
                        "value": cell[metric.numerator] / cell[metric.denominator],
                    }
                )
    return rates


def _impact_ratios(standard: Standard, summary: dict[str, Any]) -> list[dict[str, Any]]:
    """A member's ratio findings: each group's rate over the member's own reference group's."""
    ratios = []
    for f in summary["findings"]:
        if f["value"] is None or (f.get("n") or 0) < standard.min_cell_size or "/" not in f["id"]:
            continue
        metric = METRICS.get(f["metric"])
        if metric is None:  # a gap or another kind of finding, not a ratio of rates
            continue
        ratios.append(
            {
                "id": f"impact_ratio:{f['id']}",
                "statistic": "impact_ratio",
                "metric": f["metric"],
                "label": f"impact ratio of the {metric.label} (to each member's own reference group)",
                "table": f["table"],
                "group": {a: f["group"][a] for a in f["table"].split("*") if a in f["group"]} or f["group"],
                "value": float(f["value"]),
            }
        )
    return ratios


def benchmark_view(
    registry: Registry, ref: str, caller: Caller, *, tool: str | None = None, vendor: str | None = None
) -> dict[str, Any]:
    """Each group's rates and impact ratios across members, and where the caller stands.

    Rates are computed from each member's counts (so they are the same quantity for every
    member); impact ratios are the members' own findings, each against that member's reference
    group, as the standard defines it. A distribution is shown only when at least
    :data:`BENCHMARK_MIN_MEMBERS` members contribute to it; a member's several submissions (tools)
    count once, by their mean. Refused to observers under a standard's differential privacy.
    """
    standard = registry.standard(ref)
    _refuse_exact_to_observers(standard, caller, "benchmark")
    rows = registry.latest(ref, tool=tool, vendor=vendor)
    per_member: dict[str, dict[int, list[float]]] = {}
    meta: dict[str, dict[str, Any]] = {}
    for row in rows:
        for entry in (*_rates(standard, row.counts), *_impact_ratios(standard, row.summary)):
            per_member.setdefault(entry["id"], {}).setdefault(row.member_id, []).append(entry.pop("value"))
            meta.setdefault(entry["id"], entry)
    metrics = []
    for entry_id in sorted(per_member):
        by_member = {member: sum(v) / len(v) for member, v in per_member[entry_id].items()}
        found = sorted(by_member.values())
        shown = len(found) >= BENCHMARK_MIN_MEMBERS
        yours = by_member.get(caller.id)
        percentile = None
        if yours is not None and shown:
            below = sum(v < yours for v in found)
            ties = sum(v == yours for v in found)
            percentile = round(100 * (below + 0.5 * ties) / len(found), 1)
        metrics.append(
            {
                **meta[entry_id],
                "members": len(found),
                "submissions": sum(len(v) for v in per_member[entry_id].values()),
                "distribution": {
                    "p25": _blended_quantile(found, 0.25),
                    "median": _blended_quantile(found, 0.5),
                    "p75": _blended_quantile(found, 0.75),
                }
                if shown
                else None,
                "yours": yours,
                "percentile": percentile,
            }
        )
    return {
        "standard": ref,
        "sha256": standard.sha256,
        "filters": _filters(tool, vendor),
        "members": len({r.member_id for r in rows}),
        "min_members": BENCHMARK_MIN_MEMBERS,
        "metrics": metrics,
    }
