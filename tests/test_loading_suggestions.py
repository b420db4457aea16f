"""did_you_mean suggests a column the name starts, or is a whole word of, not only near spellings."""

from __future__ import annotations

from pathlib import Path

import pytest

from equityaudit.engine import run_spec
from equityaudit.errors import ColumnNotFoundError, did_you_mean
from equityaudit.spec_loading import spec_from_mapping

HIRING_CSV = Path(__file__).resolve().parents[1] / "datasets" / "hiring.csv"


def test_a_prefix_of_a_column_suggests_that_column() -> None:
    # datasets/hiring.csv has the columns applicant_id, sex, race_ethnicity, age, ... (its header)
    spec = spec_from_mapping(
        {
            "equityaudit": 1,
            "name": "prefix",
            "auditor": "decisions",
            "data": {"path": str(HIRING_CSV)},
            "columns": {"sensitive": ["sex", "race"], "decision": "advanced"},
        },
        origin="test",
    )
    with pytest.raises(ColumnNotFoundError) as caught:
        run_spec(spec)
    assert "column 'race' (columns.sensitive[1] in the spec) is not in the data" in str(caught.value)
    assert "Did you mean 'race_ethnicity'?" in str(caught.value)


@pytest.mark.parametrize(
    ("value", "choices", "hint"),
    [
        ("race", ["sex", "race_ethnicity", "age"], "Did you mean 'race_ethnicity'?"),  # starts with
        ("RACE", ["sex", "race_ethnicity"], "Did you mean 'race_ethnicity'?"),  # any case
        ("ethnicity", ["sex", "race_ethnicity"], "Did you mean 'race_ethnicity'?"),  # a whole word
        ("eth", ["sex", "race_ethnicity"], "Valid choices: 'race_ethnicity', 'sex'."),  # part of a word
        (
            "score",
            ["score_screening", "score_interview"],
            "Valid choices: 'score_interview', 'score_screening'.",
        ),  # two: none
        ("sexx", ["sex", "race"], "Did you mean 'sex'?"),  # near spelling, as before
    ],
)
def test_did_you_mean(value: str, choices: list[str], hint: str) -> None:
    assert did_you_mean(value, choices) == hint
