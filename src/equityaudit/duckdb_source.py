"""DuckDB as a data source: a file read in place, or one read-only query on a database file.

A spec's ``data: {engine: duckdb, path: file.parquet}`` reads the file with DuckDB instead of
polars; ``data: {query: "SELECT ...", database: file.duckdb}`` audits the rows of a query. Either
way the data stays a lazy DuckDB relation wrapped by narwhals, so the gate's and the auditors'
counts run inside DuckDB and only the counts leave it.

A query is audited, never run for its effects: the database is opened ``read_only``, the text
must be exactly one ``SELECT`` (or ``WITH ... SELECT``) statement, and the connection may not
touch any other file (DuckDB's ``enable_external_access`` is off), so ``COPY ... TO``, ``ATTACH``
or ``read_csv('/etc/...')`` cannot run either. DuckDB is the optional extra ``duckdb``.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path
from types import ModuleType
from typing import Any

import narwhals as nw

from equityaudit.errors import DataError, MissingExtraError, SpecError

__all__ = ["duckdb_module", "read_only_statement", "scan_file"]

_TYPES = ["BIGINT", "DOUBLE", "VARCHAR"]
"""The types DuckDB may infer for a CSV column: those polars infers without date parsing, so a
column reads the same on either engine (DuckDB would read ``Yes``/``No`` as booleans and
``2026-01-01`` as a date; polars keeps both as text, and the auditors read text labels)."""


def duckdb_module(where: str) -> ModuleType:
    """Import duckdb, or fail with the pip command that installs it.

    Examples
    --------
    >>> duckdb_module("audit.yaml: data.engine").__name__
    'duckdb'
    """
    try:
        import duckdb
    except ImportError:
        raise MissingExtraError(
            f"{where}: DuckDB is not installed; it is the optional extra 'duckdb'. Install it with: "
            "pip install 'equityaudit[duckdb]' (or set data.engine: polars to read files with polars)."
        ) from None
    return duckdb


def scan_file(path: Path, kind: str, separator: str) -> nw.LazyFrame[Any]:
    """A CSV, Parquet or JSONL file as a lazy DuckDB relation, read in place.

    Rows whose every field is empty are skipped, as the polars reader does.

    Examples
    --------
    >>> frame = scan_file(Path("datasets/hiring.csv"), "csv", ",")
    >>> frame.implementation.name, frame.select("sex").collect_schema()["sex"]
    ('DUCKDB', String)
    """
    duckdb = duckdb_module(f"{path}: data.engine")
    connection = duckdb.connect(config={"threads": 2})
    if kind == "csv":
        relation = connection.read_csv(  # the dialect polars reads: a header first, RFC 4180 quoting
            str(path),
            sep=separator,
            header=True,
            skiprows=0,
            quotechar='"',
            escapechar='"',
            auto_type_candidates=_TYPES,
        )
        frame: nw.LazyFrame[Any] = nw.from_native(relation)
        frame = frame.rename(_copies_named_as_polars(path, separator, frame.collect_schema().names()))
        columns = frame.collect_schema().names()
        return frame.filter(~nw.all_horizontal(*[nw.col(c).is_null() for c in columns], ignore_nulls=False))
    if kind == "parquet":
        frame = nw.from_native(connection.read_parquet(str(path)))
    else:
        frame = nw.from_native(connection.read_json(str(path), format="newline_delimited"))
    return frame


def _copies_named_as_polars(path: Path, separator: str, columns: list[str]) -> dict[str, str]:
    """DuckDB's names for the copies of a column the header names twice, renamed as polars names them.

    DuckDB calls the second ``decision`` ``decision_1``; polars calls it ``decision_duplicated_0``,
    and :func:`equityaudit.frames.check_repeated_columns` refuses an audit that uses it. The header
    (read with the csv module) says which columns are copies, whatever they are called.
    """
    with path.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle, delimiter=separator), [])
    if len(header) != len(columns) or len(set(header)) == len(header):
        return {}
    seen: dict[str, int] = {}
    renames: dict[str, str] = {}
    for name, column in zip(header, columns, strict=True):
        if name in seen:
            renames[column] = f"{name}_duplicated_{seen[name]}"
            seen[name] += 1
        else:
            seen[name] = 0
    return renames


def read_only_statement(query: str, *, origin: str) -> str:
    """The query's one statement when it is a ``SELECT`` (or ``WITH ... SELECT``); else a SpecError.

    Examples
    --------
    >>> read_only_statement("SELECT * FROM t;", origin="a.yaml")
    'SELECT * FROM t'
    >>> read_only_statement("DELETE FROM t", origin="a.yaml")
    Traceback (most recent call last):
    ...
    equityaudit.errors.SpecError: a.yaml: data.query: expected one read-only SELECT statement; found a DELETE statement. The query is audited, never run for its effects: write a SELECT (or WITH ... SELECT) that returns the rows to audit.
    """
    duckdb = duckdb_module(f"{origin}: data.query")
    try:
        statements = duckdb.extract_statements(query)
    except duckdb.Error as exc:
        raise SpecError(f"{origin}: data.query: {_one_line(exc)}") from None
    kinds = [statement.type.name for statement in statements]
    if len(kinds) != 1 or kinds[0] != "SELECT":
        found = (
            f"{len(kinds)} statements ({', '.join(kinds)})" if len(kinds) != 1 else f"a {kinds[0]} statement"
        )
        raise SpecError(
            f"{origin}: data.query: expected one read-only SELECT statement; found {found}. The query "
            "is audited, never run for its effects: write a SELECT (or WITH ... SELECT) that returns "
            "the rows to audit."
        )
    text: str = statements[0].query
    return text.strip().rstrip(";").strip()


def query_database(database: Path, query: str, *, origin: str) -> tuple[nw.LazyFrame[Any], str]:
    """The rows of a read-only query on a DuckDB file, as a lazy relation, and the file's SHA-256.

    Raises
    ------
    SpecError
        The query is not one SELECT statement, or DuckDB cannot parse or bind it (its message).
    DataError
        The database file is missing or is not a DuckDB database.
    """
    duckdb = duckdb_module(f"{origin}: data.query")
    statement = read_only_statement(query, origin=origin)
    if not database.is_file():
        raise DataError(
            f"{origin}: data.database: {database}: database file not found. Check data.database in the spec."
        )
    digest = hashlib.sha256()
    with database.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    try:
        connection = duckdb.connect(
            str(database), read_only=True, config={"enable_external_access": False, "threads": 2}
        )
    except duckdb.Error as exc:
        raise DataError(
            f"{origin}: data.database: {database}: cannot be opened as a DuckDB database: {_one_line(exc)}"
        ) from None
    try:
        relation = connection.sql(statement)
    except duckdb.Error as exc:
        raise SpecError(f"{origin}: data.query: {_one_line(exc)}") from None
    return nw.from_native(relation), digest.hexdigest()


def _one_line(exc: BaseException) -> str:
    """DuckDB's message on one line (it spreads a parser error's caret over several)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return " ".join(lines[:2]) if lines else type(exc).__name__
