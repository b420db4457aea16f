"""A tiny third-party auditor plugin, discovered through its entry point by tests/test_plugins.py.

It audits the approval rate of a loan decision by each sensitive attribute, reusing the
library's own statistics, and says in its own words what its metric means and what to do about
a finding (``AuditorOutput.vocabulary``): the shape a real third-party auditor takes. It imports from
``equityaudit.plugin`` only (besides pydantic, for its options model, and the standard library).
"""

from __future__ import annotations

from typing import Any, ClassVar

import narwhals as nw
from pydantic import BaseModel, ConfigDict

from equityaudit.plugin import (
    AuditContext,
    AuditorOutput,
    AuditSpec,
    Evidence,
    Metric,
    MetricWords,
    Role,
    Vocabulary,
    comparison_evidence,
    grouped_counts,
    hookimpl,
    judge,
    rate_table,
)

APPROVAL = Metric("approval_rate", "selected", "n", "approval rate")
"""The share of a group's applications approved: the decision column's positive rate."""

WORDS = Vocabulary(
    members="borrowers",
    metrics={
        "approval_rate": MetricWords(
            label="share of loan applications approved",
            short_label="approval rate",
            summary_label="approval rate",
            rate_phrase="had their loans approved at a rate of {rate}",
            shortfall_phrase="{count} more {who} would need to have been approved to reach {target}",
            shortfall_unit="approval(s)",
            next_steps={
                "fail": "Ask the lender's credit team which rules drive the gap before the next lending cycle.",
                "pass": "Nothing to do until the next lending cycle.",
            },
        )
    },
)
"""How reports speak of this auditor's metric and its groups' members."""


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
        output = AuditorOutput(vocabulary=WORDS)
        evidence: list[Evidence] = []
        for column in spec.columns.sensitive:
            table, comparisons = rate_table(
                counts.marginal([column]), metric=APPROVAL, thresholds=spec.thresholds
            )
            output.tables.append(table)
            evidence += [comparison_evidence(c, spec.thresholds) for c in comparisons]
        output.findings = judge(evidence, spec.thresholds)  # the one judging rule, all evidence at once
        return output


@hookimpl
def equityaudit_auditors() -> list[ExampleAuditor]:
    return [ExampleAuditor()]
