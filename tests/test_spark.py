"""Spark: a Spark DataFrame audited in place, and the spec's ``engine: spark`` path and table sources.

The reference for every number is the same audit of the same rows as a pandas frame (the
backend the statistics are checked against scikit-learn, fairlearn and hand computations
elsewhere): tables, findings and the gate must agree to 1e-9 (Spark sums floating-point weights
in another order, so the last bits of a weighted share may differ), the verdict exactly. The
data is the third-party reference datasets (COMPAS, UCI Adult, UCI German credit) as frames, and
the bundled hiring data (its stages, scores and intersections) through the spec's Spark sources,
against the same spec on the polars engine.

All Spark tests live in this module and share one ``local[2]`` session (starting one takes
several seconds); the module is one xdist group, so ``--dist loadgroup`` keeps it on one worker.
"""

from __future__ import annotations

import hashlib
import math
import sys
from pathlib import Path
from typing import Any

import narwhals as nw
import pandas as pd
import polars as pl
import pytest
import yaml
from click.testing import CliRunner

import equityaudit as ea
from equityaudit.cli import main
from equityaudit.errors import MissingExtraError
from equityaudit.frames import read_source
from equityaudit.results import AuditResult
from evidence import unavailable
from paths import REFERENCE_DATA, ROOT

pytestmark = pytest.mark.xdist_group("spark")

TOL = 1e-9
HIRING = ROOT / "datasets" / "hiring.csv"


@pytest.fixture(scope="module")
def spark() -> Any:
    """One local[2] session for the module, made by equityaudit's own session builder."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        unavailable("pyspark is not installed (pip install 'equityaudit[spark]')", module=True)
    from equityaudit.spark_source import spark_session

    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("SPARK_REMOTE", raising=False)
        patch.setenv("SPARK_MASTER", "local[2]")
        try:
            session = spark_session("tests/test_spark.py")
        except MissingExtraError as exc:
            unavailable(str(exc), module=True)
    session.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")  # pandas → Spark via Arrow
    yield session
    session.stop()


def assert_close(a: Any, b: Any, where: str = "") -> None:
    """Equal structures; floats equal to 1e-9 absolute (None and NaN only where the other has them)."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        for key in a:
            assert_close(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list | tuple):
        assert isinstance(b, list | tuple) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_close(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and not isinstance(b, bool) and isinstance(b, int | float):
        assert (math.isnan(a) and math.isnan(b)) or abs(a - b) <= TOL, f"{where}: {a} != {b}"
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def assert_same_audit(spark_result: AuditResult, pandas_result: AuditResult) -> None:
    assert spark_result.verdict == pandas_result.verdict
    assert spark_result.data.rows == pandas_result.data.rows
    assert_close(
        [t.model_dump() for t in spark_result.tables], [t.model_dump() for t in pandas_result.tables]
    )
    assert_close(
        [f.model_dump() for f in spark_result.findings], [f.model_dump() for f in pandas_result.findings]
    )
    assert_close(spark_result.gate.model_dump(), pandas_result.gate.model_dump())
    assert_close(spark_result.counts, pandas_result.counts)


def _reference(name: str) -> Path:
    path = REFERENCE_DATA / name
    if not path.is_file():
        unavailable(f"reference dataset not found at {path} (shared/ beside the checkout)")
    return path


# name -> (data file, the columns audited, ea.audit keyword arguments)
CASES: dict[str, tuple[Path, list[str], dict[str, Any]]] = {
    # ProPublica's COMPAS as aequitas prepares it: score 1 = Medium/High risk, label_value = reoffended
    "compas-decisions": (
        REFERENCE_DATA / "compas_for_aequitas.csv",
        ["race", "sex", "score", "label_value"],
        {
            "auditor": "decisions",
            "sensitive": ["race", "sex"],
            "intersectional": True,
            "decision": {"column": "score", "positive": 1, "favourable": False},
            "outcome": "label_value",
        },
    ),
    # the raw COMPAS file: the 1-10 decile score audited by LL144's scoring rate
    "compas-hiring": (
        REFERENCE_DATA / "compas-scores-two-years.csv",
        ["sex", "race", "decile_score"],
        {"auditor": "hiring", "sensitive": ["sex", "race"], "score": "decile_score"},
    ),
    # UCI Adult: '?' marks an unknown category; the decision is an income above 50K
    "adult-decisions": (
        REFERENCE_DATA / "adult.csv",
        ["sex", "race", "income-per-year"],
        {
            "auditor": "decisions",
            "sensitive": ["sex", "race"],
            "decision": {"column": "income-per-year", "positive": ">50K"},
        },
    ),
    # UCI German credit: the codebook's groups (docs/examples/german-groups.yaml) and ages in bands
    "german-decisions": (
        REFERENCE_DATA / "german.csv",
        ["personal_status", "foreign_worker", "age", "credit"],
        {
            "auditor": "decisions",
            "sensitive": ["personal_status", "age"],
            "decision": {"column": "credit", "positive": 1},
            "groups": {
                "personal_status": yaml.safe_load((ROOT / "docs/examples/german-groups.yaml").read_text())[
                    "personal_status"
                ],
                "age": {"bins": [25, 40, 65]},
            },
        },
    ),
}


@pytest.mark.filterwarnings(
    "ignore::equityaudit.errors.UndefinedMetricWarning"
)  # small COMPAS groups: notes say it
@pytest.mark.parametrize("case", list(CASES))
def test_a_spark_frame_audits_as_the_same_rows_in_pandas(spark: Any, case: str) -> None:
    path, columns, arguments = CASES[case]
    rows = pd.read_csv(_reference(path.name), usecols=columns)
    on_pandas = ea.audit(rows, name=case, **arguments)
    on_spark = ea.audit(spark.createDataFrame(rows), name=case, **arguments)
    assert_same_audit(on_spark, on_pandas)
    assert (on_spark.data.engine, on_spark.data.source, on_spark.data.sha256) == (
        "spark",
        "<pyspark.DataFrame>",
        None,
    )
    assert on_pandas.data.engine == "pandas"


def test_the_compiled_gate_on_spark_equals_great_expectations_on_the_same_rows(spark: Any) -> None:
    """The gate's built-in checks as Spark aggregations, against great-expectations on the rows in
    pandas (tests/quality/test_gate_compiled.py does the same for polars, DuckDB and pandas),
    with rules that fail: a range, allowed values, a missing share, uniqueness, a labelled decision."""
    from equityaudit.plugins import get_auditor
    from equityaudit.quality import run_gate
    from equityaudit.spec_loading import spec_from_mapping

    columns = ["id", "name", "race", "sex", "score_text", "two_year_recid", "decile_score", "c_charge_degree"]
    columns += ["c_jail_in", "priors_count"]
    rows = pd.read_csv(_reference("compas-scores-two-years.csv"), usecols=columns)
    spec = spec_from_mapping(
        {
            "equityaudit": 1,
            "name": "compas-gate",
            "auditor": "decisions",
            "data": {"path": "compas.csv"},
            "columns": {
                "sensitive": ["race", "sex"],
                "decision": {"column": "score_text", "positive": ["High"], "negative": ["Medium"]},
                "outcome": "two_year_recid",
                "id": "id",
            },
            "quality": {
                "ranges": {"decile_score": [1, 8], "priors_count": [0, 20]},
                "allowed": {"c_charge_degree": ["F"]},
                "max_missing": {"c_jail_in": 0.01},
                "unique": ["name"],
            },
        },
        origin="test",
    )
    auditor = get_auditor("decisions")
    on_spark = run_gate(read_source(spark.createDataFrame(rows)).frame, spec, auditor, origin="data")
    by_gx = run_gate(read_source(rows).frame, spec, auditor, engine="gx", origin="data")
    assert [c.model_dump(mode="json") for c in on_spark.gate.checks] == [
        c.model_dump(mode="json") for c in by_gx.gate.checks
    ]
    assert sum(not c.passed for c in by_gx.gate.checks) >= 4


def _spec(folder: Path, name: str, data: dict[str, Any]) -> Path:
    """The bundled hiring audit (audits/hiring.yaml), with its data block replaced."""
    spec = yaml.safe_load((ROOT / "audits" / "hiring.yaml").read_text())
    spec["data"] = {key: value for key, value in spec["data"].items() if key != "path"} | data
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def _run(spec: Path) -> tuple[int, str, dict[str, Any] | None]:
    """``equityaudit run SPEC --format json``: exit code, last line of output, the result (if written)."""
    out = spec.parent / "out"
    outcome = CliRunner().invoke(main, ["run", str(spec), "--out", str(out), "--format", "json"])
    written = sorted(out.glob("*.json")) if out.is_dir() else []
    result = AuditResult.model_validate_json(written[0].read_text()) if written else None
    return outcome.exit_code, outcome.output.splitlines()[-1], result  # type: ignore[return-value]


@pytest.fixture(scope="module")
def polars_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, AuditResult]:
    """The bundled hiring audit on the polars engine, through the CLI: the reference run."""
    folder = tmp_path_factory.mktemp("polars")
    code, _, result = _run(_spec(folder, "hiring", {"path": str(HIRING)}))
    assert result is not None
    return code, result


@pytest.mark.parametrize("suffix", ["parquet", "csv"])
def test_spec_engine_spark_reads_a_file_through_the_cli(
    spark: Any, tmp_path: Path, polars_run: tuple[int, AuditResult], suffix: str
) -> None:
    data = tmp_path / f"hiring.{suffix}"
    if suffix == "parquet":
        pl.read_csv(HIRING, infer_schema_length=10_000).write_parquet(data)
    else:
        data.write_bytes(HIRING.read_bytes())
    code, _, result = _run(_spec(tmp_path, "spark", {"path": data.name, "engine": "spark"}))
    assert result is not None
    assert code == polars_run[0] == 1  # the hiring audit fails its thresholds, on either engine
    assert_same_audit(result, polars_run[1])
    assert (result.data.engine, result.data.source) == ("spark", str(data))
    assert result.data.sha256 == hashlib.sha256(data.read_bytes()).hexdigest()
    if suffix == "csv":  # a date stays text, as polars reads it (Spark's inference would make it a timestamp)
        schema = read_source(data, engine="spark").frame.collect_schema()
        assert schema["application_date"] == nw.String == polars_schema(HIRING)["application_date"]


def polars_schema(path: Path) -> Any:
    return read_source(path).frame.collect_schema()


def test_spec_engine_spark_reads_a_folder_of_parquet_parts(
    spark: Any, tmp_path: Path, polars_run: tuple[int, AuditResult]
) -> None:
    """What Spark writes (a folder of part files) is read back whole; a folder has no SHA-256, and a note says so."""
    folder = tmp_path / "hiring.parquet"
    spark.createDataFrame(pd.read_csv(HIRING)).repartition(3).write.parquet(str(folder))
    assert len(list(folder.glob("part-*.parquet"))) == 3
    code, _, result = _run(_spec(tmp_path, "parts", {"path": "hiring.parquet", "engine": "spark"}))
    assert result is not None
    assert code == polars_run[0]
    assert_same_audit(result, polars_run[1])
    assert result.data.sha256 is None
    assert result.notes[0] == (
        f"The data is a folder Spark reads ({folder}); equityaudit does not read its bytes, so the result "
        "records no SHA-256 of the data."
    )


def test_spec_table_source_through_the_cli(
    spark: Any, tmp_path: Path, polars_run: tuple[int, AuditResult]
) -> None:
    spark.createDataFrame(pd.read_csv(HIRING)).createOrReplaceGlobalTempView("applicants")
    code, _, result = _run(_spec(tmp_path, "table", {"table": "global_temp.applicants", "engine": "spark"}))
    assert result is not None
    assert code == polars_run[0]
    assert_same_audit(result, polars_run[1])
    assert (result.data.engine, result.data.source, result.data.sha256) == (
        "spark",
        "global_temp.applicants (data.table)",
        None,
    )


def test_a_missing_table_names_data_table(spark: Any, tmp_path: Path) -> None:
    spec = _spec(tmp_path, "gone", {"table": "global_temp.nobody", "engine": "spark"})
    code, line, _ = _run(spec)
    assert code == 2
    assert line == (
        f"error: {spec}: data.table: global_temp.nobody: no such table in the Spark catalog "
        "([TABLE_OR_VIEW_NOT_FOUND] The table or view `global_temp`.`nobody` cannot be found. Verify the "
        "spelling and correctness of the schema and catalog.). Check data.table (database.table) and the "
        "session's catalog (SPARK_REMOTE, SPARK_MASTER)."
    )


def test_a_missing_path_names_data_path(spark: Any, tmp_path: Path) -> None:
    spec = _spec(tmp_path, "nofile", {"path": "gone.parquet", "engine": "spark"})
    code, line, _ = _run(spec)
    assert code == 2
    assert line.startswith(f"error: {spec}: data.path: {tmp_path / 'gone.parquet'}: data file not found.")
    uri = f"file://{tmp_path}/gone.parquet"
    spec = _spec(tmp_path, "nouri", {"path": uri, "engine": "spark"})
    code, line, _ = _run(spec)
    assert code == 2
    assert line == (  # Spark writes the URI it looked for as file:/... in its message
        f"error: {spec}: data.path: {uri}: Spark cannot read it as parquet: [PATH_NOT_FOUND] Path does "
        f"not exist: file:{tmp_path}/gone.parquet."
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"table": "db.applicants"},
            "  - data: table is read from the Spark catalog, but engine is 'polars'; set engine: spark (or "
            "name a data file with path).",
        ),
        (
            {"path": "s3://bucket/hiring.parquet"},
            "  - data: path is the URI 's3://bucket/hiring.parquet', which only Spark reads, but engine is "
            "'polars'; set engine: spark, or give the path of a local file.",
        ),
        (
            {"table": "db.applicants", "path": "hiring.csv", "engine": "spark"},
            "  - data: both table and path are set; name one source: table (a Spark table) or path (a data "
            "file).",
        ),
    ],
    ids=["table-without-spark", "uri-without-spark", "table-and-path"],
)
def test_spark_only_keys_are_spec_errors_elsewhere(
    tmp_path: Path, data: dict[str, Any], message: str
) -> None:
    """Checked when the spec is validated: no Spark session is started for them."""
    spec = _spec(tmp_path, "bad", data)
    outcome = CliRunner().invoke(main, ["run", str(spec)])
    assert outcome.exit_code == 2
    assert outcome.output.splitlines()[-1] == message


def test_without_pyspark_the_message_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark now raises ImportError
    spec = _spec(tmp_path, "table", {"table": "db.applicants", "engine": "spark"})
    code, line, _ = _run(spec)
    assert (code, line) == (
        2,
        f"error: {spec}: data.table: Spark is not installed; it is the optional extra 'spark' (pyspark). "
        "Install it with: pip install 'equityaudit[spark]' (or set data.engine: polars to read files with "
        "polars).",
    )


def test_without_java_the_message_says_to_install_it(
    spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No session yet and no Java: the message says so before pyspark waits for a JVM that never starts."""
    from pyspark.sql import SparkSession

    monkeypatch.setattr(SparkSession, "getActiveSession", classmethod(lambda cls: None))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no java on PATH
    spec = _spec(tmp_path, "table", {"table": "db.applicants", "engine": "spark"})
    code, line, _ = _run(spec)
    assert (code, line) == (
        2,
        f"error: {spec}: data.table: Spark runs on Java, and no Java runtime was found (no 'java' on PATH "
        "and JAVA_HOME is not set). Install a Java runtime (17 or later), e.g. apt-get install "
        "default-jre-headless, or set SPARK_REMOTE to a Spark Connect server.",
    )


def test_a_sample_of_a_spark_frame_follows_the_allocation_and_repeats(spark: Any) -> None:
    """Spark numbers rows with monotonically_increasing_id: the same frame draws the same rows,
    and each stratum gets its proportional share (5000 rows, cap 500: 10 % of each intent)."""
    import numpy as np

    from equityaudit.sampling import stratified_sample

    rng = np.random.default_rng(1)
    rows = pd.DataFrame({"intent": rng.choice(["a", "b", "c"], 5000), "v": rng.random(5000)})
    sizes = rows["intent"].value_counts().to_dict()
    frame = spark.createDataFrame(rows)
    drawn = [
        stratified_sample(
            read_source(frame).frame, ["intent", "v"], strata=["intent"], cap=500, seed=7, used_by=["t"]
        )
        for _ in range(2)
    ]
    first, second = (d.rows.to_pandas().sort_values("v").reset_index(drop=True) for d in drawn)
    assert first.equals(second)
    got = first["intent"].value_counts().to_dict()
    # proportional allocation, whole numbers by largest remainder: each within one row of 10 %
    assert sum(got.values()) == 500
    assert all(abs(got[k] - sizes[k] / 10) < 1 for k in sizes)
