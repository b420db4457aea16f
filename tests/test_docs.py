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
    # each quoted paragraph is one finding's message, word for word
    paragraphs = re.findall(r"((?:^> .*\n)+)", readme, flags=re.MULTILINE)
    quoted = [" ".join(line.removeprefix("> ") for line in p.splitlines()) for p in paragraphs]
    result = json.loads((tmp_path / "hiring-screening.json").read_text())
    messages = {f["id"]: f["message"] for f in result["findings"]}
    assert quoted == [
        messages["sex/selection_rate/Female"],
        messages["race_ethnicity/selection_rate/Hispanic or Latino"],
    ]


def ci_workflows() -> dict[str, object]:
    """The YAML blocks of docs/ci.md, parsed, by the file name in their first comment line."""
    import yaml

    text = (ROOT / "docs" / "ci.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.DOTALL)
    return {block.splitlines()[0].removeprefix("# "): yaml.safe_load(block) for block in blocks}


def test_ci_workflows_install_from_a_checkout_not_pypi() -> None:
    # the package is not on PyPI: every install in docs/ci.md names a path or a pinned git URL
    text = (ROOT / "docs" / "ci.md").read_text()
    installs = re.findall(r'pip install ("[^"]+"|\S+)', text)
    assert installs and all(target.startswith(("./", ".", '"equityaudit @ git+')) for target in installs), (
        installs
    )
    workflows = ci_workflows()
    github = workflows[".github/workflows/fairness.yml"]
    steps = github["jobs"]["audit"]["steps"]  # type: ignore[index]
    assert steps[0] == {"uses": "actions/checkout@v4", "with": {"submodules": True}}
    assert {"run": "pip install ./tools/equityaudit"} in steps
    gitlab = workflows[".gitlab-ci.yml"]["fairness-audit"]  # type: ignore[index]
    assert gitlab["variables"] == {"GIT_SUBMODULE_STRATEGY": "recursive"}
    assert gitlab["script"][0] == "pip install ./tools/equityaudit"


def test_ci_compare_step_runs_as_written(tmp_path: Path) -> None:
    """The GitHub job's compare step, run by bash on real results: it fails when one audit regressed."""
    import os
    import subprocess
    import sys

    import pandas as pd

    import equityaudit as ea

    steps = ci_workflows()[".github/workflows/fairness.yml"]["jobs"]["audit"]["steps"]  # type: ignore[index]
    script = next(s["run"] for s in steps if s.get("name") == "Compare with the last release's audit")

    def result(f_hired: int, name: str) -> ea.AuditResult:  # F f_hired/100 vs M 50/100: ratio f_hired/50
        frame = pd.DataFrame(
            {
                "sex": ["F"] * 100 + ["M"] * 100,
                "hired": [1] * f_hired + [0] * (100 - f_hired) + [1] * 50 + [0] * 50,
            }
        )
        return ea.audit(frame, auditor="decisions", sensitive="sex", decision="hired", name=name, gate="warn")

    result(48, "a").write(tmp_path / "baseline" / "a.json")
    result(48, "a").write(tmp_path / "reports" / "a.json")  # unchanged
    result(48, "b").write(tmp_path / "reports" / "b.json")  # no baseline yet
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no baseline for b.json: not compared" in done.stdout
    result(40, "a").write(tmp_path / "reports" / "a.json")  # ratio 0.96 -> 0.8: regressed
    done = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Regression: 1 finding(s) got worse than the baseline." in done.stdout


@pytest.mark.parametrize(
    ("doc", "marker"), [("spec.md", "auditor: hiring"), ("standards.md", "nyc-ll144@2023")]
)
def test_the_example_specs_in_the_docs_run_on_the_bundled_data(doc: str, marker: str, tmp_path: Path) -> None:
    import equityaudit as ea

    text = (ROOT / "docs" / doc).read_text()
    block = next(b.split("```", 1)[0] for b in text.split("```yaml\n")[1:] if marker in b.split("```", 1)[0])
    (tmp_path / "datasets").symlink_to(ROOT / "datasets")  # the examples read ../datasets/… from audits/
    (tmp_path / "audits").mkdir()
    spec = tmp_path / "audits" / "example.yaml"
    spec.write_text(block)
    result = ea.run(spec)  # a spec error or a data error would raise
    assert result.verdict in {"pass", "warn", "fail"}  # it was audited, not blocked


def _readme_block(after: str) -> str:
    """The first fenced block after the line ``after`` in the README."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(after)
    match = re.search(r"```[a-z]*\n(.*?)```", text[start:], re.S)
    assert match is not None, f"no code block after {after!r}"
    return match.group(1)


def test_readme_public_datasets_commands_print_what_it_shows(reference_data: Path, tmp_path: Path) -> None:
    """The README's three command lines on German credit, Adult and COMPAS, run as written."""
    import shlex

    from click.testing import CliRunner

    from equityaudit.cli import main

    commands = [
        line
        for line in _readme_block("### Three public datasets").splitlines()
        if line.startswith("equityaudit ")
    ]
    assert len(commands) == 3
    outputs: dict[str, str] = {}
    for line in commands:
        for command in line.split(" && "):
            args = shlex.split(command.replace("$D", str(reference_data)))[1:]
            args = [str(tmp_path / a) if a.startswith("public/") else a for a in args]
            done = CliRunner().invoke(main, args)
            assert done.exit_code in (0, 1), (command, done.output)  # written, or audited with findings
            if args[0] == "run":
                result = json.loads(next((tmp_path / "public" / "reports").glob("*.json")).read_text())
                outputs[result["audit"]["name"]] = done.output
                for written in (tmp_path / "public" / "reports").iterdir():
                    written.unlink()
    shown = _readme_block("What they print, in part")
    for segment in shown.strip().split("\n\n"):
        head, *rest = segment.splitlines()
        name, first = head.split(": ", 1)
        output = outputs[name]
        lines = [first, *rest]
        prose = next(
            (i for i, text in enumerate(lines) if text.startswith("The largest disparity")), len(lines)
        )
        printed = {text.rstrip() for text in output.splitlines()}
        for text in lines[:prose]:
            if text.startswith("groups: "):  # a long line the terminal wraps
                assert text in " ".join(output.split()), (name, text)
            else:
                assert text.rstrip() in printed, (name, text)
        if prose < len(lines):
            assert " ".join(" ".join(lines[prose:]).split()) in " ".join(output.split()), name


def test_plugin_docs_show_only_the_public_surface() -> None:
    """Every equityaudit import in docs/plugins.md's Python blocks is from ``equityaudit`` or
    ``equityaudit.plugin`` and names a name in that namespace's ``__all__``."""
    import ast

    import equityaudit
    import equityaudit.plugin

    public = {"equityaudit": equityaudit.__all__, "equityaudit.plugin": equityaudit.plugin.__all__}
    text = (ROOT / "docs" / "plugins.md").read_text()
    imports: list[tuple[str, str | None]] = []
    for block in re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL):
        for node in ast.walk(ast.parse(block)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "equityaudit":
                imports += [(node.module or "", alias.name) for alias in node.names]
            elif isinstance(node, ast.Import):
                imports += [(a.name, None) for a in node.names if a.name.split(".")[0] == "equityaudit"]
    assert ("equityaudit.plugin", "judge") in imports  # the examples do import from the surface
    for module, name in imports:
        assert module in public, f"docs/plugins.md imports from {module}: an internal module"
        assert name is None or name in public[module], f"{name} is not in {module}.__all__"
