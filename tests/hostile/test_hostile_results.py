"""Hostile result JSONs: every field of a real result mutated, deleted or replaced by a huge, NaN or null value.

Bounds: the property test runs at most 40 derandomized examples (``bounds.BOUNDED``), each
within 10 s; the file adds a few seconds to the suite. ``equityaudit report FILE`` and
``equityaudit compare A B`` must give exit 0, 1, 2 or 3 with a message — never exit 4, a
traceback or a hang — and every read of a damaged file by :func:`read_result` is a ResultError.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from bounds import BOUNDED, SPEC, invoke, write_data
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from equityaudit.cli import main
from equityaudit.errors import ResultError
from equityaudit.results import read_result


@pytest.fixture(scope="module")
def result_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("result")
    write_data(folder)
    spec = folder / "spec.yaml"
    spec.write_text(yaml.safe_dump(SPEC), encoding="utf-8")
    invoke(["run", str(spec), "--out", str(folder), "-q"])
    return folder / "hostile.json"


def _leaves(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    children = (
        value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    )
    for key, child in children:
        found += _leaves(child, (*prefix, key))
    return found


DELETE = object()
REPLACEMENTS = st.one_of(
    st.just(DELETE),
    st.none(),
    st.booleans(),
    st.sampled_from(
        [float("nan"), float("inf"), 10**400, -(10**30), 1e308, "x" * 100_000, "\u202e", [], {}, [None]]
    ),
    st.integers(),
    st.text(max_size=10),
)


def _mutated(payload: dict[str, Any], path: tuple[Any, ...], value: Any) -> str:
    payload = json.loads(json.dumps(payload))
    parent = payload
    for key in path[:-1]:
        parent = parent[key]
    if value is DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return json.dumps(payload)  # NaN and Infinity as JSON's common extension, as other tools write them


@BOUNDED
@given(data=st.data())
def test_every_field_mutated(
    result_file: Path, data: st.DataObject, tmp_path_factory: pytest.TempPathFactory
) -> None:
    payload = json.loads(result_file.read_text(encoding="utf-8"))
    path = data.draw(st.sampled_from(_leaves(payload)), label="path")
    value = data.draw(REPLACEMENTS, label="value")
    folder = tmp_path_factory.mktemp("mutated")
    hostile = folder / "mutated.json"
    hostile.write_text(_mutated(payload, path, value), encoding="utf-8")
    message = ""
    try:
        read_result(hostile)
    except ResultError as exc:
        message = str(exc)
    assert not message or str(hostile) in message, message
    invoke(["report", str(hostile), "--out", str(folder / "out"), "--format", "md,html,junit,ll144"])
    invoke(["compare", str(hostile), str(result_file)])
    invoke(["compare", str(result_file), str(hostile)])


@pytest.mark.parametrize(
    "text",
    [
        "",
        "null",
        "[]",
        "{}",
        "1e400",
        '{"schema": 1}',
        '"\u202e"',
        "[" * 100_000,
        "\x00",
        "{" + '"a":1,' * 50_000 + '"a":2}',
    ],
    ids=[
        "empty",
        "null",
        "list",
        "object",
        "huge",
        "schema-int",
        "bidi",
        "deep-nesting",
        "nul",
        "repeated-keys",
    ],
)
def test_not_a_result(text: str, tmp_path: Path, result_file: Path) -> None:
    hostile = tmp_path / "bad.json"
    hostile.write_text(text, encoding="utf-8")
    code, output = invoke(["report", str(hostile), "--out", str(tmp_path / "out")])
    assert code == 2 and "bad.json" in output, output
    code, output = invoke(["compare", str(hostile), str(result_file)])
    assert code == 2 and "bad.json" in output, output


def test_invalid_utf8_result(tmp_path: Path, result_file: Path) -> None:
    hostile = tmp_path / "bad.json"
    hostile.write_bytes(result_file.read_bytes().replace(b'"hostile"', b'"host\xffile"', 1))
    code, output = invoke(["report", str(hostile), "--out", str(tmp_path / "out")])
    assert code == 2 and "bad.json" in output, output


def test_a_chi_square_without_its_degrees_of_freedom_still_renders(result_file: Path, tmp_path: Path) -> None:
    """Found by the mutation test: a hand-edited result whose chi-square lost 'dof' ended in exit 4."""
    payload = json.loads(result_file.read_text(encoding="utf-8"))
    (table,) = [t for t in payload["tables"] if "chi_square" in t["tests"]][:1]
    del table["tests"]["chi_square"]["dof"]
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(payload))
    done = CliRunner().invoke(
        main, ["report", str(edited), "--format", "md,html", "--out", str(tmp_path / "out")]
    )
    assert done.exit_code in (0, 2), done.output
    assert "Traceback" not in done.output


@pytest.mark.parametrize("group", [None, "Female", {"sex": 1}], ids=["missing", "text", "number"])
def test_a_table_row_without_its_group_is_a_result_error(
    result_file: Path, tmp_path: Path, group: Any
) -> None:
    """Found by the mutation test: a row of tables[0] whose 'group' was deleted ended in exit 4 (a
    KeyError in the Markdown renderer). Every row names its group; a result that does not is refused
    where it is read, for every format."""
    payload = json.loads(result_file.read_text(encoding="utf-8"))
    row = payload["tables"][0]["rows"][1]
    if group is None:
        del row["group"]
    else:
        row["group"] = group
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(payload))
    done = CliRunner().invoke(
        main, ["report", str(edited), "--format", "md,html,junit,ll144", "--out", str(tmp_path / "out")]
    )
    assert done.exit_code == 2, done.output
    assert "garbled result: tables.0.rows" in done.output
    assert "row 1: expected 'group', an object of attribute → group name (text)" in done.output
    assert "Traceback" not in done.output
