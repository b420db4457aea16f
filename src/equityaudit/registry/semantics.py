"""Whether a result's findings and verdict are the ones its own counts give under its standard's rules.

A signed result is signed by its member, not checked by anyone: a member (or anyone editing the
file before signing) could set every finding to ``pass``. :func:`recheck` finds such an edit with
three checks, each reusing the code that made the numbers — never a second implementation:

1. **The file against itself**: :func:`equityaudit.results.self_contradiction`, the check
   ``equityaudit sign`` refuses a file by (a ratio finding that differs from its table's row, a
   verdict its findings and quality gate do not give).
2. **Each finding against the judging rule**: its status is the one
   :func:`equityaudit.judging.status_of` gives its own value, interval, threshold and adjusted
   p-value (significant when below the audit's ``alpha``), within its ``status_ceiling``. A ratio of
   0.696 against a 0.8 threshold is ``fail`` or ``warn``, never ``pass``, whatever its interval.
3. **The findings against the counts**: the result's counts are audited again under the standard
   by :func:`equityaudit.registry.pooling.pooled_audit` (the code a pooled audit runs, which equals
   the member's own audit of the same counts); every recomputed finding of a table the result
   reports (its table and metric) must be in the result with the same value (to 1e-9, relative) and status. This needs a
   hiring or decisions standard and a result that leaves no category out of its impact ratios
   (``exclude_small_categories`` changes the reference and the family the p-values are adjusted in;
   such a result gets checks 1, 2 and 4 only). A status marked ``insufficient_data`` is accepted by
   check 2 (group size is not in a finding) and re-judged here.
4. **The verdict against the re-judged statuses**: :func:`equityaudit.results.audit_verdict` of the
   gate and the recomputed statuses must be the result's verdict.

The registry refuses a submission with any disagreement (HTTP 422, naming the finding, the claimed
and the recomputed status and value); ``equityaudit report`` and ``equityaudit compare`` print a
warning line for a stored result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from equityaudit.judging import status_of
from equityaudit.registry.validation import RejectedPayloadError
from equityaudit.results import STATUSES, AuditResult, Finding, Status, audit_verdict, self_contradiction
from equityaudit.standards import Standard

__all__ = [
    "MAX_NAMED",
    "RECOMPUTED_AUDITORS",
    "Disagreement",
    "edit_warning",
    "recheck",
    "refuse_contradictions",
]

RECOMPUTED_AUDITORS = ("hiring", "decisions")
"""Auditors whose findings :func:`recheck` recomputes from the counts (those a pooled audit runs)."""


@dataclass(frozen=True)
class Disagreement:
    """One place where a result says something its numbers do not give.

    Examples
    --------
    >>> str(Disagreement("sex/selection_rate/Female", "pass (value 0.696)", "fail (value 0.696)", "the counts"))
    "finding 'sex/selection_rate/Female' says pass (value 0.696); recomputed from the counts: fail (value 0.696)"
    """

    subject: str
    claimed: str
    recomputed: str
    source: str

    def __str__(self) -> str:
        if self.subject == "result":  # check 1: the file against itself
            return f"the file contradicts itself ({self.claimed}), as 'equityaudit sign' would say"
        name = "the verdict" if self.subject == "verdict" else f"finding {self.subject!r}"
        return f"{name} says {self.claimed}; recomputed from {self.source}: {self.recomputed}"


def _said(status: str, value: float | None) -> str:
    return f"{status} (value {'null' if value is None else f'{value:.4g}'})"


def recheck(result: AuditResult, standard: Standard | None) -> list[Disagreement]:
    """Every disagreement between a result's findings and verdict and what its numbers give.

    ``standard`` is the standard the result names (None when it names none, or the standard is not
    at hand): without it the counts are not re-audited (checks 1, 2 and 4 of the module docstring).

    Examples
    --------
    >>> from equityaudit.results import Finding
    >>> finding = Finding(id="f", metric="selection_rate", kind="ratio", table="sex", group={"sex": "F"},
    ...                   value=0.696, ci_low=0.6, ci_high=0.8, p_adjusted=0.001, threshold=0.8,
    ...                   status="pass", message="edited", adverse="below")
    >>> _rule_status(finding, alpha=0.05, require_significance=True, schema="equityaudit.result/2")
    'fail'
    """
    contradiction = self_contradiction(result)
    if contradiction:
        return [Disagreement("result", contradiction, "a consistent file", "the file itself")]
    found: dict[str, Disagreement] = {}
    """Finding id → its disagreement: the counts' (check 3) replaces the judging rule's (check 2)."""
    thresholds = (result.audit.thresholds or {}) or (standard.thresholds().model_dump() if standard else {})
    alpha = float(thresholds.get("alpha", 0.05))
    require_significance = bool(thresholds.get("require_significance", True))
    statuses: dict[str, Status] = {}
    for finding in result.findings:
        rule = _rule_status(
            finding, alpha=alpha, require_significance=require_significance, schema=result.schema_
        )
        statuses[finding.id] = finding.status if rule is None else rule
        if rule is not None and rule != finding.status:
            found[finding.id] = Disagreement(
                finding.id,
                _said(finding.status, finding.value),
                _said(rule, finding.value),
                f"its own value, interval and adjusted p-value under the judging rule (alpha {alpha})",
            )
    for finding in _recomputed(result, standard):
        claimed = next((f for f in result.findings if f.id == finding.id), None)
        source = f"the counts under {standard.ref if standard else 'the standard'}"
        if claimed is None:
            found[finding.id] = Disagreement(
                finding.id, "nothing (the finding is missing)", _said(finding.status, finding.value), source
            )
            continue
        if not _same(claimed.value, finding.value) or claimed.status != finding.status:
            found[finding.id] = Disagreement(
                finding.id, _said(claimed.status, claimed.value), _said(finding.status, finding.value), source
            )
        statuses[finding.id] = finding.status
    problems = list(found.values())
    verdict = audit_verdict(result.gate, list(statuses.values()))
    if verdict != result.verdict:
        problems.append(
            Disagreement("verdict", result.verdict, verdict, "the re-judged findings and the gate")
        )
    return problems


def _same(claimed: float | None, recomputed: float | None) -> bool:
    if claimed is None or recomputed is None:
        return claimed is None and recomputed is None
    return math.isclose(claimed, recomputed, rel_tol=1e-9, abs_tol=1e-12)


def _rule_status(finding: Finding, *, alpha: float, require_significance: bool, schema: str) -> Status | None:
    """The status the judging rule gives a finding's own numbers; None when they cannot say.

    A finding without a threshold, value or side (``adverse``) cannot be re-judged alone; one marked
    ``insufficient_data`` was judged by a group size the finding does not carry (the counts say).
    """
    if (
        finding.status == "insufficient_data"
        or finding.value is None
        or finding.threshold is None
        or finding.adverse is None
    ):
        return None
    status = status_of(
        finding.value,
        finding.ci_low,
        finding.ci_high,
        threshold=finding.threshold,
        significant=finding.p_adjusted is not None and finding.p_adjusted < alpha,
        adverse=finding.adverse,
        require_significance=require_significance,
    )
    ceiling = finding.details.get("status_ceiling")
    if ceiling in STATUSES and STATUSES.index(status) < STATUSES.index(ceiling):
        status = ceiling
    if status == "inconclusive" and schema == "equityaudit.result/1":
        status = "insufficient_data"  # version 1 wrote an inconclusive finding so
    return status


def _recomputed(result: AuditResult, standard: Standard | None) -> list[Finding]:
    """The findings the result's counts give under the standard, for the tables the result reports.

    Empty when they cannot be recomputed (see check 3 of the module docstring).
    """
    from equityaudit.registry.pooling import pool_counts, pooled_audit
    from equityaudit.registry.storage import RegistryError

    if (
        standard is None
        or standard.auditor not in RECOMPUTED_AUDITORS
        or result.audit.auditor != standard.auditor
        or len(result.counts) != 1
        or result.counts[0].by != list(standard.taxonomy.attributes)
        or any(row.get("excluded") for table in result.tables for row in table.rows)
    ):
        return []
    counts: dict[str, Any] = result.counts[0].model_dump()
    try:
        _, findings = pooled_audit(standard, pool_counts(standard, [counts]))
    except (RegistryError, KeyError, ValueError):
        return []
    reported = {(f.table, f.metric) for f in result.findings} | {(t.name, t.metric) for t in result.tables}
    return [finding for finding in findings if (finding.table, finding.metric) in reported]


MAX_NAMED = 3
"""Most disagreements a refusal names (the count of the rest follows)."""


def refuse_contradictions(result: AuditResult, standard: Standard) -> None:
    """Raise :class:`~equityaudit.registry.validation.RejectedPayloadError` naming what :func:`recheck`
    finds, the first :data:`MAX_NAMED` disagreements in full; return quietly when there is none."""
    problems = recheck(result, standard)
    if not problems:
        return
    named = "; ".join(str(p) for p in problems[:MAX_NAMED])
    more = f" (and {len(problems) - MAX_NAMED} more)" if len(problems) > MAX_NAMED else ""
    raise RejectedPayloadError(
        f"the result contradicts its own numbers under {standard.ref}'s rules: {named}{more}. A finding or "
        "verdict was edited after the audit ran; re-run the audit and sign its result unchanged"
    )


def edit_warning(result: AuditResult, origin: str) -> str | None:
    """One warning line when a stored result's findings or verdict contradict its own numbers, or None.

    The standard the result names is looked up among the bundled and local standards
    (:func:`~equityaudit.standards.find_standard`); when it is not at hand, or its sha256 differs
    from the result's, the counts are not re-audited (checks 1, 2 and 4 still run).
    ``equityaudit report`` and ``equityaudit compare`` print it and carry on.
    """
    from equityaudit.errors import EquityAuditError
    from equityaudit.standards import find_standard

    standard: Standard | None = None
    named = result.audit.standard
    if named is not None:
        try:
            standard = find_standard(f"{named.id}@{named.version}")
        except EquityAuditError:
            standard = None
        if standard is not None and standard.sha256 != named.sha256:
            standard = None
    problems = recheck(result, standard)
    if not problems:
        return None
    more = f" (and {len(problems) - MAX_NAMED} more)" if len(problems) > MAX_NAMED else ""
    return (
        f"warning: {origin} was edited after the audit ran: "
        + "; ".join(str(p) for p in problems[:MAX_NAMED])
        + f"{more}. Its findings and verdict are shown as written; re-run the audit to trust them."
    )
