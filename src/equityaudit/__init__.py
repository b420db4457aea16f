"""equityaudit: audit automated decisions for demographic bias.

The public API is re-exported here and imported lazily on first use, so that the command line
starts fast (``equityaudit --help`` imports no dataframe library): running audits (:func:`audit`,
:func:`run`, :func:`run_spec`), specs, results and their parts, the errors and exit codes, the
installed auditors, the synthetic datasets, and the search for a less discriminatory alternative
to a model (:func:`lda_search`). Plugin authors import from
:mod:`equityaudit.plugin`; the plugin names also exported here (``Auditor``, ``AuditContext``,
``AuditorOutput``, ``hookimpl``) are the same objects.

The names in ``equityaudit.__all__`` and ``equityaudit.plugin.__all__`` follow semantic
versioning; every other module path is internal and may change without notice.

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
    from equityaudit.lda import LdaSearch, lda_search
    from equityaudit.plugins import get_auditor, list_auditors
    from equityaudit.results import (
        AuditResult,
        Check,
        CountsTable,
        Finding,
        Gate,
        Status,
        Table,
        Verdict,
        read_result,
    )
    from equityaudit.spec import AuditSpec
    from equityaudit.spec_loading import load_spec
    from equityaudit.synthetic.chatbot import make_chatbot
    from equityaudit.synthetic.hiring import make_hiring
    from equityaudit.synthetic.marketing import make_marketing

_EXPORTS = {
    "AuditContext": "equityaudit.auditors.base",
    "AuditResult": "equityaudit.results",
    "AuditSpec": "equityaudit.spec",
    "Auditor": "equityaudit.auditors.base",
    "AuditorOutput": "equityaudit.auditors.base",
    "Check": "equityaudit.results",
    "ColumnNotFoundError": "equityaudit.errors",
    "CountsTable": "equityaudit.results",
    "DataError": "equityaudit.errors",
    "EquityAuditError": "equityaudit.errors",
    "ExitCode": "equityaudit.errors",
    "Finding": "equityaudit.results",
    "Gate": "equityaudit.results",
    "LdaSearch": "equityaudit.lda",
    "MissingExtraError": "equityaudit.errors",
    "OutputError": "equityaudit.errors",
    "PluginError": "equityaudit.errors",
    "ResultError": "equityaudit.errors",
    "SpecError": "equityaudit.errors",
    "Status": "equityaudit.results",
    "Table": "equityaudit.results",
    "UndefinedMetricWarning": "equityaudit.errors",
    "Verdict": "equityaudit.results",
    "audit": "equityaudit.engine",
    "check_spec": "equityaudit.engine",
    "get_auditor": "equityaudit.plugins",
    "hookimpl": "equityaudit.hookspecs",
    "lda_search": "equityaudit.lda",
    "list_auditors": "equityaudit.plugins",
    "load_spec": "equityaudit.spec_loading",
    "make_chatbot": "equityaudit.synthetic.chatbot",
    "make_hiring": "equityaudit.synthetic.hiring",
    "make_marketing": "equityaudit.synthetic.marketing",
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
    "CountsTable",
    "DataError",
    "EquityAuditError",
    "ExitCode",
    "Finding",
    "Gate",
    "LdaSearch",
    "MissingExtraError",
    "OutputError",
    "PluginError",
    "ResultError",
    "SpecError",
    "Status",
    "Table",
    "UndefinedMetricWarning",
    "Verdict",
    "__version__",
    "audit",
    "check_spec",
    "get_auditor",
    "hookimpl",
    "lda_search",
    "list_auditors",
    "load_spec",
    "make_chatbot",
    "make_hiring",
    "make_marketing",
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
