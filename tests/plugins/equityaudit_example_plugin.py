"""A tiny third-party auditor plugin, discovered through its entry point by tests/test_plugins.py.

It audits the overall rate of a binary decision by each sensitive attribute, reusing the
library's own statistics: the shape a real third-party auditor takes.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

import equityaudit as ea
from equityaudit.auditors.comparison import judge, rate_table
from equityaudit.stats.counts import grouped_counts
from equityaudit.stats.rates import METRICS


class ExampleOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ExampleAuditor:
    name = "example"
    summary = "Example third-party auditor (tests only)."
    roles: ClassVar[dict[str, str]] = {"sensitive": "required", "decision": "required"}
    options_model = ExampleOptions

    def expectations(self, spec: Any) -> list[dict[str, Any]]:
        return []

    def run(self, frame: Any, spec: Any, context: Any) -> ea.AuditorOutput:
        counts = grouped_counts(frame, sensitive=spec.columns.sensitive, decision=spec.columns.decision)
        output = ea.AuditorOutput()
        comparisons = []
        for column in spec.columns.sensitive:
            table, found = rate_table(
                counts.marginal([column]), metric=METRICS["selection_rate"], thresholds=spec.thresholds
            )
            output.tables.append(table)
            comparisons += found
        output.findings = judge(comparisons, spec.thresholds)
        return output


@ea.hookimpl
def equityaudit_auditors() -> list[ExampleAuditor]:
    return [ExampleAuditor()]
