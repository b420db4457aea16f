"""Named groups (``columns.groups``): labels that name and merge raw values, bands that cut numbers.

Every count asserted here is counted by hand in the test (or by pandas on the raw file, for
German credit), never read back from equityaudit.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

import equityaudit as ea
from backends import CONSTRUCTORS, Constructor
from equityaudit.cli import main
from equityaudit.errors import DataError, SpecError
from equityaudit.groups import band_names
from equityaudit.signing import aggregate_result
from equityaudit.spec_loading import spec_from_mapping

# 40 people per status code; A91 and A93 are both men and merge into one group
STATUS = ["A91"] * 40 + ["A92"] * 40 + ["A93"] * 40 + ["a94 "] * 40
# selected: A91 20 of 40, A92 10 of 40, A93 30 of 40, A94 24 of 40
SELECTED = [1] * 20 + [0] * 20 + [1] * 10 + [0] * 30 + [1] * 30 + [0] * 10 + [1] * 24 + [0] * 16
# ages: 18..57 four times; under 25 = 18..24 (7 a block), 25-39 = 15, 40 and over = 18
AGES = list(range(18, 58)) * 4


def frame() -> pd.DataFrame:
    return pd.DataFrame({"status": STATUS, "age": AGES, "hired": SELECTED})


LABELS = {"A91": "man", "A92": "woman", "A93": "man", "A94": "man (married)"}


def rows_of(result: Any, table: str) -> dict[str, tuple[int, int]]:
    (found,) = [t for t in result.tables if t.name == table]
    return {r["group"][table]: (r["n"], r["selected"]) for r in found.rows}


def test_labels_name_and_merge_raw_values_matched_trimmed_and_case_insensitively() -> None:
    result = ea.audit(
        frame(), auditor="decisions", sensitive="status", decision="hired", groups={"status": LABELS}
    )
    # man = A91 + A93: n 40 + 40, selected 20 + 30; 'a94 ' matches A94
    assert rows_of(result, "status") == {"man": (80, 50), "woman": (40, 10), "man (married)": (40, 24)}
    (named,) = result.data.groups
    assert named.labels == {"A91": "man", "A92": "woman", "A93": "man", "a94 ": "man (married)"}
    assert named.source == "columns.groups.status"
    assert [r["group"]["status"] for r in result.tables[0].rows] == ["man", "woman", "man (married)"]


def test_a_value_no_label_lists_blocks_the_gate_with_its_count() -> None:
    labels = {key: value for key, value in LABELS.items() if key != "A94"}
    result = ea.audit(
        frame(), auditor="decisions", sensitive="status", decision="hired", groups={"status": labels}
    )
    assert result.verdict == "blocked"
    [failed] = [c for c in result.gate.checks if not c.passed]
    assert (failed.column, failed.unexpected_count, failed.observed) == ("status", 40, {"a94 ": 40})
    assert (
        "(columns.groups.status) To fix: give each value a label in columns.groups.status" in failed.message
    )


@pytest.mark.parametrize(
    ("other", "expected"),
    [
        ("keep", {"man": (80, 50), "woman": (40, 10), "a94": (40, 24)}),  # trimmed, as every group label is
        ("unknown", {"man": (80, 50), "woman": (40, 10), "Unknown": (40, 24)}),
    ],
)
def test_other_keeps_a_value_as_its_own_group_or_counts_it_unknown(
    other: str, expected: dict[str, Any]
) -> None:
    labels = {key: value for key, value in LABELS.items() if key != "A94"}
    result = ea.audit(
        frame(),
        auditor="decisions",
        sensitive="status",
        decision="hired",
        groups={"status": {"labels": labels, "other": other}},
        quality={"max_missing": {"status": 0.3}},  # 40 of 160 unknown under 'unknown'
    )
    assert result.verdict != "blocked"
    assert rows_of(result, "status") == expected


def test_a_null_label_counts_the_value_unknown_and_yaml_integer_keys_match() -> None:
    df = frame().assign(status=[1] * 40 + [2] * 40 + [1] * 40 + [9] * 40)
    spec = {"1": "man", 2: "woman", 9: None}  # YAML reads `1: man` with an integer key
    result = ea.audit(
        df,
        auditor="decisions",
        sensitive="status",
        decision="hired",
        groups={"status": spec},
        quality={"max_missing": {"status": 0.3}},
    )
    assert rows_of(result, "status") == {"man": (80, 50), "woman": (40, 10), "Unknown": (40, 24)}


def test_bands_cut_left_closed_by_default_lowest_first() -> None:
    result = ea.audit(
        frame(), auditor="decisions", sensitive="age", decision="hired", groups={"age": {"bins": [25, 40]}}
    )
    counts = rows_of(result, "age")
    # per block of 40 ages (18..57): 7 under 25, 15 from 25 to 39, 18 aged 40 and over
    assert {band: n for band, (n, _) in counts.items()} == {"under 25": 28, "25–39": 60, "40 and over": 72}
    assert list(counts) == ["under 25", "25–39", "40 and over"]
    (named,) = result.data.groups
    assert (named.cuts, named.bands, named.closed) == (
        [25.0, 40.0],
        ["under 25", "25–39", "40 and over"],
        "left",
    )


def test_bands_closed_right_put_the_cut_point_in_the_band_below() -> None:
    result = ea.audit(
        frame(),
        auditor="decisions",
        sensitive="age",
        decision="hired",
        groups={"age": {"bins": [25, 40], "closed": "right", "labels": ["young", "middle", "older"]}},
    )
    # 18..25 = 8 a block, 26..40 = 15, 41..57 = 17
    assert {band: n for band, (n, _) in rows_of(result, "age").items()} == {
        "young": 32,
        "middle": 60,
        "older": 68,
    }


def test_band_names_state_the_closed_end() -> None:
    assert band_names([25, 40, 65], closed="left", whole=True) == [
        "under 25",
        "25–39",
        "40–64",
        "65 and over",
    ]
    assert band_names([40], closed="right", whole=True) == ["40 and under", "over 40"]
    assert band_names([0.5], closed="left", whole=False) == ["under 0.5", "0.5 and over"]


def test_quantile_bands_are_the_same_on_every_backend(constructor: Constructor) -> None:
    df = frame().assign(age=[float(a) for a in AGES])
    df.loc[0, "age"] = None  # a missing age is unknown, not a band
    results = {
        name: ea.audit(
            make(df),
            auditor="decisions",
            sensitive="age",
            decision="hired",
            groups={"age": {"bins": "quantiles", "n": 4}},
        )
        for name, make in (("pandas", CONSTRUCTORS["pandas"]), ("backend", constructor))
    }
    tables = {name: rows_of(result, "age") for name, result in results.items()}
    assert tables["pandas"] == tables["backend"]
    # linear quartiles (pandas' default) of the 159 known ages, moved up to the next whole number since
    # every age is one: a cut at 27.5 and one at 28 put each age in the same band
    quartiles = df["age"].dropna().quantile([0.25, 0.5, 0.75])
    assert results["backend"].data.groups[0].cuts == [float(math.ceil(q)) for q in quartiles]
    assert sum(n for n, _ in tables["backend"].values()) == 160
    assert tables["backend"]["Unknown"][0] == 1


def test_quantiles_of_a_near_constant_column_are_a_data_error() -> None:
    df = frame().assign(age=30)
    with pytest.raises(
        DataError, match=r"column 'age' \(columns.groups.age: bins: quantiles, n: 4\) has too few"
    ):
        ea.audit(
            df,
            auditor="decisions",
            sensitive="age",
            decision="hired",
            groups={"age": {"bins": "quantiles", "n": 4}},
        )


def test_bands_on_text_are_a_data_error_naming_the_values() -> None:
    df = frame().astype({"age": str})
    df.loc[3, "age"] = "forty"
    with pytest.raises(DataError) as caught:
        ea.audit(df, auditor="decisions", sensitive="age", decision="hired", groups={"age": {"bins": [40]}})
    assert "column 'age' (columns.groups.age: bands) holds text, not numbers (values such as 'forty')" in str(
        caught.value
    )


@pytest.mark.parametrize(
    ("groups", "expected"),
    [
        ({"age": {"bins": [40, 25]}}, "columns.groups.age: bins [40.0, 25.0] are not in increasing order"),
        ({"age": {"bins": "quantiles"}}, "columns.groups.age: bins: quantiles needs n"),
        (
            {"age": {"bins": [40], "labels": ["x"]}},
            "labels has 1 names for 1 cut point(s), which make 2 bands",
        ),
        ({"age": {"bins": [40], "nn": 2}}, "columns.groups.age.nn: unknown key 'nn'. Did you mean 'n'?"),
        ({"zip": {"1": "a"}}, "groups names ['zip'], which columns.sensitive ['age'] does not list"),
        ({"age": 40}, "groups of ['age'] are not mappings (found 40)"),
        ({"age": {"A": " "}}, "the label of ['A'] is empty"),
    ],
)
def test_a_malformed_grouping_is_a_spec_error_naming_the_key(groups: dict[str, Any], expected: str) -> None:
    with pytest.raises(SpecError) as caught:
        spec_from_mapping(
            {
                "equityaudit": 1,
                "name": "x",
                "auditor": "decisions",
                "data": {"path": "d.csv"},
                "columns": {"sensitive": ["age"], "decision": "hired", "groups": groups},
            }
        )
    assert expected in str(caught.value)


def _spec(tmp_path: Path, groups: str) -> Path:
    frame().to_csv(tmp_path / "people.csv", index=False)
    path = tmp_path / "audit.yaml"
    path.write_text(
        "equityaudit: 1\nname: people\nauditor: decisions\ndata: {path: people.csv}\n"
        f"columns:\n  sensitive: [status, age]\n  intersectional: false\n  decision: hired\n  groups:\n{groups}"
    )
    return path


GROUPS_YAML = """\
    status: {A91: man, A92: woman, A93: man, A94: man (married)}
    age: {bins: [25, 40]}
"""


def test_every_report_shows_the_groupings(tmp_path: Path) -> None:
    spec = _spec(tmp_path, GROUPS_YAML)
    out = tmp_path / "reports"
    run = CliRunner().invoke(main, ["run", str(spec), "--out", str(out), "--format", "json,md,html,junit"])
    assert run.exit_code in (0, 1), run.output
    bands = "age: bands under 25, 25–39, 40 and over (cut at 25, 40; a cut point starts the band above it)."
    assert f"groups: {bands}" in " ".join(run.output.split())
    assert f"- **Named groups:** {bands} (columns.groups.age)" in (out / "people.md").read_text()
    assert f"<li>{bands} <small>(columns.groups.age)</small></li>" in (out / "people.html").read_text()
    assert f'name="groups.age" value="{bands}"' in (out / "people.junit.xml").read_text()
    recorded = json.loads((out / "people.json").read_text())["data"]["groups"]
    assert [g["column"] for g in recorded] == ["status", "age"]


def test_an_uncovered_value_exits_3_from_the_cli(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "    status: {A91: man, A92: woman, A93: man}\n")
    run = CliRunner().invoke(main, ["run", str(spec), "--out", str(tmp_path / "r")])
    assert run.exit_code == 3, run.output
    assert "have no named group: 'a94 ' (40)" in " ".join(run.output.split())


def test_signing_drops_the_raw_labels_but_keeps_the_groups() -> None:
    result = ea.audit(
        frame(), auditor="decisions", sensitive="status", decision="hired", groups={"status": LABELS}
    ).to_dict()
    (named,) = aggregate_result(result)["data"]["groups"]
    assert named["labels"] == {}
    assert named["description"] == "status: the data's labels named as groups man, woman, man (married)."


def test_german_credit_personal_status_groups_match_pandas(reference_data: Path) -> None:
    """The UCI codebook (german.txt, attribute 9) names A91-A95; the counts are pandas' on the raw file."""
    raw = pd.read_csv(reference_data / "german.csv")
    codebook = {
        "A91": "male: divorced/separated",
        "A92": "female: divorced/separated/married",
        "A93": "male: single",
        "A94": "male: married/widowed",
        "A95": "female: single",
    }
    result = ea.audit(
        reference_data / "german.csv",
        auditor="decisions",
        sensitive=["personal_status", "age"],
        intersectional=False,
        decision={"column": "credit", "positive": 1},
        groups={"personal_status": codebook, "age": {"bins": [25, 40, 65]}},
    )
    named = raw.assign(group=raw["personal_status"].map(codebook))
    expected = {g: (len(rows), int((rows["credit"] == 1).sum())) for g, rows in named.groupby("group")}
    assert rows_of(result, "personal_status") == expected
    bands = pd.cut(raw["age"], [-math.inf, 25, 40, 65, math.inf], right=False).value_counts().sort_index()
    assert [n for n, _ in rows_of(result, "age").values()] == bands.tolist()


def test_other_among_the_short_forms_raw_values_asks_for_the_long_form() -> None:
    mapping = {
        "equityaudit": 1,
        "name": "x",
        "auditor": "decisions",
        "data": {"path": "d.csv"},
        "columns": {
            "sensitive": ["race"],
            "decision": "hired",
            "groups": {"race": {"W": "White", "other": "keep"}},
        },
    }
    with pytest.raises(
        SpecError, match=r"race: 'other: keep' sits among the raw values.*write the long form"
    ):
        spec_from_mapping(mapping)
    # a raw value 'Other' with a label of its own is a raw value like any other
    mapping["columns"]["groups"] = {"race": {"W": "White", "Other": "Other race"}}
    assert spec_from_mapping(mapping).columns.groups["race"].labels == {"W": "White", "Other": "Other race"}  # type: ignore[union-attr]
