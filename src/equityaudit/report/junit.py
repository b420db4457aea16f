"""JUnit XML: one test suite per audit, one test case per finding, failures carrying the message.

Every attribute and text from the result goes through
:func:`~equityaudit.report.escaping.xml_text` (ElementTree escapes markup; that drops what XML
cannot hold). CI systems (GitHub Actions reporters, GitLab, Jenkins) show each finding as a test: ``fail``
findings are failures, ``warn`` findings are failures too under ``--fail-on warn`` and otherwise
pass with the message in ``system-out``, ``inconclusive`` and ``insufficient_data`` findings are
skipped with the reason (the data could not decide them), and every failed quality-gate check of a
blocked audit is an error.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Literal

from equityaudit.report.escaping import xml_text as _x
from equityaudit.results import AuditResult

__all__ = ["render_junit"]


def _seconds(result: AuditResult) -> str:
    return f"{max((result.finished_at - result.started_at).total_seconds(), 0.0):.3f}"


def render_junit(results: Sequence[AuditResult], *, fail_on: Literal["fail", "warn"] = "fail") -> str:
    """JUnit XML for one or more results (a ``testsuites`` document)."""
    root = ET.Element("testsuites", name="equityaudit")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for result in results:
        suite = ET.SubElement(
            root,
            "testsuite",
            name=_x(result.audit.name),
            timestamp=result.started_at.isoformat(),
            time=_seconds(result),
        )
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        properties = ET.SubElement(suite, "properties")
        for key, value in (
            ("auditor", result.audit.auditor),
            ("verdict", result.verdict),
            ("data", result.data.source),
            ("result_sha256", result.sha256),
            *((f"groups.{named.column}", named.description) for named in result.data.groups),
        ):
            ET.SubElement(properties, "property", name=_x(key), value=_x(value))
        for check in result.gate.checks:
            if check.passed:
                continue
            case = ET.SubElement(
                suite,
                "testcase",
                classname=_x(f"{result.audit.name}.gate"),
                name=_x(f"{check.name}[{check.column or 'table'}]"),
                time="0",
            )
            counts["tests"] += 1
            if result.verdict == "blocked":
                ET.SubElement(case, "error", message=_x(check.message), type="blocked").text = _x(
                    check.message
                )
                counts["errors"] += 1
            else:
                ET.SubElement(case, "system-out").text = _x(
                    f"gate check failed (--gate warn): {check.message}"
                )
        for finding in result.findings:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=_x(f"{result.audit.name}.{finding.table}"),
                name=_x(finding.id),
                time="0",
            )
            counts["tests"] += 1
            if finding.status == "fail" or (finding.status == "warn" and fail_on == "warn"):
                ET.SubElement(
                    case, "failure", message=_x(finding.message), type=_x(finding.status)
                ).text = _x(finding.message)
                counts["failures"] += 1
            elif finding.status in ("inconclusive", "insufficient_data"):
                ET.SubElement(case, "skipped", message=_x(finding.message))
                counts["skipped"] += 1
            elif finding.status == "warn":
                ET.SubElement(case, "system-out").text = _x(f"warning: {finding.message}")
        for key, count in counts.items():
            suite.set(key, str(count))
            totals[key] += count
    for key, total in totals.items():
        root.set(key, str(total))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
