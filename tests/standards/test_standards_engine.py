"""The engine applies a named standard: conflicts refused, labels mapped, thresholds fixed, hash embedded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import equityaudit.engine
from equityaudit.compare import compare_results
from equityaudit.errors import ColumnNotFoundError, ResultError, SpecError
from equityaudit.spec_loading import spec_from_mapping
from equityaudit.standards import find_standard

RETAIL = "retail-screening@2026.1"


def member_frame(*, sex: tuple[str, str] = ("W", "m"), age: tuple[str, str] = ("<40", "40+")) -> pd.DataFrame:
    """120 applicants labelled the member's own way; women over 40 are selected least.

    Selected per cell (of 30): W/<40 15, W/40+ 6, m/<40 15, m/40+ 12.
    """
    rows = []
    for s, a, selected in (
        (sex[0], age[0], 15),
        (sex[0], age[1], 6),
        (sex[1], age[0], 15),
        (sex[1], age[1], 12),
    ):
        rows += [{"gender": s, "age_group": a, "hired": int(i < selected)} for i in range(30)]
    return pd.DataFrame(rows)


def spec(**overrides: Any) -> Any:
    mapping: dict[str, Any] = {
        "equityaudit": 1,
        "name": "member-audit",
        "auditor": "decisions",
        "standard": RETAIL,
        "data": {"kind": "historical"},
        "columns": {"sensitive": ["gender", "age_group"], "decision": "hired"},
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(mapping.get(key), dict):
            mapping[key] = {**mapping[key], **value}
        else:
            mapping[key] = value
    return spec_from_mapping(mapping)


def run(frame: pd.DataFrame, **overrides: Any) -> Any:
    return equityaudit.engine.run_spec(spec(**overrides), frame=frame)


def test_labels_are_mapped_through_the_taxonomy_and_columns_renamed() -> None:
    result = run(member_frame())
    counts = result.counts[0]
    assert counts.by == ["sex", "age_band"]  # the standard's attribute names, not gender/age_group
    assert {tuple(r["group"].values()): (r["n"], r["selected"]) for r in counts.rows} == {
        ("Female", "40 and over"): (30, 6),
        ("Female", "Under 40"): (30, 15),
        ("Male", "40 and over"): (30, 12),
        ("Male", "Under 40"): (30, 15),
    }
    assert [t.name for t in result.tables] == ["sex", "age_band", "sex*age_band"]


def test_differently_labelled_members_give_identical_counts() -> None:
    one = run(member_frame(sex=("W", "m"), age=("<40", "40+")))
    two = run(member_frame(sex=("Woman", " MALE "), age=("18-39", "over 40")))
    assert one.counts == two.counts
    assert [f.value for f in one.findings] == [f.value for f in two.findings]


def test_result_embeds_the_standard_id_version_and_sha256() -> None:
    result = run(member_frame())
    standard = find_standard(RETAIL)
    assert result.audit.standard is not None
    assert result.audit.standard.model_dump() == {
        "id": "retail-screening",
        "version": "2026.1",
        "sha256": standard.sha256,
    }
    assert result.to_dict()["audit"]["standard"]["sha256"] == standard.sha256


def test_the_standard_fixes_the_thresholds() -> None:
    result = run(member_frame(), thresholds={"bootstrap": 0})
    assert result.audit.thresholds is not None
    assert result.audit.thresholds["impact_ratio"] == 0.8
    assert result.audit.thresholds["min_group_size"] == 30
    # Women over 40: 6/30 against 15/30 is a ratio of 0.4
    finding = next(f for f in result.findings if f.group == {"sex": "Female", "age_band": "40 and over"})
    assert finding.value == pytest.approx(0.4)
    assert finding.threshold == 0.8


def test_a_contradicting_threshold_is_refused_naming_the_conflict() -> None:
    with pytest.raises(SpecError) as caught:
        run(member_frame(), thresholds={"impact_ratio": 0.9, "alpha": 0.05})
    message = str(caught.value)
    assert message.splitlines() == [
        "<spec>: the spec contradicts its standard retail-screening@2026.1 (1 conflict(s)):",
        "  - thresholds.impact_ratio is 0.9 but retail-screening@2026.1 fixes it at 0.8; remove it from the spec "
        "(the standard sets it).",
    ]  # alpha 0.05 agrees with the standard, so it is no conflict


def test_every_conflict_is_listed() -> None:
    with pytest.raises(SpecError) as caught:
        run(
            member_frame(),
            auditor="hiring",
            columns={
                "sensitive": ["gender"],
                "decision": "hired",
                "score": "age_group",
                "intersectional": False,
            },
            reference="largest",
            thresholds={"correction": "bh"},
        )
    lines = str(caught.value).splitlines()
    assert lines[0] == "<spec>: the spec contradicts its standard retail-screening@2026.1 (6 conflict(s)):"
    assert (
        "  - auditor is 'hiring' but retail-screening@2026.1 is audited with the 'decisions' auditor; set 'auditor: decisions'."
        in lines
    )
    assert (
        "  - columns.sensitive ['gender'] has no column 'age_band' (or one of ['age_group', 'ageband']), which "
        "retail-screening@2026.1 audits by; add the column holding age_band." in lines
    )
    assert (
        "  - columns.intersectional is False but retail-screening@2026.1 fixes it at True; remove it from the spec."
        in lines
    )
    assert (
        "  - reference is 'largest' but retail-screening@2026.1 fixes it at 'max_rate'; remove it from the spec."
        in lines
    )
    assert any(line.startswith("  - thresholds.correction is 'bh'") for line in lines)
    assert any(
        line.startswith("  - columns.score is given but retail-screening@2026.1 judges only")
        for line in lines
    )


def test_an_attribute_the_standard_does_not_audit_is_refused() -> None:
    frame = member_frame().assign(region=["north"] * 120)
    with pytest.raises(
        SpecError,
        match=r"columns.sensitive lists \['region'\], which retail-screening@2026.1 does not audit by",
    ):
        run(frame, columns={"sensitive": ["gender", "age_group", "region"]})


def test_an_unmapped_label_blocks_the_gate_naming_it_with_its_count() -> None:
    frame = member_frame()
    frame.loc[0, "gender"] = "Female-ish"
    result = run(frame)
    assert result.verdict == "blocked"
    [failed] = [c for c in result.gate.checks if not c.passed]
    # the data's column is 'gender'; the standard audits it as its attribute 'sex' (an alias it lists)
    assert (failed.column, failed.unexpected_count, failed.unexpected_values) == ("sex", 1, ["Female-ish"])
    assert failed.message == (
        "1 of 120 values of 'sex' (0.8%) have no named group: 'Female-ish' (1). (standard "
        "retail-screening@2026.1's taxonomy of sex) To fix: recode those values in the data to labels "
        "retail-screening@2026.1 maps (Female <- female, f, w, woman, women, femme; Male <- male, m, man, men, "
        "homme; case and surrounding spaces are ignored) or to an unknown value, or ask for a new version of "
        "the standard that maps them."
    )


@pytest.mark.parametrize("column", ["geschlecht", "sex"])
def test_unmapped_labels_are_counted_under_the_standards_attribute(column: str) -> None:
    frame = member_frame().rename(columns={"gender": column})
    frame.loc[[0, 1, 3], column] = ["divers", "x", "x"]
    frame.loc[2, "age_group"] = "40-49"
    result = run(frame, columns={"sensitive": [column, "age_group"]})
    assert result.verdict == "blocked"
    failed = {c.column: c.observed for c in result.gate.checks if not c.passed}
    assert failed == {"sex": {"x": 2, "divers": 1}, "age_band": {"40-49": 1}}


def test_unknown_values_stay_unknown() -> None:
    frame = member_frame()
    frame.loc[:4, "gender"] = "prefer not to say"
    result = run(frame)
    sex = next(t for t in result.tables if t.name == "sex")
    assert {r["group"]["sex"]: r["n"] for r in sex.rows} == {"Female": 55, "Male": 60, "Unknown": 5}


def test_a_missing_column_names_the_members_column() -> None:
    with pytest.raises(
        ColumnNotFoundError,
        match=r"column 'age_group' \(columns.sensitive in the spec; retail-screening@2026.1's attribute 'age_band'\) is not in the data",
    ):
        run(member_frame().drop(columns=["age_group"]))


def test_ll144_on_the_bundled_data_matches_the_plain_hiring_audit() -> None:
    """The bundled data already uses EEO-1 labels: the standard changes nothing but the embedded hash."""
    base = {
        "equityaudit": 1,
        "name": "ll144",
        "auditor": "hiring",
        "data": {"path": str(Path("datasets/hiring.csv").resolve())},
        "columns": {"sensitive": ["sex", "race_ethnicity"], "decision": "advanced"},
    }
    plain = equityaudit.engine.run_spec(spec_from_mapping(base))
    standard = equityaudit.engine.run_spec(spec_from_mapping({**base, "standard": "nyc-ll144@2023"}))
    assert plain.audit.standard is None
    assert standard.audit.standard is not None and standard.audit.standard.id == "nyc-ll144"
    assert [(f.id, f.value, f.status) for f in plain.findings] == [
        (f.id, f.value, f.status) for f in standard.findings
    ]


def test_compare_refuses_results_of_different_standards() -> None:
    under_retail = run(member_frame())
    plain = equityaudit.engine.run_spec(
        spec_from_mapping(
            {
                "equityaudit": 1,
                "name": "member-audit",
                "auditor": "decisions",
                "data": {"kind": "historical"},
                "columns": {"sensitive": ["gender", "age_group"], "decision": "hired"},
            }
        ),
        frame=member_frame(),
    )
    with pytest.raises(
        ResultError, match=r"different standards: baseline no standard, current retail-screening@2026.1"
    ):
        compare_results(plain, under_retail)
    assert not compare_results(under_retail, under_retail).regressed
    forged = under_retail.model_copy(
        update={
            "audit": under_retail.audit.model_copy(
                update={"standard": under_retail.audit.standard.model_copy(update={"sha256": "0" * 64})}
            )
        }  # type: ignore[union-attr]
    )
    with pytest.raises(ResultError, match="different standards"):
        compare_results(under_retail, forged)
