"""Loading: files and in-memory frames of every backend give identical counts; values normalise."""

from __future__ import annotations

from pathlib import Path

import narwhals as nw
import pandas as pd
import polars as pl
import pytest

import equityaudit as ea
from backends import Constructor
from equityaudit.errors import DataError
from equityaudit.frames import read_source
from equityaudit.spec import LabelledColumn
from equityaudit.stats.counts import grouped_counts
from equityaudit.values import sensitive_label

FRAME = pd.DataFrame(
    {
        "sex": ["F", "F", "M", None, " unknown ", "M", "F", "Prefer not to say"],
        "race": ["a", "b", "a", "a", "b", "b", "a", "b"],
        "hired": ["yes", "No", "Y", "0", "TRUE", "n", "1", "false"],
        "good": [1, 0, 1, 1, 0, 0, 1, 1],
    }
)
# By hand, after normalisation (hired: yes,No,Y,0,TRUE,n,1,false -> 1,0,1,0,1,0,1,0):
#   (F, a): rows 0, 6 -> n=2, selected=2, positives=2, tp=2
#   (F, b): row 1     -> n=1, selected=0, positives=0, tp=0
#   (M, a): row 2     -> n=1, selected=1, positives=1, tp=1
#   (M, b): row 5     -> n=1, selected=0, positives=0, tp=0
#   (Unknown, a): row 3 -> n=1, selected=0, positives=1, tp=0
#   (Unknown, b): rows 4, 7 -> n=2, selected=1, positives=1, tp=0
EXPECTED = {
    "sex": ["F", "F", "M", "M", "Unknown", "Unknown"],
    "race": ["a", "b", "a", "b", "a", "b"],
    "n": [2, 1, 1, 1, 1, 2],
    "selected": [2, 0, 1, 0, 0, 1],
    "positives": [2, 0, 1, 0, 1, 1],
    "tp": [2, 0, 1, 0, 0, 0],
}


def test_counts_identical_across_backends(constructor: Constructor) -> None:
    source = read_source(constructor(FRAME))
    counts = grouped_counts(source.frame, sensitive=["sex", "race"], decision="hired", outcome="good")
    assert counts.table.to_dict("list") == EXPECTED


@pytest.mark.parametrize("suffix", ["csv", "parquet", "jsonl"])
def test_counts_identical_across_file_formats(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"data.{suffix}"
    if suffix == "csv":
        FRAME.to_csv(path, index=False)
    elif suffix == "parquet":
        FRAME.to_parquet(path)
    else:
        FRAME.to_json(path, orient="records", lines=True)
    source = read_source(path)
    assert source.sha256 is not None and len(source.sha256) == 64
    counts = grouped_counts(source.frame, sensitive=["sex", "race"], decision="hired", outcome="good")
    assert counts.table.to_dict("list") == EXPECTED


def test_marginal_equals_direct_count() -> None:
    source = read_source(FRAME)
    finest = grouped_counts(source.frame, sensitive=["sex", "race"], decision="hired")
    direct = grouped_counts(source.frame, sensitive=["sex"], decision="hired")
    assert finest.marginal(["sex"]).table.to_dict("list") == direct.table.to_dict("list")


def test_labelled_decision() -> None:
    frame = pd.DataFrame({"sex": ["F", "M", "M"], "status": ["Selected", "Rejected", "Rejected"]})
    role = LabelledColumn(column="status", positive="Selected")
    counts = grouped_counts(read_source(frame).frame, sensitive=["sex"], decision=role)
    assert counts.table["selected"].tolist() == [1, 0]
    frame.loc[2, "status"] = "Withdrawn"  # a second value besides the positive label needs 'negative'
    with pytest.raises(DataError, match=r"it holds 2: 'Rejected' \(1 row\), 'Withdrawn' \(1 row\)"):
        grouped_counts(read_source(frame).frame, sensitive=["sex"], decision=role)
    strict = LabelledColumn(column="status", positive="Selected", negative="Rejected")
    with pytest.raises(DataError, match=r"holds 1 other value\(s\): 'Withdrawn' \(1 row\)"):
        grouped_counts(read_source(frame).frame, sensitive=["sex"], decision=strict)


def test_boolean_and_float_decisions() -> None:
    frame = pd.DataFrame({"sex": ["F", "M", "M"], "a": [True, False, True], "b": [1.0, 0.0, 1.0]})
    for column in ("a", "b"):
        counts = grouped_counts(read_source(frame).frame, sensitive=["sex"], decision=column)
        assert counts.table["selected"].tolist() == [1, 1]


def test_missing_decision_is_an_error() -> None:
    frame = pd.DataFrame({"sex": ["F", "M"], "hired": ["yes", None]})
    with pytest.raises(DataError, match=r"column 'hired' \(columns.decision\) has 1 missing value"):
        grouped_counts(read_source(frame).frame, sensitive=["sex"], decision="hired")


def test_non_numeric_score_is_blocked_by_the_gate() -> None:
    frame = pd.DataFrame({"sex": ["F", "M"] * 40, "s": ["1", "high"] * 40})
    result = ea.audit(frame, auditor="hiring", sensitive="sex", score="s")
    assert result.verdict == "blocked"
    failed = [c for c in result.gate.checks if not c.passed]
    assert [c.column for c in failed] == ["s"]


def test_non_numeric_score_is_an_error_past_the_gate() -> None:
    # with --gate warn the audit proceeds, and the score reader refuses the column itself
    frame = pd.DataFrame({"sex": ["F", "M"] * 40, "s": ["1", "high"] * 40})
    with pytest.raises(DataError, match=r"column 's' \(columns.score\) should be numeric.*'high'"):
        ea.audit(frame, auditor="hiring", sensitive="sex", score="s", gate="warn")


@pytest.mark.parametrize(
    ("raw", "label"),
    [("Female", "Female"), ("  Male ", "Male"), ("", "Unknown"), (None, "Unknown"), (float("nan"), "Unknown"),
     ("N/A", "Unknown"), ("Decline to self-identify", "Unknown"), (2.0, "2"), ("?", "Unknown"),
     ("-", "Unknown"), ("#N/A", "Unknown"), ("??", "??")],
)  # fmt: skip
def test_sensitive_labels(raw: object, label: str) -> None:
    assert sensitive_label(raw) == label


def test_unknown_values_from_the_spec() -> None:
    assert sensitive_label("declined", unknown=["Declined"]) == "Unknown"


def test_unsupported_object_is_an_error() -> None:
    with pytest.raises(DataError, match=r"cannot audit a builtins.list: expected a file path or a pandas"):
        read_source([1, 2, 3])


def test_unknown_extension_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "data.xlsx"
    path.write_text("x")
    with pytest.raises(DataError, match=r"cannot tell the file format from the extension '.xlsx'"):
        read_source(path)


def test_narwhals_frames_are_accepted() -> None:
    assert read_source(nw.from_native(pl.from_pandas(FRAME))).name == "<polars.DataFrame>"


def test_a_latin1_csv_is_refused_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "legacy.csv"
    path.write_bytes("sex,hired\nFémme,1\nM,0\n".encode("latin-1"))
    # 'é' is byte 0xE9 at offset 11 (after 'sex,hired\\nF'): not valid UTF-8
    with pytest.raises(DataError, match=r"legacy.csv: not UTF-8 text: byte 11 is b'\\xe9'.*Save it as UTF-8"):
        read_source(path)
