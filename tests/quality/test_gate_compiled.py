"""The compiled gate (aggregations on the data's backend) against great-expectations itself.

Every built-in check of the gate is run twice on the same data: ``engine="gx"`` reads the checked
columns into pandas and great-expectations validates every expectation; ``engine="compiled"``
evaluates them as aggregations on the frame's own backend (polars, DuckDB, or the pandas frame
itself). The two must give the same checks: success, observed value, unexpected count and share,
offending values and message. The data are the reference datasets in ``shared/`` (COMPAS, Adult,
German credit, Bank marketing) with specs that make most checks fail, and generated hostile frames.
Each expectation's raw result is also compared with great-expectations' own result on the same rows.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import narwhals as nw
import pandas as pd
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings

from equityaudit.errors import EquityAuditError
from equityaudit.frames import read_source, rows_for_python
from equityaudit.plugins import get_auditor
from equityaudit.quality.compiled import covers, evaluate
from equityaudit.quality.facts import EngineFacts
from equityaudit.quality.gate import GateOutcome, run_gate
from equityaudit.quality.gx_runner import runner
from equityaudit.quality.suite import Expectation, build_suite
from equityaudit.results import Check
from equityaudit.spec_loading import spec_from_mapping
from evidence import unavailable

CASES: dict[str, dict[str, Any]] = {
    "compas-decisions": {
        "file": "compas-scores-two-years.csv",
        "auditor": "decisions",
        "columns": {
            "sensitive": ["race", "sex"],
            "decision": {"column": "score_text", "positive": ["High"], "negative": ["Medium"]},
            "outcome": "two_year_recid",
            "id": "id",
        },
        "quality": {
            "ranges": {"decile_score": [1, 8], "priors_count": [0, 20]},
            "allowed": {"c_charge_degree": ["F"]},
            "max_missing": {"c_jail_in": 0.01, "r_charge_degree": 0.5},
            "unique": ["name"],
            "min_rows": 1000,
        },
    },
    "compas-hiring": {
        "file": "compas-scores-two-years.csv",
        "auditor": "hiring",
        "columns": {"sensitive": ["race"], "score": "decile_score"},
        "quality": {"ranges": {"age": [18, 65]}, "unique": ["c_case_number"]},
    },
    "adult": {
        "file": "adult.csv",
        "auditor": "decisions",
        "columns": {
            "sensitive": ["sex", "race"],
            "decision": {"column": "income-per-year", "positive": ">50K"},
        },
        "quality": {
            "allowed": {
                "workclass": ["Private", "Self-emp-not-inc", "Local-gov"],
                "native-country": ["United-States"],
            },
            "ranges": {"age": [18, 75], "hours-per-week": [10, 60]},
        },
    },
    "german": {
        "file": "german.csv",
        "auditor": "decisions",
        "columns": {"sensitive": ["personal_status"], "decision": "credit"},
        "quality": {"ranges": {"credit_amount": [0, 10000]}, "unique": ["credit_amount"]},
    },
    "bank": {
        "file": "bank-additional.csv",
        "separator": ";",
        "auditor": "decisions",
        "columns": {"sensitive": ["education", "marital"], "decision": "y"},
        "quality": {"allowed": {"default": ["no"]}, "ranges": {"pdays": [0, 30]}},
    },
}


def spec_for(case: dict[str, Any], path: Path) -> Any:
    data: dict[str, Any] = {"path": str(path)}
    if "separator" in case:
        data["separator"] = case["separator"]
    return spec_from_mapping(
        {
            "equityaudit": 1,
            "name": "differential",
            "auditor": case["auditor"],
            "data": data,
            "columns": case["columns"],
            "quality": case["quality"],
        },
        origin="test",
    )


def frames(path: Path, separator: str) -> dict[str, nw.LazyFrame[Any]]:
    polars = read_source(path, separator=separator).frame
    duckdb = read_source(path, separator=separator, engine="duckdb").frame
    native = pd.read_csv(path, sep=separator)
    return {"polars": polars, "duckdb": duckdb, "pandas": read_source(native).frame}


def comparable(checks: list[Check]) -> list[dict[str, Any]]:
    return [check.model_dump(mode="json") for check in checks]


@pytest.mark.parametrize("name", sorted(CASES))
def test_compiled_checks_equal_great_expectations_on_reference_data(name: str, reference_data: Path) -> None:
    case = CASES[name]
    path = reference_data / case["file"]
    if not path.is_file():
        unavailable(f"{path} not found (shared/ beside the checkout)")
    spec = spec_for(case, path)
    auditor = get_auditor(case["auditor"])
    failed_somewhere = 0
    for backend, frame in frames(path, case.get("separator", ",")).items():
        gx = run_gate(frame, spec, auditor, engine="gx", origin="data")
        compiled = run_gate(frame, spec, auditor, engine="compiled", origin="data")
        assert comparable(compiled.gate.checks) == comparable(gx.gate.checks), backend
        assert (compiled.rows, compiled.gate.passed, compiled.notes) == (gx.rows, gx.gate.passed, gx.notes)
        failed_somewhere += sum(not c.passed for c in gx.gate.checks)
    assert failed_somewhere > 0  # the specs make checks fail, so the failure paths are compared too


def raw_results(frame: nw.LazyFrame[Any], expectations: list[Expectation]) -> list[tuple[Any, Any]]:
    """(compiled, GX) result pairs for every covered expectation, on the same rows."""
    columns = sorted({c for e in expectations for c in e.columns})
    facts = EngineFacts(frame, columns, origin="data")
    covered = [e for e in expectations if covers(e, facts)]
    data = rows_for_python(frame, columns, why="the differential test")
    gx_runner = runner()
    with gx_runner.active():
        theirs = gx_runner.validate(data, gx_runner.compile(covered, origin="test"))
    return [(evaluate(e, facts), gx) for e, gx in zip(covered, theirs, strict=True)]


KEYS = ("element_count", "missing_count", "unexpected_count", "observed_value")
SHARES = (
    "unexpected_percent",
    "missing_percent",
    "unexpected_percent_total",
    "unexpected_percent_nonmissing",
)


def assert_same_result(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    assert ours["success"] == theirs["success"]
    mine, gx = ours["result"], theirs["result"]
    for key in KEYS:
        assert mine.get(key) == gx.get(key), key
    for key in SHARES:
        if gx.get(key) is None:
            assert mine.get(key) is None, key
        else:
            assert math.isclose(mine[key], gx[key], rel_tol=1e-12), key


@pytest.mark.parametrize("name", ["compas-decisions", "adult", "bank"])
def test_compiled_results_equal_great_expectations_results(name: str, reference_data: Path) -> None:
    case = CASES[name]
    path = reference_data / case["file"]
    if not path.is_file():
        unavailable(f"{path} not found (shared/ beside the checkout)")
    spec = spec_for(case, path)
    frame = read_source(path, separator=case.get("separator", ",")).frame
    suite = build_suite(spec, get_auditor(case["auditor"]), schema=dict(frame.collect_schema()))
    pairs = raw_results(frame, [e for e in suite.expectations if e.rule != "missing_or_unknown"])
    assert len(pairs) >= 6
    for ours, theirs in pairs:
        assert_same_result(ours, theirs)


# hostile data: every kind of value a column can hold, on polars and on pandas
TOKENS = ["yes", "No", " y ", "TRUE", "0", "1", "maybe", "", "n/a", "Unknown", "F", "m", "1.0", "é", "a,b"]


@st.composite
def hostile_frames(draw: st.DrawFn) -> pl.DataFrame:
    rows = draw(st.integers(min_value=1, max_value=40))
    text = st.one_of(st.none(), st.sampled_from(TOKENS))
    number = st.one_of(
        st.none(), st.floats(allow_nan=True, allow_infinity=True, width=32), st.integers(-5, 200)
    )
    return pl.DataFrame(
        {
            "group": draw(st.lists(text, min_size=rows, max_size=rows)),
            "decision": draw(st.lists(text, min_size=rows, max_size=rows)),
            "flag": draw(st.lists(st.one_of(st.none(), st.booleans()), min_size=rows, max_size=rows)),
            "code": draw(st.lists(st.one_of(st.none(), st.integers(0, 3)), min_size=rows, max_size=rows)),
            "score": pl.Series(
                draw(st.lists(number, min_size=rows, max_size=rows)), dtype=pl.Float64, strict=False
            ),
            "ident": draw(st.lists(st.one_of(st.none(), st.integers(0, 8)), min_size=rows, max_size=rows)),
        },
        schema={
            "group": pl.String,
            "decision": pl.String,
            "flag": pl.Boolean,
            "code": pl.Int64,
            "score": pl.Float64,
            "ident": pl.Int64,
        },
    )


HOSTILE_SPECS = [
    {
        "auditor": "decisions",
        "columns": {"sensitive": ["group"], "decision": "decision", "id": "ident"},
        "quality": {"allowed": {"code": [0, 1]}, "ranges": {"score": [0, 100]}, "max_missing": {"flag": 0.2}},
    },
    {
        "auditor": "decisions",
        "columns": {"sensitive": ["group"], "decision": "code", "outcome": "flag"},
        "quality": {"unique": ["score"], "allowed": {"decision": ["yes", "No"]}},
    },
    {
        "auditor": "hiring",
        "columns": {"sensitive": ["group"], "score": "score"},
        "quality": {"ranges": {"code": [1, 2]}},
        "thresholds": {"min_group_size": 1},
    },
]


def gate_or_error(frame: Any, spec: Any, auditor: Any, engine: Any) -> GateOutcome | str:
    try:
        return run_gate(frame, spec, auditor, engine=engine, origin="data")
    except EquityAuditError as exc:
        return f"{type(exc).__name__}: {exc}"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=hostile_frames(), which=st.integers(0, len(HOSTILE_SPECS) - 1))
def test_compiled_checks_equal_great_expectations_on_hostile_data(data: pl.DataFrame, which: int) -> None:
    case = HOSTILE_SPECS[which]
    spec = spec_from_mapping(
        {"equityaudit": 1, "name": "hostile", "data": {"path": "hostile.parquet"}, **case}, origin="test"
    )
    auditor = get_auditor(case["auditor"])
    for native in (data.lazy(), data.to_pandas()):
        frame = read_source(native).frame
        outcomes = [gate_or_error(frame, spec, auditor, engine) for engine in ("gx", "compiled")]
        if isinstance(outcomes[0], str):  # a data error (too many groups, a missing label) is the same
            assert outcomes[1] == outcomes[0]
            continue
        gx, compiled = outcomes
        assert not isinstance(gx, str) and not isinstance(compiled, str), compiled
        assert comparable(compiled.gate.checks) == comparable(gx.gate.checks)
        assert compiled.gate.passed == gx.gate.passed


def test_an_uncovered_expectation_imports_great_expectations() -> None:
    code = (
        "import sys, polars as pl\n"
        "from equityaudit.frames import read_source\n"
        "from equityaudit.quality import run_gate\n"
        "from equityaudit.spec_loading import spec_from_mapping\n"
        "frame = pl.DataFrame({'sex': ['F', 'M'] * 50, 'hired': ['yes', 'no', 'maybe', 'no'] * 25})\n"
        "spec = spec_from_mapping({'equityaudit': 1, 'name': 'x', 'auditor': 'decisions', 'data': {'path': 'x.csv'},"
        " 'columns': {'sensitive': 'sex', 'decision': 'hired'}, 'quality': {'ranges': {'hired': [0, 1]}}})\n"
        "outcome = run_gate(read_source(frame.lazy()).frame, spec, 'decisions')\n"
        "print(outcome.gate.passed, 'great_expectations' in sys.modules)\n"
        "outcome = run_gate(read_source(frame.lazy()).frame, spec, 'decisions', engine='gx')\n"
        "print(outcome.gate.passed, 'great_expectations' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # a range over a text column is not compiled: great-expectations evaluates it (and says the
    # values cannot be compared), so GX is imported for that one expectation
    assert done.stdout.split() == ["False", "True", "False", "True"]


def test_a_gate_of_built_in_checks_never_imports_great_expectations() -> None:
    code = (
        "import sys, polars as pl\n"
        "from equityaudit.frames import read_source\n"
        "from equityaudit.quality import run_gate\n"
        "from equityaudit.spec_loading import spec_from_mapping\n"
        "frame = pl.DataFrame({'sex': ['F', 'M'] * 50, 'hired': ['yes', 'no', 'maybe', 'no'] * 25, 'age': [30] * 100})\n"
        "spec = spec_from_mapping({'equityaudit': 1, 'name': 'x', 'auditor': 'decisions', 'data': {'path': 'x.csv'},"
        " 'columns': {'sensitive': 'sex', 'decision': 'hired'}, 'quality': {'ranges': {'age': [18, 65]}}})\n"
        "outcome = run_gate(read_source(frame.lazy()).frame, spec, 'decisions')\n"
        "print(outcome.gate.passed, 'great_expectations' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]  # 'maybe' fails the binary check, without GX


@pytest.mark.parametrize("name", ["compas-decisions", "adult", "bank"])
def test_the_gates_tally_gives_the_auditors_counts(name: str, reference_data: Path) -> None:
    """The counts re-grouped from the gate's one pass equal a grouped count of the data itself."""
    from equityaudit.stats.counts import grouped_counts

    case = dict(CASES[name])
    if name == "compas-decisions":  # every label declared, so the counts can be made
        decision = {"column": "score_text", "positive": ["High"], "negative": ["Medium", "Low"]}
        case["columns"] = {**case["columns"], "decision": decision}
    path = reference_data / case["file"]
    if not path.is_file():
        unavailable(f"{path} not found (shared/ beside the checkout)")
    spec = spec_for(case, path)
    frame = read_source(path, separator=case.get("separator", ",")).frame
    outcome = run_gate(frame, spec, get_auditor(case["auditor"]), origin="data")
    assert outcome.tally is not None
    columns = spec.columns
    arguments = {
        "sensitive": columns.sensitive,
        "decision": columns.decision,
        "outcome": columns.outcome,
        "unknown_values": columns.unknown_values,
    }
    regrouped = grouped_counts(frame, tally=outcome.tally, **arguments)
    counted = grouped_counts(frame, **arguments)
    by = list(columns.sensitive)
    assert (
        regrouped.table.sort_values(by)
        .reset_index(drop=True)
        .equals(counted.table.sort_values(by).reset_index(drop=True))
    )
    assert regrouped.table["n"].sum() == outcome.rows


@pytest.mark.parametrize(
    "expectation",
    [
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "score", "min_value": 5, "max_value": 1},
        },
        {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "group", "regex": "(unclosed"}},
        {
            "type": "expect_column_values_to_be_in_set",
            "kwargs": {"column": "group", "value_set": ["F"], "mostly": 1.5},
        },
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "group", "value_sett": ["F"]}},
    ],
    ids=["range-reversed", "bad-regex", "mostly-above-1", "unknown-argument"],
)
def test_a_malformed_expectation_is_left_to_great_expectations(expectation: dict[str, Any]) -> None:
    """What GX refuses or cannot evaluate is not compiled: both engines give GX's own answer."""
    data = pl.DataFrame({"group": ["F", "M"] * 20, "decision": ["yes", "no"] * 20, "score": [1.0, 3.0] * 20})
    spec = spec_from_mapping(
        {
            "equityaudit": 1,
            "name": "malformed",
            "auditor": "decisions",
            "data": {"path": "x.parquet"},
            "columns": {"sensitive": "group", "decision": "decision"},
            "quality": {"expectations": [expectation]},
        },
        origin="test",
    )
    frame = read_source(data.lazy()).frame
    auditor = get_auditor("decisions")
    outcomes = [gate_or_error(frame, spec, auditor, engine) for engine in ("gx", "compiled")]
    if isinstance(outcomes[0], str):
        assert outcomes[1] == outcomes[0]
    else:
        assert not isinstance(outcomes[1], str)
        assert comparable(outcomes[1].gate.checks) == comparable(outcomes[0].gate.checks)


def test_a_negative_zero_is_shown_alike_by_both_engines() -> None:
    """-0.0 equals 0.0, so both engines count them as one value; pandas names that value after the
    first it meets (-0.0 here) and polars after whichever its threads meet first: shown as 0.0."""
    data = pl.DataFrame(
        {
            "group": ["F", "M"] * 4,
            "decision": ["yes", "no"] * 4,
            "score": [-0.0, 0.0, -0.0, 0.0, 1.0, 2.0, 3.0, 4.0],
        }
    )
    spec = spec_from_mapping(
        {
            "equityaudit": 1,
            "name": "zeros",
            "auditor": "decisions",
            "data": {"path": "x.parquet"},
            "columns": {"sensitive": "group", "decision": "decision"},
            "quality": {"unique": ["score"], "ranges": {"score": [0.5, 10]}},
            "thresholds": {"min_group_size": 1},
        },
        origin="test",
    )
    auditor = get_auditor("decisions")
    for native in (data.lazy(), data.to_pandas()):
        frame = read_source(native).frame
        gx, compiled = (run_gate(frame, spec, auditor, engine=e, origin="data") for e in ("gx", "compiled"))
        assert comparable(compiled.gate.checks) == comparable(gx.gate.checks)
        unique = next(c for c in gx.gate.checks if c.name == "expect_column_values_to_be_unique")
        assert (unique.unexpected_count, unique.observed) == (4, {"0.0": 4})  # four zeros, one value, no sign
