"""The one pluggy PluginManager: built-in and third-party auditors and report formats, registered alike.

Built-in auditors and report formats are ordinary plugins listed in :data:`BUILTIN_PLUGINS` and
declared as entry points in equityaudit's own package metadata; third-party packages add theirs to
the same entry-point group, ``equityaudit.auditors``. Setting ``EQUITYAUDIT_NO_ENTRYPOINTS=1`` loads
only the built-ins (the test suite does, so installed plugins cannot change its results).
"""

from __future__ import annotations

import functools
import importlib
import os
from typing import TYPE_CHECKING

import pluggy

from equityaudit import hookspecs
from equityaudit.errors import PluginError, did_you_mean

if TYPE_CHECKING:
    from equityaudit.auditors.base import Auditor
    from equityaudit.report.formats import ReportFormat

__all__ = [
    "BUILTIN_PLUGINS",
    "ENTRY_POINT_GROUP",
    "get_auditor",
    "get_format",
    "list_auditors",
    "list_formats",
    "plugin_manager",
]

ENTRY_POINT_GROUP = "equityaudit.auditors"

BUILTIN_PLUGINS = {
    "decisions": "equityaudit.auditors.decisions",
    "hiring": "equityaudit.auditors.hiring",
    "chatbot": "equityaudit.auditors.chatbot",
    "marketing": "equityaudit.auditors.marketing",
    "report-formats": "equityaudit.report.builtin_formats",
}
"""Entry-point name → module of the auditors and report formats that ship with equityaudit."""


@functools.cache
def plugin_manager() -> pluggy.PluginManager:
    """The process-wide manager, with built-ins and (unless disabled) installed plugins."""
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    for name, module in BUILTIN_PLUGINS.items():
        manager.register(importlib.import_module(module), name=name)
    if not os.environ.get("EQUITYAUDIT_NO_ENTRYPOINTS"):
        try:
            manager.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        except Exception as exc:  # a broken third-party package: say which, and how to get past it
            raise PluginError(
                f"an installed plugin in entry-point group {ENTRY_POINT_GROUP!r} failed to load: "
                f"{type(exc).__name__}: {exc}. Uninstall or fix it, or set "
                "EQUITYAUDIT_NO_ENTRYPOINTS=1 to use only the built-in auditors."
            ) from exc
    return manager


def list_auditors() -> dict[str, tuple[Auditor, str]]:
    """Every registered auditor by name, with the plugin that provides it."""
    manager = plugin_manager()
    found: dict[str, tuple[Auditor, str]] = {}
    for impl in manager.hook.equityaudit_auditors.get_hookimpls():
        plugin_name = manager.get_name(impl.plugin) or repr(impl.plugin)
        provided: list[Auditor] = impl.function()  # type: ignore[assignment]  # pluggy types it as object
        for auditor in provided:
            if auditor.name in found:
                raise PluginError(
                    f"two plugins provide an auditor named {auditor.name!r}: "
                    f"{found[auditor.name][1]!r} and {plugin_name!r}. Uninstall one of them."
                )
            found[auditor.name] = (auditor, plugin_name)
    return dict(sorted(found.items()))


def get_auditor(name: str) -> Auditor:
    """The auditor registered as ``name``.

    Examples
    --------
    >>> get_auditor("hiring").name
    'hiring'
    """
    auditors = list_auditors()
    if name not in auditors:
        raise PluginError(
            f"unknown auditor {name!r}. {did_you_mean(name, auditors)} "
            "Run 'equityaudit auditors' to list the installed ones."
        )
    return auditors[name][0]


def list_formats() -> dict[str, tuple[ReportFormat, str]]:
    """Every registered report format by name, with the plugin that provides it.

    In registration order: the built-ins (json, md, html, junit, ll144), then other plugins'.

    Examples
    --------
    >>> list(list_formats())
    ['json', 'md', 'html', 'junit', 'll144']
    """
    manager = plugin_manager()
    found: dict[str, tuple[ReportFormat, str]] = {}
    suffixes: dict[str, str] = {}
    for impl in manager.hook.equityaudit_report_formats.get_hookimpls():
        plugin_name = manager.get_name(impl.plugin) or repr(impl.plugin)
        provided: list[ReportFormat] = impl.function()  # type: ignore[assignment]  # pluggy types it as object
        for fmt in provided:
            if fmt.name in found:
                raise PluginError(
                    f"two plugins provide a report format named {fmt.name!r}: "
                    f"{found[fmt.name][1]!r} and {plugin_name!r}. Uninstall one of them."
                )
            for file in fmt.files:
                if file.suffix in suffixes:
                    raise PluginError(
                        f"report formats {suffixes[file.suffix]!r} and {fmt.name!r} (plugin {plugin_name!r}) "
                        f"both write files ending {file.suffix!r}; one would overwrite the other. "
                        "Uninstall one of them."
                    )
                suffixes[file.suffix] = fmt.name
            found[fmt.name] = (fmt, plugin_name)
    return found


def get_format(name: str) -> ReportFormat:
    """The report format registered as ``name``.

    Examples
    --------
    >>> [file.suffix for file in get_format("ll144").files]
    ['.ll144.md', '.ll144.csv', '.ll144.html']
    """
    formats = list_formats()
    if name not in formats:
        raise PluginError(
            f"unknown report format {name!r}. {did_you_mean(name, formats)} "
            "Run 'equityaudit formats' to list the installed ones."
        )
    return formats[name][0]
