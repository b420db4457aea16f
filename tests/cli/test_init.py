"""``equityaudit init``: guesses are flagged as guesses, and a missing file is named."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from equityaudit.cli import main
from equityaudit.cli.init_roles import propose_roles
from equityaudit.spec import GroupBands, GroupLabels, LabelledColumn
from equityaudit.spec_loading import load_spec
from evidence import unavailable
from paths import REFERENCE_DATA, ROOT


def test_a_decision_guessed_from_a_two_valued_column_says_so(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    data.write_text("sex,region\n" + "F,north\nM,south\n" * 40)  # no column is named like a decision
    spec = tmp_path / "d.yaml"
    out = CliRunner().invoke(main, ["init", str(data), "--auditor", "decisions", "--out", str(spec), "--yes"])
    assert out.exit_code == 0, out.output
    assert "decision:  region   (a guess: no column is named like a decision; pass --decision)" in out.output
    assert "# CHECK: a guess (no column is named like a decision)" in spec.read_text()
    named = CliRunner().invoke(
        main,
        [
            "init",
            str(data),
            "--auditor",
            "decisions",
            "--decision",
            "region",
            "--out",
            str(spec),
            "--yes",
            "--force",
        ],
    )
    assert named.exit_code == 0 and "a guess" not in named.output  # the user named it
    assert "a guess" not in spec.read_text()


def test_a_missing_data_file_is_named_with_the_nearest_file(tmp_path: Path) -> None:
    (tmp_path / "applicants.csv").write_text("sex,hired\nF,1\n")
    out = CliRunner().invoke(main, ["init", str(tmp_path / "aplicants.csv")])
    assert out.exit_code == 2
    assert out.output.strip() == (
        f"error: {tmp_path / 'aplicants.csv'}: no such data file. Give the path of a CSV, Parquet or "
        "JSONL file to inspect. Did you mean 'applicants.csv'?"
    )


def test_a_guessed_labelled_decision_gets_one_check_comment_and_the_spec_runs(tmp_path: Path) -> None:
    # 'band' holds two labels and is not named like a decision: both the column and its
    # favourable label are guesses, said in one CHECK comment; the written spec then runs as is.
    data = tmp_path / "d.csv"
    data.write_text("sex,band\n" + "F,low\nF,high\nM,high\nM,high\n" * 40)
    spec = tmp_path / "d.yaml"
    out = CliRunner().invoke(main, ["init", str(data), "--auditor", "decisions", "--out", str(spec), "--yes"])
    assert out.exit_code == 0, out.output
    (line,) = [x for x in spec.read_text().splitlines() if x.lstrip().startswith("decision:")]
    assert line == (
        "  decision: {column: band, positive: low, favourable: true}   # CHECK: a guess (no column is named "
        "like a decision); which label means receiving the decision? (band: high = 120 rows, low = 40 "
        "rows); is receiving it good "
        "for the person? For a denial or a risk flag, set favourable: false"
    )
    ran = CliRunner().invoke(main, ["run", str(spec), "--out", str(tmp_path / "r"), "--quiet"])
    assert ran.exit_code in (0, 1), ran.output
    assert (tmp_path / "r" / "d.json").is_file()


def test_protected_characteristics_beyond_sex_and_race_are_proposed(tmp_path: Path) -> None:
    # marital status (ECOA), national origin and citizenship (Title VII, IRCA), veteran status
    # (USERRA) are protected too; 'maritime_zone' and 'nationwide' only look alike.
    data = tmp_path / "d.csv"
    header = "marital_status,nationality,citizenship,veteran,maritime_zone,nationwide,hired"
    data.write_text(header + "\n" + "married,FR,yes,no,a,x,1\nsingle,DE,no,yes,b,y,0\n" * 40)
    out = CliRunner().invoke(
        main, ["init", str(data), "--auditor", "decisions", "--out", str(tmp_path / "s.yaml"), "--yes"]
    )
    assert out.exit_code == 0, out.output
    assert "sensitive: marital_status, nationality, citizenship, veteran" in out.output


def test_column_names_that_yaml_would_misread_are_quoted(tmp_path: Path) -> None:
    # a colon-space, a '#', a '?', YAML words and brackets: written bare, each would read back as
    # something else (a mapping, a comment, true, null, a list)
    names = ["gender: self-reported #1", "[sex]", "null", "yes"]
    data = tmp_path / "d.csv"
    header = ",".join(f'"{n}"' for n in names) + ",hired?"
    data.write_text(header + "\n" + "F,F,a,x,1\nM,M,b,y,0\n" * 40)
    spec = tmp_path / "s.yaml"
    args = ["init", str(data), "--auditor", "decisions", "--out", str(spec), "--yes", "--decision", "hired?"]
    for name in names:
        args += ["--sensitive", name]
    out = CliRunner().invoke(main, args)
    assert out.exit_code == 0, out.output
    loaded = load_spec(spec)
    assert loaded.columns.sensitive == names
    assert loaded.columns.decision == "hired?"


def _both(tmp_path: Path, text: str) -> tuple[tuple[int, str], tuple[int, str]]:
    """``init`` and ``run`` on the same file: each command's exit code and one-line output."""
    data = tmp_path / "broken.csv"
    data.write_text(text)
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "equityaudit: 1\nname: broken\nauditor: decisions\ndata: {path: broken.csv}\n"
        "columns: {sensitive: [sex], decision: hired}\n"
    )
    runner = CliRunner()
    init = runner.invoke(
        main, ["init", str(data), "--auditor", "decisions", "--out", str(tmp_path / "s.yaml"), "--yes"]
    )
    ran = runner.invoke(main, ["run", str(spec), "--out", str(tmp_path / "r")])
    assert not (tmp_path / "s.yaml").exists()  # no spec is written for data that cannot be audited
    return (init.exit_code, " ".join(init.output.split())), (ran.exit_code, " ".join(ran.output.split()))


@pytest.mark.parametrize(
    ("line", "found"),
    [
        ("M,0,9", "line 42 has 3 fields but the header has 2 (found: 'M,0,9')"),
        ('M,"0', "line 42: a quoted value opens here and is never closed (found: 'M,\"0')"),
    ],
)
def test_init_reports_a_malformed_file_as_run_does(tmp_path: Path, line: str, found: str) -> None:
    rows = ["F,1", "M,0"] * 20
    rows.insert(40, line)  # line 42 of the file: the header is line 1
    (init_code, init_out), (run_code, run_out) = _both(tmp_path, "sex,hired\n" + "\n".join(rows) + "\n")
    assert (init_code, run_code) == (2, 2), (init_out, run_out)
    data = tmp_path / "broken.csv"
    assert init_out.startswith(f"error: {data}: cannot be read as CSV: " + found)
    # the same sentence: run prefixes only the spec that named the file
    assert run_out.endswith(init_out.removeprefix("error: "))
    assert "Traceback" not in init_out


def test_init_refuses_a_header_without_rows_as_run_does(tmp_path: Path) -> None:
    (init_code, init_out), (run_code, run_out) = _both(tmp_path, "sex,hired\n")
    assert (init_code, run_code) == (2, 2)
    assert (
        init_out
        == f"error: {tmp_path / 'broken.csv'}: the data has a header but no rows; expected at least one row to audit."
    )
    assert run_out.endswith("the data has a header but no rows; expected at least one row to audit.")


def test_a_column_named_as_decision_is_not_also_proposed_as_outcome(tmp_path: Path) -> None:
    # 'two_year_recid' is named like an outcome; named as the decision, it is the decision only
    # (a spec naming one column for both roles is invalid)
    data = tmp_path / "d.csv"
    data.write_text("sex,two_year_recid\n" + "F,1\nM,0\n" * 40)
    spec = tmp_path / "s.yaml"
    args = ["init", str(data), "--auditor", "decisions", "--decision", "two_year_recid", "--out", str(spec)]
    out = CliRunner().invoke(main, [*args, "--yes"])
    assert out.exit_code == 0, out.output
    loaded = load_spec(spec)
    assert (loaded.columns.decision, loaded.columns.outcome) == ("two_year_recid", None)


def test_a_repeated_column_the_audit_does_not_use_is_a_note(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    # 'score' twice: F's rows are 1, 0, 1, ... in the first copy; the audit uses sex and hired only
    data.write_text("sex,score,hired,score\n" + "F,1,1,5\nM,2,0,6\n" * 40)
    spec = tmp_path / "s.yaml"
    out = CliRunner().invoke(main, ["init", str(data), "--auditor", "decisions", "--out", str(spec), "--yes"])
    assert out.exit_code == 0, out.output
    note = (
        f"note: {data}: the header names 'score' twice; the audit does not use it, so its copies were "
        "dropped and the first of each kept. To audit it, rename the copies in the file."
    )
    assert note in out.output
    assert "score" not in spec.read_text().split("columns:")[1]  # never proposed for a role
    ran = CliRunner().invoke(main, ["run", str(spec), "--out", str(tmp_path / "r"), "--quiet"])
    assert ran.exit_code == 1, ran.output  # F are all hired, M none: a FAIL
    result = json.loads((tmp_path / "r" / "d.json").read_text())
    assert result["notes"][0] == note.removeprefix("note: ")
    assert result["data"]["rows"] == 80


@pytest.mark.parametrize(
    ("option", "key"), [(["--decision", "hired"], "--decision"), (["--sensitive", "sex"], "--sensitive sex")]
)
def test_init_refuses_a_repeated_column_named_for_a_role(tmp_path: Path, option: list[str], key: str) -> None:
    data = tmp_path / "d.csv"
    data.write_text("sex,hired,hired,sex\n" + "F,1,0,M\nM,0,1,F\n" * 40)
    out = CliRunner().invoke(
        main,
        ["init", str(data), "--auditor", "decisions", "--out", str(tmp_path / "s.yaml"), "--yes", *option],
    )
    assert out.exit_code == 2
    assert " ".join(out.output.split()).startswith(
        f"error: equityaudit init: {key}: {data}: the header names"
    )


@pytest.mark.parametrize(
    "rule",
    [
        "quality: {max_missing: {score: 0.1}}",
        "quality: {expectations: [{type: expect_column_values_to_not_be_null, kwargs: {column: score}}]}",
    ],
)
def test_run_refuses_a_repeated_column_a_quality_rule_names(tmp_path: Path, rule: str) -> None:
    (tmp_path / "d.csv").write_text("sex,score,hired,score\n" + "F,1,1,5\nM,2,0,6\n" * 40)
    spec = tmp_path / "s.yaml"
    spec.write_text(
        "equityaudit: 1\nname: d\nauditor: decisions\ndata: {path: d.csv}\n"
        f"columns: {{sensitive: [sex], decision: hired}}\n{rule}\n"
    )
    out = CliRunner().invoke(main, ["run", str(spec), "--out", str(tmp_path / "r")])
    assert out.exit_code == 2, out.output
    text = " ".join(out.output.split())
    assert "the header names the same column more than once: 'score' (2 times)" in text
    assert f"{spec}: quality." in text


REFERENCE = REFERENCE_DATA


def reference(name: str) -> Path:
    path = REFERENCE / name
    if not path.is_file():
        unavailable(f"{path} is missing")
    return path


def test_compas_with_its_repeated_columns_is_initialised_and_audited(tmp_path: Path) -> None:
    # ProPublica's header names decile_score and priors_count twice; an audit of race and sex
    # needs neither, so the file is audited with a note naming both
    data = reference("compas-scores-two-years.csv")
    spec = tmp_path / "compas.yaml"
    args = ["init", str(data), "--auditor", "decisions", "--sensitive", "race", "--sensitive", "sex"]
    out = CliRunner().invoke(main, [*args, "--decision", "two_year_recid", "--out", str(spec), "--yes"])
    assert out.exit_code == 0, out.output
    assert "the header names 'decile_score' twice and 'priors_count' twice" in out.output
    ran = CliRunner().invoke(main, ["run", str(spec), "--out", str(tmp_path / "r"), "--quiet"])
    assert ran.exit_code in (0, 1), ran.output
    result = json.loads((tmp_path / "r" / "compas-scores-two-years.json").read_text())
    assert result["data"]["rows"] == 7214  # ProPublica's two-year sample
    assert any("'decile_score' twice" in note for note in result["notes"])
    named = CliRunner().invoke(
        main, [*args, "--decision", "decile_score", "--out", str(spec), "--yes", "--force"]
    )
    assert named.exit_code == 2
    assert "'decile_score' (2 times)" in " ".join(named.output.split())


@pytest.mark.parametrize(
    "name",
    [
        "marital-status",
        "maritalStatus",
        "Marital Status",
        "native-country",
        "nativeCountry",
        "native_country",
        "foreign_worker",
        "Foreign Worker",
        "personal_status",
        "personal-status",
        "relationship",
        "Age Group",
        "ageBand",
        "Sex",
        "race-ethnicity",
    ],
)
def test_sensitive_names_are_recognised_whatever_separates_their_words(name: str) -> None:
    frame = pl.DataFrame({name: ["a", "b", "c"] * 20, "hired": [1, 0, 1] * 20})
    assert propose_roles(frame).sensitive == [name]


@pytest.mark.parametrize(
    "name",
    ["maritime_zone", "nationwide", "page_views", "storage", "customer_relationship_months", "races_won"],
)
def test_names_that_only_look_sensitive_are_not_proposed(name: str) -> None:
    frame = pl.DataFrame({name: ["a", "b", "c"] * 20, "hired": [1, 0, 1] * 20})
    assert propose_roles(frame).sensitive == []


def test_an_age_in_years_is_numeric_sensitive_and_an_age_band_is_sensitive() -> None:
    frame = pl.DataFrame(
        {"age": list(range(19, 79)), "age-band": ["18-39", "40-59", "60+"] * 20, "hired": [1, 0] * 30}
    )
    proposal = propose_roles(frame)
    assert (proposal.sensitive, proposal.numeric_sensitive) == (["age-band"], ["age"])
    # the categorical age is the one audited: no bands are proposed for the years
    assert proposal.age_bands == {}
    assert proposal.age_notes == ["age is not banded: age-band groups ages already"]


def test_a_target_like_column_is_guessed_as_the_decision_before_a_count() -> None:
    # German credit's layout: people_liable_for (1 or 2 people) comes before credit (1 good, 2 bad)
    frame = pl.DataFrame(
        {"telephone": ["A191", "A192"] * 20, "people_liable_for": [1, 2] * 20, "credit": [2, 1] * 20}
    )
    proposal = propose_roles(frame)
    assert (proposal.decision, proposal.decision_guessed) == ("credit", True)
    # without a target-like name, a column of two labels goes before a count
    assert propose_roles(frame.drop("credit")).decision == "telephone"
    assert propose_roles(frame.select("people_liable_for")).decision == "people_liable_for"


def test_a_label_alone_is_the_decision_not_the_outcome() -> None:
    # bank marketing: 'y' is the only target; proposed as the outcome, the decision was a guess
    # from 'contact' (cellular or telephone)
    frame = pl.DataFrame({"contact": ["cellular", "telephone"] * 20, "y": ["no", "yes"] * 20})
    proposal = propose_roles(frame)
    assert (proposal.decision, proposal.outcome) == ("y", None)
    named = propose_roles(frame.with_columns(hired=pl.Series([1, 0] * 20)))
    assert (named.decision, named.outcome) == ("hired", "y")  # a named decision keeps y as the outcome


def _init(tmp_path: Path, data: Path) -> tuple[str, str]:
    spec = tmp_path / "s.yaml"
    out = CliRunner().invoke(main, ["init", str(data), "--auditor", "decisions", "--out", str(spec), "--yes"])
    assert out.exit_code == 0, out.output
    return out.output, spec.read_text()


def test_german_credit_is_proposed_by_its_protected_columns_and_its_credit_column(tmp_path: Path) -> None:
    # german.txt: personal_status is sex and marital status (A91-A95), foreign_worker A201/A202,
    # age in years, credit 1 (good) or 2 (bad)
    output, spec = _init(tmp_path, reference("german.csv"))
    # UCI's documentation: 700 good and 300 bad credits. '1' (good) is written as the decision
    # received, and the CHECK states both readings with their counts
    decision = next(line for line in spec.splitlines() if line.lstrip().startswith("decision:"))
    assert decision.startswith('  decision: {column: credit, positive: "1", favourable: true}')
    assert "which label means receiving the decision? (credit: 1 = 700 rows, 2 = 300 rows)" in decision
    assert "  sensitive: personal_status, foreign_worker, age\n" in output
    assert "  decision:  credit   (a guess" in output
    # ages counted by hand from german.csv: 149 under 25, 552 from 25 to 39, 276 from 40 to 64 and
    # 23 of 65 and over, too few for a band of their own
    assert "  groups:    age in bands: under 25 (149 rows), 25–39 (552), 40 and over (299)" in output
    (bands,) = [line for line in spec.splitlines() if line.lstrip().startswith("age: {bins")]
    assert bands.startswith(
        "    age: {bins: [25, 40]}   # under 25: 149 rows, 25–39: 552, 40 and over: 299; "
    )
    assert "65 (the usual retirement age) left out: 65 and over would hold 23 rows" in bands
    # the codes of personal_status and foreign_worker (german.txt's codebook names them; init cannot)
    assert "  codes:     personal_status (A91, A92, A93, A94); foreign_worker (A201, A202)" in output
    assert (
        "    # CHECK: personal_status holds codes (A91 = 50 rows, A92 = 310, A93 = 548, A94 = 92); " in spec
    )
    assert '    # personal_status: {A91: "", A92: "", A93: "", A94: ""}' in spec
    assert '    # foreign_worker: {A201: "", A202: ""}' in spec
    loaded = load_spec(tmp_path / "s.yaml")
    assert loaded.columns.sensitive == ["personal_status", "foreign_worker", "age"]
    assert loaded.columns.groups == {"age": GroupBands(bins=[25, 40])}
    assert loaded.columns.decision_column == "credit"
    ran = CliRunner().invoke(main, ["run", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "r"), "--quiet"])
    assert ran.exit_code in (0, 1), ran.output


def test_german_credit_with_its_codebook_groups(tmp_path: Path) -> None:
    # docs/examples/german-groups.yaml names every code german.csv holds (A95 is in the codebook only)
    groups = ROOT / "docs" / "examples" / "german-groups.yaml"
    spec = tmp_path / "s.yaml"
    args = ["init", str(reference("german.csv")), "--auditor", "decisions", "--groups", str(groups)]
    out = CliRunner().invoke(main, [*args, "--out", str(spec), "--yes"])
    assert out.exit_code == 0, out.output
    assert "codes:" not in out.output and "note:" not in out.output
    assert f"  groups:    personal_status: 5 values in 5 groups   (from {groups})\n" in out.output
    loaded = load_spec(spec)
    assert loaded.columns.sensitive == ["personal_status", "foreign_worker", "age"]
    assert set(loaded.columns.groups) == {"personal_status", "foreign_worker", "age"}
    status = loaded.columns.groups["personal_status"]
    assert isinstance(status, GroupLabels) and status.labels["A92"] == "female: divorced/separated/married"
    assert loaded.columns.groups["foreign_worker"] == GroupLabels(
        labels={"A201": "foreign", "A202": "not foreign"}
    )


def test_adult_is_proposed_by_every_protected_column_and_its_income(tmp_path: Path) -> None:
    output, spec = _init(tmp_path, reference("adult.csv"))
    assert "  sensitive: marital-status, relationship, race, sex, native-country, age\n" in output
    # every cut point keeps its bands: 5570 under 25, 12754, 12901 and 1336 of 65 and over
    assert (
        "  groups:    age in bands: under 25 (5570 rows), 25–39 (12754), 40–64 (12901), 65 and over (1336)"
        in output
    )
    assert "  decision:  income-per-year   (a guess" in output
    assert "intersectional: false        # true adds the cross of all 6 sensitive columns" in spec
    assert "codes" not in output  # Adult's values are words
    loaded = load_spec(tmp_path / "s.yaml")
    assert loaded.columns.groups == {"age": GroupBands(bins=[25, 40, 65])}
    decision = loaded.columns.decision
    assert isinstance(decision, LabelledColumn)
    assert (decision.column, decision.positive, decision.favourable) == ("income-per-year", [">50K"], True)


def test_compas_is_proposed_by_its_risk_category_and_two_year_recidivism(tmp_path: Path) -> None:
    # ProPublica's reading: score_text Medium or High (decile_score 5 to 10) is flagged. Counted
    # from the file (a crosstab of decile_score by score_text): Low 3897 of the 7214 rows (deciles
    # 1-4), Medium 1914 (5-7), High 1403 (8-10)
    output, spec = _init(tmp_path, reference("compas-scores-two-years.csv"))
    assert "  sensitive: sex, age_cat, race\n" in output
    assert "  numeric:   age is not banded: age_cat groups ages already\n" in output
    assert "  decision:  score_text   (a risk category: Medium or High read as flagged" in output
    assert "  outcome:   two_year_recid\n" in output
    (line,) = [x for x in spec.splitlines() if x.lstrip().startswith("decision:")]
    assert line.startswith(
        "  decision: {column: score_text, positive: [Medium, High], favourable: false}   # CHECK: score_text is "
        "a risk category: Medium or High read as flagged as higher risk (ProPublica's reading"
    )
    assert line.endswith("(score_text: Low = 3897 rows, Medium = 1914 rows, High = 1403 rows)")
    loaded = load_spec(tmp_path / "s.yaml")
    assert loaded.columns.groups == {}
    decision = loaded.columns.decision
    assert isinstance(decision, LabelledColumn)
    assert (decision.column, decision.positive, decision.favourable) == (
        "score_text",
        ["Medium", "High"],
        False,
    )
    assert loaded.columns.outcome == "two_year_recid"


def test_bank_marketing_is_proposed_by_its_y_and_marital_status_and_age(tmp_path: Path) -> None:
    # bank-additional-names.txt: y = has the client subscribed a term deposit (yes/no); 4119 rows
    # of ages 18 to 88: 98 under 25, 2141 from 25 to 39, 1822 from 40 to 64, 58 of 65 and over
    output, _ = _init(tmp_path, reference("bank-additional.csv"))
    assert "  sensitive: marital, age\n" in output
    assert (
        "  groups:    age in bands: under 25 (98 rows), 25–39 (2141), 40–64 (1822), 65 and over (58)"
        in output
    )
    assert "  decision:  y   (a guess" in output
    loaded = load_spec(tmp_path / "s.yaml")
    assert loaded.data.separator == ";"
    assert loaded.columns.decision == "y"
    assert loaded.columns.groups == {"age": GroupBands(bins=[25, 40, 65])}


def test_column_names_with_terminal_controls_are_printed_as_text(tmp_path: Path) -> None:
    """A header is the data's text: an ESC or a bidi override in a column name is shown as an escape."""
    hostile = "reg\x1b[2Jion\u202e"
    data = tmp_path / "d.csv"
    data.write_text(f'sex,"{hostile}",hired\n' + "F,north,yes\nM,south,no\n" * 40, encoding="utf-8")
    spec = tmp_path / "d.yaml"
    args = ["init", str(data), "--auditor", "decisions", "--decision", "hired", "--sensitive", hostile]
    out = CliRunner().invoke(main, [*args, "--out", str(spec), "--yes"])
    assert out.exit_code == 0, out.output
    assert "\x1b" not in out.output and "\u202e" not in out.output, repr(out.output)
    assert "sensitive: reg\\x1b[2Jion\\u202e" in out.output, out.output
