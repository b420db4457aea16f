"""DuckDB sources: a file read in place by DuckDB, and a read-only query on a DuckDB database file.

The reference for every number is the same audit on the polars engine (today's reader, tested
against scikit-learn, scipy and hand computations elsewhere): the tables, findings and gate must
be identical, field by field. A source's SHA-256 is checked against ``hashlib`` over the file's
bytes. The query's guard is checked by trying to write, and by comparing the database file's
bytes before and after.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
import yaml
from click.testing import CliRunner

from equityaudit.cli import main
from equityaudit.engine import run_spec
from equityaudit.report.markdown import render_markdown
from equityaudit.results import AuditResult
from equityaudit.spec_loading import load_spec
from paths import ROOT

HIRING = ROOT / "datasets" / "hiring.csv"


def _spec(folder: Path, name: str, data: dict[str, Any]) -> Path:
    """The bundled hiring audit (audits/hiring.yaml), with its data block replaced."""
    spec = yaml.safe_load((ROOT / "audits" / "hiring.yaml").read_text())
    spec["data"] = {key: value for key, value in spec["data"].items() if key != "path"} | data
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def _audit(path: Path) -> AuditResult:
    return run_spec(load_spec(path))


def _same_audit(a: AuditResult, b: AuditResult) -> None:
    assert [t.model_dump() for t in a.tables] == [t.model_dump() for t in b.tables]
    assert [f.model_dump() for f in a.findings] == [f.model_dump() for f in b.findings]
    assert a.gate.model_dump() == b.gate.model_dump()
    assert (a.verdict, a.data.rows) == (b.verdict, b.data.rows)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def polars_result(tmp_path_factory: pytest.TempPathFactory) -> AuditResult:
    folder = tmp_path_factory.mktemp("polars")
    return _audit(_spec(folder, "polars", {"path": str(HIRING)}))


@pytest.fixture
def database(tmp_path: Path) -> Path:
    """A DuckDB file holding hiring.csv as polars reads it, in table ``applicants``."""
    path = tmp_path / "hiring.duckdb"
    applicants = pl.read_csv(HIRING, infer_schema_length=10_000, null_values=[""])
    with duckdb.connect(str(path)) as connection:
        connection.register("frame", applicants.to_arrow())
        connection.execute("CREATE TABLE applicants AS SELECT * FROM frame")
    return path


def test_duckdb_engine_reads_the_csv_as_polars_does(tmp_path: Path, polars_result: AuditResult) -> None:
    result = _audit(_spec(tmp_path, "duckdb", {"path": str(HIRING), "engine": "duckdb"}))
    _same_audit(result, polars_result)
    assert polars_result.data.engine == "polars"
    assert result.data.engine == "duckdb"
    assert result.data.sha256 == polars_result.data.sha256 == _sha256(HIRING)
    assert result.data.query is None


@pytest.mark.parametrize("suffix", ["parquet", "jsonl"])
def test_duckdb_engine_reads_parquet_and_jsonl(
    tmp_path: Path, polars_result: AuditResult, suffix: str
) -> None:
    path = tmp_path / f"hiring.{suffix}"
    rows = pl.read_csv(HIRING, infer_schema_length=10_000, null_values=[""])
    if suffix == "parquet":
        rows.write_parquet(path)
    else:
        rows.write_ndjson(path)
    on_duckdb = _audit(_spec(tmp_path, "duckdb", {"path": str(path), "engine": "duckdb"}))
    on_polars = _audit(_spec(tmp_path, "polars", {"path": str(path)}))
    _same_audit(on_duckdb, on_polars)
    _same_audit(on_duckdb, polars_result)
    assert on_duckdb.data.sha256 == _sha256(path)


def test_query_on_a_database_audits_its_rows(
    tmp_path: Path, database: Path, polars_result: AuditResult
) -> None:
    query = "SELECT * FROM applicants"
    result = _audit(_spec(tmp_path, "query", {"database": database.name, "query": query}))
    _same_audit(result, polars_result)
    assert (result.data.engine, result.data.query) == ("duckdb", query)
    assert result.data.sha256 == _sha256(database)
    assert result.data.source.endswith("hiring.duckdb (data.query)")
    assert f"- **Query:** `{query}` (duckdb)" in render_markdown(result).splitlines()


def test_query_with_a_filter_matches_the_same_filter_in_polars(tmp_path: Path, database: Path) -> None:
    """A WITH ... SELECT keeping applicants under 60 = polars keeping the same rows of the CSV."""
    query = "WITH younger AS (SELECT * FROM applicants WHERE age < 60) SELECT * FROM younger"
    result = _audit(_spec(tmp_path, "query", {"database": database.name, "query": query}))
    rows = pl.read_csv(HIRING, infer_schema_length=10_000).filter(pl.col("age") < 60)
    rows.write_csv(tmp_path / "younger.csv")
    reference = _audit(_spec(tmp_path, "younger", {"path": "younger.csv"}))
    assert 0 < result.data.rows == rows.height < 5000
    _same_audit(result, reference)


def _run(spec: Path) -> tuple[int, str]:
    outcome = CliRunner().invoke(
        main, ["run", str(spec), "--out", str(spec.parent / "out"), "--format", "json"]
    )
    return outcome.exit_code, outcome.output.splitlines()[-1]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "SELEC * FROM applicants",
            'data.query: Parser Error: syntax error at or near "SELEC" LINE 1: SELEC * FROM applicants',
        ),
        ("SELECT * FROM applicant", "data.query: Catalog Error: Table with name applicant does not exist!"),
    ],
    ids=["syntax", "unknown-table"],
)
def test_bad_sql_names_data_query(tmp_path: Path, database: Path, query: str, message: str) -> None:
    spec = _spec(tmp_path, "bad", {"database": database.name, "query": query})
    code, line = _run(spec)
    assert code == 2
    assert line.startswith(f"error: {spec}: {message}")


def test_query_returning_no_rows(tmp_path: Path, database: Path) -> None:
    query = "SELECT * FROM applicants WHERE sex = 'Nobody'"
    spec = _spec(tmp_path, "empty", {"database": database.name, "query": query})
    assert _run(spec) == (
        2,
        f"error: {database} (data.query): the query returned no rows; expected at least one row to "
        f"audit. Check its WHERE clause and the table it reads ({query}).",
    )


def test_query_missing_a_column(tmp_path: Path, database: Path) -> None:
    query = "SELECT applicant_id, race_ethnicity, screen_score, advanced, stage FROM applicants"
    spec = _spec(tmp_path, "narrow", {"database": database.name, "query": query})
    code, line = _run(spec)
    assert code == 2
    assert line == (
        f"error: {database} (data.query): column 'sex' (columns.sensitive[0] in the spec) is not in "
        "the data. Columns in the data: 'advanced', 'applicant_id', 'race_ethnicity', 'screen_score', 'stage'."
    )


def test_missing_database_and_missing_file(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "nodb", {"database": "gone.duckdb", "query": "SELECT 1"})
    assert _run(spec) == (
        2,
        f"error: {spec}: data.database: {tmp_path / 'gone.duckdb'}: database file not found. Check "
        "data.database in the spec.",
    )
    spec = _spec(tmp_path, "nofile", {"path": "gone.parquet", "engine": "duckdb"})
    code, line = _run(spec)
    assert code == 2
    assert line.startswith(f"error: {spec}: data.path: {tmp_path / 'gone.parquet'}: data file not found.")


def test_query_needs_the_duckdb_engine_and_a_database(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "polars", {"database": "d.duckdb", "query": "SELECT 1", "engine": "polars"})
    assert _run(spec)[0] == 2
    assert CliRunner().invoke(main, ["run", str(spec)]).output.splitlines()[-1] == (
        "  - data: query runs on DuckDB, but engine is 'polars'; set engine: duckdb or leave it out."
    )
    spec = _spec(tmp_path, "nodatabase", {"query": "SELECT 1"})
    assert CliRunner().invoke(main, ["run", str(spec)]).output.splitlines()[-1] == (
        "  - data: query is set but database is missing; name the DuckDB file the query runs on."
    )


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("DELETE FROM applicants", "a DELETE statement"),
        ("CREATE TABLE copy AS SELECT * FROM applicants", "a CREATE statement"),
        ("SELECT 1; DROP TABLE applicants", "2 statements (SELECT, DROP)"),
        ("COPY applicants TO 'leak.csv'", "a COPY statement"),
    ],
    ids=["delete", "create", "select-then-drop", "copy"],
)
def test_a_write_is_refused_and_the_database_is_unchanged(
    tmp_path: Path, database: Path, query: str, found: str
) -> None:
    before = database.read_bytes()
    spec = _spec(tmp_path, "write", {"database": database.name, "query": query})
    assert _run(spec) == (
        2,
        f"error: {spec}: data.query: expected one read-only SELECT statement; found {found}. The query is "
        "audited, never run for its effects: write a SELECT (or WITH ... SELECT) that returns the rows to audit.",
    )
    assert database.read_bytes() == before
    assert not (tmp_path / "leak.csv").exists()
    with duckdb.connect(str(database), read_only=True) as connection:
        assert connection.execute("SELECT count(*) FROM applicants").fetchone() == (5000,)


def test_a_query_cannot_reach_other_files(tmp_path: Path, database: Path) -> None:
    spec = _spec(
        tmp_path, "reach", {"database": database.name, "query": f"SELECT * FROM read_csv('{HIRING}')"}
    )
    code, line = _run(spec)
    assert code == 2
    assert line.startswith(f"error: {spec}: data.query: Permission Error: Cannot access file")


def test_without_duckdb_the_message_names_the_extra(
    tmp_path: Path, database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "duckdb", None)  # import duckdb now raises ImportError
    spec = _spec(tmp_path, "q", {"database": database.name, "query": "SELECT * FROM applicants"})
    code, line = _run(spec)
    assert code == 2
    assert line == (
        f"error: {spec}: data.query: DuckDB is not installed; it is the optional extra 'duckdb'. Install "
        "it with: pip install 'equityaudit[duckdb]' (or set data.engine: polars to read files with polars)."
    )


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            "sex,hired,sex\n" + "F,yes,M\nM,no,F\n" * 50,
            "columns.sensitive[0]: {csv}: the header names the same column more than once: 'sex' (2 times); "
            "expected each column name once. Rename or remove the repeated columns, then name the one to "
            "audit in the spec.",
        ),
        (
            "sex,hired\nF,yes\nM,no,extra\n",
            "{csv}: cannot be read as CSV: line 3 has 3 fields but the header has 2 (found: "
            "'M,no,extra'). To fix: remove the extra field(s), or quote the value that holds a ',' (\"a,b\"); "
            "if every line is like this, check data.separator.",
        ),
    ],
    ids=["repeated-column", "extra-field"],
)
@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_a_malformed_csv_fails_the_same_on_both_engines(
    tmp_path: Path, engine: str, text: str, error: str
) -> None:
    data = tmp_path / "data.csv"
    data.write_text(text)
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "equityaudit: 1\nname: t\nauditor: decisions\n"
        f"data: {{path: data.csv, engine: {engine}}}\ncolumns: {{sensitive: sex, decision: hired}}\n"
    )
    code, line = _run(spec)
    assert code == 2
    # DuckDB meets the extra field while reading the header (the message then starts "spec.yaml:
    # data.path:"); polars when the gate first reads the rows (it starts with the file)
    assert line.endswith(error.format(csv=data))
