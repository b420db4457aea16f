"""A model equityaudit cannot use is refused with a clear message and exit code 2, never a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
import yaml
from click.testing import CliRunner
from skl2onnx import to_onnx
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from equityaudit.cli import main

REASON = "rows held out of training"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Held-out rows (sex, two numeric features, one text column) beside the models."""
    rng = np.random.default_rng(0)
    rows = pd.DataFrame(
        {
            "sex": np.where(rng.random(200) < 0.5, "F", "M"),
            "x": rng.normal(size=200),
            "y": rng.normal(size=200),
            "city": rng.choice(["Leeds", "York"], size=200),
        }
    )
    rows.to_csv(tmp_path / "held_out.csv", index=False)
    return tmp_path


def _xy(rows: int = 200) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(1)
    features = pd.DataFrame({"x": rng.normal(size=rows), "y": rng.normal(size=rows)})
    return features, features["x"] > 0


def _spec(folder: Path, model: dict[str, Any], **extra: Any) -> Path:
    spec = {
        "equityaudit": 1,
        "name": "model",
        "auditor": "decisions",
        "data": {"path": "held_out.csv", "kind": "test", "test_data_reason": REASON},
        "columns": {"sensitive": ["sex"]},
        "model": model,
        **extra,
    }
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def _run(spec: Path) -> Any:
    result = CliRunner().invoke(main, ["run", str(spec), "--out", str(spec.parent / "out")])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def test_untrusted_types_are_listed_with_how_to_trust_them(folder: Path) -> None:
    features, target = _xy()
    sio.dump(
        make_pipeline(FunctionTransformer(pd.isna), LogisticRegression()).fit(features, target),
        folder / "m.skops",
    )
    result = _run(_spec(folder, {"path": "m.skops", "features": ["x", "y"]}))
    assert result.exit_code == 2
    assert "holds types that skops does not trust by default:\n  - pandas.isna\n" in result.output
    assert "list them under model.trusted" in result.output
    trusted = _run(_spec(folder, {"path": "m.skops", "features": ["x", "y"], "trusted": ["pandas.isna"]}))
    assert trusted.exit_code in (0, 1), trusted.output


def test_missing_features_are_named_with_the_data_columns(folder: Path) -> None:
    features, target = _xy()
    sio.dump(LogisticRegression().fit(features.to_numpy(), target), folder / "m.skops")
    result = _run(_spec(folder, {"path": "m.skops", "features": ["x", "income"]}))
    assert result.exit_code == 2
    assert "the model's feature column(s) ['income'] (model.features in " in result.output
    assert "columns in the data: 'sex', 'x', 'y', 'city'." in result.output


def test_a_model_of_three_classes_has_the_wrong_output_shape(folder: Path) -> None:
    features, _ = _xy()
    three = np.digitize(features["x"], [-0.5, 0.5])
    sio.dump(LogisticRegression().fit(features.to_numpy(), three), folder / "m.skops")
    result = _run(_spec(folder, {"path": "m.skops", "features": ["x", "y"]}))
    assert result.exit_code == 2
    assert "the model's probability output has shape (200, 3) for 200 rows" in result.output


def test_a_text_feature_is_named_with_example_values(folder: Path) -> None:
    features, target = _xy()
    onnx = to_onnx(
        LogisticRegression().fit(features.to_numpy(np.float32), target), features.to_numpy(np.float32)[:1]
    )
    (folder / "m.onnx").write_bytes(onnx.SerializeToString())
    result = _run(_spec(folder, {"path": "m.onnx", "features": ["x", "city"]}))
    assert result.exit_code == 2
    assert "feature column 'city' is not numeric (values such as " in result.output
    assert "'Leeds'" in result.output


def test_a_text_feature_of_a_skops_model_is_named_too(folder: Path) -> None:
    features, target = _xy()
    sio.dump(LogisticRegression().fit(features.to_numpy(), target), folder / "m.skops")
    result = _run(_spec(folder, {"path": "m.skops", "features": ["x", "city"]}))
    assert result.exit_code == 2
    assert "the model m.skops failed on the rows (ValueError: " in result.output
    assert "feature column 'city' is not numeric" in result.output


def test_an_onnx_input_no_feature_feeds(folder: Path) -> None:
    features, target = _xy()
    pipeline = make_pipeline(ColumnTransformer([("keep", "passthrough", ["x", "y"])]), LogisticRegression())
    onnx = to_onnx(pipeline.fit(features.astype(np.float32), target), features.astype(np.float32)[:1])
    (folder / "m.onnx").write_bytes(onnx.SerializeToString())
    result = _run(_spec(folder, {"path": "m.onnx", "features": ["x", "sex"]}))
    assert result.exit_code == 2
    assert (
        "m.onnx takes the inputs ['x', 'y'], one per column, but model.features gives ['x', 'sex']"
        in result.output
    )
    assert "no feature feeds ['y'], and ['sex'] feed no input" in result.output


@pytest.mark.parametrize("name", ["m.skops", "m.onnx"])
def test_a_file_that_is_not_a_model(folder: Path, name: str) -> None:
    (folder / name).write_text("age,score\n1,2\n")
    result = _run(_spec(folder, {"path": name, "features": ["x", "y"]}))
    assert result.exit_code == 2
    kind = "a skops file" if name.endswith("skops") else "an ONNX model"
    assert f"/{name} cannot be read as {kind} (" in result.output


def test_a_missing_model_file(folder: Path) -> None:
    result = _run(_spec(folder, {"path": "nowhere.skops"}))
    assert result.exit_code == 2
    assert "nowhere.skops is not a file; give the path of a .skops or .onnx model file." in result.output


def test_a_model_needs_held_out_rows(folder: Path) -> None:
    spec = _spec(folder, {"path": "m.skops"})
    text = spec.read_text().replace("kind: test", "kind: historical")
    spec.write_text(text)
    result = _run(spec)
    assert result.exit_code == 2
    assert (
        "a model is audited on held-out rows, but data.kind is 'historical'; set data.kind: test"
        in result.output
    )


def test_a_model_with_a_decision_column_is_refused(folder: Path) -> None:
    spec = _spec(folder, {"path": "m.skops"}, columns={"sensitive": ["sex"], "decision": "x"})
    result = _run(spec)
    assert result.exit_code == 2
    assert (
        "the model's output is the decision and score, but the spec also names columns.decision"
        in result.output
    )


def test_a_score_output_needs_a_threshold(folder: Path) -> None:
    result = _run(_spec(folder, {"path": "m.skops", "output": "score"}))
    assert result.exit_code == 2
    assert "output is 'score' but threshold is missing" in result.output


def test_missing_feature_values_are_counted_with_how_to_fix_them(folder: Path) -> None:
    """LogisticRegression refuses NaN: the message names the column and how many rows lack it."""
    features, target = _xy()
    sio.dump(LogisticRegression().fit(features, target), folder / "m.skops")
    rows = pd.read_csv(folder / "held_out.csv")
    rows.loc[[3, 7, 11], "y"] = np.nan  # three of the 200 held-out rows
    rows.to_csv(folder / "held_out.csv", index=False)
    result = _run(_spec(folder, {"path": "m.skops", "features": ["x", "y"]}))
    assert result.exit_code == 2
    assert "Feature values are missing in 'y' (3 of 200 rows)" in result.output
    assert "SimpleImputer" in result.output


def _fitted(folder: Path) -> None:
    features, target = _xy()
    sio.dump(LogisticRegression().fit(features, target), folder / "m.skops")


@pytest.mark.parametrize(
    ("threshold", "message"),
    [
        ({"top_k": 0}, "model.threshold: top_k is 0; expected a whole number of rows, at least 1"),
        ({"top_k": 2.5}, "model.threshold: top_k is 2.5; expected a whole number of rows, at least 1"),
        (
            {"top_share": 1.5},
            "model.threshold: top_share is 1.5; expected a share of the rows above 0 and at most 1",
        ),
        (
            {"top_share": 0},
            "model.threshold: top_share is 0; expected a share of the rows above 0 and at most 1",
        ),
        ({"top_k": 5, "top_share": 0.1}, "model.threshold: both top_k (5) and top_share (0.1) are given"),
        (
            {"top": 5},
            "model.threshold: unknown key 'top' in a shortlist; expected {top_k: 50} or {top_share: 0.1}.",
        ),
    ],
)
def test_a_bad_shortlist_is_named(folder: Path, threshold: dict[str, Any], message: str) -> None:
    _fitted(folder)
    result = _run(_spec(folder, {"path": "m.skops", "features": ["x", "y"], "threshold": threshold}))
    assert result.exit_code == 2
    assert message in result.output


def test_a_shortlist_longer_than_the_data_gives_the_row_count(folder: Path) -> None:
    _fitted(folder)
    result = _run(_spec(folder, {"path": "m.skops", "features": ["x", "y"], "threshold": {"top_k": 201}}))
    assert result.exit_code == 2
    assert (
        "model.threshold asks for the top 201 rows, but the data has 200 rows; give a top_k of at most 200"
        in (result.output)
    )


def test_a_shortlist_of_labels_is_refused(folder: Path) -> None:
    result = _run(_spec(folder, {"path": "m.skops", "output": "label", "threshold": {"top_k": 5}}))
    assert result.exit_code == 2
    assert "threshold top 5 is given but output is 'label'" in result.output


def test_two_labels_are_refused_naming_both_keys(folder: Path) -> None:
    spec = _spec(
        folder, {"path": "m.skops", "outcome": "city"}, columns={"sensitive": ["sex"], "outcome": "x"}
    )
    result = _run(spec)
    assert result.exit_code == 2
    assert "model.outcome ('city') and columns.outcome ('x') are both given" in result.output


def test_a_missing_model_outcome_column_is_named(folder: Path) -> None:
    _fitted(folder)
    result = _run(_spec(folder, {"path": "m.skops", "features": ["x", "y"], "outcome": "hired"}))
    assert result.exit_code == 2
    assert "column 'hired' (model.outcome in the spec) is not in the data" in result.output


def test_the_gate_checks_model_outcome_as_an_outcome(folder: Path) -> None:
    # city holds two words that are not yes/no: as a plain label it fails the gate's binary check,
    # and names model.outcome; declared as labelled, it passes
    _fitted(folder)
    result = _run(_spec(folder, {"path": "m.skops", "features": ["x", "y"], "outcome": "city"}))
    assert result.exit_code == 3, result.output
    assert "model.outcome" in result.output
    labelled = _run(
        _spec(
            folder,
            {"path": "m.skops", "features": ["x", "y"], "outcome": {"column": "city", "positive": "York"}},
        )
    )
    assert labelled.exit_code in (0, 1), labelled.output


def test_a_label_that_is_also_a_feature_is_refused(folder: Path) -> None:
    result = _run(_spec(folder, {"path": "m.skops", "features": ["x", "y"], "outcome": "y"}))
    assert result.exit_code == 2
    assert "model: outcome 'y' is also listed under features; the true label is what the model predicts" in (
        result.output
    )
