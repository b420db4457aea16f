"""``equityaudit init`` proposes columns.groups, reads a risk category as the decision, takes
``--groups`` and ``--positive``, and asks its questions after showing what it proposes."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import equityaudit.cli.init
from equityaudit.cli import main
from equityaudit.spec import GroupBands, GroupLabels, LabelledColumn
from equityaudit.spec_loading import load_spec
from paths import ROOT

GERMAN_GROUPS = ROOT / "docs" / "examples" / "german-groups.yaml"


def _csv(path: Path, header: list[str], rows: list[tuple[object, ...]]) -> Path:
    path.write_text(",".join(header) + "\n" + "".join(",".join(map(str, row)) + "\n" for row in rows))
    return path


def _ages(under_25: int, from_25: int, from_40: int, from_65: int) -> list[int]:
    """Ages spread over each band (so no age is a category of its own): 18-24, 25-39, 40-64, 65-74."""
    return (
        [18 + i % 7 for i in range(under_25)]
        + [25 + i % 15 for i in range(from_25)]
        + [40 + i % 25 for i in range(from_40)]
        + [65 + i % 10 for i in range(from_65)]
    )


def _people(path: Path, ages: list[int]) -> Path:
    return _csv(path, ["sex", "age", "hired"], [("FM"[i % 2], age, i % 3 % 2) for i, age in enumerate(ages)])


def _init(tmp_path: Path, data: Path, *args: str, auditor: str = "decisions") -> tuple[Result, str]:
    spec = tmp_path / "s.yaml"
    out = CliRunner().invoke(
        main, ["init", str(data), "--auditor", auditor, "--out", str(spec), "--yes", *args]
    )
    return out, spec.read_text() if spec.is_file() else ""


def _line(spec: str, start: str) -> str:
    (line,) = [x for x in spec.splitlines() if x.lstrip().startswith(start)]
    return line


# --- age bands ---------------------------------------------------------------------------------


def test_an_age_is_banded_at_the_reasoned_cut_points_that_keep_every_band_full(tmp_path: Path) -> None:
    # 40 under 25, 50 from 25 to 39, 60 from 40 to 64, 10 of 65 and over: 65 would leave a band of
    # 10 rows (fewer than min_group_size 30), so the bands are under 25, 25-39 and 40 and over (70)
    out, spec = _init(tmp_path, _people(tmp_path / "d.csv", _ages(40, 50, 60, 10)))
    assert out.exit_code == 0, out.output
    assert "  sensitive: sex, age\n" in out.output
    assert (
        "  groups:    age in bands: under 25 (40 rows), 25–39 (50), 40 and over (70)   (cut at 25, 40, 65 where "
        "every band keeps 30 rows)\n"
    ) in out.output
    assert _line(spec, "age:") == (
        "    age: {bins: [25, 40]}   # under 25: 40 rows, 25–39: 50, 40 and over: 70; 25: young applicants, the "
        "usual protected group in German-credit studies; 40: the ADEA line (US law protects workers 40 and "
        "over); 65 (the usual retirement age) left out: 65 and over would hold 10 rows, fewer than "
        "min_group_size 30"
    )
    loaded = load_spec(tmp_path / "s.yaml")
    assert loaded.columns.sensitive == ["sex", "age"]
    assert loaded.columns.groups == {"age": GroupBands(bins=[25, 40])}


def test_a_cut_point_that_would_leave_a_small_band_between_two_others_is_left_out(tmp_path: Path) -> None:
    # 40 under 25, 10 from 25 to 39, 60 from 40 to 64, 40 of 65 and over: 40 would make a band
    # 25-39 of 10 rows; without it, 25-64 holds 70 and 65 and over 40
    out, spec = _init(tmp_path, _people(tmp_path / "d.csv", _ages(40, 10, 60, 40)))
    assert out.exit_code == 0, out.output
    line = _line(spec, "age:")
    assert line.startswith("    age: {bins: [25, 65]}   # under 25: 40 rows, 25–64: 70, 65 and over: 40; ")
    assert (
        "40 (the ADEA line (US law protects workers 40 and over)) left out: 25–39 would hold 10 rows" in line
    )
    assert load_spec(tmp_path / "s.yaml").columns.groups == {"age": GroupBands(bins=[25, 65])}


def test_no_age_band_is_proposed_when_every_cut_point_leaves_a_small_band(tmp_path: Path) -> None:
    # 45 people: 0 under 25, 10 from 25 to 39, 30 from 40 to 64, 5 of 65 and over
    out, spec = _init(tmp_path, _people(tmp_path / "d.csv", _ages(0, 10, 30, 5)))
    assert out.exit_code == 0, out.output
    why = (
        "age is not proposed: no cut point with a stated reason (25, 40, 65) leaves every band 30 rows or "
        "more: 25 (young applicants, the usual protected group in German-credit studies): under 25 would "
        "hold 0 rows, fewer than min_group_size 30; 40 (the ADEA line (US law protects workers 40 and over)): "
        "under 40 would hold 10 rows, fewer than min_group_size 30; 65 (the usual retirement age): 65 and "
        "over would hold 5 rows, fewer than min_group_size 30"
    )
    assert f"  numeric:   {why}\n" in out.output
    assert f"  # {why}\n" in spec
    loaded = load_spec(tmp_path / "s.yaml")
    assert (loaded.columns.sensitive, loaded.columns.groups) == (["sex"], {})


@pytest.mark.parametrize("name", ["age_years", "applicant-age", "Age", "ageYears"])
def test_age_names_are_recognised_whatever_separates_their_words(tmp_path: Path, name: str) -> None:
    data = _csv(
        tmp_path / "d.csv",
        ["sex", name, "income", "hired"],
        [("FM"[i % 2], age, 1000 + 7 * i, i % 2) for i, age in enumerate(_ages(40, 50, 60, 40))],
    )
    out, _ = _init(tmp_path, data)
    assert out.exit_code == 0, out.output
    loaded = load_spec(tmp_path / "s.yaml")
    assert loaded.columns.sensitive == ["sex", name]  # income: a number, no demographic
    assert loaded.columns.groups == {name: GroupBands(bins=[25, 40, 65])}


def test_a_numeric_column_that_looks_demographic_but_is_no_age_is_not_proposed(tmp_path: Path) -> None:
    data = _csv(
        tmp_path / "d.csv",
        ["sex", "disability_pct", "hired"],
        [("FM"[i % 2], i % 40, i % 2) for i in range(120)],
    )
    out, spec = _init(tmp_path, data)
    assert out.exit_code == 0, out.output
    assert (
        "  numeric:   disability_pct   (numbers, not categories: band them in groups to audit by)\n"
        in out.output
    )
    assert "  # numeric columns ['disability_pct'] look demographic: band them in groups" in spec
    loaded = load_spec(tmp_path / "s.yaml")
    assert (loaded.columns.sensitive, loaded.columns.groups) == (["sex"], {})


def test_a_categorical_age_column_is_preferred_to_banding_the_years(tmp_path: Path) -> None:
    # COMPAS's layout: age in years and age_cat, the categories its analysts audited by
    ages = _ages(40, 50, 60, 40)
    cats = ["Less than 25" if a < 25 else "25 - 45" if a <= 45 else "Greater than 45" for a in ages]
    data = _csv(
        tmp_path / "d.csv",
        ["sex", "age", "age_cat", "hired"],
        [("FM"[i % 2], age, cat, i % 2) for i, (age, cat) in enumerate(zip(ages, cats, strict=True))],
    )
    out, spec = _init(tmp_path, data)
    assert out.exit_code == 0, out.output
    assert "  sensitive: sex, age_cat\n" in out.output
    assert "  numeric:   age is not banded: age_cat groups ages already\n" in out.output
    assert "bins" not in spec
    assert load_spec(tmp_path / "s.yaml").columns.groups == {}


def test_the_hiring_auditor_is_proposed_no_age_its_intersection_would_cross(tmp_path: Path) -> None:
    # the hiring auditor crosses every sensitive column (LL144's sex by race/ethnicity)
    ages = _ages(40, 50, 60, 40)
    data = _csv(
        tmp_path / "d.csv",
        ["sex", "race", "age", "advanced"],
        [("FM"[i % 2], "ABC"[i % 3], age, "Yes" if i % 3 else "No") for i, age in enumerate(ages)],
    )
    out, _ = _init(tmp_path, data, auditor="hiring")
    assert out.exit_code == 0, out.output
    assert "  sensitive: sex, race\n" in out.output
    assert "  numeric:   age is not proposed: the hiring auditor crosses every sensitive column" in out.output
    # named, it is banded all the same
    out, _ = _init(tmp_path, data, "--sensitive", "sex", "--sensitive", "age", "--force", auditor="decisions")
    assert load_spec(tmp_path / "s.yaml").columns.groups == {"age": GroupBands(bins=[25, 40, 65])}


# --- coded values ------------------------------------------------------------------------------


def _german_like(path: Path) -> Path:
    """personal_status A91 (10 rows), A92 (30), A93 (40); foreign_worker A201 (70), A202 (10)."""
    status = ["A91"] * 10 + ["A92"] * 30 + ["A93"] * 40
    foreign = ["A201"] * 70 + ["A202"] * 10
    return _csv(
        path,
        ["personal_status", "foreign_worker", "sex", "approved"],
        [
            (s, f, "FM"[i % 2], "yes" if i % 3 else "no")
            for i, (s, f) in enumerate(zip(status, foreign, strict=True))
        ],
    )


def test_coded_sensitive_values_get_a_skeleton_to_name_them_and_no_guessed_labels(tmp_path: Path) -> None:
    out, spec = _init(tmp_path, _german_like(tmp_path / "d.csv"))
    assert out.exit_code == 0, out.output
    assert (
        "  codes:     personal_status (A91, A92, A93); foreign_worker (A201, A202)   (init cannot know what they "
        "mean: name them under groups in the spec, or pass --groups FILE)\n"
    ) in out.output
    lines = spec.split("  intersectional:")[0].split("columns:\n")[1].splitlines()
    check = (
        "init cannot know what they mean: name each in the line below from the data's codebook and uncomment "
        'it (a code left "" is an error, null counts it unknown), or pass --groups FILE'
    )
    assert lines == [
        "  sensitive: [personal_status, foreign_worker, sex]",
        "  # groups:                    # uncomment with the lines below once they are filled in",
        f"  # CHECK: personal_status holds codes (A91 = 10 rows, A92 = 30, A93 = 40); {check}",
        '  #   personal_status: {A91: "", A92: "", A93: ""}',
        f"  # CHECK: foreign_worker holds codes (A201 = 70 rows, A202 = 10); {check}",
        '  #   foreign_worker: {A201: "", A202: ""}',
    ]
    assert load_spec(tmp_path / "s.yaml").columns.groups == {}  # sex's values are words: no skeleton
    # uncommented as written, the empty labels are an error naming the key
    unfilled = spec.replace("  # groups:", "  groups:").replace(
        "  #   personal_status:", "    personal_status:"
    )
    (tmp_path / "s.yaml").write_text(unfilled)
    ran = CliRunner().invoke(main, ["run", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "r")])
    assert ran.exit_code == 2
    assert (
        "  - columns.groups.personal_status.labels: the label of ['A91', 'A92', 'A93'] is empty" in ran.output
    )
    # filled in and uncommented, it loads
    filled = unfilled.replace('{A91: "", A92: "", A93: ""}', '{A91: "m: divorced", A92: f, A93: "m: single"}')
    (tmp_path / "s.yaml").write_text(filled)
    assert load_spec(tmp_path / "s.yaml").columns.groups == {
        "personal_status": GroupLabels(labels={"A91": "m: divorced", "A92": "f", "A93": "m: single"})
    }


# --- --groups FILE -----------------------------------------------------------------------------


def test_a_groups_file_is_validated_and_written_into_the_spec(tmp_path: Path) -> None:
    data = _german_like(tmp_path / "d.csv")
    out, spec = _init(tmp_path, data, "--sensitive", "sex", "--groups", str(GERMAN_GROUPS))
    assert out.exit_code == 0, out.output
    assert "  sensitive: sex, personal_status, foreign_worker\n" in out.output  # added from the file
    assert f"  groups:    personal_status: 5 values in 5 groups   (from {GERMAN_GROUPS})\n" in out.output
    assert "codes:" not in out.output  # the file names them
    assert f"    personal_status:   # from {GERMAN_GROUPS}\n" in spec
    assert '      A91: "male: divorced/separated"\n' in spec
    loaded = load_spec(tmp_path / "s.yaml")
    assert loaded.columns.sensitive == ["sex", "personal_status", "foreign_worker"]
    # german.txt, attributes 9 and 20
    assert loaded.columns.groups == {
        "personal_status": GroupLabels(
            labels={
                "A91": "male: divorced/separated",
                "A92": "female: divorced/separated/married",
                "A93": "male: single",
                "A94": "male: married/widowed",
                "A95": "female: single",
            }
        ),
        "foreign_worker": GroupLabels(labels={"A201": "foreign", "A202": "not foreign"}),
    }


def test_groups_from_a_file_replace_the_proposed_age_bands(tmp_path: Path) -> None:
    groups = tmp_path / "g.yaml"
    groups.write_text("age: {bins: quantiles, n: 4}\nsex: {labels: {F: female}, other: keep}\n")
    out, spec = _init(tmp_path, _people(tmp_path / "d.csv", _ages(40, 50, 60, 40)), "--groups", str(groups))
    assert out.exit_code == 0, out.output
    assert _line(spec, "age:") == f"    age: {{bins: quantiles, n: 4}}   # from {groups}"
    assert load_spec(tmp_path / "s.yaml").columns.groups == {
        "age": GroupBands(bins="quantiles", n=4),
        "sex": GroupLabels(labels={"F": "female"}, other="keep"),
    }


def test_values_a_groups_file_does_not_name_are_a_note_before_the_audit(tmp_path: Path) -> None:
    groups = tmp_path / "g.yaml"
    groups.write_text(
        "personal_status: {a91: male, A92: female}\nforeign_worker: {labels: {A201: yes}, other: keep}\n"
    )
    out, _ = _init(tmp_path, _german_like(tmp_path / "d.csv"), "--groups", str(groups))
    assert out.exit_code == 0, out.output
    # a91 names A91 (any case); A93 (40 rows) is named by nothing; foreign_worker keeps the others
    assert (
        f"note: {groups}: personal_status holds a value its labels do not name: 'A93' (40 rows); with other: "
        "error the quality gate blocks the audit. Name it, or set other: keep (its own group) or unknown.\n"
    ) in out.output
    assert "foreign_worker holds" not in out.output


def test_an_invalid_groups_file_is_an_error_naming_the_file_and_the_key(tmp_path: Path) -> None:
    groups = tmp_path / "g.yaml"
    groups.write_text("personal_status: {labels: {A91: ''}, othr: keep}\n")
    out, _ = _init(tmp_path, _german_like(tmp_path / "d.csv"), "--groups", str(groups))
    assert out.exit_code == 2
    assert out.output == (
        f"error: {groups}: invalid groups (2 problems):\n"
        "  - personal_status.labels: the label of ['A91'] is empty; name the group, or write null to count it "
        "unknown.\n"
        "  - personal_status.othr: unknown key 'othr'. Did you mean 'other'?\n"
    )
    assert not (tmp_path / "s.yaml").exists()


def test_a_groups_file_naming_a_column_the_data_lacks_names_the_data_columns(tmp_path: Path) -> None:
    data = _german_like(tmp_path / "d.csv")
    groups = tmp_path / "g.yaml"
    groups.write_text("personal-status: {A91: male}\n")
    out, _ = _init(tmp_path, data, "--groups", str(groups))
    assert out.exit_code == 2
    assert out.output == (
        f"error: {groups}: groups name column 'personal-status', which is not in {data}; its columns are "
        "'personal_status', 'foreign_worker', 'sex', 'approved'. Did you mean 'personal_status'?\n"
    )


# --- a risk category as the decision -----------------------------------------------------------


def _compas_like(
    path: Path, name: str = "score_text", levels: tuple[str, ...] = ("Low", "Medium", "High")
) -> Path:
    """50 Low, 30 Medium, 20 High; c_charge_degree F/M; two_year_recid 0/1; v_score_text last."""
    scores = [levels[0]] * 50 + [levels[1]] * 30 + [levels[2]] * 20
    return _csv(
        path,
        ["sex", "race", "c_charge_degree", name, "two_year_recid", "v_score_text"],
        [("FM"[i % 2], "AB"[i % 3 % 2], "FM"[i % 5 % 2], s, i % 2, "Low") for i, s in enumerate(scores)],
    )


def test_a_risk_category_is_the_decision_ahead_of_a_charge_degree(tmp_path: Path) -> None:
    out, spec = _init(tmp_path, _compas_like(tmp_path / "d.csv"))
    assert out.exit_code == 0, out.output
    assert _line(spec, "decision:") == (
        "  decision: {column: score_text, positive: [Medium, High], favourable: false}   # CHECK: score_text is a "
        "risk category: Medium or High read as flagged as higher risk (ProPublica's reading of COMPAS's "
        "score_text: Medium or High, its decile_score 5 or more), so receiving it is adverse, favourable: "
        "false (score_text: Low = 50 rows, Medium = 30 rows, High = 20 rows)"
    )
    assert "  decision:  score_text   (a risk category: Medium or High read as flagged" in out.output
    loaded = load_spec(tmp_path / "s.yaml")
    assert loaded.columns.outcome == "two_year_recid"
    ran = CliRunner().invoke(main, ["run", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "r"), "--quiet"])
    assert ran.exit_code in (0, 1), ran.output


@pytest.mark.parametrize(
    ("name", "levels", "flagged"),
    [
        ("risk_level", ("low", "medium", "high"), "[medium, high]"),
        ("Risk", ("Low", "Moderate", "High"), "[Moderate, High]"),
    ],
)
def test_columns_named_like_a_risk_category_are_read_in_order(
    tmp_path: Path, name: str, levels: tuple[str, ...], flagged: str
) -> None:
    out, spec = _init(tmp_path, _compas_like(tmp_path / "d.csv", name, levels))
    assert out.exit_code == 0, out.output
    assert _line(spec, "decision:").startswith(
        f"  decision: {{column: {name}, positive: {flagged}, favourable: false}}"
    )


def test_positive_labels_and_an_adverse_decision_write_the_labelled_form(tmp_path: Path) -> None:
    data = _compas_like(tmp_path / "d.csv")
    args = ["--decision", "score_text", "--positive", "Medium", "--positive", "High", "--adverse-decision"]
    out, spec = _init(tmp_path, data, *args)
    assert out.exit_code == 0, out.output
    assert (
        _line(spec, "decision:")
        == "  decision: {column: score_text, positive: [Medium, High], favourable: false}"
    )
    # one label of three: the other two are named as not receiving it
    out, spec = _init(tmp_path, data, "--positive", "high", "--adverse-decision", "--force")
    assert _line(spec, "decision:") == (
        "  decision: {column: score_text, positive: High, negative: [Low, Medium], favourable: false}"
    )
    decision = load_spec(tmp_path / "s.yaml").columns.decision
    assert isinstance(decision, LabelledColumn) and decision.negative == ["Low", "Medium"]
    ran = CliRunner().invoke(main, ["run", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "r"), "--quiet"])
    assert ran.exit_code in (0, 1), ran.output


def test_a_positive_label_the_decision_lacks_is_an_error_listing_its_values(tmp_path: Path) -> None:
    out, _ = _init(tmp_path, _compas_like(tmp_path / "d.csv"), "--positive", "Hgh")
    assert out.exit_code == 2
    assert out.output == (
        "error: --positive Hgh: score_text holds no such value; it holds High (20 rows), Low (50 rows), "
        "Medium (30 rows). Name the values that mean receiving the decision.\n"
    )


def test_positive_labels_without_a_decision_are_an_error(tmp_path: Path) -> None:
    data = _csv(tmp_path / "d.csv", ["sex"], [("FM"[i % 2],) for i in range(40)])
    out, _ = _init(tmp_path, data, "--positive", "yes")
    assert out.exit_code == 2
    assert out.output == (
        "error: --positive yes: no decision column was found or named; name it with --decision COLUMN.\n"
    )


# --- the questions -----------------------------------------------------------------------------


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """init asks its questions, as in a terminal."""
    monkeypatch.setattr(equityaudit.cli.init, "_stdin_is_terminal", lambda: True)


def _ask(tmp_path: Path, data: Path, answers: list[str]) -> tuple[Result, str]:
    spec = tmp_path / "s.yaml"
    out = CliRunner().invoke(
        main,
        ["init", str(data), "--auditor", "decisions", "--out", str(spec)],
        input="\n".join(answers) + "\n",
    )
    assert out.exit_code == 0, out.output
    return out, spec.read_text()


@pytest.mark.usefixtures("terminal")
def test_the_proposals_are_shown_before_the_questions_and_the_favourable_label_is_asked(
    tmp_path: Path,
) -> None:
    # credit 1 (50 rows) or 2 (30 rows): nothing in the names says which is good for the person
    data = _csv(tmp_path / "d.csv", ["sex", "credit"], [("FM"[i % 2], 1 if i < 50 else 2) for i in range(80)])
    out, spec = _ask(tmp_path, data, ["", "credit", "1"])
    text = out.output
    assert text.index("Columns of") < text.index("Proposed roles") < text.index("Sensitive columns")
    assert "  decision:  credit   (a guess: no column is named like a decision; pass --decision)" in text
    assert text.index("Sensitive columns") < text.index("Decision column  (a guess) [credit]:")
    assert (
        "credit: 1 = 50 rows, 2 = 30 rows. Which value is the favourable outcome for the person?\n"
        "  read 1 as favourable: 50 rows favourable, 30 not\n"
        "  read 2 as favourable: 30 rows favourable, 50 not\n"
        "Favourable value [1]: 1\n"
    ) in text
    assert text.rstrip().endswith(
        f"Wrote {tmp_path / 's.yaml'}. Check it, then run: equityaudit run {tmp_path / 's.yaml'}"
    )
    # answered: neither a guess nor a CHECK
    assert _line(spec, "decision:") == '  decision: {column: credit, positive: "1", favourable: true}'


@pytest.mark.usefixtures("terminal")
def test_a_decision_typed_in_is_read_afresh_and_is_no_guess(tmp_path: Path) -> None:
    # 'band' is guessed; the user types 'status', whose labels say which is favourable
    rows = [("FM"[i % 2], "low" if i % 4 else "high", "approved" if i % 3 else "denied") for i in range(90)]
    data = _csv(tmp_path / "d.csv", ["sex", "band", "status"], rows)
    out, spec = _ask(tmp_path, data, ["", "stauts", "status", "y"])
    assert "'stauts' is not a column of the data. Did you mean 'status'?" in out.output
    assert "Is receiving status = approved good for the person (selected, approved)?" in out.output
    assert _line(spec, "decision:") == "  decision: {column: status, positive: approved, favourable: true}"


@pytest.mark.usefixtures("terminal")
def test_a_risk_category_reading_is_confirmed_in_one_question(tmp_path: Path) -> None:
    out, spec = _ask(tmp_path, _compas_like(tmp_path / "d.csv"), ["", "", "y"])
    assert (
        "score_text is a risk category (Low = 50 rows, Medium = 30 rows, High = 20 rows). Read Medium or High "
        "as flagged as higher risk, an adverse decision"
    ) in out.output
    assert (
        _line(spec, "decision:")
        == "  decision: {column: score_text, positive: [Medium, High], favourable: false}"
    )


@pytest.mark.usefixtures("terminal")
def test_positive_labels_given_apply_to_the_decision_answered_and_nothing_more_is_asked(
    tmp_path: Path,
) -> None:
    spec = tmp_path / "s.yaml"
    args = ["init", str(_compas_like(tmp_path / "d.csv")), "--auditor", "decisions", "--out", str(spec)]
    out = CliRunner().invoke(main, [*args, "--positive", "High", "--adverse-decision"], input="\n\n")
    assert out.exit_code == 0, out.output
    assert "risk category (" not in out.output and "favourable outcome" not in out.output
    assert _line(spec.read_text(), "decision:") == (
        "  decision: {column: score_text, positive: High, negative: [Low, Medium], favourable: false}"
    )


@pytest.mark.usefixtures("terminal")
def test_sensitive_columns_typed_in_get_their_groups(tmp_path: Path) -> None:
    ages = _ages(40, 50, 60, 40)
    data = _csv(
        tmp_path / "d.csv",
        ["personal_status", "age", "hired"],
        [(f"A9{i % 3 + 1}", age, i % 2) for i, age in enumerate(ages)],
    )
    out, spec = _ask(tmp_path, data, ["personal_status", "", ""])  # age dropped
    shown = "  groups:    age in bands: under 25 (40 rows), 25–39 (50), 40–64 (60), 65 and over (40)"
    assert out.output.index(shown) < out.output.index("Sensitive columns (comma-separated)")
    assert "bins" not in spec
    # 190 rows, A91 A92 A93 in turn: 64, 63, 63
    assert "# CHECK: personal_status holds codes (A91 = 64 rows, A92 = 63, A93 = 63)" in spec
    assert load_spec(tmp_path / "s.yaml").columns.sensitive == ["personal_status"]


def test_the_readme_shows_the_real_output_of_init(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    command = "$ equityaudit init datasets/hiring.csv --auditor decisions --yes --out my-audit.yaml\n"
    shown = readme.split(command, 1)[1].split("```", 1)[0].splitlines()
    args = [*command.split()[2:-1], str(tmp_path / "my-audit.yaml")]
    out = CliRunner().invoke(main, args)  # run from the repository root (conftest), as the README
    assert out.exit_code == 0, out.output
    assert out.output.splitlines()[: len(shown)] == shown
    assert "(above: 65 and over would hold 11 rows)" in readme
    assert "65 and over would hold 11 rows" in (tmp_path / "my-audit.yaml").read_text()
