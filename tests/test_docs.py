"""The documentation stays true: schemas as published, the README's commands real."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from equityaudit.cli import _COMMANDS
from equityaudit.results import result_json_schema
from equityaudit.spec import spec_json_schema

ROOT = Path(__file__).resolve().parents[1]


def test_published_schemas_match_the_code() -> None:
    assert json.loads((ROOT / "docs" / "result.schema.json").read_text()) == result_json_schema()
    assert json.loads((ROOT / "docs" / "spec.schema.json").read_text()) == spec_json_schema()


def test_readme_first_screen_gives_the_two_setup_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    first_screen = "\n".join(readme.splitlines()[:20])
    assert "bash scripts/demo.sh" in first_screen
    assert "bash scripts/test.sh" in first_screen
    assert (ROOT / "scripts" / "demo.sh").is_file() and (ROOT / "scripts" / "test.sh").is_file()


def test_ci_runs_exactly_the_readme_test_command() -> None:
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    commands = [line for line in ci if line and not line.startswith(("#", "set ", "cd "))]
    assert commands == ["bash scripts/test.sh"]
    assert "bash scripts/test.sh" in (ROOT / "README.md").read_text()


def test_every_command_the_docs_mention_exists() -> None:
    text = (ROOT / "README.md").read_text() + "".join(p.read_text() for p in (ROOT / "docs").glob("*.md"))
    inline = re.findall(r"`equityaudit ([a-z]+)", text)
    in_blocks = re.findall(r"^\s*equityaudit ([a-z]+)", text, flags=re.MULTILINE)
    mentioned = set(inline + in_blocks)
    assert {"run", "init", "demo", "schema", "auditors", "datasets"} <= mentioned
    assert mentioned <= set(_COMMANDS), mentioned - set(_COMMANDS)


def test_example_specs_are_documented() -> None:
    for spec in (ROOT / "audits").glob("*.yaml"):
        assert spec.read_text().startswith("# "), (
            f"{spec.name} should open with a comment saying what it shows"
        )


def test_readme_shows_the_real_output_of_the_example_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from equityaudit.cli import main

    monkeypatch.setenv("COLUMNS", "100")
    out = CliRunner().invoke(main, ["run", "audits/hiring.yaml", "--out", str(tmp_path)])
    assert out.exit_code == 1  # the example audit fails, as the README says
    actual = [line.rstrip() for line in out.output.splitlines()]
    readme = (ROOT / "README.md").read_text()
    block = readme.split("`equityaudit run audits/hiring.yaml` on the bundled", 1)[1].split("```", 2)[1]
    shown = [line.rstrip() for line in block.splitlines()[1:]]
    head = shown[: shown.index("...")]
    assert actual[: len(head)] == head
    verdict = next(line for line in shown if line.startswith("Verdict:"))
    assert verdict in actual
    quoted = " ".join(line.removeprefix("> ") for line in readme.splitlines() if line.startswith("> "))
    result = json.loads((tmp_path / "hiring-screening.json").read_text())
    message = next(f["message"] for f in result["findings"] if f["id"] == "sex/selection_rate/Female")
    assert quoted == message
