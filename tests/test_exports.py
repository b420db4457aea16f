"""The public API: both public namespaces pinned name by name, every name importable, none defined
outside equityaudit (httpx's tests/test_exported_members.py)."""

from __future__ import annotations

import importlib
import inspect
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import equityaudit
import equityaudit.plugin
from equityaudit.auditors.base import Auditor, AuditorExtras
from equityaudit.plugins import list_auditors

SRC = Path(equityaudit.__file__).parent

EQUITYAUDIT_NAMES = [
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

PLUGIN_NAMES = [
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

NAMESPACES = ("equityaudit", "equityaudit.plugin")

PUBLIC = [("equityaudit", name) for name in EQUITYAUDIT_NAMES if name != "__version__"] + [
    ("equityaudit.plugin", name) for name in PLUGIN_NAMES
]


def test_equityaudit_names_are_pinned() -> None:
    assert equityaudit.__all__ == EQUITYAUDIT_NAMES


def test_plugin_names_are_pinned() -> None:
    assert equityaudit.plugin.__all__ == PLUGIN_NAMES


def test_lazy_exports_match_all() -> None:
    """``equityaudit`` imports its names on first use: each in ``__all__`` has a home to come from."""
    assert set(equityaudit._EXPORTS) == set(equityaudit.__all__) - {"__version__"}
    assert dir(equityaudit) == equityaudit.__all__


def test_version_is_the_package_version() -> None:
    from importlib.metadata import version

    assert equityaudit.__version__ == version("equityaudit")


def _home(obj: Any, name: str, namespace: str) -> ModuleType:
    """The module under equityaudit that defines ``obj`` and lists it in its ``__all__``.

    A class or function says where it was defined (``__module__``); a constant, a type alias or a
    marker instance is found by identity in the modules equityaudit has imported.
    """
    if inspect.isclass(obj) or inspect.isfunction(obj):
        return sys.modules[obj.__module__]
    homes = [
        module
        for module_name, module in list(sys.modules.items())
        if module_name.startswith("equityaudit.")
        and module_name not in NAMESPACES
        and name in getattr(module, "__all__", ())
        and getattr(module, name, None) is obj
    ]
    assert homes, f"{namespace}.{name} is defined in no equityaudit module that exports it"
    return homes[0]


@pytest.mark.parametrize(("namespace", "name"), PUBLIC, ids=[f"{ns}.{n}" for ns, n in PUBLIC])
def test_public_name_is_importable_and_defined_in_equityaudit(namespace: str, name: str) -> None:
    scope: dict[str, Any] = {}
    exec(f"from {namespace} import {name}", scope)  # the import a user or plugin author writes
    obj = scope[name]
    assert obj is getattr(importlib.import_module(namespace), name)
    home = _home(obj, name, namespace)
    assert home.__name__.startswith("equityaudit."), f"{name} comes from {home.__name__}"
    assert home.__name__ not in NAMESPACES, f"{home.__name__} implements {name}: it should only re-export it"
    assert name in home.__all__, f"{home.__name__} does not list {name} in its __all__"


def test_names_in_both_namespaces_are_the_same_objects() -> None:
    for name in set(EQUITYAUDIT_NAMES) & set(PLUGIN_NAMES):
        assert getattr(equityaudit, name) is getattr(equityaudit.plugin, name), name


def test_every_optional_auditor_method_the_engine_looks_up_is_declared() -> None:
    """Whatever ``getattr(auditor, "…")`` fetches anywhere in the package is on AuditorExtras."""
    looked_up = {
        match
        for path in SRC.rglob("*.py")
        for match in re.findall(r"getattr\(\s*auditor\s*,\s*[\"'](\w+)[\"']", path.read_text())
    }
    assert looked_up == {"check_spec", "option_columns"}
    assert looked_up == _methods(AuditorExtras)
    assert not looked_up & _methods(Auditor)


def _methods(protocol: type) -> set[str]:
    return {name for name, _ in inspect.getmembers(protocol, inspect.isfunction) if not name.startswith("_")}


def _parameters(function: Any) -> list[tuple[str, Any]]:
    return [(p.name, p.kind) for p in inspect.signature(function).parameters.values()]


@pytest.mark.parametrize("name", ["chatbot", "decisions", "hiring", "marketing"])
def test_builtin_auditors_keep_the_contract(name: str) -> None:
    auditor, _ = list_auditors()[name]
    assert isinstance(auditor, Auditor)
    for method in ("check_spec", "option_columns"):
        if hasattr(auditor, method):
            assert _parameters(getattr(type(auditor), method)) == _parameters(getattr(AuditorExtras, method))
