"""A numeric sensitive column with many values (an age in years) gets a note suggesting bands."""

from __future__ import annotations

from pathlib import Path

import narwhals as nw
import pandas as pd
import yaml
from click.testing import CliRunner

import equityaudit as ea
from backends import Constructor
from equityaudit.auditors.columns import NUMERIC_GROUPS_LIMIT, numeric_sensitive_notes
from equityaudit.cli import main


def _note(column: str, k: int) -> str:
    return (
        f"column {column!r} (columns.sensitive) is numeric with {k} distinct values, so each value is a group "
        f"of its own ({k} groups, most of them too small to judge). Band it into a few ranges (for an age, "
        "say 18-29, 30-39, ...) in a new column and list that column in columns.sensitive instead."
    )


def customers(ages: int) -> pd.DataFrame:
    """40 customers of each age 30, 31, ...; every fourth customer of each age got the promo."""
    rows = [
        (30 + a, "F" if i % 2 else "M", "yes" if i % 4 == 0 else "no") for a in range(ages) for i in range(40)
    ]
    return pd.DataFrame(rows, columns=["age", "sex", "promo"])


def test_the_limit_is_twelve_distinct_values_missing_not_counted(constructor: Constructor) -> None:
    native = constructor
    assert NUMERIC_GROUPS_LIMIT == 12  # as equityaudit init's proposal (cli/init_roles.py)
    twelve = customers(12)
    thirteen = customers(13)
    with_missing = pd.concat([twelve, pd.DataFrame({"age": [None], "sex": ["F"], "promo": ["no"]})])
    assert numeric_sensitive_notes(nw.from_native(native(twelve)), ["age", "sex"]) == []
    assert numeric_sensitive_notes(nw.from_native(native(with_missing)), ["age"]) == []  # 12 ages + missing
    assert numeric_sensitive_notes(nw.from_native(native(thirteen)), ["age", "sex"]) == [_note("age", 13)]


def test_many_text_labels_are_not_flagged() -> None:
    frame = customers(13).assign(age=lambda d: "age " + d["age"].astype(str))
    assert numeric_sensitive_notes(nw.from_native(frame), ["age"]) == []


def test_the_marketing_result_notes_it_and_audits_every_value_as_a_group() -> None:
    result = ea.audit(
        customers(13),
        auditor="marketing",
        sensitive=["age", "sex"],
        options={"campaigns": {"promo": "favourable"}},
    )
    assert _note("age", 13) in result.notes
    assert not any("'sex'" in note for note in result.notes)
    assert len(result.table("campaign promo by age")) == 13  # the values are still audited as given


def test_the_terminal_shows_the_note(tmp_path: Path) -> None:
    customers(13).to_csv(tmp_path / "customers.csv", index=False)
    spec = {
        "equityaudit": 1,
        "name": "ages",
        "auditor": "marketing",
        "data": {"path": "customers.csv"},
        "columns": {"sensitive": ["age"]},
        "options": {"campaigns": {"promo": "favourable"}},
    }
    (tmp_path / "ages.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    ran = CliRunner().invoke(
        main, ["run", str(tmp_path / "ages.yaml"), "--out", str(tmp_path)], env={"COLUMNS": "400"}
    )
    assert ran.exit_code in (0, 1), ran.output
    assert f"note: {_note('age', 13)}" in ran.output


def test_the_decisions_auditor_notes_it_too() -> None:
    # ages 20..59, five rows each: 40 distinct values, over the limit of 12; sex has 2 and is not noted
    frame = pd.DataFrame(
        {"age": list(range(20, 60)) * 5, "sex": ["F", "M"] * 100, "hired": [1, 0, 0, 1] * 50}
    )
    result = ea.audit(frame, auditor="decisions", sensitive=["age", "sex"], decision="hired", gate="warn")
    noted = [note for note in result.notes if "(columns.sensitive) is numeric" in note]
    assert noted == [
        "column 'age' (columns.sensitive) is numeric with 40 distinct values, so each value is a group of its "
        "own (40 groups, most of them too small to judge). Band it into a few ranges (for an age, say 18-29, "
        "30-39, ...) in a new column and list that column in columns.sensitive instead."
    ]


def test_the_hiring_auditor_notes_it_too() -> None:
    # sex and an age in years (20..59, five rows each: 40 distinct values, over the limit of 12)
    frame = pd.DataFrame(
        {"sex": ["F", "M"] * 100, "age": list(range(20, 60)) * 5, "hired": [1, 0, 0, 1] * 50}
    )
    result = ea.audit(frame, auditor="hiring", sensitive=["sex", "age"], decision="hired", gate="warn")
    assert [n[:71] for n in result.notes if "(columns.sensitive) is numeric" in n] == [
        "column 'age' (columns.sensitive) is numeric with 40 distinct values, so"
    ]
