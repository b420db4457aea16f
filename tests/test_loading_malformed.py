"""Malformed data files and non-scalar columns are data errors (exit 2) naming the file, the line and the fix.

Each file has a header and 100 rows (row i: sex F when i is odd, hired i % 2), written as lines
2..101; the test then breaks the line it names.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pytest
from click.testing import CliRunner

import equityaudit as ea
from equityaudit.cli import main
from equityaudit.errors import DataError
from equityaudit.frames import read_source
from equityaudit.stats.counts import grouped_counts

SPEC = "equityaudit: 1\nname: t\nauditor: decisions\ndata: {{path: {data}}}\ncolumns: {{sensitive: {sensitive}, decision: hired}}\n"


def lines() -> list[str]:
    return ["sex,hired"] + [f"{'F' if i % 2 else 'M'},{i % 2}" for i in range(100)]


def run(tmp_path: Path, data: str, *, sensitive: str = "sex", command: str = "run") -> tuple[int, str]:
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.format(data=data, sensitive=sensitive))
    args = [command, str(spec)] + (["--out", str(tmp_path / "out")] if command == "run" else [])
    result = CliRunner().invoke(main, args)
    return result.exit_code, " ".join(result.output.split())


@pytest.mark.parametrize("command", ["run", "check"])
def test_a_row_with_an_extra_field(tmp_path: Path, command: str) -> None:
    text = lines()
    text[50] = "F,1,extra"  # list index 50 is line 51 of the file (the header is line 1)
    (tmp_path / "data.csv").write_text("\n".join(text) + "\n")
    code, out = run(tmp_path, "data.csv", command=command)
    assert code == 2, out
    assert "Traceback" not in out and "truncate_ragged_lines" not in out
    assert (
        "data.csv: cannot be read as CSV: line 51 has 3 fields but the header has 2 (found: 'F,1,extra')"
        in out
    )
    assert "To fix: remove the extra field(s)" in out


def test_an_unterminated_quote(tmp_path: Path) -> None:
    text = lines()
    text[50] = '"F,1'  # line 51 opens a quote that no later line closes
    (tmp_path / "data.csv").write_text("\n".join(text) + "\n")
    code, out = run(tmp_path, "data.csv")
    assert code == 2, out
    assert "Traceback" not in out and "invalid csv file" not in out
    assert "line 51: a quoted value opens here and is never closed (found: '\"F,1')" in out
    assert "add the closing quote" in out


def test_an_invalid_jsonl_line(tmp_path: Path) -> None:
    rows = [f'{{"sex": "{"F" if i % 2 else "M"}", "hired": {i % 2}}}' for i in range(100)]
    rows[50] = '{"sex": "F", "hired": 1'  # line 51 (JSONL has no header): the closing brace is missing
    (tmp_path / "data.jsonl").write_text("\n".join(rows) + "\n")
    code, out = run(tmp_path, "data.jsonl")
    assert code == 2, out
    assert "data.jsonl: cannot be read as JSONL: line 51 is not valid JSON" in out


def test_the_error_is_raised_where_the_rows_are_first_collected(tmp_path: Path) -> None:
    text = lines()
    text[50] = "F,1,extra"
    (tmp_path / "data.csv").write_text("\n".join(text) + "\n")
    source = read_source(tmp_path / "data.csv")  # reading the header succeeds: polars scans lazily
    with pytest.raises(DataError, match=r"line 51 has 3 fields but the header has 2"):
        grouped_counts(source.frame, sensitive=["sex"], decision="hired", origin=source.name)


@pytest.mark.parametrize(
    ("column", "found"),
    [
        ("record", "holds a record of fields per row (type Struct"),
        ("tags", "holds a list of values per row (type List(String))"),
        ("blob", "holds raw bytes (type Binary)"),
    ],
)
def test_a_non_scalar_sensitive_column(tmp_path: Path, column: str, found: str) -> None:
    pl.DataFrame(
        {
            "record": [{"sex": "F"}, {"sex": "M"}] * 50,
            "tags": [["a"], ["b", "c"]] * 50,
            "blob": [b"F", b"M"] * 50,
            "hired": [1, 0] * 50,
        }
    ).write_parquet(tmp_path / "data.parquet")
    code, out = run(tmp_path, "data.parquet", sensitive=column)
    assert code == 2, out
    assert "Traceback" not in out and "unhashable" not in out
    assert f"data.parquet: column '{column}' (columns.sensitive[0] in the spec) {found}" in out
    assert "To fix:" in out


@pytest.mark.parametrize(
    ("values", "found"),
    [
        ([{"sex": "F"}, {"sex": "M"}], "holds a record of fields per row (Python dict values)"),
        ([["F"], ["M"]], "holds a list of values per row (Python list values)"),
    ],
)
def test_a_pandas_column_of_python_containers(values: list[Any], found: str) -> None:
    frame = pd.DataFrame({"sex": values * 50, "hired": [1, 0] * 50})
    with pytest.raises(
        DataError,
        match=re.escape(f"<pandas.DataFrame>: column 'sex' (columns.sensitive[0] in the spec) {found}"),
    ):
        ea.audit(frame, auditor="decisions", sensitive="sex", decision="hired")


def wide_lines() -> list[str]:
    """Like :func:`lines`, with columns the spec does not name before and after the audited ones."""
    return ["id,sex,hired,score"] + [f"{i},{'F' if i % 2 else 'M'},{i % 2},{i / 2}" for i in range(100)]


@pytest.mark.parametrize("command", ["run", "check"])
def test_an_extra_field_is_found_when_the_spec_names_other_columns(tmp_path: Path, command: str) -> None:
    # polars does not parse the fields of columns no query reads, so an extra field at the end of
    # a line went unseen when the spec named only sex and hired
    text = wide_lines()
    text[10] = "9,F,1,4.5,EXTRA"  # line 11 of the file
    (tmp_path / "data.csv").write_text("\n".join(text) + "\n")
    code, out = run(tmp_path, "data.csv", command=command)
    assert code == 2, out
    assert "line 11 has 5 fields but the header has 4 (found: '9,F,1,4.5,EXTRA')" in out


def test_blank_lines_are_not_rows(tmp_path: Path) -> None:
    # a blank line in the middle and two at the end (as editors leave them): 100 rows, not 103
    text = lines()
    text.insert(30, "")
    (tmp_path / "data.csv").write_text("\n".join(text) + "\n\n\n")
    result = ea.audit(tmp_path / "data.csv", auditor="decisions", sensitive="sex", decision="hired")
    assert result.data.rows == 100
    assert result.gate.passed
    # F is odd i (hired), M even i (not hired): 50 F all hired, 50 M none; by hand
    (table,) = [t for t in result.tables if t.name == "sex"]
    assert {r["group"]["sex"]: (r["n"], r["selected"]) for r in table.rows} == {"F": (50, 50), "M": (50, 0)}


def test_a_column_named_twice_in_the_header(tmp_path: Path) -> None:
    text = ["sex,hired,hired"] + [f"{'F' if i % 2 else 'M'},0,{i % 2}" for i in range(100)]
    (tmp_path / "data.csv").write_text("\n".join(text) + "\n")
    code, out = run(tmp_path, "data.csv")
    assert code == 2, out
    assert out.endswith(
        f"{tmp_path / 'data.csv'}: the header names the same column more than once: 'hired' (2 times); "
        "expected each column name once. Rename or remove the repeated columns, then name the one to "
        "audit in the spec."
    )


def test_a_frame_with_a_column_named_twice() -> None:
    frame = pd.DataFrame([["M", 1, 0], ["F", 0, 1]] * 40, columns=["sex", "hired", "hired"])
    with pytest.raises(
        DataError, match=r"the frame names the same column more than once \(- 'hired' 2 times\)"
    ):
        ea.audit(frame, auditor="decisions", sensitive="sex", decision="hired")


def test_an_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # chmod 000 does not stop root (these tests may run as root), so the permission check is faked
    (tmp_path / "data.csv").write_text("\n".join(lines()) + "\n")
    import equityaudit.frames

    readable = os.access
    monkeypatch.setattr(
        equityaudit.frames.os,
        "access",
        lambda path, mode: Path(path).name != "data.csv" and readable(path, mode),
    )
    code, out = run(tmp_path, "data.csv")
    assert code == 2, out
    assert out.endswith(
        f"{tmp_path / 'data.csv'}: the file cannot be read (permission denied for this user). Give the user "
        "running equityaudit read access (chmod u+r), or copy the file somewhere it can be read."
    )
