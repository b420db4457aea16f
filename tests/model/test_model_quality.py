"""A model's quality by group (AUC, calibration, score differences) and its reliability bins,
checked against independent references on the same scored rows, on every backend.

References: ``sklearn.metrics.roc_auc_score`` and fairlearn's ``MetricFrame`` (AUC per group); a
DeLong variance computed here from its definition, pair by pair (the module computes it from
midranks); ``scipy.stats.ks_2samp`` on the group's and the other rows' probabilities; numpy for
calibration-in-the-large and the standardised mean difference, statsmodels' ``DescrStatsW`` for
the interval of the mean; ``sklearn.calibration.calibration_curve(strategy="uniform")`` for the
reliability bins and statsmodels' ``proportion_confint(method="wilson")`` for their intervals.
The probabilities are the model's own ``predict_proba`` on the held-out rows.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from fairlearn.metrics import MetricFrame
from scipy.stats import ks_2samp, norm
from sklearn.calibration import calibration_curve
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import DescrStatsW

import equityaudit as ea
from equityaudit.model_quality import delong_auc

REASON = "rows held out of the model's training"
Z = float(norm.ppf(0.975))


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Held-out rows of a logistic model whose scores run higher for one sex, and their probabilities."""
    rng = np.random.default_rng(11)
    n = 2400
    sex = rng.choice(["Female", "Male"], size=n)
    race = rng.choice(["A", "B"], size=n, p=[0.7, 0.3])
    x = rng.normal(size=n) + np.where(sex == "Male", 0.4, 0.0)
    y = (x + rng.normal(size=n) + np.where(race == "B", 0.5, 0.0) > 0.3).astype(int)
    data = pd.DataFrame({"sex": sex, "race": race, "x": x, "y": y})
    train, test = data.iloc[:1200], data.iloc[1200:].reset_index(drop=True)
    model = LogisticRegression().fit(train[["x"]], train["y"])
    path = tmp_path_factory.mktemp("quality-model") / "model.skops"
    sio.dump(model, path)
    return {"path": path, "test": test, "proba": model.predict_proba(test[["x"]])[:, 1]}


def _audit(data: Any, path: Path, **model: Any) -> Any:
    return ea.audit(
        data,
        auditor="decisions",
        sensitive=["sex", "race"],
        outcome="y",
        model={"path": path, "features": ["x"], **model},
        kind="test",
        test_data_reason=REASON,
    )


def _table(result: Any, name: str) -> dict[tuple[str, ...], Any]:
    table = next(t for t in result.tables if t.name == name)
    return {tuple(row["group"].values()): row for row in table.rows}


def _delong_by_definition(p: np.ndarray, y: np.ndarray) -> float:
    """DeLong's variance from its definition: ψ(x, y) = 1 if x > y, ½ if tied, 0 if below, over all pairs."""
    pos, neg = p[y == 1], p[y == 0]
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    return float(v10.var(ddof=1) / len(pos) + v01.var(ddof=1) / len(neg))


def test_model_quality_by_group_matches_independent_references(
    scored: dict[str, Any], constructor: Any
) -> None:
    test, proba = scored["test"], scored["proba"]
    result = _audit(constructor(test), scored["path"])
    for by in (["sex"], ["race"], ["sex", "race"]):
        rows = _table(result, "model:" + "*".join(by))
        keys = test[by].astype(str).agg(tuple, axis=1)
        fair = MetricFrame(
            metrics=roc_auc_score, y_true=test["y"], y_pred=proba, sensitive_features=test[by]
        ).by_group
        assert set(rows) == set(keys)
        for group, row in rows.items():
            mask = (keys == group).to_numpy()
            p, y, rest = proba[mask], test["y"].to_numpy()[mask], proba[~mask]
            assert row["n"] == mask.sum() and row["positives"] == y.sum()
            assert row["auc"] == pytest.approx(roc_auc_score(y, p), abs=1e-12)
            assert row["auc"] == pytest.approx(fair.loc[group if len(by) > 1 else group[0]], abs=1e-12)
            se = math.sqrt(_delong_by_definition(p, y))
            assert row["auc_ci_low"] == pytest.approx(max(0.0, roc_auc_score(y, p) - Z * se), abs=1e-9)
            assert row["auc_ci_high"] == pytest.approx(min(1.0, roc_auc_score(y, p) + Z * se), abs=1e-9)
            ks = ks_2samp(p, rest)
            assert row["ks_statistic"] == pytest.approx(ks.statistic, abs=1e-12)
            assert row["ks_p_value"] == pytest.approx(ks.pvalue, rel=1e-9)
            assert row["calibration_in_the_large"] == pytest.approx(np.mean(p) - np.mean(y), abs=1e-12)
            low, high = DescrStatsW(p - y).zconfint_mean(alpha=0.05)
            assert row["calibration_in_the_large_ci_low"] == pytest.approx(low, abs=1e-9)
            assert row["calibration_in_the_large_ci_high"] == pytest.approx(high, abs=1e-9)
            pooled = math.sqrt((np.var(p, ddof=1) + np.var(rest, ddof=1)) / 2)
            assert row["smd"] == pytest.approx((p.mean() - rest.mean()) / pooled, abs=1e-12)
    # the scores run higher for Male: a positive SMD, and a KS test that sees it
    sex = _table(result, "model:sex")
    assert sex[("Male",)]["smd"] > 0 > sex[("Female",)]["smd"]
    assert sex[("Male",)]["ks_p_value"] < 0.001


def test_reliability_bins_match_sklearn_calibration_curve(scored: dict[str, Any], constructor: Any) -> None:
    test, proba = scored["test"], scored["proba"]
    result = _audit(constructor(test), scored["path"])
    for by in (["sex"], ["sex", "race"]):
        table = next(t for t in result.tables if t.name == "calibration:" + "*".join(by))
        keys = test[by].astype(str).agg(tuple, axis=1)
        for group in set(keys):
            mask = (keys == group).to_numpy()
            p, y = proba[mask], test["y"].to_numpy()[mask]
            observed, predicted = calibration_curve(y, p, n_bins=10, strategy="uniform")
            mine = [r for r in table.rows if tuple(r["group"].values()) == group]
            assert [r["observed_rate"] for r in mine] == pytest.approx(list(observed), abs=1e-12)
            assert [r["mean_predicted"] for r in mine] == pytest.approx(list(predicted), abs=1e-12)
            assert sum(r["n"] for r in mine) == mask.sum()
            for r in mine:
                low, high = proportion_confint(r["positives"], r["n"], alpha=0.05, method="wilson")
                assert (r["observed_rate_ci_low"], r["observed_rate_ci_high"]) == pytest.approx(
                    (low, high), abs=1e-9
                )


def test_delong_from_midranks_equals_its_definition_with_ties() -> None:
    # scores rounded to one decimal: many ties between positives and negatives
    rng = np.random.default_rng(3)
    p = np.round(rng.random(300), 1)
    y = (rng.random(300) < p).astype(np.int64)
    auc, variance = delong_auc(p, y)
    assert auc == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    assert variance == pytest.approx(_delong_by_definition(p, y), rel=1e-10)


def test_a_group_of_one_class_has_no_auc_and_says_why() -> None:
    frame = pd.DataFrame(
        {"sex": ["F"] * 4 + ["M"] * 4, "s": [0.1, 0.4, 0.6, 0.9] * 2, "y": [0, 0, 0, 0, 0, 1, 0, 1]}
    )
    import narwhals as nw

    from equityaudit.model_quality import model_quality
    from equityaudit.spec_loading import spec_from_mapping

    spec = spec_from_mapping(
        {
            "equityaudit": 1,
            "name": "t",
            "auditor": "decisions",
            "data": {"path": "x.csv"},
            "columns": {"sensitive": ["sex"], "decision": "d", "outcome": "y"},
            "thresholds": {"min_group_size": 1},
        }
    )
    tables = model_quality(nw.from_native(frame).lazy(), spec, score="s", groupings=[("sex",)])
    rows = {r["group"]["sex"]: r for r in next(t for t in tables.tables if t.name == "model:sex").rows}
    assert rows["F"]["auc"] is None and rows["F"]["auc_ci_low"] is None
    assert rows["F"]["note"] == "AUC undefined: the group's rows are all positive or all negative"
    # M: positives 0.4, 0.9 against negatives 0.1, 0.6 → pairs won 1 + 2 of 4: AUC 0.75
    assert rows["M"]["auc"] == 0.75


def test_without_a_label_quality_is_skipped_with_a_note(scored: dict[str, Any]) -> None:
    result = ea.audit(
        scored["test"].drop(columns="y"),
        auditor="decisions",
        sensitive="sex",
        model={"path": scored["path"], "features": ["x"]},
        kind="test",
        test_data_reason=REASON,
    )
    names = [t.name for t in result.tables]
    assert "shortlist:sex" in names and not [n for n in names if n.startswith(("model:", "calibration:"))]
    assert any(
        n.startswith("Model quality by group (AUC, calibration, score differences) was skipped")
        for n in result.notes
    )


def test_descriptive_tables_leave_findings_and_verdict_alone(scored: dict[str, Any]) -> None:
    result = _audit(scored["test"], scored["path"])
    assert not [f for f in result.findings if f.table.split(":")[0] in ("model", "calibration", "shortlist")]
    plain = ea.audit(
        scored["test"].assign(d=(scored["proba"] >= 0.5).astype(int)),
        auditor="decisions",
        sensitive=["sex", "race"],
        outcome="y",
        decision="d",
    )
    assert result.verdict == plain.verdict
    assert [(f.id, f.status) for f in result.findings] == [(f.id, f.status) for f in plain.findings]


def test_model_outcome_is_the_label_and_never_a_feature(scored: dict[str, Any], tmp_path: Path) -> None:
    # a model fitted on a bare array reads every column without a role: y must not be among them
    test = scored["test"].assign(hired=np.where(scored["test"]["y"] == 1, "yes", "no")).drop(columns="y")
    array_model = LogisticRegression().fit(test[["x"]].to_numpy(), test["hired"] == "yes")
    sio.dump(array_model, tmp_path / "bare.skops")
    result = ea.audit(
        test,
        auditor="hiring",
        sensitive=["sex", "race"],
        model={"path": tmp_path / "bare.skops", "outcome": {"column": "hired", "positive": "yes"}},
        options={"audit_date": "2026-11-23", "distribution_date": "2026-01-01"},
        kind="test",
        test_data_reason=REASON,
    )
    assert result.data.model is not None and result.data.model.features == ["x"]
    proba = array_model.predict_proba(test[["x"]].to_numpy())[:, 1]
    truth = (test["hired"] == "yes").to_numpy()
    for row in next(t for t in result.tables if t.name == "sweep:sex").rows:
        mask = (test["sex"] == row["group"]["sex"]).to_numpy()
        chosen = proba[mask] >= row["cut_off"]
        assert row["accuracy"] == pytest.approx(accuracy_score(truth[mask], chosen), abs=1e-12)
    auc = _table(result, "model:sex")
    for (sex,), row in auc.items():
        mask = (test["sex"] == sex).to_numpy()
        assert row["auc"] == pytest.approx(roc_auc_score(truth[mask], proba[mask]), abs=1e-12)


def test_a_score_output_skips_calibration(scored: dict[str, Any]) -> None:
    result = _audit(scored["test"], scored["path"], output="score", threshold=0.0)
    names = [t.name for t in result.tables]
    assert "model:sex" in names and not [n for n in names if n.startswith("calibration:")]
    assert all("calibration_in_the_large" not in r for r in _table(result, "model:sex").values())
    assert any(
        n.startswith("Calibration (calibration-in-the-large and the reliability table) was skipped")
        for n in result.notes
    )


def test_rows_without_a_score_are_left_out_with_a_note() -> None:
    import narwhals as nw

    from equityaudit.model_quality import model_quality
    from equityaudit.spec_loading import spec_from_mapping

    # M's NaN row is left out: M keeps 0.2 (y 0), 0.7 (y 1), 0.9 (y 1) → AUC 1; F: 0.1 (0), 0.6 (1), 0.3 (1), 0.8 (0) → 2 of 4 pairs
    frame = pd.DataFrame(
        {
            "sex": ["F"] * 4 + ["M"] * 4,
            "s": [0.1, 0.6, 0.3, 0.8, 0.2, float("nan"), 0.7, 0.9],
            "y": [0, 1, 1, 0, 0, 0, 1, 1],
        }
    )
    spec = spec_from_mapping(
        {
            "equityaudit": 1,
            "name": "t",
            "auditor": "decisions",
            "data": {"path": "x.csv"},
            "columns": {"sensitive": ["sex"], "decision": "d", "outcome": "y"},
            "thresholds": {"min_group_size": 1},
        }
    )
    tables = model_quality(nw.from_native(frame).lazy(), spec, score="s", groupings=[("sex",)])
    rows = {r["group"]["sex"]: r for r in next(t for t in tables.tables if t.name == "model:sex").rows}
    assert (rows["M"]["n"], rows["M"]["auc"], rows["F"]["auc"]) == (3, 1.0, 0.5)
    assert tables.notes[0] == (
        "1 of 8 rows have no model output (NaN) and are left out of the shortlists, AUC and calibration by group."
    )
