"""Scoring a model file on held-out rows: a spec's ``model:`` turned into decision and score columns.

:func:`score_model` loads a fitted model — a scikit-learn model or pipeline saved with skops
(only the types skops trusts by default and those ``model.trusted`` lists are loaded; nothing is
unpickled) or an ONNX file (run with onnxruntime, the ``onnx`` extra) — reads its feature columns,
predicts, applies the threshold and writes the output as two new columns, ``model_score`` and
``model_decision``, which the engine then names as the ``score`` and ``decision`` roles. Every
auditor that takes decisions audits the model unchanged.

The feature columns leave the data's backend through :func:`equityaudit.frames.rows_for_python`
(a model predicts on numpy arrays); the new columns go back onto the collected frame on its own
backend. Every way a model can be unusable — untrusted types, a file that is not a model, missing
or non-numeric features, an ONNX input that no feature feeds, an output of the wrong shape — is a
:class:`~equityaudit.errors.SpecError` or :class:`~equityaudit.errors.DataError` that says what was
expected, what was found and how to fix it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import narwhals as nw
import numpy as np
from numpy.typing import NDArray

from equityaudit.errors import DataError, MissingExtraError, SpecError, did_you_mean, short_repr
from equityaudit.frames import Source, collect_or_data_error, numbers_for_python, rows_for_python
from equityaudit.results import ModelInfo, ShortlistInfo
from equityaudit.spec import ModelSpec, Shortlist

__all__ = ["DECISION_COLUMN", "SCORE_COLUMN", "ModelScorer", "score_model", "shortlist_decision"]

SCORE_COLUMN = "model_score"
"""The column the model's output (probability, score or label) is written to."""
DECISION_COLUMN = "model_decision"
"""The column the model's decision (1 selected, 0 not) is written to."""

_FORMATS = {".skops": "skops", ".onnx": "onnx"}
_EXAMPLES = 3


@dataclass(frozen=True)
class _Loaded:
    predict: Callable[[Any], NDArray[Any]]
    """Rows of the features (a pandas frame) → the model's raw output for ``output``."""
    check: Callable[[Sequence[str]], None]
    """Raises when the model cannot read these features (names or number of columns)."""
    type: str
    trusted: list[str]
    features: list[str] | None
    """The columns the model says it reads (a scikit-learn model fitted on a frame, ONNX inputs)."""


@dataclass(frozen=True)
class ModelScorer:
    """The model :func:`score_model` loaded, kept to decide again on changed rows (counterfactuals).

    ``decisions`` takes rows of ``features`` (a pandas frame, the form the model was first scored
    on) and returns the decision (1/0) the model makes on each, with the cut-off in force when the
    data was scored, so a changed row is decided by the same rule as the original.
    """

    features: tuple[str, ...]
    predict: Callable[[Any], NDArray[Any]]
    model: ModelSpec
    threshold: float | None
    where: str

    def decisions(self, rows: Any) -> NDArray[np.int64]:
        """The model's decision (1 selected, 0 not) on each of ``rows``."""
        values, decision = _decide(np.asarray(self.predict(rows)), self.model, len(rows), self.where)
        if self.threshold is None:
            return decision
        return (values >= self.threshold).astype(np.int64)


def score_model(
    source: Source, model: ModelSpec, *, exclude: Sequence[str], origin: str
) -> tuple[Source, ModelInfo, ModelScorer]:
    """Score ``source``'s rows with the model ``model`` names; add its score and decision columns.

    Parameters
    ----------
    source
        The held-out rows.
    model
        The spec's ``model:`` block (its path already resolved against the spec file).
    exclude
        The columns that play a role in the audit; without ``model.features``, the model reads
        every other column.
    origin
        The spec file, for messages.

    Returns
    -------
    tuple of Source, ModelInfo and ModelScorer
        The rows with ``model_score`` and ``model_decision`` added, what was scored how, and the
        loaded model, to decide on changed rows without loading it again.

    Raises
    ------
    SpecError
        The file is missing, of an unknown kind, not a model, holds untrusted types, or its output
        does not fit ``model.output``.
    DataError
        A feature column is missing or not numeric, or the model fails on the rows.
    MissingExtraError
        An ONNX file, and onnxruntime is not installed.

    Examples
    --------
    >>> import pandas as pd, skops.io as sio, tempfile
    >>> from sklearn.linear_model import LogisticRegression
    >>> from equityaudit.frames import read_source
    >>> df = pd.DataFrame({"sex": ["F", "M"] * 50, "x": list(range(100))})
    >>> path = Path(tempfile.mkdtemp()) / "m.skops"
    >>> sio.dump(LogisticRegression().fit(df[["x"]], df["x"] >= 50), path)
    >>> scored, info, scorer = score_model(read_source(df), ModelSpec(path=path), exclude=["sex"], origin="<spec>")
    >>> scored.frame.collect().to_pandas()["model_decision"].sum(), info.features, info.threshold
    (np.int64(50), ['x'], 0.5)
    """
    where = f"{origin}: model.path"
    path = model.path
    if not path.is_file():
        hint = ""
        if path.parent.is_dir():
            siblings = [p.name for p in path.parent.iterdir() if p.suffix in _FORMATS]
            hint = " " + did_you_mean(path.name, siblings, label="Model files there") if siblings else ""
        raise SpecError(
            f"{where}: {path} is not a file; give the path of a .skops or .onnx model file.{hint}"
        )
    kind = _FORMATS.get(path.suffix.lower())
    if kind is None:
        raise SpecError(
            f"{where}: {path} has the extension {path.suffix or '(none)'!r}; expected a scikit-learn model "
            "saved with skops (.skops) or an ONNX file (.onnx)."
        )
    frame = collect_or_data_error(source.frame, source.name)
    present = frame.columns
    taken = [c for c in (SCORE_COLUMN, DECISION_COLUMN) if c in present]
    if taken:
        raise DataError(
            f"{source.name}: the data already has column(s) {taken}, where the model's output goes "
            f"(model: in {origin}); rename them."
        )
    loaded = _load_skops(path, model, where) if kind == "skops" else _load_onnx(path, model, where)
    # the model's own column names, when it knows them, else every column without a role
    features = model.features or loaded.features or [c for c in present if c not in set(exclude)]
    _check_features(features, present, model, source.name, origin)
    loaded.check(features)
    numbers = numbers_for_python(frame, features, why="the model", origin=source.name)
    rows = (
        numbers
        if numbers is not None
        else rows_for_python(frame, features, why="the model", origin=source.name)
    )
    if kind == "onnx":
        _require_numbers(rows, source.name)
    try:
        raw = np.asarray(loaded.predict(rows))
    except (SpecError, DataError):
        raise
    except Exception as exc:  # a model raises whatever its library raises on rows it cannot take
        raise DataError(
            f"{source.name}: the model {path.name} failed on the rows ({type(exc).__name__}: "
            f"{_first_line(exc)}).{_non_numeric_hint(rows)}{_missing_hint(rows)} Check that model.features "
            "names the columns the model was trained on, in its order."
        ) from None
    score, decision = _decide(raw, model, len(rows), where)
    shortlist = None
    if model.shortlist is not None:
        decision, shortlist = shortlist_decision(
            score, model.shortlist, name=source.name, where=f"{origin}: model.threshold"
        )
    native = nw.get_native_namespace(frame)
    scored = frame.with_columns(
        nw.new_series(SCORE_COLUMN, score, nw.Float64(), backend=native),
        nw.new_series(DECISION_COLUMN, decision, nw.Int64(), backend=native),
    )
    threshold = shortlist.cut_off if shortlist is not None else model.cut_off
    info = ModelInfo(
        path=str(path),
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        format=kind,  # type: ignore[arg-type]  # one of _FORMATS' values
        type=loaded.type,
        features=list(features),
        output=model.output,
        threshold=threshold,
        columns={"decision": DECISION_COLUMN, "score": SCORE_COLUMN},
        trusted=loaded.trusted,
        description=_describe(path, kind, loaded.type, features, model.output, threshold, shortlist),
        shortlist=shortlist,
    )
    scorer = ModelScorer(tuple(features), loaded.predict, model, threshold, where)
    return replace(source, frame=scored.lazy()), info, scorer


def _check_features(
    features: Sequence[str], present: Sequence[str], model: ModelSpec, name: str, origin: str
) -> None:
    if not features:
        raise SpecError(
            f"{origin}: model.features: every column of the data plays a role in the audit, so the model "
            "has nothing to read; list the columns it was trained on under model.features."
        )
    missing = [c for c in features if c not in present]
    if missing:
        listed = ", ".join(repr(c) for c in present)
        raise DataError(
            f"{name}: the model's feature column(s) {missing} (model.features in {origin}) are not in the "
            f"data; columns in the data: {listed}. Name the columns the model was trained on."
        )


def _load_skops(path: Path, model: ModelSpec, where: str) -> _Loaded:
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:  # skops raises several unrelated types for a file it cannot read
        raise SpecError(
            f"{where}: {path} cannot be read as a skops file ({type(exc).__name__}: {_first_line(exc)}); "
            "expected a scikit-learn model saved with skops.io.dump."
        ) from None
    missing = [t for t in untrusted if t not in set(model.trusted)]
    if missing:
        listed = "".join(f"\n  - {t}" for t in missing)
        raise SpecError(
            f"{where}: {path} holds types that skops does not trust by default:{listed}\nInspect the "
            "file (skops.io.get_untrusted_types), and if you trust them, list them under model.trusted."
        )
    try:
        fitted = sio.load(path, trusted=list(untrusted))
    except Exception as exc:  # a damaged file fails only when its objects are built
        raise SpecError(
            f"{where}: {path} cannot be loaded by skops ({type(exc).__name__}: {_first_line(exc)})."
        ) from None
    method = {"probability": "predict_proba", "label": "predict", "score": "decision_function"}[model.output]
    call = getattr(fitted, method, None)
    if not callable(call):
        raise SpecError(
            f"{where}: {path} holds a {type(fitted).__name__}, which has no {method}() for output: "
            f"{model.output}; expected a fitted scikit-learn model or pipeline"
            + (" (use output: label for a model without probabilities)." if method != "predict" else ".")
        )
    classes = list(getattr(fitted, "classes_", []))
    named = getattr(fitted, "feature_names_in_", None)
    width = getattr(fitted, "n_features_in_", None)

    def check(features: Sequence[str]) -> None:
        if named is not None and list(named) != list(features):
            raise SpecError(
                f"{where}: the model was trained on the columns {list(named)}, but model.features gives "
                f"{list(features)}; list the model's columns, in its order, under model.features (or "
                "leave it out to use the model's own)."
            )
        if isinstance(width, int) and width != len(features):
            raise SpecError(
                f"{where}: the model was trained on {width} columns, but model.features gives "
                f"{len(features)}: {list(features)}; list the {width} columns it was trained on."
            )

    def predict(rows: Any) -> NDArray[Any]:
        output = np.asarray(call(rows if named is not None else rows.to_numpy()))
        if model.output == "label" and len(classes) == 2:
            return np.asarray(output == classes[1], dtype=np.int64)
        return output

    return _Loaded(
        predict,
        check,
        f"{type(fitted).__module__}.{type(fitted).__name__}",
        list(untrusted),
        [str(n) for n in named] if named is not None else None,
    )


def _load_onnx(path: Path, model: ModelSpec, where: str) -> _Loaded:
    try:
        import onnxruntime as ort
    except ImportError:
        raise MissingExtraError(
            f"{where}: {path.name} is an ONNX model, which needs the optional package 'onnxruntime' "
            "(not installed). Install it with: pip install 'equityaudit[onnx]'"
        ) from None
    try:
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own untyped errors for a file it cannot parse
        raise SpecError(
            f"{where}: {path} cannot be read as an ONNX model ({type(exc).__name__}: {_first_line(exc)})."
        ) from None
    inputs = session.get_inputs()

    def check(features: Sequence[str]) -> None:
        if len(inputs) > 1:  # one input per column, named by the column
            names = [i.name for i in inputs]
            if sorted(names) != sorted(features):
                unfed = [n for n in names if n not in features]
                unread = [f for f in features if f not in names]
                raise SpecError(
                    f"{where}: {path.name} takes the inputs {names}, one per column, but model.features "
                    f"gives {list(features)}: no feature feeds {unfed}"
                    + (f", and {unread} feed no input" if unread else "")
                    + "; name the features exactly as the model's inputs."
                )
            return
        width = inputs[0].shape[-1] if inputs[0].shape else None
        if isinstance(width, int) and width != len(features):
            raise SpecError(
                f"{where}: {path.name}'s input {inputs[0].name!r} takes {width} columns, but model.features "
                f"gives {len(features)}: {list(features)}; list the {width} columns the model was trained on."
            )

    outputs = [o.name for o in session.get_outputs()]
    wanted = _onnx_output(outputs, model.output)

    def feed(rows: Any) -> dict[str, NDArray[Any]]:
        if len(inputs) > 1:
            return {i.name: _typed(rows[[i.name]].to_numpy(), i.type) for i in inputs}
        return {inputs[0].name: _typed(rows.to_numpy(), inputs[0].type)}

    def predict(rows: Any) -> NDArray[Any]:
        (result,) = session.run([wanted], feed(rows))
        if isinstance(result, list) and result and isinstance(result[0], dict):  # skl2onnx's ZipMap
            classes = sorted(result[0])
            if len(classes) != 2:
                raise SpecError(
                    f"{where}: {path.name} gives probabilities of {len(classes)} classes {classes}; "
                    "expected a model of two classes (selected or not)."
                )
            return np.asarray([r[classes[1]] for r in result], dtype=np.float64)
        return np.asarray(result)

    meta = session.get_modelmeta()
    described = " ".join(p for p in (meta.producer_name, meta.graph_name) if p) or "ONNX graph"
    return _Loaded(predict, check, described, [], [i.name for i in inputs] if len(inputs) > 1 else None)


def _onnx_output(outputs: list[str], output: str) -> str:
    if output == "label" or len(outputs) == 1:
        return outputs[0]
    named = [o for o in outputs if "prob" in o.lower() or "score" in o.lower()]
    return named[0] if named else outputs[-1]


def _typed(matrix: NDArray[Any], kind: str) -> NDArray[Any]:
    dtype = {"tensor(double)": np.float64, "tensor(int64)": np.int64}.get(kind, np.float32)
    return np.ascontiguousarray(matrix, dtype=dtype)


def _require_numbers(rows: Any, name: str) -> None:
    import pandas as pd

    for column in rows.columns:
        series = rows[column]
        if not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)):
            raise DataError(f"{name}: {_not_numeric(series)}")


def _non_numeric_hint(rows: Any) -> str:
    import pandas as pd

    texts = [c for c in rows.columns if not pd.api.types.is_numeric_dtype(rows[c])]
    return f" {_not_numeric(rows[texts[0]])}" if texts else ""


def _missing_hint(rows: Any) -> str:
    """Which feature columns have missing values, for a model that failed (most cannot take them)."""
    missing = {str(column): int(count) for column, count in rows.isna().sum().items() if count}
    if not missing:
        return ""
    listed = ", ".join(f"{column!r} ({count:,} of {len(rows):,} rows)" for column, count in missing.items())
    return (
        f" Feature values are missing in {listed}: fill or drop those rows, or save a pipeline that "
        "imputes them (sklearn.impute.SimpleImputer)."
    )


def _not_numeric(series: Any) -> str:
    examples = [short_repr(v) for v in series.dropna().unique()[:_EXAMPLES]]
    return (
        f"feature column {series.name!r} is not numeric (values such as {', '.join(examples)}); the model "
        "reads numbers: encode the column as numbers, remove it from model.features, or save a pipeline "
        "that encodes it."
    )


def _decide(raw: NDArray[Any], model: ModelSpec, rows: int, where: str) -> tuple[NDArray[Any], NDArray[Any]]:
    """The model's output as one number per row, and the decision (1/0) it makes."""
    values = raw
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    elif values.ndim == 2 and values.shape[1] == 2 and model.output != "label":
        values = values[:, 1]  # the second class: 1, True, or the later of two labels
    if values.ndim != 1 or values.shape[0] != rows:
        raise SpecError(
            f"{where}: the model's {model.output} output has shape {tuple(raw.shape)} for {rows} rows; "
            f"expected one {model.output} per row (or two class probabilities per row): a model of two "
            "classes, selected or not."
        )
    if model.output == "label":
        labels = values.astype(object)
        if not set(np.unique(labels)) <= {0, 1}:  # True == 1, False == 0
            found = ", ".join(short_repr(v) for v in np.unique(labels)[:_EXAMPLES])
            raise SpecError(
                f"{where}: output is 'label' but the model gives {found}; expected 1/0 or true/false "
                "(a scikit-learn classifier of two classes is read as its second class selected)."
            )
        decision = values.astype(np.int64)
        return decision.astype(np.float64), decision
    numbers = values.astype(np.float64)
    if model.output == "probability" and len(numbers) and not (numbers.min() >= 0 and numbers.max() <= 1):
        raise SpecError(
            f"{where}: output is 'probability' but the model gives values from {numbers.min():g} to "
            f"{numbers.max():g}; use output: score with a threshold for a model that scores."
        )
    threshold = model.cut_off
    if threshold is None:  # a shortlist: the caller ranks the scores (shortlist_decision)
        return numbers, np.zeros(len(numbers), dtype=np.int64)
    return numbers, (numbers >= threshold).astype(np.int64)


def shortlist_decision(
    score: NDArray[np.float64], shortlist: Shortlist, *, name: str, where: str
) -> tuple[NDArray[np.int64], ShortlistInfo]:
    """Select the shortlist's rows: the k highest scores, and every row tied with the k-th.

    The k-th highest score becomes the cut-off and a row is selected when its score is at least
    that, the rule a fixed threshold uses; so rows tied with the k-th are all selected, and the
    shortlist holds k rows plus those ties (``ShortlistInfo.tied_extra``).

    Parameters
    ----------
    score
        The model's output, one number per row.
    shortlist
        ``model.threshold`` as ``{top_k: …}`` or ``{top_share: …}``.
    name, where
        The data source and the spec key, for messages.

    Raises
    ------
    DataError
        k is more than the rows scored, or a score is missing (NaN), which cannot be ranked.

    Examples
    --------
    >>> decision, info = shortlist_decision(np.array([0.9, 0.2, 0.7, 0.7, 0.1]), Shortlist(top_k=2),
    ...                                     name="d.csv", where="m.yaml: model.threshold")
    >>> decision.tolist(), info.k, info.selected, info.tied_extra, info.cut_off
    ([1, 0, 1, 1, 0], 2, 3, 1, 0.7)
    """
    rows = len(score)
    k = shortlist.size(rows)
    if k > rows:
        raise DataError(
            f"{name}: {where} asks for the {shortlist.text} rows, but the data has {rows} rows; give a "
            f"top_k of at most {rows}, or a top_share."
        )
    if np.isnan(score).any():
        raise DataError(
            f"{name}: the model gives no number (NaN) for {int(np.isnan(score).sum())} of {rows} rows, which "
            f"cannot be ranked for the shortlist ({where}); check those rows' features."
        )
    cut = float(np.sort(score)[rows - k])  # the k-th highest
    decision = (score >= cut).astype(np.int64)
    selected = int(decision.sum())
    return decision, ShortlistInfo(
        rule=shortlist.text,
        top_k=shortlist.top_k,
        top_share=shortlist.top_share,
        k=k,
        selected=selected,
        tied_extra=selected - k,
        cut_off=cut,
    )


def _describe(
    path: Path,
    kind: str,
    type_: str,
    features: Sequence[str],
    output: str,
    threshold: float | None,
    shortlist: ShortlistInfo | None = None,
) -> str:
    reads = ", ".join(features)
    cut = f"selected at {output} ≥ {threshold:g}" if threshold is not None else "its label is the decision"
    if shortlist is not None:
        rows = f"{shortlist.rule} of rows" if shortlist.top_share is not None else f"{shortlist.rule} rows"
        cut = f"selected: the {rows} by {output}, {shortlist.sentence}"
    return f"{path.name} ({kind}, {type_}) scored on the data; reads {reads}; {cut}."


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
