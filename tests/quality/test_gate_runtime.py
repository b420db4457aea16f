"""How the gate runs: every backend alike, only the suite's columns converted, great-expectations
imported lazily, nothing printed, nothing sent over the network, the user's GX context left alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from conftest import clean_frame, spec_mapping
from equityaudit.frames import read_source, rows_for_python
from equityaudit.plugins import get_auditor
from equityaudit.quality import build_suite, run_gate
from equityaudit.spec_loading import spec_from_mapping

BACKENDS: dict[str, Callable[[pd.DataFrame], Any]] = {
    "pandas": lambda f: f,
    "polars": pl.from_pandas,
    "polars-lazy": lambda f: pl.from_pandas(f).lazy(),
    "pyarrow": lambda f: pa.Table.from_pandas(f, preserve_index=False),
    "duckdb": duckdb.from_df,
}


def defective() -> pd.DataFrame:
    frame = clean_frame()
    frame.loc[5, "hired"] = "maybe"  # not binary
    frame.loc[7, "id"] = frame.loc[6, "id"]  # a duplicated id: 2 rows
    frame.loc[:44, "race"] = None  # 45 of 200 missing: 22.5 % > 20 %
    return frame


@pytest.mark.parametrize("backend", list(BACKENDS))
def test_every_backend_gives_the_same_checks(backend: str) -> None:
    spec = spec_from_mapping(spec_mapping(quality={"ranges": {"score": [0, 99]}}), origin="test")
    outcome = run_gate(read_source(BACKENDS[backend](defective())).frame, spec, get_auditor("decisions"))
    failed = [
        (c.name, c.column, c.unexpected_count, c.unexpected_values)
        for c in outcome.gate.checks
        if not c.passed
    ]
    assert failed == [
        ("expect_column_values_to_not_match_regex", "race", 45, [None]),
        ("expect_column_values_to_match_regex", "hired", 1, ["maybe"]),
        ("expect_column_values_to_be_unique", "id", 2, ["P0006"]),
        ("expect_column_values_to_be_between", "score", 1, [100.0]),  # score n % 101 = 100 once: n = 100
    ]
    assert outcome.rows == 200


def test_only_the_columns_the_suite_reads_are_converted() -> None:
    frame = pl.from_pandas(clean_frame()).with_columns(
        nested=pl.lit([1, 2, 3]),  # a list column GX never sees
        blob=pl.lit(b"\x00" * 10),
    )
    spec = spec_from_mapping(spec_mapping(), origin="test")
    lazy = read_source(frame).frame
    suite = build_suite(spec, get_auditor("decisions"), schema=dict(lazy.collect_schema()))
    columns = suite.columns(lazy.collect_schema().names())
    assert columns == ["id", "sex", "race", "hired"]  # in data order
    converted = rows_for_python(lazy, columns, why="the test")
    assert list(converted.columns) == columns
    assert run_gate(lazy, spec, get_auditor("decisions")).gate.passed


def test_a_pandas_frame_is_not_copied() -> None:
    frame = clean_frame()
    converted = rows_for_python(read_source(frame).frame, ["sex", "score"], why="the test")
    assert converted.shape == (200, 2)
    assert np.shares_memory(converted["score"].to_numpy(), frame["score"].to_numpy())  # copy-on-write


def python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "EQUITYAUDIT_NO_ENTRYPOINTS": "1", **env},
        check=False,
        timeout=300,
    )


def test_the_cli_and_its_help_never_import_great_expectations() -> None:
    done = python("import equityaudit.cli", PYTHONPROFILEIMPORTTIME="1")
    assert done.returncode == 0, done.stderr
    assert "equityaudit.cli" in done.stderr and "great_expectations" not in done.stderr
    for args in (["--help"], ["check", "--help"], ["run", "--help"]):
        done = python(
            "import sys\nfrom equityaudit.cli import main\n"
            f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
            "print('great_expectations' in sys.modules)"
        )
        assert done.stdout.splitlines()[-1] == "False", (args, done.stdout)


HEAVY = ("great_expectations", "scipy", "pandas")


@pytest.mark.parametrize(
    ("case", "lines", "heavy"),
    [
        # a header and no rows: reading the rows makes an empty pandas frame, nothing more
        ("header-only", ["id,sex,race,hired"], ("great_expectations", "scipy")),
        # a line with one field more than the header fails while the rows are read
        ("malformed", ["id,sex,race,hired", "P1,F,A,yes", "P2,M,B,no,extra", "P3,F,A,no"], HEAVY),
    ],
)
def test_a_data_error_is_reported_before_any_heavy_import(
    tmp_path: Path, case: str, lines: list[str], heavy: tuple[str, ...]
) -> None:
    (tmp_path / "data.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "equityaudit: 1\nname: fast\nauditor: decisions\ndata: {path: data.csv}\n"
        "columns: {sensitive: [sex, race], decision: hired}\n",
        encoding="utf-8",
    )
    done = python(
        "import sys\nfrom equityaudit.cli import main\n"
        f"try:\n    main(['run', {str(spec)!r}, '--out', {str(tmp_path / 'out')!r}])\n"
        "except SystemExit as exit:\n    print('exit', exit.code)\n"
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))"
    )
    assert done.stdout.splitlines()[-2:] == ["exit 2", "[]"], (case, done.stdout, done.stderr)
    expected = "the data has a header but no rows" if case == "header-only" else "line 3 has 5 fields"
    assert expected in done.stderr


def test_check_prints_no_gx_noise(write_case: Callable[..., Path]) -> None:
    spec = write_case(defective())
    done = subprocess.run(
        [sys.executable, "-m", "equityaudit", "check", str(spec)],
        capture_output=True,
        text=True,
        env={**os.environ, "EQUITYAUDIT_NO_ENTRYPOINTS": "1", "COLUMNS": "120"},
        check=False,
        timeout=300,
    )
    assert done.returncode == 3
    assert done.stderr == ""  # no progress bars, log lines or warnings from GX
    assert "Calculating Metrics" not in done.stdout and "it/s" not in done.stdout
    assert "expect_column_values_to_match_regex" in done.stdout


def test_the_gate_needs_no_network(write_case: Callable[..., Path]) -> None:
    spec = write_case(defective())
    done = python(
        "import socket\n"
        "def refuse(*args, **kwargs):\n    raise OSError('network access attempted')\n"
        "socket.socket.connect = refuse\nsocket.create_connection = refuse\nsocket.getaddrinfo = refuse\n"
        "from equityaudit import check_spec\nfrom equityaudit.spec_loading import load_spec\n"
        f"outcome = check_spec(load_spec({str(spec)!r}))\n"
        "print(outcome.gate.passed, sum(not c.passed for c in outcome.gate.checks))",
        GX_ANALYTICS_ENABLED="true",  # even a user who enabled GX analytics: our context has them off
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "3"]
    assert done.stderr == ""


def test_a_users_current_gx_context_is_left_alone() -> None:
    from equityaudit.quality.gx_runner import runner

    gx = runner().gx
    from great_expectations.data_context.data_context.context_factory import project_manager

    theirs = gx.get_context(mode="ephemeral")
    spec = spec_from_mapping(spec_mapping(), origin="test")
    run_gate(read_source(clean_frame()).frame, spec, get_auditor("decisions"))
    assert project_manager.get_current_project() is theirs
    assert runner().context is not theirs


def test_exported_suite_is_plain_json() -> None:
    spec = spec_from_mapping(spec_mapping(), origin="test")
    outcome = run_gate(read_source(clean_frame()).frame, spec, get_auditor("decisions"))
    assert json.loads(json.dumps(outcome.suite)) == outcome.suite
    assert outcome.suite["meta"]["equityaudit"]["generated_by"].startswith("equityaudit ")
