"""A model audited through ``model:`` gives the table of its own predictions, from skops and ONNX alike.

A logistic pipeline is trained on Adult (age, education-num, hours-per-week → income > 50K),
saved with skops and exported with skl2onnx. Auditing the held-out rows through ``model:`` must
give the per-group selection rates of auditing the model's own ``predict_proba >= threshold``
written as a column, and of counting those decisions with pandas by hand.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from skl2onnx import to_onnx
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import equityaudit as ea

FEATURES = ["age", "education-num", "hours-per-week"]
THRESHOLD = 0.3  # not the default, so the threshold is seen to be applied
REASON = "rows held out of the model's training at random (seed 0)"


@pytest.fixture(scope="module")
def adult_model(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from paths import REFERENCE_DATA

    csv = REFERENCE_DATA / "adult.csv"
    if not csv.is_file():
        pytest.skip(f"reference dataset not found at {csv}")
    data = pd.read_csv(csv, skipinitialspace=True)
    held_out = data.sample(frac=0.3, random_state=0)
    train = data.drop(held_out.index)
    pipeline = make_pipeline(StandardScaler(), LogisticRegression()).fit(
        train[FEATURES].astype(float), train["income-per-year"].eq(">50K")
    )
    folder = tmp_path_factory.mktemp("adult-model")
    sio.dump(pipeline, folder / "model.skops")
    onnx = to_onnx(pipeline, train[FEATURES].to_numpy(dtype=np.float32)[:1], options={"zipmap": False})
    (folder / "model.onnx").write_bytes(onnx.SerializeToString())
    test = held_out[["sex", "race", *FEATURES]].reset_index(drop=True)
    test[FEATURES] = test[FEATURES].astype(float)
    return {"folder": folder, "test": test, "pipeline": pipeline}


def _rates(result: ea.AuditResult) -> dict[str, tuple[int, int, float]]:
    table = next(t for t in result.tables if t.name == "sex")
    return {row["group"]["sex"]: (row["n"], row["selected"], row["selection_rate"]) for row in table.rows}


def _model_audit(test: pd.DataFrame, path: Path) -> ea.AuditResult:
    return ea.audit(
        test,
        auditor="decisions",
        sensitive="sex",
        model={"path": path, "features": FEATURES, "threshold": THRESHOLD},
        kind="test",
        test_data_reason=REASON,
    )


def test_skops_onnx_and_own_predictions_give_the_same_table(adult_model: dict[str, Any]) -> None:
    test, folder = adult_model["test"], adult_model["folder"]
    own = test.assign(
        selected=(adult_model["pipeline"].predict_proba(test[FEATURES])[:, 1] >= THRESHOLD).astype(int)
    )
    by_column = _rates(ea.audit(own, auditor="decisions", sensitive="sex", decision="selected"))
    by_hand = {
        sex: (len(rows), int(rows["selected"].sum()), rows["selected"].mean())
        for sex, rows in own.groupby("sex")
    }
    from_skops = _rates(_model_audit(test, folder / "model.skops"))
    from_onnx = _rates(_model_audit(test, folder / "model.onnx"))
    assert set(by_hand) == {"Female", "Male"}
    for table in (by_column, from_skops, from_onnx):
        assert table.keys() == by_hand.keys()
        for sex, (n, selected, rate) in by_hand.items():
            assert table[sex][0] == n
            # ONNX computes in float32: a probability within 1e-6 of the cut-off may fall the other way
            assert abs(table[sex][1] - selected) <= (2 if table is from_onnx else 0)
            assert table[sex][2] == pytest.approx(rate, abs=2 / n if table is from_onnx else 1e-12)


def test_the_result_records_the_model(adult_model: dict[str, Any]) -> None:
    import hashlib

    path = adult_model["folder"] / "model.skops"
    result = _model_audit(adult_model["test"], path)
    model = result.data.model
    assert model is not None
    assert (model.format, model.features, model.threshold, model.output) == (
        "skops",
        FEATURES,
        0.3,
        "probability",
    )
    assert model.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert model.type == "sklearn.pipeline.Pipeline"
    assert result.data.kind == "test"
    from equityaudit.report.markdown import render_markdown

    markdown = render_markdown(result)
    assert (
        "- **Model:** model.skops (skops, sklearn.pipeline.Pipeline) scored on the data; reads age, "
        in markdown
    )


def test_default_features_are_the_columns_without_a_role(adult_model: dict[str, Any]) -> None:
    """Without features the model reads its own (a pipeline fitted on a frame knows them) — here the
    columns other than sex and race, which play the sensitive role."""
    test = adult_model["test"]
    result = ea.audit(
        test,
        auditor="decisions",
        sensitive=["sex", "race"],
        model=adult_model["folder"] / "model.skops",
        kind="test",
        test_data_reason=REASON,
    )
    assert result.data.model is not None
    assert result.data.model.features == FEATURES
    assert result.data.model.threshold == 0.5
    expected = (adult_model["pipeline"].predict_proba(test[FEATURES])[:, 1] >= 0.5).sum()
    assert sum(row["selected"] for row in result.tables[0].rows) == expected


def test_hiring_auditor_audits_the_model_score_and_decision(adult_model: dict[str, Any]) -> None:
    """The hiring auditor takes the model's probability as its score (LL144 scoring rate)."""
    test = adult_model["test"]
    result = ea.audit(
        test,
        auditor="hiring",
        sensitive="sex",
        model={"path": adult_model["folder"] / "model.skops", "features": FEATURES},
        kind="test",
        test_data_reason=REASON,
        options={"audit_date": "2026-01-01", "distribution_date": "2025-01-01"},
    )
    names = [t.name for t in result.tables]
    assert "sex" in names and "scoring:sex" in names
    score = adult_model["pipeline"].predict_proba(test[FEATURES])[:, 1]
    above_median = pd.Series(score > np.median(score)).groupby(test["sex"]).mean()
    scoring = next(t for t in result.tables if t.name == "scoring:sex")
    for row in scoring.rows:  # LL144's scoring rate: the share scoring above the sample's median
        assert row["scoring_rate"] == pytest.approx(above_median[row["group"]["sex"]])
