"""Output safety (issue 16, docs/reports.md#output-safety): hostile labels come out inert in every
renderer, file names are contained in --out, and no report is written through a symbolic link."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

import equityaudit as ea
from equityaudit.cli import main
from equityaudit.cli.run import github_annotations
from equityaudit.cli.summary import print_summary
from equityaudit.report.escaping import (
    csv_cell,
    file_stem,
    markdown_cell,
    markdown_code,
    markdown_text,
    terminal_plain,
    terminal_text,
    xml_text,
)
from equityaudit.report.html import CONTENT_SECURITY_POLICY, render_html
from equityaudit.report.junit import render_junit
from equityaudit.report.ll144 import render_ll144_csv, render_ll144_html, render_ll144_markdown
from equityaudit.report.markdown import render_markdown
from hostile import HOSTILE_LABELS, hostile_hiring

LABELS = list(HOSTILE_LABELS.values())
RAW_TAGS = ("<script", "<img", "</script")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> ea.AuditResult:
    result = hostile_hiring(tmp_path_factory.mktemp("hostile"))
    # as every report is rendered: from the result as its JSON stores it
    return ea.AuditResult.model_validate_json(result.to_json())


def _unescaped_pipes(line: str) -> int:
    return len(re.findall(r"(?<!\\)\|", line))


@pytest.mark.parametrize("render", [render_markdown, render_ll144_markdown], ids=["md", "ll144.md"])
def test_markdown_holds_no_raw_tag_and_keeps_its_table_columns(hostile: ea.AuditResult, render) -> None:
    text = render(hostile)
    for tag in RAW_TAGS:
        assert tag not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "a \\| pipe and a \\`tick" in text  # the pipe cannot end the cell, the backtick open code
    # every row of a table has as many cell separators as its header: no label split a cell
    assert text.count("\n|") > 10
    widths: list[int] = []
    for line in text.splitlines():
        if not line.startswith("|"):
            widths = []
            continue
        widths.append(_unescaped_pipes(line))
        assert widths[-1] == widths[0], line


@pytest.mark.parametrize("render", [render_html, render_ll144_html], ids=["html", "ll144.html"])
def test_html_holds_no_raw_tag(hostile: ea.AuditResult, render) -> None:
    page = render(hostile)
    assert "<img" not in page and "alert(1)</script>" not in page
    assert page.count("<script") == (1 if render is render_html else 0)  # the print script only
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in page


def test_html_report_carries_the_content_security_policy(hostile: ea.AuditResult) -> None:
    page = render_html(hostile)
    assert f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">' in page
    assert CONTENT_SECURITY_POLICY.startswith("default-src 'none'; script-src 'sha256-")
    # the hash names the one script on the page
    script = re.search(r"<script>(.*?)</script>", page, re.S)
    assert script is not None
    digest = base64.b64encode(hashlib.sha256(script.group(1).encode()).digest()).decode()
    assert f"'sha256-{digest}'" in CONTENT_SECURITY_POLICY


def test_ll144_csv_has_no_formula_cell(hostile: ea.AuditResult) -> None:
    rows = list(csv.reader(io.StringIO(render_ll144_csv(hostile))))
    cells = [cell for row in rows[1:] for cell in row]
    for cell in cells:
        assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell
        assert not cell.startswith("-") or re.fullmatch(r"-[0-9.]+(e-?[0-9]+)?", cell), cell
    categories = {row[rows[0].index("category")] for row in rows[1:]}
    assert "'" + HOSTILE_LABELS["Hispanic or Latino"] in categories
    assert "'" + HOSTILE_LABELS["Asian"] in categories
    assert "'" + HOSTILE_LABELS["Two or More Races"] in categories
    assert "'" + HOSTILE_LABELS["Native Hawaiian or Other Pacific Islander"] in categories
    assert HOSTILE_LABELS["White"] in categories  # not a formula: left as it is


def test_junit_parses_and_round_trips_the_labels(hostile: ea.AuditResult) -> None:
    root = ET.fromstring(render_junit([hostile]))
    values = [v for element in root.iter() for v in element.attrib.values()]
    compared = {v for f in hostile.findings for v in f.group.values()} & set(LABELS)
    assert len(compared) >= 5  # the small categories are left out of the comparisons
    for label in compared:
        assert any(label in value for value in values), label


def test_junit_drops_what_xml_cannot_hold(hostile: ea.AuditResult) -> None:
    payload = json.loads(hostile.to_json())
    payload["audit"]["name"] = "nul\x00 esc\x1b"
    payload["findings"][0]["message"] = 'bell\x07 and <tag> & "quote"\nnext line'
    result = ea.AuditResult.model_validate(payload)
    root = ET.fromstring(render_junit([result]))
    assert root.find("testsuite").get("name") == "nul\ufffd esc\ufffd"  # type: ignore[union-attr]
    messages = [e.get("message") for e in root.iter() if e.get("message")]
    assert 'bell\ufffd and <tag> & "quote"\nnext line' in messages


def test_github_annotations_stay_one_command_each(hostile: ea.AuditResult) -> None:
    payload = json.loads(hostile.to_json())
    failed = next(f for f in payload["findings"] if f["status"] == "fail")
    failed["message"] = "50% worse\n::error title=forged::forged"
    payload["audit"]["name"] = "name: with, a colon"
    lines = github_annotations(ea.AuditResult.model_validate(payload))
    assert lines and all("\n" not in line and "\r" not in line for line in lines)
    assert "::error title=equityaudit name%3A with%2C a colon%3A " in lines[0]
    assert any(line.endswith("::50%25 worse%0A::error title=forged::forged") for line in lines)


def test_terminal_prints_the_labels_literally(hostile: ea.AuditResult) -> None:
    console = Console(record=True, width=400, color_system=None)
    print_summary(hostile, [], console=console)  # console markup in a label would raise or vanish
    text = console.export_text()
    for label in LABELS:
        assert label in text, label


CONTROL_LABEL = "esc\x1b[2J bidi\u202eevil two\nlines over\rwrite [link=http://x.test]click[/link]"
"""A label that would act on a terminal: an ANSI escape, a bidi override, a newline, a carriage
return, rich's link markup."""
CONTROL_SHOWN = "esc\\x1b[2J bidi\\u202eevil two\\nlines over\\rwrite [link=http://x.test]click[/link]"
"""The same label as the terminal must show it (terminal_plain's escapes, written by hand)."""


def _relabelled(result: ea.AuditResult, old: str, new: str) -> ea.AuditResult:
    """The result with every string that holds ``old`` holding ``new`` instead (tables, findings, counts)."""

    def swap(value: object) -> object:
        if isinstance(value, str):
            return value.replace(old, new)
        if isinstance(value, list):
            return [swap(v) for v in value]
        if isinstance(value, dict):
            return {swap(k): swap(v) for k, v in value.items()}
        return value

    return ea.AuditResult.model_validate(swap(json.loads(result.to_json())))


def _assert_terminal_safe(text: str) -> None:
    assert not any(c in text for c in ("\x1b", "\u202e", "\r")), repr(text)
    assert CONTROL_SHOWN in " ".join(text.split()) or CONTROL_SHOWN in text, text
    assert not any(line.startswith("lines over") for line in text.splitlines())


def test_terminal_shows_control_characters_in_labels(hostile: ea.AuditResult) -> None:
    relabelled = _relabelled(hostile, LABELS[0], CONTROL_LABEL)
    console = Console(record=True, width=400, color_system=None)
    print_summary(relabelled, [], console=console)
    _assert_terminal_safe(console.export_text())


def test_compare_prints_labels_literally(hostile: ea.AuditResult, tmp_path: Path) -> None:
    relabelled = _relabelled(hostile, LABELS[0], CONTROL_LABEL)
    (tmp_path / "a.json").write_text(relabelled.to_json(), encoding="utf-8")
    (tmp_path / "b.json").write_text(relabelled.to_json(), encoding="utf-8")
    outcome = CliRunner().invoke(
        main, ["compare", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--all"]
    )
    assert outcome.exit_code == 0, outcome.output
    _assert_terminal_safe(outcome.output)
    compared = {v for f in relabelled.findings for v in f.group.values()} & set(LABELS[1:])
    assert len(compared) >= 3, compared
    for label in compared:  # the others, markup and formulas included, exactly as they are
        assert label in outcome.output, label


def test_escaping_functions_leave_ordinary_text_alone() -> None:
    plain = "Black or African American, Female (n = 1,024; 38.3%)"
    for escape in (markdown_text, markdown_cell, xml_text):
        assert escape(plain) == plain
    assert csv_cell(plain) == plain
    assert terminal_text(plain).plain == plain == terminal_plain(plain)
    assert file_stem("hiring-screening") == "hiring-screening"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("-0.25", "-0.25"),
        ("+3", "+3"),
        ("-1e-05", "-1e-05"),
        (-0.25, -0.25),
        ("-2+3", "'-2+3"),
        ("=1+1", "'=1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("a=1", "a=1"),
    ],
)
def test_csv_cell(value: object, expected: object) -> None:
    assert csv_cell(value) == expected


def test_markdown_escapes_what_starts_a_block_and_fences_code() -> None:
    assert markdown_text("# heading") == "\\# heading"
    assert markdown_text("1. item") == "\\1. item"
    assert markdown_text("0.8 is the threshold") == "0.8 is the threshold"
    assert markdown_text("line\nbreak") == "line break"
    assert markdown_cell("-0.25") == "-0.25"
    assert markdown_code("a`b") == "`` a`b ``"


def test_terminal_text_shows_control_characters() -> None:
    assert terminal_text("\x1b]8;;http://x.test\x07link").plain == "\\x1b]8;;http://x.test\\x07link"
    assert terminal_plain("\u2066a\u2069 \u200f \u2028") == "\\u2066a\\u2069 \\u200f \\u2028"
    assert terminal_plain("tab\there") == "tab\\there"


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("hiring-screening", "hiring-screening"),
        ("../../escaped-by-name", "escaped-by-name-9ae1608d"),
        ("/etc/passwd", "etc-passwd-"),
        ("..", "audit-"),
        ("a/../../b", "a-b-"),
    ],
)
def test_file_stem(name: str, stem: str) -> None:
    assert file_stem(name).startswith(stem)
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", file_stem(name))
    assert "/" not in file_stem(name) and file_stem(name) not in (".", "..")


def _evil_result(tmp_path: Path, hostile: ea.AuditResult, name: str) -> Path:
    payload = json.loads(hostile.to_json())
    payload["audit"]["name"] = name
    path = tmp_path / "evil.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path


def test_report_writes_only_inside_out(
    tmp_path: Path, hostile: ea.AuditResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    _evil_result(work, hostile, "../../escaped-by-name")
    run = CliRunner().invoke(main, ["report", "evil.json", "--out", "rep", "--format", "md,html,junit,ll144"])
    assert run.exit_code == 0, run.output
    outside = [p for p in tmp_path.rglob("*") if p.is_file() and work / "rep" not in p.parents]
    assert outside == [work / "evil.json"]
    written = sorted(p.name for p in (work / "rep").iterdir())
    stem = file_stem("../../escaped-by-name")
    assert written == sorted(
        stem + s for s in (".md", ".html", ".junit.xml", ".ll144.md", ".ll144.csv", ".ll144.html")
    )
    # the original name is kept inside the report
    assert "# ../../escaped-by-name: FAIL" in (work / "rep" / f"{stem}.md").read_text(encoding="utf-8")


def test_a_symlink_in_out_is_not_written_through(tmp_path: Path, hostile: ea.AuditResult) -> None:
    result = _evil_result(tmp_path, hostile, "hiring-screening")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    out = tmp_path / "rep"
    out.mkdir()
    (out / "hiring-screening.md").symlink_to(victim)
    runner = CliRunner()
    refused = runner.invoke(main, ["report", str(result), "--out", str(out), "--format", "md"])
    assert refused.exit_code == 2
    assert (
        f"{out / 'hiring-screening.md'} is a symbolic link (to {victim}); refusing to write through it"
        in (refused.output)
    )
    assert victim.read_text(encoding="utf-8") == "precious\n"
    forced = runner.invoke(main, ["report", str(result), "--out", str(out), "--format", "md", "--force"])
    assert forced.exit_code == 0, forced.output
    assert victim.read_text(encoding="utf-8") == "precious\n"  # the link is replaced, not followed
    report = out / "hiring-screening.md"
    assert not report.is_symlink() and report.read_text(encoding="utf-8").startswith("<!-- written by")


def test_never_overwrites_a_users_file_without_force(tmp_path: Path, hostile: ea.AuditResult) -> None:
    result = _evil_result(tmp_path, hostile, "hiring-screening")
    out = tmp_path / "rep"
    out.mkdir()
    (out / "hiring-screening.md").write_text("mine\n", encoding="utf-8")
    refused = CliRunner().invoke(main, ["report", str(result), "--out", str(out), "--format", "md"])
    assert refused.exit_code == 2 and "refusing to overwrite it" in refused.output
    assert (out / "hiring-screening.md").read_text(encoding="utf-8") == "mine\n"


def test_every_registered_format_renders_the_hostile_labels_inert(hostile: ea.AuditResult) -> None:
    """Walks every report format registered (the built-in ones and any a test plugin adds): no raw
    tag in a text report, no formula cell in a CSV."""
    from equityaudit.plugins import list_formats

    walked = []
    for name, (fmt, _) in list_formats().items():
        if fmt.reason_to_skip is not None and fmt.reason_to_skip(hostile) is not None:
            continue
        for file in fmt.files:
            content = file.render(hostile)
            text = content.decode("utf-8") if isinstance(content, bytes) else content
            walked.append(f"{name}{file.suffix}")
            if file.suffix == ".json":
                assert json.loads(text)["audit"]["name"] == hostile.audit.name  # data, not markup
            elif file.suffix.endswith(".csv"):
                for row in list(csv.reader(io.StringIO(text)))[1:]:
                    for cell in row:
                        assert not cell.startswith(("=", "+", "@", "\t", "\r")), (name, cell)
            else:
                for tag in ("<script>alert", "<img"):
                    assert tag not in text, (name, file.suffix)
    assert {"md.md", "html.html", "junit.junit.xml", "ll144.ll144.md", "ll144.ll144.csv"} <= set(walked)
