"""Spec validation: each mistake gets a message naming the key, what was expected and found."""

from __future__ import annotations

from pathlib import Path

import pytest

import equityaudit as ea
from equityaudit.errors import SpecError
from equityaudit.spec import LabelledColumn
from equityaudit.spec_loading import load_spec, spec_from_mapping

BASE = {
    "equityaudit": 1,
    "name": "x",
    "auditor": "hiring",
    "data": {"path": "a.csv"},
    "columns": {"sensitive": ["sex"], "decision": "hired"},
}


def errors_of(mapping: dict[str, object]) -> list[str]:
    with pytest.raises(SpecError) as caught:
        spec_from_mapping(mapping, origin="audits/x.yaml")
    return str(caught.value).splitlines()


def test_valid_spec_defaults() -> None:
    spec = spec_from_mapping(BASE)
    assert spec.thresholds.impact_ratio == 0.8
    assert spec.thresholds.correction == "holm"
    assert spec.reference == "max_rate"
    assert spec.columns.intersectional is True


def test_unknown_keys_suggest_the_nearest() -> None:
    mapping = {
        **BASE,
        "data": {"path": "a.csv", "knd": "test"},
        "columns": {"sensitive": ["sex"], "decison": "a"},
    }
    assert errors_of(mapping) == [
        "audits/x.yaml: invalid spec (2 problems):",
        "  - data.knd: unknown key 'knd'. Did you mean 'kind'?",
        "  - columns.decison: unknown key 'decison'. Did you mean 'decision'?",
    ]


def test_wrong_values_say_what_was_expected_and_found() -> None:
    mapping = {
        **BASE,
        "data": {"path": "a.csv", "kind": "tst"},
        "columns": {"sensitive": ["sex"], "decision": {"column": "a"}},
        "thresholds": {"impact_ratio": 2},
    }
    assert errors_of(mapping) == [
        "audits/x.yaml: invalid spec (3 problems):",
        "  - data.kind: expected 'historical' or 'test', found 'tst'.",
        "  - columns.decision.positive: required key is missing.",
        "  - thresholds.impact_ratio: Input should be less than or equal to 1; found 2.",
    ]


def test_reference_typo() -> None:
    assert errors_of({**BASE, "reference": "maxrate"})[-1] == (
        "  - reference: expected 'max_rate', 'largest' or a mapping {attribute: value}, found 'maxrate'. "
        "Did you mean 'max_rate'?"
    )


def test_reference_must_name_a_sensitive_column() -> None:
    assert errors_of({**BASE, "reference": {"race": "W"}})[-1] == (
        "  - reference: names 'race', which is not a sensitive column (columns.sensitive: 'sex'). "
        "Valid choices: 'sex'."
    )
    spec = {
        **BASE,
        "columns": {"sensitive": ["sex", "race"], "decision": "hired"},
        "reference": {"sexx": "F"},
    }
    assert errors_of(spec)[-1] == (
        "  - reference: names 'sexx', which is not a sensitive column (columns.sensitive: 'sex', "
        "'race'). Did you mean 'sex'?"
    )


def test_test_data_needs_a_reason() -> None:
    assert errors_of({**BASE, "data": {"path": "a.csv", "kind": "test"}})[-1] == (
        "  - data: kind is 'test' but test_data_reason is missing: NYC LL144 §5-301 requires explaining why "
        "historical data was not used; add data.test_data_reason."
    )


def test_hiring_needs_a_decision_or_a_score() -> None:
    import pandas as pd

    import equityaudit as ea

    with pytest.raises(SpecError, match=r"columns: neither 'decision' nor 'score' is given"):
        ea.audit(pd.DataFrame({"sex": ["F", "M"]}), auditor="hiring", sensitive="sex")


def test_sensitive_columns_are_required_by_the_auditors_that_need_them() -> None:
    import pandas as pd

    import equityaudit as ea

    with pytest.raises(SpecError, match=r"columns.sensitive is required by the decisions auditor"):
        ea.audit(pd.DataFrame({"hired": [1, 0]}), auditor="decisions", sensitive=[], decision="hired")


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        (None, "audits/x.yaml: expected a mapping of keys (equityaudit, name, auditor, data, columns, ...), found an empty file."),
        ({"name": "x"}, "audits/x.yaml: key 'equityaudit': expected spec format version 1, found no 'equityaudit' key. Start the spec with 'equityaudit: 1'."),
    ],
)  # fmt: skip
def test_not_a_spec(mapping: object, message: str) -> None:
    with pytest.raises(SpecError) as caught:
        spec_from_mapping(mapping, origin="audits/x.yaml")
    assert str(caught.value) == message


def test_paths_resolve_relative_to_the_spec_file(tmp_path: Path) -> None:
    (tmp_path / "audits").mkdir()
    spec_file = tmp_path / "audits" / "a.yaml"
    spec_file.write_text(
        "equityaudit: 1\nname: a\nauditor: decisions\ndata: {path: ../data/x.csv}\n"
        "columns: {sensitive: sex, decision: hired}\n"
    )
    spec = load_spec(spec_file)
    assert spec.data.path == (tmp_path / "data" / "x.csv").resolve()
    assert spec.source_sha256 is not None and len(spec.source_sha256) == 64


def test_yaml_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("equityaudit: 1\nname: [unclosed\n")
    with pytest.raises(SpecError, match=r"bad\.yaml: not valid YAML"):
        load_spec(bad)


def test_missing_spec_file_suggests_a_sibling(tmp_path: Path) -> None:
    (tmp_path / "hiring.yaml").write_text("")
    with pytest.raises(SpecError, match=r"hirng\.yaml: spec file not found\. Did you mean 'hiring\.yaml'\?"):
        load_spec(tmp_path / "hirng.yaml")


def test_yes_and_no_labels_stay_text(tmp_path: Path) -> None:
    # YAML 1.1 reads Yes/No/On/Off as booleans, which no value of a Yes/No column matches
    data = tmp_path / "d.csv"
    data.write_text("sex,decision\n" + "Male,Yes\nMale,No\nFemale,No\nFemale,Yes\n" * 400)
    spec = tmp_path / "s.yaml"
    spec.write_text(
        "equityaudit: 1\nname: s\nauditor: decisions\ndata: {path: d.csv}\n"
        "columns: {sensitive: [sex], decision: {column: decision, positive: Yes}, intersectional: no}\n"
        "quality: {allowed: {decision: [Yes, No]}}\n"
    )
    loaded = load_spec(spec)
    assert loaded.columns.decision == LabelledColumn(column="decision", positive="Yes")
    assert loaded.columns.intersectional is False  # a boolean key still reads yes/no as one
    assert loaded.quality.allowed == {"decision": ["Yes", "No"]}
    result = ea.run(spec)
    assert result.gate.passed
    # Male and Female 400 of 800 'Yes' each: ratio 1, Katz 95% CI exp(+-1.96 x sqrt(2 x (1/400 -
    # 1/800))) = 0.906-1.104, clear of 0.8
    assert {f.status for f in result.findings} == {"pass"} and result.findings[0].value == 1.0


def test_an_impossible_date_is_a_spec_error(tmp_path: Path) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text(
        "equityaudit: 1\nname: s\nauditor: hiring\n"
        "data: {path: d.csv, period: {start: 2026-02-30, end: 2026-03-31}}\n"
        "columns: {sensitive: [sex], decision: hired}\n"
    )
    with pytest.raises(SpecError) as raised:
        load_spec(spec)
    assert str(raised.value).splitlines()[-1] == (
        "  - data.period.start: Input should be a valid date or datetime, day value is outside expected "
        "range; found '2026-02-30'."
    )


def test_a_key_written_twice_is_an_error(tmp_path: Path) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text("equityaudit: 1\nname: s\nauditor: hiring\nname: t\n")
    with pytest.raises(SpecError) as raised:
        load_spec(spec)
    assert str(raised.value).startswith(
        f"{spec}: not valid YAML: key 'name' appears twice in one mapping (first on line 2); keep one\n"
        f'  in "{spec}", line 4, column 1'
    )


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        (
            {"sensitive": ["hired"], "decision": "hired"},
            "column 'hired' is named for sensitive[0] and decision",
        ),
        (
            {"sensitive": ["sex"], "decision": "hired", "outcome": "hired"},
            "column 'hired' is named for decision and outcome",
        ),
        ({"sensitive": ["sex"], "score": "sex"}, "column 'sex' is named for sensitive[0] and score"),
    ],
)
def test_one_column_in_two_roles_is_an_error(columns: dict[str, object], message: str) -> None:
    (line,) = [x for x in errors_of({**BASE, "columns": columns}) if x.startswith("  - columns:")]
    assert line == (
        f"  - columns: {message}; expected each role to have a column of its own (a decision audited by "
        "itself, or scored against itself, says nothing). Name the right column for each role."
    )


def test_a_boolean_threshold_is_not_a_number() -> None:
    # pydantic alone would read `min_group_size: true` as 1 and `impact_ratio: true` as 1.0
    for key in ("min_group_size", "impact_ratio"):
        assert errors_of({**BASE, "thresholds": {key: True}})[-1] == (
            f"  - thresholds.{key}: expected a number, found true."
        )
