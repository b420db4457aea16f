"""A labelled decision or outcome must hold its declared labels: a typo or an undeclared third value is an error.

The data: 200 applicants, row i female when i is odd; ``Selected`` when i % 10 < 3 (i % 10 in
{0, 1, 2}: 3 of every 10 rows, so 60) and ``Rejected`` otherwise (140). The ``pending`` variant
adds 1,500 rows ``Pending``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import equityaudit as ea
from equityaudit.cli import main
from equityaudit.errors import DataError
from equityaudit.frames import read_source
from equityaudit.spec import LabelledColumn
from equityaudit.stats.counts import grouped_counts
from equityaudit.values import binary_mapping

SELECTED, REJECTED, PENDING = 60, 140, 1500


def applicants(pending: int = 0) -> pd.DataFrame:
    rows = [("F" if i % 2 else "M", "Selected" if i % 10 < 3 else "Rejected") for i in range(200)]
    rows += [("F" if i % 2 else "M", "Pending") for i in range(pending)]
    return pd.DataFrame(rows, columns=["sex", "status"])


def run_cli(tmp_path: Path, decision: str, *, pending: int = 0, command: str = "run") -> tuple[int, str]:
    applicants(pending).to_csv(tmp_path / "data.csv", index=False)
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "equityaudit: 1\nname: labels\nauditor: decisions\ndata: {path: data.csv}\n"
        f"columns: {{sensitive: sex, decision: {decision}}}\n"
    )
    args = [command, str(spec)] + (["--out", str(tmp_path / "out")] if command == "run" else [])
    result = CliRunner().invoke(main, args)
    return result.exit_code, result.output


def test_the_data_is_as_described() -> None:
    assert applicants(PENDING)["status"].value_counts().to_dict() == {
        "Pending": PENDING,
        "Rejected": REJECTED,
        "Selected": SELECTED,
    }


@pytest.mark.parametrize("command", ["run", "check"])
@pytest.mark.parametrize(
    "decision",
    ["{column: status, positive: Selectd}", "{column: status, positive: Selectd, negative: Rejected}"],
)
def test_a_misspelt_positive_label_is_an_error_not_zero_rates(
    tmp_path: Path, decision: str, command: str
) -> None:
    code, out = run_cli(tmp_path, decision, command=command)
    assert code == 2, out
    assert "Traceback" not in out
    assert (
        "data.csv: column 'status' (columns.decision) holds no value matching its positive label 'Selectd'"
        in out
    )
    assert "values found: 'Rejected' (140 rows), 'Selected' (60 rows)." in out
    assert "Did you mean 'Selected'?" in out
    assert "To fix: set columns.decision.positive" in out


def test_a_third_value_without_a_declared_negative_is_an_error(tmp_path: Path) -> None:
    code, out = run_cli(tmp_path, "{column: status, positive: Selected}", pending=PENDING)
    assert code == 2, out
    assert "Traceback" not in out
    assert "it holds 2: 'Pending' (1500 rows), 'Rejected' (140 rows)." in " ".join(out.split())
    assert "negative: [<label>]" in out


def test_a_third_value_beside_a_declared_negative_fails_the_gate(tmp_path: Path) -> None:
    code, out = run_cli(tmp_path, "{column: status, positive: Selected, negative: Rejected}", pending=PENDING)
    assert code == 3, out
    result = json.loads((tmp_path / "out" / "labels.json").read_text())
    failed = [c for c in result["gate"]["checks"] if not c["passed"]]
    assert [(c["column"], c["unexpected_count"], c["unexpected_values"]) for c in failed] == [
        ("status", PENDING, ["Pending"])
    ]


def test_a_column_with_the_positive_label_and_one_other_value_runs(tmp_path: Path) -> None:
    code, out = run_cli(tmp_path, "{column: status, positive: selected}")  # labels compare in any case
    assert code in (0, 1), out
    counts = grouped_counts(
        read_source(applicants()).frame,
        sensitive=["sex"],
        decision=LabelledColumn(column="status", positive="Selected"),
    )
    # selected per sex: i % 10 in {0, 2} are even (M), i % 10 == 1 odd (F): 40 M and 20 F of 100 each
    assert counts.table.to_dict("list") == {"sex": ["F", "M"], "n": [100, 100], "selected": [20, 40]}


def test_binary_mapping_applies_the_same_rule() -> None:
    role = LabelledColumn(column="status", positive="Selected")
    assert binary_mapping({"Selected": 3}, role, key="columns.decision", origin="a.csv") == {"Selected": 1}
    assert binary_mapping({"Selected": 3, " rejected": 1, "Rejected": 2}, role, key="k", origin="a") == {
        "Selected": 1,
        " rejected": 0,
        "Rejected": 0,
    }  # one other label, written two ways
    with pytest.raises(DataError, match=r"it holds 2: 'Pending' \(1500 rows\), 'Rejected' \(140 rows\)"):
        binary_mapping(
            {"Selected": 60, "Rejected": 140, "Pending": 1500}, role, key="columns.decision", origin="a"
        )
    typo = LabelledColumn(column="status", positive=["Hired", "Offer"])
    with pytest.raises(
        DataError, match="holds no value matching any of its positive labels 'Hired', 'Offer'"
    ):
        binary_mapping({"Selected": 60, "Rejected": 140}, typo, key="columns.decision", origin="a")


def test_an_outcome_label_is_checked_the_same_way(tmp_path: Path) -> None:
    frame = applicants()
    frame["result"] = ["good" if i % 2 else "bad" for i in range(200)]  # 100 good, 100 bad
    frame["hired"] = frame["status"].eq("Selected").astype(int)
    frame.to_csv(tmp_path / "data.csv", index=False)
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "equityaudit: 1\nname: labels\nauditor: decisions\ndata: {path: data.csv}\n"
        "columns: {sensitive: sex, decision: hired, outcome: {column: result, positive: goood}}\n"
    )
    result = CliRunner().invoke(main, ["check", str(spec)])
    assert result.exit_code == 2, result.output
    assert (
        "column 'result' (columns.outcome) holds no value matching its positive label 'goood'"
        in result.output
    )
    assert "values found: 'bad' (100 rows), 'good' (100 rows). Did you mean 'good'?" in " ".join(
        result.output.split()
    )


def test_placeholder_marks_are_unknown_and_case_variants_are_noted() -> None:
    # '?' (UCI Adult's mark), '-' and '#N/A' (a spreadsheet's) mean "not known": they join the
    # Unknown category (counted, left out of comparisons) instead of becoming groups. 'Male ' is
    # trimmed to 'Male'; 'male' stays a group of its own, and a note names it beside 'Male'.
    sex = (
        ["Male"] * 300
        + ["Female"] * 300
        + ["?"] * 10
        + ["-"] * 5
        + ["#N/A"] * 5
        + ["male"] * 4
        + ["Male "] * 2
    )
    frame = pd.DataFrame({"sex": sex, "hired": [i % 2 for i in range(len(sex))]})
    result = ea.audit(frame, auditor="decisions", sensitive="sex", decision="hired")
    (table,) = [t for t in result.tables if t.name == "sex"]
    sizes = {r["group"]["sex"]: r["n"] for r in table.rows}
    assert sizes["Unknown"] == 10 + 5 + 5
    assert not {"?", "-", "#N/A"} & set(sizes)
    assert (sizes["Male"], sizes["male"]) == (302, 4)
    (note,) = [n for n in result.notes if "differ only in case" in n]
    assert note == (
        "column 'sex' (columns.sensitive) holds labels that differ only in case or spacing ('Male', "
        "'male'): each is audited as a group of its own. Write each category one way in the data and "
        "audit again."
    )
