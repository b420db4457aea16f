"""Plugin discovery: a package on sys.path with an entry point is found like the built-ins."""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

import equityaudit as ea
from equityaudit.cli import main
from equityaudit.plugins import BUILTIN_PLUGINS, list_formats, plugin_manager

PLUGINS = Path(__file__).parent / "plugins"


@pytest.fixture
def with_example_plugin(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.syspath_prepend(str(PLUGINS))
    monkeypatch.delenv("EQUITYAUDIT_NO_ENTRYPOINTS")
    plugin_manager.cache_clear()
    yield
    plugin_manager.cache_clear()


def test_builtins_are_registered_as_plugins() -> None:
    auditors = ea.list_auditors()
    assert {name: plugin for name, (_, plugin) in auditors.items()} == {
        "chatbot": "chatbot",
        "decisions": "decisions",
        "hiring": "hiring",
        "marketing": "marketing",
    }
    assert set(BUILTIN_PLUGINS) == set(auditors) | {"report-formats"}
    assert "example" not in auditors  # the suite never loads plugins from the environment
    assert {plugin for _, plugin in list_formats().values()} == {"report-formats"}


@pytest.mark.usefixtures("with_example_plugin")
def test_third_party_plugin_is_discovered_through_its_entry_point() -> None:
    auditors = ea.list_auditors()
    assert auditors["example"][1] == "example"
    assert {"decisions", "hiring"} <= set(auditors)
    # the built-in's own entry points (pyproject.toml) do not register them twice
    assert len(plugin_manager().get_plugins()) == len(BUILTIN_PLUGINS) + 1


@pytest.mark.usefixtures("with_example_plugin")
def test_third_party_auditor_runs_and_is_listed() -> None:
    frame = pd.DataFrame({"sex": ["F"] * 40 + ["M"] * 40, "hired": [1] * 10 + [0] * 30 + [1] * 20 + [0] * 20})
    result = ea.audit(frame, auditor="example", sensitive="sex", decision="hired")
    # F: 10/40 = 0.25, M: 20/40 = 0.5 -> impact ratio 0.5
    assert result.findings[0].value == pytest.approx(0.5)
    # judged by the one rule, exactly as the built-in decisions auditor judges the same comparison
    # (its metric is its own, approval_rate: the selection rate under another name)
    builtin = ea.audit(frame, auditor="decisions", sensitive="sex", decision="hired")
    assert [f.status for f in result.findings] == ["fail"]

    def renamed(dump: str) -> str:
        return dump.replace("approval_rate", "selection_rate").replace("approval rate", "selection rate")

    assert [renamed(f.model_dump_json(exclude={"message"})) for f in result.findings] == [
        f.model_dump_json(exclude={"message"}) for f in builtin.findings
    ]
    assert [renamed(t.model_dump_json()) for t in result.tables] == [
        t.model_dump_json() for t in builtin.tables
    ]
    out = CliRunner().invoke(main, ["auditors"], terminal_width=200)
    assert out.exit_code == 0
    assert "example" in out.output and "Example third-party auditor" in out.output


def test_unknown_auditor_suggests_the_nearest() -> None:
    with pytest.raises(ea.PluginError, match=r"unknown auditor 'hirring'\. Did you mean 'hiring'\?"):
        ea.get_auditor("hirring")


def test_example_plugin_imports_only_the_plugin_namespace() -> None:
    """The example plugin is written as a third party would: equityaudit.plugin, and nothing deeper."""
    tree = ast.parse((PLUGINS / "equityaudit_example_plugin.py").read_text())
    modules = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    modules |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    ours = {m for m in modules if m.split(".")[0] == "equityaudit"}
    assert ours == {"equityaudit.plugin"}
    others = {m.split(".")[0] for m in modules - ours}
    assert others <= {*sys.stdlib_module_names, "narwhals", "pydantic"}, others


def _example_result() -> Any:
    # F: 10 of 40 approved (25%), M: 20 of 40 (50%): impact ratio 0.5, a fail
    frame = pd.DataFrame({"sex": ["F"] * 40 + ["M"] * 40, "hired": [1] * 10 + [0] * 30 + [1] * 20 + [0] * 20})
    return ea.audit(frame, auditor="example", sensitive="sex", decision="hired")


@pytest.mark.usefixtures("with_example_plugin")
def test_a_third_party_auditor_renders_in_its_own_words() -> None:
    from equityaudit.report.html import render_html
    from equityaudit.report.markdown import render_markdown

    result = _example_result()
    assert result.vocabulary is not None and "approval_rate" in result.vocabulary.metrics
    html, markdown = render_html(result), render_markdown(result)
    summary = (
        "The largest disparity: F borrowers had their loans approved at a rate of 25.0% against 50.0% for M "
        "borrowers (ratio 0.500); 6 more F borrowers would need to have been approved to reach four-fifths "
        "of M borrowers' rate."  # 0.8 × 50% × 40 = 16 approvals needed, 10 made: 6 more
    )
    assert summary in " ".join(markdown.split())
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())
    assert summary in text
    assert "share of loan applications approved" in text
    assert "Ask the lender's credit team which rules drive the gap" in text
    # the words travel in the result: read back without the plugin, it renders the same
    stored = ea.AuditResult.model_validate_json(result.to_json())
    assert render_markdown(stored) == markdown


@pytest.mark.usefixtures("with_example_plugin")
def test_a_stored_third_party_result_renders_without_its_plugin(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "loans.json").write_text(_example_result().to_json())
    monkeypatch.setenv("EQUITYAUDIT_NO_ENTRYPOINTS", "1")  # uninstall it
    plugin_manager.cache_clear()
    assert "example" not in ea.list_auditors()
    done = CliRunner().invoke(
        main, ["report", str(tmp_path / "loans.json"), "--format", "md", "--out", str(tmp_path)]
    )
    assert done.exit_code == 0, done.output
    (markdown,) = tmp_path.glob("*.md")
    assert "F borrowers had their loans approved at a rate of 25.0%" in " ".join(markdown.read_text().split())


@pytest.mark.usefixtures("with_example_plugin")
def test_a_third_party_rate_without_words_is_named_after_itself() -> None:
    """Only a hiring audit's <stage>_rate metrics are funnel stages; another auditor's approval_rate
    without words of its own is 'approval rate', not 'rate of reaching approval'."""
    from equityaudit.report.html import render_html
    from equityaudit.report.markdown import render_markdown

    result = _example_result().model_copy(update={"vocabulary": None})
    text = unescape(render_html(result)) + render_markdown(result)
    assert "approval rate" in text
    assert "reaching approval" not in text and "applicant(s)" not in text
