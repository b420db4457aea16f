"""``equityaudit init``: guesses are flagged as guesses, and a missing file is named."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from equityaudit.cli import main
from equityaudit.spec import load_spec


def test_a_decision_guessed_from_a_two_valued_column_says_so(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    data.write_text("sex,region\n" + "F,north\nM,south\n" * 40)  # no column is named like a decision
    spec = tmp_path / "d.yaml"
    out = CliRunner().invoke(main, ["init", str(data), "--auditor", "decisions", "--out", str(spec), "--yes"])
    assert out.exit_code == 0, out.output
    assert "decision:  region   (a guess: no column is named like a decision; pass --decision)" in out.output
    assert "# CHECK: a guess (the first two-valued column)" in spec.read_text()
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
        "  decision: {column: band, positive: low, favourable: true}   # CHECK: a guess (the first "
        "two-valued column); which label means receiving the decision? (high, low); is receiving it good "
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
