"""Plugin discovery: a package on sys.path with an entry point is found like the built-ins."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

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
    builtin = ea.audit(frame, auditor="decisions", sensitive="sex", decision="hired")
    assert [f.status for f in result.findings] == ["fail"]
    assert result.findings == builtin.findings
    assert result.tables == builtin.tables
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
