"""The ``decisions`` auditor: any binary decision, by each sensitive attribute and their intersection.

Per group: the selection rate with its Wilson interval, ratio and difference to the reference
group with intervals, z and Fisher tests and the four-fifths shortfall. With an outcome column,
also TPR, FPR, FNR, TNR, PPV, NPV, FDR, FOR and accuracy by group, and the equal-opportunity and
equalized-odds gaps.
"""

from __future__ import annotations

from typing import Any, ClassVar

import narwhals as nw
from pydantic import BaseModel, ConfigDict

from equityaudit.auditors.base import AuditContext, AuditorOutput, Role
from equityaudit.auditors.columns import adverse_decision_note, label_variant_notes, numeric_sensitive_notes
from equityaudit.auditors.comparison import comparison_evidence, rate_table
from equityaudit.auditors.gaps import error_rate_gap_evidence
from equityaudit.auditors.grouping import counts_record, groupings
from equityaudit.hookspecs import hookimpl
from equityaudit.judging import judge
from equityaudit.spec import AuditSpec
from equityaudit.stats.counts import grouped_counts
from equityaudit.stats.rates import ERROR_RATE_METRICS, METRICS

__all__ = ["DecisionsAuditor", "DecisionsOptions", "equityaudit_auditors"]


class DecisionsOptions(BaseModel):
    """The decisions auditor has no options yet; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


class DecisionsAuditor:
    """Audit a binary decision by group (see the module docstring)."""

    name = "decisions"
    summary = "Any binary decision by group: selection rates, ratios, tests; error rates with an outcome."
    roles: ClassVar[dict[str, Role]] = {
        "sensitive": "required",
        "decision": "required",
        "outcome": "optional",
        "score": "unused",
        "stage": "unused",
        "id": "optional",
    }
    options_model = DecisionsOptions

    def expectations(self, spec: AuditSpec) -> list[dict[str, Any]]:
        """Nothing beyond what the quality gate derives from the roles (columns present, decision
        and outcome binary, sensitive columns filled in with groups large enough)."""
        return []

    def run(self, frame: nw.LazyFrame[Any], spec: AuditSpec, context: AuditContext) -> AuditorOutput:
        """Count once, then build one table per grouping and judge every comparison."""
        columns = spec.columns
        counts = grouped_counts(
            frame,
            sensitive=columns.sensitive,
            decision=columns.decision,
            outcome=columns.outcome,
            unknown_values=columns.unknown_values,
            origin=context.source,
            tally=context.tally,
        )
        extra = [METRICS[m] for m in ERROR_RATE_METRICS] if columns.outcome is not None else []
        primary = METRICS["selection_rate"] if columns.decision_favourable else METRICS["favourable_rate"]
        if not columns.decision_favourable:
            extra = [METRICS["selection_rate"], *extra]  # the rate of the decision itself, for reference
        output = AuditorOutput(counts=[counts_record(counts)])
        if not columns.decision_favourable:
            output.notes.append(adverse_decision_note(columns))
        output.notes += numeric_sensitive_notes(frame, columns.sensitive)
        output.notes += label_variant_notes(counts)
        comparisons = []
        for by in groupings(columns.sensitive, intersectional=columns.intersectional):
            table, found = rate_table(
                counts.marginal(by),
                metric=primary,
                thresholds=spec.thresholds,
                reference=spec.reference,
                extra_metrics=extra,
                origin=context.source,
            )
            output.tables.append(table)
            comparisons += found
        evidence = [comparison_evidence(c, spec.thresholds) for c in comparisons]
        if columns.outcome is not None:
            for table in output.tables:
                evidence += error_rate_gap_evidence(table, spec.thresholds)
        evidence += context.model_evidence  # a model's counterfactual sensitivity (model:), same family
        output.findings = judge(evidence, spec.thresholds)  # one family for the whole audit
        return output


@hookimpl
def equityaudit_auditors() -> list[DecisionsAuditor]:
    """The built-in ``decisions`` auditor."""
    return [DecisionsAuditor()]
