"""Report formats come from the plugin manager: a third-party format is written like a built-in one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import equityaudit as ea
from equityaudit.cli import main
from equityaudit.plugins import get_format, list_formats, plugin_manager
from equityaudit.report import MARKER, ReportFile, ReportFormat, write_reports
from equityaudit.results import AuditResult

SPEC = """\
equityaudit: 1
name: t
auditor: decisions
data: {path: data.csv}
columns: {sensitive: [sex], decision: hired}
"""


def _verdict_line(result: AuditResult) -> str:
    return f"{MARKER}\n{result.audit.name}: {result.verdict}\n"


class VerdictPlugin:
    """A tiny third-party plugin: one report format, the audit's verdict on one line."""

    def __init__(self, *formats: ReportFormat) -> None:
        self.formats = list(formats) or [
            ReportFormat(
                name="verdict", title="verdict line", files=(ReportFile(".verdict.txt", _verdict_line),)
            )
        ]

    @ea.hookimpl
    def equityaudit_report_formats(self) -> list[ReportFormat]:
        return self.formats


@pytest.fixture
def register() -> Iterator[list[object]]:
    """Register plugin objects with the process's manager for one test, and take them out after."""
    registered: list[object] = []
    yield registered
    for plugin in registered:
        plugin_manager().unregister(plugin)


@pytest.fixture
def verdict_plugin(register: list[object]) -> VerdictPlugin:
    plugin = VerdictPlugin()
    plugin_manager().register(plugin, name="verdict-plugin")
    register.append(plugin)
    return plugin


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    (tmp_path / "data.csv").write_text("sex,hired\n" + "F,yes\nF,no\nM,yes\nM,no\n" * 200)
    path = tmp_path / "t.yaml"
    path.write_text(SPEC)
    return path


def test_the_built_in_formats_are_registered_as_a_plugin() -> None:
    assert {name: plugin for name, (_, plugin) in list_formats().items()} == {
        "json": "report-formats",
        "md": "report-formats",
        "html": "report-formats",
        "junit": "report-formats",
        "ll144": "report-formats",
    }
    assert [name for name, (fmt, _) in list_formats().items() if fmt.default] == ["md"]


@pytest.mark.usefixtures("verdict_plugin")
def test_run_writes_a_third_party_format(spec: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    for _ in range(2):  # the second run replaces the file the first wrote: it carries the marker
        ran = CliRunner().invoke(main, ["run", str(spec), "--out", str(out), "--format", "verdict"])
        assert ran.exit_code == 0, ran.output
    assert sorted(p.name for p in out.iterdir()) == ["t.json", "t.verdict.txt"]
    assert (out / "t.verdict.txt").read_text() == f"{MARKER}\nt: pass\n"
    assert "t.verdict.txt" in "".join(ran.output.split())  # the summary names it (wrapped or not)


@pytest.mark.usefixtures("verdict_plugin")
def test_an_unknown_format_names_every_registered_one(spec: Path, tmp_path: Path) -> None:
    ran = CliRunner().invoke(main, ["run", str(spec), "--out", str(tmp_path / "o"), "--format", "md,pdf"])
    assert ran.exit_code == 2
    assert (
        "unknown format(s) 'pdf'; choose from json, md, html, junit, ll144, verdict, comma-separated "
        "(e.g. --format json,md,html)." in " ".join(ran.output.split())
    )
    with pytest.raises(ea.PluginError, match=r"unknown report format 'verdit'\. Did you mean 'verdict'\?"):
        get_format("verdit")


@pytest.mark.usefixtures("verdict_plugin")
def test_the_listing_and_the_help_show_a_third_party_format(spec: Path, tmp_path: Path) -> None:
    listed = CliRunner().invoke(main, ["formats"], terminal_width=200)
    assert listed.exit_code == 0
    line = next(line for line in listed.output.splitlines() if line.startswith("verdict "))
    assert line.split() == ["verdict", "verdict-plugin", "NAME.verdict.txt", "verdict", "line"]
    for command in ("run", "report"):
        help_text = CliRunner().invoke(main, [command, "--help"], terminal_width=200).output
        assert "ll144, verdict" in " ".join(help_text.split()), command
    ran = CliRunner().invoke(main, ["run", str(spec), "--out", str(tmp_path / "r"), "--format", "json"])
    assert ran.exit_code == 0, ran.output
    rendered = CliRunner().invoke(main, ["report", str(tmp_path / "r" / "t.json"), "--format", "verdict"])
    assert rendered.exit_code == 0, rendered.output
    assert (tmp_path / "r" / "t.verdict.txt").read_text() == f"{MARKER}\nt: pass\n"


def test_a_default_format_is_written_when_format_is_not_given(
    register: list[object], spec: Path, tmp_path: Path
) -> None:
    plugin = VerdictPlugin(
        ReportFormat(
            name="verdict",
            title="verdict line",
            files=(ReportFile(".verdict.txt", _verdict_line),),
            default=True,
        )
    )
    plugin_manager().register(plugin, name="verdict-plugin")
    register.append(plugin)
    ran = CliRunner().invoke(main, ["run", str(spec), "--out", str(tmp_path / "o")])
    assert ran.exit_code == 0, ran.output
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["t.json", "t.md", "t.verdict.txt"]
    help_text = CliRunner().invoke(main, ["run", "--help"], terminal_width=200).output
    assert "[default: md,verdict]" in help_text


def test_a_bytes_format_with_its_own_ownership_check_and_skip_rule(
    register: list[object], spec: Path, tmp_path: Path
) -> None:
    def render(result: AuditResult) -> bytes:
        return b"\x89BADGE\x00" + result.verdict.encode()

    plugin = VerdictPlugin(
        ReportFormat(
            name="badge",
            title="verdict badge",
            files=(ReportFile(".badge.bin", render, owned=lambda text: text.startswith("\ufffdBADGE")),),
            reason_to_skip=lambda result: (
                None if result.verdict == "pass" else "only passed audits get a badge"
            ),
        )
    )
    plugin_manager().register(plugin, name="badge-plugin")
    register.append(plugin)
    result = ea.run(spec)
    out = tmp_path / "out"
    written = write_reports(result, out, ["badge"]).written
    assert written == [out / "t.badge.bin"]
    assert written[0].read_bytes() == b"\x89BADGE\x00pass"
    assert write_reports(result, out, ["badge"]).written == written  # its own file: replaced
    written[0].write_bytes(b"someone else's")
    with pytest.raises(ea.SpecError, match="was not written by equityaudit; refusing to overwrite it"):
        write_reports(result, out, ["badge"])
    failed = result.model_copy(update={"verdict": "fail"})
    skipped = write_reports(failed, tmp_path / "f", ["badge"])
    assert (skipped.written, skipped.skipped) == ([], ["badge: only passed audits get a badge"])


def test_a_renderer_that_returns_neither_text_nor_bytes_is_named(
    register: list[object], spec: Path, tmp_path: Path
) -> None:
    plugin = VerdictPlugin(
        ReportFormat(name="broken", title="broken", files=(ReportFile(".x", lambda r: 42),))
    )  # type: ignore[arg-type, return-value]
    plugin_manager().register(plugin, name="broken-plugin")
    register.append(plugin)
    with pytest.raises(ea.PluginError, match=r"report format 'broken' rendered its '\.x' file as int"):
        write_reports(ea.run(spec), tmp_path / "out", ["broken"])


def test_two_plugins_cannot_claim_one_name_or_one_file_suffix(register: list[object]) -> None:
    clash = VerdictPlugin(
        ReportFormat(name="html", title="my HTML", files=(ReportFile(".mine.html", _verdict_line),))
    )
    plugin_manager().register(clash, name="clash-plugin")
    register.append(clash)
    with pytest.raises(
        ea.PluginError,
        match="two plugins provide a report format named 'html': 'report-formats' and 'clash-plugin'",
    ):
        list_formats()
    plugin_manager().unregister(clash)
    register.remove(clash)
    same_file = VerdictPlugin(
        ReportFormat(name="page", title="page", files=(ReportFile(".html", _verdict_line),))
    )
    plugin_manager().register(same_file, name="same-file-plugin")
    register.append(same_file)
    with pytest.raises(
        ea.PluginError, match=r"report formats 'html' and 'page' .* both write files ending '\.html'"
    ):
        list_formats()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: ReportFormat(name="PDF", title="x", files=(ReportFile(".pdf", _verdict_line),)),
            "'PDF' is not one",
        ),
        (lambda: ReportFormat(name="pdf", title="x", files=()), "'pdf' writes no file"),
        (lambda: ReportFile("../escape.txt", _verdict_line), "'../escape.txt' is not a file name ending"),
        (lambda: ReportFile("html", _verdict_line), "'html' is not a file name ending"),
    ],
)
def test_a_malformed_format_is_refused_where_it_is_made(make: object, message: str) -> None:
    with pytest.raises(ea.PluginError, match=message):
        make()  # type: ignore[operator]
