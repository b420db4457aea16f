"""The one pluggy PluginManager: built-in auditors and third-party ones, registered alike.

Built-in auditors are ordinary plugins listed in :data:`BUILTIN_PLUGINS` and declared as entry
points in equityaudit's own package metadata; third-party packages add theirs to the same
entry-point group, ``equityaudit.auditors``. Setting ``EQUITYAUDIT_NO_ENTRYPOINTS=1`` loads
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

__all__ = ["BUILTIN_PLUGINS", "ENTRY_POINT_GROUP", "get_auditor", "list_auditors", "plugin_manager"]

ENTRY_POINT_GROUP = "equityaudit.auditors"

BUILTIN_PLUGINS = {
    "decisions": "equityaudit.auditors.decisions",
    "hiring": "equityaudit.auditors.hiring",
    "chatbot": "equityaudit.auditors.chatbot",
    "marketing": "equityaudit.auditors.marketing",
}
"""Entry-point name → module of the auditors that ship with equityaudit."""


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
