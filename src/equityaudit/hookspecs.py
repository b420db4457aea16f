"""The hooks an equityaudit plugin implements (pluggy project name ``equityaudit``).

A plugin is a module or object registered under the entry-point group
``equityaudit.auditors``; it implements any of these hooks with :data:`hookimpl`::

    # my_auditor.py, registered as:
    # [project.entry-points."equityaudit.auditors"]
    # my_auditor = "my_auditor"
    from equityaudit import hookimpl

    @hookimpl
    def equityaudit_auditors():
        return [MyAuditor()]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from equityaudit.auditors.base import Auditor

__all__ = ["PROJECT_NAME", "hookimpl", "hookspec"]

PROJECT_NAME = "equityaudit"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def equityaudit_auditors() -> list[Auditor]:  # type: ignore[empty-body]
    """Return the auditors this plugin provides.

    Each must satisfy :class:`equityaudit.auditors.base.Auditor`: a unique ``name``, a one-line
    ``summary``, the column ``roles`` it needs, an ``options_model``, ``expectations(spec)`` for
    the quality gate, and ``run(frame, spec, context)``.
    """
