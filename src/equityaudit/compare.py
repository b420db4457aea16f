"""Baseline comparison: did an audit get worse between two results of the same audit?

A finding *regressed* when its metric moved away from parity by more than the tolerance (a
ratio's distance from 1, a gap's size; a move of exactly the tolerance is within it, up to
floating-point error), when its status turned from ``pass`` to ``warn`` or ``fail``, when it is
new and not passing, or when it was ``warn`` or ``fail`` in the baseline and is gone from the
current result (unless removals are allowed: dropping an attribute from the spec must not hide a
failing finding). Results of different auditors or standards are not comparable and are refused;
a changed spec or changed thresholds are reported beside the changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from equityaudit.errors import ResultError
from equityaudit.results import STATUS_ORDER, AuditResult, Finding

__all__ = ["TOLERANCE_SLACK", "Change", "ComparisonReport", "compare_results", "setup_changes"]

Movement = Literal["regressed", "improved", "unchanged", "new", "removed"]

TOLERANCE_SLACK = 1e-9
"""Floating-point slack on ``max_drop``: 0.9 - 0.88 is 0.020000000000000018, a drop of exactly 0.02."""


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
    setup_changes: list[str] = field(default_factory=list)
    """What changed between the two audits' setups (spec, thresholds), in words."""

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


def setup_changes(baseline: AuditResult, current: AuditResult) -> list[str]:
    """What changed between two audits' setups: the spec file's hash and the thresholds judged by."""
    changed = []
    base_spec, cur_spec = baseline.audit.spec_sha256, current.audit.spec_sha256
    if base_spec != cur_spec:
        changed.append(
            f"the spec changed between the two results (spec_sha256 {_short(base_spec)} -> {_short(cur_spec)}): "
            "findings may be new or gone because of it, not because the model changed"
        )
    base_t, cur_t = baseline.audit.thresholds or {}, current.audit.thresholds or {}
    differing = [
        f"{key} {base_t.get(key, 'unset')} -> {cur_t.get(key, 'unset')}"
        for key in sorted({*base_t, *cur_t})
        if base_t.get(key) != cur_t.get(key)
    ]
    if differing:
        changed.append(f"the thresholds changed between the two results: {', '.join(differing)}")
    return changed


def _short(digest: str | None) -> str:
    return "none (not run from a spec file)" if digest is None else digest[:12]


def compare_results(
    baseline: AuditResult,
    current: AuditResult,
    *,
    max_drop: float = 0.02,
    allow_removed: bool = False,
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

    A finding that was ``warn`` or ``fail`` in the baseline and is gone from ``current`` is a
    regression unless ``allow_removed``.
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
            ],
            setup_changes(baseline, current),
        )
    before = {f.id: f for f in baseline.findings}
    after = {f.id: f for f in current.findings}
    changes = []
    movement: Movement
    for finding_id in [*after, *(i for i in before if i not in after)]:
        old, new = before.get(finding_id), after.get(finding_id)
        ref = new or old
        assert ref is not None
        group = ", ".join(ref.group.values())
        if new is None:
            assert old is not None
            failing = old.status in ("warn", "fail")
            if failing and not allow_removed:
                movement, reason = (
                    "regressed",
                    f"was {old.status} in the baseline and is not in the current result; a removed "
                    "non-passing finding counts as a regression (--allow-removed if the removal is intended)",
                )
            elif failing:
                movement, reason = (
                    "removed",
                    f"was {old.status} in the baseline and is not in the current result (removals allowed)",
                )
            else:
                movement, reason = "removed", "not in the current result"
            changes.append(
                Change(finding_id, ref.metric, group, old.value, None, old.status, None, movement, reason)
            )
            continue
        if old is None:
            movement = "regressed" if new.status in ("warn", "fail") else "new"
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
        elif delta is not None and delta < -(max_drop + TOLERANCE_SLACK):
            movement, reason = "regressed", f"moved away from parity by {-delta:.3f} (tolerance {max_drop:g})"
        elif delta is not None and delta > max_drop + TOLERANCE_SLACK:
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
    return ComparisonReport(changes, setup_changes(baseline, current))
