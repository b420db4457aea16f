"""Sources in, rows out: data files and in-memory frames as narwhals frames, and their rows for Python.

Files (CSV, Parquet, JSONL) are read with polars (or DuckDB, or Spark: ``data.engine``); in-memory
pandas, polars, pyarrow, duckdb and Spark frames are wrapped with narwhals. A file that cannot be
read (missing, not UTF-8, malformed on a line, naming a column twice) fails with a
:class:`~equityaudit.errors.DataError` naming the file, the line and the fix. Nothing downstream
knows the backend: auditors and statistics compute with narwhals expressions on the data's own
backend, and the few steps no backend can compute (great-expectations' checks, a scikit-learn
classifier, pandas' factorisation of a column's values) get their rows from
:func:`rows_for_python`, the one place data leaves its backend, saying why. How the values in
those frames are read (yes/no, unknown, declared labels) is :mod:`equityaudit.values`' job; whether the spec's columns are there, :mod:`equityaudit.column_checks`'.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import narwhals as nw
from narwhals.dependencies import is_pandas_dataframe

from equityaudit.errors import ColumnNotFoundError, DataError, MissingExtraError, did_you_mean, listed
from equityaudit.values import UNKNOWN  # re-exported for auditors.comparison and auditors.hiring

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl
    from rich.console import Console

__all__ = [
    "UNKNOWN",
    "Source",
    "check_repeated_columns",
    "collect_or_data_error",
    "no_rows_error",
    "numbers_for_python",
    "read_error",
    "read_query",
    "read_source",
    "read_table",
    "rows_for_python",
    "rows_for_text",
]

_FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}


@dataclass(frozen=True)
class Source:
    """A frame ready to audit, and where it came from."""

    frame: nw.LazyFrame[Any]
    name: str
    """The file path, or the kind of in-memory frame (``<pandas.DataFrame>``)."""
    sha256: str | None
    """SHA-256 of the file's bytes; ``None`` for in-memory frames."""
    repeated: Mapping[str, int] = field(default_factory=dict)
    """Each column the file's header names more than once, with how many times. The frame holds
    the first of them under its name and drops the copies: :func:`check_repeated_columns` refuses
    an audit that uses one, and notes the others."""
    query: str | None = None
    """The SQL statement whose rows these are (``data.query``); ``None`` for a file or a frame."""
    notes: tuple[str, ...] = ()
    """What the report should say about how the data was read (why it has no SHA-256, say)."""

    @property
    def engine(self) -> str:
        """The backend that holds the rows and computes the counts (``polars``, ``duckdb``, ``spark``, ...).

        Spark is ``spark`` whether the session is classic or Spark Connect, as ``data.engine`` names it.

        Examples
        --------
        >>> import pandas as pd
        >>> read_source(pd.DataFrame({"sex": ["F"]})).engine
        'pandas'
        """
        name: str = self.frame.implementation.name.lower()
        return "spark" if name.startswith("pyspark") else name


def read_source(
    source: Any, *, file_format: str | None = None, separator: str = ",", engine: str = "polars"
) -> Source:
    """Read a file, or wrap an in-memory frame, as a narwhals LazyFrame.

    Parameters
    ----------
    source
        A path to a CSV, Parquet or JSONL file (with ``engine="spark"``, also a folder of them or
        a URI such as ``s3://bucket/data.parquet``), or a pandas, polars, pyarrow, duckdb or Spark
        frame.
    file_format
        ``csv``, ``parquet`` or ``jsonl``; default: from the file's extension.
    separator
        Field separator of a CSV file.
    engine
        What reads a file: ``polars`` (a lazy scan), ``duckdb`` (a lazy DuckDB relation, read
        in place; :mod:`equityaudit.duckdb_source`) or ``spark`` (a lazy Spark DataFrame of the
        environment's session; :mod:`equityaudit.spark_source`). A local file's SHA-256 is computed
        streaming, and text files are checked to be UTF-8, in one pass over its bytes; a folder or
        a URI read by Spark has no SHA-256, and the source's notes say so.

    Examples
    --------
    >>> import pandas as pd
    >>> src = read_source(pd.DataFrame({"sex": ["F", "M"], "hired": [1, 0]}))
    >>> src.name, src.frame.collect_schema().names()
    ('<pandas.DataFrame>', ['sex', 'hired'])
    """
    if engine == "spark" and isinstance(source, str | Path) and _spark_location(source):
        return _read_spark_location(str(source), file_format=file_format, separator=separator)
    if isinstance(source, str | Path):
        return _read_file(Path(source), file_format=file_format, separator=separator, engine=engine)
    try:
        frame = nw.from_native(source)
    except TypeError:
        raise DataError(
            f"cannot audit a {type(source).__module__}.{type(source).__name__}: expected a file "
            "path or a pandas, polars, pyarrow, duckdb or Spark frame."
        ) from None
    except nw.exceptions.DuplicateError as exc:  # pandas allows a column name twice
        detail = " ".join(str(exc).split()).removeprefix("Expected unique column names, got: ")
        raise DataError(
            f"the frame names the same column more than once ({detail}); expected each column name "
            "once. Rename or drop the repeated columns, then name the one to audit."
        ) from None
    native = type(nw.to_native(frame))
    name = f"<{native.__module__.split('.')[0]}.{native.__name__}>"
    lazy = frame.lazy() if isinstance(frame, nw.DataFrame) else frame
    return Source(frame=lazy, name=name, sha256=None)


def read_table(table: str, *, origin: str) -> Source:
    """A table of the Spark session's catalog (``data.table``), as a lazy Spark DataFrame.

    The source's name is the table followed by ``(data.table)``; it has no SHA-256 (a table is
    not a file equityaudit can read), and its notes say so.
    """
    from equityaudit.spark_source import read_table as spark_table

    frame = spark_table(table, where=f"{origin}: data.table")
    note = (
        f"The data is the Spark table {table}; a table has no file to hash, so the result records no "
        "SHA-256 of the data."
    )
    return Source(frame=frame, name=f"{table} (data.table)", sha256=None, notes=(note,))


def _spark_location(location: str | Path) -> bool:
    """Whether Spark reads this location itself: a URI, or a local folder (of Parquet part files, say)."""
    from equityaudit.spark_source import is_uri

    return is_uri(location) or Path(location).is_dir()


def _read_spark_location(location: str, *, file_format: str | None, separator: str) -> Source:
    """A URI or a local folder read by Spark: no file equityaudit reads itself, so no SHA-256."""
    from equityaudit.spark_source import is_uri, scan_path

    shown = location if is_uri(location) else _display(Path(location))
    kind = file_format or _FORMATS.get(Path(location.rstrip("/")).suffix.lower())
    if kind is None:
        raise DataError(
            f"{shown}: cannot tell the data format from the name: expected one ending in .csv, "
            ".parquet or .jsonl. Set data.format in the spec (parquet, csv or jsonl)."
        )
    frame = scan_path(location, kind, separator, where=f"{shown}: data.engine")
    what = "a URI Spark reads" if is_uri(location) else "a folder Spark reads"
    note = (
        f"The data is {what} ({shown}); equityaudit does not read its bytes, so the result records no "
        "SHA-256 of the data."
    )
    return Source(frame=frame, name=shown, sha256=None, notes=(note,))


def read_query(database: Path, query: str, *, origin: str) -> Source:
    """The rows of a read-only SQL query on a DuckDB database file, as a lazy DuckDB relation.

    The source's name is the database file followed by ``(data.query)``, so every message about
    the data (a missing column, no rows) names the key that made it; its SHA-256 is the database
    file's. :mod:`equityaudit.duckdb_source` refuses anything but one SELECT statement.

    Examples
    --------
    >>> import duckdb, tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> with duckdb.connect(str(folder / "d.duckdb")) as db:
    ...     _ = db.execute("CREATE TABLE t AS SELECT 'F' AS sex, 1 AS hired")
    >>> src = read_query(folder / "d.duckdb", "SELECT sex, hired FROM t", origin="a.yaml")
    >>> src.name.endswith("d.duckdb (data.query)"), src.frame.collect_schema().names()
    (True, ['sex', 'hired'])
    """
    from equityaudit.duckdb_source import query_database

    frame, sha256 = query_database(database, query, origin=origin)
    return Source(frame=frame, name=f"{_display(database)} (data.query)", sha256=sha256, query=query)


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
"""The byte order marks of UTF-16 (little and big endian; UTF-32's little-endian one starts the same)."""


def _read_file(path: Path, *, file_format: str | None, separator: str, engine: str) -> Source:
    if path.is_dir():
        inside = sorted(p.name for p in path.iterdir() if p.suffix.lower() in _FORMATS)
        hint = f" It holds {', '.join(repr(n) for n in inside[:5])}." if inside else ""
        raise DataError(
            f"{path}: is a folder; expected a data file (.csv, .parquet or .jsonl).{hint} "
            "Set data.path in the spec to the file itself."
        )
    if not path.is_file():
        hint = ""
        if path.parent.is_dir():
            neighbours = [p.name for p in path.parent.iterdir() if p.suffix.lower() in _FORMATS]
            if neighbours:
                hint = " " + did_you_mean(path.name, neighbours, label="Data files in that folder")
        raise DataError(f"{path}: data file not found.{hint} Check data.path in the spec.")
    kind = file_format or _FORMATS.get(path.suffix.lower())
    if kind is None:
        raise DataError(
            f"{path}: cannot tell the file format from the extension {path.suffix!r}: expected "
            "one of .csv, .parquet, .jsonl. Rename the file or set data.format in the spec."
        )
    if path.stat().st_size == 0:
        raise DataError(f"{path}: the file is empty; expected a header row and data rows.")
    if not os.access(path, os.R_OK):
        raise DataError(
            f"{path}: the file cannot be read (permission denied for this user). Give the user running "
            "equityaudit read access (chmod u+r), or copy the file somewhere it can be read."
        )
    digest = hashlib.sha256()
    text = kind in ("csv", "jsonl")  # text formats must be UTF-8: checked in the same single pass
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with path.open("rb") as handle, _reading_progress(path) as advance:
        for block in iter(lambda: handle.read(1 << 20), b""):
            advance(len(block))
            digest.update(block)
            if text:
                if offset == 0 and block.startswith(_UTF16_BOMS):
                    raise DataError(
                        f"{path}: UTF-16 text (the file starts with a UTF-16 byte order mark); expected "
                        "UTF-8. Save it as UTF-8 (CSV UTF-8 in Excel; iconv -f UTF-16 -t UTF-8 on the "
                        "command line) and run again."
                    )
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as exc:
                    raise DataError(
                        f"{path}: not UTF-8 text: byte {offset + exc.start} is {block[exc.start : exc.start + 1]!r}, "
                        "which UTF-8 does not allow (the file is probably in a legacy encoding such as "
                        "Latin-1 or Windows-1252). Save it as UTF-8 (CSV UTF-8 in Excel) and run again."
                    ) from None
            offset += len(block)
    if text:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise DataError(
                f"{path}: not UTF-8 text: the file ends inside a multi-byte character (truncated?). Save "
                "it as UTF-8 and run again."
            ) from None
    try:
        frame = _scan(path, kind, separator, engine)
        columns = frame.collect_schema().names()
    except (MissingExtraError, DataError):
        raise
    except Exception as exc:  # polars raises several unrelated exception types on bad files
        raise _file_error(exc, path, kind, separator, str(path)) from None
    if not columns:
        raise DataError(f"{path}: no columns found; expected a header row.")
    repeated, copies = _repeated_columns(columns)
    if copies:
        frame = frame.drop(copies)
    name = _display(path)
    _READ[name] = (path, kind, separator)
    return Source(frame=frame, name=name, sha256=digest.hexdigest(), repeated=repeated)


def _repeated_columns(columns: Sequence[str]) -> tuple[dict[str, int], list[str]]:
    """The columns a header names more than once (with how many times), and polars' names for the copies.

    polars renames the second ``decision`` to ``decision_duplicated_0``, the third to
    ``decision_duplicated_1``: a spec naming ``decision`` would silently get the first.
    """
    repeated: dict[str, int] = {}
    copies: list[str] = []
    for name in columns:
        base, marker, index = name.rpartition("_duplicated_")
        if marker and index.isdigit() and base in columns:
            repeated[base] = repeated.get(base, 1) + 1
            copies.append(name)
    return repeated, copies


def check_repeated_columns(source: Source, used: Mapping[str, str], *, origin: str) -> list[str]:
    """Refuse an audit that uses a column the file's header names more than once; note the others.

    Which of two columns of the same name the spec means is unknowable, so a repeated column that
    a role, a quality rule or an option names is an error. A repeated column the audit does not
    use is harmless: its copies were dropped when the file was read, and the note says so.

    Parameters
    ----------
    source
        The data, as :func:`read_source` read it.
    used
        Each column the audit uses, by the key that names it (``columns.decision``, ``--decision``).
    origin
        Where the keys are written (the spec file), for messages.

    Returns
    -------
    list[str]
        One note naming the repeated columns the audit does not use; none when there are none.

    Examples
    --------
    >>> src = Source(frame=None, name="a.csv", sha256=None, repeated={"score": 2})  # type: ignore[arg-type]
    >>> check_repeated_columns(src, {"columns.decision": "hired"}, origin="a.yaml")  # doctest: +ELLIPSIS
    ["a.csv: the header names 'score' twice; the audit does not use it, so ... rename the copies in the file."]
    """
    if not source.repeated:
        return []
    path = _READ[source.name][0] if source.name in _READ else source.name
    for key, column in used.items():
        if column in source.repeated:
            raise DataError(
                f"{origin}: {key}: {path}: the header names the same column more than once: {column!r} "
                f"({source.repeated[column]} times); expected each column name once. Rename or remove the "
                "repeated columns, then name the one to audit in the spec."
            )
    named = listed([f"{name!r} {_times(count)}" for name, count in source.repeated.items()])
    one = len(source.repeated) == 1
    return [
        f"{path}: the header names {named}; the audit does not use {'it' if one else 'them'}, so "
        f"{'its copies were' if one else 'their copies were'} dropped and the first of each kept. To audit "
        f"{'it' if one else 'one of them'}, rename the copies in the file."
    ]


def _times(count: int) -> str:
    return "twice" if count == 2 else f"{count} times"


def no_rows_error(origin: str, *, query: str | None = None) -> DataError:
    """The error for data that has a header but no rows (or a query that returned none): nothing to audit.

    Examples
    --------
    >>> print(no_rows_error("a.csv"))
    a.csv: the data has a header but no rows; expected at least one row to audit.
    >>> print(no_rows_error("d.duckdb (data.query)", query="SELECT * FROM t WHERE false"))
    d.duckdb (data.query): the query returned no rows; expected at least one row to audit. Check its WHERE clause and the table it reads (SELECT * FROM t WHERE false).
    """
    if query is not None:
        return DataError(
            f"{origin}: the query returned no rows; expected at least one row to audit. Check its WHERE "
            f"clause and the table it reads ({' '.join(query.split())[:200]})."
        )
    return DataError(f"{origin}: the data has a header but no rows; expected at least one row to audit.")


_READ: dict[str, tuple[Path, str, str]] = {}
"""How each file :func:`read_source` opened was read (its path, format and separator), by its
display name: a file is parsed only when its rows are first collected, so a malformed row is
found then, and :func:`read_error` needs to know which file that was."""

_BACKENDS = frozenset({"polars", "narwhals", "pyarrow", "duckdb", "pyspark"})


def read_error(exc: BaseException, origin: str) -> DataError | None:
    """The error to report when collecting the rows of a file read by :func:`read_source` failed.

    polars parses a CSV, Parquet or JSONL file lazily, when its rows are first collected (by the
    quality gate, or by an auditor), so a malformed row (an extra field, an unterminated quote)
    fails there, with polars' own message. This turns such a failure into a :class:`DataError`
    naming the file, the line (found by re-reading the file when polars does not say it), what
    was found there, and the fix. ``None`` when ``exc`` is not a data backend's error about a file
    equityaudit read: then it is a bug, and should surface as one.

    Examples
    --------
    >>> read_error(ValueError("boom"), "data.csv") is None
    True
    """
    if isinstance(exc, DataError):
        return exc
    if origin not in _READ or type(exc).__module__.split(".")[0] not in _BACKENDS:
        return None
    path, kind, separator = _READ[origin]
    return _file_error(exc, path, kind, separator, origin)


def collect_or_data_error(frame: nw.LazyFrame[Any], origin: str, *, backend: Any = None) -> nw.DataFrame[Any]:
    """Collect a frame (polars: with its streaming engine); a file that turns out malformed now
    fails with :func:`read_error`'s message.

    Any other failure is raised as it is.

    Examples
    --------
    >>> import polars as pl
    >>> collect_or_data_error(nw.from_native(pl.LazyFrame({"a": [1, 2]})), "<polars.LazyFrame>").shape
    (2, 1)
    """
    # polars' streaming engine reads a scan in batches: an aggregation's memory does not grow with
    # the rows (550 MB in memory against 94 MB streaming for 14 groups' counts of 10M rows)
    options = {"engine": "streaming"} if frame.implementation is nw.Implementation.POLARS else {}
    try:
        return frame.collect(backend=backend, **options)
    except Exception as exc:  # a file is parsed only when its rows are first collected
        error = read_error(exc, origin)
        if error is None:
            raise
        raise error from None


def _require_columns(
    frame: nw.LazyFrame[Any] | nw.DataFrame[Any], columns: Sequence[str], *, why: str, origin: str
) -> None:
    """Raise :class:`ColumnNotFoundError` for the first of ``columns`` the frame lacks, naming ``why``."""
    present = frame.collect_schema().names()
    for column in columns:
        if column not in present:
            raise ColumnNotFoundError(
                f"{origin}: column {column!r} is not in the data, and {why} needs it. "
                f"{did_you_mean(column, present, label='Columns in the data')}"
            )


def rows_for_text(
    frame: nw.LazyFrame[Any] | nw.DataFrame[Any], columns: Sequence[str], *, why: str, origin: str = "<data>"
) -> pl.DataFrame:
    """The rows of ``columns`` as a polars frame, for text analysis no lazy backend can run.

    The sibling of :func:`rows_for_python` for steps that match regular expressions over whole
    text columns (the chatbot auditor's lexicon): polars runs them vectorised, where pandas would
    loop in Python. The selection runs natively first, so only the columns asked for are read.

    Raises
    ------
    ColumnNotFoundError
        A column is not in the frame.

    Examples
    --------
    >>> import pandas as pd
    >>> rows_for_text(nw.from_native(pd.DataFrame({"text": ["hi"], "n": [1]})), ["text"], why="matching").columns
    ['text']
    """
    _require_columns(frame, columns, why=why, origin=origin)
    selected = frame.select(list(columns))
    collected = collect_or_data_error(selected, origin) if isinstance(selected, nw.LazyFrame) else selected
    return collected.to_polars()


def rows_for_python(
    frame: nw.LazyFrame[Any] | nw.DataFrame[Any], columns: Sequence[str], *, why: str, origin: str = "<data>"
) -> pd.DataFrame:
    """The rows of ``columns`` as a pandas frame, for a step no dataframe backend can compute.

    This is the one place data leaves its backend (see the module docstring); ``why`` names the
    step that needs the rows, so each call says why it converts. A pandas frame is used as it is
    (a selection of columns, which pandas' copy-on-write does not copy). Every other backend first
    runs the selection **natively**, so only the columns asked for are read, parsed or computed; a
    lazy frame (a polars scan of a CSV or Parquet file, a duckdb relation) then leaves its backend
    as an Arrow table (zero-copy from polars and duckdb), and Arrow becomes pandas column by column
    (numbers without copying where there are no nulls). A million rows and five columns take about
    0.1 s; the full frame is never converted. A frame already collected converts column by column
    (narwhals' ``Series.to_pandas``: from pyarrow, a date stays a date and a dictionary column
    becomes text, where an Arrow table's conversion would make objects and categories).

    For a lazily read file this is where its rows are first read: a malformed file (a row with an
    extra field, an unterminated quote) fails here with a :class:`~equityaudit.errors.DataError`
    naming ``origin`` and the line (:func:`read_error`).

    Parameters
    ----------
    frame
        A narwhals frame, lazy or collected, on any backend.
    columns
        The columns to convert, in the order wanted.
    why
        The step that needs the rows, in a few words ("great-expectations validates pandas
        frames"); the error for a missing column says it.
    origin
        The data source, for messages.

    Raises
    ------
    ColumnNotFoundError
        A column is not in the frame.

    Examples
    --------
    >>> import polars as pl
    >>> lazy = nw.from_native(pl.LazyFrame({"sex": ["F", "M"], "hired": [1, 0], "age": [30, 40]}))
    >>> rows_for_python(lazy, ["sex", "hired"], why="an example")
      sex  hired
    0   F      1
    1   M      0
    >>> rows_for_python(lazy, ["gender"], why="the example's classifier")
    Traceback (most recent call last):
    ...
    equityaudit.errors.ColumnNotFoundError: <data>: column 'gender' is not in the data, and the example's classifier needs it. Columns in the data: 'age', 'hired', 'sex'.
    """
    _require_columns(frame, columns, why=why, origin=origin)
    native = nw.to_native(frame)
    if is_pandas_dataframe(native):
        selected: pd.DataFrame = native[list(columns)]
        return selected
    if isinstance(frame, nw.LazyFrame):
        table = collect_or_data_error(frame.select(list(columns)), origin, backend="pyarrow").to_native()
        converted: pd.DataFrame = table.to_pandas()
        return converted
    import pandas as pd

    return pd.DataFrame({column: frame[column].to_pandas() for column in columns})


def numbers_for_python(
    frame: nw.LazyFrame[Any] | nw.DataFrame[Any], columns: Sequence[str], *, why: str, origin: str = "<data>"
) -> pd.DataFrame | None:
    """The rows of ``columns`` as one float64 matrix in a pandas frame, when every one is a number.

    A model predicts on a 2-D array of numbers. :func:`rows_for_python` gives one pandas column per
    data column, which scikit-learn then stacks into a matrix (for a million rows and twenty
    columns, half a second: longer than a logistic model's prediction). When every column is
    numeric (or boolean), the backend writes the matrix itself (polars and pyarrow in one pass) and
    the pandas frame wraps it without a copy, with the columns' names for models fitted on a frame.
    Values are the same numbers as float64 (a null becomes NaN, as in :func:`rows_for_python`).
    Returns None when a column is not a number: the caller then takes :func:`rows_for_python`,
    whose frame keeps each column's type (text for a pipeline that encodes it, or the column a
    message names).

    Examples
    --------
    >>> import polars as pl
    >>> lazy = nw.from_native(pl.LazyFrame({"age": [30, None], "score": [0.5, 1.5], "sex": ["F", "M"]}))
    >>> numbers_for_python(lazy, ["age", "score"], why="an example")
        age  score
    0  30.0    0.5
    1   NaN    1.5
    >>> numbers_for_python(lazy, ["age", "sex"], why="an example") is None
    True
    """
    import numpy as np
    import pandas as pd

    _require_columns(frame, columns, why=why, origin=origin)
    schema = frame.collect_schema() if isinstance(frame, nw.LazyFrame) else frame.schema
    if not all(schema[c].is_numeric() or schema[c] == nw.Boolean for c in columns):
        return None
    selected = frame.select([nw.col(c).cast(nw.Float64()) for c in columns])
    collected = collect_or_data_error(selected, origin) if isinstance(selected, nw.LazyFrame) else selected
    matrix = np.asarray(collected.to_numpy(), dtype=np.float64)
    return pd.DataFrame(matrix, columns=list(columns), copy=False)


def _file_error(exc: BaseException, path: Path, kind: str, separator: str, name: str) -> DataError:
    if kind in ("csv", "jsonl"):
        try:
            found = _csv_problem(path, separator) if kind == "csv" else _jsonl_problem(path)
        except (OSError, UnicodeDecodeError, csv.Error):
            found = None
        if found:
            return DataError(f"{name}: cannot be read as {kind.upper()}: {found}")
    message = _first_line(exc)
    if len(message) > 200:
        message = message[:200] + "..."
    return DataError(
        f"{name}: cannot be read as {kind}: {message}. To fix: check that the file is complete, valid "
        f"{kind} (export it again from its source), and that data.format names its format."
    )


def _csv_problem(path: Path, separator: str) -> str | None:
    """Where a CSV file stops being regular: a row with more fields than the header, or a quote never closed."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter=separator, strict=True)
        header = next(reader, None)
        if header is None:
            return None
        width = len(header)
        while True:
            start = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                return None
            except csv.Error as exc:
                if "unexpected end of data" in str(exc):
                    return (
                        f"line {start}: a quoted value opens here and is never closed ({_line(path, start)}), "
                        "so the rest of the file would be read as one value. To fix: add the closing "
                        'quote, or write a quote inside a quoted value as two ("").'
                    )
                return f"line {start}: {exc} ({_line(path, start)}). To fix: correct that line."
            if len(row) > width:
                return (
                    f"line {start} has {len(row)} fields but the header has {width} ({_line(path, start)}). "
                    f"To fix: remove the extra field(s), or quote the value that holds a {separator!r} "
                    f'("a{separator}b"); if every line is like this, check data.separator.'
                )


def _jsonl_problem(path: Path) -> str | None:
    """The first line of a JSONL file that is not one JSON object."""
    import json

    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line.rstrip("\r\n"))
            except json.JSONDecodeError as exc:
                return (
                    f"line {number} is not valid JSON: {exc.msg} at character {exc.colno} "
                    f"({_line(path, number)}). To fix: correct that line; each line holds one JSON object."
                )
            if not isinstance(value, dict):
                return (
                    f"line {number} holds a JSON {type(value).__name__}, not an object ({_line(path, number)}). "
                    "To fix: write one JSON object ({column: value, ...}) per line."
                )
    return None


def _line(path: Path, number: int) -> str:
    """``found: '...'``: line ``number`` of a text file (1-based), shortened."""
    with path.open(encoding="utf-8", newline="") as handle:
        for i, line in enumerate(handle, start=1):
            if i == number:
                text = line.rstrip("\r\n")
                return f"found: {text[:80] + '...' if len(text) > 80 else text!r}"
    return "found: end of file"


def _display(path: Path) -> str:
    """The path relative to the working directory when it lies below it, else absolute."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _scan(path: Path, kind: str, separator: str, engine: str) -> nw.LazyFrame[Any]:
    if engine == "duckdb":
        from equityaudit.duckdb_source import scan_file

        return scan_file(path, kind, separator)
    if engine == "spark":
        from equityaudit.spark_source import scan_path

        return scan_path(str(path), kind, separator, where=f"{_display(path)}: data.engine")
    import polars as pl

    if kind == "csv":
        native = pl.scan_csv(
            path,
            separator=separator,
            infer_schema_length=10_000,
            null_values=[""],
        )
        # A row with every field empty (a blank line, often at the end of a file) is no record:
        # skip it, as pandas does. The filter reads every field of every line, so a line with more
        # fields than the header is found too (polars skips the fields of unread columns).
        # It filters on a computed column, not on the expression itself: polars pushes a predicate
        # into the CSV scan, and a predicate on every column of a wide file costs time that grows
        # faster than the square of the column count there (2,000 columns: 40 s; 10,000: hours);
        # a computed column stays above the scan (10,000 columns: about a second).
        flag = "__equityaudit_record"
        while flag in native.collect_schema():
            flag += "_"
        native = (
            native.with_columns((~pl.all_horizontal(pl.all().is_null())).alias(flag))
            .filter(pl.col(flag))
            .drop(flag)
        )
    elif kind == "parquet":
        native = pl.scan_parquet(path)
    else:
        native = pl.scan_ndjson(path, infer_schema_length=10_000)
    return nw.from_native(native)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


# -- progress of the file's one pass (SHA-256 and UTF-8) ------------------------------------------

PROGRESS_BYTES = 256 * 2**20
"""Files at least this large show a progress bar while they are hashed, when progress is on."""

progress_console: ContextVar[Console | None] = ContextVar("progress_console", default=None)
"""Where the file's pass shows its progress: ``None`` (the default, and in library calls and tests)
shows nothing; ``equityaudit run`` sets its stderr console when stderr is a terminal."""


@contextmanager
def _reading_progress(path: Path) -> Iterator[Callable[[int], None]]:
    """A function to report bytes read; a transient progress bar when on and the file is large."""
    console = progress_console.get()
    size = path.stat().st_size
    if console is None or size < PROGRESS_BYTES:
        yield lambda n: None
        return
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("reading {task.description}", markup=False),  # a file name is text, never markup
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(path.name, total=size)
        yield lambda n: progress.advance(task, n)
