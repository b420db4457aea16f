"""A tiny third-party auditor plugin, discovered through its entry point by tests/test_plugins.py.

It audits the overall rate of a binary decision by each sensitive attribute, reusing the
library's own statistics: the shape a real third-party auditor takes. It imports from
``equityaudit.plugin`` only (besides pydantic, for its options model, and the standard library).
"""

from __future__ import annotations

from typing import Any, ClassVar

import narwhals as nw
from pydantic import BaseModel, ConfigDict

from equityaudit.plugin import (
    METRICS,
    AuditContext,
    AuditorOutput,
    AuditSpec,
    Evidence,
    Role,
    comparison_evidence,
    grouped_counts,
    hookimpl,
    judge,
    rate_table,
)


class ExampleOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ExampleAuditor:
    name = "example"
    summary = "Example third-party auditor (tests only)."
    roles: ClassVar[dict[str, Role]] = {"sensitive": "required", "decision": "required"}
    options_model = ExampleOptions

    def expectations(self, spec: AuditSpec) -> list[dict[str, Any]]:
        return []

    def run(self, frame: nw.LazyFrame[Any], spec: AuditSpec, context: AuditContext) -> AuditorOutput:
        counts = grouped_counts(frame, sensitive=spec.columns.sensitive, decision=spec.columns.decision)
        output = AuditorOutput()
        evidence: list[Evidence] = []
        for column in spec.columns.sensitive:
            table, comparisons = rate_table(
                counts.marginal([column]), metric=METRICS["selection_rate"], thresholds=spec.thresholds
            )
            output.tables.append(table)
            evidence += [comparison_evidence(c, spec.thresholds) for c in comparisons]
        output.findings = judge(evidence, spec.thresholds)  # the one judging rule, all evidence at once
        return output


@hookimpl
def equityaudit_auditors() -> list[ExampleAuditor]:
    return [ExampleAuditor()]
