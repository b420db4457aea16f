"""The report formats that ship with equityaudit (json, md, html, junit, ll144), provided as a plugin.

This module is registered with the plugin manager exactly as a third-party plugin is (see
:data:`equityaudit.plugins.BUILTIN_PLUGINS`), so a format added from outside is a peer of these.
Each renderer is imported only when its file is written, so listing the formats stays cheap.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from equityaudit.hookspecs import hookimpl
from equityaudit.report.formats import MARKER, ReportFile, ReportFormat

if TYPE_CHECKING:
    from equityaudit.results import AuditResult

__all__ = ["equityaudit_report_formats"]

_LL144_CSV_COLUMNS_0_1 = (
    "audit_name", "audit_date", "distribution_date", "data_kind", "data_period_start", "data_period_end",
    "table", "category", "applicants", "selected", "rate_type", "rate", "impact_ratio",
    "included_in_impact_ratios", "note",
)  # fmt: skip
"""The LL144 CSV header before the data source columns were appended: still ours to replace."""


def _result_json(result: AuditResult) -> str:
    return result.to_json(indent=2) + "\n"


def _is_result_json(text: str) -> bool:
    """Whether the text is an equityaudit result (any schema version)."""
    try:
        payload = json.loads(text)
    except json.JSONDecodeError:
        return False
    return isinstance(payload, dict) and str(payload.get("schema", "")).startswith("equityaudit.result/")


def _markdown(result: AuditResult) -> str:
    from equityaudit.report.markdown import render_markdown

    return render_markdown(result, marker=MARKER)


def _html(result: AuditResult) -> str:
    from equityaudit.report.html import render_html

    return render_html(result, marker=MARKER)


def _junit(result: AuditResult) -> str:
    from equityaudit.report.junit import render_junit

    return render_junit([result]).replace("?>\n", f"?>\n{MARKER}\n", 1)


def _ll144_markdown(result: AuditResult) -> str:
    from equityaudit.report.ll144 import render_ll144_markdown

    return render_ll144_markdown(result, marker=MARKER)


def _ll144_csv(result: AuditResult) -> str:
    from equityaudit.report.ll144 import render_ll144_csv

    return render_ll144_csv(result)


def _ll144_html(result: AuditResult) -> str:
    from equityaudit.report.ll144 import render_ll144_html

    return render_ll144_html(result, marker=MARKER)


def _is_ll144_csv(text: str) -> bool:
    """Whether the text is an LL144 CSV equityaudit wrote, in this layout or the earlier one."""
    from equityaudit.report.ll144 import LL144_CSV_COLUMNS

    header = text.split("\n", 1)[0].rstrip("\r")
    return header in (",".join(LL144_CSV_COLUMNS), ",".join(_LL144_CSV_COLUMNS_0_1))


def _not_a_hiring_audit(result: AuditResult) -> str | None:
    if "ll144" in result.context:
        return None
    return f"{result.audit.name} is a {result.audit.auditor} audit, not a hiring audit"


@hookimpl
def equityaudit_report_formats() -> list[ReportFormat]:
    """The built-in formats, in the order ``--format`` lists them."""
    return [
        ReportFormat(
            name="json",
            title="result JSON",
            files=(ReportFile(".json", _result_json, owned=_is_result_json),),
        ),
        ReportFormat(name="md", title="Markdown report", files=(ReportFile(".md", _markdown),), default=True),
        ReportFormat(name="html", title="HTML report", files=(ReportFile(".html", _html),)),
        ReportFormat(name="junit", title="JUnit XML report", files=(ReportFile(".junit.xml", _junit),)),
        ReportFormat(
            name="ll144",
            title="LL144 summary",
            files=(
                ReportFile(".ll144.md", _ll144_markdown),
                ReportFile(".ll144.csv", _ll144_csv, owned=_is_ll144_csv),
                ReportFile(".ll144.html", _ll144_html),
            ),
            reason_to_skip=_not_a_hiring_audit,
        ),
    ]
