"""What an auditor plugin may import: the one public namespace for plugin authors.

Everything a third-party auditor needs is re-exported here, and nothing is implemented here:

- the contract: :class:`Auditor` (required members), :class:`AuditorExtras` (the optional
  ``check_spec`` and ``option_columns``), :data:`Role`, :class:`AuditContext` (what ``run`` is
  handed) and :class:`AuditorOutput` (what it returns), and :data:`hookimpl` to register auditors
  with the ``equityaudit_auditors`` hook;
- the spec it reads: :class:`AuditSpec` and its :class:`Thresholds`;
- counts: :func:`grouped_counts` makes per-group counts in one aggregation on the data's backend,
  as :class:`GroupCounts`;
- evidence and judging: :func:`rate_table` turns counts into a result :class:`Table` and one
  :class:`Comparison` per group, :func:`comparison_evidence` turns a comparison into
  :class:`Evidence`, and :func:`judge` judges all of an audit's evidence together under the one
  judging rule (family-wise error control, the five statuses), handing each piece's ``describe``
  a :class:`Judgement`. An analysis with statistics of its own builds :class:`Evidence` directly.
  :class:`Metric` defines a rate from two count columns; :data:`METRICS` holds the built-in ones;
- result types: :class:`Table`, :class:`Finding`, :class:`CountsTable` and :data:`Status`;
- the errors and warning a plugin raises: :class:`SpecError` (a spec the auditor cannot audit),
  :class:`DataError` and :class:`ColumnNotFoundError` (data it cannot audit), :class:`PluginError`,
  their root :class:`EquityAuditError`, and :class:`UndefinedMetricWarning`.

The names in ``equityaudit.plugin.__all__`` (and in ``equityaudit.__all__``) follow semantic
versioning; every other module path in equityaudit is internal and may change without notice.
docs/plugins.md walks through a complete plugin.

Examples
--------
Every built-in auditor satisfies the contract a plugin's auditor does:

>>> import equityaudit as ea
>>> from equityaudit.plugin import Auditor
>>> all(isinstance(auditor, Auditor) for auditor, _ in ea.list_auditors().values())
True
"""

from __future__ import annotations

from equityaudit.auditors.base import AuditContext, Auditor, AuditorExtras, AuditorOutput, Role
from equityaudit.auditors.comparison import Comparison, comparison_evidence, rate_table
from equityaudit.errors import (
    ColumnNotFoundError,
    DataError,
    EquityAuditError,
    PluginError,
    SpecError,
    UndefinedMetricWarning,
)
from equityaudit.hookspecs import hookimpl
from equityaudit.judging import Evidence, Judgement, judge
from equityaudit.results import CountsTable, Finding, MetricWords, Status, Table, Vocabulary
from equityaudit.spec import AuditSpec, Thresholds
from equityaudit.stats.counts import GroupCounts, grouped_counts
from equityaudit.stats.rates import METRICS, Metric

__all__ = [
    "METRICS",
    "AuditContext",
    "AuditSpec",
    "Auditor",
    "AuditorExtras",
    "AuditorOutput",
    "ColumnNotFoundError",
    "Comparison",
    "CountsTable",
    "DataError",
    "EquityAuditError",
    "Evidence",
    "Finding",
    "GroupCounts",
    "Judgement",
    "Metric",
    "MetricWords",
    "PluginError",
    "Role",
    "SpecError",
    "Status",
    "Table",
    "Thresholds",
    "UndefinedMetricWarning",
    "Vocabulary",
    "comparison_evidence",
    "grouped_counts",
    "hookimpl",
    "judge",
    "rate_table",
]
