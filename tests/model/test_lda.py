"""The LDA search (``equityaudit lda``): every candidate's numbers against an independent computation.

Each candidate's decisions are rebuilt here from scikit-learn and fairlearn directly (the model
refitted by hand, fairlearn's own reductions fitted on the same rows), and its accuracy, selection
rates and impact ratio are recomputed with ``sklearn.metrics.accuracy_score``,
``fairlearn.metrics.MetricFrame`` / ``selection_rate`` and ``demographic_parity_ratio``. The
Pareto front is checked against a brute-force comparison of every pair, and the LDA mark against
the tolerance rule written out here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
import yaml
from click.testing import CliRunner
from fairlearn.metrics import MetricFrame, demographic_parity_ratio, selection_rate
from fairlearn.reductions import DemographicParity, ExponentiatedGradient, GridSearch
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from equityaudit.cli import main
from equityaudit.lda import CAVEAT, GRIDS, LdaSearch, lda_search

FEATURES = ["skill", "commute", "tenure"]


def _rows(n: int, seed: int) -> pd.DataFrame:
    """Applicants whose label depends on skill; commute is a proxy for sex, and the label is biased by sex."""
    rng = np.random.default_rng(seed)
    sex = np.where(rng.random(n) < 0.5, "Female", "Male")
    male = sex == "Male"
    skill = rng.normal(size=n)
    commute = rng.normal(size=n) + 1.2 * male
    tenure = rng.normal(size=n)
    logit = -0.6 + 1.4 * skill + 0.9 * male + 0.3 * tenure
    label = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "Yes", "No")
    return pd.DataFrame({"sex": sex, "skill": skill, "commute": commute, "tenure": tenure, "hired": label})


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model fitted on the training rows, its spec, the held-out rows (with the true label)."""
    root = tmp_path_factory.mktemp("lda")
    train, held = _rows(800, 1), _rows(600, 2)
    train.to_csv(root / "train.csv", index=False)
    held.to_csv(root / "held_out.csv", index=False)
    model = make_pipeline(StandardScaler(), LogisticRegression())
    model.fit(train[FEATURES], train["hired"].eq("Yes"))
    sio.dump(model, root / "model.skops")
    _spec(root)
    return root


def _spec(root: Path, name: str = "spec.yaml", **model: Any) -> Path:
    spec = {
        "equityaudit": 1,
        "name": "screening",
        "auditor": "decisions",
        "data": {"path": "held_out.csv", "kind": "test", "test_data_reason": "held out of training"},
        "columns": {"sensitive": ["sex"]},
        "thresholds": {"min_group_size": 30},
        "model": {
            "path": "model.skops",
            "features": FEATURES,
            "outcome": {"column": "hired", "positive": ["Yes"]},
            **model,
        },
    }
    path = root / name
    path.write_text(yaml.safe_dump(spec))
    return path


@pytest.fixture(scope="module")
def search(folder: Path) -> LdaSearch:
    return lda_search(folder / "spec.yaml", folder / "train.csv", grid="quick")


def _data(folder: Path) -> tuple[pd.DataFrame, np.ndarray[Any, Any], pd.DataFrame, np.ndarray[Any, Any]]:
    train, held = pd.read_csv(folder / "train.csv"), pd.read_csv(folder / "held_out.csv")
    return (
        train,
        train["hired"].eq("Yes").astype(int).to_numpy(),
        held,
        held["hired"].eq("Yes").astype(int).to_numpy(),
    )


def _independent(folder: Path) -> dict[str, np.ndarray[Any, Any]]:
    """Decisions of several candidates, made here from scikit-learn and fairlearn directly."""
    train, y_train, held, _ = _data(folder)
    model = sio.load(folder / "model.skops", trusted=sio.get_untrusted_types(file=folder / "model.skops"))
    decisions = {"current": (model.predict_proba(held[FEATURES])[:, 1] >= 0.5).astype(int)}
    refit = make_pipeline(StandardScaler(), LogisticRegression()).fit(train[FEATURES], y_train)
    decisions["refit"] = (refit.predict_proba(held[FEATURES])[:, 1] >= 0.5).astype(int)
    kept = ["skill", "tenure"]
    dropped = make_pipeline(StandardScaler(), LogisticRegression()).fit(train[kept], y_train)
    decisions["drop:commute"] = (dropped.predict_proba(held[kept])[:, 1] >= 0.5).astype(int)
    strong = make_pipeline(StandardScaler(), LogisticRegression(C=0.01)).fit(train[FEATURES], y_train)
    decisions["regularised:C=0.01"] = (strong.predict_proba(held[FEATURES])[:, 1] >= 0.5).astype(int)
    base = make_pipeline(StandardScaler(), LogisticRegression())
    eg = ExponentiatedGradient(
        clone(base),
        constraints=DemographicParity(),
        max_iter=GRIDS["quick"]["eg_max_iter"],
        sample_weight_name="logisticregression__sample_weight",
    )
    eg.fit(train[FEATURES], y_train, sensitive_features=train["sex"])
    # deterministic rule: selected when the selecting predictors carry more than half the weight
    decisions["eg:demographic-parity"] = (eg._pmf_predict(held[FEATURES])[:, 1] > 0.5).astype(int)
    grid = GridSearch(
        clone(base),
        constraints=DemographicParity(),
        grid_size=GRIDS["quick"]["grid_size"],
        sample_weight_name="logisticregression__sample_weight",
    )
    grid.fit(train[FEATURES], y_train, sensitive_features=train["sex"])
    for k, predictor in enumerate(grid.predictors_):
        decisions[f"grid:demographic-parity:{k}"] = predictor.predict(held[FEATURES]).astype(int)
    return decisions


# fairlearn's ExponentiatedGradient grows a Series with .at, which pandas 3 deprecates (third-party noise)
@pytest.mark.filterwarnings("ignore::DeprecationWarning:fairlearn")
# its _pmf_predict hands the predictors a numpy array, though they were fitted on a frame
@pytest.mark.filterwarnings("ignore:X does not have valid feature names:UserWarning")
def test_candidate_metrics_equal_sklearn_and_fairlearn(folder: Path, search: LdaSearch) -> None:
    _, _, held, y_held = _data(folder)
    by_id = {c.id: c for c in search.candidates}
    independent = _independent(folder)
    assert set(independent) <= set(by_id)
    for candidate_id, decisions in independent.items():
        e = by_id[candidate_id].evaluation
        assert e.accuracy == pytest.approx(accuracy_score(y_held, decisions), abs=1e-12), candidate_id
        frame = MetricFrame(
            metrics=selection_rate, y_true=y_held, y_pred=decisions, sensitive_features=held["sex"]
        )
        rates = {g.group: g.selection_rate for g in e.groups["sex"]}
        assert rates == pytest.approx(frame.by_group.to_dict(), abs=1e-12), candidate_id
        # both groups have far more than min_group_size rows, so every group is compared
        expected = demographic_parity_ratio(
            y_held, decisions, sensitive_features=held["sex"], method="between_groups"
        )
        assert e.worst_impact_ratio == pytest.approx(expected, abs=1e-12), candidate_id
        assert e.selection_rate == pytest.approx(decisions.mean(), abs=1e-12)


def test_quick_grid_has_the_documented_candidates(search: LdaSearch) -> None:
    ids = {c.id for c in search.candidates}
    # 1 current + 1 refit + 3 features dropped + 2 regularisation steps + 1 EG + 4 grid points
    assert len(ids) == len(search.candidates) == 1 + 1 + 3 + 2 + 1 + GRIDS["quick"]["grid_size"]
    assert {"current", "refit", "drop:skill", "drop:commute", "drop:tenure"} <= ids
    assert {"regularised:C=0.1", "regularised:C=0.01", "eg:demographic-parity"} <= ids


def test_pareto_front_matches_brute_force(search: LdaSearch) -> None:
    points = [(c.evaluation.accuracy, c.evaluation.worst_impact_ratio) for c in search.candidates]
    assert all(r is not None for _, r in points)
    acc = np.array([a for a, _ in points])
    ratio = np.array([r for _, r in points], dtype=float)
    # dominated[i, j]: candidate j is at least as good as i in both, strictly better in one
    at_least = (acc[None, :] >= acc[:, None]) & (ratio[None, :] >= ratio[:, None])
    better = (acc[None, :] > acc[:, None]) | (ratio[None, :] > ratio[:, None])
    expected = ~(at_least & better).any(axis=1)
    assert [c.on_front for c in search.candidates] == expected.tolist()
    assert expected.any()


def _obeys_tolerance_rule(candidates: list[dict[str, Any]], tolerance: float) -> None:
    """Each candidate is an LDA exactly when the rule, written out here, says so."""
    (current,) = [c for c in candidates if c["kind"] == "current"]
    assert current["worst_impact_ratio"] is not None
    for c in candidates:
        rule = (
            c["kind"] != "current"
            and c["accuracy"] >= current["accuracy"] - tolerance - 1e-12
            and c["worst_impact_ratio"] is not None
            and c["worst_impact_ratio"] > current["worst_impact_ratio"]
        )
        assert c["lda"] == rule, c["id"]


def test_lda_mark_obeys_the_tolerance_rule(search: LdaSearch) -> None:
    stored = search.to_dict()
    assert stored["tolerance"] == 0.01
    _obeys_tolerance_rule(stored["candidates"], 0.01)
    assert stored["lda_found"] == any(c.lda for c in search.candidates)
    assert stored["ldas"] == [c["id"] for c in stored["candidates"] if c["lda"]]


def test_what_if_row_carries_the_caveat_and_is_never_an_lda(search: LdaSearch) -> None:
    (what_if,) = search.what_if
    assert what_if.caveat == CAVEAT
    assert "Civil Rights Act of 1991 §106" in CAVEAT and "2000e-2(l)" in CAVEAT
    assert not what_if.on_front and not what_if.lda
    assert what_if.id not in {c.id for c in search.candidates}


def test_cli_json_markdown_and_saved_candidates(folder: Path, tmp_path: Path) -> None:
    out, saved = tmp_path / "out", tmp_path / "saved"
    args = ["lda", str(folder / "spec.yaml"), "--train", str(folder / "train.csv"), "--candidates", "quick"]
    result = CliRunner().invoke(
        main, [*args, "--format", "json", "--out", str(out), "--save", str(saved), "-q"]
    )
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["schema"] == "equityaudit.lda/1"
    assert printed["what_if"][0]["caveat"] == CAVEAT
    stored = json.loads((out / "screening.lda.json").read_text())
    assert stored["candidates"] == printed["candidates"]
    markdown = (out / "screening.lda.md").read_text()
    assert CAVEAT.split(" (")[0] in markdown
    front = [c for c in stored["candidates"] if c["on_front"] and c["kind"] != "current"]
    assert sorted(p.name for p in saved.iterdir()) == sorted(Path(c["saved"]).name for c in front)
    # a saved candidate decides the held-out rows as the search reported
    _, _, held, _ = _data(folder)
    for candidate in front:
        path = Path(candidate["saved"])
        model = sio.load(path, trusted=sio.get_untrusted_types(file=path))
        rows = held[candidate["features"]]
        if candidate["decides_by"] == "label":
            decisions = model.predict(rows).astype(int)
        else:
            decisions = (model.predict_proba(rows)[:, 1] >= 0.5).astype(int)
        assert decisions.mean() == pytest.approx(candidate["selection_rate"], abs=1e-12)
    # a second run, with a wider tolerance, replaces its own files; --fail-if-lda exits 1 on an LDA
    again = CliRunner().invoke(main, [*args, "--out", str(out), "--tolerance", "0.05", "--fail-if-lda", "-q"])
    wider = json.loads((out / "screening.lda.json").read_text())
    assert wider["tolerance"] == 0.05
    _obeys_tolerance_rule(wider["candidates"], 0.05)
    assert again.exit_code == (1 if wider["lda_found"] else 0), again.output
    # a file it did not write is refused before any candidate is fitted
    (out / "screening.lda.md").write_text("my notes\n")
    refused = CliRunner().invoke(main, [*args, "--out", str(out)])
    assert refused.exit_code == 2
    assert "exists and was not written by equityaudit; refusing to overwrite it" in refused.output
    assert "refit as is" not in refused.output


def _invoke(*args: str) -> Any:
    return CliRunner().invoke(main, ["lda", *args, "--candidates", "quick", "-q"])


def test_onnx_model_is_refused(folder: Path) -> None:
    spec = _spec(folder, "onnx.yaml", path="model.onnx")
    result = _invoke(str(spec), "--train", str(folder / "train.csv"))
    assert result.exit_code == 2
    assert (
        "model.path: model.onnx is an ONNX model, which cannot be refitted; the LDA search needs a scikit-learn model or pipeline saved with skops"
        in result.output
    )


def test_missing_label_is_refused(folder: Path) -> None:
    spec = yaml.safe_load((folder / "spec.yaml").read_text())
    del spec["model"]["outcome"]
    path = folder / "no-label.yaml"
    path.write_text(yaml.safe_dump(spec))
    result = _invoke(str(path), "--train", str(folder / "train.csv"))
    assert result.exit_code == 2
    assert (
        "the LDA search measures accuracy, which needs the held-out rows' true label; add model.outcome"
        in result.output
    )


def test_training_file_missing_a_feature_is_refused(folder: Path, tmp_path: Path) -> None:
    pd.read_csv(folder / "train.csv").drop(columns=["commute"]).to_csv(tmp_path / "train.csv", index=False)
    result = _invoke(str(folder / "spec.yaml"), "--train", str(tmp_path / "train.csv"))
    assert result.exit_code == 2
    assert (
        "the training rows lack 'commute' (a feature of the model). Columns in the file: 'sex', 'skill', 'tenure', 'hired'"
        in result.output
    )


@pytest.mark.parametrize("value", ["-0.1", "1", "lots"])
def test_bad_tolerance_is_refused(folder: Path, value: str) -> None:
    result = _invoke(str(folder / "spec.yaml"), "--train", str(folder / "train.csv"), "--tolerance", value)
    assert result.exit_code == 2
    assert "Invalid value for '--tolerance'" in result.output


def test_unknown_sensitive_column_is_refused(folder: Path) -> None:
    result = _invoke(str(folder / "spec.yaml"), "--train", str(folder / "train.csv"), "--sensitive", "sexx")
    assert result.exit_code == 2
    assert (
        "--sensitive 'sexx' is not one of the spec's sensitive columns ('sex'). Did you mean 'sex'?"
        in result.output
    )


def test_missing_training_file_is_refused(folder: Path) -> None:
    result = _invoke(str(folder / "spec.yaml"), "--train", str(folder / "nowhere.csv"))
    assert result.exit_code == 2
    assert "nowhere.csv: no such file" in result.output


def test_every_candidate_saves_as_a_skops_file_of_trusted_types(
    folder: Path, search: LdaSearch, tmp_path: Path
) -> None:
    """The deterministic ExponentiatedGradient vote and the refits load with skops' defaults and
    decide the held-out rows as the search measured them."""
    _, _, held, _ = _data(folder)
    for candidate in search.candidates:
        if candidate.estimator is None:
            continue
        path = tmp_path / "candidate.skops"
        sio.dump(candidate.estimator, path)
        assert sio.get_untrusted_types(file=path) == [], candidate.id
        model = sio.load(path, trusted=[])
        rows = held[candidate.features]
        if candidate.output == "label":
            decisions = model.predict(rows).astype(int)
        else:
            decisions = (model.predict_proba(rows)[:, 1] >= 0.5).astype(int)
        assert decisions.mean() == pytest.approx(candidate.evaluation.selection_rate, abs=1e-12), candidate.id


def test_training_feature_that_is_not_numeric_is_refused(folder: Path, tmp_path: Path) -> None:
    train = pd.read_csv(folder / "train.csv")
    train["commute"] = np.where(train["commute"] > 0, "far", "near")
    train.to_csv(tmp_path / "train.csv", index=False)
    result = _invoke(str(folder / "spec.yaml"), "--train", str(tmp_path / "train.csv"))
    assert result.exit_code == 2
    assert (
        "the model's estimator cannot be refitted on these training rows (ValueError: could not convert string to float"
        in result.output
    )


def test_candidates_an_estimator_cannot_make_are_skipped_with_the_reason(
    folder: Path, tmp_path: Path
) -> None:
    """A k-nearest-neighbours model has no C or alpha and takes no sample_weight: refits only."""
    from sklearn.neighbors import KNeighborsClassifier

    train = pd.read_csv(folder / "train.csv")
    model = KNeighborsClassifier(n_neighbors=15).fit(train[FEATURES], train["hired"].eq("Yes"))
    sio.dump(model, folder / "knn.skops")
    trusted = sio.get_untrusted_types(file=folder / "knn.skops")  # its KD tree and distance metric
    spec = _spec(folder, "knn.yaml", path="knn.skops", trusted=trusted)
    search = lda_search(spec, folder / "train.csv", grid="quick")
    assert [c.kind for c in search.candidates] == ["current", "refit", "drop", "drop", "drop"]
    reasons = {s["id"]: s["reason"] for s in search.skipped}
    assert set(reasons) == {"eg:demographic-parity", "grid:demographic-parity"}
    assert all("KNeighborsClassifier.fit takes no sample_weight" in r for r in reasons.values())
    assert search.what_if[0].caveat == CAVEAT


def test_impact_ratios_leave_out_small_and_unknown_groups_as_metricframe_restricted() -> None:
    """Per grouping, the ratio of the compared groups' rates (n >= min_group_size, not Unknown),
    against fairlearn's MetricFrame on the same decisions, restricted to those groups by hand."""
    from equityaudit.lda import evaluate_decisions

    rng = np.random.default_rng(7)
    n = 2_000
    sex = rng.choice(["Female", "Male", "Unknown"], size=n, p=[0.48, 0.48, 0.04])
    race = rng.choice(["A", "B", "C", "D"], size=n, p=[0.5, 0.3, 0.19, 0.01])  # D: about 20 rows
    decisions = (rng.random(n) < np.where(sex == "Female", 0.25, 0.35)).astype(int)
    label = (rng.random(n) < 0.3).astype(int)
    cross = np.array([f"{s}, {r}" for s, r in zip(sex, race, strict=True)], dtype=object)
    minimum = 30
    e = evaluate_decisions(
        decisions, label, {"sex": sex, "race": race, "sex*race": cross}, min_group_size=minimum
    )
    # the test means something: a small race and the Unknown sex are left out
    assert [g.group for g in e.groups["race"] if not g.compared] == ["D"]
    assert [g.group for g in e.groups["sex"] if not g.compared] == ["Unknown"]
    for by, columns in (("sex", ["sex"]), ("race", ["race"]), ("sex*race", ["sex", "race"])):
        grouped = MetricFrame(
            metrics={"rate": selection_rate, "n": lambda y, p: len(y)},
            y_true=label,
            y_pred=decisions,
            sensitive_features=pd.DataFrame({"sex": sex, "race": race})[columns],
        ).by_group
        index = grouped.index.to_frame(index=False)
        keep = (grouped["n"].to_numpy() >= minimum) & ~(index == "Unknown").any(axis=1).to_numpy()
        rates = grouped["rate"].to_numpy()[keep]
        assert e.impact_ratios[by] == pytest.approx(rates.min() / rates.max(), abs=1e-12), by
    assert e.worst_impact_ratio == pytest.approx(min(e.impact_ratios.values()), abs=1e-12)
    assert e.accuracy == pytest.approx(accuracy_score(label, decisions), abs=1e-12)


def test_user_text_is_escaped_in_the_markdown_report(tmp_path: Path) -> None:
    """A feature named like markup ends up inert in the Markdown report (report/escaping.py)."""
    from equityaudit.lda_output import lda_markdown

    odd = "<b>pay|grade</b>"
    rows = _rows(400, 3).rename(columns={"commute": odd})
    rows.to_csv(tmp_path / "train.csv", index=False)
    rows.to_csv(tmp_path / "held_out.csv", index=False)
    features = ["skill", odd, "tenure"]
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(rows[features], rows["hired"].eq("Yes"))
    sio.dump(model, tmp_path / "model.skops")
    spec = _spec(tmp_path, features=features)
    markdown = lda_markdown(lda_search(spec, tmp_path / "train.csv", grid="quick"))
    # outside code spans (inert: shown literally) no markup survives, and no pipe ends a table cell early
    outside = re.sub(r"`[^`]*`", "", markdown)
    assert "<b>" not in outside
    table = [line for line in markdown.splitlines() if line.startswith("|")]
    cells = {len(re.findall(r"(?<!\\)\|", line)) for line in table}
    assert len(table) > 10 and len(cells) == 1
    assert "`<b>pay|grade</b>`" in markdown  # the features line, as a code span
    assert "without &lt;b&gt;pay\\|grade&lt;/b&gt;" in markdown  # the drop candidate's table cell
