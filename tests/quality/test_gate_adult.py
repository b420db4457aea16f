"""UCI Adult (``../shared/fairness-reference-data/adult.csv``): '?' marks unknown workclass,
occupation and native-country. A spec that lists the allowed categories blocks the audit, and the
gate reports how many '?' each column holds, the same numbers pandas counts in the raw file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from equityaudit.cli import main
from evidence import unavailable

COLUMNS = ("workclass", "occupation", "native-country")


@pytest.fixture
def adult(reference_data: Path) -> Path:
    path = reference_data / "adult.csv"
    if not path.is_file():
        unavailable(f"{path} not found (shared/ beside the checkout)")
    return path


def test_allowed_categories_block_adult_and_count_the_question_marks(adult: Path, tmp_path: Path) -> None:
    # Independent count with pandas; values are compared trimmed in case a copy of the file keeps
    # the leading spaces of the original adult.data ("  ?").
    raw = pd.read_csv(adult, dtype=str, keep_default_na=False)
    unknown = {c: int((raw[c].str.strip() == "?").sum()) for c in COLUMNS}
    allowed = {c: sorted(set(raw[c]) - {v for v in raw[c] if v.strip() == "?"}) for c in COLUMNS}
    assert unknown == {"workclass": 1836, "occupation": 1843, "native-country": 583}  # this copy of adult.csv
    marks = {c: sorted({v for v in raw[c] if v.strip() == "?"}) for c in COLUMNS}

    spec = tmp_path / "adult.yaml"
    spec.write_text(
        yaml.safe_dump(
            {
                "equityaudit": 1,
                "name": "adult-income",
                "auditor": "decisions",
                "data": {"path": str(adult)},
                "columns": {
                    "sensitive": ["sex", "race"],
                    "decision": {"column": "income-per-year", "positive": ">50K"},
                },
                "quality": {"allowed": allowed},
            }
        )
    )
    result = CliRunner().invoke(main, ["run", str(spec), "--out", str(tmp_path / "out"), "--format", "json"])
    assert result.exit_code == 3, result.output
    payload = json.loads((tmp_path / "out" / "adult-income.json").read_text())
    assert payload["verdict"] == "blocked"
    assert payload["tables"] == [] and payload["findings"] == []
    failed = {c["column"]: c for c in payload["gate"]["checks"] if not c["passed"]}
    assert set(failed) == set(COLUMNS)  # nothing else is wrong with adult.csv
    rows = len(raw)
    for column in COLUMNS:
        check = failed[column]
        assert check["name"] == "expect_column_values_to_be_in_set"
        assert check["unexpected_count"] == unknown[column]
        assert check["unexpected_percent"] == pytest.approx(100 * unknown[column] / rows)
        assert check["unexpected_values"] == marks[column]
        assert check["observed"] == {m: unknown[column] for m in marks[column]}
    assert "'?' (583)" in failed["native-country"]["message"]
    # the terminal names each failed column with its count
    for column in COLUMNS:
        assert column in result.output and str(unknown[column]) in result.output
