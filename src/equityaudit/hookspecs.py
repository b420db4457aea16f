"""The hooks an equityaudit plugin implements (pluggy project name ``equityaudit``).

A plugin is a module or object registered under the entry-point group
``equityaudit.auditors``; it implements any of these hooks with :data:`hookimpl`::

    # my_auditor.py, registered as:
    # [project.entry-points."equityaudit.auditors"]
    # my_auditor = "my_auditor"
    from equityaudit import hookimpl
    from equityaudit.report import ReportFile, ReportFormat

    @hookimpl
    def equityaudit_auditors():
        return [MyAuditor()]

    @hookimpl
    def equityaudit_report_formats():
        return [ReportFormat(name="pdf", title="PDF report", files=(ReportFile(".pdf", render_pdf),))]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from equityaudit.auditors.base import Auditor
    from equityaudit.report.formats import ReportFormat

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


@hookspec
def equityaudit_report_formats() -> list[ReportFormat]:  # type: ignore[empty-body]
    """Return the report formats this plugin provides.

    Each is a :class:`equityaudit.report.ReportFormat`: a ``name`` that ``--format`` takes, unique
    among the registered formats; a ``title``; its ``files``, each a
    :class:`equityaudit.report.ReportFile` with a ``suffix`` (the file is ``<audit name><suffix>``)
    and a ``render(result)`` returning ``str`` or ``bytes``; whether ``equityaudit run`` writes it
    by ``default``; and optionally ``reason_to_skip(result)``. The built-in formats are provided
    through this hook too (:mod:`equityaudit.report.builtin_formats`).
    """
