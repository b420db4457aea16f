"""The Markdown report: the marketing auditor's offer and proxy tables, and p-values as messages print them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import equityaudit as ea
from equityaudit.report.html import render_html
from equityaudit.report.markdown import render_markdown
from equityaudit.results import AuditResult

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def marketing() -> AuditResult:
    return ea.run(ROOT / "audits" / "marketing.yaml")


@pytest.fixture(scope="module")
def context(marketing: AuditResult) -> dict[str, Any]:
    """The marketing context as the stored JSON holds it."""
    marketing_context: dict[str, Any] = json.loads(marketing.to_json())["context"]["marketing"]
    return marketing_context


def _table_under(markdown: str, heading: str) -> list[list[str]]:
    """The rows (cells stripped) of the first Markdown table after ``### heading``."""
    section = markdown.split(f"### {heading}\n", 1)[1]
    lines = [line for line in section.split("\n\n", 2)[1].splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split(" | ")] for line in lines[2:]]


WORDS = {
    "fail": "fail",
    "warn": "warning",
    "inconclusive": "inconclusive",
    "insufficient_data": "insufficient data",
    "pass": "pass",
}
"""How the offer table's status column words each finding status."""


def test_offer_tables_show_the_contexts_numbers(marketing: AuditResult, context: dict[str, Any]) -> None:
    markdown = render_markdown(marketing)
    assert "## Offer value by group" in markdown
    column = context["offer"]["column"]
    tables = context["offer"]["tables"]
    assert set(tables) == {"offer:sex", "offer:race_ethnicity"}
    for name, table in tables.items():
        (attribute,) = table["by"]
        rows = {row[0]: row for row in _table_under(markdown, f"Mean and median {column} by {attribute}")}
        assert len(rows) == len(table["rows"])
        for row in table["rows"]:
            cells = rows[row["group"][attribute]]
            assert cells[1] == f"{row['n']:,}"
            assert cells[2] == f"{row['mean']:.4g}"  # four significant digits, as the finding's message
            assert cells[3] == f"{row['mean_ci_low']:.4g}–{row['mean_ci_high']:.4g}"
            assert cells[4] == f"{row['median']:.4g}"
            assert cells[6] == f"{row['mean_ratio']:.3f}"
            assert cells[8] == ("—" if row["p_value"] is None else f"{row['p_value']:.3g}")
            finding = next(
                (f for f in marketing.findings if f.table == name and f.group == row["group"]), None
            )
            if row["reference"]:
                assert cells[10] == "reference"
            elif finding is not None:
                assert cells[9] == f"{finding.p_adjusted:.3g}"
                assert cells[10] == WORDS[finding.status]
    # Black's mean discount: 6.521 against Asian's 8.915, ratio 0.731 (the failing finding's numbers).
    black = next(r for r in tables["offer:race_ethnicity"]["rows"] if r["group"]["race_ethnicity"] == "Black")
    assert f"Black {black['mean']:.4g} (fail, ratio {black['mean_ratio']:.3f})" in markdown
    # The BISG-weighted means of the estimated attribute, reported without a judgement.
    estimated = context["estimated"]["race_ethnicity_bisg"]
    rows = {
        row[0]: row
        for row in _table_under(
            markdown,
            f"Mean {column} by race_ethnicity_bisg (estimated, weighted by membership probabilities)",
        )
    }
    assert {category: cells[2] for category, cells in rows.items()} == {
        category: f"{mean:.4g}" for category, mean in estimated["offer_mean"].items()
    }
    assert rows["White"][1] == f"{estimated['weighted_counts']['White']:,.1f}"


def test_proxy_rankings_show_the_contexts_numbers(marketing: AuditResult, context: dict[str, Any]) -> None:
    markdown = render_markdown(marketing)
    assert "## Proxies: how well each feature reveals a group" in markdown
    for attribute in ("race_ethnicity", "sex"):
        facts = context["proxies"][attribute]
        rows = _table_under(markdown, f"Features that reveal {attribute}, strongest first")
        ranking = facts["ranking"]
        assert [row[1] for row in rows[:-1]] == [entry["feature"] for entry in ranking]
        for rank, (row, entry) in enumerate(zip(rows, ranking, strict=False), start=1):
            assert row[0] == str(rank)
            assert row[3] == f"{entry['auc']:.3f}"
            measure = (
                f"Cramér's V {entry['cramers_v']:.3f}"
                if "cramers_v" in entry
                else f"η {entry['correlation_ratio']:.3f}"
            )
            assert row[4] == measure
            assert row[5] == f"{entry['nmi']:.3f}"
        together = rows[-1]
        assert together[1] == f"all {len(facts['all_features']['features'])} features together"
        assert together[3] == f"{facts['all_features']['auc']:.3f}"
    aucs = [entry["auc"] for entry in context["proxies"]["race_ethnicity"]["ranking"]]
    assert aucs == sorted(aucs, reverse=True)  # ranked, strongest first
    top = context["proxies"]["race_ethnicity"]["ranking"][0]
    assert top["feature"] == "postcode" and top["status"] == "fail"  # the dataset's injected proxy
    assert (
        f"postcode predicts race_ethnicity best, with a cross-validated AUC of {top['auc']:.3f} (fail)"
        in markdown
    )


def test_small_p_values_read_as_the_messages_print_them(marketing: AuditResult) -> None:
    markdown = render_markdown(marketing)
    finding = next(
        f for f in marketing.findings if f.id == "segment premium by race_ethnicity/inclusion_rate/Black"
    )
    assert finding.p_adjusted is not None and finding.p_adjusted < 1e-4
    printed = f"{finding.p_adjusted:.3g}"  # 6.71e-10
    assert printed in finding.message
    (line,) = [
        line for line in markdown.splitlines() if line.startswith("| FAIL |") and finding.message in line
    ]
    assert f"| {printed} |" in line
    assert "| 0.0000 |" not in markdown
    # Every adjusted p of the findings table has the message's three significant digits.
    for f in marketing.findings:
        if f.p_adjusted is not None and f.message in markdown:
            assert re.search(rf"\| {re.escape(f'{f.p_adjusted:.3g}')} \| {re.escape(f.message)}", markdown)


def test_html_shows_the_offer_and_proxy_tables(marketing: AuditResult, context: dict[str, Any]) -> None:
    page = render_html(marketing)
    for section in ('id="offer"', 'id="proxies"', 'href="#offer"', 'href="#proxies"'):
        assert section in page
    data = page.split('<section id="data"', 1)[1].split("</section>", 1)[0]
    assert "mean_ci_high" not in data and "ranking" not in data  # no longer dumped on one line
    postcode = context["proxies"]["race_ethnicity"]["ranking"][0]
    assert (
        f'<th scope="row">1</th><td>postcode</td><td>categorical</td><td class="num">{postcode["auc"]:.3f}</td>'
        in page
    )
    black = next(
        r
        for r in context["offer"]["tables"]["offer:race_ethnicity"]["rows"]
        if r["group"]["race_ethnicity"] == "Black"
    )
    assert (
        f'<th scope="row">Black</th><td class="num">{black["n"]:,}</td><td class="num">{black["mean"]:.4g}</td>'
        in page
    )


def test_a_missing_value_among_a_checks_examples_reads_missing(marketing: AuditResult) -> None:
    # the unknown-share check of 'sex' finds 113 empty cells (datasets/marketing.csv): its example
    # value is null in the result, and the gate table says "(missing)", never a literal None
    check = next(
        c
        for c in marketing.gate.checks
        if c.column == "sex" and c.unexpected_values and None in c.unexpected_values
    )
    markdown = render_markdown(marketing)
    rows = [
        line
        for line in markdown.splitlines()
        if line.startswith("| pass |") and f"| {check.name} | sex |" in line
    ]
    assert rows and all("| (missing) |" in row for row in rows)
    assert "| None |" not in markdown
    html = render_html(marketing)
    assert "(missing)" in html
