"""Registry text in the terminal (issue 16, item 5): member names, standards' titles and the tool
names members sign are other people's text; every registry command prints them as text, with
control and bidirectional characters shown as escapes (docs/reports.md#output-safety)."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml
from click.testing import CliRunner
from registry_kit import BIG, RETAIL, Setup, audit, member_frame

from equityaudit.cli import main
from equityaudit.standards import find_standard
from hostile import HOSTILE_LABELS

LITERAL = list(HOSTILE_LABELS.values())
"""The issue's labels (markup, formulas, pipes, console markup): printed exactly as they are."""

CONTROLS = {
    "esc\x1b[2Jclear": "esc\\x1b[2Jclear",
    "evil\u202etxt.exe": "evil\\u202etxt.exe",
    "two\nlines": "two\\nlines",
    "over\rwrite": "over\\rwrite",
    "[link=http://x.test]click[/link]": "[link=http://x.test]click[/link]",
}
"""Names that would act on a terminal → how they must be shown."""

RAW = ("\x1b", "\u202e", "\r")


def test_member_names_are_printed_as_text(setup: Setup, cli: CliRunner) -> None:
    names = [*LITERAL, *CONTROLS]
    for name in names:
        added = cli.invoke(main, ["registry", "member", "add", "--no-token", "--", name])
        assert added.exit_code == 0, added.output
        assert not any(c in added.output for c in RAW), repr(added.output)
    listed = cli.invoke(main, ["registry", "member", "list"])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert len(lines) == 1 + len(names)  # the admin, then one line per member: no name forges a line
    for line, name in zip(lines[1:], names, strict=True):
        assert line.startswith(f"{CONTROLS.get(name, name)}  member  "), (line, name)
    assert not any(c in listed.output for c in RAW), repr(listed.output)


def test_signed_tool_names_are_printed_as_text(setup: Setup, cli: CliRunner) -> None:
    setup.publish()
    member = setup.add_member("alice")
    for tool in ["<script>alert(1)</script>", "esc\x1b[2Jclear"]:
        answer = member.submit(member.sign(audit(member_frame(BIG)), tool=tool))
        assert answer.status_code == 201, answer.text
    listed = cli.invoke(main, ["registry", "submissions", "--token", member.token])
    assert listed.exit_code == 0, listed.output
    assert [line.split("tool=")[1] for line in listed.output.splitlines()] == [
        "<script>alert(1)</script>",
        "esc\\x1b[2Jclear",
    ]
    assert RETAIL in listed.output and "\x1b" not in listed.output


def test_a_standards_text_is_printed_as_text(tmp_path: Path) -> None:
    """A consortium's standard (as ``registry standard get`` saves it) shown by ``standards show``."""
    document = copy.deepcopy(find_standard(RETAIL).document)
    document["id"] = "consortium-screening"  # a bundled standard's id@version cannot be reused
    document["title"] = "[red]Retail[/red] esc\x1b[2Jclear"
    document["authority"] = "evil\u202etxt.exe"
    document["taxonomy"]["attributes"]["sex"]["categories"]["Female"].append("two\nlines")
    (tmp_path / "std.yaml").write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    shown = CliRunner().invoke(main, ["standards", "show", str(tmp_path / "std.yaml")])
    assert shown.exit_code == 0, shown.output
    assert not any(c in shown.output for c in RAW), repr(shown.output)
    assert "consortium-screening@2026.1: [red]Retail[/red] esc\\x1b[2Jclear\n" in shown.output
    assert "authority: evil\\u202etxt.exe\n" in shown.output
    assert "two\\nlines\n" in shown.output
