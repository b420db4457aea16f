"""A malformed great-expectations expectation is a spec error (exit 2) that names it and the close valid names."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import clean_frame, spec_mapping
from equityaudit.auditors.decisions import DecisionsAuditor
from equityaudit.cli import main
from equityaudit.errors import PluginError, SpecError
from equityaudit.frames import read_source
from equityaudit.quality import run_gate
from equityaudit.spec_loading import spec_from_mapping

WriteCase = Callable[..., Path]


def last_line(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output.splitlines()[-1]


def raw(kind: str, **kwargs: Any) -> dict[str, Any]:
    return {"quality": {"expectations": [{"type": kind, "kwargs": kwargs}]}}


@pytest.mark.parametrize("command", ["check", "run"])
def test_unknown_expectation_name(write_case: WriteCase, command: str, tmp_path: Path) -> None:
    spec = write_case(
        clean_frame(), **raw("expect_column_values_to_be_in_sett", column="race", value_set=["A"])
    )
    code, line = last_line(
        command, str(spec), *(["--out", str(tmp_path / "out")] if command == "run" else [])
    )
    assert code == 2
    assert line == (
        f"error: {spec}: quality.expectations[0]: unknown great-expectations expectation "
        "'expect_column_values_to_be_in_sett'. Did you mean 'expect_column_values_to_be_in_set' or "
        "'expect_column_values_to_not_be_in_set' or 'expect_column_pair_values_to_be_in_set'?"
    )
    assert not (tmp_path / "out").exists()  # nothing written for a spec error


def test_unknown_argument(write_case: WriteCase) -> None:
    spec = write_case(
        clean_frame(), **raw("expect_column_values_to_be_in_set", colum="race", value_set=["A"])
    )
    code, line = last_line("check", str(spec))
    assert code == 2
    assert line == (
        f"error: {spec}: quality.expectations[0]: expect_column_values_to_be_in_set: "
        "unknown argument 'colum'. Did you mean 'column'? Required argument 'column' is missing. "
        "(Arguments it takes: 'column', 'condition_parser', 'description', 'mostly', 'result_format', "
        "'row_condition', 'value_set'.)"
    )


def test_missing_argument(write_case: WriteCase) -> None:
    spec = write_case(clean_frame(), **raw("expect_column_values_to_be_in_set", column="race"))
    code, line = last_line("check", str(spec))
    assert code == 2
    assert ": expect_column_values_to_be_in_set: required argument 'value_set' is missing." in line


def test_argument_of_the_wrong_type(write_case: WriteCase) -> None:
    spec = write_case(
        clean_frame(), **raw("expect_column_values_to_be_in_set", column="race", value_set=["A"], mostly=2)
    )
    code, line = last_line("check", str(spec))
    assert code == 2
    assert "argument 'mostly': ensure this value is less than or equal to 1.0." in line


def test_expectation_without_a_type_is_refused_when_the_spec_loads(write_case: WriteCase) -> None:
    spec = write_case(clean_frame(), quality={"expectations": [{"kwargs": {"column": "race"}}]})
    code, line = last_line("check", str(spec))
    assert code == 2
    assert line == (
        "  - quality.expectations: expectations[0] has no 'type'; write a great-expectations expectation "
        "as {type: expect_column_values_to_be_between, kwargs: {column: score, min_value: 0}}."
    )


def test_unknown_key_of_an_expectation(write_case: WriteCase) -> None:
    spec = write_case(
        clean_frame(), quality={"expectations": [{"type": "expect_column_to_exist", "kwarg": {}}]}
    )
    code, line = last_line("check", str(spec))
    assert code == 2
    assert line.endswith(
        "expectations[0] (expect_column_to_exist): unknown key 'kwarg'. Did you mean 'kwargs'?"
    )


def test_imported_suite_file_errors(write_case: WriteCase, tmp_path: Path) -> None:
    spec = write_case(clean_frame(), quality={"suite": "nope.json"})
    code, line = last_line("check", str(spec))
    assert code == 2
    assert line == (
        f"error: {spec}: quality.suite: {tmp_path / 'nope.json'}: suite file not found. "
        "Check quality.suite (relative to the spec file)."
    )
    (tmp_path / "nope.json").write_text(json.dumps({"expectations": [{"type": "expect_colum_to_exist"}]}))
    code, line = last_line("check", str(spec))
    assert code == 2
    assert "nope.json expectations[0]: unknown great-expectations expectation 'expect_colum_to_exist'" in line
    assert "Did you mean 'expect_column_to_exist'" in line


def test_a_malformed_auditor_expectation_is_a_plugin_error() -> None:
    class Broken(DecisionsAuditor):
        name = "broken"

        def expectations(self, spec: Any) -> list[dict[str, Any]]:
            return [{"type": "expect_column_values_to_be_unique", "kwargs": {"columns": "id"}}]

    spec = spec_from_mapping(spec_mapping(), origin="test")
    with pytest.raises(
        PluginError, match=r"^auditor broken: expect_column_values_to_be_unique: .*unknown argument 'columns'"
    ):
        run_gate(read_source(clean_frame()).frame, spec, Broken())


def test_malformed_spec_expectation_through_the_api() -> None:
    spec = spec_from_mapping(
        spec_mapping(**raw("expect_table_row_count_to_be_betwen", min_value=1)), origin="test"
    )
    with pytest.raises(SpecError, match="Did you mean 'expect_table_row_count_to_be_between'"):
        run_gate(read_source(clean_frame()).frame, spec, DecisionsAuditor())
