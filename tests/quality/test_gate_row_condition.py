"""A check with a row_condition reports its unexpected rows against all rows, not the rows it selected.

The marketing auditor checks that each row's estimated probabilities sum to 1 with a
``row_condition`` selecting only the rows further than the tolerance from 1, so GX's own counts
are "10 of 10". The data: 5,000 customers with p_x = 0.25 and p_y = 0.75 (sum 1); every 500th row
(rows 0, 500, ..., 4500: 10 rows) has p_y = 0.5, so its sum is 0.75.
"""

from __future__ import annotations

import pandas as pd
import pytest

import equityaudit as ea

ROWS, BAD = 5000, 10


def customers() -> pd.DataFrame:
    frame = pd.DataFrame({"seg": ["gold", "basic"] * (ROWS // 2), "p_x": 0.25, "p_y": 0.75})
    frame.loc[frame.index % 500 == 0, "p_y"] = 0.5
    return frame


def test_the_probability_sum_check_counts_against_every_row() -> None:
    assert int((customers()[["p_x", "p_y"]].sum(axis=1) != 1).sum()) == BAD
    result = ea.audit(
        customers(),
        auditor="marketing",
        sensitive=[],
        options={"segment": "seg", "estimated": {"race": {"X": "p_x", "Y": "p_y"}}},
    )
    assert result.verdict == "blocked"
    (check,) = [c for c in result.gate.checks if not c.passed]
    assert check.name == "expect_multicolumn_sum_to_equal"
    assert check.unexpected_count == BAD
    assert check.unexpected_percent == pytest.approx(100 * BAD / ROWS)  # 0.2 %, not 100 %
    assert "10 of 5000 rows unexpected (0.2%; GX checked only the 10 rows its row_condition" in check.message
    assert "on 'p_x', 'p_y' failed" in check.message


def test_a_spec_expectation_with_a_row_condition_counts_against_every_row() -> None:
    # 200 rows; score is row % 100; the condition selects the 100 'gold' rows (even rows), whose
    # scores are the even numbers 0..98; those above 90 (92, 94, 96, 98) occur twice each: 8 rows
    frame = pd.DataFrame(
        {
            "sex": ["F", "M"] * 100,
            "hired": ["yes", "no"] * 100,
            "tier": ["gold", "basic"] * 100,
            "score": [i % 100 for i in range(200)],
        }
    )
    expectation = {
        "type": "expect_column_values_to_be_between",
        "kwargs": {
            "column": "score",
            "max_value": 91,
            "row_condition": 'tier == "gold"',
            "condition_parser": "pandas",
        },
    }
    result = ea.audit(
        frame,
        auditor="decisions",
        sensitive="sex",
        decision="hired",
        quality={"expectations": [expectation]},
        gate="warn",
    )
    (check,) = [c for c in result.gate.checks if not c.passed]
    assert (check.unexpected_count, check.unexpected_percent) == (8, pytest.approx(100 * 8 / 200))
    assert "8 of 200 rows unexpected (4.0%; GX checked only the 100 rows" in check.message
