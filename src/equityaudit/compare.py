"""Baseline comparison: did an audit get worse between two results of the same audit?

A finding *regressed* when its metric moved away from parity by more than the tolerance (a
ratio's distance from 1, a gap's size), when its status turned from ``pass`` to ``warn`` or
``fail``, or when it is new and not passing. Results of different auditors or standards are
not comparable and are refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from equityaudit.errors import ResultError
from equityaudit.results import STATUS_ORDER, AuditResult, Finding

__all__ = ["Change", "ComparisonReport", "compare_results"]

Movement = Literal["regressed", "improved", "unchanged", "new", "removed"]


@dataclass(frozen=True)
class Change:
    """One finding's movement between the baseline and the current result."""

    id: str
    metric: str
    group: str
    baseline_value: float | None
    current_value: float | None
    baseline_status: str | None
    current_status: str | None
    movement: Movement
    reason: str


@dataclass(frozen=True)
class ComparisonReport:
    """All findings' movements; ``regressed`` is what a CI gate acts on."""

    changes: list[Change] = field(default_factory=list)

    @property
    def regressions(self) -> list[Change]:
        """The changes that count as regressions."""
        return [c for c in self.changes if c.movement == "regressed"]

    @property
    def regressed(self) -> bool:
        """Whether anything got worse beyond the tolerance."""
        return bool(self.regressions)


def _goodness(finding: Finding) -> float | None:
    """Higher is better: a ratio's closeness to parity (min(r, 1/r)), a gap's negative size."""
    value = finding.value
    if value is None:
        return None
    if finding.kind == "ratio":
        return min(value, 1 / value) if value > 0 else 0.0
    return -abs(value)


def _check_comparable(baseline: AuditResult, current: AuditResult) -> None:
    if baseline.audit.name != current.audit.name:
        raise ResultError(
            f"cannot compare results of different audits: the baseline is {baseline.audit.name!r}, the "
            f"current one {current.audit.name!r}. Compare two runs of the same spec (the same 'name')."
        )
    if baseline.audit.auditor != current.audit.auditor:
        raise ResultError(
            f"cannot compare results of different auditors: the baseline is a {baseline.audit.auditor!r} "
            f"audit, the current one a {current.audit.auditor!r} audit. Compare results of the same audit."
        )
    base_std, cur_std = baseline.audit.standard, current.audit.standard
    base_id = f"{base_std.id}@{base_std.version}" if base_std else "no standard"
    cur_id = f"{cur_std.id}@{cur_std.version}" if cur_std else "no standard"
    if base_id != cur_id or (base_std and cur_std and base_std.sha256 != cur_std.sha256):
        raise ResultError(
            f"cannot compare results audited against different standards: baseline {base_id}, current "
            f"{cur_id}. Re-run the baseline audit under the current standard first."
        )


def compare_results(
    baseline: AuditResult, current: AuditResult, *, max_drop: float = 0.02
) -> ComparisonReport:
    """Compare every finding of ``current`` with the same finding (by id) of ``baseline``.

    Examples
    --------
    >>> import pandas as pd, equityaudit as ea
    >>> def result(f_hired):
    ...     df = pd.DataFrame({"sex": ["F"] * 100 + ["M"] * 100,
    ...                        "hired": [1] * f_hired + [0] * (100 - f_hired) + [1] * 50 + [0] * 50})
    ...     return ea.audit(df, auditor="decisions", sensitive="sex", decision="hired")
    >>> report = compare_results(result(48), result(40), max_drop=0.02)
    >>> report.regressed, report.regressions[0].reason
    (True, 'moved away from parity by 0.160 (tolerance 0.02)')
    """
    if max_drop < 0:
        raise ValueError(f"max_drop must be at least 0, got {max_drop}")
    _check_comparable(baseline, current)
    if current.verdict == "blocked" and baseline.verdict != "blocked":
        failed = "; ".join(c.message for c in current.gate.checks if not c.passed) or "see its gate section"
        return ComparisonReport(
            [
                Change(
                    "quality-gate",
                    "gate",
                    "—",
                    None,
                    None,
                    baseline.verdict,
                    "blocked",
                    "regressed",
                    f"the current audit was blocked by the quality gate: {failed}",
                )
            ]
        )
    before = {f.id: f for f in baseline.findings}
    after = {f.id: f for f in current.findings}
    changes = []
    for finding_id in [*after, *(i for i in before if i not in after)]:
        old, new = before.get(finding_id), after.get(finding_id)
        ref = new or old
        assert ref is not None
        group = ", ".join(ref.group.values())
        if new is None:
            assert old is not None
            changes.append(
                Change(
                    finding_id,
                    ref.metric,
                    group,
                    old.value,
                    None,
                    old.status,
                    None,
                    "removed",
                    "not in the current result",
                )
            )
            continue
        if old is None:
            movement: Movement = "regressed" if new.status in ("warn", "fail") else "new"
            changes.append(
                Change(
                    finding_id,
                    ref.metric,
                    group,
                    None,
                    new.value,
                    None,
                    new.status,
                    movement,
                    f"new finding with status {new.status}",
                )
            )
            continue
        old_good, new_good = _goodness(old), _goodness(new)
        delta = None if old_good is None or new_good is None else new_good - old_good
        status_worse = old.status == "pass" and new.status in ("warn", "fail")
        status_worse = status_worse or (
            STATUS_ORDER[new.status] > STATUS_ORDER[old.status] and new.status == "fail"
        )
        if status_worse:
            movement, reason = "regressed", f"status went from {old.status} to {new.status}"
        elif delta is not None and delta < -max_drop:
            movement, reason = "regressed", f"moved away from parity by {-delta:.3f} (tolerance {max_drop:g})"
        elif delta is not None and delta > max_drop:
            movement, reason = "improved", f"moved toward parity by {delta:.3f}"
        elif STATUS_ORDER[new.status] < STATUS_ORDER[old.status]:
            movement, reason = "improved", f"status went from {old.status} to {new.status}"
        else:
            movement, reason = "unchanged", "within tolerance"
        changes.append(
            Change(
                finding_id, ref.metric, group, old.value, new.value, old.status, new.status, movement, reason
            )
        )
    return ComparisonReport(changes)
