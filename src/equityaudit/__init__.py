"""equityaudit: audit automated decisions for demographic bias.

The public API is re-exported here and imported lazily on first use, so that the command line
starts fast (``equityaudit --help`` imports no dataframe library).

Examples
--------
>>> import equityaudit as ea
>>> result = ea.run("audits/hiring.yaml")
>>> result.verdict in {"pass", "warn", "fail", "blocked"}
True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from equityaudit.version import __version__

if TYPE_CHECKING:
    from equityaudit.auditors.base import AuditContext, Auditor, AuditorOutput
    from equityaudit.engine import audit, check_spec, run, run_spec
    from equityaudit.errors import (
        ColumnNotFoundError,
        DataError,
        EquityAuditError,
        ExitCode,
        MissingExtraError,
        OutputError,
        PluginError,
        ResultError,
        SpecError,
        UndefinedMetricWarning,
    )
    from equityaudit.hookspecs import hookimpl
    from equityaudit.plugins import get_auditor, list_auditors
    from equityaudit.results import AuditResult, Check, Finding, Gate, Table, read_result
    from equityaudit.spec import AuditSpec, load_spec
    from equityaudit.synthetic.hiring import make_hiring

_EXPORTS = {
    "AuditContext": "equityaudit.auditors.base",
    "AuditResult": "equityaudit.results",
    "AuditSpec": "equityaudit.spec",
    "Auditor": "equityaudit.auditors.base",
    "AuditorOutput": "equityaudit.auditors.base",
    "Check": "equityaudit.results",
    "ColumnNotFoundError": "equityaudit.errors",
    "DataError": "equityaudit.errors",
    "EquityAuditError": "equityaudit.errors",
    "ExitCode": "equityaudit.errors",
    "Finding": "equityaudit.results",
    "Gate": "equityaudit.results",
    "MissingExtraError": "equityaudit.errors",
    "OutputError": "equityaudit.errors",
    "PluginError": "equityaudit.errors",
    "ResultError": "equityaudit.errors",
    "SpecError": "equityaudit.errors",
    "Table": "equityaudit.results",
    "UndefinedMetricWarning": "equityaudit.errors",
    "audit": "equityaudit.engine",
    "check_spec": "equityaudit.engine",
    "get_auditor": "equityaudit.plugins",
    "hookimpl": "equityaudit.hookspecs",
    "list_auditors": "equityaudit.plugins",
    "load_spec": "equityaudit.spec",
    "make_hiring": "equityaudit.synthetic.hiring",
    "read_result": "equityaudit.results",
    "run": "equityaudit.engine",
    "run_spec": "equityaudit.engine",
}

__all__ = [
    "AuditContext",
    "AuditResult",
    "AuditSpec",
    "Auditor",
    "AuditorOutput",
    "Check",
    "ColumnNotFoundError",
    "DataError",
    "EquityAuditError",
    "ExitCode",
    "Finding",
    "Gate",
    "MissingExtraError",
    "OutputError",
    "PluginError",
    "ResultError",
    "SpecError",
    "Table",
    "UndefinedMetricWarning",
    "__version__",
    "audit",
    "check_spec",
    "get_auditor",
    "hookimpl",
    "list_auditors",
    "load_spec",
    "make_hiring",
    "read_result",
    "run",
    "run_spec",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'equityaudit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
