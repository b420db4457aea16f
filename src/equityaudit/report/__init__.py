"""Renderers: reports drawn from a stored AuditResult alone, never recomputing a number."""

from __future__ import annotations

from equityaudit.report.writer import FORMATS, MARKER, write_reports

__all__ = ["FORMATS", "MARKER", "write_reports"]
