"""The HTML report: self-contained, complete, well formed, faithful to the result's numbers."""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

import equityaudit as ea
from equityaudit.report.html import render_html
from equityaudit.results import AuditResult

ROOT = Path(__file__).resolve().parents[2]

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Node:
    """A parsed element: its tag, attributes, children and text."""

    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Node | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node] = []
        self.text: list[str] = []

    def iter(self, tag: str | None = None) -> list[Node]:
        found = [self] if tag is None or self.tag == tag else []
        for child in self.children:
            found += child.iter(tag)
        return found

    def all_text(self) -> str:
        return "".join(self.text) + "".join(c.all_text() for c in self.children)

    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())


class StrictTree(HTMLParser):
    """Build a tree and fail on any mismatched, unclosed or stray end tag."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.current = self.root
        self.doctype: str | None = None
        self.texts: list[str] = []

    def handle_decl(self, decl: str) -> None:
        assert self.current is self.root and not self.root.children, "doctype must come first"
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs), self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.current.children.append(Node(tag, dict(attrs), self.current))

    def handle_endtag(self, tag: str) -> None:
        assert tag not in VOID, f"end tag for void element <{tag}>"
        assert self.current.tag == tag, f"</{tag}> closes <{self.current.tag}>"
        assert self.current.parent is not None
        self.current = self.current.parent

    def handle_data(self, data: str) -> None:
        self.current.text.append(data)
        self.texts.append(data)


def parse(page: str) -> StrictTree:
    tree = StrictTree()
    tree.feed(page)
    tree.close()
    assert tree.current is tree.root, f"unclosed <{tree.current.tag}>"
    return tree


@pytest.fixture(scope="module")
def hiring() -> AuditResult:
    return ea.run(ROOT / "audits" / "hiring.yaml")


@pytest.fixture(scope="module")
def decisions() -> AuditResult:
    return ea.run(ROOT / "audits" / "screening-errors.yaml")


@pytest.fixture(scope="module")
def marketing() -> AuditResult:
    return ea.run(ROOT / "audits" / "marketing.yaml")


@pytest.fixture(scope="module", params=["hiring", "decisions", "marketing"])
def rendered(request: pytest.FixtureRequest) -> tuple[AuditResult, str, StrictTree]:
    result: AuditResult = request.getfixturevalue(request.param)
    page = render_html(result)
    return result, page, parse(page)


def test_document_is_well_formed(rendered: tuple[AuditResult, str, StrictTree]) -> None:
    _, page, tree = rendered
    assert page.startswith("<!DOCTYPE html>")
    assert tree.doctype == "DOCTYPE html"
    (html,) = tree.root.iter("html")
    assert html.attrs["lang"] == "en"
    assert len(tree.root.iter("h1")) == 1
    ids = [n.attrs["id"] for n in tree.root.iter() if n.attrs.get("id")]
    assert len(ids) == len(set(ids)), "duplicate ids"
    for node in tree.root.iter():  # every in-page link and ARIA reference points at an element
        href = node.attrs.get("href")
        if href:
            assert href.startswith("#") and href[1:] in ids, href
        for ref in (node.attrs.get("aria-labelledby") or "").split():
            assert ref in ids, ref


def test_no_external_resource(rendered: tuple[AuditResult, str, StrictTree]) -> None:
    _, page, tree = rendered
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"url\(", page), "no CSS url(): images and fonts by URL would be requests"
    assert "@import" not in page
    for node in tree.root.iter():
        assert node.tag not in {"img", "link", "iframe", "object", "embed", "video", "audio", "source"}
        assert "src" not in node.attrs, node.tag
        assert "xlink:href" not in node.attrs
        assert (node.attrs.get("href") or "#").startswith("#")
    scripts = tree.root.iter("script")
    assert len(scripts) == 1  # opens the folded tables before printing; no src, no network
    assert "fetch" not in scripts[0].all_text() and "XMLHttpRequest" not in scripts[0].all_text()


def test_every_finding_message_appears(rendered: tuple[AuditResult, str, StrictTree]) -> None:
    result, _, tree = rendered
    assert result.findings
    for finding in result.findings:
        assert any(finding.message in text for text in tree.texts), finding.id


def test_findings_are_grouped_fails_first(rendered: tuple[AuditResult, str, StrictTree]) -> None:
    result, _, tree = rendered
    cards = [n for n in tree.root.iter("article") if "finding" in n.classes()]
    statuses = [next(c[3:] for c in card.classes() if c.startswith("st-")) for card in cards]
    order = ["fail", "warn", "inconclusive", "insufficient_data"]  # the judging rule's order
    assert statuses == sorted(statuses, key=order.index)
    assert len(cards) == sum(1 for f in result.findings if f.status != "pass")
    for card in cards:  # the five questions, answered for every finding
        terms = [dt_.all_text() for dt_ in card.iter("dt")]
        assert terms == ["What was measured", "For whom", "How far from the threshold", "How sure we are"]
        assert "What to do next" in card.all_text()


def test_every_figure_has_caption_svg_and_table(rendered: tuple[AuditResult, str, StrictTree]) -> None:
    result, _, tree = rendered
    figures = tree.root.iter("figure")
    primary = [t for t in result.tables if ":" not in t.name]
    expected = 2 * len(primary)  # rates and impact ratios per primary table
    if result.audit.auditor == "hiring":
        expected += 2  # funnels by sex and by race/ethnicity
    elif result.audit.auditor == "decisions":
        expected += len(primary)  # error rates (the spec has an outcome column)
    assert len(figures) == expected
    for figure in figures:
        (caption,) = figure.iter("figcaption")
        assert len(caption.all_text().strip()) > 40
        (svg,) = [s for s in figure.iter("svg") if "chart" in s.classes()]  # legend swatches aside
        assert svg.attrs["role"] == "img"
        assert svg.iter("title")[0].all_text().strip() and svg.iter("desc")[0].all_text().strip()
        (table,) = figure.iter("table")
        rows = [tr for tr in table.iter("tbody")[0].iter("tr")]
        drawn = [g for g in svg.iter("g") if any(c.startswith("row-text") for c in g.classes())]
        assert rows and len(rows) == len(drawn), "the table gives every group the chart draws"


def test_status_is_written_not_only_coloured(hiring: AuditResult) -> None:
    tree = parse(render_html(hiring))
    charts = [
        s for s in tree.root.iter("svg") if "chart" in s.classes() and "rate" in s.attrs["aria-labelledby"]
    ]
    written: dict[str, int] = {}
    for svg in charts:
        for g in (g for g in svg.iter("g") if "row-text" in g.classes()):
            status = next(c[3:] for c in g.classes() if c.startswith("st-"))
            if status in ("fail", "pass", "warn"):
                assert {"fail": "Fail", "pass": "Pass", "warn": "Warning"}[status] in g.all_text()
                written[status] = written.get(status, 0) + 1
    # the hiring example's rate charts draw failing and passing groups: the check above ran on both
    assert charts and written.get("fail", 0) > 0 and written.get("pass", 0) > 0, written


def _figure_rows(tree: StrictTree, figure_id: str) -> dict[str, list[str]]:
    (figure,) = [f for f in tree.root.iter("figure") if f.attrs.get("id") == figure_id]
    body = figure.iter("tbody")[0]
    return {
        tr.iter("th")[0].all_text(): [td.all_text().strip() for td in tr.iter("td")] for tr in body.iter("tr")
    }


def test_numbers_shown_are_the_results(hiring: AuditResult, decisions: AuditResult) -> None:
    tree = parse(render_html(hiring))
    sex = next(t for t in hiring.tables if t.name == "sex")
    female = next(r for r in sex.rows if r["group"] == {"sex": "Female"})
    finding = next(f for f in hiring.findings if f.id == "sex/selection_rate/Female")
    # Figure 1: rates by sex. Formats: percent with one decimal, as the findings' messages print it.
    rates = _figure_rows(tree, "chart-rate-0")
    assert rates["Female"][:4] == [
        f"{female['n']:,}",
        f"{female['selected']:,}",
        f"{100 * female['selection_rate']:.1f}%",
        f"{100 * female['selection_rate_ci_low']:.1f}–{100 * female['selection_rate_ci_high']:.1f}%",
    ]
    assert rates["Female"][:3] == ["2,323", "707", "30.4%"]  # as datasets/hiring.csv gives them
    # Figure 2: impact ratios by sex.
    ratios = _figure_rows(tree, "chart-ratio-0")
    assert ratios["Female"][0] == f"{female['impact_ratio']:.3f}" == "0.795"
    low, high = female["selection_rate_ratio_ci_low"], female["selection_rate_ratio_ci_high"]
    assert ratios["Female"][1] == f"{low:.2f}–{high:.2f}" == f"{finding.ci_low:.2f}–{finding.ci_high:.2f}"
    assert ratios["Female"][5] == f"{finding.p_adjusted:.3g}"
    assert ratios["Female"][6] == f"{female['shortfall']:.0f}" == "5"
    # The same figures in the finding's card and in the chart's own labels.
    page = render_html(hiring)
    assert f"Ratio {finding.value:.3f} ({100 * female['selection_rate']:.1f}% vs" in page
    assert "0.795 (0.74–0.86)" in page
    # Funnel: cumulative offer rate of women.
    offer = next(t for t in hiring.tables if t.name == "stage:offer_cumulative_rate:sex")
    offer_female = next(r for r in offer.rows if r["group"] == {"sex": "Female"})
    funnel = _figure_rows(tree, "chart-funnel-0")
    assert funnel["Female"][4:6] == [
        f"{offer_female['reached_offer']:,}",
        f"{100 * offer_female['offer_cumulative_rate']:.1f}%",
    ]
    # LL144 disclosures and provenance.
    text = " ".join(tree.texts)
    assert f"{hiring.context['ll144']['applicants']:,}" in text
    assert hiring.sha256 in text and hiring.data.sha256 in text and hiring.audit.spec_sha256 in text
    assert hiring.started_at.isoformat() in text and hiring.finished_at.isoformat() in text
    # Decisions: the error-rate figure shows the table's TPR and FPR.
    errors = _figure_rows(parse(render_html(decisions)), "chart-errors-0")
    male = next(r for r in decisions.tables[0].rows if r["group"] == {"sex": "Male"})
    assert (
        errors["Male"][1] == f"{100 * male['tpr']:.1f}%" and errors["Male"][4] == f"{100 * male['fpr']:.1f}%"
    )


def test_methods_limitations_and_provenance_are_stated(hiring: AuditResult) -> None:
    tree = parse(render_html(hiring))
    text = " ".join(tree.texts)
    assert hiring.tables  # the loop below checks something (the hiring example has no notes)
    for table in hiring.tables:
        for method in table.methods.values():
            assert method in text
    for note in hiring.notes:
        assert note in text
    assert hiring.context["ll144"]["exclusion_justification"] in text
    assert "historical data" in text.lower()
    assert f"{hiring.tool.name} {hiring.tool.version}" in text
    assert "@media print" in render_html(hiring)


def _blocked_result() -> AuditResult:
    """A hand-made result: the gate failed, a table holds undefined and garbled values."""
    now = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
    row: dict[str, Any] = {
        "group": {"sex": "<script>alert(1)</script>"},
        "n": 0,
        "selected": 0,
        "selection_rate": None,
        "selection_rate_ci_low": None,
        "selection_rate_ci_high": None,
        "selection_rate_ratio": "NaN",  # garbled text; a float NaN is refused by the model itself
        "selection_rate_ratio_ci_low": "garbled",
        "selection_rate_ratio_ci_high": None,
        "reference": False,
        "excluded": False,
        "note": "selection_rate undefined: no n in this group",
    }
    reference = {
        **row,
        "group": {"sex": "Male"},
        "n": 40,
        "selected": 10,
        "selection_rate": 0.25,
        "reference": True,
    }
    reference["note"] = None
    return AuditResult.model_validate(
        {
            "schema": "equityaudit.result/1",
            "tool": {"name": "equityaudit", "version": "0.1.0"},
            "audit": {
                "name": "broken & <odd>",
                "auditor": "decisions",
                "spec_sha256": None,
                "date": "2026-11-23",
                "standard": {"id": "nyc-ll144", "version": "2023", "sha256": "ab" * 32},
            },
            "data": {
                "source": "<memory>",
                "sha256": None,
                "rows": 40,
                "kind": "test",
                "test_data_reason": None,
            },
            "started_at": now,
            "finished_at": now,
            "gate": {
                "passed": False,
                "checks": [
                    {
                        "name": "expect_column_values_to_not_be_null",
                        "column": "sex",
                        "passed": False,
                        "observed": None,
                        "expected": {"mostly": 0.98},
                        "unexpected_count": 12,
                        "unexpected_percent": 30.0,
                        "unexpected_values": [None, "?"],
                        "message": "12 rows have no sex",
                    }
                ],
            },
            "tables": [
                {
                    "name": "sex",
                    "by": ["sex"],
                    "metric": "selection_rate",
                    "numerator": "selected",
                    "denominator": "n",
                    "reference": {"sex": "Male"},
                    "rows": [row, reference],
                }
            ],
            "findings": [
                {
                    "id": "sex/selection_rate/x",
                    "metric": "selection_rate",
                    "kind": "ratio",
                    "table": "sex",
                    "group": {"sex": "<script>alert(1)</script>"},
                    "value": None,
                    "status": "insufficient_data",
                    "message": "the ratio is undefined, so it cannot be judged",
                }
            ],
            "verdict": "blocked",
        }
    )


def test_undefined_and_garbled_values_render_as_dash() -> None:
    result = _blocked_result()
    page = render_html(result)
    tree = parse(page)
    ids = {n.attrs["id"] for n in tree.root.iter() if n.attrs.get("id")}
    assert all(n.attrs["href"][1:] in ids for n in tree.root.iter("a"))
    text = " ".join(tree.texts)
    assert "Verdict: Blocked" in text
    assert (
        "The quality gate stopped this audit" in text
        and "failed 1 of its 1 check(s) (12 rows have no sex)" in text
    )
    assert "12 rows have no sex" in text
    rates = _figure_rows(tree, "chart-rate-0")
    (group,) = [g for g in rates if "script" in g]
    assert rates[group][2:4] == ["—", "—"]  # rate and its interval: null
    ratios = _figure_rows(tree, "chart-ratio-0")
    assert ratios[group][:2] == ["—", "—"]  # NaN and a string: not numbers, shown as —
    assert "selection_rate undefined: no n in this group" in text
    assert "A dash (—) marks a value that is undefined" in text
    assert "— (in-memory data: no file to hash)" in text
    assert "— (no spec file: the audit was run from Python)" in text
    assert "nyc-ll144@2023" in text and "ab" * 32 in text  # the standard and its hash, when there is one
    assert "Groups too small to judge" in text and "must not be relied on" in text
    assert "the ratio is undefined, so it cannot be judged" in text
    # Escaping: the group label and audit name are text, never markup.
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "broken &amp; &lt;odd&gt;" in page
    assert len(tree.root.iter("script")) == 1


def test_marker_follows_the_doctype(hiring: AuditResult) -> None:
    page = render_html(hiring, marker="<!-- written by equityaudit -->")
    assert page.splitlines()[:2] == ["<!DOCTYPE html>", "<!-- written by equityaudit -->"]
    parse(page)


def test_templates_ship_inside_the_package() -> None:
    from importlib.resources import files

    templates = files("equityaudit.report") / "templates"
    names = {p.name for p in templates.iterdir()}
    assert {"report.html.j2", "_charts.html.j2", "_tables.html.j2", "report.css"} <= names


def test_a_blocked_audit_without_tables_says_so() -> None:
    result = _blocked_result().model_copy(update={"tables": [], "findings": [], "counts": []})
    tree = parse(render_html(result))
    text = " ".join(tree.texts)
    assert "before any comparison was made" in text
    assert not tree.root.iter("figure")
    assert "12 rows have no sex" in text


def test_the_stored_json_renders_the_same_page(
    rendered: tuple[AuditResult, str, StrictTree], tmp_path: Path
) -> None:
    """``equityaudit report RESULT.json`` must give the page ``run`` gives (JSON keys are sorted)."""
    result, page, _ = rendered
    assert render_html(ea.read_result(result.write(tmp_path / "result.json"))) == page


def test_finding_examples_are_shown_and_escaped(decisions: AuditResult) -> None:
    failing = next(f for f in decisions.findings if f.status == "fail")
    examples = [{"text": "I <b>need</b> a refund", "intent": "refund_request"}, "row 17"]
    changed = failing.model_copy(update={"details": {**failing.details, "examples": examples}})
    result = decisions.model_copy(
        update={"findings": [changed if f.id == failing.id else f for f in decisions.findings]}
    )
    page = render_html(result)
    parse(page)
    assert "Examples from the data (2)" in page
    assert "I &lt;b&gt;need&lt;/b&gt; a refund" in page
    assert "row 17" in page


def _grouping(tree: StrictTree, title: str) -> Node:
    """The section of the "Rates and impact ratios" part whose heading is ``title``."""
    (section,) = [
        s
        for s in tree.root.iter("section")
        if "grouping" in s.classes() and s.iter("h3")[0].all_text() == title
    ]
    return section


def test_marketing_figures_name_their_segment_or_campaign(marketing: AuditResult) -> None:
    tree = parse(render_html(marketing))
    primary = [t for t in marketing.tables if ":" not in t.name]
    headings = [s.iter("h3")[0].all_text() for s in tree.root.iter("section") if "grouping" in s.classes()]
    assert len(headings) == len(primary) == 18
    estimated = 0
    for table, heading in zip(primary, headings, strict=True):
        # Every table name of this audit ends in "by <attribute>", so the heading is the name itself.
        assert heading == f"Rate of inclusion in {table.name}"
        figures = _grouping(tree, heading).iter("figure")
        assert len(figures) == 2  # rates and impact ratios
        for figure in figures:
            caption = figure.iter("figcaption")[0].all_text()
            svg_title = figure.iter("svg")[0].iter("title")[0].all_text()
            assert table.name in caption and table.name in svg_title
            if any(row.get("estimated") for row in table.rows):
                assert "(estimated)" in caption and "(estimated)" in svg_title
                estimated += 1
    assert estimated == 2 * 6  # two figures for each of four segments and two campaigns


def _percent(value: str | None) -> float:
    assert value is not None and value.endswith("%")
    return float(value.removesuffix("%"))


def test_unfavourable_campaign_charts_follow_the_inverted_ratio(marketing: AuditResult) -> None:
    payload = json.loads(marketing.to_json())  # the stored JSON, which the report renders from
    (table,) = [t for t in payload["tables"] if t["name"] == "campaign price_increase by race_ethnicity"]
    assert table["methods"]["ratio"].startswith("unfavourable")
    findings = {f["group"]["race_ethnicity"]: f for f in payload["findings"] if f["table"] == table["name"]}
    threshold = next(iter(findings.values()))["threshold"]
    reference = table["reference"]["race_ethnicity"]
    reference_rate = next(r for r in table["rows"] if r["reference"])["inclusion_rate"]
    tree = parse(render_html(marketing))
    section = _grouping(tree, f"Rate of inclusion in {table['name']}")
    rate_figure, ratio_figure = section.iter("figure")

    # The ratio chart says which way the ratio goes: the reference's rate over the group's.
    ratio_title = ratio_figure.iter("svg")[0].iter("title")[0].all_text()
    assert f"({reference}'s rate ÷ the group's rate)" in ratio_title
    assert f"rate ÷ {reference}'s rate" not in ratio_figure.all_text()
    # Each plotted ratio is the result's (reference rate / group rate for this campaign).
    for row in table["rows"]:
        group = row["group"]["race_ethnicity"]
        if group in findings:
            assert row["inclusion_rate_ratio"] == pytest.approx(reference_rate / row["inclusion_rate"])
            assert f"{row['inclusion_rate_ratio']:.3f}" in ratio_figure.all_text()

    # The rate chart's threshold line sits at reference rate ÷ threshold (not × threshold) ...
    svg = rate_figure.iter("svg")[0]
    (rule,) = [g for g in svg.iter("g") if "rule" in g.classes()]
    assert rule.iter("text")[0].all_text() == f"{reference} ÷ {threshold:g}"
    rule_x = _percent(rule.iter("line")[0].attrs["x1"])
    bars = [_percent(r.attrs["width"]) + 1.5 for r in svg.iter("rect") if "bar" in r.classes()]
    rates = [row["inclusion_rate"] for row in table["rows"]]
    assert len(bars) == len(rates)
    reference_end = bars[rates.index(reference_rate)]
    assert (rule_x - 1.5) / (reference_end - 1.5) == pytest.approx(1 / threshold, rel=1e-3)
    # ... so a group right of it is exactly one whose ratio is below the threshold, and Hispanic
    # (8.4%, ratio 0.803) is just left of it.
    for row, end in zip(table["rows"], bars, strict=True):
        group = row["group"]["race_ethnicity"]
        if group in findings:
            assert (end > rule_x) == (findings[group]["value"] < threshold), group
    hispanic = next(r for r in table["rows"] if r["group"]["race_ethnicity"] == "Hispanic")
    assert hispanic["inclusion_rate_ratio"] > threshold
    assert bars[table["rows"].index(hispanic)] < rule_x
    caption = rate_figure.iter("figcaption")[0].all_text()
    assert f"right of it has an impact ratio below {threshold:g}" in caption and "left of it" not in caption
    # A favourable campaign of the same audit keeps the usual direction.
    favourable = _grouping(tree, "Rate of inclusion in campaign email_promo by race_ethnicity")
    assert "(rate ÷ Asian's rate)" in favourable.iter("figure")[1].iter("figcaption")[0].all_text()


def test_marketing_wording_fits_each_kind_of_finding(marketing: AuditResult) -> None:
    page = render_html(marketing)
    tree = parse(page)
    # Text in reading order (Node.all_text puts an element's own text before its children's).
    method = re.sub(r"<[^>]+>", "", page.split('<section id="method"', 1)[1].split("</section>", 1)[0])
    method = method.replace("&#39;", "'")
    tvd = {f.threshold for f in marketing.findings if f.metric == "total_variation_distance"}
    assert tvd == {0.1}
    assert "total variation distance of 0.1" in method and "It never fails" in method
    assert all(f.status != "fail" for f in marketing.findings if f.metric == "total_variation_distance")
    assert "gap in error rates" not in page  # no error-rate gaps in this audit
    assert "test threshold" not in method
    proxy = next(f for f in marketing.findings if f.id == "proxy:race_ethnicity/proxy_auc/postcode")
    warn = proxy.details["warn_threshold"]
    assert f"AUC of at least {proxy.threshold:g} fails; at least {warn:g} is a warning" in method
    offer = {f.threshold for f in marketing.findings if f.metric == "offer_mean"}
    assert offer == {0.9} and "mean offer below 0.9 × the reference group's" in method
    intro = next(
        p for p in tree.root.iter("p") if "intro" in p.classes() and "Failures come first" in p.all_text()
    )
    for words in ("An offer finding", "A representation finding", "never a failure", "A proxy finding"):
        assert words in intro.all_text()
    glance = next(t for t in tree.root.iter("table") if "At a glance" in t.iter("caption")[0].all_text())
    (row,) = [tr for tr in glance.iter("tr") if "postcode" in tr.all_text() and "predicts" in tr.all_text()]
    text = row.all_text()
    assert f"AUC {proxy.value:.3f}" in text and "(—)" not in text and "vs —" not in text
    assert f"fails at {proxy.threshold:g}" in text
    tvd_row = next(
        tr for tr in glance.iter("tr") if "make-up of segment premium by race_ethnicity" in tr.all_text()
    )
    distance = next(
        f.value
        for f in marketing.findings
        if f.id == "representation:segment premium:race_ethnicity/total_variation_distance"
    )
    assert distance is not None  # the page shows the result's own value, rounded to three places
    assert "pts" not in tvd_row.all_text() and f"distance {distance:.3f}" in tvd_row.all_text()
