"""One seeded defect per kind of check: the gate catches exactly it, with the right unexpected count.

Every frame starts from ``clean_frame()`` (conftest.py), on which every check passes, and changes
the rows named in the test. Each expected count is the number of rows the test changed (or, where
GX counts differently, says why in a comment).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import equityaudit as ea
from conftest import ROWS, clean_frame, spec_mapping
from equityaudit import check_spec
from equityaudit.errors import DataError
from equityaudit.frames import read_source
from equityaudit.plugins import get_auditor
from equityaudit.quality import DEFAULT_MAX_MISSING, GateOutcome, run_gate
from equityaudit.results import Check
from equityaudit.spec_loading import load_spec, spec_from_mapping
from equityaudit.values import FALSE_TOKENS, TRUE_TOKENS, binary_mapping


def gate(frame: pd.DataFrame, **changes: Any) -> GateOutcome:
    spec = spec_from_mapping(spec_mapping(**changes), origin="test")
    return run_gate(read_source(frame).frame, spec, get_auditor(spec.auditor))


def failed(outcome: GateOutcome) -> list[Check]:
    return [check for check in outcome.gate.checks if not check.passed]


def only_failure(outcome: GateOutcome, name: str, column: str | None) -> Check:
    """The one failed check, which must be ``name`` on ``column``; the gate blocks."""
    bad = failed(outcome)
    assert [(c.name, c.column) for c in bad] == [(name, column)], [c.message for c in bad]
    assert not outcome.gate.passed
    return bad[0]


def test_clean_data_passes_every_default_check() -> None:
    outcome = gate(clean_frame())
    assert outcome.gate.passed and not failed(outcome)
    assert outcome.rows == ROWS
    # the default suite of a decisions audit with sensitive [sex, race], decision and id
    assert [(c.name, c.column) for c in outcome.gate.checks] == [
        ("expect_column_to_exist", "sex"),
        ("expect_column_values_to_not_match_regex", "sex"),
        ("equityaudit_group_sizes", "sex"),
        ("expect_column_to_exist", "race"),
        ("expect_column_values_to_not_match_regex", "race"),
        ("equityaudit_group_sizes", "race"),
        ("expect_column_to_exist", "hired"),
        ("expect_column_values_to_not_be_null", "hired"),
        ("expect_column_values_to_match_regex", "hired"),
        ("expect_column_to_exist", "id"),
        ("expect_column_values_to_not_be_null", "id"),
        ("expect_column_values_to_be_unique", "id"),
    ]
    groups = next(
        c for c in outcome.gate.checks if c.name == "equityaudit_group_sizes" and c.column == "race"
    )
    assert groups.observed == {"A": 80, "B": 80, "C": 40}  # n % 5 in {0, 1}, {2, 3}, {4}


# --- what the auditor's roles ask for ---------------------------------------------------------


def test_absent_column_fails_only_its_existence_check() -> None:
    # the engine refuses an absent role column before the gate; run on its own, the gate reports
    # it once, and does not repeat it for the checks that would read the column
    check = only_failure(gate(clean_frame().drop(columns="race")), "expect_column_to_exist", "race")
    assert "not in the data" in check.message and "columns.sensitive[1]" in check.message


def test_sensitive_column_missing_more_than_the_default_share() -> None:
    frame = clean_frame()
    frame.loc[:40, "race"] = None  # rows 0..40: 41 rows, 20.5 % > 20 %
    check = only_failure(gate(frame), "expect_column_values_to_not_match_regex", "race")
    assert check.unexpected_count == 41
    assert check.unexpected_percent == pytest.approx(100 * 41 / ROWS)
    assert check.observed == pytest.approx(41 / ROWS)
    assert (check.expected["column"], check.expected["mostly"]) == ("race", 0.8)
    assert "at most 20.0% allowed" in check.message


def test_missing_share_equal_to_the_maximum_passes() -> None:
    assert DEFAULT_MAX_MISSING == 0.2
    frame = clean_frame()
    frame.loc[:39, "race"] = None  # 40 rows = exactly 20 %: "at most" includes the limit
    assert gate(frame).gate.passed


def test_max_missing_of_a_sensitive_column_replaces_the_default() -> None:
    frame = clean_frame()
    frame.loc[[3, 4, 5], "sex"] = None  # 3 of 200 = 1.5 % > 1 %
    check = only_failure(
        gate(frame, quality={"max_missing": {"sex": 0.01}}), "expect_column_values_to_not_match_regex", "sex"
    )
    assert check.unexpected_count == 3
    assert "quality.max_missing.sex" in check.message


def test_decision_with_a_value_that_is_not_binary() -> None:
    frame = clean_frame()
    frame.loc[5, "hired"] = "maybe"
    check = only_failure(gate(frame), "expect_column_values_to_match_regex", "hired")
    assert check.unexpected_count == 1
    assert check.unexpected_values == ["maybe"]
    assert check.observed == {"maybe": 1}
    assert "decision: {column: hired, positive: <label>}" in check.message


CANDIDATES = [" yes", "YES", "Y", "n", "T", "False", "1", "0.0", "1.0 ", "2", "maybe", "yes!", "oui", "-"]


@pytest.mark.parametrize("value", CANDIDATES)
def test_binary_check_accepts_exactly_what_the_auditor_accepts(value: str) -> None:
    # the auditor's normaliser (values.binary_mapping) is the reference for what "binary" means
    try:
        binary_mapping({value: 1}, "hired", key="columns.decision", origin="test")
        accepted = True
    except DataError:
        accepted = False
    frame = clean_frame()
    frame.loc[0, "hired"] = value
    assert gate(frame).gate.passed is accepted
    assert accepted is (value.strip().lower() in TRUE_TOKENS | FALSE_TOKENS)


def test_binary_integer_decision_with_a_2() -> None:
    frame = clean_frame()
    frame.loc[8, "hired01"] = 2
    outcome = gate(frame, columns={"sensitive": ["sex", "race"], "decision": "hired01"})
    check = only_failure(outcome, "expect_column_values_to_be_in_set", "hired01")
    assert check.expected == {"column": "hired01", "value_set": [0, 1]}
    assert (check.unexpected_count, check.unexpected_values) == (1, [2])


def test_decision_with_a_missing_value() -> None:
    frame = clean_frame()
    frame.loc[3, "hired"] = None
    check = only_failure(gate(frame), "expect_column_values_to_not_be_null", "hired")
    assert check.unexpected_count == 1  # the binary check ignores missing values: no second failure


def test_labelled_decision_with_a_value_outside_its_labels() -> None:
    frame = clean_frame()
    frame.loc[[10, 11], "status"] = "Pending"
    labelled = {"column": "status", "positive": "Selected", "negative": ["Rejected"]}
    outcome = gate(frame, columns={"sensitive": ["sex"], "decision": labelled})
    check = only_failure(outcome, "expect_column_values_to_match_regex", "status")
    assert (check.unexpected_count, check.unexpected_values) == (2, ["Pending"])
    # without 'negative', the column may hold one value besides the positive label: two is an error
    with pytest.raises(DataError, match=r"it holds 2: 'Rejected' \(148 rows\), 'Pending' \(2 rows\)"):
        gate(frame, columns={"sensitive": ["sex"], "decision": {"column": "status", "positive": "Selected"}})


def test_outcome_with_a_value_that_is_not_binary() -> None:
    frame = clean_frame()
    frame["outcome"] = frame["hired01"].astype(str)
    frame.loc[[1, 2, 3], "outcome"] = "unknown"
    outcome = gate(frame, columns={"sensitive": ["sex"], "decision": "hired", "outcome": "outcome"})
    check = only_failure(outcome, "expect_column_values_to_match_regex", "outcome")
    assert (check.unexpected_count, check.unexpected_values) == (3, ["unknown"])
    assert "(columns.outcome)" in check.message


def hiring(**columns: Any) -> dict[str, Any]:
    return {"auditor": "hiring", "columns": {"sensitive": ["sex"], **columns}}


def test_score_with_a_value_that_is_not_a_number_in_a_csv(write_case: Any) -> None:
    frame = clean_frame().astype({"score": object})
    frame.loc[4, "score"] = "abc"  # polars then reads the whole column as text
    outcome = check_spec(load_spec(write_case(frame, **hiring(score="score"))))
    check = only_failure(outcome, "expect_column_values_to_be_in_type_list", "score")
    assert check.observed == "str"  # GX judges a text column by its type...
    assert (check.unexpected_count, check.unexpected_values) == (1, ["abc"])  # ...equityaudit counts
    assert check.unexpected_percent == pytest.approx(100 / ROWS)


def test_score_with_a_value_that_is_not_a_number_in_a_pandas_object_column() -> None:
    frame = clean_frame().astype({"score": object})
    frame.loc[4, "score"] = "abc"
    check = only_failure(
        gate(frame, **hiring(score="score")), "expect_column_values_to_be_in_type_list", "score"
    )
    assert (check.unexpected_count, check.unexpected_values) == (1, ["abc"])  # GX's own count


def test_score_with_a_missing_value() -> None:
    frame = clean_frame()
    frame.loc[[0, 1], "score"] = float("nan")
    check = only_failure(gate(frame, **hiring(score="score")), "expect_column_values_to_not_be_null", "score")
    assert check.unexpected_count == 2


def test_score_outside_its_declared_range() -> None:
    frame = clean_frame()
    frame.loc[9, "score"] = 150.0
    outcome = gate(frame, **hiring(score="score"), quality={"ranges": {"score": [0, 100]}})
    check = only_failure(outcome, "expect_column_values_to_be_between", "score")
    assert (check.unexpected_count, check.unexpected_values) == (1, [150.0])
    assert "outside [0, 100]" in check.message


def test_fewer_than_two_groups_of_min_group_size_blocks() -> None:
    frame = clean_frame()
    frame.loc[frame.index[frame["sex"] == "F"][29:], "sex"] = "M"  # F keeps 29 rows, M 171
    check = only_failure(gate(frame), "equityaudit_group_sizes", "sex")
    assert check.observed == {"M": 171, "F": 29}
    assert check.expected == {"min_group_size": 30, "min_groups": 2}
    assert "thresholds.min_group_size" in check.message


def test_a_small_group_does_not_block_and_is_noted() -> None:
    frame = clean_frame()
    frame.loc[:4, "race"] = "D"  # 5 rows: under 30, audited as insufficient_data
    outcome = gate(frame)
    assert outcome.gate.passed
    check = next(c for c in outcome.gate.checks if c.name == "equityaudit_group_sizes" and c.column == "race")
    assert check.passed and check.unexpected_values == ["D"]
    assert check.observed == {"A": 78, "B": 78, "C": 39, "D": 5}  # rows 0, 1 were A; 2, 3 B; 4 C
    assert any("'D' (5)" in note and "insufficient_data" in note for note in outcome.notes)


def test_unknown_sensitive_values_form_no_group() -> None:
    frame = clean_frame()
    female = frame.index[frame["sex"] == "F"]
    frame.loc[female[:80], "sex"] = "Prefer not to say"  # F keeps 20 known rows
    outcome = gate(frame)
    assert sorted((c.name, c.column) for c in failed(outcome)) == [
        ("equityaudit_group_sizes", "sex"),
        ("expect_column_values_to_not_match_regex", "sex"),
    ]
    groups = next(c for c in failed(outcome) if c.name == "equityaudit_group_sizes")
    assert groups.observed == {"M": 100, "F": 20}  # 'Prefer not to say' is Unknown, not a group
    words = next(c for c in failed(outcome) if c.name == "expect_column_values_to_not_match_regex")
    # 80 of 200 rows (40 %) say 'unknown' in words: more than the 20 % a sensitive column may miss
    assert (words.unexpected_count, words.unexpected_values) == (80, ["Prefer not to say"])


def test_unknown_in_words_counts_as_missing() -> None:
    # 'N/A', 'null' and 'unknown' written as text are missing values to the audit (they become
    # Unknown): 25 % of the rows, over the default 20 %, block the gate like real nulls would
    frame = clean_frame()
    frame.loc[frame.index[:50], "race"] = ["N/A", "null", "unknown", " Unknown ", "n/a"] * 10
    check = only_failure(gate(frame), "expect_column_values_to_not_match_regex", "race")
    assert check.unexpected_count == 50


def test_duplicated_id() -> None:
    frame = clean_frame()
    frame.loc[7, "id"] = frame.loc[6, "id"]
    check = only_failure(gate(frame), "expect_column_values_to_be_unique", "id")
    # GX counts every row whose value occurs more than once: rows 6 and 7
    assert (check.unexpected_count, check.unexpected_values) == (2, ["P0006"])


def test_stage_outside_the_hiring_auditors_stages() -> None:
    frame = clean_frame()
    frame.loc[12, "stage"] = "hired"
    spec = hiring(decision="hired", stage="stage") | {
        "options": {"stages": ["applied", "interview", "offer"]}
    }
    check = only_failure(gate(frame, **spec), "expect_column_values_to_match_regex", "stage")
    assert (check.unexpected_count, check.unexpected_values) == (1, ["hired"])
    assert "options.stages" in check.message  # the hiring auditor's own fix


# --- the spec's quality rules -----------------------------------------------------------------


def test_allowed_values() -> None:
    frame = clean_frame()
    frame.loc[[20, 21, 22], "race"] = "X"
    frame.loc[23, "race"] = "Y"
    check = only_failure(
        gate(frame, quality={"allowed": {"race": ["A", "B", "C"]}}),
        "expect_column_values_to_be_in_set",
        "race",
    )
    assert check.unexpected_count == 4
    assert check.unexpected_values == ["X", "Y"]  # most frequent first
    assert check.observed == {"X": 3, "Y": 1}


def test_unique_rule() -> None:
    frame = clean_frame()
    frame.loc[[50, 51, 52], "id"] = "P0049"
    columns = {"sensitive": ["sex"], "decision": "hired"}  # no id role: quality.unique alone
    check = only_failure(
        gate(frame, columns=columns, quality={"unique": ["id"]}), "expect_column_values_to_be_unique", "id"
    )
    assert check.unexpected_count == 4  # rows 49..52 share P0049


def test_max_missing_of_another_column() -> None:
    frame = clean_frame()
    frame.loc[30, "stage"] = None
    check = only_failure(
        gate(frame, quality={"max_missing": {"stage": 0}}), "expect_column_values_to_not_be_null", "stage"
    )
    assert check.unexpected_count == 1 and "none allowed" in check.message


def test_min_rows() -> None:
    check = only_failure(
        gate(clean_frame(), quality={"min_rows": ROWS + 1}), "expect_table_row_count_to_be_between", None
    )
    assert check.observed == ROWS and "at least 201 needed" in check.message


def test_quality_rule_on_an_absent_column() -> None:
    check = only_failure(
        gate(clean_frame(), quality={"allowed": {"region": ["N", "S"]}}),
        "expect_column_values_to_be_in_set",
        "region",
    )
    assert "column 'region' (quality.allowed.region) is not in the data" in check.message


# --- raw GX expectations, imported suites, severity -----------------------------------------


def test_raw_gx_expectation_in_the_spec() -> None:
    frame = clean_frame()
    frame.loc[60, "id"] = "P12345"
    raw = {"type": "expect_column_value_lengths_to_equal", "kwargs": {"column": "id", "value": 5}}
    check = only_failure(
        gate(frame, quality={"expectations": [raw]}), "expect_column_value_lengths_to_equal", "id"
    )
    assert check.unexpected_count == 1
    assert check.unexpected_values == ["P12345"]  # from GX's partial list
    assert "quality.expectations[0]" in check.message


def test_raw_not_in_set_expectation_counts_each_offending_value() -> None:
    frame = clean_frame()
    frame.loc[[1, 2], "race"] = "?"
    frame.loc[3, "race"] = "n/a"
    raw = {
        "type": "expect_column_values_to_not_be_in_set",
        "kwargs": {"column": "race", "value_set": ["?", "n/a"]},
    }
    check = only_failure(
        gate(frame, quality={"expectations": [raw]}), "expect_column_values_to_not_be_in_set", "race"
    )
    assert check.unexpected_count == 3
    assert check.observed == {"?": 2, "n/a": 1}  # recounted over all rows, most frequent first
    assert "'?' (2), 'n/a' (1)" in check.message


def test_aggregate_gx_expectation_reports_the_observed_value() -> None:
    frame = clean_frame()
    raw = {"type": "expect_column_mean_to_be_between", "kwargs": {"column": "score", "min_value": 60}}
    check = only_failure(
        gate(frame, quality={"expectations": [raw]}), "expect_column_mean_to_be_between", "score"
    )
    assert check.observed == pytest.approx(frame["score"].mean())  # 49.505, by pandas
    assert check.unexpected_count is None


def test_imported_gx_suite(tmp_path: Path) -> None:
    suite = {
        "name": "their-suite",
        "expectations": [
            {
                "type": "expect_column_values_to_be_in_set",
                "kwargs": {"column": "race", "value_set": ["A", "B", "C"]},
            }
        ],
    }
    path = tmp_path / "suite.json"
    path.write_text(json.dumps(suite))
    frame = clean_frame()
    frame.loc[70, "race"] = "Z"
    check = only_failure(
        gate(frame, quality={"suite": str(path)}), "expect_column_values_to_be_in_set", "race"
    )
    assert (check.unexpected_count, check.unexpected_values) == (1, ["Z"])
    assert "suite.json expectations[0]" in check.message


def test_failed_warning_expectation_does_not_block_but_warns() -> None:
    frame = clean_frame()
    frame.loc[61, "id"] = "P1"
    raw = {
        "type": "expect_column_value_lengths_to_equal",
        "kwargs": {"column": "id", "value": 5},
        "severity": "warning",
    }
    outcome = gate(frame, quality={"expectations": [raw]})
    assert outcome.gate.passed  # a warning never blocks...
    assert [c.name for c in failed(outcome)] == ["expect_column_value_lengths_to_equal"]
    result = ea.audit(
        frame, auditor="decisions", sensitive=["sex"], decision="hired", quality={"expectations": [raw]}
    )
    assert result.verdict == "warn"  # ...but counts as a warning
    assert any("severity warning" in note for note in result.notes)
