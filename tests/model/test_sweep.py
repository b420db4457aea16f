"""A model audit's threshold sweep, checked against pandas and scikit-learn on the same scored rows.

Three references: a hand-built case whose rates, ratios, accuracies and cut-off range are worked
out by hand in the comments; a small logistic model scored through ``model:``, whose sweep is
recomputed with pandas (rates) and ``sklearn.metrics.accuracy_score`` (accuracy) from the model's
own ``predict_proba``; and the bundled audits/model-screening.yaml, recomputed the same way and
agreeing with the hiring auditor's own table at the model's threshold.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score

import equityaudit as ea
from equityaudit.spec_loading import load_spec, spec_from_mapping
from equityaudit.sweep import probability_grid, threshold_sweep

AUDITS = Path(__file__).resolve().parents[2] / "audits"
REASON = "rows held out of the model's training"


def _spec(*, outcome: str | None = "y", **thresholds: Any) -> Any:
    return spec_from_mapping(
        {
            "equityaudit": 1,
            "name": "hand",
            "auditor": "decisions",
            "data": {"path": "x.csv"},
            "columns": {"sensitive": ["sex"], "decision": "d", **({"outcome": outcome} if outcome else {})},
            "thresholds": {"min_group_size": 1, **thresholds},
        },
        origin="<test>",
    )


# Scores and outcomes by hand. Cut-offs 0.2, 0.4, 0.6, 0.8; selected when score >= cut-off.
#   F: scores 0.1 0.3 0.5 0.7 0.9, outcomes 0 0 1 1 1
#   M: scores 0.3 0.5 0.7 0.9,     outcomes 0 1 1 1
# F selected 4/5 3/5 2/5 1/5 = 0.8 0.6 0.4 0.2;  M selected 4/4 3/4 2/4 1/4 = 1.0 0.75 0.5 0.25
# Highest is M at every cut: F's ratios 0.8, 0.8, 0.8, 0.8 — every cut meets 0.8 (0.6 / 0.75 is
# 0.7999… in floating point: exactly at the threshold must still meet it).
# With threshold 0.85: F/M = 0.8 < 0.85 everywhere — no cut meets it.
# F accuracy: cut 0.2 selects 0.3 wrongly → 4/5; 0.4: all right → 5/5; 0.6: misses 0.5 → 4/5; 0.8: misses 0.5, 0.7 → 3/5
# M accuracy: 0.2 selects 0.3 wrongly → 3/4; 0.4 → 4/4; 0.6 → 3/4; 0.8 → 2/4
HAND = pd.DataFrame(
    {
        "sex": ["F"] * 5 + ["M"] * 4,
        "s": [0.1, 0.3, 0.5, 0.7, 0.9, 0.3, 0.5, 0.7, 0.9],
        "y": [0, 0, 1, 1, 1, 0, 1, 1, 1],
    }
)
HAND_CUTS = [0.2, 0.4, 0.6, 0.8]


@pytest.mark.parametrize("backend", ["pandas", "polars"])
def test_hand_built_rates_ratios_and_accuracy(backend: str) -> None:
    native = HAND if backend == "pandas" else pytest.importorskip("polars").from_pandas(HAND)
    sweep = threshold_sweep(
        nw.from_native(native).lazy(), _spec(), score="s", groupings=[("sex",)], grid=HAND_CUTS
    )
    (table,) = sweep.tables
    assert table.name == "sweep:sex"
    got = {(r["group"]["sex"], r["cut_off"]): r for r in table.rows}
    rates = {"F": [0.8, 0.6, 0.4, 0.2], "M": [1.0, 0.75, 0.5, 0.25]}
    accuracy = {"F": [4 / 5, 5 / 5, 4 / 5, 3 / 5], "M": [3 / 4, 4 / 4, 3 / 4, 2 / 4]}
    for sex in ("F", "M"):
        for j, cut in enumerate(HAND_CUTS):
            row = got[(sex, cut)]
            assert row["selection_rate"] == pytest.approx(rates[sex][j])
            assert row["impact_ratio"] == pytest.approx(0.8 if sex == "F" else 1.0)
            assert row["accuracy"] == pytest.approx(accuracy[sex][j])
    assert table.tests["meets_impact_ratio"]["cut_offs"] == HAND_CUTS
    assert sweep.notes == [
        "Threshold sweep by sex: every compared group has an impact ratio of at least 0.8 at the "
        "cut-offs 0.2 to 0.8 (4 of the 4 cut-offs swept)."
    ]


def test_no_cut_off_meets_a_stricter_threshold() -> None:
    sweep = threshold_sweep(
        nw.from_native(HAND).lazy(),
        _spec(impact_ratio=0.85),
        score="s",
        groupings=[("sex",)],
        grid=HAND_CUTS,
    )
    assert sweep.tables[0].tests["meets_impact_ratio"]["cut_offs"] == []
    assert sweep.notes == [
        "Threshold sweep by sex: at none of the 4 cut-offs swept does every compared group have an "
        "impact ratio of at least 0.85."
    ]


def test_separate_runs_of_cut_offs_are_each_named() -> None:
    # F 0.1 0.5 0.9 | M 0.3 0.5 0.7. Cuts 0.2 0.4 0.6 0.8:
    # F 2/3 2/3 1/3 1/3; M 3/3 2/3 1/3 0/3 → min ratios 0.667, 1, 1, 0 (M/F) → meets 0.8 at 0.4 and 0.6 only.
    frame = pd.DataFrame({"sex": ["F"] * 3 + ["M"] * 3, "s": [0.1, 0.5, 0.9, 0.3, 0.5, 0.7]})
    sweep = threshold_sweep(
        nw.from_native(frame).lazy(),
        _spec(outcome=None),
        score="s",
        groupings=[("sex",)],
        grid=[0.2, 0.4, 0.6, 0.8, 0.3],
    )
    # 0.3: F 2/3, M 3/3 → 0.667: fails, so 0.4–0.6 is one run and 0.2, 0.3 fail
    assert sweep.tables[0].tests["meets_impact_ratio"]["ranges"] == [[0.4, 0.6]]
    assert "accuracy" not in sweep.tables[0].rows[0]
    frame2 = pd.DataFrame({"sex": ["F"] * 2 + ["M"] * 2, "s": [0.1, 0.5, 0.3, 0.5]})
    # cuts 0.2 0.4 0.6: F 1/2 1/2 0; M 2/2 1/2 0 → ratios 0.5 | 1 | none selected: meets at 0.4 only
    sweep2 = threshold_sweep(
        nw.from_native(frame2).lazy(),
        _spec(outcome=None),
        score="s",
        groupings=[("sex",)],
        grid=[0.2, 0.4, 0.6],
    )
    assert sweep2.tables[0].tests["meets_impact_ratio"]["ranges"] == [[0.4, 0.4]]


def test_small_and_unknown_groups_are_shown_but_not_compared() -> None:
    frame = pd.DataFrame({"sex": ["F"] * 3 + ["M"] * 3 + [None], "s": [0.1, 0.5, 0.9, 0.3, 0.5, 0.7, 0.0]})
    sweep = threshold_sweep(
        nw.from_native(frame).lazy(),
        _spec(outcome=None, min_group_size=3),
        score="s",
        groupings=[("sex",)],
        grid=[0.2],
    )
    compared = {r["group"]["sex"]: r["compared"] for r in sweep.tables[0].rows}
    assert compared == {"F": True, "M": True, "Unknown": False}


@pytest.fixture(scope="module")
def small_model(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    rng = np.random.default_rng(7)
    n = 3000
    sex = rng.choice(["Female", "Male"], size=n)
    x = rng.normal(size=n) + np.where(sex == "Male", 0.3, 0.0)
    y = (x + rng.normal(size=n) > 0.2).astype(int)
    data = pd.DataFrame({"sex": sex, "x": x, "y": y})
    train, test = data.iloc[:2000], data.iloc[2000:].reset_index(drop=True)
    model = LogisticRegression().fit(train[["x"]], train["y"])
    path = tmp_path_factory.mktemp("sweep-model") / "model.skops"
    sio.dump(model, path)
    return {"path": path, "test": test, "model": model}


def test_sweep_of_a_scored_model_matches_pandas_and_sklearn(small_model: dict[str, Any]) -> None:
    test = small_model["test"]
    result = ea.audit(
        test,
        auditor="decisions",
        sensitive="sex",
        outcome="y",
        model={"path": small_model["path"], "features": ["x"]},
        kind="test",
        test_data_reason=REASON,
    )
    table = next(t for t in result.tables if t.name == "sweep:sex")
    assert table.by == ["sex"] and table.subject is not None
    proba = small_model["model"].predict_proba(test[["x"]])[:, 1]
    got = {(r["group"]["sex"], r["cut_off"]): r for r in table.rows}
    assert sorted({cut for _, cut in got}) == probability_grid()
    meeting = []
    for cut in probability_grid():
        chosen = proba >= cut
        rates = pd.Series(chosen).groupby(test["sex"]).mean()
        highest = rates.max()
        for sex in ("Female", "Male"):
            mask = (test["sex"] == sex).to_numpy()
            row = got[(sex, cut)]
            assert row["selected"] == int(chosen[mask].sum())
            assert row["selection_rate"] == pytest.approx(rates[sex], abs=1e-12)
            if highest > 0:
                assert row["impact_ratio"] == pytest.approx(rates[sex] / highest, abs=1e-12)
            else:
                assert row["impact_ratio"] is None
            assert row["accuracy"] == pytest.approx(accuracy_score(test["y"][mask], chosen[mask]), abs=1e-12)
        if highest > 0 and (rates / highest).min() >= 0.8 - 1e-9:
            meeting.append(cut)
    assert table.tests["meets_impact_ratio"]["cut_offs"] == meeting
    # the sweep at the model's threshold is the auditor's own table
    own = {
        r["group"]["sex"]: r["selection_rate"] for r in next(t for t in result.tables if t.name == "sex").rows
    }
    for sex, rate in own.items():
        assert got[(sex, 0.5)]["selection_rate"] == pytest.approx(rate, abs=1e-12)
    # descriptive: no finding names a sweep table
    assert not [f for f in result.findings if f.table.startswith("sweep:")]


def test_bundled_model_audit_sweep_matches_pandas() -> None:
    spec = load_spec(AUDITS / "model-screening.yaml")
    result = ea.run_spec(spec)
    held_out = pd.read_csv(AUDITS / "model-screening-held-out.csv")
    path = AUDITS / "model-screening.skops"
    model = sio.load(path, trusted=sio.get_untrusted_types(file=path))
    proba = model.predict_proba(held_out[["age", "years_experience"]])[:, 1]
    table = next(t for t in result.tables if t.name == "sweep:sex")
    got = {(r["group"]["sex"], r["cut_off"]): r for r in table.rows}
    compared = [s for s, n in held_out["sex"].value_counts().items() if n >= 30]
    meeting = []
    for cut in probability_grid():
        rates = pd.Series(proba >= cut).groupby(held_out["sex"]).mean()
        for sex in compared:
            assert got[(sex, cut)]["selection_rate"] == pytest.approx(rates[sex], abs=1e-12)
        top = rates[compared].max()
        if top > 0 and (rates[compared] / top).min() >= 0.8 - 1e-9:
            meeting.append(cut)
    assert table.tests["meets_impact_ratio"]["cut_offs"] == meeting
    auditor = {
        r["group"]["sex"]: r["selection_rate"] for r in next(t for t in result.tables if t.name == "sex").rows
    }
    for sex in compared:
        assert got[(sex, 0.5)]["selection_rate"] == pytest.approx(auditor[sex], abs=1e-12)
    assert any(note.startswith("Threshold sweep by sex: ") for note in result.notes)


def test_reports_print_the_sweep_table(small_model: dict[str, Any]) -> None:
    from equityaudit.report.html import render_html
    from equityaudit.report.markdown import render_markdown

    result = ea.audit(
        small_model["test"],
        auditor="decisions",
        sensitive="sex",
        outcome="y",
        model={"path": small_model["path"], "features": ["x"]},
        kind="test",
        test_data_reason=REASON,
    )
    row = next(r for r in next(t for t in result.tables if t.name == "sweep:sex").rows if r["cut_off"] == 0.5)
    markdown = render_markdown(result)
    assert "### sweep:sex: threshold sweep" in markdown
    assert "| group | cut-off | n | selected | rate | impact ratio | accuracy | compared |" in markdown
    assert f"| {row['group']['sex']} | 0.5 | {row['n']} | {row['selected']} |" in markdown
    html = render_html(result)
    assert 'id="table-sweep-sex"' in html
    assert "threshold sweep by" in html
    assert all(f">{header}</th>" in html for header in ("cut-off", "impact ratio", "accuracy"))
