"""Tests for the synthetic hiring generator and the committed sample ``datasets/hiring.csv``.

Statistical bounds are either the design targets of the generator (the impact-ratio ranges in
``datasets/hiring.md``) or a multiple of a binomial standard error computed in the test. The
samples are drawn with fixed seeds, so every test is deterministic.
"""

from __future__ import annotations

import contextlib
import io
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from equityaudit.errors import EquityAuditError
from equityaudit.synthetic.hiring import HIRING_COLUMNS, make_hiring
from paths import ROOT

REPO = ROOT
SAMPLE_CSV = REPO / "datasets" / "hiring.csv"
DATA_CARD = REPO / "datasets" / "hiring.md"

SEX = {"Female", "Male"}
RACE = {
    "Hispanic or Latino",
    "White",
    "Black or African American",
    "Native Hawaiian or Other Pacific Islander",
    "Asian",
    "American Indian or Alaska Native",
    "Two or More Races",
}
# Design shares of all rows (the generator's documented targets).
SEX_SHARES = {"Female": 0.47, "Male": 0.51, None: 0.02}
RACE_SHARES = {
    "Hispanic or Latino": 0.18,
    "White": 0.52,
    "Black or African American": 0.13,
    "Native Hawaiian or Other Pacific Islander": 0.008,
    "Asian": 0.09,
    "American Indian or Alaska Native": 0.012,
    "Two or More Races": 0.03,
    None: 0.03,
}
# A deviation of more than this many standard errors fails a test (two-sided p < 1e-4 each).
Z = 4.0
LARGE = 50_000


@pytest.fixture(scope="module")
def large() -> pd.DataFrame:
    return make_hiring(LARGE, seed=2026)


def binomial_se(p: float, n: int) -> float:
    return math.sqrt(p * (1 - p) / n)


def selection_rates(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Per-group n, selection rate and impact ratio on rows whose ``column`` is known.

    The reference is the highest rate among groups holding at least 2 % of the known rows:
    NYC LL144 lets an auditor exclude smaller categories, and their rates are too noisy to
    serve as a benchmark (AIAN and NHOPI are designed to fall under 2 %).
    """
    known = frame[frame[column].notna()]
    advanced = known["advanced"].eq("Yes")
    table = advanced.groupby(known[column]).agg(["size", "mean"])
    table.columns = pd.Index(["n", "rate"])
    share = table["n"] / table["n"].sum()
    table["impact_ratio"] = table["rate"] / table.loc[share >= 0.02, "rate"].max()
    return table


# -- determinism and API -------------------------------------------------------------------


def test_same_seed_gives_same_frame() -> None:
    pd.testing.assert_frame_equal(make_hiring(2_000, seed=7), make_hiring(2_000, seed=7))


def test_different_seeds_give_different_frames() -> None:
    first, second = make_hiring(2_000, seed=7), make_hiring(2_000, seed=8)
    assert not first["screen_score"].equals(second["screen_score"])


def test_defaults_are_5000_rows_seed_2026() -> None:
    pd.testing.assert_frame_equal(make_hiring(), make_hiring(5000, seed=2026))


@pytest.mark.parametrize("rows", [0, -1, -5000])
def test_rows_below_one_raise_value_error(rows: int) -> None:
    with pytest.raises(ValueError, match=rf"expected rows >= 1, got rows={rows}\.") as info:
        make_hiring(rows)
    assert isinstance(info.value, EquityAuditError)


def test_non_integer_rows_raise_type_error() -> None:
    with pytest.raises(TypeError):
        make_hiring(2.5)  # type: ignore[arg-type]


def test_single_row() -> None:
    frame = make_hiring(1, seed=0)
    assert frame.shape == (1, len(HIRING_COLUMNS))
    assert frame["applicant_id"].tolist() == ["A000001"]


# -- schema --------------------------------------------------------------------------------


def test_columns_in_order() -> None:
    assert HIRING_COLUMNS == (
        "applicant_id",
        "sex",
        "race_ethnicity",
        "age",
        "years_experience",
        "screen_score",
        "advanced",
        "stage",
        "performed_well",
        "application_date",
    )
    assert tuple(make_hiring(10, seed=1).columns) == HIRING_COLUMNS


def test_value_sets_are_exact(large: pd.DataFrame) -> None:
    assert set(large["sex"].dropna()) == SEX
    assert set(large["race_ethnicity"].dropna()) == RACE
    assert set(large["advanced"]) == {"Yes", "No"}
    assert set(large["stage"]) == {"applied", "interview", "offer"}
    assert set(large["performed_well"]) == {"Yes", "No"}


def test_missing_attributes_are_none_in_object_columns(large: pd.DataFrame) -> None:
    for column in ["sex", "race_ethnicity"]:
        assert large[column].dtype == object
        missing = large.loc[large[column].isna(), column]
        assert len(missing) > 0
        assert all(value is None for value in missing)
    other = [c for c in HIRING_COLUMNS if c not in {"sex", "race_ethnicity"}]
    assert not large[other].isna().any().any()


def test_applicant_ids() -> None:
    frame = make_hiring(1_234, seed=3)
    assert frame["applicant_id"].tolist() == [f"A{i:06d}" for i in range(1, 1_235)]


def test_age_and_experience(large: pd.DataFrame) -> None:
    assert large["age"].dtype == np.int64
    assert large["age"].between(18, 70).all()
    assert {18, 70} <= set(large["age"])
    experience = large["years_experience"]
    assert experience.dtype == np.float64
    assert (experience >= 0).all()
    assert (experience <= large["age"] - 18).all()
    assert (experience.round(1) == experience).all()
    # Experience is (age - 18) times a Beta(3, 2) draw: strongly correlated with age.
    assert np.corrcoef(large["age"], experience)[0, 1] > 0.7


def test_screen_score_range_and_precision(large: pd.DataFrame) -> None:
    score = large["screen_score"]
    assert score.dtype == np.float64
    assert score.between(0, 100).all()
    assert (score.round(1) == score).all()


def test_application_dates(large: pd.DataFrame) -> None:
    dates = large["application_date"]
    assert dates.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    parsed = pd.to_datetime(dates, format="%Y-%m-%d")
    assert parsed.min() == pd.Timestamp("2026-01-01")
    assert parsed.max() == pd.Timestamp("2026-06-30")
    # applicant_id numbers applicants in order of application.
    assert parsed.is_monotonic_increasing


# -- shares --------------------------------------------------------------------------------


@pytest.mark.parametrize(("column", "shares"), [("sex", SEX_SHARES), ("race_ethnicity", RACE_SHARES)])
def test_category_and_missing_shares(
    large: pd.DataFrame, column: str, shares: dict[str | None, float]
) -> None:
    values = large[column]
    for value, target in shares.items():
        observed = values.isna().mean() if value is None else values.eq(value).mean()
        assert abs(observed - target) <= Z * binomial_se(target, LARGE), (value, observed)


def test_two_race_groups_fall_under_two_percent(large: pd.DataFrame) -> None:
    share = large["race_ethnicity"].value_counts(normalize=True)  # of known rows
    small = set(share[share < 0.02].index)
    assert small == {
        "Native Hawaiian or Other Pacific Islander",
        "American Indian or Alaska Native",
    }


# -- funnel --------------------------------------------------------------------------------


def test_advanced_follows_cutoff_and_stage(large: pd.DataFrame) -> None:
    advanced = large["advanced"].eq("Yes")
    assert advanced.equals(large["screen_score"].ge(60))
    assert advanced.equals(large["stage"].isin(["interview", "offer"]))


def test_advance_and_offer_rates(large: pd.DataFrame) -> None:
    advanced = large["advanced"].eq("Yes")
    assert abs(advanced.mean() - 0.35) <= Z * binomial_se(0.35, LARGE)
    offer_among_advanced = large.loc[advanced, "stage"].eq("offer").mean()
    assert abs(offer_among_advanced - 0.40) <= Z * binomial_se(0.40, int(advanced.sum()))


@pytest.mark.parametrize("column", ["sex", "race_ethnicity"])
def test_performed_well_has_no_group_effect(large: pd.DataFrame, column: str) -> None:
    well = large["performed_well"].eq("Yes")
    overall = well.mean()
    assert abs(overall - 0.40) <= Z * binomial_se(0.40, LARGE)
    groups = large[column]
    for group in groups.dropna().unique():
        inside = groups.eq(group)
        n_in, n_out = int(inside.sum()), int((~inside).sum())
        # Standard error of (rate in group - rate elsewhere) if both share the overall rate.
        se = math.sqrt(overall * (1 - overall) * (1 / n_in + 1 / n_out))
        gap = well[inside].mean() - well[~inside].mean()
        assert abs(gap) <= Z * se, (group, gap, se)


def test_penalty_lowers_true_positive_rate(large: pd.DataFrame) -> None:
    # Among applicants who would perform well, a penalised group is advanced less often.
    good = large[large["performed_well"].eq("Yes")]
    advanced = good["advanced"].eq("Yes")
    female, male = advanced[good["sex"].eq("Female")], advanced[good["sex"].eq("Male")]
    pooled = advanced.mean()
    se = math.sqrt(pooled * (1 - pooled) * (1 / len(female) + 1 / len(male)))
    assert male.mean() - female.mean() > Z * se


# -- injected disparities ------------------------------------------------------------------


def test_sex_impact_ratio_fails_four_fifths(large: pd.DataFrame) -> None:
    table = selection_rates(large, "sex")
    assert table["rate"].idxmax() == "Male"
    assert 0.75 <= table["impact_ratio"]["Female"] <= 0.80


def test_race_impact_ratios(large: pd.DataFrame) -> None:
    ratio = selection_rates(large, "race_ethnicity")["impact_ratio"]
    assert 0.55 <= ratio["Black or African American"] <= 0.70
    assert 0.80 <= ratio["Hispanic or Latino"] <= 0.90
    unpenalised = ratio[["Asian", "White", "Two or More Races"]]
    assert unpenalised.min() / unpenalised.max() >= 0.90


# -- committed sample and its data card ----------------------------------------------------


def test_committed_sample_matches_generator(tmp_path: Path) -> None:
    regenerated = tmp_path / "hiring.csv"
    make_hiring(5000, seed=2026).to_csv(regenerated, index=False)
    # Read every field as text, and empty fields as "" rather than NaN, so the comparison
    # is of what the files say.
    committed = pd.read_csv(SAMPLE_CSV, dtype=str, keep_default_na=False)
    expected = pd.read_csv(regenerated, dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(committed, expected)
    assert committed.shape == (5000, len(HIRING_COLUMNS))
    assert (committed["sex"] == "").any()


def test_data_card_figures_match_committed_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run each pandas snippet in the data card and compare with the output printed under it."""
    card = DATA_CARD.read_text(encoding="utf-8")
    examples = re.findall(r"```python\n(.*?)```\s*```text\n(.*?)```", card, flags=re.DOTALL)
    assert len(examples) == 2, "hiring.md shows two snippets, each followed by its output"
    monkeypatch.chdir(REPO)
    for snippet, printed in examples:
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            exec(compile(snippet, str(DATA_CARD), "exec"), {})
        assert output.getvalue() == printed
