"""Missing and unknown sensitive values are counted together against ``max_missing``.

The data: 570 applicants, 200 F and 200 M (alternating), then 90 with an empty ``sex`` cell and
80 whose ``sex`` says ``Unknown``: 170 of 570 rows (29.8 %) are missing or unknown, over the
default 20 % (114 rows), though each kind alone (15.8 %, 14.0 %) is under it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

from equityaudit.cli import main
from equityaudit.frames import read_source
from equityaudit.plugins import get_auditor
from equityaudit.quality import run_gate
from equityaudit.quality.gx_runner import runner
from equityaudit.spec_loading import spec_from_mapping

KNOWN, EMPTY, UNKNOWN = 400, 90, 80
ROWS = KNOWN + EMPTY + UNKNOWN  # 570


def applicants(empty: int = EMPTY, unknown: list[str] | None = None, known: int = KNOWN) -> pd.DataFrame:
    said = unknown if unknown is not None else ["Unknown"] * UNKNOWN
    sex = (["F", "M"] * known)[:known] + [None] * empty + said
    return pd.DataFrame({"sex": sex, "hired": (["yes", "no"] * len(sex))[: len(sex)]})


def spec(**columns: Any) -> Any:
    return spec_from_mapping(
        {
            "equityaudit": 1,
            "name": "unknowns",
            "auditor": "decisions",
            "data": {"path": "data.csv"},
            "columns": {"sensitive": "sex", "decision": "hired", **columns},
        },
        origin="test",
    )


def sex_check(frame: pd.DataFrame, **columns: Any) -> Any:
    outcome = run_gate(read_source(frame).frame, spec(**columns), get_auditor("decisions"))
    return next(
        c for c in outcome.gate.checks if c.column == "sex" and c.name.startswith("expect_column_values")
    )


def test_missing_and_unknown_are_added_together(tmp_path: Path) -> None:
    applicants().to_csv(tmp_path / "data.csv", index=False)  # None is written as an empty cell
    (tmp_path / "spec.yaml").write_text(
        "equityaudit: 1\nname: unknowns\nauditor: decisions\ndata: {path: data.csv}\n"
        "columns: {sensitive: sex, decision: hired}\n"
    )
    result = CliRunner().invoke(main, ["run", str(tmp_path / "spec.yaml"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 3, result.output
    checks = json.loads((tmp_path / "out" / "unknowns.json").read_text())["gate"]["checks"]
    failed = [c for c in checks if not c["passed"]]
    assert [(c["name"], c["column"], c["unexpected_count"]) for c in failed] == [
        ("expect_column_values_to_not_match_regex", "sex", 170)  # 90 empty + 80 'Unknown'
    ]
    assert failed[0]["unexpected_percent"] == pytest.approx(100 * 170 / 570)  # of all rows: 29.8 %
    assert failed[0]["unexpected_values"] == [None, "Unknown"]
    assert (
        "170 of 570 rows (29.8%) of 'sex' are missing or say unknown: missing (90), 'Unknown' (80)"
        in (failed[0]["message"])
    )
    # one check per sensitive column: no separate null check any more
    assert [c["name"] for c in checks if c["column"] == "sex"] == [
        "expect_column_to_exist",
        "expect_column_values_to_not_match_regex",
        "equityaudit_group_sizes",
    ]


def test_the_limit_is_inclusive_and_counts_declared_unknown_values() -> None:
    # 20 % of 570 rows is 114: 456 known + 60 empty + 54 'n/a' (114 rows) pass
    assert sex_check(applicants(empty=60, unknown=["n/a"] * 54, known=456)).passed
    # 455 known + 60 empty + 54 'n/a' + 1 'declined' (declared unknown): 115 of 570 fail
    declined = applicants(empty=60, unknown=["n/a"] * 54 + ["declined"], known=455)
    check = sex_check(declined, unknown_values=["declined"])
    assert (check.passed, check.unexpected_count) == (False, 115)
    assert check.unexpected_values == [None, "n/a", "declined"]  # missing first, then most frequent
    # without the declaration 'declined' is a group of its own, not unknown: 114 rows again
    assert sex_check(declined).unexpected_count == 114


def test_the_exported_expectation_runs_in_plain_gx(tmp_path: Path) -> None:
    applicants().to_csv(tmp_path / "data.csv", index=False)
    outcome = run_gate(read_source(applicants()).frame, spec(), get_auditor("decisions"))
    exported = json.loads(json.dumps(outcome.suite))  # as `equityaudit check --export-suite` writes it
    item = next(e for e in exported["expectations"] if e["type"] == "expect_column_values_to_not_match_regex")
    assert "nulls" in item["meta"]["note"]
    gx = runner().gx
    with runner().active():
        context = gx.get_context(mode="ephemeral")
        suite = gx.ExpectationSuite(name="plain", expectations=[item])
        frame = pd.read_csv(tmp_path / "data.csv", keep_default_na=False)  # empty cells as ""
        batch = (
            context.data_sources.add_pandas("plain")
            .add_dataframe_asset("frame")
            .add_batch_definition_whole_dataframe("all")
            .get_batch(batch_parameters={"dataframe": frame})
        )
        result = batch.validate(suite).results[0]
    assert (result.success, result.result["unexpected_count"]) == (False, 170)
