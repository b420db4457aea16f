"""Renderers: reports drawn from a stored AuditResult alone, never recomputing a number."""

from __future__ import annotations

from equityaudit.report.formats import MARKER, ReportFile, ReportFormat
from equityaudit.report.writer import write_reports

__all__ = ["MARKER", "ReportFile", "ReportFormat", "write_reports"]
