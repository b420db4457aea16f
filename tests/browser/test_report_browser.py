"""The HTML report in a real browser: Debian's headless Chromium, driven by playwright.

Each demo report is opened from a file:// URL: no console error, no request but the file itself,
every chart drawn with a real size, no horizontal overflow on a phone, and a PDF when printed.
``EQUITYAUDIT_UPDATE_SCREENSHOT=1`` also writes docs/report-screenshot.png from the hiring report.
Playwright never downloads a browser here: it launches /usr/bin/chromium (``.ci/run`` installs it).
"""

from __future__ import annotations

import os

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import equityaudit as ea
from equityaudit.report.html import render_html
from evidence import unavailable

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "docs" / "report-screenshot.png"
CHARTS_SCREENSHOT = ROOT / "docs" / "report-charts.png"
SPECS = {path.stem: path.name for path in sorted((ROOT / "audits").glob("*.yaml"))}  # every demo audit

if not CHROMIUM.exists():
    unavailable(
        f"{CHROMIUM} not found: install Debian's chromium package (apt-get install chromium) to run "
        "the real-browser tests of the HTML report",
        module=True,
    )
try:
    from playwright import sync_api
except ImportError:
    unavailable("playwright is not installed: pip install -e '.[dev]'", module=True)

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("reports")
    paths = {}
    for name, spec in SPECS.items():
        path = folder / f"{name}.html"
        path.write_text(render_html(ea.run(ROOT / "audits" / spec)), encoding="utf-8")
        paths[name] = path
    return paths


CLIPPED_TEXT = """() => {
  const clipped = [];
  for (const svg of document.querySelectorAll("svg.chart")) {
    const box = svg.getBoundingClientRect();
    for (const text of svg.querySelectorAll("text")) {
      const r = text.getBoundingClientRect();  // 2 px of slack for the text's halo and glyph bearings
      if (r.right > box.right + 2 || r.left < box.left - 2) clipped.push(text.textContent);
    }
  }
  return clipped;
}"""


class Recorder:
    """What a page asked of the network and said on its console."""

    def __init__(self, page: Any) -> None:
        self.requests: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("requestfailed", lambda request: self.errors.append(f"failed: {request.url}"))


def _open(browser: Any, path: Path, **context: Any) -> tuple[Any, Any, Recorder]:
    ctx = browser.new_context(**context)
    page = ctx.new_page()
    recorder = Recorder(page)
    page.goto(path.as_uri(), wait_until="load")
    return ctx, page, recorder


@pytest.mark.parametrize("name", SPECS)
def test_report_loads_alone_and_draws_every_chart(browser: Any, reports: dict[str, Path], name: str) -> None:
    ctx, page, recorder = _open(browser, reports[name], viewport={"width": 1280, "height": 900})
    try:
        assert recorder.requests == [reports[name].as_uri()], "the report must request nothing but itself"
        assert recorder.errors == []
        charts = page.locator("svg.chart").all()
        assert len(charts) == page.locator("figure").count() >= 6
        for svg in page.locator("svg").all():
            box = svg.bounding_box()
            assert box is not None and box["width"] > 0 and box["height"] > 0
        for svg in charts:
            if "sweep" in (svg.get_attribute("class") or "").split():
                _assert_sweep_drawn(svg)
                continue
            # every other chart paints marks: bars or points, with their intervals
            marks = svg.locator("rect.bar, circle.point").all()
            assert marks and any((m.bounding_box() or {}).get("width", 0) > 0 for m in marks)
            assert svg.locator("line.whisker").count() > 0
    finally:
        ctx.close()


def _assert_sweep_drawn(svg: Any) -> None:
    """A threshold sweep (svg.chart.sweep) has no intervals, so no whiskers: it paints, for each
    group, a line of nonzero length joining a point at each cut-off, the impact-ratio threshold
    as a horizontal rule across the plot, and the model's cut-off as a vertical rule."""
    series = svg.locator("g.series").all()
    assert series, "a sweep chart draws a line per compared group"
    for group in series:
        segments = [s.bounding_box() or {} for s in group.locator("line").all()]
        assert sum(s.get("width", 0) + s.get("height", 0) for s in segments) > 0
        points = [p.bounding_box() or {} for p in group.locator("circle.cut").all()]
        assert len(points) >= 2 and all(p.get("width", 0) > 0 for p in points)
        assert len(segments) < len(points)  # a segment between consecutive cut-offs
    threshold = svg.locator("g.rule.threshold line").bounding_box() or {}
    assert threshold.get("width", 0) > 0
    model = svg.locator("g.rule.model line").bounding_box() or {}
    assert model.get("height", 0) > 0


@pytest.mark.parametrize("name", SPECS)
def test_phone_width_has_no_horizontal_overflow(browser: Any, reports: dict[str, Path], name: str) -> None:
    ctx, page, recorder = _open(
        browser, reports[name], viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    try:
        assert recorder.errors == []
        width = page.evaluate("window.innerWidth")
        assert width == 390
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert page.evaluate("document.body.scrollWidth") <= width
        for svg in page.locator("svg.chart").all():
            box = svg.bounding_box()
            assert box is not None and box["x"] > 0 and box["x"] + box["width"] <= width
        assert page.evaluate(CLIPPED_TEXT) == [], "chart text cut off at the chart's edges"
        # Wide tables scroll inside their own box instead of widening the page.
        overflowing = page.evaluate(
            "[...document.querySelectorAll('.table-wrap')].filter(w => w.scrollWidth > w.clientWidth).length"
        )
        assert overflowing > 0
    finally:
        ctx.close()


def test_printing_unfolds_tables_and_makes_a_pdf(browser: Any, reports: dict[str, Path]) -> None:
    ctx, page, recorder = _open(browser, reports["hiring"], viewport={"width": 1000, "height": 900})
    try:
        # checkVisibility() is false inside a closed <details> whichever way the browser folds it
        # (display: none in older Chromium, content-visibility: hidden on ::details-content in newer
        # ones, where the folded table still has a laid-out box).
        folded = page.locator("details table").first
        assert folded.evaluate("t => t.checkVisibility()") is False  # on screen: folded away
        page.emulate_media(media="print")
        assert folded.evaluate("t => t.checkVisibility()") is True  # on paper: every table
        assert (folded.bounding_box() or {"height": 0})["height"] > 0
        assert page.pdf(format="A4").startswith(b"%PDF")
        assert recorder.errors == [] and len(recorder.requests) == 1
    finally:
        ctx.close()


def test_screenshot(browser: Any, reports: dict[str, Path]) -> None:
    """Write docs/report-screenshot.png (the top of the page) and docs/report-charts.png (the first
    grouping's rate and impact-ratio charts) when asked (EQUITYAUDIT_UPDATE_SCREENSHOT=1)."""
    if os.environ.get("EQUITYAUDIT_UPDATE_SCREENSHOT") != "1":
        pytest.skip("set EQUITYAUDIT_UPDATE_SCREENSHOT=1 to rewrite docs/report-screenshot.png")
    ctx, page, _ = _open(browser, reports["hiring"], viewport={"width": 1200, "height": 900})
    try:
        page.screenshot(
            path=str(SCREENSHOT), full_page=True, clip={"x": 0, "y": 0, "width": 1200, "height": 2000}
        )
        assert SCREENSHOT.stat().st_size > 10_000
        page.locator("section.grouping").first.screenshot(path=str(CHARTS_SCREENSHOT))
        assert CHARTS_SCREENSHOT.stat().st_size > 10_000
    finally:
        ctx.close()


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from hostile import hostile_hiring

    folder = tmp_path_factory.mktemp("hostile")
    path = folder / "hostile.html"
    path.write_text(render_html(hostile_hiring(folder)), encoding="utf-8")
    return path


def test_hostile_labels_render_as_text(browser: Any, hostile_report: Path) -> None:
    """Labels that are markup (issue 16) show as text: no dialog opens, no element is injected, and
    nothing but the page itself is requested."""
    from hostile import HOSTILE_LABELS

    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    recorder = Recorder(page)
    try:
        page.goto(hostile_report.as_uri(), wait_until="load")
        page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
        page.wait_for_timeout(200)
        assert dialogs == []
        assert recorder.requests == [hostile_report.as_uri()]
        assert recorder.errors == []  # a script refused by the policy would be reported here
        assert page.locator("img").count() == 0
        assert page.locator("script").count() == 1  # the page's own print script
        text = page.locator("body").text_content() or ""
        for label in HOSTILE_LABELS.values():
            assert label in text, label
    finally:
        ctx.close()


def test_content_security_policy_stops_an_injected_script(browser: Any, hostile_report: Path) -> None:
    """Were a script ever to slip into the page, the policy would not run it, nor let it load."""
    page_text = hostile_report.read_text(encoding="utf-8")
    injected = hostile_report.with_name("injected.html")
    injected.write_text(
        page_text.replace(
            "<body>",
            '<body><script>window.ran = true; alert(1)</script><img src="http://x.test/pixel.png">',
            1,
        ),
        encoding="utf-8",
    )
    ctx = browser.new_context()
    sent: list[str] = []  # what reached the network layer (a load the policy refuses never does)

    def through(route: Any) -> None:
        sent.append(route.request.url)
        route.continue_() if route.request.url.startswith("file:") else route.abort()

    ctx.route("**/*", through)
    page = ctx.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    failures: list[str] = []
    page.on("requestfailed", lambda request: failures.append(f"{request.url} {request.failure}"))
    recorder = Recorder(page)
    try:
        page.goto(injected.as_uri(), wait_until="load")
        assert page.evaluate("() => window.ran === undefined")
        assert dialogs == []
        assert sent == [injected.as_uri()], failures
        assert any("Content Security Policy" in error for error in recorder.errors)
    finally:
        ctx.close()
