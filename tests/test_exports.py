"""The public API: a pinned list, every name importable."""

from __future__ import annotations

import equityaudit


def test_public_names_are_pinned() -> None:
    assert equityaudit.__all__ == [
        "AuditContext", "AuditResult", "AuditSpec", "Auditor", "AuditorOutput", "Check",
        "ColumnNotFoundError", "DataError", "EquityAuditError", "ExitCode", "Finding", "Gate",
        "MissingExtraError", "OutputError", "PluginError", "ResultError", "SpecError", "Table", "UndefinedMetricWarning", "__version__",
        "audit", "check_spec", "get_auditor", "hookimpl", "list_auditors", "load_spec", "make_hiring",
        "read_result", "run", "run_spec",
    ]  # fmt: skip


def test_every_public_name_resolves() -> None:
    for name in equityaudit.__all__:
        assert getattr(equityaudit, name) is not None


def test_error_tree() -> None:
    assert issubclass(equityaudit.SpecError, ValueError)
    assert issubclass(equityaudit.ColumnNotFoundError, KeyError)
    assert issubclass(equityaudit.ColumnNotFoundError, equityaudit.DataError)
    assert issubclass(equityaudit.OutputError, OSError)
    assert [int(code) for code in equityaudit.ExitCode] == [0, 1, 2, 3, 4]
