"""Spark as a data source: a file or a table read by a SparkSession, counted inside Spark.

A spec's ``data: {engine: spark, path: file.parquet}`` (or an ``s3://``, ``hdfs://``, ... URI, or
a folder of Parquet part files) reads the data with Spark; ``data: {engine: spark, table:
db.table}`` audits a table of the session's catalog. Either way the data stays a lazy Spark
DataFrame wrapped by narwhals, so the auditors' counts run inside Spark and only the counts leave
it. ``equityaudit.audit(spark_df, ...)`` takes a Spark DataFrame the caller already has, in the
caller's own session.

The session comes from the environment: ``SPARK_REMOTE`` set means Spark Connect
(``SparkSession.builder.remote``); otherwise ``SPARK_MASTER`` names the master (default
``local[2]``), and an active session is reused as it is. A local session is quiet: Spark logs
errors only, and shows neither its console progress bar nor its web UI. Spark is the optional
extra ``spark`` (pyspark), and a local session needs a Java runtime.
"""

from __future__ import annotations

import importlib.resources
import os
import re
import shutil
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

import narwhals as nw

from equityaudit.errors import DataError, MissingExtraError

__all__ = ["is_uri", "read_table", "scan_path", "spark_session"]

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")

_PANDAS_NOTICE = "PySpark does not yet fully support pandas"
"""pyspark warns on import that it is not tested with the installed pandas; equityaudit hands
Spark no pandas frames (its rows leave Spark as Arrow), so the notice is noise here."""


def is_uri(location: str | Path) -> bool:
    """Whether a data location is a URI (``s3://``, ``hdfs://``, ``file://``) rather than a local path.

    Examples
    --------
    >>> is_uri("s3://bucket/decisions.parquet"), is_uri("data/decisions.parquet")
    (True, False)
    """
    return isinstance(location, str) and _URI.match(location) is not None


def pyspark_module(where: str) -> ModuleType:
    """Import pyspark, or fail with the pip command that installs it."""
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=_PANDAS_NOTICE, category=FutureWarning)
            import pyspark
            import pyspark.sql
    except ImportError:
        raise MissingExtraError(
            f"{where}: Spark is not installed; it is the optional extra 'spark' (pyspark). Install it "
            "with: pip install 'equityaudit[spark]' (or set data.engine: polars to read files with polars)."
        ) from None
    return pyspark


def spark_session(where: str) -> Any:
    """The SparkSession the environment names: Spark Connect, an active session, or a new local one.

    ``SPARK_REMOTE`` set: a Spark Connect session to that address. Otherwise the active session
    when there is one, else a new one on ``SPARK_MASTER`` (default ``local[2]``), which needs a
    Java runtime.

    Raises
    ------
    MissingExtraError
        pyspark (or, for Spark Connect, its ``connect`` dependencies) is not installed, or a local
        session has no Java runtime to run on.
    """
    pyspark_module(where)
    from pyspark.sql import SparkSession

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_PANDAS_NOTICE, category=FutureWarning)
        remote = os.environ.get("SPARK_REMOTE")
        if remote:
            builder = SparkSession.builder.remote(remote)
            if remote.startswith("local"):  # a Spark Connect server pyspark starts here: as quiet as local
                builder = _quiet(builder)
                # the server starts with them; the client then warns it cannot set them again at run time
                warnings.filterwarnings("ignore", message="Failed to set spark", category=UserWarning)
            try:
                return builder.getOrCreate()
            except ImportError as exc:
                raise MissingExtraError(
                    f"{where}: SPARK_REMOTE={remote} asks for Spark Connect, whose client libraries are "
                    f"not installed ({exc}). Install them with: pip install 'pyspark[connect]', or unset "
                    "SPARK_REMOTE to run Spark locally."
                ) from None
        active = SparkSession.getActiveSession()
        if active is not None:
            return active
        _require_java(where)
        master = os.environ.get("SPARK_MASTER") or "local[2]"
        builder = SparkSession.builder.master(master).appName("equityaudit")
        builder = builder.config("spark.ui.showConsoleProgress", "false")
        if master.startswith("local"):
            builder = _quiet(builder)
        try:
            session = builder.getOrCreate()
        except Exception as exc:  # pyspark raises its own runtime error when the JVM does not start
            raise MissingExtraError(
                f"{where}: Spark could not start a session on {master}: {_one_line(exc)}. Check that a "
                "Java runtime (17 or later) is installed (apt-get install default-jre-headless) and "
                "that SPARK_MASTER names a reachable master."
            ) from None
    session.sparkContext.setLogLevel("ERROR")
    return session


def _quiet(builder: Any) -> Any:
    """A local session's builder that logs errors only and shows no progress bar and no web UI."""
    log_config = importlib.resources.files("equityaudit") / "spark_log4j2.properties"
    return (
        builder.config("spark.ui.showConsoleProgress", "false")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{log_config}")
    )


def _require_java(where: str) -> None:
    """Fail clearly when no Java runtime is there for a local session (pyspark would time out)."""
    home = os.environ.get("JAVA_HOME")
    java = Path(home) / "bin" / "java" if home else None
    if (java is not None and java.is_file()) or (java is None and shutil.which("java")):
        return
    found = f"JAVA_HOME={home} holds no bin/java" if home else "no 'java' on PATH and JAVA_HOME is not set"
    raise MissingExtraError(
        f"{where}: Spark runs on Java, and no Java runtime was found ({found}). Install a Java runtime "
        "(17 or later), e.g. apt-get install default-jre-headless, or set SPARK_REMOTE to a Spark "
        "Connect server."
    )


def scan_path(location: str, kind: str, separator: str, *, where: str) -> nw.LazyFrame[Any]:
    """A CSV, Parquet or JSONL file (or folder of them, or a URI) as a lazy Spark DataFrame.

    CSV columns are typed by Spark's inference (numbers, booleans and text; dates and times stay
    text, as polars reads them), and rows whose every field is empty are skipped, as the polars reader does.

    ``where`` names the spec key that chose Spark, for a missing pyspark or Java.

    Raises
    ------
    DataError
        Spark cannot find or read the data (its message, naming the location).
    """
    session = spark_session(where)
    from pyspark.errors import PySparkException

    reader = session.read
    try:
        if kind == "parquet":
            native = reader.parquet(location)
        elif kind == "jsonl":
            native = reader.json(location)
        else:
            native = _read_csv(reader, location, separator)
    except PySparkException as exc:
        raise DataError(f"{location}: Spark cannot read it as {kind}: {_one_line(exc)}") from None
    frame: nw.LazyFrame[Any] = nw.from_native(native)
    if kind == "csv":
        columns = frame.collect_schema().names()
        frame = frame.filter(~nw.all_horizontal(*[nw.col(c).is_null() for c in columns], ignore_nulls=False))
    return frame


def _read_csv(reader: Any, location: str, separator: str) -> Any:
    """A CSV file read by Spark with the types polars infers: dates and times stay text.

    Spark's inference would make ``2026-01-01`` a timestamp; the auditors read text labels, and a
    column must read the same on every engine, so such columns are read again as text, as written.
    """
    from pyspark.sql.types import (
        DateType,
        StringType,
        StructField,
        StructType,
        TimestampNTZType,
        TimestampType,
    )

    options = {"header": "true", "quote": '"', "escape": '"', "sep": separator, "enforceSchema": "false"}
    inferred = reader.options(**options, inferSchema="true", preferDate="false").csv(location).schema
    timely = (DateType, TimestampType, TimestampNTZType)
    if not any(isinstance(field.dataType, timely) for field in inferred.fields):
        return reader.options(**options).schema(inferred).csv(location)
    schema = StructType(
        [
            StructField(field.name, StringType(), True) if isinstance(field.dataType, timely) else field
            for field in inferred.fields
        ]
    )
    return reader.options(**options).schema(schema).csv(location)


def read_table(table: str, *, where: str) -> nw.LazyFrame[Any]:
    """A table (or view) of the Spark session's catalog as a lazy Spark DataFrame.

    Raises
    ------
    DataError
        The catalog has no such table (Spark's message, naming ``where``).
    """
    session = spark_session(where)
    from pyspark.errors import PySparkException

    try:
        native = session.table(table)
    except PySparkException as exc:
        raise DataError(
            f"{where}: {table}: no such table in the Spark catalog ({_one_line(exc)}). Check data.table "
            "(database.table) and the session's catalog (SPARK_REMOTE, SPARK_MASTER)."
        ) from None
    frame: nw.LazyFrame[Any] = nw.from_native(native)
    return frame


def _one_line(exc: BaseException) -> str:
    """Spark's message on one line, without its long search path and SQLSTATE tail."""
    text = " ".join(str(exc).split())
    for marker in (" Search path:", " SQLSTATE:"):
        text = text.split(marker)[0]
    return text[:300] or type(exc).__name__
