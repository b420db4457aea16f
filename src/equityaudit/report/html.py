"""The self-contained HTML report of an AuditResult: the page assembled from its parts with Jinja.

One file, no request leaving the page (no CDN, web font or image URL), readable on a phone and
printable; a Content-Security-Policy (:data:`CONTENT_SECURITY_POLICY`) forbids every request and
every script but the page's own print script, whatever the result's text holds. Everything shown comes from the :class:`~equityaudit.results.AuditResult`: the report
picks values out of it, formats them and lays out the charts; it never recomputes a statistic.

This module gathers the page's parts — the charts (:mod:`~equityaudit.report.charts`), the
finding cards (:mod:`~equityaudit.report.findings`), the full data tables
(:mod:`~equityaudit.report.tables`) and the explanations (:mod:`~equityaudit.report.prose`) — into
one view, and renders it with the Jinja2 template ``templates/report.html.j2`` (autoescaped),
whose SVG is drawn by the macros of ``templates/_charts.html.j2``.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from functools import cache
from typing import Any

import jinja2
import markupsafe

from equityaudit.report.charts import funnel_views, primary_view
from equityaudit.report.context_tables import context_tables
from equityaudit.report.findings import (
    DISPLAY_ORDER,
    STATUS_ICON,
    STATUS_LABEL,
    VERDICT_LABEL,
    FindingLookup,
    finding_view,
)
from equityaudit.report.formatting import (
    fmt_count,
    fmt_examples,
    fmt_p,
    fmt_pct,
    fmt_pct_range,
    fmt_plain,
    fmt_points,
    fmt_points_range,
    fmt_ratio,
    fmt_ratio_range,
)
from equityaudit.report.owner_summary import owner_summary
from equityaudit.report.prose import findings_intro, method_lines, threshold_lines
from equityaudit.report.sweep_chart import sweep_charts
from equityaudit.report.tables import cell, count_rank, is_counterfactual, table_layout
from equityaudit.report.titles import by_text, group_label
from equityaudit.report.vocabulary import in_results_words, metric_label
from equityaudit.results import AuditResult

__all__ = ["CONTENT_SECURITY_POLICY", "PRINT_SCRIPT", "render_html"]

PRINT_SCRIPT = (
    'addEventListener("beforeprint",function(){document.querySelectorAll("details")'
    ".forEach(function(d){d.open=true})});"
)
"""The page's one script: opens every folded table before printing (CSS cannot open a
``<details>``). The Content-Security-Policy allows it by its hash, and no other script."""

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; "
    f"script-src 'sha256-{base64.b64encode(hashlib.sha256(PRINT_SCRIPT.encode()).digest()).decode()}'; "
    "style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
)
"""The HTML report's policy, in a ``<meta http-equiv>`` tag: nothing loads from anywhere (no
request leaves the page), no script runs but :data:`PRINT_SCRIPT`, styles only inline (the page's
own ``<style>`` and the charts' ``style`` attributes), images only as ``data:`` URLs. Text from
the result is escaped by the template's autoescape besides; the policy is the second wall."""


def _view(result: AuditResult) -> dict[str, Any]:
    """Everything the template shows, picked out of the result and formatted."""
    findings = FindingLookup(result.findings)
    tables = {t.name: t for t in result.tables}
    primaries = [
        primary_view(i, table, findings)
        for i, table in enumerate(t for t in result.tables if ":" not in t.name)
    ]
    ordered = sorted(
        enumerate(result.findings),
        key=lambda item: (DISPLAY_ORDER.index(item[1].status), item[0]),
    )
    finding_views = [finding_view(i, f, tables) for i, f in ordered]
    by_status = {s: [v for v in finding_views if v.finding.status == s] for s in DISPLAY_ORDER}
    counts = {s: len(v) for s, v in by_status.items() if v}
    other_tables = [t for t in result.tables if ":" in t.name]
    small_groups = [v for v in finding_views if v.finding.status == "insufficient_data"]
    primary_tables = [t for t in result.tables if ":" not in t.name]
    # Notes of excluded rows (unknown or small categories) are summed up in their own bullets.
    row_notes = [
        (t, row) for t in primary_tables for row in t.rows if row.get("note") and not row.get("excluded")
    ]
    unknown_rows = [
        (t, row)
        for t in primary_tables
        if len(t.by) == 1
        for row in t.rows
        if row.get("excluded_reason") == "unknown"
    ]
    ll144 = result.context.get("ll144") if isinstance(result.context.get("ll144"), Mapping) else None
    corrected = sum(1 for f in result.findings if f.p_adjusted is not None)
    tables_of_context = context_tables(result)
    return {
        "result": result,
        "verdict_label": VERDICT_LABEL[result.verdict],
        "verdict_icon": STATUS_ICON["blocked" if result.verdict == "blocked" else result.verdict],
        "primaries": primaries,
        "funnels": funnel_views(result),
        "sweeps": sweep_charts(result.tables, result.notes),
        "by_status": by_status,
        "counts": counts,
        "other_tables": other_tables,
        "layouts": {t.name: table_layout(t) for t in result.tables},
        "count_tables": [
            (c, sorted({k for row in c.rows for k in row if k != "group"}, key=lambda k: (count_rank(k), k)))
            for c in result.counts
        ],
        "row_status": findings.row_status,
        "methods": method_lines(result.tables),
        "small_groups": small_groups,
        "row_notes": row_notes,
        "unknown_rows": unknown_rows,
        "ll144": ll144,
        "other_context": _other_context(result, tables_of_context),
        "context_tables": tables_of_context,
        "corrected": corrected,
        "failed_checks": [c for c in result.gate.checks if not c.passed],
        "thresholds": threshold_lines(result.findings),
        "findings_intro": findings_intro(result.findings),
        "owner_summary": owner_summary(result),
        "result_sha256": _sha256(result),
        "print_script": markupsafe.Markup(PRINT_SCRIPT),  # constants of this module, not text from a result
        "content_security_policy": markupsafe.Markup(CONTENT_SECURITY_POLICY),
    }


def _other_context(result: AuditResult, shown: Mapping[str, Any]) -> dict[str, Any]:
    """The context listed as it is in the Data section: all but LL144's facts and the tables
    shown in sections of their own (the marketing auditor's offer tables and proxy ranking)."""
    other = {k: v for k, v in result.context.items() if k != "ll144"}
    marketing = other.get("marketing")
    if isinstance(marketing, Mapping):
        drop = {"offer"} if "offer" in shown else set()
        drop |= {"proxies"} if "proxies" in shown else set()
        other["marketing"] = {k: v for k, v in marketing.items() if k not in drop}
        estimated = marketing.get("estimated")
        if "offer" in shown and isinstance(estimated, Mapping):  # weighted means: in the offer section
            other["marketing"]["estimated"] = {
                attribute: {k: v for k, v in facts.items() if k != "offer_mean"}
                if isinstance(facts, Mapping)
                else facts
                for attribute, facts in estimated.items()
            }
    return other


def _sha256(result: AuditResult) -> str | None:
    """The result's hash, or None when it holds a value canonical JSON refuses (NaN, say)."""
    try:
        return result.sha256
    except ValueError:
        return None


@cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("equityaudit.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters.update(
        pct=fmt_pct,
        pct_range=fmt_pct_range,
        ratio=fmt_ratio,
        ratio_range=fmt_ratio_range,
        points=fmt_points,
        points_range=fmt_points_range,
        p=fmt_p,
        count=fmt_count,
        plain=fmt_plain,
        examples=fmt_examples,
        group=group_label,
        metric_label=metric_label,
        by_text=by_text,
        split_by=lambda name: str(name).split("*"),
    )
    environment.globals.update(
        cell=cell,
        is_counterfactual=is_counterfactual,
        status_label=STATUS_LABEL,
        status_icon=STATUS_ICON,
        status_order=DISPLAY_ORDER,
        metric_label=metric_label,
    )
    return environment


@in_results_words
def render_html(result: AuditResult, *, marker: str = "") -> str:
    """The result as one self-contained HTML page (inline CSS and SVG; no external request).

    Parameters
    ----------
    result
        The audit result; every number on the page is taken from it.
    marker
        An HTML comment written right after the doctype (the report writer's ownership marker).

    Returns
    -------
    str
        The HTML document.

    Examples
    --------
    >>> import equityaudit as ea
    >>> page = render_html(ea.run("audits/hiring.yaml"))
    >>> page.startswith("<!DOCTYPE html>"), "Verdict" in page, "http://" in page
    (True, True, False)
    """
    page = _environment().get_template("report.html.j2").render(**_view(result))
    if marker:  # after the doctype, which must come first
        page = page.replace("<!DOCTYPE html>\n", f"<!DOCTYPE html>\n{marker}\n", 1)
    return page
